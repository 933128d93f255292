//! Sealed jobs: requests that carry only hashes, key grants and delivery, sealed receipts,
//! withheld keys and unusable inputs, and the offchain worker's sealed run.

use crate::{
	job_tests::{land_receipt, ocw_ext, run_worker, TinyEngine},
	mock::*,
	*,
};
use cairn_inference::{
	checkpoints::Leaves,
	host::{BlobAccessExt, SealKeys, SealKeysExt},
	seal::{
		self, BlobContext, BlobHash, BlobKind, BlobRef, BlobState, EncryptionPublicKey, KeyContext,
		KeyEnvelope, KeyRole, SealedInput, SealedOutput, UnusableReason, MAX_SEALED_INPUT_BYTES,
	},
	sealed_run::BlobAccess,
	ExecutionProvider, InferenceError, TensorSet,
};
use codec::Encode;
use frame_support::{assert_noop, assert_ok};
use pallet_compute_registry::ProviderKeys;
use std::{collections::HashMap, sync::Arc};
use x25519_dalek::StaticSecret;

/// The X25519 secret of test party `n`.
pub(crate) fn secret(n: u8) -> StaticSecret {
	StaticSecret::from([n; 32])
}

/// Publishes an encryption key for each of `providers` (provider `n` gets [`secret`] `n`).
pub(crate) fn publish_keys(providers: &[AccountId]) {
	for provider in providers {
		let key = seal::public_key(&secret(provider.0[0]));
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(*provider), key));
	}
}

/// A sealed input of [`input`] `[1, 2, 3, 4]`: its blob (sealed under `content_key`) and the
/// request's description of it, outputs to the requester's [`secret`] 1.
pub(crate) fn sealed_input(content_key: &[u8; 32]) -> (Vec<u8>, SealedInput) {
	let plaintext = input([1.0, 2.0, 3.0, 4.0]);
	let context =
		BlobContext { kind: BlobKind::Input, model: MODEL_HASH, plaintext_hash: plaintext.hash() };
	let blob = seal::seal_blob_with(content_key, [5; 12], &plaintext.encode(), &context).unwrap();
	let described = SealedInput {
		plaintext_hash: plaintext.hash(),
		blob: BlobRef { sha256: seal::blob_hash(&blob), size_bytes: blob.len() as u32 },
		output_key: seal::public_key(&secret(1)),
	};
	(blob, described)
}

/// Requests a sealed job of redundancy `k` on `model`; returns its id.
fn request_sealed(model: ModelId, k: u32) -> JobId {
	let id = NextJobId::<Test>::get();
	let (_, input) = sealed_input(&[42; 32]);
	assert_ok!(Inference::request_job(
		RuntimeOrigin::signed(requester()),
		model,
		JobInput::Sealed(input),
		job_spec(10_000, k)
	));
	id
}

/// The content key `[42; 32]` of job `job` wrapped to `party`'s granted key.
pub(crate) fn envelope_for(job: JobId, party: AccountId) -> KeyEnvelope {
	let grant = KeyGrants::<Test>::get(job, party).expect("a grant");
	let context = KeyContext {
		job,
		model: MODEL_HASH,
		recipient: party.0,
		key_epoch: grant.epoch,
		role: grant.role,
	};
	seal::wrap_key(&grant.key, &[42; 32], &context).unwrap()
}

/// Delivers job `job`'s content key to `parties`.
pub(crate) fn deliver(job: JobId, parties: &[AccountId]) {
	let envelopes: Vec<_> = parties.iter().map(|p| (*p, envelope_for(job, *p))).collect();
	assert_ok!(Inference::deliver_keys(
		RuntimeOrigin::signed(requester()),
		job,
		envelopes.try_into().unwrap()
	));
}

/// A sealed receipt of `provider` for `job` with outputs hashing to `output_hash`.
pub(crate) fn submit_sealed(
	provider: AccountId,
	job: JobId,
	output_hash: [u8; 32],
) -> DispatchResult {
	submit_sealed_committed(provider, job, &vec![output_hash].try_into().unwrap())
}

use sp_runtime::DispatchResult;

/// The deposit of a sealed job of redundancy `k`.
fn sealed_deposit(k: u32) -> Balance {
	let receipts = k + if k > 1 { DisputeReferees::get() } else { 0 };
	JOB_DEPOSIT_BASE
		+ JOB_DEPOSIT_PER_BYTE * Balance::from(Inference::sealed_storage_bytes(receipts))
		+ RECEIPT_RECORD_FEE * Balance::from(receipts)
}

