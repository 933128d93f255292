//! Benchmarks of the agents pallet. `act` is measured without its wrapped call, whose own weight
//! its declared weight adds.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Zero};

/// A funded owner and an agent key.
fn accounts<T: Config>() -> (T::AccountId, T::AccountId) {
	let owner: T::AccountId = account("owner", 0, 0);
	let agent: T::AccountId = account("agent", 0, 0);
	T::Currency::set_balance(&owner, BalanceOf::<T>::max_value() / 4u32.into());
	(owner, agent)
}

/// The largest policy: every kind of call, full model and dataset allow-lists, an expiry.
fn largest_policy<T: Config>() -> PolicyOf<T> {
	let targets: alloc::vec::Vec<u64> = (0..T::MaxTargets::get() as u64).collect();
	Policy {
		allowed_calls: alloc::vec![
			CallKind::AttestEvaluation,
			CallKind::PurchaseLicense,
			CallKind::RequestInference
		]
		.try_into()
		.expect("three kinds fit"),
		period: 10u32.into(),
		period_budget: BalanceOf::<T>::max_value() / 8u32.into(),
		total_budget: BalanceOf::<T>::max_value() / 8u32.into(),
		models: Some(targets.clone().try_into().expect("MaxTargets long")),
		datasets: Some(targets.try_into().expect("MaxTargets long")),
		expires_at: Some(BlockNumberFor::<T>::max_value()),
	}
}

/// `agent` registered by `owner` under the largest policy.
fn registered<T: Config>(owner: &T::AccountId, agent: &T::AccountId) {
	Pallet::<T>::register_agent(
		RawOrigin::Signed(owner.clone()).into(),
		agent.clone(),
		largest_policy::<T>(),
	)
	.expect("registers");
}

use frame_system::pallet_prelude::BlockNumberFor;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_agent() {
		let (owner, agent) = accounts::<T>();
		// The owner has all its agents but one.
		for i in 1..T::MaxAgentsPerOwner::get() {
			registered::<T>(&owner, &account("other", i, 0));
		}
		let policy = largest_policy::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), agent.clone(), policy);
		assert!(Agents::<T>::contains_key(&agent));
	}

	#[benchmark]
	fn update_policy() {
		let (owner, agent) = accounts::<T>();
		registered::<T>(&owner, &agent);
		let policy = largest_policy::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), agent.clone(), policy);
		assert!(Agents::<T>::contains_key(&agent));
	}

	#[benchmark]
	fn pause_agent() {
		let (owner, agent) = accounts::<T>();
		registered::<T>(&owner, &agent);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), agent.clone());
		assert!(Agents::<T>::get(&agent).expect("registered").paused);
	}

	#[benchmark]
	fn resume_agent() {
		let (owner, agent) = accounts::<T>();
		registered::<T>(&owner, &agent);
		Pallet::<T>::pause_agent(RawOrigin::Signed(owner.clone()).into(), agent.clone())
			.expect("pauses");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), agent.clone());
		assert!(!Agents::<T>::get(&agent).expect("registered").paused);
	}

	#[benchmark]
	fn revoke_agent() {
		let (owner, agent) = accounts::<T>();
		registered::<T>(&owner, &agent);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), agent.clone());
		assert!(!Agents::<T>::contains_key(&agent));
	}

	/// The worst case of the pallet's own work: a job on the last model of a full allow-list,
	/// in a new period, recorded for its refund.
	#[benchmark]
	fn act() -> Result<(), BenchmarkError> {
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		let (owner, agent) = accounts::<T>();
		registered::<T>(&owner, &agent);
		frame_system::Pallet::<T>::set_block_number(100u32.into());
		let last = T::MaxTargets::get().saturating_sub(1) as u64;
		let call = T::BenchmarkHelper::job_call(last, 1_000u32.into());
		#[block]
		{
			let prepared = Pallet::<T>::prepare_act(&agent, &call)?;
			Pallet::<T>::finish_act(agent.clone(), prepared);
		}
		let record = Agents::<T>::get(&agent).expect("registered");
		assert_eq!(record.open_jobs, 1);
		assert_eq!(record.spent.period_start, 91u32.into());
		Ok(())
	}

	/// The worst case: an agent's job charged in the current period, refunded in full.
	#[benchmark]
	fn job_settled() -> Result<(), BenchmarkError> {
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		let (owner, agent) = accounts::<T>();
		registered::<T>(&owner, &agent);
		let call = T::BenchmarkHelper::job_call(0, 1_000u32.into());
		let prepared = Pallet::<T>::prepare_act(&agent, &call)?;
		let job = prepared.job.ok_or(BenchmarkError::Stop("a job call creates a job"))?;
		Pallet::<T>::finish_act(agent.clone(), prepared);
		#[block]
		{
			Pallet::<T>::job_settled(job, &owner, 1_000u32.into());
		}
		let record = Agents::<T>::get(&agent).expect("registered");
		assert_eq!(record.open_jobs, 0);
		assert!(record.spent.total.is_zero());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
