//! Configuration of each pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{RocksDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot,
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{Bounded, One},
	FixedPointNumber, Perbill, Perquintill,
};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Agents, Aura, Balance, Balances, Block, BlockNumber, ComputeRegistry, DataLicensing,
	Hash, Inference, ModelProvenance, Nonce, PalletInfo, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, System, DAYS,
	EXISTENTIAL_DEPOSIT, MICRO_UNIT, MILLI_UNIT, MINUTES, SLOT_DURATION, UNIT, VERSION,
};

/// Share of a block's weight and length available to normal (non-operational) extrinsics.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	/// Blocks whose hashes `frame_system` keeps.
	pub const BlockHashCount: BlockNumber = 2400;
	/// The runtime version, as reported to the node.
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per block, with a maximum proof size of `u64::MAX`.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// At most 5 MiB per block.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(crate::MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// Prefix of SS58 addresses: 42, the generic Substrate prefix, until Cairn registers its own.
	pub const SS58Prefix: u8 = 42;
}

/// `frame_system`: accounts, blocks, events.
#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = RocksDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

/// `pallet_aura`: block authoring in slots.
impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

/// `pallet_grandpa`: finality. Equivocation reporting is not wired yet (no session/offences).
impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

/// `pallet_timestamp`: the block's wall-clock time; Aura reads its slot from it.
impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

/// `pallet_balances`: the `CAIRN` token, with holds (bonds, deposits, escrow) and freezes.
impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// The length fee: 1 µCAIRN per byte of an extrinsic (a 1 MiB extrinsic pays 1.05 CAIRN on
	/// top of its weight), so block space and the history every node keeps are not free.
	pub const TransactionByteFee: Balance = MICRO_UNIT;
	/// The block fullness (of the normal class) the fee multiplier steers to: a quarter.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast the multiplier moves: blocks full to their normal limit raise it by about 0.075 %
	/// each, doubling fees in about 925 blocks (an hour and a half); emptier blocks than the
	/// target lower it back.
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(1, 1_000);
	/// Fees never fall below the unadjusted ones.
	pub MinimumMultiplier: Multiplier = Multiplier::one();
	/// No ceiling: sustained congestion keeps raising the price of block space.
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

/// The congestion fee multiplier (as Polkadot's): it rises while blocks are fuller than
/// [`TargetBlockFullness`] and falls back, never below one.
pub type SlowAdjustingFeeUpdate<R> = TargetedFeeAdjustment<
	R,
	TargetBlockFullness,
	AdjustmentVariable,
	MinimumMultiplier,
	MaximumMultiplier,
>;

/// `pallet_transaction_payment`: fees by weight and length, times the congestion multiplier,
/// paid in `CAIRN` to no one (burned).
impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = SlowAdjustingFeeUpdate<Self>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

/// `pallet_sudo`: a privileged key for development and early governance.
impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Smallest provider bond: 100 CAIRN.
	pub const ProviderMinBond: Balance = 100 * UNIT;
	/// A heartbeat keeps a provider live for 10 minutes.
	pub const ProviderHeartbeatInterval: BlockNumber = 10 * MINUTES;
	/// A leaving provider's bond stays slashable for a day. Kept in storage under
	/// `twox128(":ProviderUnbondingPeriod:")` so that root can change it (`system.setStorage`);
	/// the end-to-end tests shorten it that way.
	pub storage ProviderUnbondingPeriod: BlockNumber = DAYS;
}

/// `pallet_compute_registry`: inference providers, their bonds, profiles and reputation.
impl pallet_compute_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type SlashOrigin = EnsureRoot<AccountId>;
	type MinBond = ProviderMinBond;
	type HeartbeatInterval = ProviderHeartbeatInterval;
	type UnbondingPeriod = ProviderUnbondingPeriod;
	type MaxProviders = ConstU32<512>;
	type WeightInfo = pallet_compute_registry::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Deposit for registering a dataset: 10 CAIRN, returned when it is removed.
	pub const DatasetDeposit: Balance = 10 * UNIT;
	/// Deposit for a license record: 0.1 CAIRN, returned when it is cleared.
	pub const LicenseDeposit: Balance = UNIT / 10;
	/// Deposit for a registration commitment: 0.01 CAIRN, returned when the registration uses
	/// it or it is cancelled.
	pub const RegistrationCommitmentDeposit: Balance = UNIT / 100;
}

