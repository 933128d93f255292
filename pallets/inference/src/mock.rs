//! A test runtime with balances, the compute registry, data licensing, model provenance and
//! inference; accounts are sr25519 keys so that offchain workers can sign.

use crate as pallet_inference;
use crate::*;
use cairn_inference::{
	Dim, ElementType, ExecutionProvider, ModelIo, Tensor, TensorSet, TensorSpec, Tolerance,
};
use frame_support::{
	assert_ok, derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use pallet_compute_registry::ProviderProfile;
use pallet_data_licensing::{AllowedUses, LicenseTerms};
use pallet_model_provenance::{
	DataPurpose, DataUse, DerivativePolicy, EdgeKind, InferenceTerms, ModelFile, ModelFormat,
	ModelInterface, ParentEdge,
};
use sp_core::sr25519::{Public, Signature};
use sp_runtime::{
	testing::TestXt,
	traits::{IdentifyAccount, Verify},
	BuildStorage,
};

type Block = frame_system::mocking::MockBlock<Test>;

/// Account type: sr25519 public keys.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance type of the test runtime.
pub type Balance = u64;

/// The extrinsic type offchain workers submit.
pub type Extrinsic = TestXt<RuntimeCall, ()>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ComputeRegistry: pallet_compute_registry,
		DataLicensing: pallet_data_licensing,
		ModelProvenance: pallet_model_provenance,
		Inference: pallet_inference,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU64<1>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Price of one job at each test provider.
pub const PRICE: Balance = 1_000;
/// Bond of each test provider.
pub const BOND: Balance = 100_000;
/// Slash of an outvoted provider.
pub const WRONG_RESULT_SLASH: Balance = 5_000;
/// What a party silent through a deadline others met loses.
pub const MISSED_DEADLINE_SLASH: Balance = 100;
/// Free balance of each funded account at genesis.
pub const FUNDS: Balance = 100_000_000;
/// Blocks a heartbeat keeps a provider live.
pub const HEARTBEAT_INTERVAL: u64 = 100;
/// Storage deposit of a job besides its input and receipts.
pub const JOB_DEPOSIT_BASE: Balance = 200;
/// Storage deposit per input byte.
pub const JOB_DEPOSIT_PER_BYTE: Balance = 1;
/// The largest blob quota, in bytes.
pub const MAX_BLOB_QUOTA: u64 = 100_000;
/// Fee of each receipt record kept after pruning.
pub const RECEIPT_RECORD_FEE: Balance = 7;
/// Referees of a dispute, unless a test sets [`DisputeReferees`].
pub const DISPUTE_REFEREES: u32 = 3;
/// Blocks referees have.
pub const DISPUTE_PERIOD: u64 = 5;
/// Blocks a settled job is kept.
pub const RETENTION_PERIOD: u64 = 50;
/// What a single-provider job pays into the audit pot.
pub const AUDIT_FEE: Balance = 30;
/// What an auditor is paid.
pub const AUDIT_REWARD: Balance = 1_500;
/// What a deciding referee is paid.
pub const REFEREE_REWARD: Balance = 1_200;
/// What the losing party of an audit's dispute loses.
pub const AUDIT_SLASH: Balance = 40_000;
/// Blocks an auditor has.
pub const AUDIT_PERIOD: u64 = 6;
/// Blocks the parties have to reveal.
pub const REVEAL_PERIOD: u64 = 4;
/// Blocks a referee has.
pub const REFEREE_PERIOD: u64 = 8;
/// Blocks a sealed job's parties get to attest agreement of differing outputs.
pub const AGREEMENT_WINDOW: u64 = 3;
/// Blocks the committed parties of a redundant job's phase get to reveal after its deadline.
pub const REVEAL_WINDOW: u64 = 3;

parameter_types! {
	/// The audit rate: zero (audits off) unless a test sets it.
	pub static AuditRate: sp_runtime::Perbill = sp_runtime::Perbill::zero();
	/// The audit pot's id.
	pub const AuditPotId: frame_support::PalletId = frame_support::PalletId(*b"cairn/au");
	pub const MinBond: Balance = 10_000;
	pub const DatasetDeposit: Balance = 100;
	pub const LicenseDeposit: Balance = 10;
	pub const ModelDepositBase: Balance = 1_000;
	pub const DepositPerByte: Balance = 1;
	pub const EvaluationDeposit: Balance = 50;
	pub const WrongResultSlash: Balance = WRONG_RESULT_SLASH;
	pub const JobDepositBase: Balance = JOB_DEPOSIT_BASE;
	pub const ReceiptRecordFee: Balance = RECEIPT_RECORD_FEE;
	/// Referees of a dispute; tests may change it.
	pub storage DisputeReferees: u32 = DISPUTE_REFEREES;
}

impl pallet_compute_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type SlashOrigin = EnsureRoot<AccountId>;
	type MinBond = MinBond;
	type HeartbeatInterval = ConstU64<HEARTBEAT_INTERVAL>;
	type UnbondingPeriod = ConstU64<20>;
	type MaxProviders = ConstU32<64>;
	type WeightInfo = ();
}

