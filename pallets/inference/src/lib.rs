//! # Inference
//!
//! Cairn's core loop: a builder posts a job (a registered model, an inline input, a fee ceiling,
//! redundancy `k`, a deadline, an execution provider and a tolerance); the chain checks the model
//! and every license upstream of it, holds the fee and assigns `k` providers by a deterministic
//! rule; each assigned provider's offchain worker runs the model with ONNX Runtime through the
//! `cairn-inference` host functions and submits a signed [`Receipt`]; settlement pays the agreeing
//! majority their price and the model's lineage its royalties, slashes providers that disagreed,
//! and refunds the rest of the hold. See `docs/jobs.md`.
//!
//! ## Verification
//!
//! Every receipt commits to the run's checkpoints (a Merkle root of intermediate tensor hashes).
//! Jobs with redundancy `k > 1` compare their providers' outputs; a job run by one provider is
//! audited with probability `AuditRate`, drawn after its receipt is in, and a disagreeing audit
//! is settled by bisecting the two runs' checkpoints down to the one segment of the model's graph
//! a referee re-runs (the [`audit`] module, `docs/verification.md`).
//!
//! ## Sealed jobs
//!
//! A job's input may be sealed: off chain, encrypted, named on chain only by hashes and a size.
//! Only providers with an encryption key are assigned, each granted the content key; the
//! requester delivers it wrapped to each ([`Pallet::deliver_keys`]); providers answer with sealed
//! receipts whose outputs stay off chain, sealed to the requester, or report why they cannot run
//! the job. A key never delivered ends the job `Withheld` with its providers compensated (the
//! [`sealed`] module, `docs/privacy.md`).
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

use frame_support::pallet_macros::import_section;
pub use pallet::*;
pub use probe::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(test)]
mod agreement_tests;
pub mod attest;
pub mod audit;
#[cfg(test)]
mod audit_tests;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod calls;
pub mod commit;
#[cfg(test)]
mod commit_tests;
pub mod comparison;
#[cfg(test)]
mod dispute_tests;
pub mod encryption;
mod errors;
mod events;
mod functions;
#[cfg(test)]
mod integrity_tests;
#[cfg(any(test, feature = "try-runtime"))]
mod invariants;
pub mod sealed;
#[cfg(test)]
mod sealed_tests;
mod settlement;
#[cfg(test)]
mod simulation;
#[cfg(test)]
mod source_tests;
pub use audit::AuditOf;
pub(crate) use audit::AuditStep;
pub(crate) use functions::ReceiptOutput;
pub(crate) use settlement::SettleStep;
#[cfg(test)]
mod job_tests;
#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod mock;
pub mod probe;
pub mod reveal;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;
pub mod worker;

/// The key type of provider keys, which offchain workers sign receipts with.
pub const KEY_TYPE: sp_runtime::KeyTypeId = sp_runtime::KeyTypeId(*b"cinf");

/// Provider keys: sr25519 under [`KEY_TYPE`]; the account of a key is the provider's account.
pub mod crypto {
	use super::KEY_TYPE;
	use sp_runtime::{
		app_crypto::{app_crypto, sr25519},
		traits::Verify,
		MultiSignature, MultiSigner,
	};

	app_crypto!(sr25519, KEY_TYPE);

	/// Signs provider transactions with a [`KEY_TYPE`] key.
	pub struct ProviderAuthId;

	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for ProviderAuthId {
		type RuntimeAppPublic = Public;
		type GenericSignature = sp_core::sr25519::Signature;
		type GenericPublic = sp_core::sr25519::Public;
	}

	impl
		frame_system::offchain::AppCrypto<
			<sp_core::sr25519::Signature as Verify>::Signer,
			sp_core::sr25519::Signature,
		> for ProviderAuthId
	{
		type RuntimeAppPublic = Public;
		type GenericSignature = sp_core::sr25519::Signature;
		type GenericPublic = sp_core::sr25519::Public;
	}
}