#[test]
fn a_sealed_request_assigns_only_providers_with_keys_and_grants_them_the_key() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		// Nobody has a key yet.
		let (_, input) = sealed_input(&[42; 32]);
		let call = |input: SealedInput, k| {
			Inference::request_job(
				RuntimeOrigin::signed(requester()),
				model,
				JobInput::Sealed(input),
				job_spec(10_000, k),
			)
			.map(|_| ())
			.map_err(|e| e.error)
		};
		assert_noop!(call(input.clone(), 1), err(Error::NotEnoughProviders));
		let keyed = &providers()[..2];
		publish_keys(keyed);
		assert_noop!(call(input.clone(), 3), err(Error::NotEnoughProviders));
		assert_noop!(
			call(SealedInput { output_key: [0; 32], ..input.clone() }, 1),
			err(Error::InvalidOutputKey)
		);
		for size in [0, MAX_SEALED_INPUT_BYTES + 1] {
			assert_noop!(
				call(
					SealedInput {
						blob: BlobRef { size_bytes: size, ..input.blob },
						..input.clone()
					},
					1
				),
				err(Error::InvalidSealedBlob)
			);
		}

		let before = free(&requester());
		let job = request_sealed(model, 2);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.input_hash, input.plaintext_hash);
		let mut chosen = assigned(job);
		chosen.sort();
		assert_eq!(chosen, keyed.to_vec());
		assert_eq!(SealedInputs::<Test>::get(job), Some(input));
		assert!(!JobInputs::<Test>::contains_key(job));
		for provider in keyed {
			let grant = KeyGrants::<Test>::get(job, provider).unwrap();
			assert_eq!(Some((grant.key, grant.epoch)), ComputeRegistry::encryption_key(provider));
			assert_eq!((grant.role, grant.envelope), (KeyRole::Provider, None));
		}
		assert_eq!(record.deposit, sealed_deposit(2));
		assert_eq!(held_deposit(&requester()), sealed_deposit(2));
		assert_eq!(before - free(&requester()), 10_000 + sealed_deposit(2));
	});
}

#[test]
fn keys_are_delivered_by_the_requester_once_to_granted_parties() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		publish_keys(&providers());
		let job = request_sealed(model, 1);
		let provider = assigned(job)[0];
		let envelope = envelope_for(job, provider);
		let deliver_as = |who: AccountId, to: AccountId, job: JobId| {
			Inference::deliver_keys(
				RuntimeOrigin::signed(who),
				job,
				vec![(to, envelope.clone())].try_into().unwrap(),
			)
		};
		assert_noop!(deliver_as(acc(4), provider, job), err(Error::NotRequester));
		assert_noop!(deliver_as(requester(), acc(4), job), err(Error::NoKeyGrant));
		assert_noop!(deliver_as(requester(), provider, 99), err(Error::UnknownJob));
		let inline = request(model, 10_000, 1);
		assert_noop!(deliver_as(requester(), provider, inline), err(Error::NotSealed));

		assert_ok!(deliver_as(requester(), provider, job));
		System::assert_last_event(
			Event::KeysDelivered { job, recipients: vec![provider].try_into().unwrap() }.into(),
		);
		assert_eq!(KeyGrants::<Test>::get(job, provider).unwrap().envelope, Some(envelope.clone()));
		assert_noop!(deliver_as(requester(), provider, job), err(Error::KeyAlreadyDelivered));
	});
}