impl pallet_data_licensing::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DatasetDeposit = DatasetDeposit;
	type LicenseDeposit = LicenseDeposit;
	type RegistrationCommitmentDeposit = ConstU64<1>;
	type ReassignOrigin = EnsureRoot<AccountId>;
	type WeightInfo = ();
}

impl pallet_model_provenance::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Licenses = DataLicensing;
	type Datasets = DataLicensing;
	type Receipts = Inference;
	type Commitments = DataLicensing;
	type ReassignOrigin = EnsureRoot<AccountId>;
	type MaxLineageDepth = ConstU32<64>;
	type ModelDepositBase = ModelDepositBase;
	type DepositPerByte = DepositPerByte;
	type EvaluationDeposit = EvaluationDeposit;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = NoProvenanceBenchmarks;
}

/// Licensed datasets for the lineages of the inference benchmarks (the provenance benchmarks
/// run on their own pallet's mock).
#[cfg(feature = "runtime-benchmarks")]
pub struct NoProvenanceBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_model_provenance::traits::BenchmarkHelper<AccountId> for NoProvenanceBenchmarks {
	fn licensed_dataset(holder: &AccountId, seed: u32) -> (u64, u64) {
		let owner: AccountId = frame_benchmarking::account("dataset-owner", seed, 0);
		let _ =
			<Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(&owner, FUNDS);
		let terms = data_terms();
		let mut content_hash = [0xd5; 32];
		content_hash[..4].copy_from_slice(&seed.to_le_bytes());
		let dataset = pallet_data_licensing::NextDatasetId::<Test>::get();
		let license = pallet_data_licensing::NextLicenseId::<Test>::get();
		assert_ok!(DataLicensing::do_register_dataset(
			owner,
			content_hash,
			None,
			b"corpus".to_vec().try_into().unwrap(),
			1024,
			None,
			vec![terms].try_into().unwrap(),
		));
		assert_ok!(DataLicensing::grant_license(RuntimeOrigin::signed(owner), dataset, 0, *holder));
		(dataset, license)
	}

	fn receipt(_model: [u8; 32], _seed: u32) -> Option<u64> {
		None
	}
}

impl pallet_inference::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = ModelProvenance;
	type Providers = ComputeRegistry;
	type Licenses = DataLicensing;
	type AuthorityId = crate::crypto::ProviderAuthId;
	type MaxCandidates = ConstU32<64>;
	type MaxDeadline = ConstU64<100>;
	type WrongResultSlash = WrongResultSlash;
	type MissedDeadlineSlash = ConstU64<MISSED_DEADLINE_SLASH>;
	type DisputeReferees = DisputeReferees;
	type DisputePeriod = ConstU64<DISPUTE_PERIOD>;
	type JobDepositBase = JobDepositBase;
	type JobDepositPerByte = ConstU64<JOB_DEPOSIT_PER_BYTE>;
	type ReceiptRecordFee = ReceiptRecordFee;
	type RetentionPeriod = ConstU64<RETENTION_PERIOD>;
	type OnJobSettled = RecordSettled;
	type AuditRate = AuditRate;
	type AuditFee = ConstU64<AUDIT_FEE>;
	type AuditReward = ConstU64<AUDIT_REWARD>;
	type RefereeReward = ConstU64<REFEREE_REWARD>;
	type AuditSlash = ConstU64<AUDIT_SLASH>;
	type AuditPeriod = ConstU64<AUDIT_PERIOD>;
	type RevealPeriod = ConstU64<REVEAL_PERIOD>;
	type RefereePeriod = ConstU64<REFEREE_PERIOD>;
	type MaxBlobQuota = ConstU64<MAX_BLOB_QUOTA>;
	type AgreementWindow = ConstU64<AGREEMENT_WINDOW>;
	type RevealWindow = ConstU64<REVEAL_WINDOW>;
	type AuditPotId = AuditPotId;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

