//! Benchmarks of data licensing, each at its worst case: `MaxOffers` offers with the longest
//! SPDX identifiers, the longest CID, name and reason.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::BoundedVec,
	traits::{fungible::Mutate, EnsureOrigin, Get},
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::traits::{Bounded, Saturating};

/// `byte` repeated to the bound `S`.
fn filled<S: Get<u32>>(byte: u8) -> BoundedVec<u8, S> {
	alloc::vec![byte; S::get() as usize].try_into().unwrap_or_default()
}

/// The largest valid terms.
fn worst_terms<T: Config>() -> LicenseTermsOf<T> {
	LicenseTerms {
		price: T::LicenseDeposit::get(),
		duration: Some(BlockNumberFor::<T>::max_value()),
		allowed_uses: AllowedUses {
			training: true,
			fine_tuning: true,
			evaluation: true,
			inference: true,
			commercial: true,
		},
		royalty_bps: 10_000,
		transferable: true,
		revocable: true,
		max_licensees: Some(u32::MAX),
		spdx: filled::<MaxSpdxLength>(b'A'),
	}
}

/// `MaxOffers` of the largest terms.
fn worst_offers<T: Config>() -> OffersOf<T> {
	alloc::vec![worst_terms::<T>(); <MaxOffers as Get<u32>>::get() as usize]
		.try_into()
		.unwrap_or_default()
}

/// The longest valid CID: raw, sha2-512.
fn worst_cid() -> Cid {
	let mut bytes = alloc::vec![0x01, 0x55, 0x13, 0x40];
	bytes.extend([0xab; 64]);
	bytes.try_into().unwrap_or_default()
}

/// A funded account.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = T::DatasetDeposit::get()
		.saturating_add(T::LicenseDeposit::get())
		.saturating_add(T::RegistrationCommitmentDeposit::get())
		.saturating_mul(1_000u32.into());
	let _ = T::Currency::set_balance(&who, amount);
	who
}

/// A dataset of `owner` with the worst-case offers; returns its id.
fn dataset_of<T: Config>(owner: &T::AccountId) -> DatasetId {
	Pallet::<T>::do_register_dataset(
		owner.clone(),
		[7; 32],
		Some(worst_cid()),
		filled::<MaxNameLength>(b'n'),
		u64::MAX,
		None,
		worst_offers::<T>(),
	)
	.unwrap_or_default()
}

