//! Unit tests of data licensing: every call and error, validity at the boundary blocks, payments
//! and deposits to the unit.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

fn purchase(who: u64, dataset: DatasetId, offer: u32) -> LicenseId {
	let id = NextLicenseId::<Test>::get();
	assert_ok!(DataLicensing::purchase_license(
		RuntimeOrigin::signed(who),
		dataset,
		offer,
		u64::MAX
	));
	id
}

fn reason(s: &str) -> frame_support::BoundedVec<u8, MaxReasonLength> {
	s.as_bytes().to_vec().try_into().unwrap()
}

#[test]
fn register_dataset_holds_the_deposit_and_indexes_the_hash() {
	new_test_ext().execute_with(|| {
		let id = register(1, 7, vec![terms()]);
		assert_eq!(id, 0);
		System::assert_has_event(
			Event::DatasetRegistered { dataset: 0, owner: 1, content_hash: [7; 32] }.into(),
		);
		assert_eq!(held(HoldReason::DatasetDeposit, 1), DATASET_DEPOSIT);
		assert_eq!(free(1), FUNDS - DATASET_DEPOSIT);
		assert_eq!(DatasetByHash::<Test>::get([7; 32]), Some(0));
		let dataset = Datasets::<Test>::get(0).unwrap();
		assert_eq!(dataset.offers[0].terms, terms());
		assert_eq!(dataset.cid, Some(cid(7)));
		assert_eq!((dataset.retired, dataset.live_licenses, dataset.registered_at), (false, 0, 1));
		// A new version of the same owner.
		commit_earlier(1, [8; 32]);
		assert_ok!(DataLicensing::register_dataset(
			RuntimeOrigin::signed(1),
			[8; 32],
			None,
			name("corpus v2"),
			2 << 30,
			Some(0),
			offers(vec![terms()]),
		));
		assert_eq!(Datasets::<Test>::get(1).unwrap().supersedes, Some(0));
	});
}