#[test]
fn a_sealed_receipt_settles_with_royalties_and_keeps_only_hashes_on_chain() {
	new_test_ext().execute_with(|| {
		AuditRate::set(sp_runtime::Perbill::one());
		let (model, _) = lineage();
		publish_keys(&providers());
		let job = request_sealed(model, 1);
		let provider = assigned(job)[0];
		deliver(job, &[provider]);
		let inline = request(model, 10_000, 1);
		let inline_provider = assigned(inline)[0];
		// Each kind of job takes its own kind of receipt.
		assert_noop!(submit(provider, job, &tiny_output()), err(Error::JobIsSealed));
		assert_noop!(
			submit_sealed(inline_provider, inline, tiny_output().hash()),
			err(Error::NotSealed)
		);

		let before = free(&requester());
		let provider_before = free(&provider);
		assert_ok!(submit_sealed(provider, job, tiny_output().hash()));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		let receipt = record.assigned[0].receipt.unwrap();
		assert_eq!(Receipts::<Test>::get(receipt).unwrap().output_hash, tiny_output().hash());
		assert!(!ReceiptOutputs::<Test>::contains_key(receipt));
		assert_eq!(SealedOutputs::<Test>::get(receipt).unwrap().blob.size_bytes, 120);
		// Nodes keep the input and output blobs while the job is not pruned.
		let input_blob = SealedInputs::<Test>::get(job).unwrap().blob.sha256;
		let output_blob = [provider.0[0]; 32];
		assert!(Inference::blob_in_use(&input_blob) && Inference::blob_in_use(&output_blob));
		assert!(BlobUses::<Test>::contains_key(input_blob, job));
		assert!(BlobUses::<Test>::contains_key(output_blob, job));
		// Paid and royalties as an inline job, and the audit fee: sealed jobs are audited too.
		let (tune, base, data) = royalties(PRICE);
		assert_eq!(free(&provider) - provider_before, PRICE);
		let fee = Inference::audit_fee(PRICE);
		assert_eq!(free(&requester()) - before, 10_000 - PRICE - tune - base - data - fee);
		System::assert_has_event(Event::AuditFeeCharged { job, amount: fee }.into());
		// Not drawn this time (the rate set to zero before the draw): the job prunes as usual.
		AuditRate::set(sp_runtime::Perbill::zero());
		run_to_block(2);
		assert!(!Audits::<Test>::contains_key(job));

		// Pruning removes the sealed records and returns the deposit less the receipt fee.
		run_to_block(1 + RETENTION_PERIOD);
		let before = free(&requester());
		assert_ok!(Inference::prune_job(RuntimeOrigin::signed(acc(4)), job));
		assert_eq!(free(&requester()) - before, sealed_deposit(1) - RECEIPT_RECORD_FEE);
		assert!(!SealedInputs::<Test>::contains_key(job));
		assert!(!SealedOutputs::<Test>::contains_key(receipt));
		assert_eq!(KeyGrants::<Test>::iter_prefix(job).count(), 0);
		assert!(Receipts::<Test>::contains_key(receipt));
		assert!(!Inference::blob_in_use(&input_blob) && !Inference::blob_in_use(&output_blob));
	});
}

#[test]
fn two_sealed_receipts_agree_by_hash_and_a_disagreement_grants_referees_the_key() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		publish_keys(&providers());
		let agreed = request_sealed(model, 2);
		let pair = assigned(agreed);
		deliver(agreed, &pair);
		for provider in &pair {
			assert_ok!(submit_sealed(*provider, agreed, tiny_output().hash()));
		}
		assert_eq!(Jobs::<Test>::get(agreed).unwrap().status, JobStatus::Completed);

		let split = request_sealed(model, 2);
		let pair = assigned(split);
		deliver(split, &pair);
		assert_ok!(submit_sealed(pair[0], split, tiny_output().hash()));
		assert_ok!(submit_sealed(pair[1], split, [7; 32]));
		run_to_block(System::block_number() + 1);
		let record = Jobs::<Test>::get(split).unwrap();
		assert_eq!(record.status, JobStatus::Disputed);
		for referee in referees(split) {
			let grant = KeyGrants::<Test>::get(split, referee).unwrap();
			assert_eq!((grant.role, grant.envelope), (KeyRole::Referee, None));
		}
		// The requester delivers to the referees; their receipts decide.
		let chosen = referees(split);
		deliver(split, &chosen);
		for referee in &chosen {
			assert_ok!(submit_sealed(*referee, split, tiny_output().hash()));
		}
		run_to_block(System::block_number() + 1);
		let record = Jobs::<Test>::get(split).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		System::assert_has_event(
			Event::ProviderOutvoted { job: split, provider: pair[1], slashed: WRONG_RESULT_SLASH }
				.into(),
		);
	});
}

#[test]
fn a_key_never_delivered_ends_the_job_withheld_and_compensates_the_provider() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		publish_keys(&providers());
		let before = free(&requester());
		let job = request_sealed(model, 2);
		let pair = assigned(job);
		let provider_before: Vec<Balance> = pair.iter().map(free).collect();
		// A party cannot report before its key is delivered: the chain knows that already.
		assert_noop!(
			Inference::report_unusable(
				RuntimeOrigin::signed(pair[0]),
				job,
				UnusableReason::BlobUnavailable
			),
			err(Error::KeyNotDelivered)
		);
		run_to_block(1 + 10 + 1);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Withheld);
		for (provider, before) in pair.iter().zip(provider_before) {
			assert_eq!(free(provider) - before, PRICE);
			System::assert_has_event(
				Event::ProviderCompensated { job, provider: *provider, amount: PRICE }.into(),
			);
		}
		// No royalties: the model did not run. The deposit stays until pruning.
		assert_eq!(before - free(&requester()), 2 * PRICE + sealed_deposit(2));
		assert_eq!(held_fee(&requester()), 0);
	});
}