/// `pallet_data_licensing`: datasets, license offers and licenses.
impl pallet_data_licensing::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DatasetDeposit = DatasetDeposit;
	type LicenseDeposit = LicenseDeposit;
	type RegistrationCommitmentDeposit = RegistrationCommitmentDeposit;
	type ReassignOrigin = EnsureRoot<AccountId>;
	type WeightInfo = pallet_data_licensing::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Fixed part of a model's deposit: 10 CAIRN.
	pub const ModelDepositBase: Balance = 10 * UNIT;
	/// Deposit per byte a model stores (record and upstream set): 0.001 CAIRN.
	pub const ModelDepositPerByte: Balance = UNIT / 1_000;
	/// Deposit of an evaluation: 1 CAIRN, returned when it is withdrawn.
	pub const EvaluationDeposit: Balance = UNIT;
}

/// `pallet_model_provenance`: models, their lineage, training data and evaluations.
impl pallet_model_provenance::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Licenses = DataLicensing;
	type Datasets = DataLicensing;
	type Receipts = Inference;
	type Commitments = DataLicensing;
	type ReassignOrigin = EnsureRoot<AccountId>;
	type MaxLineageDepth = ConstU32<64>;
	type ModelDepositBase = ModelDepositBase;
	type DepositPerByte = ModelDepositPerByte;
	type EvaluationDeposit = EvaluationDeposit;
	type WeightInfo = pallet_model_provenance::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ProvenanceBenchmarkHelper;
}

/// Creates licensed datasets for the model provenance benchmarks through data licensing.
#[cfg(feature = "runtime-benchmarks")]
pub struct ProvenanceBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_model_provenance::traits::BenchmarkHelper<AccountId> for ProvenanceBenchmarkHelper {
	fn licensed_dataset(
		holder: &AccountId,
		seed: u32,
	) -> (pallet_data_licensing::DatasetId, pallet_data_licensing::LicenseId) {
		use frame_support::traits::fungible::Mutate;
		use pallet_data_licensing::{AllowedUses, LicenseTerms};
		let owner: AccountId = frame_benchmarking::account("dataset-owner", seed, 0);
		let _ = Balances::set_balance(&owner, 1_000 * UNIT);
		let mut content_hash = [0xd5; 32];
		content_hash[..4].copy_from_slice(&seed.to_le_bytes());
		let terms = LicenseTerms {
			price: UNIT,
			duration: None,
			allowed_uses: AllowedUses {
				training: true,
				fine_tuning: true,
				evaluation: true,
				inference: true,
				commercial: true,
			},
			royalty_bps: 100,
			transferable: true,
			revocable: true,
			max_licensees: None,
			spdx: b"CC-BY-4.0".to_vec().try_into().unwrap_or_default(),
		};
		let dataset = pallet_data_licensing::NextDatasetId::<Runtime>::get();
		let license = pallet_data_licensing::NextLicenseId::<Runtime>::get();
		let origin = RuntimeOrigin::signed(owner.clone());
		let registered = DataLicensing::do_register_dataset(
			owner.clone(),
			content_hash,
			None,
			b"benchmark corpus".to_vec().try_into().unwrap_or_default(),
			1 << 30,
			None,
			alloc::vec![terms].try_into().unwrap_or_default(),
		);
		let granted = DataLicensing::grant_license(origin, dataset, 0, holder.clone());
		debug_assert!(registered.is_ok() && granted.is_ok(), "benchmark dataset refused");
		(dataset, license)
	}

	fn receipt(
		_model: pallet_model_provenance::ModelHash,
		_seed: u32,
	) -> Option<pallet_model_provenance::ReceiptId> {
		None
	}
}