/// What the benchmarks need from the pallets this one reads.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Balance> {
	/// Registers a live CPU provider (distinct by `seed`) charging `price` per job, able to run
	/// the model of [`Self::model`]; returns its account.
	fn provider(seed: u32, price: Balance) -> AccountId;

	/// Registers a model with `ancestors` ancestors and `licenses` licensed datasets upstream,
	/// every ancestor and licensor a distinct funded account taking a royalty, whose interface
	/// takes one f32 input `x` `[1, input_len]` and produces one f32 output `y`
	/// `[1, output_len]`; returns its id.
	fn model(input_len: u32, output_len: u32, ancestors: u32, licenses: u32) -> ModelId;
}

/// What the runtime does when an inference job settles, e.g. return the unspent part of its fee
/// to the budget of the agent that requested it.
pub trait OnJobSettled<AccountId, Balance> {
	/// Job `job` of `requester` settled and `refunded` of its fee returned to the requester.
	fn on_job_settled(job: JobId, requester: &AccountId, refunded: Balance);
	/// The most weight one call of [`Self::on_job_settled`] takes.
	fn weight() -> frame_support::weights::Weight;
}

impl<AccountId, Balance> OnJobSettled<AccountId, Balance> for () {
	fn on_job_settled(_job: JobId, _requester: &AccountId, _refunded: Balance) {}

	fn weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
}

/// Balance type of the currency fees are paid in.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

/// A job of a runtime.
pub type JobOf<T> = Job<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// An assignment of a runtime.
pub type AssignmentOf<T> = Assignment<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

/// A receipt commitment of a runtime.
pub type ReceiptCommitmentOf<T> =
	ReceiptCommitment<frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A job spec of a runtime.
pub type JobSpecOf<T> = JobSpec<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A receipt of a runtime.
pub type ReceiptOf<T> = Receipt<
	<T as frame_system::Config>::AccountId,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// Offchain-worker inference jobs with escrowed fees, deterministic assignment, signed receipts
