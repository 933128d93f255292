//! Checkpoint commitments (no_std): what a receipt commits to about the inside of a run.
//!
//! A model whose graph has checkpoints (see the engine's `graph` module) runs as `n + 1`
//! segments: segment `i` goes from checkpoint `i - 1` (the job's input, for `i = 0`) to
//! checkpoint `i` (the model's outputs, for `i = n`). Leaf `i` is the [`TensorSet::hash`] of
//! segment `i`'s output, so the last leaf is the receipt's output hash. A receipt carries the
//! [`checkpoint_root`] of the leaves; in a dispute each party reveals its leaves, the chain checks
//! them against the root and finds the [`first_divergence`], and a referee re-runs only that
//! segment.
//!
//! [`TensorSet::hash`]: crate::types::TensorSet::hash

use crate::types::{InferenceOutput, TensorSetHash};
use alloc::vec::Vec;
use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sha2::{Digest, Sha256};

/// The most checkpoints a run commits to (so at most `MAX_CHECKPOINTS + 1` leaves).
pub const MAX_CHECKPOINTS: u32 = 16;

/// The checkpoints an honest engine commits to (fewer when a model has fewer cut points). Every
/// checkpoint costs each receipt's run a segment boundary (a layout change, a session call, the
/// hashing of one tensor), while a dispute, which is rare, re-runs one segment: four keep the
/// commitment a small part of a run and a referee's segment about a fifth of one (the trade-off
/// against 8 and 16 is measured in `docs/bench/verification.md`).
pub const CHECKPOINTS: u32 = 4;

/// The most leaves a commitment has: one per segment.
pub const MAX_LEAVES: u32 = MAX_CHECKPOINTS + 1;

/// A run's leaves: one [`TensorSet::hash`](crate::types::TensorSet::hash) per segment output,
/// in order.
pub type Leaves = BoundedVec<TensorSetHash, ConstU32<MAX_LEAVES>>;

/// What a receipt commits to about the inside of its run.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Commitment {
	/// [`checkpoint_root`] of the run's leaves.
	pub root: [u8; 32],
	/// How many leaves (segments) the run had.
	pub leaves: u32,
}

impl Commitment {
	/// The commitment to these leaves.
	pub fn of(leaves: &[TensorSetHash]) -> Self {
		Commitment { root: checkpoint_root(leaves), leaves: leaves.len() as u32 }
	}
}

/// A run that commits to its checkpoints.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct CheckpointedOutput {
	/// The run's result, as an ordinary run reports it.
	pub output: InferenceOutput,
	/// Each segment's output hash, in order: the last is the output hash.
	pub leaves: Leaves,
}

impl CheckpointedOutput {
	/// The receipt's commitment to this run.
	pub fn commitment(&self) -> Commitment {
		Commitment::of(&self.leaves)
	}
}

/// Root of a binary SHA-256 Merkle tree over the leaves, with domain separation: a leaf is
/// hashed as `SHA-256(0x00 ‖ leaf)`, an inner node as `SHA-256(0x01 ‖ left ‖ right)`, and a
/// level's odd last node moves up unchanged. No leaves: all zeros.
pub fn checkpoint_root(leaves: &[TensorSetHash]) -> [u8; 32] {
	let mut level: Vec<[u8; 32]> = leaves
		.iter()
		.map(|leaf| Sha256::new().chain_update([0u8]).chain_update(leaf).finalize().into())
		.collect();
	if level.is_empty() {
		return [0; 32];
	}
	while level.len() > 1 {
		level = level
			.chunks(2)
			.map(|pair| match pair {
				[left, right] => Sha256::new()
					.chain_update([1u8])
					.chain_update(left)
					.chain_update(right)
					.finalize()
					.into(),
				[odd, ..] => *odd,
				[] => [0; 32],
			})
			.collect();
	}
	level[0]
}

/// The first segment whose output differs between two runs' leaves; `None` when they are equal
/// or of different lengths (different checkpoint sets: not the same model).
pub fn first_divergence(a: &[TensorSetHash], b: &[TensorSetHash]) -> Option<u32> {
	if a.len() != b.len() {
		return None;
	}
	a.iter().zip(b).position(|(x, y)| x != y).map(|at| at as u32)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn root_commits_to_every_leaf_and_its_position() {
		let leaves: Vec<TensorSetHash> = (0..5u8).map(|i| [i; 32]).collect();
		let root = checkpoint_root(&leaves);
		for at in 0..leaves.len() {
			let mut changed = leaves.clone();
			changed[at][7] ^= 1;
			assert_ne!(checkpoint_root(&changed), root, "leaf {at}");
		}
		let mut swapped = leaves.clone();
		swapped.swap(0, 1);
		assert_ne!(checkpoint_root(&swapped), root);
		assert_ne!(checkpoint_root(&leaves[..4]), root);
		assert_eq!(checkpoint_root(&[]), [0; 32]);
		// One leaf: its domain-separated hash, never the leaf itself.
		assert_ne!(checkpoint_root(&leaves[..1]), leaves[0]);
	}

	#[test]
	fn divergence_is_the_first_differing_leaf() {
		let a: Vec<TensorSetHash> = (0..4u8).map(|i| [i; 32]).collect();
		let mut b = a.clone();
		assert_eq!(first_divergence(&a, &b), None);
		b[2] = [9; 32];
		b[3] = [9; 32];
		assert_eq!(first_divergence(&a, &b), Some(2));
		assert_eq!(first_divergence(&a, &b[..3]), None);
	}
}