#[test]
fn register_dataset_refuses_bad_input() {
	new_test_ext().execute_with(|| {
		register(1, 7, vec![terms()]);
		let call = |who: u64, hash: u8, cid: Option<Cid>, n: &str, supersedes, list| {
			DataLicensing::register_dataset(
				RuntimeOrigin::signed(who),
				[hash; 32],
				cid,
				name(n),
				1,
				supersedes,
				offers(list),
			)
		};
		assert_noop!(
			call(2, 7, None, "x", None, vec![terms()]),
			Error::<Test>::DuplicateContentHash
		);
		let bad_cid: Cid = vec![0x01, 0x55, 0x12, 0x20, 1, 2].try_into().unwrap();
		assert_noop!(
			call(2, 8, Some(bad_cid), "x", None, vec![terms()]),
			Error::<Test>::InvalidCid
		);
		assert_noop!(call(2, 8, None, "", None, vec![terms()]), Error::<Test>::InvalidName);
		assert_noop!(
			call(2, 8, None, "x", Some(0), vec![terms()]),
			Error::<Test>::InvalidSupersedes
		);
		assert_noop!(
			call(2, 8, None, "x", Some(9), vec![terms()]),
			Error::<Test>::InvalidSupersedes
		);
		assert_noop!(call(2, 8, None, "x", None, vec![]), Error::<Test>::NoOffers);
		let no_use = LicenseTerms { allowed_uses: AllowedUses::default(), ..terms() };
		assert_noop!(call(2, 8, None, "x", None, vec![no_use]), Error::<Test>::NoAllowedUse);
		let royalty = LicenseTerms { royalty_bps: 10_001, ..terms() };
		assert_noop!(call(2, 8, None, "x", None, vec![royalty]), Error::<Test>::RoyaltyTooHigh);
		let zero = LicenseTerms { duration: Some(0), ..terms() };
		assert_noop!(call(2, 8, None, "x", None, vec![zero]), Error::<Test>::ZeroDuration);
		let spdx = LicenseTerms { spdx: b"CC BY".to_vec().try_into().unwrap(), ..terms() };
		assert_noop!(call(2, 8, None, "x", None, vec![spdx]), Error::<Test>::InvalidSpdx);
		assert_noop!(call(10, 8, None, "x", None, vec![terms()]), Error::<Test>::CannotHoldDeposit);
		assert_noop!(
			DataLicensing::register_dataset(
				RuntimeOrigin::root(),
				[8; 32],
				None,
				name("x"),
				1,
				None,
				offers(vec![terms()])
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn purchase_pays_the_owner_exactly_and_snapshots_the_terms() {
	new_test_ext().execute_with(|| {
		let dataset = register(1, 7, vec![terms()]);
		let license = purchase(2, dataset, 0);
		System::assert_last_event(
			Event::LicensePurchased { license, dataset, offer: 0, holder: 2, price: 300 }.into(),
		);
		assert_eq!(free(1), FUNDS - DATASET_DEPOSIT + 300);
		assert_eq!(free(2), FUNDS - 300 - LICENSE_DEPOSIT);
		assert_eq!(held(HoldReason::LicenseDeposit, 2), LICENSE_DEPOSIT);
		let record = Licenses::<Test>::get(license).unwrap();
		assert_eq!((record.holder, record.start, record.expiry), (2, 1, Some(11)));
		assert!(LicensesByHolder::<Test>::contains_key(2, license));
		assert_eq!(Datasets::<Test>::get(dataset).unwrap().offers[0].licensees, 1);

		// Updating the offer never changes the license sold.
		let dearer = LicenseTerms { price: 900, duration: None, ..terms() };
		assert_ok!(DataLicensing::update_offers(
			RuntimeOrigin::signed(1),
			dataset,
			offers(vec![dearer.clone()])
		));
		System::assert_last_event(Event::OffersUpdated { dataset }.into());
		assert_eq!(Licenses::<Test>::get(license).unwrap().terms, terms());
		let updated = Datasets::<Test>::get(dataset).unwrap();
		assert_eq!((updated.offers[0].terms.clone(), updated.offers[0].licensees), (dearer, 1));
	});
}

#[test]
fn purchase_errors() {
	new_test_ext().execute_with(|| {
		let capped = LicenseTerms { max_licensees: Some(1), ..terms() };
		let free_offer = LicenseTerms { price: 0, ..terms() };
		let dataset = register(1, 7, vec![terms(), capped, free_offer]);
		let buy = |who: u64, dataset, offer, max| {
			DataLicensing::purchase_license(RuntimeOrigin::signed(who), dataset, offer, max)
		};
		assert_noop!(buy(2, 9, 0, 1_000), Error::<Test>::UnknownDataset);
		assert_noop!(buy(2, dataset, 3, 1_000), Error::<Test>::UnknownOffer);
		assert_noop!(buy(2, dataset, 0, 299), Error::<Test>::PriceAboveLimit);
		// 50 can hold the deposit but not pay 300.
		assert_noop!(buy(10, dataset, 0, 1_000), Error::<Test>::CannotPay);
		// 8 cannot even hold the deposit of a free license.
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(9), 11, 8));
		assert_noop!(buy(11, dataset, 2, 0), Error::<Test>::CannotHoldDeposit);
		// Paying the whole free balance would kill the buyer's account.
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(3), 4, FUNDS - 305));
		assert_noop!(buy(3, dataset, 0, 1_000), Error::<Test>::CannotPay);
		purchase(2, dataset, 1);
		assert_noop!(buy(5, dataset, 1, 1_000), Error::<Test>::SoldOut);
		assert_ok!(DataLicensing::retire_dataset(RuntimeOrigin::signed(1), dataset));
		assert_noop!(buy(5, dataset, 0, 1_000), Error::<Test>::DatasetRetired);
	});
}

#[test]
fn grant_is_free_for_the_holder_and_the_owner_pays_the_deposit() {
	new_test_ext().execute_with(|| {
		let dataset = register(1, 7, vec![terms()]);
		let license = NextLicenseId::<Test>::get();
		assert_ok!(DataLicensing::grant_license(RuntimeOrigin::signed(1), dataset, 0, 3));
		System::assert_last_event(
			Event::LicenseGranted { license, dataset, offer: 0, holder: 3 }.into(),
		);
		assert_eq!(free(3), FUNDS);
		assert_eq!(held(HoldReason::LicenseDeposit, 1), LICENSE_DEPOSIT);
		assert!(DataLicensing::is_valid(license, &3, LicenseUse::Training, 1));
		assert_noop!(
			DataLicensing::grant_license(RuntimeOrigin::signed(2), dataset, 0, 3),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			DataLicensing::grant_license(RuntimeOrigin::signed(1), 9, 0, 3),
			Error::<Test>::UnknownDataset
		);
	});
}

#[test]
fn validity_ends_exactly_at_the_expiry_block_and_only_for_allowed_uses() {
	new_test_ext().execute_with(|| {
		let dataset = register(1, 7, vec![terms()]);
		let license = purchase(2, dataset, 0);
		assert!(DataLicensing::is_valid(license, &2, LicenseUse::Training, 1));
		assert!(DataLicensing::is_valid(license, &2, LicenseUse::Evaluation, 10));
		assert!(!DataLicensing::is_valid(license, &2, LicenseUse::Training, 11));
		assert!(!DataLicensing::is_valid(license, &2, LicenseUse::Training, 0));
		assert!(!DataLicensing::is_valid(license, &2, LicenseUse::Inference, 5));
		assert!(!DataLicensing::is_valid(license, &2, LicenseUse::FineTuning, 5));
		assert!(!DataLicensing::is_valid(license, &2, LicenseUse::Commercial, 5));
		assert!(!DataLicensing::is_valid(license, &3, LicenseUse::Training, 5));
		assert!(!DataLicensing::is_valid(99, &2, LicenseUse::Training, 5));
		assert_eq!(
			DataLicensing::license_status(license, 10),
			LicenseStatus::Valid { dataset_retired: false }
		);
		assert_eq!(DataLicensing::license_status(license, 11), LicenseStatus::Expired);
		assert_eq!(DataLicensing::license_status(license, 0), LicenseStatus::NotYetValid);
		assert_eq!(DataLicensing::license_status(99, 0), LicenseStatus::Unknown);

		let perpetual = register(1, 8, vec![LicenseTerms { duration: None, ..terms() }]);
		let forever = purchase(2, perpetual, 0);
		assert!(DataLicensing::is_valid(forever, &2, LicenseUse::Training, u64::MAX));
	});
}

#[test]
fn retirement_stops_sales_and_licenses_run_to_expiry() {
	new_test_ext().execute_with(|| {
		let dataset = register(1, 7, vec![terms()]);
		let license = purchase(2, dataset, 0);
		assert_noop!(
			DataLicensing::retire_dataset(RuntimeOrigin::signed(2), dataset),
			Error::<Test>::NotOwner
		);
		assert_ok!(DataLicensing::retire_dataset(RuntimeOrigin::signed(1), dataset));
		System::assert_last_event(Event::DatasetRetired { dataset }.into());
		assert_noop!(
			DataLicensing::retire_dataset(RuntimeOrigin::signed(1), dataset),
			Error::<Test>::DatasetRetired
		);
		assert_noop!(
			DataLicensing::retire_dataset(RuntimeOrigin::signed(1), 9),
			Error::<Test>::UnknownDataset
		);
		assert_noop!(
			DataLicensing::update_offers(RuntimeOrigin::signed(1), dataset, offers(vec![terms()])),
			Error::<Test>::DatasetRetired
		);
		assert!(DataLicensing::is_valid(license, &2, LicenseUse::Training, 10));
		assert_eq!(
			DataLicensing::license_status(license, 5),
			LicenseStatus::Valid { dataset_retired: true }
		);
		assert!(!DataLicensing::is_valid(license, &2, LicenseUse::Training, 11));
	});
}

#[test]
fn revocation_where_the_terms_allow_it() {
	new_test_ext().execute_with(|| {
		let fixed = LicenseTerms { revocable: false, ..terms() };
		let dataset = register(1, 7, vec![terms(), fixed]);
		let revocable = purchase(2, dataset, 0);
		let irrevocable = purchase(2, dataset, 1);
		run_to_block(4);
		assert_noop!(
			DataLicensing::revoke_license(RuntimeOrigin::signed(1), irrevocable, reason("misuse")),
			Error::<Test>::NotRevocable
		);
		assert_noop!(
			DataLicensing::revoke_license(RuntimeOrigin::signed(2), revocable, reason("misuse")),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			DataLicensing::revoke_license(RuntimeOrigin::signed(1), 99, reason("misuse")),
			Error::<Test>::UnknownLicense
		);
		assert_noop!(
			DataLicensing::revoke_license(
				RuntimeOrigin::signed(1),
				revocable,
				vec![0xff].try_into().unwrap()
			),
			Error::<Test>::InvalidReason
		);
		assert_ok!(DataLicensing::revoke_license(
			RuntimeOrigin::signed(1),
			revocable,
			reason("misuse")
		));
		System::assert_last_event(
			Event::LicenseRevoked { license: revocable, reason: reason("misuse") }.into(),
		);
		assert_noop!(
			DataLicensing::revoke_license(RuntimeOrigin::signed(1), revocable, reason("again")),
			Error::<Test>::AlreadyRevoked
		);
		// Invalid from the revocation block on; earlier blocks keep their answer.
		assert!(!DataLicensing::is_valid(revocable, &2, LicenseUse::Training, 4));
		assert!(DataLicensing::is_valid(revocable, &2, LicenseUse::Training, 3));
		assert_eq!(DataLicensing::license_status(revocable, 4), LicenseStatus::Revoked);
		assert!(DataLicensing::is_valid(irrevocable, &2, LicenseUse::Training, 4));
	});
}

#[test]
fn transfers_where_the_terms_allow_them() {
	new_test_ext().execute_with(|| {
		let fixed = LicenseTerms { transferable: false, ..terms() };
		let dataset = register(1, 7, vec![terms(), fixed]);
		let movable = purchase(2, dataset, 0);
		let bound = purchase(2, dataset, 1);
		assert_noop!(
			DataLicensing::transfer_license(RuntimeOrigin::signed(2), bound, 3),
			Error::<Test>::NotTransferable
		);
		assert_noop!(
			DataLicensing::transfer_license(RuntimeOrigin::signed(3), movable, 4),
			Error::<Test>::NotHolder
		);
		assert_noop!(
			DataLicensing::transfer_license(RuntimeOrigin::signed(2), movable, 2),
			Error::<Test>::SelfTransfer
		);
		assert_noop!(
			DataLicensing::transfer_license(RuntimeOrigin::signed(2), 99, 3),
			Error::<Test>::UnknownLicense
		);
		assert_ok!(DataLicensing::transfer_license(RuntimeOrigin::signed(2), movable, 3));
		System::assert_last_event(
			Event::LicenseTransferred { license: movable, from: 2, to: 3 }.into(),
		);
		assert!(DataLicensing::is_valid(movable, &3, LicenseUse::Training, 2));
		assert!(!DataLicensing::is_valid(movable, &2, LicenseUse::Training, 2));
		assert!(!LicensesByHolder::<Test>::contains_key(2, movable));
		// The deposit stays with whoever paid it.
		assert_eq!(Licenses::<Test>::get(movable).unwrap().depositor, 2);
		run_to_block(11);
		assert_noop!(
			DataLicensing::transfer_license(RuntimeOrigin::signed(3), movable, 4),
			Error::<Test>::LicenseNotValid
		);
	});
}

#[test]
fn clearing_and_removal_return_every_deposit() {
	new_test_ext().execute_with(|| {
		let dataset = register(1, 7, vec![terms()]);
		let license = purchase(2, dataset, 0);
		assert_noop!(
			DataLicensing::clear_license(RuntimeOrigin::signed(5), license),
			Error::<Test>::LicenseStillValid
		);
		assert_noop!(
			DataLicensing::clear_license(RuntimeOrigin::signed(5), 99),
			Error::<Test>::UnknownLicense
		);
		assert_noop!(
			DataLicensing::remove_dataset(RuntimeOrigin::signed(1), dataset),
			Error::<Test>::DatasetNotRetired
		);
		assert_ok!(DataLicensing::retire_dataset(RuntimeOrigin::signed(1), dataset));
		assert_noop!(
			DataLicensing::remove_dataset(RuntimeOrigin::signed(2), dataset),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			DataLicensing::remove_dataset(RuntimeOrigin::signed(1), dataset),
			Error::<Test>::DatasetHasLicenses
		);
		assert_noop!(
			DataLicensing::remove_dataset(RuntimeOrigin::signed(1), 9),
			Error::<Test>::UnknownDataset
		);

		run_to_block(11);
		assert_ok!(DataLicensing::clear_license(RuntimeOrigin::signed(5), license));
		System::assert_last_event(Event::LicenseCleared { license }.into());
		assert_eq!(held(HoldReason::LicenseDeposit, 2), 0);
		assert_eq!(free(2), FUNDS - 300);
		assert!(!LicensesByHolder::<Test>::contains_key(2, license));

		assert_ok!(DataLicensing::remove_dataset(RuntimeOrigin::signed(1), dataset));
		System::assert_last_event(Event::DatasetRemoved { dataset }.into());
		assert_eq!(held(HoldReason::DatasetDeposit, 1), 0);
		assert_eq!(free(1), FUNDS + 300);
		assert!(DatasetByHash::<Test>::get([7; 32]).is_none());
		// The content can be registered again.
		register(3, 7, vec![terms()]);
	});
}

#[test]
fn inspect_traits_and_queries() {
	new_test_ext().execute_with(|| {
		let dataset = register(1, 7, vec![terms()]);
		let first = purchase(2, dataset, 0);
		let second = purchase(2, dataset, 0);
		let other = purchase(3, dataset, 0);
		assert_eq!(<DataLicensing as DatasetInspect<u64>>::owner(dataset), Some(1));
		assert_eq!(DataLicensing::content_hash(dataset), Some([7; 32]));
		assert_eq!(DataLicensing::royalty(first), Some((1, 250)));
		assert_eq!(DataLicensing::royalty(99), None);
		assert_eq!(DataLicensing::dataset_of(other), Some(dataset));
		assert_eq!(<DataLicensing as LicenseInspect<u64, u64>>::holder(other), Some(3));
		assert_eq!(<DataLicensing as LicenseInspect<u64, u64>>::holder(99), None);
		assert_eq!(DataLicensing::allowed_uses(first), Some(terms().allowed_uses));
		assert_eq!(DataLicensing::allowed_uses(99), None);
		assert_eq!(
			<DataLicensing as LicenseInspect<u64, u64>>::status(first, 1),
			LicenseStatus::Valid { dataset_retired: false }
		);
		let mut mine = DataLicensing::licenses_of(&2, None, 10);
		mine.sort();
		assert_eq!(mine, vec![first, second]);
		let page = DataLicensing::licenses_of(&2, None, 1);
		assert_eq!(page.len(), 1);
		let rest = DataLicensing::licenses_of(&2, Some(page[0]), 10);
		assert_eq!(rest.len(), 1);
		assert_ne!(rest[0], page[0]);
		assert_eq!(DataLicensing::licenses_of(&3, None, 10), vec![other]);
	});
}

#[test]
fn update_offers_errors() {
	new_test_ext().execute_with(|| {
		let dataset = register(1, 7, vec![terms()]);
		assert_noop!(
			DataLicensing::update_offers(RuntimeOrigin::signed(2), dataset, offers(vec![terms()])),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			DataLicensing::update_offers(RuntimeOrigin::signed(1), 9, offers(vec![terms()])),
			Error::<Test>::UnknownDataset
		);
		assert_noop!(
			DataLicensing::update_offers(RuntimeOrigin::signed(1), dataset, offers(vec![])),
			Error::<Test>::NoOffers
		);
		let royalty = LicenseTerms { royalty_bps: 10_001, ..terms() };
		assert_noop!(
			DataLicensing::update_offers(RuntimeOrigin::signed(1), dataset, offers(vec![royalty])),
			Error::<Test>::RoyaltyTooHigh
		);
	});
}

#[test]
fn exhausted_ids_are_refused_without_taking_deposits() {
	new_test_ext().execute_with(|| {
		NextDatasetId::<Test>::put(DatasetId::MAX);
		assert_noop!(
			DataLicensing::register_dataset(
				RuntimeOrigin::signed(1),
				[7; 32],
				None,
				name("x"),
				1,
				None,
				offers(vec![terms()])
			),
			Error::<Test>::IdsExhausted
		);
		NextDatasetId::<Test>::put(0);
		let dataset = register(1, 7, vec![terms()]);
		NextLicenseId::<Test>::put(LicenseId::MAX);
		assert_noop!(
			DataLicensing::purchase_license(RuntimeOrigin::signed(2), dataset, 0, 1_000),
			Error::<Test>::IdsExhausted
		);
		assert_eq!(held(HoldReason::LicenseDeposit, 2), 0);
		assert_eq!(free(2), FUNDS);
	});
}

/// The digest account `who` commits to for dataset `[byte; 32]`.
fn dataset_digest(who: u64, byte: u8) -> CommitmentDigest {
	registration_commitment(RegistrationKind::Dataset, &who, &[byte; 32])
}

/// Registers dataset `[byte; 32]` as `who` through the call, without a commitment helper.
fn register_call(who: u64, byte: u8) -> sp_runtime::DispatchResult {
	DataLicensing::register_dataset(
		RuntimeOrigin::signed(who),
		[byte; 32],
		None,
		name("corpus"),
		1,
		None,
		offers(vec![terms()]),
	)
}

#[test]
fn a_registration_seen_in_the_pool_cannot_be_front_run() {
	new_test_ext().execute_with(|| {
		let (owner, squatter) = (1, 2);
		// Block 1: the owner commits, naming nothing.
		assert_ok!(DataLicensing::commit_registration(
			RuntimeOrigin::signed(owner),
			dataset_digest(owner, 7)
		));
		System::assert_last_event(
			Event::RegistrationCommitted { who: owner, digest: dataset_digest(owner, 7) }.into(),
		);
		assert_eq!(held(HoldReason::RegistrationCommitment, owner), COMMITMENT_DEPOSIT);
		// Registering in the block of the commitment is too early.
		assert_noop!(register_call(owner, 7), Error::<Test>::CommitmentTooRecent);
		// Block 2: the registration is in the pool; the squatter sees the hash and races it.
		run_to_block(2);
		assert_noop!(register_call(squatter, 7), Error::<Test>::NotCommitted);
		assert_ok!(DataLicensing::commit_registration(
			RuntimeOrigin::signed(squatter),
			dataset_digest(squatter, 7)
		));
		assert_noop!(register_call(squatter, 7), Error::<Test>::CommitmentTooRecent);
		assert_ok!(register_call(owner, 7));
		assert_eq!(Datasets::<Test>::get(0).unwrap().owner, owner);
		// The owner's commitment is used and its deposit back; the squatter is a block late for
		// good and gets only its own deposit back by cancelling.
		assert_eq!(held(HoldReason::RegistrationCommitment, owner), 0);
		assert_eq!(free(owner), FUNDS - DATASET_DEPOSIT);
		run_to_block(3);
		assert_noop!(register_call(squatter, 7), Error::<Test>::DuplicateContentHash);
		assert_ok!(DataLicensing::cancel_registration_commitment(
			RuntimeOrigin::signed(squatter),
			dataset_digest(squatter, 7)
		));
		assert_eq!(free(squatter), FUNDS);
	});
}

#[test]
fn a_copied_commitment_commits_the_copier_to_nothing() {
	new_test_ext().execute_with(|| {
		let (owner, copier) = (1, 2);
		let digest = dataset_digest(owner, 7);
		// The copier front-runs the owner's commitment with the same digest.
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(copier), digest));
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(owner), digest));
		run_to_block(2);
		// The digest names the owner: the copier cannot register the content with it.
		assert_noop!(register_call(copier, 7), Error::<Test>::NotCommitted);
		assert_ok!(register_call(owner, 7));
		assert_eq!(Datasets::<Test>::get(0).unwrap().owner, owner);
		assert_eq!(held(HoldReason::RegistrationCommitment, copier), COMMITMENT_DEPOSIT);
	});
}