/// and settlement with royalties up the model's lineage; and the node probe.
#[import_section(events::events)]
#[import_section(errors::errors)]
#[import_section(calls::calls)]
#[frame_support::pallet]
// The receipt calls take the run's description and the commitment's salt: eight arguments,
// which the call enum's generated constructors repeat.
#[allow(clippy::too_many_arguments)]
pub mod pallet {
	use super::*;
	use cairn_inference::{
		checkpoints::Leaves, Commitment, ExecutionProvider, RuntimeVersion, TensorSet,
		TensorSetHash,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::{offchain::CreateSignedTransaction, pallet_prelude::*};
	use pallet_compute_registry::{ProviderInspect, ProviderJobs, ProviderKeys, ProviderSlash};
	use pallet_data_licensing::LicenseInspect;
	use pallet_model_provenance::ModelInspect;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	/// The inference pallet.
	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the inference pallet.
	#[pallet::config]
	pub trait Config:
		CreateSignedTransaction<Call<Self>> + frame_system::Config<RuntimeEvent: From<Event<Self>>>
	{
		/// The currency fees are held and paid in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reason, of which [`HoldReason`] is a part.
		type RuntimeHoldReason: From<HoldReason>;

		/// Registered models, their terms and lineage.
		type Models: ModelInspect<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// Compute providers: eligibility, job slots, reputation, heartbeats, encryption keys
		/// and slashing.
		type Providers: ProviderInspect<Self::AccountId, Balance = BalanceOf<Self>>
			+ ProviderJobs<Self::AccountId>
			+ ProviderKeys<Self::AccountId>
			+ ProviderSlash<Self::AccountId, BalanceOf<Self>>;

		/// Data licenses (for models whose terms require a usage license).
		type Licenses: LicenseInspect<Self::AccountId, BlockNumberFor<Self>>;

		/// The crypto provider keys sign with.
		type AuthorityId: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>;

		/// The most providers a request considers: the compute registry's `MaxProviders`.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;

		/// The longest deadline a job may ask for, in blocks.
		#[pallet::constant]
		type MaxDeadline: Get<BlockNumberFor<Self>>;

		/// What a provider whose receipt disagrees with the majority loses of its bond (to the
		/// audit pot, never to the requester).
		#[pallet::constant]
		type WrongResultSlash: Get<BalanceOf<Self>>;

		/// What an assigned party (provider, referee, auditor) that stays silent through a
		/// deadline others met loses of its bond (to the audit pot).
		#[pallet::constant]
		type MissedDeadlineSlash: Get<BalanceOf<Self>>;

		/// How many CPU referees a dispute re-runs a job on (1 to 3; their majority decides).
		#[pallet::constant]
		type DisputeReferees: Get<u32>;

		/// Blocks the referees of a dispute have to answer.
		#[pallet::constant]
		type DisputePeriod: Get<BlockNumberFor<Self>>;

		/// The storage deposit of a job, besides its input and receipts.
		#[pallet::constant]
		type JobDepositBase: Get<BalanceOf<Self>>;

		/// The storage deposit per byte of a job's encoded input.
		#[pallet::constant]
		type JobDepositPerByte: Get<BalanceOf<Self>>;

		/// What each receipt record kept after its job is pruned costs: reserved in the job
		/// deposit for every receipt the job can get, burned for those it got when pruned.
		#[pallet::constant]
		type ReceiptRecordFee: Get<BalanceOf<Self>>;

		/// Blocks a settled job is kept, with its receipts' outputs, before it may be pruned.
		#[pallet::constant]
		type RetentionPeriod: Get<BlockNumberFor<Self>>;

		/// Told of every settled job, after its fee was paid out and the rest refunded.
		type OnJobSettled: OnJobSettled<Self::AccountId, BalanceOf<Self>>;

		/// The probability that a job run by one provider is audited (zero turns audits off).
		#[pallet::constant]
		type AuditRate: Get<sp_runtime::Perbill>;

		/// What a job run by one provider pays into the audit pot when it completes (while
		/// audits are on); its fee ceiling must cover it.
		#[pallet::constant]
		type AuditFee: Get<BalanceOf<Self>>;

		/// What an auditor is paid from the audit pot when its audit passes or it wins the
		/// dispute; only providers priced at most this are drawn as auditors.
		#[pallet::constant]
		type AuditReward: Get<BalanceOf<Self>>;

		/// What the referee of an audit's dispute is paid from the audit pot when its answer
		/// decides it; only providers priced at most this are drawn as referees.
		#[pallet::constant]
		type RefereeReward: Get<BalanceOf<Self>>;

		/// What the party an audit's dispute goes against loses of its bond.
		#[pallet::constant]
		type AuditSlash: Get<BalanceOf<Self>>;

		/// Blocks an auditor has to re-run its job.
		#[pallet::constant]
		type AuditPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks the parties of an audit's dispute have to reveal their checkpoints.
		#[pallet::constant]
		type RevealPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks the referee of an audit's dispute has to answer (the agreed checkpoint it starts
		/// from is posted within them).
		#[pallet::constant]
		type RefereePeriod: Get<BlockNumberFor<Self>>;

		/// The largest blob quota an account may hold a deposit for, in bytes: how much sealed
		/// job data it may keep in one node's blob store (`JobDepositPerByte` per byte).
		#[pallet::constant]
		type MaxBlobQuota: Get<u64>;

		/// Blocks the parties of a sealed job with a float tolerance get, once per phase (the
		/// job, its dispute), to compare their differing outputs and attest agreement before
		/// the job settles or its dispute resolves.
		#[pallet::constant]
		type AgreementWindow: Get<BlockNumberFor<Self>>;

		/// Blocks the committed parties of a redundant job's phase (its providers, its dispute's
		/// referees) have to reveal their receipts once the phase's commit deadline passed with
		/// commitments unrevealed (and at least this long after the last commitment).
		#[pallet::constant]
		type RevealWindow: Get<BlockNumberFor<Self>>;

		/// The id the audit pot's account derives from.
		#[pallet::constant]
		type AuditPotId: Get<frame_support::PalletId>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates the providers and models benchmarks need.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, BalanceOf<Self>>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A job's fee ceiling, until settlement.
		#[codec(index = 0)]
		JobFee,
		/// A job's storage deposit, until the job is pruned.
		#[codec(index = 1)]
		JobDeposit,
		/// The deposit of a segment input posted for an audit's referee, until the audit closes.
		#[codec(index = 2)]
		SegmentInput,
		/// The deposit behind an account's blob quota, while it keeps the quota.
		#[codec(index = 3)]
		BlobQuota,
		/// The deposit behind a blob source an account registered, until it removes it.
		#[codec(index = 4)]
		BlobSource,
	}

	/// The next job id.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// The next receipt id.
	#[pallet::storage]
	pub type NextReceiptId<T: Config> = StorageValue<_, ReceiptId, ValueQuery>;

	/// Jobs by id.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobOf<T>, OptionQuery>;

	/// The input of each live job (removed at settlement; its hash stays in the job).
	#[pallet::storage]
	pub type JobInputs<T: Config> = StorageMap<_, Twox64Concat, JobId, EncodedInput, OptionQuery>;

	/// Live jobs by assigned provider or referee that has not answered, for offchain workers to
	/// find their work.
	#[pallet::storage]
	pub type AssignedJobs<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, (), OptionQuery>;

	/// Live jobs by the last block they accept receipts in; settled (or their dispute opened or
	/// resolved) in the block after.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, ConstU32<MAX_JOBS_PER_DEADLINE>>,
		ValueQuery,
	>;

	/// Receipts by id (kept when their job is pruned: they are the provenance of every result).
	#[pallet::storage]
	pub type Receipts<T: Config> =
		StorageMap<_, Twox64Concat, ReceiptId, ReceiptOf<T>, OptionQuery>;

	/// The outputs of each receipt (removed when its job is pruned; the output hash stays).
	#[pallet::storage]
	pub type ReceiptOutputs<T: Config> =
		StorageMap<_, Twox64Concat, ReceiptId, EncodedOutputs, OptionQuery>;

	/// Receipts by model file hash.
	#[pallet::storage]
	pub type ReceiptsByModel<T: Config> = StorageDoubleMap<
		_,
		Identity,
		cairn_inference::ModelHash,
		Twox64Concat,
		ReceiptId,
		(),
		OptionQuery,
	>;

	/// Receipts by provider.
	#[pallet::storage]
	pub type ReceiptsByProvider<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		ReceiptId,
		(),
		OptionQuery,
	>;

	/// The checkpoint commitment of each receipt (kept with the receipt record).
	#[pallet::storage]
	pub type ReceiptCheckpoints<T: Config> =
		StorageMap<_, Twox64Concat, ReceiptId, Commitment, OptionQuery>;

	/// Audits of single-provider jobs: queued for the draw, going, or closed (until the job is
	/// pruned).
	#[pallet::storage]
	pub type Audits<T: Config> = StorageMap<_, Twox64Concat, JobId, AuditOf<T>, OptionQuery>;

	/// Audit draws by block: each single-provider job completed in that block, drawn in the
	/// block after (from that block's hash, unknown when its receipt was signed).
	#[pallet::storage]
	pub type AuditDraws<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, ConstU32<MAX_AUDIT_DRAWS_PER_BLOCK>>,
		ValueQuery,
	>;

	/// Audit steps by block: the deadline of an audit's stage or a deferred search for an
	/// auditor (and, before spec 113, the draws); taken in the block after.
	#[pallet::storage]
	pub type AuditDeadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, ConstU32<MAX_AUDIT_STEPS_PER_BLOCK>>,
		ValueQuery,
	>;

	/// What each provider has to do for live audits (re-run, reveal, post a checkpoint, referee),
	/// for offchain workers to find.
	#[pallet::storage]
	pub type AuditTasks<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, (), OptionQuery>;

	/// The checkpoint leaves each party of an audit's dispute revealed (removed at closing).
	#[pallet::storage]
	pub type RevealedLeaves<T: Config> =
		StorageDoubleMap<_, Twox64Concat, JobId, Twox64Concat, AuditParty, Leaves, OptionQuery>;

	/// The agreed checkpoint a dispute's referee re-runs from, as posted (removed at closing).
	#[pallet::storage]
	pub type SegmentInputs<T: Config> =
		StorageMap<_, Twox64Concat, JobId, SegmentInput<T::AccountId, BalanceOf<T>>, OptionQuery>;

	/// The sealed input of each sealed job (removed when the job is pruned).
	#[pallet::storage]
	pub type SealedInputs<T: Config> =
		StorageMap<_, Twox64Concat, JobId, cairn_inference::seal::SealedInput, OptionQuery>;

	/// The parties of each sealed job that may open its content key, with the key wrapped to
	/// each once its requester delivered it (removed when the job is pruned).
	#[pallet::storage]
	pub type KeyGrants<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		KeyGrant<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// The sealed outputs of each receipt of a sealed job (removed when its job is pruned; the
	/// output hash stays in the receipt).
	#[pallet::storage]
	pub type SealedOutputs<T: Config> =
		StorageMap<_, Twox64Concat, ReceiptId, cairn_inference::seal::SealedOutput, OptionQuery>;

	/// The unpruned jobs that name each sealed blob (as input, or as a receipt's outputs): a
	/// node keeps a blob while any does (removed when the job is pruned).
	#[pallet::storage]
	pub type BlobUses<T: Config> = StorageDoubleMap<
		_,
		Identity,
		cairn_inference::seal::BlobHash,
		Twox64Concat,
		JobId,
		(),
		OptionQuery,
	>;

	/// Why an assigned party could not run a sealed job, as it reported (removed when the job is
	/// pruned).
	#[pallet::storage]
	pub type UnusableReports<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		cairn_inference::seal::UnusableReason,
		OptionQuery,
	>;

	/// Where each account says a sealed blob can be fetched besides nodes' blob stores (an IPFS
	/// CID, URLs); nodes use the sources of the requesters of the jobs that name the blob.
	#[pallet::storage]
	pub type BlobSources<T: Config> = StorageDoubleMap<
		_,
		Identity,
		cairn_inference::seal::BlobHash,
		Blake2_128Concat,
		T::AccountId,
		BlobSource<BalanceOf<T>>,
		OptionQuery,
	>;

	/// The parties whose sealed outputs each answering party of a sealed job attested agree with
	/// its own under the job's tolerance (removed when the job is pruned).
	#[pallet::storage]
	pub type AgreementAttestations<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
		OptionQuery,
	>;

	/// The block at which the agreement window of a sealed job's current phase closes (removed
	/// when a dispute opens, which gets a window of its own, and when the job is pruned).
	#[pallet::storage]
	pub type AgreementWindows<T: Config> =
		StorageMap<_, Twox64Concat, JobId, BlockNumberFor<T>, OptionQuery>;

	/// The audit fee and deferrals of each completed single-provider job whose audit draw is
	/// pending or whose drawn audit is looking for an auditor.
	#[pallet::storage]
	pub type PendingDraws<T: Config> =
		StorageMap<_, Twox64Concat, JobId, PendingDraw<BalanceOf<T>>, OptionQuery>;

	/// Each party's commitment to its receipt in a redundant job's current phase, made before
	/// any receipt of the phase is visible (removed when the job settles or its dispute opens).
	#[pallet::storage]
	pub type ReceiptCommitments<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		ReceiptCommitmentOf<T>,
		OptionQuery,
	>;

	/// The block at which the reveal phase of a redundant job's current phase opened: every
	/// party committed, or its deadline passed (removed when the job settles or its dispute
	/// opens).
	#[pallet::storage]
	pub type RevealPhases<T: Config> =
		StorageMap<_, Twox64Concat, JobId, BlockNumberFor<T>, OptionQuery>;

	/// Each account's blob quota: how many bytes of sealed job data it may keep in a node's blob
	/// store, and the deposit held for it.
	#[pallet::storage]
	pub type BlobQuotas<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlobQuota<BalanceOf<T>>, OptionQuery>;

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			// A block's audit draws come from the single-provider jobs it settles, each by a
			// receipt of at least the lightest settling receipt's weight: fewer than the draw
			// queue of a block holds, so no one can fill it to keep a receipt undrawn.
			let weights = <T as frame_system::Config>::BlockWeights::get();
			let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
			// A class without its own limit is bounded by the block's.
			let room = normal.max_total.unwrap_or(weights.max_block);
			let lightest = Self::receipt_weight(0, 1, Some((0, 0)))
				.min(Self::sealed_receipt_weight(1, Some((0, 0))));
			let settled = room.ref_time() / lightest.ref_time().max(1);
			assert!(
				settled < u64::from(MAX_AUDIT_DRAWS_PER_BLOCK),
				"a block can settle {settled} single-provider jobs, more than its draw queue holds"
			);
		}

