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
pub mod comparison;
#[cfg(test)]
mod dispute_tests;
pub mod encryption;
mod functions;
#[cfg(any(test, feature = "try-runtime"))]
mod invariants;
pub mod sealed;
#[cfg(test)]
mod sealed_tests;
pub use audit::AuditOf;
pub(crate) use audit::AuditStep;
pub(crate) use functions::{ReceiptOutput, SettleStep};
#[cfg(test)]
mod job_tests;
#[cfg(test)]
mod key_tests;
#[cfg(test)]
mod mock;
pub mod probe;
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

/// A job spec of a runtime.
pub type JobSpecOf<T> = JobSpec<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A receipt of a runtime.
pub type ReceiptOf<T> = Receipt<
	<T as frame_system::Config>::AccountId,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// Offchain-worker inference jobs with escrowed fees, deterministic assignment, signed receipts
/// and settlement with royalties up the model's lineage; and the node probe.
#[frame_support::pallet]
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

		/// What a provider whose receipt disagrees with the majority loses to the requester.
		#[pallet::constant]
		type WrongResultSlash: Get<BalanceOf<Self>>;

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

	/// Audit steps by block: the draw of a job completed in that block, or the deadline of an
	/// audit's stage; taken in the block after.
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

	/// Each account's blob quota: how many bytes of sealed job data it may keep in a node's blob
	/// store, and the deposit held for it.
	#[pallet::storage]
	pub type BlobQuotas<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlobQuota<BalanceOf<T>>, OptionQuery>;

	/// Events of the inference pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was posted and assigned.
		JobRequested {
			/// The job.
			job: JobId,
			/// Who pays.
			requester: T::AccountId,
			/// The model.
			model: ModelId,
			/// SHA-256 of the canonical input.
			input_hash: TensorSetHash,
			/// The providers assigned.
			providers: BoundedVec<T::AccountId, ConstU32<MAX_REDUNDANCY>>,
			/// The fee held.
			fee_held: BalanceOf<T>,
			/// The storage deposit held.
			deposit: BalanceOf<T>,
			/// The block the job settles after at the latest: the one asked for, or one of the
			/// next [`MAX_DEADLINE_SPILL`] when its deadlines were full.
			deadline_at: BlockNumberFor<T>,
		},
		/// A provider's signed receipt was accepted.
		ReceiptSubmitted {
			/// The receipt.
			receipt: ReceiptId,
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// SHA-256 of the canonical outputs.
			output_hash: TensorSetHash,
		},
		/// A provider was paid for a job.
		ProviderPaid {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// A royalty was paid up the model's lineage.
		RoyaltyPaid {
			/// The job.
			job: JobId,
			/// The recipient (model owner or dataset licensor).
			recipient: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// A job was settled.
		JobSettled {
			/// The job.
			job: JobId,
			/// How it ended.
			status: JobStatus,
			/// SHA-256 of the accepted outputs, when a majority agreed.
			output_hash: Option<TensorSetHash>,
			/// Paid to providers.
			paid: BalanceOf<T>,
			/// Paid in royalties.
			royalties: BalanceOf<T>,
			/// Returned to the requester.
			refunded: BalanceOf<T>,
		},
		/// A provider whose receipt disagreed with the majority (or with a dispute's referees)
		/// was slashed to the requester.
		ProviderOutvoted {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// The amount slashed.
			slashed: BalanceOf<T>,
		},
		/// No majority agreed: CPU referees were assigned to re-run the job.
		DisputeOpened {
			/// The job.
			job: JobId,
			/// The referees.
			referees: BoundedVec<T::AccountId, ConstU32<MAX_REFEREES>>,
			/// The last block their receipts are accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// A job run by one provider paid its audit fee into the audit pot.
		AuditFeeCharged {
			/// The job.
			job: JobId,
			/// The fee.
			amount: BalanceOf<T>,
		},
		/// The draw decided whether a completed job is audited.
		AuditDrawn {
			/// The job.
			job: JobId,
			/// Whether it is.
			audited: bool,
		},
		/// A job that would have been audited is not.
		AuditSkipped {
			/// The job.
			job: JobId,
			/// Why.
			reason: AuditSkipReason,
		},
		/// An auditor was assigned to re-run a job.
		AuditOpened {
			/// The job.
			job: JobId,
			/// The provider whose receipt is audited.
			provider: T::AccountId,
			/// The auditor.
			auditor: T::AccountId,
			/// The last block its result is accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// The auditor's result is in.
		AuditAnswered {
			/// The job.
			job: JobId,
			/// The auditor.
			auditor: T::AccountId,
			/// SHA-256 of its outputs.
			output_hash: TensorSetHash,
			/// Whether they agree with the receipt's under the job's tolerance.
			agrees: bool,
		},
		/// The auditor's outputs disagreed: both parties reveal their checkpoints.
		AuditDisputed {
			/// The job.
			job: JobId,
			/// SHA-256 of the provider's outputs.
			provider_output: TensorSetHash,
			/// SHA-256 of the auditor's outputs.
			auditor_output: TensorSetHash,
			/// The last block reveals are accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// A party of an audit's dispute revealed the leaves of its commitment.
		CheckpointsRevealed {
			/// The job.
			job: JobId,
			/// Which party.
			party: AuditParty,
			/// How many leaves.
			leaves: u32,
		},
		/// Both parties revealed: the chain found what they first disagree on and assigned a
		/// referee to re-run it.
		CheckpointDiverged {
			/// The job.
			job: JobId,
			/// What the referee re-runs: one segment, or the whole model when the leaf counts
			/// differ.
			task: RefereeTask,
			/// The referee.
			referee: T::AccountId,
			/// The last block its answer is accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// The agreed checkpoint a referee's segment starts from was posted.
		SegmentInputPosted {
			/// The job.
			job: JobId,
			/// The checkpoint (the segment's number less one).
			checkpoint: u32,
			/// Who posted it.
			poster: T::AccountId,
			/// Its encoded size.
			bytes: u32,
		},
		/// A dispute's referee answered.
		RefereeAnswered {
			/// The job.
			job: JobId,
			/// The referee.
			referee: T::AccountId,
			/// Its answer.
			answer: RefereeAnswer,
		},
		/// An auditor or referee was paid from the audit pot.
		AuditRewardPaid {
			/// The job.
			job: JobId,
			/// Who was paid.
			recipient: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// An audit ended.
		AuditClosed {
			/// The job.
			job: JobId,
			/// How.
			verdict: AuditVerdict,
			/// The party slashed and the amount, when one was.
			slashed: Option<(T::AccountId, BalanceOf<T>)>,
		},
		/// An account set its blob quota (zero: none) and the deposit held for it.
		BlobQuotaSet {
			/// The account.
			account: T::AccountId,
			/// The quota in bytes.
			bytes: u64,
			/// The deposit held now.
			deposit: BalanceOf<T>,
		},
		/// The requester of a sealed job delivered its content key, wrapped, to parties granted
		/// it.
		KeysDelivered {
			/// The job.
			job: JobId,
			/// The parties it was delivered to.
			recipients: BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
		},
		/// An assigned party reported that it cannot run a sealed job.
		InputUnusable {
			/// The job.
			job: JobId,
			/// The party.
			provider: T::AccountId,
			/// Why.
			reason: cairn_inference::seal::UnusableReason,
		},
		/// A provider assigned to a sealed job whose content key was never delivered to it was
		/// compensated its price from the requester's held fee.
		ProviderCompensated {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// A party of a sealed job attested which other parties' outputs agree with its own
		/// under the job's tolerance.
		AgreementAttested {
			/// The job.
			job: JobId,
			/// The attesting party.
			party: T::AccountId,
			/// The parties whose outputs agree with the attesting party's.
			agreeing: BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
		},
		/// A sealed job's differing outputs formed no majority: its parties may compare them
		/// and attest agreement until `until`, when the job settles (or its dispute resolves).
		AgreementWindowOpened {
			/// The job.
			job: JobId,
			/// The block whose start settles the job.
			until: BlockNumberFor<T>,
		},
		/// A settled job past its retention period was pruned; its receipt records stay.
		JobPruned {
			/// The job.
			job: JobId,
			/// The deposit returned to the requester.
			refunded: BalanceOf<T>,
			/// The receipt record fees burned from the deposit.
			burned: BalanceOf<T>,
		},
	}

	/// Errors of the inference pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// No such model.
		UnknownModel,
		/// The model is revoked.
		ModelRevoked,
		/// The model itself or an ancestor of it is revoked.
		UpstreamRevoked,
		/// A training-data license upstream of the model is expired or revoked.
		UpstreamLicenseInvalid,
		/// A training-data license upstream of the model does not allow inference.
		UpstreamLicenseForbidsInference,
		/// The model's terms require a usage license the requester does not hold valid.
		UsageLicenseRequired,
		/// The input is not a canonical tensor set (sorted, unique names, data matching shapes).
		InputNotCanonical,
		/// The encoded inline input is longer than 4 KiB: send it sealed.
		InputTooLarge,
		/// The input does not fit the model's registered inputs.
		InputMismatch,
		/// A redundancy of zero or above 5.
		InvalidRedundancy,
		/// A deadline of zero blocks or beyond `MaxDeadline`.
		InvalidDeadline,
		/// The deadlines of that block and of the [`MAX_DEADLINE_SPILL`] after it are full;
		/// choose another deadline.
		DeadlineFull,
		/// Fewer live eligible providers than the redundancy asks for.
		NotEnoughProviders,
		/// The fee ceiling does not cover the assigned providers' prices and the royalties.
		FeeTooLow,
		/// The requester cannot hold the fee ceiling and the job deposit.
		CannotHoldFee,
		/// No such job.
		UnknownJob,
		/// The job is settled.
		JobClosed,
		/// The caller is not assigned to the job.
		NotAssigned,
		/// The caller submitted a receipt for this job already.
		DuplicateReceipt,
		/// The outputs are not a canonical tensor set.
		OutputsNotCanonical,
		/// The outputs do not hash to the receipt's output hash.
		OutputHashMismatch,
		/// The receipt names another execution provider than the job requires (CPU, for a
		/// referee).
		WrongExecutionProvider,
		/// The job is in dispute: only its referees submit receipts now.
		InDispute,
		/// The caller is not a registered provider.
		NotProvider,
		/// An id counter is exhausted.
		IdsExhausted,
		/// The job is not settled yet, so it cannot be pruned.
		JobNotSettled,
		/// The job settled less than `RetentionPeriod` blocks ago.
		RetentionNotOver,
		/// A checkpoint commitment with no leaves or more than 17.
		InvalidCommitment,
		/// The job has no audit.
		NoAudit,
		/// The audit is not waiting for its auditor's result.
		NotAuditing,
		/// The caller is not the audit's auditor.
		NotAuditor,
		/// The audit is not in its reveal stage.
		NotRevealing,
		/// The caller is neither the audited provider nor the auditor.
		NotAuditParty,
		/// The caller revealed its checkpoints for this audit already.
		AlreadyRevealed,
		/// The revealed leaves do not hash to the caller's commitment.
		LeavesMismatch,
		/// The revealed leaves do not end in the caller's output hash.
		LeavesDoNotEndInOutput,
		/// The audit's referee does not start from a posted checkpoint (not refereeing, or its
		/// segment starts from the job's input).
		NoSegmentInputNeeded,
		/// The segment input was posted already.
		SegmentInputAlreadyPosted,
		/// The segment input is not a canonical tensor set.
		SegmentInputNotCanonical,
		/// The encoded segment input is longer than 2 MiB.
		SegmentInputTooLarge,
		/// The segment input does not hash to the agreed checkpoint leaf.
		SegmentInputMismatch,
		/// The caller cannot hold the segment input's deposit.
		CannotHoldDeposit,
		/// The audit is not waiting for a referee.
		NotRefereeing,
		/// The caller is not the audit's referee.
		NotReferee,
		/// The answer is of the other kind than the referee's task (a leaf for a segment, a
		/// commitment for the whole model).
		WrongRefereeAnswer,
		/// The job's audit is still going, so it cannot be pruned.
		UnderAudit,
		/// The blob quota is over `MaxBlobQuota`.
		BlobQuotaTooLarge,
		/// The caller cannot hold the deposit of the blob quota.
		CannotHoldQuotaDeposit,
		/// The sealed input's output key is not a usable X25519 key (a point of small order).
		InvalidOutputKey,
		/// The sealed input's blob is empty or larger than `MAX_SEALED_INPUT_BYTES`.
		InvalidSealedBlob,
		/// The caller is not the job's requester.
		NotRequester,
		/// The job's input is inline, not sealed.
		NotSealed,
		/// The job is sealed: its outputs are sealed too, and none of its tensors go on chain.
		JobIsSealed,
		/// The account holds no key grant for the job.
		NoKeyGrant,
		/// The content key was delivered to that party already.
		KeyAlreadyDelivered,
		/// The content key was not delivered to the caller yet.
		KeyNotDelivered,
		/// The sealed output blob is empty.
		InvalidSealedOutput,
		/// The job's tolerance is exact: outputs agree only by equal hashes, nothing to attest.
		ToleranceIsExact,
		/// The caller has no receipt in the job's current phase (its providers, or the
		/// referees of its dispute).
		NotAnswered,
		/// An attestation names the caller, a party twice, or a party without a receipt in the
		/// job.
		InvalidAttestation,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Settles the jobs whose deadline was the previous block: pays a majority, opens a
		/// dispute where none formed, or resolves a dispute by its referees' answers.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = now.saturating_sub(One::one());
			let jobs = Deadlines::<T>::take(due);
			let mut settled = 0u32;
			let mut weight = Weight::zero();
			// Every step but `Nothing` may end a job and tell `OnJobSettled`.
			let hook = T::OnJobSettled::weight();
			for job in AuditDeadlines::<T>::take(due) {
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

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Post an inference job: the fee ceiling is held and `spec.redundancy` providers are
		/// assigned.
		///
		/// Origin must be signed; the caller pays.
		///
		/// - `model`: an active model whose lineage is clean and whose upstream licenses allow
		///   inference; with `spec.usage_license` where its terms require one.
		/// - `input`: `Inline`, a canonical tensor set fitting the model's inputs, at most 4 KiB
		///   encoded; or `Sealed`, the hashes and size of a sealed input blob and the requester's
		///   key for the outputs: only providers with an encryption key are assigned, each
		///   granted the content key, which the requester then delivers with
		///   [`Pallet::deliver_keys`].
		/// - `spec`: fee ceiling, redundancy (1 to 5), deadline (blocks; when that block's
		///   deadlines are full, the first of the next [`MAX_DEADLINE_SPILL`] with room),
		///   execution provider, tolerance.
		///
		/// Emits `JobRequested`.
		///
		/// Weight: O(p + k + d + a + l + i) in the providers registered for the execution
		/// provider, the redundancy, the full deadline blocks passed over, the model's ancestors
		/// and upstream licenses, and an inline input's size; charged for `MaxCandidates`,
		/// [`MAX_DEADLINE_SPILL`] and the largest lineage, refunded to what the request read.
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::request_weight(
			&functions::RequestWork {
				scanned: T::MaxCandidates::get(),
				redundancy: spec.redundancy,
				deadlines_skipped: MAX_DEADLINE_SPILL,
			},
			Pallet::<T>::largest_lineage(),
			input.inline_bytes(),
		))]
		pub fn request_job(
			origin: OriginFor<T>,
			model: ModelId,
			input: JobInput,
			spec: JobSpecOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let input_bytes = input.inline_bytes();
			let (_, work) = Self::do_request_job(who, model, input, spec)?;
			let lineage = T::Models::lineage_size(model);
			Ok(Some(Self::request_weight(&work, lineage, input_bytes)).into())
		}

		/// Submit a signed receipt for a job the caller is assigned to (or a referee of); settles
		/// the job when it is the last receipt expected and a majority agrees (otherwise the next
		/// block opens or resolves the dispute). Counts as the provider's heartbeat.
		///
		/// Origin must be signed by an assigned provider of an open job, or a referee of a job in
		/// dispute (whose receipt must name CPU), that has not answered yet.
		///
		/// - `output_hash`: SHA-256 of the canonical `outputs`.
		/// - `outputs`: the canonical encoded outputs, at most 16 KiB.
		/// - `checkpoints`: the run's checkpoint commitment (1 to 17 leaves, the last the output
		///   hash), which an audit's dispute reveals.
		/// - `execution_provider`, `runtime_version`, `elapsed_micros`: how it ran.
		///
		/// Emits `ReceiptSubmitted`, and the settlement events with the last receipt.
		///
		/// Weight: O(k · o + a + l) in the redundancy, the outputs' size, and the model's
		/// ancestors and upstream licenses (royalties); charged at the largest, refunded to the
		/// work done: a receipt that does not complete its job compares and pays nothing. Includes
		/// `OnJobSettled` when the receipt settles the job.
		#[pallet::call_index(1)]
		#[pallet::weight(Pallet::<T>::receipt_weight(
			MAX_OUTPUT_BYTES,
			MAX_REDUNDANCY,
			Some(Pallet::<T>::largest_lineage()),
		).saturating_add(T::OnJobSettled::weight()))]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_receipt(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			outputs: EncodedOutputs,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (_, weight) = Self::do_submit_receipt(
				who,
				job,
				output_hash,
				ReceiptOutput::Inline(outputs),
				checkpoints,
				execution_provider,
				runtime_version,
				elapsed_micros,
			)?;
			Ok(Some(weight).into())
		}

		/// Record a heartbeat of the caller's provider, as the compute registry's `heartbeat`
		/// does: what a provider node's offchain worker sends when one is due.
		///
		/// Origin must be signed by a registered provider.
		///
		/// Weight: O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			T::Providers::heartbeat(&who).map_err(|_| Error::<T>::NotProvider.into())
		}

		/// Prune a settled job whose retention period is over: its record and its receipts'
		/// outputs are removed, the requester's deposit is returned less the receipt record fee
		/// of each receipt, which stays (with its hashes and indexes) as provenance.
		///
		/// Origin must be signed; anyone may prune.
		///
		/// Emits `JobPruned`.
		///
		/// Weight: O(1), at the most receipts a job can have (inline or sealed).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::prune_job().max(T::WeightInfo::prune_sealed_job()))]
		pub fn prune_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_prune_job(job)
		}

		/// Submit an auditor's result for a job it was drawn to audit: agreement with the
		/// receipt under the job's tolerance passes the audit and pays the auditor; disagreement
		/// opens the dispute's reveal stage. Counts as the auditor's heartbeat.
		///
		/// Origin must be signed by the audit's auditor while it waits for the result.
		///
		/// - `output_hash`, `outputs`, `checkpoints`, `execution_provider` (the job's),
		///   `runtime_version`, `elapsed_micros`: as for a receipt.
		///
		/// Emits `AuditAnswered`, then `AuditClosed` or `AuditDisputed`.
		///
		/// Weight: O(o) in the outputs' size (compared with the receipt's).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_audit(outputs.len() as u32))]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_audit(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			outputs: EncodedOutputs,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let _ = runtime_version;
			Self::do_submit_audit(
				who,
				job,
				output_hash,
				audit::AuditOutputs::Inline(outputs),
				checkpoints,
				execution_provider,
				elapsed_micros,
			)
		}

		/// Reveal the leaves of the caller's checkpoint commitment in an audit's dispute; the
		/// second reveal finds the first leaf the parties disagree on and assigns a referee.
		///
		/// Origin must be signed by the audited provider or the auditor, once each.
		///
		/// - `leaves`: the leaves (1 to 17) hashing to the caller's commitment, the last its
		///   output hash.
		///
		/// Emits `CheckpointsRevealed`, and `CheckpointDiverged` (or `AuditClosed`) with the
		/// second.
		///
		/// Weight: O(p) in the providers scanned for a referee; charged for `MaxCandidates`,
		/// refunded to what was scanned.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::reveal_checkpoints(T::MaxCandidates::get()))]
		pub fn reveal_checkpoints(
			origin: OriginFor<T>,
			job: JobId,
			leaves: Leaves,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let scanned = Self::do_reveal_checkpoints(who, job, leaves)?;
			Ok(Some(T::WeightInfo::reveal_checkpoints(scanned)).into())
		}

		/// Post the tensors of the agreed checkpoint the referee's segment starts from: they
		/// must hash to the leaf both parties revealed before the diverging one. The caller's
		/// deposit (`JobDepositPerByte` per byte) is held until the audit closes.
		///
		/// Origin must be signed; anyone may post, once per dispute.
		///
		/// - `tensors`: a canonical tensor set, at most 2 MiB encoded.
		///
		/// Emits `SegmentInputPosted`.
		///
		/// Weight: O(b) in the encoded size.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::post_segment_input(tensors.encoded_size() as u32))]
		pub fn post_segment_input(
			origin: OriginFor<T>,
			job: JobId,
			tensors: TensorSet,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_post_segment_input(who, job, tensors)
		}

		/// Answer an audit's dispute as its referee: the hash of the re-run segment's output (or
		/// the commitment of a checkpointed run of the whole model, when the parties' leaf
		/// counts differ). The party it matches wins; the other is slashed. Counts as the
		/// referee's heartbeat.
		///
		/// Origin must be signed by the dispute's referee.
		///
		/// Emits `RefereeAnswered` and `AuditClosed`.
		///
		/// Weight: O(1).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::submit_referee_answer())]
		pub fn submit_referee_answer(
			origin: OriginFor<T>,
			job: JobId,
			answer: RefereeAnswer,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_referee_answer(who, job, answer)
		}

		/// Publish the caller's X25519 encryption key in the compute registry, as its
		/// `set_encryption_key` does: what a provider node's offchain worker sends for a key of
		/// its keystore (see [`encryption`]).
		///
		/// Origin must be signed by a registered provider that is not unbonding.
		///
		/// - `key`: an X25519 public key other than the current one, not of small order.
		///
		/// Emits the compute registry's `EncryptionKeySet`.
		///
		/// Weight: O(1).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::publish_encryption_key())]
		pub fn publish_encryption_key(
			origin: OriginFor<T>,
			key: cairn_inference::seal::EncryptionPublicKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			T::Providers::set_encryption_key(&who, key).map(|_| ())
		}

		/// Set the caller's blob quota: how many bytes of sealed job data (ciphertext) it may
		/// keep in a node's blob store, uploaded through the node's `blob_put` JSON-RPC. The
		/// deposit (`JobDepositPerByte` per byte) is held, or released down to the new quota's;
		/// zero removes the quota and releases the whole deposit. Lowering the quota does not
		/// remove blobs a node holds already; it stops further uploads past it.
		///
		/// Origin must be signed.
		///
		/// - `bytes`: at most `MaxBlobQuota`.
		///
		/// Emits `BlobQuotaSet`.
		///
		/// Weight: O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_blob_quota())]
		pub fn set_blob_quota(origin: OriginFor<T>, bytes: u64) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_blob_quota(&who, bytes)
		}

		/// Deliver a sealed job's content key to parties granted it: each envelope wraps the
		/// key to the party's granted encryption key, bound to the job, the model, the party's
		/// account, the key's epoch and the party's role (see `docs/privacy.md`). The chain
		/// cannot open envelopes; a party whose envelope does not open reports
		/// `CannotDecrypt` with [`Pallet::report_unusable`].
		///
		/// Origin must be signed by the job's requester, while the job is live or, for its
		/// auditor and the audit's referee, while its audit is.
		///
		/// - `envelopes`: (party, envelope) for parties holding a grant not yet delivered.
		///
		/// Emits `KeysDelivered`.
		///
		/// Weight: O(n) in the envelopes (and an audit's record read after the job completed).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::deliver_keys(envelopes.len() as u32)
			.max(T::WeightInfo::deliver_audit_key()))]
		pub fn deliver_keys(
			origin: OriginFor<T>,
			job: JobId,
			envelopes: BoundedVec<
				(T::AccountId, cairn_inference::seal::KeyEnvelope),
				ConstU32<MAX_KEY_GRANTS>,
			>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deliver_keys(&who, job, envelopes)
		}

		/// Submit a signed receipt for a sealed job: as [`Pallet::submit_receipt`], but the
		/// outputs stay off chain, sealed to the requester's output key and served by the
		/// provider's node; the receipt names their plaintext hash and the sealed blob. Receipts
		/// of a sealed job agree when their output hashes are equal.
		///
		/// Origin must be signed by an assigned provider (or referee) of a live sealed job that
		/// has not answered yet.
		///
		/// - `output_hash`: SHA-256 of the canonical plaintext outputs.
		/// - `output`: the sealed output blob and its content key wrapped to the requester.
		/// - `checkpoints`, `execution_provider`, `runtime_version`, `elapsed_micros`: as for a
		///   receipt.
		///
		/// Emits `ReceiptSubmitted`, and the settlement events with the last receipt.
		///
		/// Weight: O(k + a + l) in the redundancy and the model's ancestors and upstream
		/// licenses; charged at the largest, refunded to the work done.
		#[pallet::call_index(11)]
		#[pallet::weight(Pallet::<T>::sealed_receipt_weight(
			MAX_REDUNDANCY,
			Some(Pallet::<T>::largest_lineage()),
		).saturating_add(T::OnJobSettled::weight()))]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_sealed_receipt(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			output: cairn_inference::seal::SealedOutput,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (_, weight) = Self::do_submit_receipt(
				who,
				job,
				output_hash,
				ReceiptOutput::Sealed(output),
				checkpoints,
				execution_provider,
				runtime_version,
				elapsed_micros,
			)?;
			Ok(Some(weight).into())
		}

		/// Report that the caller cannot run a sealed job it is assigned to (or a referee of),
		/// for a named reason: no peer served the blob, the blob's hash did not match, the key
		/// or blob did not open, or the plaintext did not match the request. The report is the
		/// caller's answer: it is neither paid nor slashed for the job, and the job ends
		/// `Unusable` when every assigned provider reports. Counts as the caller's heartbeat.
		///
		/// Origin must be signed by an assigned provider (or referee) of a live sealed job that
		/// has not answered, after its content key was delivered.
		///
		/// Emits `InputUnusable`.
		///
		/// Weight: O(1).
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::report_unusable())]
		pub fn report_unusable(
			origin: OriginFor<T>,
			job: JobId,
			reason: cairn_inference::seal::UnusableReason,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_unusable(&who, job, reason)
		}

		/// Submit the auditor's result for a sealed job: as [`Pallet::submit_audit`], but the
		/// outputs stay off chain; the result agrees with the receipt when the output hashes
		/// are equal, or when the auditor found the outputs within the job's float tolerance.
		/// The auditor runs the job from its input, opened with the content key the requester
		/// delivered to it (`KeyRole::Auditor`), and opens the receipt's outputs with the key
		/// derived from it. Counts as the auditor's heartbeat.
		///
		/// Origin must be signed by the audit's auditor while it waits for the result.
		///
		/// - `output_hash`, `checkpoints`, `execution_provider` (the job's), `runtime_version`,
		///   `elapsed_micros`: as for a receipt.
		/// - `within_tolerance`: the receipt's outputs, differing by hash, agree with the
		///   auditor's under the job's tolerance (ignored for an exact tolerance).
		///
		/// Emits `AuditAnswered`, then `AuditClosed` or `AuditDisputed`.
		///
		/// Weight: O(1).
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::submit_sealed_audit())]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_sealed_audit(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
			within_tolerance: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let _ = runtime_version;
			Self::do_submit_audit(
				who,
				job,
				output_hash,
				audit::AuditOutputs::Sealed { within_tolerance },
				checkpoints,
				execution_provider,
				elapsed_micros,
			)
		}

		/// Attest which other parties' sealed outputs of a job agree with the caller's under the
		/// job's float tolerance, having opened them with keys derived from the job's content
		/// key. Two providers' outputs agree when each attested the other (or their hashes are
		/// equal); in a dispute, a referee's attestation judges the providers. Replaces the
		/// caller's earlier attestation. With every party answered and attested, the job settles
		/// now (a majority) or at the next block.
		///
		/// Origin must be signed by a provider of the live sealed job with a receipt (during a
		/// dispute, by a referee with a receipt).
		///
		/// - `agreeing`: the parties with receipts whose outputs agree with the caller's; empty
		///   when none does.
		///
		/// Emits `AgreementAttested`, and the settlement events when it completes a majority.
		///
		/// Weight: O(k + a + l) in the redundancy and the model's ancestors and upstream
		/// licenses; charged at the largest, refunded to the work done.
		#[pallet::call_index(14)]
		#[pallet::weight(Pallet::<T>::attestation_weight(
			MAX_REDUNDANCY,
			Some(Pallet::<T>::largest_lineage()),
		).saturating_add(T::OnJobSettled::weight()))]
		pub fn attest_agreement(
			origin: OriginFor<T>,
			job: JobId,
			agreeing: BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let weight = Self::do_attest_agreement(who, job, agreeing)?;
			Ok(Some(weight).into())
		}
	}

	use sp_runtime::traits::{One, Saturating};
}