std::thread_local! {
	/// What [`RecordSettled`] was told: (job, requester, refunded).
	pub static SETTLED: core::cell::RefCell<Vec<(JobId, AccountId, Balance)>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// An `OnJobSettled` hook that records its calls in [`SETTLED`].
pub struct RecordSettled;

impl OnJobSettled<AccountId, Balance> for RecordSettled {
	fn on_job_settled(job: JobId, requester: &AccountId, refunded: Balance) {
		SETTLED.with(|settled| settled.borrow_mut().push((job, *requester, refunded)));
	}

	fn weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000, 0)
	}
}

/// The settlements [`RecordSettled`] was told of so far, in order.
pub fn settled_jobs() -> Vec<(JobId, AccountId, Balance)> {
	SETTLED.with(|settled| settled.borrow().clone())
}

/// Providers through the compute registry and models through model provenance.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, Balance> for MockBenchmarkHelper {
	fn provider(seed: u32, price: Balance) -> AccountId {
		let mut raw = [0xbe; 32];
		raw[..4].copy_from_slice(&seed.to_le_bytes());
		let who = Public::from_raw(raw);
		let _ = <Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(&who, FUNDS);
		assert_ok!(ComputeRegistry::register(
			RuntimeOrigin::signed(who),
			ProviderProfile { price_per_job: price, ..profile() },
			BOND
		));
		who
	}

	fn model(input_len: u32, output_len: u32, ancestors: u32, licenses: u32) -> ModelId {
		use pallet_model_provenance::bench_lineage::{f32_interface, register_lineage};
		let interface = f32_interface(input_len, output_len);
		register_lineage::<Test>(ancestors, licenses, interface, 4096)
			.expect("the benchmark lineage registers")
	}
}

/// Plain externalities for the benchmark tests (no providers registered).
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	new_test_ext_with(0).0
}

impl frame_system::offchain::SigningTypes for Test {
	type Public = <Signature as Verify>::Signer;
	type Signature = Signature;
}

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type RuntimeCall = RuntimeCall;
	type Extrinsic = Extrinsic;
}

impl<LocalCall> frame_system::offchain::CreateTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extension = ();

	fn create_transaction(call: RuntimeCall, _extension: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, ())
	}
}

impl<LocalCall> frame_system::offchain::CreateSignedTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<
		C: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		_public: Public,
		_account: AccountId,
		nonce: u32,
	) -> Option<Extrinsic> {
		Some(Extrinsic::new_signed(call, nonce.into(), (), ()))
	}
}

/// Test account `n`: the sr25519 key `[n; 32]`.
pub fn acc(n: u8) -> AccountId {
	Public::from_raw([n; 32])
}

/// The requester.
pub fn requester() -> AccountId {
	acc(1)
}

/// The model owner.
pub fn model_owner() -> AccountId {
	acc(2)
}

/// The dataset owner.
pub fn data_owner() -> AccountId {
	acc(3)
}

/// The test providers, accounts 10..=14.
pub fn providers() -> Vec<AccountId> {
	(10..=14).map(acc).collect()
}

/// The CPU profile of the test providers: price [`PRICE`], 4 slots, 4 GiB, opsets 7..=22.
pub fn profile() -> ProviderProfile<Balance> {
	ProviderProfile {
		execution_providers: vec![ExecutionProvider::Cpu].try_into().unwrap(),
		gpu: None,
		cpu_cores: 2,
		ram_mib: 4096,
		onnxruntime_version: b"1.31.1".to_vec().try_into().unwrap(),
		min_opset: 7,
		max_opset: 22,
		price_per_job: PRICE,
		price_per_compute_unit: 1,
		max_concurrent_jobs: 4,
		endpoint: None,
	}
}

/// SHA-256 of the committed tiny model, `offchain-workers/models/tiny_affine.onnx`.
pub const MODEL_HASH: [u8; 32] =
	hex_literal(b"a1fcf26e0649641aa3884cf1f79cdf775d87b7f23c8647afb01f0eab09217161");

