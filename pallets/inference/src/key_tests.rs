//! Providers' encryption keys through the offchain worker (publication, rotation, retries), and
//! blob quotas with their deposits.

use crate::{
	encryption::{ROTATE_REQUEST_KEY, ROTATING_KEY},
	job_tests::{land_receipt, ocw_ext, run_worker, TinyEngine},
	mock::*,
	*,
};
use cairn_inference::{
	host::{SealKeys, SealKeysExt},
	seal::EncryptionPublicKey,
	InferenceError,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use pallet_compute_registry::ProviderKeys;
use sp_runtime::offchain::StorageKind;
use std::sync::Arc;

/// A node keystore stand-in: keys `[10; 32]`, `[11; 32]`, … in the order generated.
#[derive(Default)]
struct TestKeys(parking_lot::Mutex<Vec<EncryptionPublicKey>>);

impl TestKeys {
	fn keys(&self) -> Vec<EncryptionPublicKey> {
		self.0.lock().clone()
	}
}

impl SealKeys for TestKeys {
	fn public_keys(&self) -> Result<Vec<EncryptionPublicKey>, InferenceError> {
		Ok(self.keys())
	}

	fn generate(&self) -> Result<EncryptionPublicKey, InferenceError> {
		let mut keys = self.0.lock();
		let key = [10 + keys.len() as u8; 32];
		keys.push(key);
		Ok(key)
	}

	fn secret(&self, _public: &EncryptionPublicKey) -> Option<x25519_dalek::StaticSecret> {
		None
	}
}

/// The keys of the `publish_encryption_key` calls among `calls`.
fn published(calls: &[RuntimeCall]) -> Vec<EncryptionPublicKey> {
	calls
		.iter()
		.filter_map(|call| match call {
			RuntimeCall::Inference(Call::publish_encryption_key { key }) => Some(*key),
			_ => None,
		})
		.collect()
}

#[test]
fn the_worker_publishes_a_key_of_its_node_once() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	let keys = Arc::new(TestKeys::default());
	ext.0.register_extension(SealKeysExt::new(keys.clone()));
	ext.execute_with(|| {
		let calls = run_worker(1, &pool);
		// The node had no key: it generated one and published it.
		assert_eq!(keys.keys(), vec![[10; 32]]);
		assert_eq!(published(&calls), vec![[10; 32]]);
		land_receipt(calls, provider);
		assert_eq!(ComputeRegistry::encryption_key(&provider), Some(([10; 32], 1)));
		// The registry holds a key of the node's: nothing more to do.
		assert!(published(&run_worker(2, &pool)).is_empty());
		assert!(published(&run_worker(30, &pool)).is_empty());
		assert_eq!(keys.keys().len(), 1);
	});
}

#[test]
fn a_publication_that_never_lands_is_sent_again_after_the_claim_ages() {
	let (mut ext, pool, _) = ocw_ext(Arc::new(TinyEngine));
	ext.0.register_extension(SealKeysExt::new(Arc::new(TestKeys::default())));
	ext.execute_with(|| {
		assert_eq!(published(&run_worker(1, &pool)), vec![[10; 32]]);
		let retry = 1 + u64::from(worker::RETRY_AFTER);
		assert!(published(&run_worker(retry - 1, &pool)).is_empty());
		assert_eq!(published(&run_worker(retry, &pool)), vec![[10; 32]]);
	});
}

#[test]
fn a_key_the_node_does_not_hold_is_replaced_by_one_it_does() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	let keys = Arc::new(TestKeys::default());
	keys.generate().unwrap();
	ext.0.register_extension(SealKeysExt::new(keys.clone()));
	ext.execute_with(|| {
		// Set by hand from another machine: this node cannot open what is sealed to it.
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(provider), [5; 32]));
		let calls = run_worker(1, &pool);
		assert_eq!(published(&calls), vec![[10; 32]]);
		land_receipt(calls, provider);
		assert_eq!(ComputeRegistry::encryption_key(&provider), Some(([10; 32], 2)));
	});
}

