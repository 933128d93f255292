//! `cairn-node`: the Cairn blockchain node.

#![warn(missing_docs)]
// `sc_cli::Error` is large and is what the Substrate CLI and service APIs return throughout.
#![allow(clippy::result_large_err)]

mod benchmarking;
mod blobs;
mod chain_spec;
mod cli;
mod command;
mod inference;
mod rpc;
mod seal_keys;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