#[test]
fn reports_of_an_unusable_input_end_the_job_without_pay_or_slash() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		publish_keys(&providers());
		let job = request_sealed(model, 2);
		let pair = assigned(job);
		deliver(job, &pair);
		let report = |who: AccountId, reason| {
			Inference::report_unusable(RuntimeOrigin::signed(who), job, reason)
		};
		assert_noop!(report(acc(4), UnusableReason::CannotDecrypt), err(Error::NotAssigned));
		let bonds: Vec<Balance> = pair.iter().map(bond).collect();
		let before = free(&requester());
		assert_ok!(report(pair[0], UnusableReason::CannotDecrypt));
		System::assert_last_event(
			Event::InputUnusable { job, provider: pair[0], reason: UnusableReason::CannotDecrypt }
				.into(),
		);
		assert_noop!(report(pair[0], UnusableReason::InputMismatch), err(Error::DuplicateReceipt));
		assert_ok!(report(pair[1], UnusableReason::BlobHashMismatch));
		// Both answered: the next block settles the job.
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Unusable);
		assert_eq!(free(&requester()) - before, 10_000);
		assert_eq!(pair.iter().map(bond).collect::<Vec<_>>(), bonds);
		assert_eq!(UnusableReports::<Test>::iter_prefix(job).count(), 2);
	});
}

/// A node keystore stand-in holding one real X25519 secret.
struct OneKey(StaticSecret);

impl SealKeys for OneKey {
	fn public_keys(&self) -> Result<Vec<EncryptionPublicKey>, InferenceError> {
		Ok(vec![seal::public_key(&self.0)])
	}
	fn generate(&self) -> Result<EncryptionPublicKey, InferenceError> {
		Err(InferenceError::KeystoreUnavailable)
	}
	fn secret(&self, public: &EncryptionPublicKey) -> Option<StaticSecret> {
		(*public == seal::public_key(&self.0)).then(|| self.0.clone())
	}
}

/// A blob store stand-in: what is in it, and whether a missing blob is being fetched.
#[derive(Default)]
pub(crate) struct TestBlobs {
	stored: parking_lot::Mutex<HashMap<BlobHash, Vec<u8>>>,
	gave_up: bool,
}

impl BlobAccess for TestBlobs {
	fn get(&self, blob: &BlobRef) -> Option<Vec<u8>> {
		self.stored.lock().get(&blob.sha256).cloned()
	}
	fn request(&self, blob: &BlobRef) -> BlobState {
		match self.stored.lock().contains_key(&blob.sha256) {
			true => BlobState::Stored,
			false if self.gave_up => BlobState::Failed(UnusableReason::BlobUnavailable),
			false => BlobState::Fetching,
		}
	}
	fn put(&self, bytes: &[u8]) -> Result<BlobHash, InferenceError> {
		let hash = seal::blob_hash(bytes);
		self.stored.lock().insert(hash, bytes.to_vec());
		Ok(hash)
	}
}

#[test]
fn the_offchain_worker_runs_a_sealed_job_and_seals_the_outputs_to_the_requester() {
	let (mut ext, pool, provider, blobs) = sealed_ocw_ext();
	let node_key = secret(77);
	ext.execute_with(|| {
		let (model, _) = lineage();
		let key = seal::public_key(&node_key);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(provider), key));
		let job = request_sealed(model, 1);
		// No key delivered yet: nothing to do.
		assert!(run_worker(1, &pool).is_empty());
		deliver(job, &[provider]);
		// The blob is not here yet: the node fetches it, the worker waits.
		assert!(run_worker(2, &pool).is_empty());
		let (blob, _) = sealed_input(&[42; 32]);
		blobs.put(&blob).unwrap();

		let calls = run_worker(3, &pool);
		let [RuntimeCall::Inference(Call::submit_sealed_receipt { output_hash, ref output, .. })] =
			calls[..]
		else {
			panic!("expected a sealed receipt, got {calls:?}");
		};
		assert_eq!(output_hash, tiny_output().hash());
		// Only the requester's output key opens the outputs, stored in the node's blobs.
		let context = KeyContext {
			job,
			model: MODEL_HASH,
			recipient: requester().0,
			key_epoch: 0,
			role: KeyRole::Requester,
		};
		let content_key = seal::unwrap_key(&secret(1), &output.envelope, &context).unwrap();
		let sealed = blobs.get(&output.blob).unwrap();
		let opened = seal::open_blob(
			&content_key,
			&sealed,
			&BlobContext { kind: BlobKind::Output, model: MODEL_HASH, plaintext_hash: output_hash },
		)
		.unwrap();
		assert_eq!(TensorSet::decode_canonical(&opened).unwrap(), tiny_output());
		assert!(seal::unwrap_key(&node_key, &output.envelope, &context).is_err());
		// No plaintext tensor in the call.
		let encoded = calls[0].encode();
		let needle = tiny_output().encode();
		assert!(!encoded.windows(needle.len()).any(|w| w == needle.as_slice()));

		land_receipt(calls, provider);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
	});
}