parameter_types! {
	/// What a provider whose receipt disagrees with the majority loses: 10 CAIRN, to the audit
	/// pot.
	pub const WrongResultSlash: Balance = 10 * UNIT;
	/// What a party silent through a deadline others met loses: 0.1 CAIRN, to the audit pot
	/// (ten times the dev provider's price, a tenth of a percent of the minimum bond).
	pub const MissedDeadlineSlash: Balance = UNIT / 10;
	/// A job's storage deposit besides its input: 0.1 CAIRN, covering the job record and its
	/// receipts' outputs (at most eight of 16 KiB) for the retention period. Returned at pruning.
	pub const JobDepositBase: Balance = UNIT / 10;
	/// A job's storage deposit per byte of input: 1 µCAIRN (1 MiB: 1.05 CAIRN). Returned at
	/// pruning.
	pub const JobDepositPerByte: Balance = UNIT / 1_000_000;
	/// The one-time fee of a receipt record kept for good: 0.001 CAIRN, burned at pruning.
	pub const ReceiptRecordFee: Balance = MILLI_UNIT;
	/// One in twenty single-provider jobs is audited. Kept in storage under
	/// `twox128(":AuditRate:")` so that root can change it (`system.setStorage`), as the audit
	/// tests on a running node do.
	pub storage AuditRate: Perbill = Perbill::from_percent(5);
	/// What a single-provider job pays into the audit pot: 0.002 CAIRN. At 5 %, the pot takes in
	/// 0.04 CAIRN per audit, twice the auditor's reward; the rest pays referees.
	pub const AuditFee: Balance = 2 * MILLI_UNIT;
	/// An auditor's reward: 0.02 CAIRN (twice the dev provider's price).
	pub const AuditReward: Balance = 20 * MILLI_UNIT;
	/// A deciding referee's reward: 0.02 CAIRN.
	pub const RefereeReward: Balance = 20 * MILLI_UNIT;
	/// What the losing party of an audit's dispute loses of its bond: 50 CAIRN (half the minimum
	/// bond). With the 5 % rate, a provider skipping the work expects to lose 2.5 CAIRN per job,
	/// so single-provider jobs are capped at that price (`docs/verification.md`).
	pub const AuditSlash: Balance = 50 * UNIT;
	/// The audit pot's id.
	pub const AuditPotId: frame_support::PalletId = frame_support::PalletId(*b"cairn/au");
}

/// `pallet_inference`: jobs, receipts and settlement.
impl pallet_inference::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = ModelProvenance;
	type Providers = ComputeRegistry;
	type Licenses = DataLicensing;
	type AuthorityId = pallet_inference::crypto::ProviderAuthId;
	type MaxCandidates = ConstU32<512>;
	type MaxDeadline = ConstU32<{ 10 * MINUTES }>;
	type WrongResultSlash = WrongResultSlash;
	type MissedDeadlineSlash = MissedDeadlineSlash;
	type DisputeReferees = ConstU32<3>;
	type DisputePeriod = ConstU32<{ MINUTES }>;
	type JobDepositBase = JobDepositBase;
	type JobDepositPerByte = JobDepositPerByte;
	type ReceiptRecordFee = ReceiptRecordFee;
	type MaxBlobQuota = ConstU64<{ 1 << 30 }>;
	// 30 s: a comparison fetches the others' sealed outputs and lands an attestation.
	type AgreementWindow = ConstU32<5>;
	// 30 s: a reveal is a stored receipt sent again, after the last commitment or the deadline.
	type RevealWindow = ConstU32<5>;
	type RetentionPeriod = ConstU32<{ 7 * DAYS }>;
	type OnJobSettled = AgentBudgets;
	type AuditRate = AuditRate;
	type AuditFee = AuditFee;
	type AuditReward = AuditReward;
	type RefereeReward = RefereeReward;
	type AuditSlash = AuditSlash;
	type AuditPeriod = ConstU32<{ MINUTES }>;
	type RevealPeriod = ConstU32<{ MINUTES }>;
	type RefereePeriod = ConstU32<{ 2 * MINUTES }>;
	type AuditPotId = AuditPotId;
	type WeightInfo = pallet_inference::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = InferenceBenchmarkHelper;
}

/// Registers providers and models for the inference benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct InferenceBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_inference::BenchmarkHelper<AccountId, Balance> for InferenceBenchmarkHelper {
	fn provider(seed: u32, price: Balance) -> AccountId {
		use frame_support::traits::fungible::Mutate;
		let who: AccountId = frame_benchmarking::account("provider", seed, 0);
		let _ = Balances::set_balance(&who, 10_000 * UNIT);
		let mut profile = crate::genesis_config_presets::dev_cpu_provider_profile();
		profile.price_per_job = price;
		let registered =
			ComputeRegistry::register(RuntimeOrigin::signed(who.clone()), profile, 1_000 * UNIT);
		debug_assert!(registered.is_ok(), "benchmark provider refused");
		who
	}

	fn model(
		input_len: u32,
		output_len: u32,
		ancestors: u32,
		licenses: u32,
	) -> pallet_inference::ModelId {
		use pallet_model_provenance::bench_lineage::{f32_interface, register_lineage};
		let interface = f32_interface(input_len, output_len);
		let registered = register_lineage::<Runtime>(ancestors, licenses, interface, 1 << 20);
		debug_assert!(registered.is_ok(), "benchmark lineage refused");
		registered.unwrap_or_default()
	}
}

