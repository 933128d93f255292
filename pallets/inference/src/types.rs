//! Data types of inference jobs and receipts.

use cairn_inference::{
	seal::{EncryptionPublicKey, KeyEnvelope, KeyRole, SealedInput},
	Commitment, ExecutionProvider, ModelHash, RuntimeVersion, TensorSet, TensorSetHash, Tolerance,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// Identifier of a job (assigned in request order).
pub type JobId = u64;

/// Identifier of a receipt (assigned in submission order; receipt records are never pruned).
pub type ReceiptId = u64;

/// Identifier of a model, as model provenance numbers them.
pub type ModelId = u64;

/// The most providers one job is assigned to (its redundancy `k`).
pub const MAX_REDUNDANCY: u32 = 5;

/// The longest encoded inline input a job may be stored with, in bytes (1 MiB): the limit of
/// requests before sealed jobs, kept so that such jobs still decode. New requests are held to
/// [`MAX_INLINE_INPUT_BYTES`].
pub const MAX_INPUT_BYTES: u32 = 1024 * 1024;

/// The longest encoded input a new request may carry inline, in bytes (4 KiB): demos and tiny
/// tests. Anything larger, an image for one, goes sealed and off chain.
pub const MAX_INLINE_INPUT_BYTES: u32 = 4 * 1024;

/// The longest encoded output a receipt carries, in bytes (16 KiB).
pub const MAX_OUTPUT_BYTES: u32 = 16 * 1024;

/// The ancestors of the models the benchmarks weigh upstream licenses and the smallest lineage
/// on: enough models to carry the most upstream licenses,
/// [`pallet_model_provenance::MaxDataUses`] each.
pub const MIN_WEIGHED_ANCESTORS: u32 = 3;

/// The most referees one dispute re-runs a job on.
pub const MAX_REFEREES: u32 = 3;

/// The most jobs whose deadline falls in one block.
pub const MAX_JOBS_PER_DEADLINE: u32 = 32;

/// The most blocks past the one a request asks for that its deadline may move to when that
/// block's deadlines are full: requests with one deadline share
/// `MAX_JOBS_PER_DEADLINE × (1 + MAX_DEADLINE_SPILL)` places, so a block can take hundreds of
/// requests while the hook still settles at most [`MAX_JOBS_PER_DEADLINE`] jobs a block.
pub const MAX_DEADLINE_SPILL: u32 = 63;

/// The most parties of one sealed job a content key is granted to at once: its providers and a
/// dispute's referees.
pub const MAX_KEY_GRANTS: u32 = MAX_REDUNDANCY + MAX_REFEREES;

/// A job's input as requested.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum JobInput {
	/// A public tensor set, carried in the request and kept on chain until settlement.
	#[codec(index = 0)]
	Inline(TensorSet),
	/// A sealed input: off chain, encrypted; the chain keeps hashes, a size and wrapped keys.
	#[codec(index = 1)]
	Sealed(SealedInput),
}

impl JobInput {
	/// The encoded size of an inline input; `None` for a sealed one.
	pub fn inline_bytes(&self) -> Option<u32> {
		match self {
			JobInput::Inline(input) => Some(input.encoded_size() as u32),
			JobInput::Sealed(_) => None,
		}
	}
}

impl From<TensorSet> for JobInput {
	fn from(input: TensorSet) -> Self {
		JobInput::Inline(input)
	}
}

/// A party's access to a sealed job's content key: the encryption key it was granted to (as
/// the compute registry had it when the party was assigned) and, once delivered, the content
/// key wrapped to it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct KeyGrant<BlockNumber> {
	/// The party's X25519 key.
	pub key: EncryptionPublicKey,
	/// Its epoch in the compute registry.
	pub epoch: u32,
	/// Why the party gets the key.
	pub role: KeyRole,
	/// The content key wrapped to `key` (bound to the job, model, party, epoch and role), once
	/// delivered.
	pub envelope: Option<KeyEnvelope>,
	/// Block of the grant.
	pub granted_at: BlockNumber,
}

/// A job's input: a canonical SCALE-encoded `TensorSet`.
pub type EncodedInput = BoundedVec<u8, ConstU32<MAX_INPUT_BYTES>>;

/// A receipt's outputs: a canonical SCALE-encoded `TensorSet`.
pub type EncodedOutputs = BoundedVec<u8, ConstU32<MAX_OUTPUT_BYTES>>;