#[test]
fn the_offchain_worker_reports_a_blob_it_cannot_get_and_a_key_it_cannot_open() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	let node_key = secret(77);
	ext.0.register_extension(SealKeysExt::new(Arc::new(OneKey(node_key.clone()))));
	ext.0.register_extension(BlobAccessExt::new(Arc::new(TestBlobs {
		gave_up: true,
		..Default::default()
	})));
	ext.execute_with(|| {
		let (model, _) = lineage();
		let key = seal::public_key(&node_key);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(provider), key));
		let job = request_sealed(model, 1);
		deliver(job, &[provider]);
		let calls = run_worker(1, &pool);
		assert_eq!(
			calls,
			vec![RuntimeCall::Inference(Call::report_unusable {
				job,
				reason: UnusableReason::BlobUnavailable
			})]
		);
		// Reported once.
		assert!(run_worker(2, &pool).is_empty());
		land_receipt(calls, provider);
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Unusable);
	});

	// A key wrapped for another party does not open: reported as such.
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	ext.0.register_extension(SealKeysExt::new(Arc::new(OneKey(node_key.clone()))));
	let blobs = Arc::new(TestBlobs::default());
	ext.0.register_extension(BlobAccessExt::new(blobs.clone()));
	ext.execute_with(|| {
		let (model, _) = lineage();
		let key = seal::public_key(&node_key);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(provider), key));
		let job = request_sealed(model, 1);
		let (blob, _) = sealed_input(&[42; 32]);
		blobs.put(&blob).unwrap();
		let context = KeyContext {
			job,
			model: MODEL_HASH,
			recipient: acc(4).0,
			key_epoch: 1,
			role: KeyRole::Provider,
		};
		let wrong = seal::wrap_key(&key, &[42; 32], &context).unwrap();
		assert_ok!(Inference::deliver_keys(
			RuntimeOrigin::signed(requester()),
			job,
			vec![(provider, wrong)].try_into().unwrap()
		));
		assert_eq!(
			run_worker(1, &pool),
			vec![RuntimeCall::Inference(Call::report_unusable {
				job,
				reason: UnusableReason::CannotDecrypt
			})]
		);
	});
}

/// Test externalities for the offchain worker ([`ocw_ext`]) whose keystore holds the encryption
/// key [`secret`] 77, with an empty blob store: them, the pool, the node's provider, the blobs.
pub(crate) fn sealed_ocw_ext() -> (
	crate::mock::TestExternalities,
	Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>,
	AccountId,
	Arc<TestBlobs>,
) {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	ext.0.register_extension(SealKeysExt::new(Arc::new(OneKey(secret(77)))));
	let blobs = Arc::new(TestBlobs::default());
	ext.0.register_extension(BlobAccessExt::new(blobs.clone()));
	(ext, pool, provider, blobs)
}

/// Turns audits on for every job and funds the audit pot.
pub(crate) fn audit_everything() {
	AuditRate::set(sp_runtime::Perbill::one());
	<Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(
		&Inference::audit_pot(),
		100_000,
	);
}

/// Four leaves of a sealed run: two shared, `third`, and `output_hash`.
pub(crate) fn sealed_leaves(third: u8, output_hash: [u8; 32]) -> Leaves {
	vec![[0xa0; 32], [0xa1; 32], [third; 32], output_hash].try_into().unwrap()
}

/// A sealed receipt of `provider` for `job` committing to `leaves` (the last its output hash).
pub(crate) fn submit_sealed_committed(
	provider: AccountId,
	job: JobId,
	leaves: &Leaves,
) -> DispatchResult {
	submit_sealed_committed_built(provider, job, leaves, b"1.31.1")
}

/// [`submit_sealed_committed`], naming ONNX Runtime build `runtime`.
pub(crate) fn submit_sealed_committed_built(
	provider: AccountId,
	job: JobId,
	leaves: &Leaves,
	runtime: &[u8],
) -> DispatchResult {
	let output_hash = *leaves.last().unwrap();
	let checkpoints = cairn_inference::Commitment::of(leaves);
	reveal(job, provider, &output_hash, &checkpoints, |salt| {
		Inference::submit_sealed_receipt(
			RuntimeOrigin::signed(provider),
			job,
			output_hash,
			SealedOutput {
				blob: BlobRef { sha256: [provider.0[0]; 32], size_bytes: 120 },
				envelope: KeyEnvelope { ephemeral: [9; 32], nonce: [0; 12], sealed_key: [0; 48] },
			},
			checkpoints,
			ExecutionProvider::Cpu,
			runtime.to_vec().try_into().unwrap(),
			42,
			salt,
		)
		.map(|_| ())
		.map_err(|e| e.error)
	})
}

