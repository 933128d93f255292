//! # Cairn inference
//!
//! ONNX model inference for Cairn's offchain workers.
//!
//! - [`types`] (no_std): tensors and tensor sets with a canonical encoding and SHA-256 hash, model
//!   io specs, inference results, capabilities and [`InferenceError`]; shared by the runtime and
//!   the node.
//! - [`agreement`] (no_std): whether two outputs of one job agree (hash equality, or element-wise
//!   tolerance for floats), used by the inference pallet and the tests alike.
//! - [`checkpoints`] (no_std): the commitment a receipt makes to the inside of a run (the Merkle
//!   root of its segments' output hashes) and where two runs first diverge.
//! - [`host`]: the `inference` host functions (`run`, `run_on`, `run_checkpointed`, `checkpoint`,
//!   `run_segment`, `capabilities`, `chain_tip`, `has_model`, `request_model`,
//!   `encryption_keys`, `new_encryption_key`, `request_blob`, `run_sealed`) the runtime calls from offchain workers, and the
//!   [`host::Engine`] and [`host::SealKeys`] traits and extensions the node answers them with.
//! - [`seal`]: sealed job data, the formats by which inputs and outputs travel off chain
//!   encrypted (blobs under a content key, content keys wrapped to a party's X25519 key); the
//!   types are no_std, sealing and opening native.
//! - `sealed_run` (std): a sealed job's run on the node (fetch, open, check, run, seal the
//!   outputs), behind the `run_sealed` host function.
//! - `blobs` (std): the node's blob store of sealed job data (ciphertext by SHA-256) within a
//!   disk budget and per-account quotas.
//! - `graph` (std): ONNX graph surgery, a model's checkpoints and the segment models between them.
//! - `engine`, `store`, `fetch`, `metrics` (std): the native engine on ONNX Runtime (`ort`, library
//!   loaded at run time), the SHA-256-verified model store, the fetcher that brings registered
//!   models into it from IPFS gateways and URIs, and Prometheus metrics.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod agreement;
pub mod checkpoints;
pub mod host;
pub mod seal;
pub mod types;

#[cfg(feature = "std")]
pub mod blobs;
#[cfg(feature = "std")]
pub mod engine;
#[cfg(feature = "std")]
pub mod fetch;
#[cfg(feature = "std")]
pub mod graph;
#[cfg(feature = "std")]
pub mod metrics;
#[cfg(feature = "std")]
pub mod sealed_run;
#[cfg(feature = "std")]
pub mod store;

pub use agreement::{answers_agree, outputs_agree, outputs_agree_floored, Disagreement, Tolerance};
pub use checkpoints::{CheckpointedOutput, Commitment};
pub use host::{
	inference, model_checkpoint, run_model, run_model_checkpointed, run_model_on, run_model_segment,
};
pub use types::*;

/// The host functions a node must provide for a runtime that uses this crate.
#[cfg(feature = "std")]
pub type HostFunctions = inference::HostFunctions;
