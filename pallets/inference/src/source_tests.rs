//! Blob sources: registering where a sealed blob can be fetched besides nodes' blob stores, the
//! deposit behind it, and which sources nodes are given.

use crate::{mock::*, sealed_tests::publish_keys, *};
use cairn_inference::seal::{BlobLocation, SealedInput};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};

/// A location of one URL.
fn at(url: &str) -> BlobLocation {
	BlobLocation {
		cid: None,
		uris: BoundedVec::truncate_from(vec![BoundedVec::truncate_from(url.as_bytes().to_vec())]),
	}
}

/// The deposit `who` holds for blob sources.
fn held(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::BlobSource.into(), who)
}

#[test]
fn a_source_holds_its_deposit_until_removed_and_bad_locations_are_refused() {
	new_test_ext().execute_with(|| {
		let who = requester();
		let blob = [3; 32];
		let deposit = Inference::blob_source_deposit();
		assert!(deposit > 0);
		assert_ok!(Inference::set_blob_source(
			RuntimeOrigin::signed(who),
			blob,
			Some(at("https://example.org/blob"))
		));
		assert_eq!(held(&who), deposit);
		// Replacing keeps the one deposit.
		assert_ok!(Inference::set_blob_source(
			RuntimeOrigin::signed(who),
			blob,
			Some(at("ipfs://bafyblob"))
		));
		assert_eq!(held(&who), deposit);
		assert_eq!(BlobSources::<Test>::get(blob, who).unwrap().location, at("ipfs://bafyblob"));
		System::assert_last_event(
			Event::BlobSourceSet {
				blob,
				account: who,
				location: Some(at("ipfs://bafyblob")),
				deposit,
			}
			.into(),
		);

		for bad in [at("ftp://example.org/blob"), at("https://"), at("file:///etc/passwd")] {
			assert_noop!(
				Inference::set_blob_source(RuntimeOrigin::signed(who), blob, Some(bad)),
				Error::<Test>::InvalidBlobSource
			);
		}
		let empty = BlobLocation { cid: Some(BoundedVec::new()), uris: BoundedVec::new() };
		assert_noop!(
			Inference::set_blob_source(RuntimeOrigin::signed(who), blob, Some(empty)),
			Error::<Test>::InvalidBlobSource
		);

		let before = Balances::free_balance(who);
		assert_ok!(Inference::set_blob_source(RuntimeOrigin::signed(who), blob, None));
		assert_eq!((held(&who), Balances::free_balance(who)), (0, before + deposit));
		assert_noop!(
			Inference::set_blob_source(RuntimeOrigin::signed(who), blob, None),
			Error::<Test>::NoBlobSource
		);
		// An account that cannot hold the deposit registers nothing.
		let poor = acc(99);
		assert_noop!(
			Inference::set_blob_source(RuntimeOrigin::signed(poor), blob, Some(at("https://a"))),
			Error::<Test>::CannotHoldSourceDeposit
		);
	});
}

#[test]
fn nodes_are_given_the_sources_of_the_requesters_of_jobs_that_name_the_blob() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		publish_keys(&providers());
		let (_, input): (_, SealedInput) = crate::sealed_tests::sealed_input(&[42; 32]);
		let blob = input.blob.sha256;
		// Anyone may register a source; only a requester's counts, once its job names the blob.
		let stranger = acc(12);
		assert_ok!(Inference::set_blob_source(
			RuntimeOrigin::signed(stranger),
			blob,
			Some(at("https://stranger.example/blob"))
		));
		assert_ok!(Inference::set_blob_source(
			RuntimeOrigin::signed(requester()),
			blob,
			Some(at("https://requester.example/blob"))
		));
		assert!(Inference::blob_sources(&blob).is_empty());
		assert_ok!(Inference::request_job(
			RuntimeOrigin::signed(requester()),
			model,
			JobInput::Sealed(input),
			job_spec(10_000, 1)
		));
		assert_eq!(Inference::blob_sources(&blob), vec![at("https://requester.example/blob")]);
	});
}