#[test]
fn commitment_errors() {
	new_test_ext().execute_with(|| {
		let digest = dataset_digest(1, 7);
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(1), digest));
		assert_noop!(
			DataLicensing::commit_registration(RuntimeOrigin::signed(1), digest),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(
			DataLicensing::cancel_registration_commitment(RuntimeOrigin::signed(2), digest),
			Error::<Test>::UnknownCommitment
		);
		// A model commitment does not admit a dataset registration of the same content.
		let model = registration_commitment(RegistrationKind::Model, &3u64, &[7; 32]);
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(3), model));
		run_to_block(2);
		assert_noop!(register_call(3, 7), Error::<Test>::NotCommitted);
		// An account that cannot hold the deposit cannot commit.
		<Balances as frame_support::traits::fungible::Mutate<u64>>::set_balance(&10, ED);
		assert_noop!(
			DataLicensing::commit_registration(RuntimeOrigin::signed(10), digest),
			Error::<Test>::CannotHoldDeposit
		);
		assert_noop!(
			DataLicensing::commit_registration(RuntimeOrigin::none(), digest),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn governance_reassigns_a_squatted_dataset_and_burns_the_squatters_deposit() {
	new_test_ext().execute_with(|| {
		let (squatter, rightful, buyer) = (2, 3, 4);
		let dataset = register(squatter, 7, vec![terms()]);
		let license = purchase(buyer, dataset, 0);
		let issuance = Balances::total_issuance();
		assert_noop!(
			DataLicensing::reassign_dataset(RuntimeOrigin::signed(rightful), dataset, rightful),
			DispatchError::BadOrigin
		);
		assert_noop!(
			DataLicensing::reassign_dataset(RuntimeOrigin::root(), 9, rightful),
			Error::<Test>::UnknownDataset
		);
		assert_noop!(
			DataLicensing::reassign_dataset(RuntimeOrigin::root(), dataset, squatter),
			Error::<Test>::AlreadyOwner
		);
		assert_noop!(
			DataLicensing::reassign_dataset(RuntimeOrigin::root(), dataset, 10),
			Error::<Test>::CannotHoldDeposit
		);
		let squatter_free = free(squatter);
		assert_ok!(DataLicensing::reassign_dataset(RuntimeOrigin::root(), dataset, rightful));
		System::assert_last_event(
			Event::DatasetReassigned {
				dataset,
				from: squatter,
				to: rightful,
				forfeited: DATASET_DEPOSIT,
			}
			.into(),
		);
		// The squatter's deposit is burned, not paid to anyone; the rightful owner holds one.
		assert_eq!(Balances::total_issuance(), issuance - DATASET_DEPOSIT);
		assert_eq!(
			(held(HoldReason::DatasetDeposit, squatter), free(squatter)),
			(0, squatter_free)
		);
		assert_eq!(held(HoldReason::DatasetDeposit, rightful), DATASET_DEPOSIT);
		// Sales and royalties go to the rightful owner from now on; licenses keep their holders.
		let before = free(rightful);
		purchase(5, dataset, 0);
		assert_eq!(free(rightful), before + terms().price);
		assert_eq!(free(squatter), squatter_free);
		assert_eq!(DataLicensing::royalty(license), Some((rightful, terms().royalty_bps)));
		assert_eq!(Licenses::<Test>::get(license).unwrap().holder, buyer);
	});
}

#[test]
fn the_registration_commitment_digest_matches_its_documented_vector() {
	// `docs/data-licensing.md` and `tests/lib/tx.mjs` compute the same bytes.
	let account = sp_runtime::AccountId32::new([1; 32]);
	let model = registration_commitment(RegistrationKind::Model, &account, &[0x42; 32]);
	let dataset = registration_commitment(RegistrationKind::Dataset, &account, &[0x42; 32]);
	let hex = |digest: CommitmentDigest| {
		digest.iter().map(|byte| format!("{byte:02x}")).collect::<String>()
	};
	assert_eq!(hex(model), "d2996dc67173f5d45222b08037556375d74584669ece762beed54cab6a891c79");
	assert_eq!(hex(dataset), "a932340f2ce93cae61eea30b607e692c989ef7fb0765fff13dc02fce2979b14c");
}
