//! A test runtime with balances and data licensing.

use crate as pallet_data_licensing;
use crate::*;
use frame_support::{derive_impl, parameter_types};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

/// Balance type of the test runtime.
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		DataLicensing: pallet_data_licensing,
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
	type ExistentialDeposit = ExistentialDeposit;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Deposit of a dataset.
pub const DATASET_DEPOSIT: Balance = 100;
/// Deposit of a license.
pub const LICENSE_DEPOSIT: Balance = 10;
/// Deposit of a registration commitment.
pub const COMMITMENT_DEPOSIT: Balance = 3;
/// Existential deposit.
pub const ED: Balance = 5;
/// Free balance of each funded account at genesis.
pub const FUNDS: Balance = 10_000;

parameter_types! {
	pub const ExistentialDeposit: Balance = ED;
	pub const DatasetDeposit: Balance = DATASET_DEPOSIT;
	pub const LicenseDeposit: Balance = LICENSE_DEPOSIT;
	pub const RegistrationCommitmentDeposit: Balance = COMMITMENT_DEPOSIT;
}

impl pallet_data_licensing::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DatasetDeposit = DatasetDeposit;
	type LicenseDeposit = LicenseDeposit;
	type RegistrationCommitmentDeposit = RegistrationCommitmentDeposit;
	type ReassignOrigin = frame_system::EnsureRoot<u64>;
	type WeightInfo = ();
}

/// Accounts 1..=9 hold [`FUNDS`]; account 10 holds 50.
pub fn new_test_ext() -> TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=9).map(|a| (a, FUNDS)).chain([(10, 50)]).collect(),
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
			DataLicensing::do_try_state().expect("invariants hold");
			result
		})
	}
}

/// Plain externalities for the benchmark tests.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	new_test_ext().0
}

/// Advances to block `n`.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Terms: price 300, 10 blocks, training and evaluation, 2.5 % royalty, transferable,
/// revocable, unlimited, CC-BY-4.0.
pub fn terms() -> LicenseTerms<Balance, u64> {
	LicenseTerms {
		price: 300,
		duration: Some(10),
		allowed_uses: AllowedUses { training: true, evaluation: true, ..Default::default() },
		royalty_bps: 250,
		transferable: true,
		revocable: true,
		max_licensees: None,
		spdx: b"CC-BY-4.0".to_vec().try_into().unwrap(),
	}
}

/// A bounded list of offers.
pub fn offers(list: Vec<LicenseTerms<Balance, u64>>) -> OffersOf<Test> {
	list.try_into().unwrap()
}

/// A bounded name.
pub fn name(s: &str) -> frame_support::BoundedVec<u8, MaxNameLength> {
	s.as_bytes().to_vec().try_into().unwrap()
}

/// A valid raw + sha2-256 CIDv1 whose digest is `byte` repeated.
pub fn cid(byte: u8) -> Cid {
	let mut bytes = vec![0x01, 0x55, 0x12, 0x20];
	bytes.extend([byte; 32]);
	bytes.try_into().unwrap()
}

/// Commits `owner` to registering dataset `content_hash`, dated a block earlier so that it can
/// register now (the protocol's timing itself is tested with real blocks).
pub fn commit_earlier(owner: u64, content_hash: [u8; 32]) {
	let digest = registration_commitment(RegistrationKind::Dataset, &owner, &content_hash);
	frame_support::assert_ok!(DataLicensing::commit_registration(
		RuntimeOrigin::signed(owner),
		digest
	));
	RegistrationCommitments::<Test>::mutate(owner, digest, |commitment| {
		if let Some(commitment) = commitment {
			commitment.committed_at -= 1;
		}
	});
}

/// Registers dataset `hash_byte` (content hash `[hash_byte; 32]`) owned by `owner` with the
/// given offers, committed a block earlier; returns its id.
pub fn register(owner: u64, hash_byte: u8, list: Vec<LicenseTerms<Balance, u64>>) -> DatasetId {
	let id = NextDatasetId::<Test>::get();
	commit_earlier(owner, [hash_byte; 32]);
	frame_support::assert_ok!(DataLicensing::register_dataset(
		RuntimeOrigin::signed(owner),
		[hash_byte; 32],
		Some(cid(hash_byte)),
		name("corpus"),
		1 << 30,
		None,
		offers(list),
	));
	id
}

/// Held balance of `who` for `reason`.
pub fn held(reason: HoldReason, who: u64) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&RuntimeHoldReason::DataLicensing(reason), &who)
}

/// Free balance of `who`.
pub fn free(who: u64) -> Balance {
	Balances::free_balance(who)
}