/// What a requester asks for besides the model and input.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct JobSpec<Balance, BlockNumber> {
	/// The most the requester pays: providers' prices plus royalties. Held until settlement.
	pub max_fee: Balance,
	/// How many distinct providers run the job (1 to 5); more than one compares their outputs.
	pub redundancy: u32,
	/// Blocks from the request by which receipts must be in.
	pub deadline: BlockNumber,
	/// The execution provider the job must run on.
	pub execution_provider: ExecutionProvider,
	/// How far float outputs of different providers may differ and still agree.
	pub tolerance: Tolerance,
	/// The requester's license, where the model's terms require one (`Inference` use).
	pub usage_license: Option<u64>,
}

/// A provider assigned to a job, at the price it was assigned at.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Assignment<AccountId, Balance> {
	/// The provider.
	pub provider: AccountId,
	/// Its price per job when assigned.
	pub price: Balance,
	/// Its receipt, once submitted.
	pub receipt: Option<ReceiptId>,
}

/// Where a job stands.
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
pub enum JobStatus {
	/// Waiting for receipts.
	#[codec(index = 0)]
	Open,
	/// Settled: a majority of agreeing receipts was paid.
	#[codec(index = 1)]
	Completed,
	/// No receipts arrived by the deadline: refunded.
	#[codec(index = 2)]
	Expired,
	/// No majority agreed, and no dispute settled it (no referees could be assigned or paid
	/// for, or they did not agree among themselves): refunded, nobody paid or slashed.
	#[codec(index = 3)]
	Unresolved,
	/// Receipts arrived but no majority agreed: referees re-run the job on CPU, and their
	/// agreeing result decides who was right.
	#[codec(index = 4)]
	Disputed,
	/// A sealed job whose requester did not deliver the content key to an assigned provider
	/// that answered nothing: those providers were compensated their price, the rest refunded.
	#[codec(index = 5)]
	Withheld,
	/// A sealed job whose assigned providers all reported its input unusable (see
	/// [`cairn_inference::seal::UnusableReason`]): refunded, nobody paid or slashed.
	#[codec(index = 6)]
	Unusable,
}

impl JobStatus {
	/// Whether the job still takes receipts (open or in dispute).
	pub fn is_live(self) -> bool {
		matches!(self, JobStatus::Open | JobStatus::Disputed)
	}
}

/// An inference job.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Job<AccountId, Balance, BlockNumber> {
	/// Who asked and pays.
	pub requester: AccountId,
	/// The model, as model provenance numbers it.
	pub model: ModelId,
	/// SHA-256 of the model file: what providers load.
	pub model_hash: ModelHash,
	/// SHA-256 of the canonical input, computed by the chain.
	pub input_hash: TensorSetHash,
	/// What was asked.
	pub spec: JobSpec<Balance, BlockNumber>,
	/// The providers assigned, in assignment order.
	pub assigned: BoundedVec<Assignment<AccountId, Balance>, ConstU32<MAX_REDUNDANCY>>,
	/// The referees of a dispute (CPU), in assignment order; empty unless one was opened.
	pub referees: BoundedVec<Assignment<AccountId, Balance>, ConstU32<MAX_REFEREES>>,
	/// Block of the request.
	pub requested_at: BlockNumber,
	/// Last block receipts are accepted in (of the referees, once in dispute).
	pub deadline_at: BlockNumber,
	/// Where it stands.
	pub status: JobStatus,
	/// The fee held from the requester (`spec.max_fee`) until settlement.
	pub fee_held: Balance,
	/// The storage deposit held from the requester until the job is pruned.
	pub deposit: Balance,
	/// Block of settlement; the job may be pruned `RetentionPeriod` blocks later.
	pub settled_at: Option<BlockNumber>,
}

impl<AccountId, Balance, BlockNumber> Job<AccountId, Balance, BlockNumber> {
	/// Every receipt of the job: the assigned providers' in assignment order, then the
	/// referees'.
	pub fn receipts(&self) -> impl Iterator<Item = ReceiptId> + '_ {
		self.assigned.iter().chain(self.referees.iter()).filter_map(|a| a.receipt)
	}
}

/// An account's blob quota and the deposit held for it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct BlobQuota<Balance> {
	/// Bytes of sealed job data the account may keep in a node's blob store.
	pub bytes: u64,
	/// The deposit held under the blob-quota hold reason.
	pub deposit: Balance,
}

/// A place an account registered to fetch a sealed blob from, with the deposit held for it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct BlobSource<Balance> {
	/// Where the blob can be fetched.
	pub location: cairn_inference::seal::BlobLocation,
	/// The deposit held under the blob-source hold reason.
	pub deposit: Balance,
}