/// The sealed audit result of `auditor` for `job` committing to `leaves`.
pub(crate) fn sealed_audit(auditor: AccountId, job: JobId, leaves: &Leaves) -> DispatchResult {
	Inference::submit_sealed_audit(
		RuntimeOrigin::signed(auditor),
		job,
		*leaves.last().unwrap(),
		cairn_inference::Commitment::of(leaves),
		ExecutionProvider::Cpu,
		b"1.31.1".to_vec().try_into().unwrap(),
		40,
		false,
	)
}

/// Every job audited, the pot funded, every provider keyed; a sealed single-provider job on
/// `model` whose provider committed to `leaves`, drawn for audit in the next block: (job,
/// provider, auditor).
fn sealed_audited_job(model: ModelId, leaves: &Leaves) -> (JobId, AccountId, AccountId) {
	audit_everything();
	publish_keys(&providers());
	let job = request_sealed(model, 1);
	let provider = assigned(job)[0];
	deliver(job, &[provider]);
	assert_ok!(submit_sealed_committed(provider, job, leaves));
	run_to_block(System::block_number() + 1);
	let audit = Audits::<Test>::get(job).expect("drawn");
	assert_eq!(audit.stage, AuditStage::Auditing);
	(job, provider, audit.auditor.expect("an auditor"))
}

/// The stage of the audit of `job`.
pub(crate) fn audit_stage(job: JobId) -> AuditStage<AccountId> {
	Audits::<Test>::get(job).expect("an audit").stage
}

/// The reputation record of provider `who`.
fn reputation(who: &AccountId) -> pallet_compute_registry::Reputation {
	pallet_compute_registry::Providers::<Test>::get(who).unwrap().reputation
}

#[test]
fn a_sealed_job_is_audited_by_hash_with_the_key_delivered_to_its_auditor() {
	new_test_ext().execute_with(|| {
		let honest = sealed_leaves(0xcc, tiny_output().hash());
		let (model, _) = lineage();
		let (job, provider, auditor) = sealed_audited_job(model, &honest);
		assert_ne!(auditor, provider);
		// The auditor is granted the content key at its key's epoch, as its auditor.
		let grant = KeyGrants::<Test>::get(job, auditor).expect("a grant");
		assert_eq!((grant.role, grant.envelope), (KeyRole::Auditor, None));
		assert_eq!(Inference::audit_tasks_of(&auditor), vec![job]);
		// The job completed; its requester still delivers the auditor's key, once.
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_noop!(
			Inference::deliver_keys(
				RuntimeOrigin::signed(acc(4)),
				job,
				vec![(auditor, envelope_for(job, auditor))].try_into().unwrap()
			),
			err(Error::NotRequester)
		);
		deliver(job, &[auditor]);
		assert!(KeyGrants::<Test>::get(job, auditor).unwrap().envelope.is_some());

		// A sealed job's auditor answers with hashes only; an inline job's with its outputs.
		assert_noop!(
			Inference::submit_audit(
				RuntimeOrigin::signed(auditor),
				job,
				tiny_output().hash(),
				tiny_output().encode().try_into().unwrap(),
				cairn_inference::Commitment::of(&honest),
				ExecutionProvider::Cpu,
				b"1.31.1".to_vec().try_into().unwrap(),
				40,
			),
			Error::<Test>::JobIsSealed
		);
		assert_noop!(sealed_audit(provider, job, &honest), Error::<Test>::NotAuditor);
		let before = free(&auditor);
		assert_ok!(sealed_audit(auditor, job, &honest));
		assert_eq!(audit_stage(job), AuditStage::Closed(AuditVerdict::Passed));
		assert_eq!(free(&auditor) - before, AUDIT_REWARD);
		// Closed: no more deliveries.
		assert_noop!(
			Inference::deliver_keys(
				RuntimeOrigin::signed(requester()),
				job,
				vec![(auditor, envelope_for(job, auditor))].try_into().unwrap()
			),
			err(Error::JobClosed)
		);

		// An inline job's auditor cannot answer with hashes alone.
		let inline = request(model, 10_000, 1);
		let inline_provider = assigned(inline)[0];
		assert_ok!(submit(inline_provider, inline, &tiny_output()));
		run_to_block(System::block_number() + 1);
		let inline_auditor = Audits::<Test>::get(inline).unwrap().auditor.unwrap();
		assert_noop!(sealed_audit(inline_auditor, inline, &honest), Error::<Test>::NotSealed);
	});
}