		/// Settles the jobs whose deadline was the previous block: pays a majority, opens a
		/// dispute where none formed, or resolves a dispute by its referees' answers.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = now.saturating_sub(One::one());
			let jobs = Deadlines::<T>::take(due);
			let mut settled = 0u32;
			let mut weight = Weight::zero();
			// Every step but `Nothing` may end a job and tell `OnJobSettled`.
			let hook = T::OnJobSettled::weight();
			let draws = AuditDraws::<T>::take(due);
			for job in draws.into_iter().chain(AuditDeadlines::<T>::take(due)) {
				weight.saturating_accrue(match Self::step_audit(job) {
					AuditStep::NotDrawn => T::WeightInfo::draw_audit(),
					AuditStep::AuditorSought { scanned } => T::WeightInfo::open_audit(scanned),
					AuditStep::TimedOut => T::WeightInfo::close_audit_at_deadline(),
					AuditStep::Nothing => Weight::zero(),
				});
			}
			for job in jobs {
				match Self::settle_due(job) {
					SettleStep::Settled { attestations_read } => {
						settled += 1;
						weight.saturating_accrue(hook);
						if attestations_read > 0 {
							// Bounded by the window's reads of receipts and attestations.
							weight.saturating_accrue(T::WeightInfo::open_agreement_window(
								attestations_read,
							));
						}
					},
					SettleStep::RevealWindowOpened { parties } => {
						weight.saturating_accrue(T::WeightInfo::open_reveal_window(parties))
					},
					SettleStep::AgreementWindowOpened { compared } => {
						weight.saturating_accrue(T::WeightInfo::open_agreement_window(compared))
					},
					SettleStep::RefereesSought { scanned } => weight.saturating_accrue(
						T::WeightInfo::open_dispute(scanned).saturating_add(hook),
					),
					SettleStep::DisputeResolved => weight
						.saturating_accrue(T::WeightInfo::resolve_dispute().saturating_add(hook)),
					SettleStep::Nothing => {},
				}
			}
			weight.saturating_add(T::WeightInfo::on_initialize(settled))
		}

		/// Runs the jobs assigned to this node's provider keys and answers a pending node probe.
		fn offchain_worker(now: BlockNumberFor<T>) {
			crate::probe::answer_pending_probe();
			crate::worker::run::<T>(now);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	use sp_runtime::traits::{One, Saturating};
}