/// A 32-byte array from 64 hex digits, at compile time.
const fn hex_literal(hex: &[u8; 64]) -> [u8; 32] {
	const fn digit(c: u8) -> u8 {
		match c {
			b'0'..=b'9' => c - b'0',
			b'a'..=b'f' => c - b'a' + 10,
			_ => panic!("not a lowercase hex digit"),
		}
	}
	let mut out = [0u8; 32];
	let mut i = 0;
	while i < 32 {
		out[i] = digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]);
		i += 1;
	}
	out
}

/// Funds accounts 1..=14, registers providers 10..=14 (`count` of them) at genesis.
pub fn new_test_ext_with(count: usize) -> TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=14).map(|n| (acc(n), FUNDS)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_compute_registry::GenesisConfig::<Test> {
		providers: providers().into_iter().take(count).map(|p| (p, BOND, profile())).collect(),
		encryption_keys: Vec::new(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	SETTLED.with(|settled| settled.borrow_mut().clear());
	TestExternalities(ext)
}

/// Five providers.
pub fn new_test_ext() -> TestExternalities {
	new_test_ext_with(5)
}

/// Externalities that check the pallet's invariants after every test.
pub struct TestExternalities(pub sp_io::TestExternalities);

impl TestExternalities {
	/// Runs `test`, then `try_state`.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			Inference::do_try_state().expect("inference invariants hold");
			result
		})
	}
}

/// Advances to block `n`, running the hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// A tensor spec of `name`: f32 `[batch, width]`.
fn spec(name: &str, width: u64) -> TensorSpec {
	TensorSpec {
		name: name.as_bytes().to_vec().try_into().unwrap(),
		element_type: ElementType::F32,
		shape: vec![Dim::Dynamic, Dim::Fixed(width)].try_into().unwrap(),
	}
}

/// The committed tiny model's interface: input `x` f32 `[batch, 4]`, output `y` f32
/// `[batch, 3]`, opset 13.
pub fn interface() -> ModelInterface {
	ModelInterface {
		format: ModelFormat::Onnx,
		opset: 13,
		io: ModelIo {
			inputs: vec![spec("x", 4)].try_into().unwrap(),
			outputs: vec![spec("y", 3)].try_into().unwrap(),
		},
	}
}

/// Input `x = values`.
pub fn input(values: [f32; 4]) -> TensorSet {
	TensorSet::new(vec![Tensor::from_f32("x", &[1, 4], &values).unwrap()]).unwrap()
}

/// Outputs `y = values`.
pub fn output(values: [f32; 3]) -> TensorSet {
	TensorSet::new(vec![Tensor::from_f32("y", &[1, 3], &values).unwrap()]).unwrap()
}

/// What the tiny model computes for `x = [1, 2, 3, 4]`.
pub fn tiny_output() -> TensorSet {
	output([27.0, -7.5, 11.5])
}

/// Royalty of the base model's owner, in basis points.
pub const BASE_ROYALTY_BPS: u16 = 500;
/// Royalty of the fine-tune's owner, in basis points.
pub const TUNE_ROYALTY_BPS: u16 = 1_000;
/// Royalty of the training dataset's license, in basis points.
pub const DATA_ROYALTY_BPS: u16 = 250;

/// The license terms of the test datasets: price 10, training and inference allowed, a
/// [`DATA_ROYALTY_BPS`] royalty, revocable.
pub fn data_terms() -> LicenseTerms<Balance, u64> {
	LicenseTerms {
		price: 10,
		duration: None,
		allowed_uses: AllowedUses { training: true, inference: true, ..Default::default() },
		royalty_bps: DATA_ROYALTY_BPS,
		transferable: false,
		revocable: true,
		max_licensees: None,
		spdx: b"CC-BY-4.0".to_vec().try_into().unwrap(),
	}
}