#[test]
fn a_rotation_request_publishes_a_new_key_and_ends_once_it_is_on_chain() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	let keys = Arc::new(TestKeys::default());
	ext.0.register_extension(SealKeysExt::new(keys.clone()));
	ext.execute_with(|| {
		land_receipt(run_worker(1, &pool), provider);
		sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, ROTATE_REQUEST_KEY, b"1");
		let calls = run_worker(2, &pool);
		assert_eq!(published(&calls), vec![[11; 32]]);
		// The request is taken; the rotation goes on until the new key is on chain.
		assert!(sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, ROTATE_REQUEST_KEY)
			.is_none());
		assert!(sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, ROTATING_KEY).is_some());
		land_receipt(calls, provider);
		assert_eq!(ComputeRegistry::encryption_key(&provider), Some(([11; 32], 2)));
		assert!(published(&run_worker(3, &pool)).is_empty());
		assert!(sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, ROTATING_KEY).is_none());
		// Both keys stay in the keystore, for jobs sealed to the old one.
		assert_eq!(keys.keys(), vec![[10; 32], [11; 32]]);
		assert!(published(&run_worker(4, &pool)).is_empty());
	});
}

#[test]
fn a_node_without_encryption_keys_publishes_nothing() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	ext.execute_with(|| {
		assert!(published(&run_worker(1, &pool)).is_empty());
		assert_eq!(ComputeRegistry::encryption_key(&provider), None);
	});
}

fn held_for_quota(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Inference(HoldReason::BlobQuota), who)
}

#[test]
fn blob_quotas_hold_exactly_their_deposit() {
	new_test_ext().execute_with(|| {
		let who = acc(9);
		let start = free(&who);
		assert_ok!(Inference::set_blob_quota(RuntimeOrigin::signed(who), 5_000));
		let deposit = 5_000 * JOB_DEPOSIT_PER_BYTE;
		System::assert_last_event(
			Event::BlobQuotaSet { account: who, bytes: 5_000, deposit }.into(),
		);
		assert_eq!(held_for_quota(&who), deposit);
		assert_eq!(free(&who), start - deposit);
		assert_eq!(Inference::blob_quota(&who), 5_000);

		assert_ok!(Inference::set_blob_quota(RuntimeOrigin::signed(who), MAX_BLOB_QUOTA));
		assert_eq!(held_for_quota(&who), MAX_BLOB_QUOTA * JOB_DEPOSIT_PER_BYTE);
		assert_ok!(Inference::set_blob_quota(RuntimeOrigin::signed(who), 1_000));
		assert_eq!(held_for_quota(&who), 1_000 * JOB_DEPOSIT_PER_BYTE);
		assert_eq!(free(&who), start - 1_000 * JOB_DEPOSIT_PER_BYTE);

		assert_ok!(Inference::set_blob_quota(RuntimeOrigin::signed(who), 0));
		System::assert_last_event(
			Event::BlobQuotaSet { account: who, bytes: 0, deposit: 0 }.into(),
		);
		assert_eq!(held_for_quota(&who), 0);
		assert_eq!(free(&who), start);
		assert!(!BlobQuotas::<Test>::contains_key(who));
		assert_eq!(Inference::blob_quota(&who), 0);
	});
}

#[test]
fn blob_quotas_are_refused_by_name() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Inference::set_blob_quota(RuntimeOrigin::signed(acc(9)), MAX_BLOB_QUOTA + 1),
			Error::<Test>::BlobQuotaTooLarge
		);
		let poor = acc(200);
		assert_noop!(
			Inference::set_blob_quota(RuntimeOrigin::signed(poor), 1_000),
			Error::<Test>::CannotHoldQuotaDeposit
		);
		assert_noop!(
			Inference::set_blob_quota(RuntimeOrigin::root(), 1_000),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}
