//! Benchmarks of the compute registry, each at its worst case: a profile with every execution
//! provider and the longest texts, and index lists filled to `MaxProviders - 1`.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::BoundedVec,
	traits::{fungible::Mutate, EnsureOrigin, Get},
};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating};

/// The largest valid profile: every execution provider, every text at its bound.
fn worst_profile<T: Config>() -> ProviderProfileOf<T> {
	let long = |byte: u8| -> Text {
		alloc::vec![byte; <MaxTextLength as Get<u32>>::get() as usize]
			.try_into()
			.unwrap_or_default()
	};
	ProviderProfile {
		execution_providers: ExecutionProvider::ALL.to_vec().try_into().unwrap_or_default(),
		gpu: Some(GpuSpec { model: long(b'g'), memory_mib: u32::MAX, count: u8::MAX }),
		cpu_cores: u16::MAX,
		ram_mib: u32::MAX,
		onnxruntime_version: long(b'v'),
		min_opset: 1,
		max_opset: u16::MAX,
		price_per_job: BalanceOf::<T>::max_value(),
		price_per_compute_unit: BalanceOf::<T>::max_value(),
		max_concurrent_jobs: u16::MAX,
		endpoint: Some(long(b'e')),
	}
}

/// Fills every index list with `MaxProviders - 1` placeholder accounts, so the account under
/// test is inserted at (or removed from) the end of a full list.
fn fill_indexes<T: Config>() {
	let fillers: alloc::vec::Vec<T::AccountId> =
		(0..T::MaxProviders::get().saturating_sub(1)).map(|i| account("filler", i, 0)).collect();
	let list: BoundedVec<T::AccountId, T::MaxProviders> = fillers.try_into().unwrap_or_default();
	for ep in ExecutionProvider::ALL {
		ProvidersByExecutionProvider::<T>::insert(ep, list.clone());
	}
}

/// A funded account.
fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let amount = T::MinBond::get().saturating_mul(1_000u32.into());
	let _ = T::Currency::set_balance(&who, amount);
	who
}

/// A registered provider with the worst-case profile and full index lists.
fn registered<T: Config>() -> T::AccountId {
	fill_indexes::<T>();
	let who = funded::<T>("provider");
	let _ = Pallet::<T>::do_register(&who, worst_profile::<T>(), T::MinBond::get());
	who
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		fill_indexes::<T>();
		let who = funded::<T>("provider");
		let bond = T::MinBond::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), worst_profile::<T>(), bond);

		assert_eq!(Providers::<T>::get(&who).map(|i| i.bond), Some(bond));
	}

	#[benchmark]
	fn update_profile() {
		let who = registered::<T>();
		// Dropping CUDA and adding it back removes from and appends to full lists.
		let mut profile = worst_profile::<T>();
		profile.execution_providers.retain(|ep| *ep != ExecutionProvider::Cuda);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), profile.clone());

		assert_eq!(Providers::<T>::get(&who).map(|i| i.profile), Some(profile));
	}

	#[benchmark]
	fn bond_more() {
		let who = registered::<T>();
		let amount = T::MinBond::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount);

		assert_eq!(Providers::<T>::get(&who).map(|i| i.bond), Some(amount.saturating_add(amount)));
	}

	#[benchmark]
	fn heartbeat() {
		let who = registered::<T>();
		frame_system::Pallet::<T>::set_block_number(10u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Providers::<T>::get(&who).map(|i| i.last_heartbeat), Some(10u32.into()));
	}

	#[benchmark]
	fn pause() {
		let who = registered::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Providers::<T>::get(&who).map(|i| i.status), Some(ProviderStatus::Paused));
	}

	#[benchmark]
	fn resume() {
		let who = registered::<T>();
		let _ = Pallet::<T>::do_set_paused(&who, true);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Providers::<T>::get(&who).map(|i| i.status), Some(ProviderStatus::Active));
	}

	#[benchmark]
	fn unbond() {
		let who = registered::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(matches!(
			Providers::<T>::get(&who).map(|i| i.status),
			Some(ProviderStatus::Unbonding { .. })
		));
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let who = registered::<T>();
		let _ = Pallet::<T>::do_unbond(&who);
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(Providers::<T>::get(&who).is_none());
	}

	#[benchmark]
	fn force_slash() -> Result<(), BenchmarkError> {
		let who = registered::<T>();
		let beneficiary = funded::<T>("beneficiary");
		let origin =
			T::SlashOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let amount = T::MinBond::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone(), amount, Some(beneficiary));

		assert_eq!(Providers::<T>::get(&who).map(|i| i.bond), Some(0u32.into()));
		Ok(())
	}

	/// A rotation: the provider has a key already.
	#[benchmark]
	fn set_encryption_key() {
		let who = registered::<T>();
		let set_at = frame_system::Pallet::<T>::block_number();
		EncryptionKeys::<T>::insert(&who, EncryptionKey { key: [9; 32], epoch: 1, set_at });

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), [7; 32]);

		assert_eq!(EncryptionKeys::<T>::get(&who).map(|record| record.epoch), Some(2));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
