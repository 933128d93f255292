//! A test runtime with balances, data licensing and model provenance, and receipts kept in a
//! thread-local table.

use crate as pallet_model_provenance;
use crate::*;
use cairn_inference::{Dim, ElementType, ModelIo, TensorSpec};
use core::cell::RefCell;
use frame_support::{assert_ok, derive_impl, parameter_types, BoundedVec};
use pallet_data_licensing::{
	registration_commitment, AllowedUses, DatasetId, LicenseId, LicenseTerms, RegistrationKind,
};
use sp_runtime::BuildStorage;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

/// Balance type of the test runtime.
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		DataLicensing: pallet_data_licensing,
		ModelProvenance: pallet_model_provenance,
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

/// Existential deposit.
pub const ED: Balance = 1;
/// Free balance of each funded account at genesis.
pub const FUNDS: Balance = 10_000_000;
/// Fixed part of a model deposit.
pub const MODEL_DEPOSIT_BASE: Balance = 1_000;
/// Model deposit per stored byte.
pub const DEPOSIT_PER_BYTE: Balance = 2;
/// Deposit of an evaluation.
pub const EVALUATION_DEPOSIT: Balance = 50;
/// Price of the test datasets' licenses.
pub const LICENSE_PRICE: Balance = 300;
/// The deepest lineage the test runtime allows.
pub const MAX_DEPTH: u32 = 64;

parameter_types! {
	pub const ExistentialDeposit: Balance = ED;
	pub const DatasetDeposit: Balance = 100;
	pub const LicenseDeposit: Balance = 10;
	pub const MaxLineageDepth: u32 = MAX_DEPTH;
	pub const ModelDepositBase: Balance = MODEL_DEPOSIT_BASE;
	pub const DepositPerByte: Balance = DEPOSIT_PER_BYTE;
	pub const EvaluationDeposit: Balance = EVALUATION_DEPOSIT;
	pub const RegistrationCommitmentDeposit: Balance = 2;
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

thread_local! {
	/// Receipt id → SHA-256 of the model it ran.
	static RECEIPTS: RefCell<BTreeMap<ReceiptId, ModelHash>> = const { RefCell::new(BTreeMap::new()) };
}

/// Receipts from the thread-local table.
pub struct TestReceipts;

impl ReceiptInspect for TestReceipts {
	fn model_of(receipt: ReceiptId) -> Option<ModelHash> {
		RECEIPTS.with(|r| r.borrow().get(&receipt).copied())
	}
}

/// Records receipt `id` as a run of the model with file hash `model`.
pub fn add_receipt(id: ReceiptId, model: ModelHash) {
	RECEIPTS.with(|r| r.borrow_mut().insert(id, model));
}

impl pallet_model_provenance::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Licenses = DataLicensing;
	type Datasets = DataLicensing;
	type Receipts = TestReceipts;
	type Commitments = DataLicensing;
	type ReassignOrigin = frame_system::EnsureRoot<u64>;
	type MaxLineageDepth = MaxLineageDepth;
	type ModelDepositBase = ModelDepositBase;
	type DepositPerByte = DepositPerByte;
	type EvaluationDeposit = EvaluationDeposit;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestBenchmarkHelper;
}

/// Licenses through the data licensing pallet, receipts in the thread-local table.
#[cfg(feature = "runtime-benchmarks")]
pub struct TestBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl traits::BenchmarkHelper<u64> for TestBenchmarkHelper {
	fn licensed_dataset(holder: &u64, seed: u32) -> (DatasetId, LicenseId) {
		let owner = 1_000_000 + u64::from(seed);
		let _ =
			<Balances as frame_support::traits::fungible::Mutate<u64>>::set_balance(&owner, FUNDS);
		let mut hash = [0xda; 32];
		hash[..4].copy_from_slice(&seed.to_le_bytes());
		let dataset = register_dataset_with_hash(owner, hash, every_use());
		let license = pallet_data_licensing::NextLicenseId::<Test>::get();
		assert_ok!(DataLicensing::grant_license(RuntimeOrigin::signed(owner), dataset, 0, *holder));
		(dataset, license)
	}

	fn receipt(model: ModelHash, seed: u32) -> Option<ReceiptId> {
		add_receipt(seed.into(), model);
		Some(seed.into())
	}
}