/// A signed inference receipt: what a provider's node ran and what came out.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Receipt<AccountId, BlockNumber> {
	/// The job.
	pub job: JobId,
	/// The provider that signed it.
	pub provider: AccountId,
	/// SHA-256 of the model file that ran.
	pub model_hash: ModelHash,
	/// SHA-256 of the canonical input.
	pub input_hash: TensorSetHash,
	/// SHA-256 of the canonical outputs.
	pub output_hash: TensorSetHash,
	/// The execution provider that ran the model.
	pub execution_provider: ExecutionProvider,
	/// The ONNX Runtime version that ran it.
	pub runtime_version: RuntimeVersion,
	/// Run time on the provider, in microseconds (as reported).
	pub elapsed_micros: u64,
	/// Block of submission.
	pub submitted_at: BlockNumber,
}

/// A receipt commitment's digest: [`receipt_commitment`].
pub type CommitmentDigest = [u8; 32];

/// The secret a receipt commitment is salted with, revealed with the receipt.
pub type CommitmentSalt = [u8; 32];

/// A party's commitment to its receipt in a redundant job's phase.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ReceiptCommitment<BlockNumber> {
	/// The digest: [`receipt_commitment`] of the receipt to come.
	pub digest: CommitmentDigest,
	/// Block it was made in.
	pub committed_at: BlockNumber,
}

/// The digest a party commits to before revealing its receipt for `job`: BLAKE2-256 of
/// SCALE(`"cairn/receipt-commit/v1"`, job, party, output hash, checkpoint commitment, salt).
/// Bound to the party, so a copied commitment reveals only the copier's own answer, and salted,
/// so that guessing an output from a small set and testing it against the digest fails.
pub fn receipt_commitment<AccountId: Encode>(
	job: JobId,
	party: &AccountId,
	output_hash: &TensorSetHash,
	checkpoints: &cairn_inference::Commitment,
	salt: &CommitmentSalt,
) -> CommitmentDigest {
	let preimage =
		(b"cairn/receipt-commit/v1", job, party, output_hash, checkpoints, salt).encode();
	sp_io::hashing::blake2_256(&preimage)
}

/// How a job ended for one assigned provider or referee.
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
pub enum ProviderResult {
	/// In the majority (or agreeing with the referees): paid its price.
	#[codec(index = 0)]
	Paid,
	/// Disagreed with the majority (or the referees): slashed to the audit pot.
	#[codec(index = 1)]
	Outvoted,
	/// No receipt by the deadline: slashed a little to the audit pot when others answered.
	#[codec(index = 2)]
	Missed,
	/// A referee of a dispute whose referees formed no majority: not paid, not slashed.
	#[codec(index = 3)]
	Undecided,
	/// Its receipt disagreed with the result of a dispute's referees: slashed to the audit pot,
	/// recorded as a lost dispute.
	#[codec(index = 4)]
	DisputeLost,
	/// Its sealed job's content key was never delivered to it: compensated its price (no
	/// royalties), not slashed.
	#[codec(index = 5)]
	Withheld,
	/// It reported its sealed job's input unusable: not paid, not slashed.
	#[codec(index = 6)]
	ReportedUnusable,
}

/// The audit fee a completed single-provider job paid and the draws of an auditor deferred so
/// far, kept until an auditor is assigned or the fee is refunded.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PendingDraw<Balance> {
	/// The audit fee charged into the pot.
	pub fee: Balance,
	/// Times the search for an auditor was deferred (0: not drawn yet).
	pub deferrals: u8,
}

/// Times a drawn audit looks for an auditor again, a block later each time, before it is given
/// up and its fee refunded.
pub const MAX_AUDIT_DEFERRALS: u8 = 8;

/// The most audit stage deadlines (and deferred auditor searches) that fall in one block.
pub const MAX_AUDIT_STEPS_PER_BLOCK: u32 = 64;

/// The most audit draws queued in one block: more than the single-provider jobs a block can
/// settle (checked by the pallet's integrity test against the block's weight), so that the draw
/// queue cannot be filled to keep a receipt from being drawn.
pub const MAX_AUDIT_DRAWS_PER_BLOCK: u32 = 1024;

/// The longest encoded segment input (a checkpoint's tensors) a dispute takes on chain, in
/// bytes (2 MiB).
pub const MAX_SEGMENT_INPUT_BYTES: u32 = 2 * 1024 * 1024;

/// A segment input: a canonical SCALE-encoded `TensorSet` of one checkpoint.
pub type EncodedSegmentInput = BoundedVec<u8, ConstU32<MAX_SEGMENT_INPUT_BYTES>>;

/// The two sides of an audit's dispute.
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
pub enum AuditParty {
	/// The provider whose receipt is audited.
	#[codec(index = 0)]
	Provider,
	/// The provider that re-ran the job.
	#[codec(index = 1)]
	Auditor,
}

