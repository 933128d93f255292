//! A test runtime: balances, the agents pallet and a small market pallet whose calls stand for
//! inference jobs, license purchases and evaluations.

use crate::{self as pallet_agents, CallClassifier, CallKind, Classified, Target};
use frame_support::{derive_impl, parameter_types, traits::VariantCountOf};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
/// Accounts are numbers in the tests.
pub type AccountId = u64;
/// Balances are plain units.
pub type Balance = u128;

/// The owner in the tests.
pub const OWNER: AccountId = 1;
/// The agent key in the tests.
pub const AGENT: AccountId = 2;
/// Another account.
pub const STRANGER: AccountId = 3;
/// Where the market keeps job fees until settlement.
pub const ESCROW: AccountId = 99;
/// Starting balance of every test account.
pub const FUNDS: Balance = 1_000_000;
/// The agent deposit.
pub const DEPOSIT: Balance = 100;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Agents: pallet_agents,
		Market: market,
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
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
}

parameter_types! {
	pub const AgentDeposit: Balance = DEPOSIT;
}

/// The market's calls as agent policies see them.
pub struct MarketCalls;

impl CallClassifier<RuntimeCall, Balance> for MarketCalls {
	fn classify(call: &RuntimeCall) -> Option<Classified<Balance>> {
		match call {
			RuntimeCall::Market(market::Call::request_job { model, max_fee }) => Some(Classified {
				kind: CallKind::RequestInference,
				max_cost: *max_fee,
				target: Some(Target::Model(*model)),
			}),
			RuntimeCall::Market(market::Call::buy_license { dataset, price }) => Some(Classified {
				kind: CallKind::PurchaseLicense,
				max_cost: *price,
				target: Some(Target::Dataset(*dataset)),
			}),
			RuntimeCall::Market(market::Call::attest { model }) => Some(Classified {
				kind: CallKind::AttestEvaluation,
				max_cost: 0,
				target: Some(Target::Model(*model)),
			}),
			_ => None,
		}
	}

	fn next_job() -> u64 {
		market::NextJob::<Test>::get()
	}
}

impl pallet_agents::Config for Test {
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Calls = MarketCalls;
	type AgentDeposit = AgentDeposit;
	type MaxAgentsPerOwner = frame_support::traits::ConstU32<3>;
	type MaxTargets = frame_support::traits::ConstU32<4>;
	type MaxOpenJobs = frame_support::traits::ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MarketCalls;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<RuntimeCall, Balance> for MarketCalls {
	fn job_call(model: u64, max_cost: Balance) -> RuntimeCall {
		RuntimeCall::Market(market::Call::request_job { model, max_fee: max_cost })
	}
}

impl market::Config for Test {}

/// A market: jobs escrow their fee ceiling and settle with a refund; licenses and evaluations.
#[frame_support::pallet(dev_mode)]
pub mod market {
	use super::{Balance, ESCROW};
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible::Mutate, tokens::Preservation},
	};
	use frame_system::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<AccountId = u64> + pallet_balances::Config<Balance = Balance>
	{
	}

	/// The id of the next job.
	#[pallet::storage]
	pub type NextJob<T> = StorageValue<_, u64, ValueQuery>;

	/// Open jobs: requester and fee held.
	#[pallet::storage]
	pub type Jobs<T> = StorageMap<_, Twox64Concat, u64, (u64, Balance)>;

	/// Evaluations attested, per model.
	#[pallet::storage]
	pub type Evaluations<T> = StorageMap<_, Twox64Concat, u64, u32, ValueQuery>;

	#[pallet::error]
	pub enum Error<T> {
		/// Model 0 does not exist.
		UnknownModel,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Posts a job on `model`, moving `max_fee` to escrow.
		pub fn request_job(origin: OriginFor<T>, model: u64, max_fee: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(model != 0, Error::<T>::UnknownModel);
			pallet_balances::Pallet::<T>::transfer(&who, &ESCROW, max_fee, Preservation::Preserve)?;
			let job = NextJob::<T>::mutate(|next| {
				let job = *next;
				*next += 1;
				job
			});
			Jobs::<T>::insert(job, (who, max_fee));
			Ok(())
		}

		/// Buys a license of `dataset` for `price` (paid to the escrow account).
		pub fn buy_license(origin: OriginFor<T>, dataset: u64, price: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			pallet_balances::Pallet::<T>::transfer(&who, &ESCROW, price, Preservation::Preserve)?;
			let _ = dataset;
			Ok(())
		}

		/// Attests an evaluation of `model`.
		pub fn attest(origin: OriginFor<T>, model: u64) -> DispatchResult {
			ensure_signed(origin)?;
			Evaluations::<T>::mutate(model, |n| *n += 1);
			Ok(())
		}
	}
}

/// Settles market job `job`, paying `spent` of its fee to the escrow's keeper and refunding the
/// rest to the requester, then tells the agents pallet, as the runtime does on settlement.
pub fn settle(job: u64, spent: Balance) {
	use frame_support::traits::{fungible::Mutate, tokens::Preservation};
	let (requester, fee) = market::Jobs::<Test>::take(job).expect("an open job");
	let refund = fee - spent;
	Balances::transfer(&ESCROW, &requester, refund, Preservation::Expendable)
		.expect("escrow holds it");
	Agents::job_settled(job, &requester, refund);
}

/// Externalities with funded accounts, at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(OWNER, FUNDS), (AGENT, FUNDS), (STRANGER, FUNDS), (ESCROW, FUNDS)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
