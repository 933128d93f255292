//! # Model provenance
//!
//! Models are registered by the SHA-256 of their file (exactly what a Cairn node's model store
//! verifies before loading it) with an optional IPFS CIDv1, an ONNX interface, the owner's
//! [`InferenceTerms`], typed parent edges ([`EdgeKind`]) and the datasets used in making them,
//! each under a license of the registrant that the chain checks at the registration block through
//! [`pallet_data_licensing::LicenseInspect`]. Researchers can then answer from the chain alone
//! where a model came from, on what data, under which licenses, and whether all of that is still
//! valid.
//!
//! The lineage graph is acyclic by construction: parents must exist when a child is registered,
//! so every edge points to an older model. Each model keeps its [`Upstream`], every ancestor and
//! every license of weight-shaping data above it, deduplicated and computed once from its
//! parents' upstream sets: lineage checks and royalty splits read one record plus one per
//! license instead of walking the graph, and revoking a model writes only that model, while its
//! descendants see it through their upstream.
//!
//! Storage is paid for: a model holds [`Config::ModelDepositBase`] plus
//! [`Config::DepositPerByte`] for each byte it stores; an evaluation holds
//! [`Config::EvaluationDeposit`] until it is withdrawn.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use traits::{ModelInspect, ReceiptInspect};
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod bench_lineage;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
mod lineage;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod traits;
pub mod types;
pub mod weights;

/// Balance type of the currency deposits are held in.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

/// A model record of a runtime.
pub type ModelOf<T> = Model<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// The upstream set of a model of a runtime.
pub type UpstreamOf<T> = Upstream<<T as frame_system::Config>::AccountId>;

/// An evaluation of a runtime.
pub type EvaluationOf<T> = Evaluation<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// Inference terms of a runtime.
pub type TermsOf<T> = InferenceTerms<BalanceOf<T>>;

/// A model registered at genesis: owner, file, name, interface, terms, parents, data.
pub type GenesisModelOf<T> = (
	<T as frame_system::Config>::AccountId,
	ModelFile,
	ModelName,
	ModelInterface,
	TermsOf<T>,
	Parents,
	DataUses,
);