/// What an audit's referee re-runs.
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
pub enum RefereeTask {
	/// Segment `n` of the model's graph, from checkpoint `n - 1` (the job's input for `n = 0`),
	/// whose output is the first leaf the parties disagree on.
	#[codec(index = 0)]
	Segment(u32),
	/// The whole model with its checkpoints: the parties' commitments have different numbers of
	/// leaves, so no segment is common to both (an honest engine's count depends on the model
	/// alone).
	#[codec(index = 1)]
	Checkpoints,
}

/// A referee's answer to its [`RefereeTask`].
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
pub enum RefereeAnswer {
	/// The hash of the segment's output (for [`RefereeTask::Segment`]).
	#[codec(index = 0)]
	Leaf(TensorSetHash),
	/// The commitment of a checkpointed run (for [`RefereeTask::Checkpoints`]).
	#[codec(index = 1)]
	Checkpoints(Commitment),
}

/// How an audit ended.
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
pub enum AuditVerdict {
	/// The auditor's outputs agreed with the receipt's under the job's tolerance: the auditor
	/// was paid.
	#[codec(index = 0)]
	Passed,
	/// The referee (or the provider's silence) sided with the auditor: the provider was slashed
	/// to the requester, the auditor and referee paid.
	#[codec(index = 1)]
	ProviderCaught,
	/// The referee (or the auditor's silence) sided with the provider: the auditor was slashed
	/// to the provider, the referee paid.
	#[codec(index = 2)]
	AuditorCaught,
	/// Nothing decided it (no referee could be assigned, the referee matched neither side or did
	/// not answer, or both sides were silent): nobody slashed.
	#[codec(index = 3)]
	Unresolved,
	/// The auditor did not answer in time.
	#[codec(index = 4)]
	AuditorMissed,
	/// The requester of a sealed job never delivered the content key to the auditor: nobody
	/// slashed, the audit fee stays in the pot.
	#[codec(index = 5)]
	KeyWithheld,
}

/// Where an audit stands.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum AuditStage<AccountId> {
	/// The receipt is in; the block after its job completed draws whether it is audited.
	#[codec(index = 0)]
	AwaitingDraw,
	/// Drawn: the auditor re-runs the job.
	#[codec(index = 1)]
	Auditing,
	/// The auditor's outputs disagreed: both parties reveal the leaves of their commitments.
	#[codec(index = 2)]
	Revealing,
	/// The first diverging leaf is known: the referee re-runs what produces it.
	#[codec(index = 3)]
	Refereeing {
		/// What the referee re-runs.
		task: RefereeTask,
		/// The referee.
		referee: AccountId,
	},
	/// Over.
	#[codec(index = 4)]
	Closed(AuditVerdict),
}

/// The auditor's result.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AuditAnswer {
	/// SHA-256 of the auditor's canonical outputs.
	pub output_hash: TensorSetHash,
	/// The auditor's checkpoint commitment.
	pub checkpoints: Commitment,
	/// Run time on the auditor, in microseconds (as reported).
	pub elapsed_micros: u64,
}

/// The audit of a job run by one provider (`k = 1`).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Audit<AccountId, BlockNumber> {
	/// The provider whose receipt is audited.
	pub provider: AccountId,
	/// Its receipt.
	pub receipt: ReceiptId,
	/// The auditor, once drawn.
	pub auditor: Option<AccountId>,
	/// The auditor's result, once in.
	pub answer: Option<AuditAnswer>,
	/// The first leaf the parties' revealed checkpoints disagree on, once both revealed (`None`
	/// also when their leaf counts differ).
	pub divergence: Option<u32>,
	/// Where it stands.
	pub stage: AuditStage<AccountId>,
	/// The block whose end closes the current stage (the draw's block while awaiting it; the
	/// closing block once closed).
	pub deadline: BlockNumber,
}

impl<AccountId, BlockNumber> Audit<AccountId, BlockNumber> {
	/// Whether the audit is still going (not closed).
	pub fn is_live(&self) -> bool {
		!matches!(self.stage, AuditStage::Closed(_))
	}
}

/// A checkpoint's tensors posted for a dispute's referee, with who posted them and the deposit
/// held from them until the audit closes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct SegmentInput<AccountId, Balance> {
	/// Who posted it.
	pub poster: AccountId,
	/// The deposit held.
	pub deposit: Balance,
	/// The canonical encoded tensors.
	pub tensors: EncodedSegmentInput,
}

/// Why a job that would have been audited is not.
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
pub enum AuditSkipReason {
	/// The blocks its step could go in were full.
	#[codec(index = 0)]
	QueueFull,
	/// No other provider was eligible and priced at most the audit reward, through every
	/// deferral (the fee is refunded).
	#[codec(index = 1)]
	NoAuditor,
	/// The job is sealed. Emitted only by runtimes before spec 107, which did not audit sealed
	/// jobs; kept so that their events decode.
	#[codec(index = 2)]
	Sealed,
}