/// Commits `owner` to registering dataset `content_hash`, then moves to the next block, where
/// the commitment may be used.
fn committed<T: Config>(owner: &T::AccountId, content_hash: ContentHash) -> CommitmentDigest {
	let digest = registration_commitment(RegistrationKind::Dataset, owner, &content_hash);
	let _ = Pallet::<T>::do_commit_registration(owner, digest);
	let now = frame_system::Pallet::<T>::block_number();
	frame_system::Pallet::<T>::set_block_number(now.saturating_add(1u32.into()));
	digest
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_dataset() {
		let owner = funded::<T>("owner", 0);
		let earlier = dataset_of::<T>(&owner);
		let digest = committed::<T>(&owner, [8; 32]);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner.clone()),
			[8; 32],
			Some(worst_cid()),
			filled::<MaxNameLength>(b'n'),
			u64::MAX,
			Some(earlier),
			worst_offers::<T>(),
		);

		assert_eq!(DatasetByHash::<T>::get([8; 32]), Some(earlier + 1));
		assert!(RegistrationCommitments::<T>::get(&owner, digest).is_none());
	}

	#[benchmark]
	fn commit_registration() {
		let owner = funded::<T>("owner", 0);
		let digest = registration_commitment(RegistrationKind::Model, &owner, &[9; 32]);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), digest);

		assert!(RegistrationCommitments::<T>::contains_key(&owner, digest));
	}

	#[benchmark]
	fn cancel_registration_commitment() {
		let owner = funded::<T>("owner", 0);
		let digest = committed::<T>(&owner, [9; 32]);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), digest);

		assert!(!RegistrationCommitments::<T>::contains_key(&owner, digest));
	}

	#[benchmark]
	fn reassign_dataset() -> Result<(), BenchmarkError> {
		let squatter = funded::<T>("squatter", 0);
		let rightful = funded::<T>("rightful", 0);
		let dataset = dataset_of::<T>(&squatter);
		let origin =
			T::ReassignOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, dataset, rightful.clone());

		assert_eq!(Datasets::<T>::get(dataset).map(|d| d.owner), Some(rightful));
		Ok(())
	}

	#[benchmark]
	fn update_offers() {
		let owner = funded::<T>("owner", 0);
		let dataset = dataset_of::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), dataset, worst_offers::<T>());

		assert!(Datasets::<T>::get(dataset).is_some());
	}

	#[benchmark]
	fn purchase_license() {
		let owner = funded::<T>("owner", 0);
		let buyer = funded::<T>("buyer", 0);
		let dataset = dataset_of::<T>(&owner);
		let license = NextLicenseId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer.clone()), dataset, 0, BalanceOf::<T>::max_value());

		assert!(Licenses::<T>::get(license).is_some_and(|l| l.holder == buyer));
	}

	#[benchmark]
	fn grant_license() {
		let owner = funded::<T>("owner", 0);
		let holder: T::AccountId = account("holder", 0, 0);
		let dataset = dataset_of::<T>(&owner);
		let license = NextLicenseId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), dataset, 0, holder.clone());

		assert!(Licenses::<T>::get(license).is_some_and(|l| l.holder == holder));
	}

	#[benchmark]
	fn transfer_license() {
		let owner = funded::<T>("owner", 0);
		let buyer = funded::<T>("buyer", 0);
		let to: T::AccountId = account("to", 0, 0);
		let dataset = dataset_of::<T>(&owner);
		let license = Pallet::<T>::do_purchase_license(
			buyer.clone(),
			dataset,
			0,
			BalanceOf::<T>::max_value(),
		)
		.unwrap_or_default();

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer), license, to.clone());

		assert!(Licenses::<T>::get(license).is_some_and(|l| l.holder == to));
	}

	#[benchmark]
	fn revoke_license() {
		let owner = funded::<T>("owner", 0);
		let buyer = funded::<T>("buyer", 0);
		let dataset = dataset_of::<T>(&owner);
		let license =
			Pallet::<T>::do_purchase_license(buyer, dataset, 0, BalanceOf::<T>::max_value())
				.unwrap_or_default();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), license, filled::<MaxReasonLength>(b'r'));

		assert!(Licenses::<T>::get(license).is_some_and(|l| l.revoked.is_some()));
	}

	#[benchmark]
	fn retire_dataset() {
		let owner = funded::<T>("owner", 0);
		let dataset = dataset_of::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), dataset);

		assert!(Datasets::<T>::get(dataset).is_some_and(|d| d.retired));
	}

	#[benchmark]
	fn remove_dataset() {
		let owner = funded::<T>("owner", 0);
		let dataset = dataset_of::<T>(&owner);
		let _ = Pallet::<T>::do_retire_dataset(&owner, dataset);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), dataset);

		assert!(Datasets::<T>::get(dataset).is_none());
	}

	#[benchmark]
	fn clear_license() {
		let owner = funded::<T>("owner", 0);
		let buyer = funded::<T>("buyer", 0);
		let caller = funded::<T>("caller", 0);
		let dataset = dataset_of::<T>(&owner);
		let license =
			Pallet::<T>::do_purchase_license(buyer, dataset, 0, BalanceOf::<T>::max_value())
				.unwrap_or_default();
		let _ = Pallet::<T>::do_revoke_license(&owner, license, filled::<MaxReasonLength>(b'r'));

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), license);

		assert!(Licenses::<T>::get(license).is_none());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