/// Model provenance: models by content hash with typed, license-checked lineage, evaluations,
/// deprecation and revocation, and the lineage queries other pallets and researchers use.
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use pallet_data_licensing::{
		CommitmentProblem, ContentCommitments, DatasetId, DatasetInspect, LicenseId,
		LicenseInspect, RegistrationKind,
	};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of model provenance.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency deposits are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reason, of which [`HoldReason`] is a part.
		type RuntimeHoldReason: From<HoldReason>;

		/// Validity of data licenses.
		type Licenses: LicenseInspect<Self::AccountId, BlockNumberFor<Self>>;

		/// Dataset owners and license royalties.
		type Datasets: DatasetInspect<Self::AccountId>;

		/// Inference receipts evaluations may cite.
		type Receipts: ReceiptInspect;

		/// Registration commitments: a model is registered only with its registrant's
		/// commitment to the file, made in an earlier block.
		type Commitments: ContentCommitments<Self::AccountId>;

		/// The origin that reassigns a model shown to be squatted (governance).
		type ReassignOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The longest parent chain above a model.
		#[pallet::constant]
		type MaxLineageDepth: Get<u32>;

		/// The fixed part of a model's deposit.
		#[pallet::constant]
		type ModelDepositBase: Get<BalanceOf<Self>>;

		/// The deposit for each byte a model stores (its record and upstream set).
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// The deposit of an evaluation, returned when it is withdrawn.
		#[pallet::constant]
		type EvaluationDeposit: Get<BalanceOf<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Creates the licenses and receipts benchmarks need.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: traits::BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Storage deposit of a model.
		#[codec(index = 0)]
		ModelDeposit,
		/// Storage deposit of an evaluation.
		#[codec(index = 1)]
		EvaluationDeposit,
		/// Storage deposit of a model's URIs.
		#[codec(index = 2)]
		SourcesDeposit,
	}

	/// The next model id.
	#[pallet::storage]
	pub type NextModelId<T: Config> = StorageValue<_, ModelId, ValueQuery>;

	/// Models by id.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelOf<T>, OptionQuery>;

	/// Model ids by the SHA-256 of their file (each file registered once).
	#[pallet::storage]
	pub type ModelByHash<T: Config> = StorageMap<_, Identity, ModelHash, ModelId, OptionQuery>;

	/// Everything upstream of each model: ancestors and weight-shaping data licenses.
	#[pallet::storage]
	pub type Upstreams<T: Config> =
		StorageMap<_, Twox64Concat, ModelId, UpstreamOf<T>, OptionQuery>;

	/// Revoked models, a bit per model id: the entry `k` holds ids `k * 1024 ..= k * 1024 +
	/// 1023`. With [`RevokedChunks`], a lineage's revoked ancestors are found in a read or two
	/// however many ancestors it has. Revocation is final, so bits are only ever set.
	#[pallet::storage]
	pub type RevokedModels<T: Config> =
		StorageMap<_, Twox64Concat, u64, RevocationBits, OptionQuery>;

	/// Which entries of [`RevokedModels`] exist, a bit per entry: the entry `g` holds entries
	/// `g * 1024 ..= g * 1024 + 1023` (model ids below 2^20 share one).
	#[pallet::storage]
	pub type RevokedChunks<T: Config> =
		StorageMap<_, Twox64Concat, u64, RevocationBits, OptionQuery>;

	/// The children of each model with the edge kind, for listing descendants page by page.
	#[pallet::storage]
	pub type Children<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Twox64Concat, ModelId, EdgeKind, OptionQuery>;

	/// The next evaluation id.
	#[pallet::storage]
	pub type NextEvaluationId<T: Config> = StorageValue<_, EvaluationId, ValueQuery>;

	/// Evaluations by model and id.
	#[pallet::storage]
	pub type Evaluations<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ModelId,
		Twox64Concat,
		EvaluationId,
		EvaluationOf<T>,
		OptionQuery,
	>;

	/// The URIs a model's file can be fetched from besides its CID, by model.
	#[pallet::storage]
	pub type Sources<T: Config> =
		StorageMap<_, Twox64Concat, ModelId, ModelSources<BalanceOf<T>>, OptionQuery>;

	/// Events of model provenance.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered.
		ModelRegistered {
			/// Its id.
			model: ModelId,
			/// Its owner.
			owner: T::AccountId,
			/// SHA-256 of its file.
			sha256: ModelHash,
			/// Its parents with edge kinds.
			parents: Parents,
			/// The deposit held.
			deposit: BalanceOf<T>,
		},
		/// An evaluation was attested.
		EvaluationAttested {
			/// The model.
			model: ModelId,
			/// The evaluation's id.
			evaluation: EvaluationId,
			/// The evaluator.
			evaluator: T::AccountId,
			/// The metric.
			metric: MetricName,
			/// Its value in millionths.
			value_micro: i64,
		},
		/// An evaluation was withdrawn and its deposit returned.
		EvaluationWithdrawn {
			/// The model.
			model: ModelId,
			/// The evaluation.
			evaluation: EvaluationId,
		},
		/// A model was deprecated.
		ModelDeprecated {
			/// The model.
			model: ModelId,
			/// The model to use instead, if any.
			successor: Option<ModelId>,
		},
		/// A model was revoked: no jobs, no derivatives; its descendants report it upstream.
		ModelRevoked {
			/// The model.
			model: ModelId,
			/// The reason (UTF-8).
			reason: RevocationReason,
		},
		/// A model's URIs were set (an empty list removes them and releases their deposit).
		ModelSourcesSet {
			/// The model.
			model: ModelId,
			/// The URIs, in the order nodes try them.
			uris: ModelUris,
			/// The deposit now held for them.
			deposit: BalanceOf<T>,
		},
		/// Governance gave a squatted model to its rightful owner: the squatter's deposit was
		/// burned and its URIs removed (their deposit returned).
		ModelReassigned {
			/// The model.
			model: ModelId,
			/// The owner before.
			from: T::AccountId,
			/// The owner now, who holds the deposit.
			to: T::AccountId,
			/// The deposit burned from `from`.
			forfeited: BalanceOf<T>,
		},
		/// A descendant's record of an ancestor's owner was brought up to date: royalties on the
		/// descendant's jobs go to the ancestor's owner now.
		AncestorOwnerRefreshed {
			/// The descendant.
			model: ModelId,
			/// The ancestor.
			ancestor: ModelId,
			/// The ancestor's owner now.
			owner: T::AccountId,
		},
	}

	/// Errors of model provenance.
	#[pallet::error]
	pub enum Error<T> {
		/// A model with this file hash is registered already.
		DuplicateModelHash,
		/// A file size of zero bytes.
		EmptyFile,
		/// The CID is not a binary CIDv1 with a known multihash and a digest of the right length.
		InvalidCid,
		/// A name that is empty or not UTF-8.
		InvalidName,
		/// An opset of zero.
		InvalidOpset,
		/// An interface without inputs or outputs, or with a tensor name that is empty, not
		/// UTF-8 or listed twice.
		InvalidInterface,
		/// A royalty above 10 000 basis points.
		RoyaltyTooHigh,
		/// The terms require a license of a dataset that does not exist.
		UnknownRequiredDataset,
		/// A parent that does not exist.
		UnknownParent,
		/// A parent that is revoked.
		ParentRevoked,
		/// The same parent listed twice.
		DuplicateParent,
		/// `MergedFrom` listed for a single parent: a merge has two or more.
		MergeNeedsTwoParents,
		/// A single-parent edge kind (`FineTunedFrom`, `QuantizedFrom`, `AdapterOf`,
		/// `ConvertedFrom`) listed twice.
		RepeatedSingleParentKind,
		/// A parent whose owner allows no derivatives by others.
		DerivativesNotAllowed,
		/// A parent whose owner allows only conversions and quantizations by others.
		OnlyConversionsAllowed,
		/// The new model would sit deeper than `MaxLineageDepth` below a root.
		LineageTooDeep,
		/// The new model would have more than `MaxAncestors` ancestors.
		TooManyAncestors,
		/// The new model's lineage would hold more than `MaxUpstreamLicenses` data licenses.
		TooManyUpstreamLicenses,
		/// A license that does not exist.
		UnknownLicense,
		/// A license of another dataset than the one it is listed with.
		LicenseDatasetMismatch,
		/// A license the caller does not hold.
		NotLicenseHolder,
		/// A license whose validity has not started.
		LicenseNotYetValid,
		/// A license that has expired.
		LicenseExpired,
		/// A license that has been revoked.
		LicenseRevoked,
		/// A license whose terms do not allow the use (training, fine-tuning or evaluation).
		LicenseUseNotAllowed,
		/// The same license listed twice.
		DuplicateLicense,
		/// No such model.
		UnknownModel,
		/// The caller does not own the model.
		NotOwner,
		/// The model is revoked.
		ModelRevoked,
		/// The model is deprecated already.
		AlreadyDeprecated,
		/// A successor that is the model itself, unknown or revoked.
		InvalidSuccessor,
		/// A revocation reason that is empty or not UTF-8.
		InvalidReason,
		/// A URI that is not UTF-8 `http://`, `https://` or `ipfs://` with something after the
		/// scheme, or that holds spaces or control characters.
		InvalidUri,
		/// The same URI listed twice.
		DuplicateUri,
		/// A metric name that is empty or not UTF-8.
		InvalidMetric,
		/// A cited receipt that does not exist.
		UnknownReceipt,
		/// A cited receipt of another model.
		ReceiptOfOtherModel,
		/// The same receipt cited twice.
		DuplicateReceipt,
		/// No such evaluation of this model.
		UnknownEvaluation,
		/// The caller did not attest this evaluation.
		NotEvaluator,
		/// The account cannot hold the deposit.
		CannotHoldDeposit,
		/// An id counter is exhausted.
		IdsExhausted,
		/// The caller made no commitment to registering this file
		/// (`DataLicensing::commit_registration` with the `Model` kind first).
		NotCommitted,
		/// The caller's commitment to this file was made in this block: register in a later
		/// one.
		CommitmentTooRecent,
		/// The model is owned by that account already.
		AlreadyOwner,
		/// The model is not an ancestor of the descendant named.
		NotAnAncestor,
		/// The descendant's record of the ancestor's owner is up to date.
		OwnerUpToDate,
	}

	/// Models registered at genesis (a development chain's demo lineage).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(owner, file, name, interface, terms, parents, data)` of each model, registered in
		/// order (ids from 0) with every check and deposit of `register_model`; parents must
		/// come earlier in the list.
		pub models: alloc::vec::Vec<GenesisModelOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (owner, file, name, interface, terms, parents, data) in &self.models {
				let registered = Pallet::<T>::do_register_model(
					owner.clone(),
					file.clone(),
					name.clone(),
					interface.clone(),
					terms.clone(),
					parents.clone(),
					data.clone(),
				);
				if let Err(error) = registered {
					// A genesis that cannot be built must not start a chain.
					panic!("model provenance genesis: model {:?}: {error:?}", file.sha256);
				}
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				<MaxAncestors as Get<u32>>::get() >= T::MaxLineageDepth::get(),
				"a chain of MaxLineageDepth models must fit in MaxAncestors"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::extra_constants]
	impl<T: Config> Pallet<T> {
		/// The most parents a model lists.
		#[pallet::constant_name(MaxParents)]
		fn max_parents() -> u32 {
			<MaxParents as Get<u32>>::get()
		}

		/// The most datasets a model lists.
		#[pallet::constant_name(MaxDataUses)]
		fn max_data_uses() -> u32 {
			<MaxDataUses as Get<u32>>::get()
		}

		/// The most ancestors a model has, each counted once.
		#[pallet::constant_name(MaxAncestors)]
		fn max_ancestors() -> u32 {
			<MaxAncestors as Get<u32>>::get()
		}

		/// The most licenses of weight-shaping data in a model's lineage, each counted once.
		#[pallet::constant_name(MaxUpstreamLicenses)]
		fn max_upstream_licenses() -> u32 {
			<MaxUpstreamLicenses as Get<u32>>::get()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a model, holding its deposit from the caller, who becomes its owner.
		///
		/// Origin must be signed, by an account that committed to registering the file
		/// (`DataLicensing::commit_registration` with the `Model` kind) in an earlier block; the
		/// commitment is used and its deposit returned. Whoever sees the registration in the
		/// transaction pool is too late to commit to the file and register it first.
		///
		/// - `file`: SHA-256 (not registered before), optional CIDv1, size in bytes (> 0).
		/// - `name`: UTF-8, not empty.
		/// - `interface`: format, opset (> 0), inputs and outputs (at least one each, names
		///   unique and UTF-8).
		/// - `terms`: price floor, royalty (≤ 10 000 bps), derivative policy, required license.
		/// - `parents`: existing, unrevoked models whose derivative policy admits the caller
		///   and the edge; `MergedFrom` for two or more, single-parent kinds once.
		/// - `data`: datasets with the caller's licenses, each valid now for its purpose.
		///
		/// Emits `ModelRegistered`.
		///
		/// Weight: O(p + d) in parents and datasets, each parent's upstream set bounded.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model(parents.len() as u32, data.len() as u32))]
		pub fn register_model(
			origin: OriginFor<T>,
			file: ModelFile,
			name: ModelName,
			interface: ModelInterface,
			terms: TermsOf<T>,
			parents: Parents,
			data: DataUses,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let sha256 = file.sha256;
			Self::do_register_model(who.clone(), file, name, interface, terms, parents, data)?;
			T::Commitments::take(RegistrationKind::Model, &who, &sha256).map_err(|problem| {
				match problem {
					CommitmentProblem::Missing => Error::<T>::NotCommitted,
					CommitmentProblem::TooRecent => Error::<T>::CommitmentTooRecent,
				}
			})?;
			Ok(())
		}

		/// Attest an evaluation result of a model, holding `EvaluationDeposit`.
		///
		/// Origin must be signed; the caller is the evaluator.
		///
		/// - `model`: not revoked.
		/// - `dataset`, `license`: the evaluation data and the caller's license of it, valid now
		///   and allowing evaluation.
		/// - `metric`: UTF-8, not empty; `value_micro`: its value in millionths.
		/// - `receipts`: inference receipts of this model the result was computed from, each
		///   once.
		///
		/// Emits `EvaluationAttested`.
		///
		/// Weight: O(r) in receipts.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::attest_evaluation(receipts.len() as u32))]
		pub fn attest_evaluation(
			origin: OriginFor<T>,
			model: ModelId,
			dataset: DatasetId,
			license: LicenseId,
			metric: MetricName,
			value_micro: i64,
			receipts: BoundedVec<ReceiptId, MaxEvaluationReceipts>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_attest_evaluation(who, model, dataset, license, metric, value_micro, receipts)
				.map(|_| ())
		}

		/// Withdraw an evaluation, releasing its deposit.
		///
		/// Origin must be signed by the evaluator.
		///
		/// Emits `EvaluationWithdrawn`.
		///
		/// Weight: O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw_evaluation())]
		pub fn withdraw_evaluation(
			origin: OriginFor<T>,
			model: ModelId,
			evaluation: EvaluationId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_evaluation(&who, model, evaluation)
		}

		/// Deprecate a model, optionally naming its successor. It keeps running and accepting
		/// derivatives.
		///
		/// Origin must be signed by the owner of a model that is neither revoked nor deprecated.
		///
		/// - `successor`: another existing, unrevoked model.
		///
		/// Emits `ModelDeprecated`.
		///
		/// Weight: O(1).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::deprecate_model())]
		pub fn deprecate_model(
			origin: OriginFor<T>,
			model: ModelId,
			successor: Option<ModelId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deprecate_model(&who, model, successor)
		}

		/// Revoke a model: no new jobs or derivatives; every descendant reports it upstream.
		/// Only the model's own record is written.
		///
		/// Origin must be signed by the owner of a model not revoked already.
		///
		/// - `reason`: UTF-8, not empty.
		///
		/// Emits `ModelRevoked`.
		///
		/// Weight: O(1).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::revoke_model())]
		pub fn revoke_model(
			origin: OriginFor<T>,
			model: ModelId,
			reason: RevocationReason,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_revoke_model(&who, model, reason)
		}

		/// Set where a model's file can be fetched besides its CID: URIs that provider nodes
		/// lacking the model try, in this order, after their IPFS gateways. Whatever a URI serves
		/// is checked against the registered size and SHA-256 before it is used. Replaces the
		/// URIs set before; an empty list removes them.
		///
		/// Origin must be signed by the owner of a model that is not revoked.
		///
		/// - `uris`: at most `MAX_URIS`, each `http://`, `https://` or `ipfs://`, none twice.
		///
		/// Holds `DepositPerByte` for each byte stored (the difference from before is held or
		/// released). Emits `ModelSourcesSet`.
		///
		/// Weight: O(1) (bounded URIs).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_model_sources())]
		pub fn set_model_sources(
			origin: OriginFor<T>,
			model: ModelId,
			uris: ModelUris,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_model_sources(&who, model, uris)
		}

		/// Give a model shown to be squatted (registered by someone who does not own the file)
		/// to `new_owner`: the squatter's deposit is burned, as much is held from `new_owner`,
		/// the squatter's URIs are removed (their deposit returned), and the model's terms and
		/// royalties belong to `new_owner` from now on. Descendants registered before pay their
		/// royalties to `new_owner` once `refresh_ancestor_owner` has updated them.
		///
		/// Origin must be `ReassignOrigin` (governance).
		///
		/// Emits `ModelReassigned`.
		///
		/// Weight: O(1).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reassign_model())]
		pub fn reassign_model(
			origin: OriginFor<T>,
			model: ModelId,
			new_owner: T::AccountId,
		) -> DispatchResult {
			T::ReassignOrigin::ensure_origin(origin)?;
			Self::do_reassign_model(model, new_owner)
		}

		/// Bring `model`'s record of its ancestor `ancestor`'s owner up to date (after a
		/// reassignment), so that royalties on `model`'s jobs go to the owner now.
		///
		/// Origin must be signed (by anyone; the new owner has the reason to).
		///
		/// Emits `AncestorOwnerRefreshed`.
		///
		/// Weight: O(1) (the upstream set is bounded by `MaxAncestors`).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::refresh_ancestor_owner())]
		pub fn refresh_ancestor_owner(
			origin: OriginFor<T>,
			model: ModelId,
			ancestor: ModelId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_refresh_ancestor_owner(model, ancestor)
		}
	}
}