#[test]
fn a_cheating_sealed_provider_is_caught_by_a_referee_granted_the_key_and_nothing_is_posted() {
	new_test_ext().execute_with(|| {
		let cheat = sealed_leaves(0xbb, output([0.0, 0.0, 0.0]).hash());
		let honest = sealed_leaves(0xcc, tiny_output().hash());
		let (job, provider, auditor) = sealed_audited_job(lineage().0, &cheat);
		deliver(job, &[auditor]);
		assert_ok!(sealed_audit(auditor, job, &honest));
		assert_eq!(audit_stage(job), AuditStage::Revealing);
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, cheat));
		assert_ok!(Inference::reveal_checkpoints(
			RuntimeOrigin::signed(auditor),
			job,
			honest.clone()
		));
		let AuditStage::Refereeing { task: RefereeTask::Segment(2), referee } = audit_stage(job)
		else {
			panic!("expected a referee for segment 2, got {:?}", audit_stage(job));
		};
		// The referee is granted the key and runs from the input: no checkpoint is posted.
		assert_eq!(KeyGrants::<Test>::get(job, referee).unwrap().role, KeyRole::Referee);
		assert!(Inference::audit_tasks_of(&provider).is_empty());
		assert!(Inference::audit_tasks_of(&auditor).is_empty());
		let checkpoint = output([0.5, 1.5, 2.5]);
		assert_noop!(
			Inference::post_segment_input(RuntimeOrigin::signed(auditor), job, checkpoint),
			Error::<Test>::JobIsSealed
		);
		deliver(job, &[referee]);

		let (requester_before, referee_before, auditor_before, pot_before) =
			(free(&requester()), free(&referee), free(&auditor), pot());
		let issuance = Balances::total_issuance();
		assert_ok!(Inference::submit_referee_answer(
			RuntimeOrigin::signed(referee),
			job,
			RefereeAnswer::Leaf(honest[2])
		));
		assert_eq!(audit_stage(job), AuditStage::Closed(AuditVerdict::ProviderCaught));
		// The provider's slash goes to the pot, which pays the auditor and referee: nothing
		// minted or burned, nothing to the requester.
		assert_eq!(free(&requester()), requester_before);
		assert_eq!(pot() - pot_before, AUDIT_SLASH - AUDIT_REWARD - REFEREE_REWARD);
		assert_eq!(free(&referee) - referee_before, REFEREE_REWARD);
		assert_eq!(free(&auditor) - auditor_before, AUDIT_REWARD);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(reputation(&provider).disputes_lost, 1);
	});
}

#[test]
fn keys_withheld_from_an_auditor_or_referee_close_the_audit_without_blame() {
	new_test_ext().execute_with(|| {
		let honest = sealed_leaves(0xcc, tiny_output().hash());
		let (job, provider, auditor) = sealed_audited_job(lineage().0, &honest);
		let pot = free(&Inference::audit_pot());
		let (provider_bond, auditor_bond) = (
			pallet_compute_registry::Providers::<Test>::get(provider).unwrap().bond,
			pallet_compute_registry::Providers::<Test>::get(auditor).unwrap().bond,
		);
		let deadline = Audits::<Test>::get(job).unwrap().deadline;
		run_to_block(deadline + 1);
		assert_eq!(audit_stage(job), AuditStage::Closed(AuditVerdict::KeyWithheld));
		// Nobody slashed or paid, the auditor not counted as missing, the fee kept in the pot.
		assert_eq!(reputation(&auditor).missed, 0);
		assert_eq!(free(&Inference::audit_pot()), pot);
		assert_eq!(
			pallet_compute_registry::Providers::<Test>::get(provider).unwrap().bond,
			provider_bond
		);
		assert_eq!(
			pallet_compute_registry::Providers::<Test>::get(auditor).unwrap().bond,
			auditor_bond
		);
	});

	new_test_ext().execute_with(|| {
		let cheat = sealed_leaves(0xbb, output([0.0, 0.0, 0.0]).hash());
		let honest = sealed_leaves(0xcc, tiny_output().hash());
		let (job, provider, auditor) = sealed_audited_job(lineage().0, &cheat);
		deliver(job, &[auditor]);
		assert_ok!(sealed_audit(auditor, job, &honest));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, cheat));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(auditor), job, honest));
		let AuditStage::Refereeing { referee, .. } = audit_stage(job) else { panic!("no referee") };
		let deadline = Audits::<Test>::get(job).unwrap().deadline;
		run_to_block(deadline + 1);
		assert_eq!(audit_stage(job), AuditStage::Closed(AuditVerdict::Unresolved));
		assert_eq!(reputation(&referee).missed, 0);
	});
}