/// Returns the unspent part of a settled job's fee to the budget of the agent that requested it.
pub struct AgentBudgets;

impl pallet_inference::OnJobSettled<AccountId, Balance> for AgentBudgets {
	fn on_job_settled(job: pallet_inference::JobId, requester: &AccountId, refunded: Balance) {
		Agents::job_settled(job, requester, refunded);
	}

	fn weight() -> Weight {
		use pallet_agents::WeightInfo;
		<Runtime as pallet_agents::Config>::WeightInfo::job_settled()
	}
}

parameter_types! {
	/// Deposit of an agent record (at most about 600 bytes with full allow-lists): 1 CAIRN,
	/// returned when the agent is revoked.
	pub const AgentDeposit: Balance = UNIT;
}

/// `pallet_agents`: agent keys acting for their owners within on-chain spending policies.
impl pallet_agents::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Calls = AgentCalls;
	type AgentDeposit = AgentDeposit;
	type MaxAgentsPerOwner = ConstU32<16>;
	type MaxTargets = ConstU32<32>;
	type MaxOpenJobs = ConstU32<64>;
	type WeightInfo = pallet_agents::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = AgentCalls;
}

/// The calls agents may make, as their policies see them: inference jobs (charged their fee
/// ceiling), a sealed job's key deliveries (free), license purchases (charged the offer's
/// price, at most the buyer's limit) and evaluations (free; their deposit is held, not spent).
pub struct AgentCalls;

impl pallet_agents::CallClassifier<RuntimeCall, Balance> for AgentCalls {
	fn classify(call: &RuntimeCall) -> Option<pallet_agents::Classified<Balance>> {
		use pallet_agents::{CallKind, Classified, Target};
		match call {
			RuntimeCall::Inference(pallet_inference::Call::request_job { model, spec, .. }) => {
				Some(Classified {
					kind: CallKind::RequestInference,
					max_cost: spec.max_fee,
					target: Some(Target::Model(*model)),
				})
			},
			RuntimeCall::DataLicensing(pallet_data_licensing::Call::purchase_license {
				dataset,
				offer,
				max_price,
			}) => {
				// The purchase pays the offer's price and fails above `max_price`. This read is
				// of the record the purchase itself reads (and is weighed for) in the same call.
				let price = pallet_data_licensing::Datasets::<Runtime>::get(dataset)
					.and_then(|record| record.offers.get(*offer as usize).map(|o| o.terms.price))
					.filter(|price| price <= max_price)
					.unwrap_or(*max_price);
				Some(Classified {
					kind: CallKind::PurchaseLicense,
					max_cost: price,
					target: Some(Target::Dataset(*dataset)),
				})
			},
			RuntimeCall::Inference(pallet_inference::Call::deliver_keys { job, .. }) => {
				// The job's model, for the policy's allow-list: the record `deliver_keys` itself
				// reads (and is weighed for). Only the job's requester may deliver, so an agent
				// delivers only for jobs it requested for its owner.
				let model = pallet_inference::Jobs::<Runtime>::get(job).map(|record| record.model);
				Some(Classified {
					kind: CallKind::DeliverJobKeys,
					max_cost: 0,
					target: model.map(Target::Model),
				})
			},
			RuntimeCall::ModelProvenance(pallet_model_provenance::Call::attest_evaluation {
				model,
				..
			}) => Some(Classified {
				kind: CallKind::AttestEvaluation,
				max_cost: 0,
				target: Some(Target::Model(*model)),
			}),
			_ => None,
		}
	}

	fn next_job() -> u64 {
		pallet_inference::NextJobId::<Runtime>::get()
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_agents::BenchmarkHelper<RuntimeCall, Balance> for AgentCalls {
	fn job_call(model: u64, max_cost: Balance) -> RuntimeCall {
		RuntimeCall::Inference(pallet_inference::Call::request_job {
			model,
			input: pallet_inference::JobInput::Inline(cairn_inference::TensorSet {
				tensors: Default::default(),
			}),
			spec: pallet_inference::JobSpec {
				max_fee: max_cost,
				redundancy: 1,
				deadline: 10,
				execution_provider: cairn_inference::ExecutionProvider::Cpu,
				tolerance: Default::default(),
				usage_license: None,
			},
		})
	}
}
