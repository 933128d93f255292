//! How other pallets use model provenance, and what it asks of them.

use super::*;
use alloc::vec::Vec;
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_data_licensing::LicenseUse;

/// Facts about models for pallets that run or pay for them (the inference pallet).
pub trait ModelInspect<AccountId, Balance, BlockNumber> {
	/// Whether `model` exists.
	fn exists(model: ModelId) -> bool;

	/// Whether `model` exists and is not revoked (deprecated models are active).
	fn is_active(model: ModelId) -> bool;

	/// SHA-256 of `model`'s file.
	fn content_hash(model: ModelId) -> Option<ModelHash>;

	/// The owner of `model`.
	fn owner(model: ModelId) -> Option<AccountId>;

	/// The interface (format, opset, tensors) of `model`.
	fn interface(model: ModelId) -> Option<ModelInterface>;

	/// The size of `model`'s file in bytes.
	fn size_bytes(model: ModelId) -> Option<u64>;

	/// Where `model`'s file can be fetched and how to know it: its SHA-256, size, CID and URIs
	/// (`needed_by` left to the caller).
	fn source(model: ModelId) -> Option<cairn_inference::ModelSource>;

	/// The owner's inference terms of `model`.
	fn terms(model: ModelId) -> Option<InferenceTerms<Balance>>;

	/// Who is owed royalties on an inference of `model`, each once: its owner, every ancestor's
	/// owner and every licensor of weight-shaping data upstream.
	fn royalty_recipients(model: ModelId) -> Vec<RoyaltyRecipient<AccountId>>;

	/// How many ancestors and upstream data licenses `model` has, in that order: what checking
	/// and paying its lineage costs. `(0, 0)` for an unknown model.
	fn lineage_size(model: ModelId) -> (u32, u32);

	/// The first reason `model` may not be used for `use_` at block `at`: revoked itself, an
	/// ancestor revoked, or an upstream license invalid or not allowing `use_`. `None` when its
	/// lineage is clean; [`LineageProblem::Revoked`] for an unknown model.
	fn upstream_problem(
		model: ModelId,
		use_: LicenseUse,
		at: BlockNumber,
	) -> Option<LineageProblem>;
}

/// Inference receipts as the pallet that stores them knows them.
pub trait ReceiptInspect {
	/// The SHA-256 of the model a receipt ran, or `None` for an unknown receipt.
	fn model_of(receipt: ReceiptId) -> Option<ModelHash>;
}

/// No receipts: every cited receipt is unknown (for runtimes without an inference pallet).
impl ReceiptInspect for () {
	fn model_of(_receipt: ReceiptId) -> Option<ModelHash> {
		None
	}
}

/// Creates what the benchmarks need in the pallets this one reads.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A new dataset (content hash from `seed`) and a perpetual license of it held by `holder`
	/// allowing every use, with a royalty.
	fn licensed_dataset(
		holder: &AccountId,
		seed: u32,
	) -> (pallet_data_licensing::DatasetId, pallet_data_licensing::LicenseId);

	/// A receipt of a run of the model with file hash `model`, or `None` where the runtime
	/// stores no receipts.
	fn receipt(model: ModelHash, seed: u32) -> Option<ReceiptId>;
}

impl<T: Config> ModelInspect<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn exists(model: ModelId) -> bool {
		Models::<T>::contains_key(model)
	}

	fn is_active(model: ModelId) -> bool {
		Models::<T>::get(model).is_some_and(|m| !matches!(m.status, ModelStatus::Revoked { .. }))
	}

	fn content_hash(model: ModelId) -> Option<ModelHash> {
		Models::<T>::get(model).map(|m| m.file.sha256)
	}

	fn owner(model: ModelId) -> Option<T::AccountId> {
		Models::<T>::get(model).map(|m| m.owner)
	}

	fn interface(model: ModelId) -> Option<ModelInterface> {
		Models::<T>::get(model).map(|m| m.interface)
	}

	fn size_bytes(model: ModelId) -> Option<u64> {
		Models::<T>::get(model).map(|m| m.file.size_bytes)
	}

	fn source(model: ModelId) -> Option<cairn_inference::ModelSource> {
		let file = Models::<T>::get(model)?.file;
		Some(cairn_inference::ModelSource {
			sha256: file.sha256,
			size_bytes: file.size_bytes,
			// Both are bounded at 96 bytes.
			cid: file.cid.and_then(|cid| cid.into_inner().try_into().ok()),
			uris: Sources::<T>::get(model).map(|sources| sources.uris).unwrap_or_default(),
			needed_by: None,
		})
	}

	fn terms(model: ModelId) -> Option<TermsOf<T>> {
		Models::<T>::get(model).map(|m| m.terms)
	}

	fn royalty_recipients(model: ModelId) -> Vec<RoyaltyRecipient<T::AccountId>> {
		Self::royalties(model)
	}

	fn lineage_size(model: ModelId) -> (u32, u32) {
		Upstreams::<T>::get(model)
			.map_or((0, 0), |u| (u.ancestors.len() as u32, u.licenses.len() as u32))
	}

	fn upstream_problem(
		model: ModelId,
		use_: LicenseUse,
		at: BlockNumberFor<T>,
	) -> Option<LineageProblem> {
		Self::problems(model, Some(use_), at, true)
			.map_or(Some(LineageProblem::Revoked), |p| p.into_iter().next())
	}
}