#[test]
fn the_offchain_worker_audits_a_sealed_job_with_its_auditor_key() {
	let (mut ext, pool, local, blobs) = sealed_ocw_ext();
	let node_key = secret(77);
	ext.execute_with(|| {
		audit_everything();
		let (model, _) = lineage();
		// Another provider, the only one with a key when the job is requested, runs it.
		let other = acc(10);
		assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(other), profile(), BOND));
		publish_keys(&[other]);
		let job = request_sealed(model, 1);
		assert_eq!(assigned(job), vec![other]);
		deliver(job, &[other]);
		let honest = sealed_leaves(0xcc, tiny_output().hash());
		// On this node's platform: an exact job's audit needs no comparison of outputs.
		assert_ok!(submit_sealed_committed_built(other, job, &honest, b"test"));
		// This node's provider publishes its key and is drawn as the auditor.
		let key = seal::public_key(&node_key);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(local), key));
		run_to_block(System::block_number() + 1);
		assert_eq!(Audits::<Test>::get(job).unwrap().auditor, Some(local));

		// Nothing to do before its key is delivered and the blob is here.
		assert!(run_worker(3, &pool).is_empty());
		deliver(job, &[local]);
		let (blob, _) = sealed_input(&[42; 32]);
		blobs.put(&blob).unwrap();
		let calls = run_worker(4, &pool);
		let [RuntimeCall::Inference(Call::submit_sealed_audit { output_hash, .. })] = calls[..]
		else {
			panic!("expected a sealed audit, got {calls:?}");
		};
		assert_eq!(output_hash, tiny_output().hash());
		// Hashes only: no plaintext tensor in the call.
		let needle = tiny_output().encode();
		assert!(!calls[0].encode().windows(needle.len()).any(|w| w == needle.as_slice()));
		land_receipt(calls, local);
		assert_eq!(audit_stage(job), AuditStage::Closed(AuditVerdict::Passed));
	});
}

#[test]
fn the_offchain_worker_referees_a_sealed_audit_from_the_opened_input() {
	let (mut ext, pool, local, blobs) = sealed_ocw_ext();
	let node_key = secret(77);
	ext.execute_with(|| {
		audit_everything();
		let (model, _) = lineage();
		let (provider, auditor) = (acc(10), acc(11));
		for who in [provider, auditor] {
			assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(who), profile(), BOND));
		}
		// Keys published one at a time, so that the provider runs the job, the other provider
		// audits it and this node's provider referees.
		publish_keys(&[provider]);
		let job = request_sealed(model, 1);
		deliver(job, &[provider]);
		let cheat: Leaves = vec![[0xbb; 32], output([0.0, 0.0, 0.0]).hash()].try_into().unwrap();
		assert_ok!(submit_sealed_committed(provider, job, &cheat));
		publish_keys(&[auditor]);
		run_to_block(System::block_number() + 1);
		assert_eq!(Audits::<Test>::get(job).unwrap().auditor, Some(auditor));
		deliver(job, &[auditor]);
		// The tiny engine's run is one segment: its only leaf is the output's hash.
		let honest: Leaves = vec![tiny_output().hash()].try_into().unwrap();
		assert_ok!(sealed_audit(auditor, job, &honest));
		let key = seal::public_key(&node_key);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(local), key));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, cheat));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(auditor), job, honest));
		assert_eq!(
			audit_stage(job),
			AuditStage::Refereeing { task: RefereeTask::Checkpoints, referee: local }
		);

		// Its key first, and the blob: then the referee runs the whole model from the input.
		let block = System::block_number();
		assert!(run_worker(block, &pool).is_empty());
		deliver(job, &[local]);
		let (blob, _) = sealed_input(&[42; 32]);
		blobs.put(&blob).unwrap();
		let calls = run_worker(block + 1, &pool);
		let commitment = cairn_inference::Commitment::of(&[tiny_output().hash()]);
		assert_eq!(
			calls,
			vec![RuntimeCall::Inference(Call::submit_referee_answer {
				job,
				answer: RefereeAnswer::Checkpoints(commitment)
			})]
		);
		land_receipt(calls, local);
		assert_eq!(audit_stage(job), AuditStage::Closed(AuditVerdict::ProviderCaught));
	});
}
