//! Policies, agents and how the runtime's calls look to them.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::ConstU32, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;

/// The most call kinds a policy lists (there are three).
pub const MAX_CALL_KINDS: u32 = 8;

/// The kinds of calls an agent may be allowed to make for its owner.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
)]
pub enum CallKind {
	/// Post an inference job (`inference.request_job`); charged its fee ceiling.
	#[codec(index = 0)]
	RequestInference,
	/// Buy a dataset license (`data_licensing.purchase_license`); charged its price.
	#[codec(index = 1)]
	PurchaseLicense,
	/// Publish a model evaluation (`model_provenance.attest_evaluation`); charged nothing.
	#[codec(index = 2)]
	AttestEvaluation,
	/// Deliver a sealed job's content key to the parties the chain granted it
	/// (`inference.deliver_keys`): what a sealed job needs after its request, and its audit
	/// after settlement; charged nothing.
	#[codec(index = 3)]
	DeliverJobKeys,
}

/// What a call acts on, checked against a policy's allow-lists.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
	/// A registered model, by id.
	Model(u64),
	/// A registered dataset, by id.
	Dataset(u64),
}

/// A call as an agent policy sees it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Classified<Balance> {
	/// Its kind.
	pub kind: CallKind,
	/// The most it can take from the owner's balance (a job's fee ceiling, a license's price).
	pub max_cost: Balance,
	/// The model or dataset it acts on.
	pub target: Option<Target>,
}

/// How the runtime's calls look to agent policies.
pub trait CallClassifier<Call, Balance> {
	/// The kind, the most it can cost and the target of `call`; `None` for a call no agent may
	/// make (anything but the kinds in [`CallKind`]).
	fn classify(call: &Call) -> Option<Classified<Balance>>;
	/// The id the next inference job will get: a `RequestInference` call that succeeds creates
	/// it, and its settlement returns the unspent fee to the agent's budget.
	fn next_job() -> u64;
}

/// What an owner lets an agent do. Budgets are in the native currency's smallest unit.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxTargets))]
pub struct Policy<Balance, BlockNumber, MaxTargets>
where
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxTargets: frame_support::traits::Get<u32>,
{
	/// The kinds of calls allowed (at least one).
	pub allowed_calls: BoundedVec<CallKind, ConstU32<MAX_CALL_KINDS>>,
	/// Length of a budget period, in blocks (at least one); periods start at registration.
	pub period: BlockNumber,
	/// The most the agent may spend in one period.
	pub period_budget: Balance,
	/// The most the agent may spend in all.
	pub total_budget: Balance,
	/// The models it may act on; `None`: any.
	pub models: Option<BoundedVec<u64, MaxTargets>>,
	/// The datasets it may act on; `None`: any.
	pub datasets: Option<BoundedVec<u64, MaxTargets>>,
	/// The block from which the policy no longer allows anything; `None`: no expiry.
	pub expires_at: Option<BlockNumber>,
}

/// What an agent has spent.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct Spending<Balance, BlockNumber> {
	/// The first block of the current period.
	pub period_start: BlockNumber,
	/// Spent in the current period.
	pub in_period: Balance,
	/// Spent in all.
	pub total: Balance,
}

/// An agent account: its owner, policy, deposit, state and spending.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxTargets))]
pub struct Agent<AccountId, Balance, BlockNumber, MaxTargets>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxTargets: frame_support::traits::Get<u32>,
{
	/// The account the agent acts for.
	pub owner: AccountId,
	/// What it may do.
	pub policy: Policy<Balance, BlockNumber, MaxTargets>,
	/// Held from the owner while the agent exists.
	pub deposit: Balance,
	/// Paused by its owner: every act is refused until resumed.
	pub paused: bool,
	/// What it has spent.
	pub spent: Spending<Balance, BlockNumber>,
	/// Its inference jobs not yet settled (their unspent fees return to the budget).
	pub open_jobs: u32,
	/// The block it was registered in: a job of an earlier registration of the same key
	/// returns nothing to this one's budget.
	pub registered_at: BlockNumber,
}

/// An inference job an agent requested, until it settles.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AgentJob<AccountId, Balance, BlockNumber> {
	/// The agent.
	pub agent: AccountId,
	/// What its budget was charged: the job's fee ceiling.
	pub charged: Balance,
	/// The start of the period it was charged in.
	pub period_start: BlockNumber,
	/// The block the agent was registered in.
	pub registered_at: BlockNumber,
}

/// Calls for the benchmarks of the agents pallet.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<Call, Balance> {
	/// A call that [`CallClassifier::classify`] takes for a `RequestInference` on `model`
	/// costing at most `max_cost` (it is checked and charged, not dispatched).
	fn job_call(model: u64, max_cost: Balance) -> Call;
}
