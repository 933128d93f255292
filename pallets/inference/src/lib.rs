//! # Inference
//!
//! Offchain workers of provider nodes run ONNX models natively through the `cairn-inference`
//! host functions (ONNX Runtime in the node, models from its SHA-256-verified store).
//!
//! ## Node probe
//!
//! An operator can check what their node's offchain worker can do, end to end through the same
//! path jobs use, without touching chain state: write a SCALE-encoded [`ProbeRequest`] to the
//! node's persistent offchain storage under [`PROBE_REQUEST_KEY`] (JSON-RPC
//! `offchain_localStorageSet`, an unsafe method), and after the next imported block read the
//! [`ProbeResponse`] under [`PROBE_RESPONSE_KEY`] (`offchain_localStorageGet`). The offchain
//! worker takes the request atomically, so each is answered once.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use probe::*;

pub mod probe;
#[cfg(test)]
mod tests;

/// Offchain-worker inference: provider nodes run ONNX models through the `cairn-inference` host
/// functions; the node probe lets an operator check that path end to end.
#[frame_support::pallet]
pub mod pallet {
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// Configuration of the inference pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {}

	/// The inference pallet.
	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Answers a pending node probe, if any.
		fn offchain_worker(_block: BlockNumberFor<T>) {
			crate::probe::answer_pending_probe();
		}
	}
}
