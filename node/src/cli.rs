//! Command-line interface of `cairn-node`.

use std::{fmt, str::FromStr};

/// How the node seals blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sealing {
	/// Aura slots with GRANDPA finality: what a real network runs.
	#[default]
	Aura,
	/// A block as soon as a transaction arrives, finalized at once (development only).
	Instant,
	/// A block every this many milliseconds, finalized at once (development only).
	Interval(u64),
}

impl FromStr for Sealing {
	type Err = String;

	fn from_str(value: &str) -> Result<Self, Self::Err> {
		match value {
			"aura" => Ok(Sealing::Aura),
			"instant" => Ok(Sealing::Instant),
			millis => match millis.parse::<u64>() {
				Ok(0) => Err("the sealing interval must be at least 1 millisecond".into()),
				Ok(ms) => Ok(Sealing::Interval(ms)),
				Err(_) => Err(format!(
					"unknown sealing mode '{value}': expected 'aura', 'instant' or an interval in \
					 milliseconds such as '500'"
				)),
			},
		}
	}
}

impl fmt::Display for Sealing {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Sealing::Aura => write!(f, "aura"),
			Sealing::Instant => write!(f, "instant"),
			Sealing::Interval(ms) => write!(f, "{ms}"),
		}
	}
}

/// Options of the node itself (`cairn-node [OPTIONS]`).
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// The standard Substrate node options.
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// Block sealing: `aura` (Aura slots + GRANDPA, the default), `instant` (a block per
	/// transaction, finalized at once) or an interval in milliseconds (e.g. `500`), finalized at
	/// once. The last two are for development and tests on a single node.
	#[arg(long, value_name = "MODE", default_value_t = Sealing::Aura)]
	pub sealing: Sealing,

	/// Inference for offchain workers: ONNX Runtime library, model store, execution providers,
	/// threads and limits.
	#[clap(flatten)]
	pub inference: crate::inference::InferenceParams,

	/// The blob store of sealed job data: directory, disk budget, largest blob.
	#[clap(flatten)]
	pub blobs: crate::blobs::BlobParams,
}

/// The node's subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management utilities.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated in favour of `export-chain-spec`).
	#[deprecated(note = "build-spec is deprecated; use export-chain-spec")]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a built-in or file chain.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime and node benchmarks (`pallet` needs the `runtime-benchmarks` feature).
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// The local model store: `import` a model, `list` the models.
	#[command(subcommand)]
	Model(crate::inference::ModelCmd),
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sealing_modes_parse() {
		assert_eq!("aura".parse::<Sealing>(), Ok(Sealing::Aura));
		assert_eq!("instant".parse::<Sealing>(), Ok(Sealing::Instant));
		assert_eq!("500".parse::<Sealing>(), Ok(Sealing::Interval(500)));
		for mode in [Sealing::Aura, Sealing::Instant, Sealing::Interval(250)] {
			assert_eq!(mode.to_string().parse::<Sealing>(), Ok(mode));
		}
	}

	#[test]
	fn bad_sealing_modes_are_refused_with_the_accepted_forms() {
		let error = "fast".parse::<Sealing>().unwrap_err();
		assert!(error.contains("unknown sealing mode 'fast'"), "{error}");
		assert!(error.contains("'aura', 'instant'"), "{error}");
		assert!("0".parse::<Sealing>().unwrap_err().contains("at least 1 millisecond"));
		assert!("-5".parse::<Sealing>().is_err());
	}

	#[test]
	fn sealing_flag_defaults_to_aura() {
		use clap::Parser;
		let cli = Cli::try_parse_from(["cairn-node", "--dev"]).expect("valid flags");
		assert_eq!(cli.sealing, Sealing::Aura);
		let cli = Cli::try_parse_from(["cairn-node", "--sealing", "instant"]).expect("valid flags");
		assert_eq!(cli.sealing, Sealing::Instant);
		assert!(Cli::try_parse_from(["cairn-node", "--sealing", "sometimes"]).is_err());
	}
}