/// The lineage jobs run on: a base model of account 4 trained on a dataset of [`data_owner`]
/// (a license allowing training and inference, revocable), and its fine-tune [`MODEL_HASH`] of
/// [`model_owner`]. Returns the fine-tune's id and the training license's id.
pub fn lineage() -> (ModelId, u64) {
	let dataset = pallet_data_licensing::NextDatasetId::<Test>::get();
	let terms = data_terms();
	assert_ok!(DataLicensing::do_register_dataset(
		data_owner(),
		[0xda; 32],
		None,
		b"corpus".to_vec().try_into().unwrap(),
		1024,
		None,
		vec![terms].try_into().unwrap(),
	));
	let license = pallet_data_licensing::NextLicenseId::<Test>::get();
	assert_ok!(DataLicensing::purchase_license(RuntimeOrigin::signed(acc(4)), dataset, 0, 10));
	let base = register_model(
		acc(4),
		[0xba; 32],
		BASE_ROYALTY_BPS,
		vec![],
		vec![DataUse { dataset, license, purpose: DataPurpose::Training }],
	);
	let tune = register_model(
		model_owner(),
		MODEL_HASH,
		TUNE_ROYALTY_BPS,
		vec![ParentEdge { parent: base, kind: EdgeKind::FineTunedFrom }],
		vec![],
	);
	(tune, license)
}

/// Registers a model of `owner` with file hash `sha256`, royalty `royalty_bps`, open terms.
pub fn register_model(
	owner: AccountId,
	sha256: [u8; 32],
	royalty_bps: u16,
	parents: Vec<ParentEdge>,
	data: Vec<DataUse>,
) -> ModelId {
	let id = pallet_model_provenance::NextModelId::<Test>::get();
	assert_ok!(ModelProvenance::do_register_model(
		owner,
		ModelFile { sha256, cid: None, size_bytes: 4096 },
		b"model".to_vec().try_into().unwrap(),
		interface(),
		InferenceTerms {
			price_floor: 0,
			royalty_bps,
			derivatives: DerivativePolicy::Open,
			required_license: None,
		},
		parents.try_into().unwrap(),
		data.try_into().unwrap(),
	));
	id
}

/// A job spec: fee ceiling `max_fee`, redundancy `k`, 10 blocks, CPU, exact agreement.
pub fn job_spec(max_fee: Balance, k: u32) -> JobSpecOf<Test> {
	JobSpec {
		max_fee,
		redundancy: k,
		deadline: 10,
		execution_provider: ExecutionProvider::Cpu,
		tolerance: Tolerance::EXACT,
		usage_license: None,
	}
}

/// Requests a job on `model` with input `[1, 2, 3, 4]`; returns its id.
pub fn request(model: ModelId, max_fee: Balance, k: u32) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(Inference::request_job(
		RuntimeOrigin::signed(requester()),
		model,
		input([1.0, 2.0, 3.0, 4.0]).into(),
		job_spec(max_fee, k)
	));
	id
}

/// The salt the tests' receipts are committed with.
pub const TEST_SALT: CommitmentSalt = [3; 32];

/// Submits a receipt of `party` for `job` (`output_hash`, `checkpoints`) with `submit`, given
/// the salt: for a job whose receipts are committed first, the party's commitment is stored and
/// the phase's reveal phase opened, as if every party had committed (the protocol itself is
/// tested in `commit_tests.rs`). All of it is undone when the receipt is refused.
pub fn reveal(
	job: JobId,
	party: AccountId,
	output_hash: &cairn_inference::TensorSetHash,
	checkpoints: &cairn_inference::Commitment,
	submit: impl FnOnce(CommitmentSalt) -> sp_runtime::DispatchResult,
) -> sp_runtime::DispatchResult {
	frame_support::storage::with_storage_layer(|| {
		let record = Jobs::<Test>::get(job);
		let in_phase = record.as_ref().is_some_and(|record| {
			Inference::commits(record)
				&& Inference::phase_of(record).iter().any(|a| a.provider == party)
		});
		if in_phase && !ReceiptCommitments::<Test>::contains_key(job, party) {
			let digest = receipt_commitment(job, &party, output_hash, checkpoints, &TEST_SALT);
			let committed_at = System::block_number();
			ReceiptCommitments::<Test>::insert(
				job,
				party,
				ReceiptCommitment { digest, committed_at },
			);
			RevealPhases::<Test>::insert(job, committed_at);
		}
		submit(TEST_SALT)
	})
}

/// Submits `outputs` for `job` as `provider`, on CPU.
pub fn submit(provider: AccountId, job: JobId, outputs: &TensorSet) -> sp_runtime::DispatchResult {
	submit_on(provider, job, outputs, ExecutionProvider::Cpu)
}

