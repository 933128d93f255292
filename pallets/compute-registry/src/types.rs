//! Data types of the compute registry.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::Permill;

/// An ONNX Runtime execution provider: the backend a provider can run models on (shared with
/// the inference engine, so profiles and receipts name providers alike).
pub use cairn_inference::{seal::EncryptionPublicKey, ExecutionProvider};

/// The most execution providers one profile lists: each provider at most once.
pub type MaxExecutionProviders = ConstU32<8>;

/// The longest text field of a profile (GPU model, version, endpoint), in bytes.
pub type MaxTextLength = ConstU32<128>;

/// A bounded UTF-8 text field.
pub type Text = BoundedVec<u8, MaxTextLength>;

/// A GPU a provider offers.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct GpuSpec {
	/// Model name as the driver reports it, e.g. `NVIDIA H100 80GB HBM3` (UTF-8).
	pub model: Text,
	/// Memory of one GPU, in MiB.
	pub memory_mib: u32,
	/// Number of such GPUs (at least one).
	pub count: u8,
}

/// What a provider offers: hardware, ONNX Runtime, prices and capacity. Every field is bounded.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct ProviderProfile<Balance> {
	/// Execution providers offered, each once, at least one.
	pub execution_providers: BoundedVec<ExecutionProvider, MaxExecutionProviders>,
	/// The GPU, if any.
	pub gpu: Option<GpuSpec>,
	/// CPU cores available to inference.
	pub cpu_cores: u16,
	/// RAM available to inference, in MiB.
	pub ram_mib: u32,
	/// ONNX Runtime version, e.g. `1.31.1` (UTF-8).
	pub onnxruntime_version: Text,
	/// Lowest ONNX opset supported.
	pub min_opset: u16,
	/// Highest ONNX opset supported (at least `min_opset`).
	pub max_opset: u16,
	/// Price of one job.
	pub price_per_job: Balance,
	/// Price of one compute unit (a millisecond of run time on this hardware).
	pub price_per_compute_unit: Balance,
	/// Jobs the provider runs at once (at least one).
	pub max_concurrent_jobs: u16,
	/// Where to reach the provider or its metadata: a URL or an IPFS CID (UTF-8).
	pub endpoint: Option<Text>,
}

impl<Balance> ProviderProfile<Balance> {
	/// Whether the profile offers `ep`.
	pub fn offers(&self, ep: ExecutionProvider) -> bool {
		self.execution_providers.contains(&ep)
	}

	/// Memory available to a model on `ep`, in MiB: GPU memory for accelerators, RAM for the CPU.
	pub fn memory_for(&self, ep: ExecutionProvider) -> u32 {
		if ep.is_cpu() {
			self.ram_mib
		} else {
			self.gpu.as_ref().map_or(0, |gpu| gpu.memory_mib)
		}
	}
}

/// Where a provider is in its life cycle.
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
	Serialize,
	Deserialize,
)]
pub enum ProviderStatus<BlockNumber> {
	/// Takes jobs while its heartbeat is recent.
	Active,
	/// Takes no new jobs until resumed.
	Paused,
	/// Leaving: takes no jobs; the bond can be withdrawn from `unlock_at` on. Still slashable.
	Unbonding {
		/// First block at which `withdraw_unbonded` succeeds.
		unlock_at: BlockNumber,
	},
}

/// A provider's track record, updated only by the pallet that runs jobs.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct Reputation {
	/// Jobs answered with a result the chain accepted.
	pub completed: u32,
	/// Jobs answered with a result the chain rejected (minority or invalid).
	pub failed: u32,
	/// Jobs not answered before their deadline.
	pub missed: u32,
	/// Disputes decided against the provider.
	pub disputes_lost: u32,
}

impl Reputation {
	/// Weight of a lost dispute against completed jobs in [`Reputation::score`].
	pub const DISPUTE_WEIGHT: u64 = 3;

	/// The score, in parts per million: `(completed + 1) / (completed + failed + missed +
	/// 3 × disputes_lost + 2)`. A new provider starts at 500 000 (neutral); every completed job
	/// raises it, every failure, miss and (three times as much) lost dispute lowers it.
	pub fn score(&self) -> Permill {
		let good = u64::from(self.completed) + 1;
		let total = u64::from(self.completed)
			+ u64::from(self.failed)
			+ u64::from(self.missed)
			+ Self::DISPUTE_WEIGHT * u64::from(self.disputes_lost)
			+ 2;
		Permill::from_rational(good, total)
	}

	/// Counts one outcome (saturating).
	pub fn record(&mut self, outcome: JobOutcome) {
		let counter = match outcome {
			JobOutcome::Completed => &mut self.completed,
			JobOutcome::Failed => &mut self.failed,
			JobOutcome::Missed => &mut self.missed,
			JobOutcome::DisputeLost => &mut self.disputes_lost,
		};
		*counter = counter.saturating_add(1);
	}
}

/// The outcome of one job for one provider, as reported by the pallet that runs jobs.
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
pub enum JobOutcome {
	/// The provider's result was accepted.
	Completed,
	/// The provider's result was rejected.
	Failed,
	/// The provider did not answer in time.
	Missed,
	/// A dispute was decided against the provider.
	DisputeLost,
}

/// Why a bond was slashed.
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
pub enum SlashReason {
	/// The provider's result disagreed with the accepted result.
	WrongResult,
	/// The provider missed a job's deadline.
	MissedDeadline,
	/// The provider lost a dispute.
	DisputeLost,
	/// Slashed by governance.
	Governance,
}

/// Everything the chain records about one provider.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ProviderInfo<Balance, BlockNumber> {
	/// What the provider offers.
	pub profile: ProviderProfile<Balance>,
	/// The bond, exactly the amount held under the provider-bond hold reason.
	pub bond: Balance,
	/// Life-cycle status.
	pub status: ProviderStatus<BlockNumber>,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Block of the last heartbeat (registration counts as one).
	pub last_heartbeat: BlockNumber,
	/// Job slots in use.
	pub active_jobs: u32,
	/// Track record.
	pub reputation: Reputation,
}

/// A provider's published X25519 encryption key: what requesters seal job content keys to.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct EncryptionKey<BlockNumber> {
	/// The X25519 public key (its secret stays in the provider node's keystore).
	pub key: EncryptionPublicKey,
	/// The rotation counter: 1 for the first key, one more with each new key.
	pub epoch: u32,
	/// The block the key was set in.
	pub set_at: BlockNumber,
}

/// A provider as the runtime API reports it: the record plus what is derived from it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ProviderView<Balance, BlockNumber> {
	/// The stored record.
	pub info: ProviderInfo<Balance, BlockNumber>,
	/// Active, bonded at least `MinBond`, and heartbeat within `HeartbeatInterval`.
	pub is_live: bool,
	/// Job slots free.
	pub capacity_left: u32,
	/// The reputation score.
	pub score: Permill,
}

/// One page of accounts; `next` is the start of the following page, if any.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Page<AccountId> {
	/// The accounts on this page.
	pub items: alloc::vec::Vec<AccountId>,
	/// Where the next page starts, or `None` on the last page.
	pub next: Option<u32>,
}
