//! Data types of inference jobs and receipts.

use cairn_inference::{ExecutionProvider, ModelHash, RuntimeVersion, TensorSetHash, Tolerance};
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

/// The longest encoded input a job carries inline, in bytes (64 KiB).
pub const MAX_INPUT_BYTES: u32 = 64 * 1024;

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
	/// Disagreed with the majority (or the referees): slashed to the requester.
	#[codec(index = 1)]
	Outvoted,
	/// No receipt by the deadline.
	#[codec(index = 2)]
	Missed,
	/// No majority formed and no dispute decided: not paid, not slashed.
	#[codec(index = 3)]
	Undecided,
	/// Its receipt disagreed with the result of a dispute's referees: slashed to the requester,
	/// recorded as a lost dispute.
	#[codec(index = 4)]
	DisputeLost,
}