/// Accounts 1..=9 hold [`FUNDS`]; account 10 holds 1 100 (enough for a small deposit only).
pub fn new_test_ext() -> TestExternalities {
	RECEIPTS.with(|r| r.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=9).map(|a| (a, FUNDS)).chain([(10, 1_100)]).collect(),
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
			ModelProvenance::do_try_state().expect("model provenance invariants hold");
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

/// Every use allowed.
pub fn every_use() -> AllowedUses {
	AllowedUses {
		training: true,
		fine_tuning: true,
		evaluation: true,
		inference: true,
		commercial: true,
	}
}

/// Registers a dataset with content hash `hash` owned by `owner`, with one offer: price
/// [`LICENSE_PRICE`], 10 blocks, `uses`, 2.5 % royalty, revocable.
pub fn register_dataset_with_hash(owner: u64, hash: [u8; 32], uses: AllowedUses) -> DatasetId {
	let id = pallet_data_licensing::NextDatasetId::<Test>::get();
	let terms = LicenseTerms {
		price: LICENSE_PRICE,
		duration: Some(10),
		allowed_uses: uses,
		royalty_bps: 250,
		transferable: true,
		revocable: true,
		max_licensees: None,
		spdx: b"CC-BY-4.0".to_vec().try_into().unwrap(),
	};
	assert_ok!(DataLicensing::do_register_dataset(
		owner,
		hash,
		None,
		b"corpus".to_vec().try_into().unwrap(),
		1 << 20,
		None,
		vec![terms].try_into().unwrap(),
	));
	id
}

/// Registers dataset `[byte; 32]` owned by `owner` allowing `uses`.
pub fn dataset(owner: u64, byte: u8, uses: AllowedUses) -> DatasetId {
	register_dataset_with_hash(owner, [byte; 32], uses)
}

/// `buyer` buys a license of `dataset`; returns its id.
pub fn buy(buyer: u64, dataset: DatasetId) -> LicenseId {
	let id = pallet_data_licensing::NextLicenseId::<Test>::get();
	assert_ok!(DataLicensing::purchase_license(
		RuntimeOrigin::signed(buyer),
		dataset,
		0,
		LICENSE_PRICE
	));
	id
}

/// A training use of `dataset` under `license`.
pub fn training(dataset: DatasetId, license: LicenseId) -> DataUse {
	DataUse { dataset, license, purpose: DataPurpose::Training }
}

/// A tensor spec: `name`, f32, `[batch, 4]` with a dynamic batch.
fn spec(name: &str) -> TensorSpec {
	TensorSpec {
		name: name.as_bytes().to_vec().try_into().unwrap(),
		element_type: ElementType::F32,
		shape: vec![Dim::Dynamic, Dim::Fixed(4)].try_into().unwrap(),
	}
}

/// ONNX opset 13, input `x`, output `y`.
pub fn interface() -> ModelInterface {
	ModelInterface {
		format: ModelFormat::Onnx,
		opset: 13,
		io: ModelIo {
			inputs: vec![spec("x")].try_into().unwrap(),
			outputs: vec![spec("y")].try_into().unwrap(),
		},
	}
}

/// The SHA-256 of test model `seed`: `seed` little-endian, then `0xaa`s.
pub fn hash(seed: u32) -> ModelHash {
	let mut sha256 = [0xaa; 32];
	sha256[..4].copy_from_slice(&seed.to_le_bytes());
	sha256
}

/// The file of test model `seed`: hash [`hash`]`(seed)`, no CID, 4 KiB.
pub fn file(seed: u32) -> ModelFile {
	ModelFile { sha256: hash(seed), cid: None, size_bytes: 4096 }
}

/// Open terms with royalty `royalty_bps` and no price floor.
pub fn terms(royalty_bps: u16) -> TermsOf<Test> {
	InferenceTerms {
		price_floor: 0,
		royalty_bps,
		derivatives: DerivativePolicy::Open,
		required_license: None,
	}
}

/// A bounded model name.
pub fn name(s: &str) -> ModelName {
	s.as_bytes().to_vec().try_into().unwrap()
}

/// Bounded parents.
pub fn parents(list: &[(ModelId, EdgeKind)]) -> Parents {
	list.iter()
		.map(|(parent, kind)| ParentEdge { parent: *parent, kind: *kind })
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

/// Bounded data uses.
pub fn data(list: Vec<DataUse>) -> DataUses {
	BoundedVec::try_from(list).unwrap()
}

/// Commits `owner` to registering `content_hash` as `kind`, dated a block earlier so that it
/// can register now (the protocol's timing is tested in data licensing); a commitment the
/// account cannot pay for is left out, for the registration to refuse.
pub fn commit_earlier(owner: u64, kind: RegistrationKind, content_hash: [u8; 32]) {
	let digest = registration_commitment(kind, &owner, &content_hash);
	let _ = DataLicensing::commit_registration(RuntimeOrigin::signed(owner), digest);
	pallet_data_licensing::RegistrationCommitments::<Test>::mutate(owner, digest, |commitment| {
		if let Some(commitment) = commitment {
			commitment.committed_at -= 1;
		}
	});
}

/// Registers test model `seed` of `owner` with royalty `royalty_bps` and the given parents and
/// data; returns its id.
pub fn register(
	owner: u64,
	seed: u32,
	royalty_bps: u16,
	list: &[(ModelId, EdgeKind)],
	uses: Vec<DataUse>,
) -> ModelId {
	let id = NextModelId::<Test>::get();
	commit_earlier(owner, RegistrationKind::Model, hash(seed));
	assert_ok!(ModelProvenance::register_model(
		RuntimeOrigin::signed(owner),
		file(seed),
		name("model"),
		interface(),
		terms(royalty_bps),
		parents(list),
		data(uses),
	));
	id
}

/// Registers test model `seed` of `owner` as a root without royalty.
pub fn root(owner: u64, seed: u32) -> ModelId {
	register(owner, seed, 0, &[], vec![])
}

/// Held balance of `who` for `reason`.
pub fn held(reason: HoldReason, who: u64) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&RuntimeHoldReason::ModelProvenance(reason), &who)
}

/// Free balance of `who`.
pub fn free(who: u64) -> Balance {
	Balances::free_balance(who)
}