/// Free balance of `who`.
pub fn free(who: &AccountId) -> Balance {
	Balances::free_balance(who)
}

/// Held fee of `who`.
pub fn held_fee(who: &AccountId) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&RuntimeHoldReason::Inference(HoldReason::JobFee), who)
}

/// Held job deposits of `who`.
pub fn held_deposit(who: &AccountId) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&RuntimeHoldReason::Inference(HoldReason::JobDeposit), who)
}

/// The deposit of a job with the test input (`[1, 2, 3, 4]`) and redundancy `k`.
pub fn job_deposit(k: u32) -> Balance {
	let input_len = codec::Encode::encoded_size(&input([1.0, 2.0, 3.0, 4.0])) as Balance;
	let referees: u32 = DisputeReferees::get();
	let receipts = Balance::from(k) + if k > 1 { Balance::from(referees) } else { 0 };
	JOB_DEPOSIT_BASE + JOB_DEPOSIT_PER_BYTE * input_len + RECEIPT_RECORD_FEE * receipts
}

/// Bond of provider `who`.
pub fn bond(who: &AccountId) -> Balance {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(
		&RuntimeHoldReason::ComputeRegistry(pallet_compute_registry::HoldReason::ProviderBond),
		who,
	)
}

/// Free balance of the audit pot, where slashes go.
pub fn pot() -> Balance {
	free(&Inference::audit_pot())
}

/// The royalties on `paid` for the mock lineage: fine-tune owner, base owner, dataset owner.
pub fn royalties(paid: Balance) -> (Balance, Balance, Balance) {
	let share = |bps: u16| paid * u64::from(bps) / 10_000;
	(share(TUNE_ROYALTY_BPS), share(BASE_ROYALTY_BPS), share(DATA_ROYALTY_BPS))
}

/// The error a module call failed with.
pub fn err(e: Error<Test>) -> sp_runtime::DispatchError {
	e.into()
}

/// The assigned providers of `job`.
pub fn assigned(job: JobId) -> Vec<AccountId> {
	Jobs::<Test>::get(job).unwrap().assigned.iter().map(|a| a.provider).collect()
}

/// The referees of `job`.
pub fn referees(job: JobId) -> Vec<AccountId> {
	Jobs::<Test>::get(job).unwrap().referees.iter().map(|a| a.provider).collect()
}

/// Submits `outputs` for `job` as `provider`, naming execution provider `ep`.
pub fn submit_on(
	provider: AccountId,
	job: JobId,
	outputs: &TensorSet,
	ep: ExecutionProvider,
) -> sp_runtime::DispatchResult {
	submit_built(provider, job, outputs, ep, b"1.31.1")
}

/// Submits `outputs` for `job` as `provider`, on `ep` with ONNX Runtime build `runtime`.
pub fn submit_built(
	provider: AccountId,
	job: JobId,
	outputs: &TensorSet,
	ep: ExecutionProvider,
	runtime: &[u8],
) -> sp_runtime::DispatchResult {
	let checkpoints = cairn_inference::Commitment::of(&[outputs.hash()]);
	reveal(job, provider, &outputs.hash(), &checkpoints, |salt| {
		Inference::submit_receipt(
			RuntimeOrigin::signed(provider),
			job,
			outputs.hash(),
			codec::Encode::encode(outputs).try_into().unwrap(),
			checkpoints,
			ep,
			runtime.to_vec().try_into().unwrap(),
			42,
			salt,
		)
		.map(|_| ())
		.map_err(|e| e.error)
	})
}

/// Runs to block `at`, whose start puts job `job` in dispute, has its referees answer
/// `outputs`, and runs to the next block, which completes it.
pub fn resolve_dispute_at(job: JobId, at: u64, outputs: &TensorSet) {
	run_to_block(at);
	assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
	for referee in referees(job) {
		assert_ok!(submit(referee, job, outputs));
	}
	run_to_block(at + 1);
	assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
}

/// The fee ceiling of a `k`-provider job that reserves its referees: every party at the
/// providers' price, with the royalties on all of them.
pub fn reserving_fee(k: u32) -> Balance {
	let reserved = Balance::from(k + DISPUTE_REFEREES) * PRICE;
	let (tune, base, data) = royalties(reserved);
	reserved + tune + base + data
}
