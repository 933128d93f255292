//! A test runtime with balances and the compute registry.

use crate as pallet_compute_registry;
use crate::*;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

/// Balance type of the test runtime.
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ComputeRegistry: pallet_compute_registry,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<1>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Smallest bond.
pub const MIN_BOND: Balance = 1_000;
/// Heartbeat validity, in blocks.
pub const HEARTBEAT_INTERVAL: u64 = 10;
/// Unbonding period, in blocks.
pub const UNBONDING_PERIOD: u64 = 20;
/// Most providers.
pub const MAX_PROVIDERS: u32 = 4;
/// Free balance of each funded account at genesis.
pub const FUNDS: Balance = 1_000_000;

parameter_types! {
	pub const MinBond: Balance = MIN_BOND;
}

impl pallet_compute_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type SlashOrigin = EnsureRoot<u64>;
	type MinBond = MinBond;
	type HeartbeatInterval = ConstU64<HEARTBEAT_INTERVAL>;
	type UnbondingPeriod = ConstU64<UNBONDING_PERIOD>;
	type MaxProviders = ConstU32<MAX_PROVIDERS>;
	type WeightInfo = ();
}

/// Accounts 1..=9 hold [`FUNDS`]; account 10 holds less than the minimum bond.
pub fn new_test_ext() -> TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=9).map(|a| (a, FUNDS)).chain([(10, MIN_BOND / 2)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	TestExternalities(ext)
}

/// Externalities that check the pallet's invariants after every test.
pub struct TestExternalities(sp_io::TestExternalities);

impl TestExternalities {
	/// Runs `test`, then `try_state`.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			ComputeRegistry::do_try_state().expect("invariants hold");
			result
		})
	}
}

/// Advances to block `n`.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// A text field.
pub fn text(s: &str) -> Text {
	s.as_bytes().to_vec().try_into().expect("short text")
}

/// A valid CPU-only profile.
pub fn cpu_profile() -> ProviderProfile<Balance> {
	ProviderProfile {
		execution_providers: vec![ExecutionProvider::Cpu].try_into().unwrap(),
		gpu: None,
		cpu_cores: 8,
		ram_mib: 16_384,
		onnxruntime_version: text("1.31.1"),
		min_opset: 7,
		max_opset: 21,
		price_per_job: 10,
		price_per_compute_unit: 1,
		max_concurrent_jobs: 2,
		endpoint: None,
	}
}

/// A valid CUDA + CPU profile with an 80 GiB GPU.
pub fn gpu_profile() -> ProviderProfile<Balance> {
	ProviderProfile {
		execution_providers: vec![ExecutionProvider::Cuda, ExecutionProvider::Cpu]
			.try_into()
			.unwrap(),
		gpu: Some(GpuSpec { model: text("NVIDIA H100 80GB HBM3"), memory_mib: 81_559, count: 1 }),
		endpoint: Some(text("https://provider.example/cairn")),
		price_per_job: 50,
		..cpu_profile()
	}
}

/// The bond held for `who` under the provider-bond reason.
pub fn held(who: u64) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&RuntimeHoldReason::ComputeRegistry(HoldReason::ProviderBond), &who)
}

/// The free balance of `who`.
pub fn free(who: u64) -> Balance {
	Balances::free_balance(who)
}

/// Plain externalities for the benchmark tests (which check `try_state` themselves).
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	new_test_ext().0
}
