//! Agreement of sealed outputs under a float tolerance: attestations, the agreement window,
//! disputes judged by referees' attestations, sealed audits within the tolerance, and the
//! offchain worker's comparison.

use crate::{
	job_tests::{land_receipt, run_worker},
	mock::*,
	sealed_tests::{
		audit_everything, audit_stage, deliver, publish_keys, sealed_input, sealed_ocw_ext,
		submit_sealed, submit_sealed_committed,
	},
	*,
};
use cairn_inference::{
	checkpoints::Leaves,
	seal::{self, BlobContext, BlobKind, BlobRef, KeyEnvelope, OutputKeyContext, SealedOutput},
	sealed_run::BlobAccess,
	ExecutionProvider, TensorSet, Tolerance,
};
use codec::{Encode, MaxEncodedLen};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, ConstU32},
	BoundedVec,
};

/// The tolerance of these tests' jobs: 1e-5 absolute.
const TOLERANCE: Tolerance = Tolerance { absolute_nano: 10_000, relative_nano: 0 };

/// Requests a sealed job of redundancy `k` on `model` with [`TOLERANCE`] (or `tolerance`).
fn request_tolerant(model: ModelId, k: u32, tolerance: Tolerance) -> JobId {
	let id = NextJobId::<Test>::get();
	let (_, input) = sealed_input(&[42; 32]);
	assert_ok!(Inference::request_job(
		RuntimeOrigin::signed(requester()),
		model,
		JobInput::Sealed(input),
		JobSpec { tolerance, ..job_spec(10_000, k) }
	));
	id
}

/// The output hash job `job` settled with.
fn settled_hash(job: JobId) -> Option<[u8; 32]> {
	System::events().into_iter().find_map(|record| match record.event {
		RuntimeEvent::Inference(Event::JobSettled { job: settled, output_hash, .. })
			if settled == job =>
		{
			output_hash
		},
		_ => None,
	})
}

/// `who`'s attestation that `agreeing` agree with it in `job`.
fn attest(who: AccountId, job: JobId, agreeing: &[AccountId]) -> sp_runtime::DispatchResult {
	Inference::attest_agreement(
		RuntimeOrigin::signed(who),
		job,
		BoundedVec::truncate_from(agreeing.to_vec()),
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

/// A sealed two-provider job with [`TOLERANCE`] whose providers answered with outputs differing
/// by hash: the job and its providers.
fn split_pair() -> (JobId, Vec<AccountId>) {
	let (model, _) = lineage();
	publish_keys(&providers());
	let job = request_tolerant(model, 2, TOLERANCE);
	let pair = assigned(job);
	deliver(job, &pair);
	assert_ok!(submit_sealed(pair[0], job, [1; 32]));
	assert_ok!(submit_sealed(pair[1], job, [2; 32]));
	(job, pair)
}

#[test]
fn sealed_outputs_differing_by_hash_agree_when_each_provider_attests_the_other() {
	new_test_ext().execute_with(|| {
		let (job, pair) = split_pair();
		// Both answered, by different hashes: the job waits for attestations, not a dispute.
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Open);

		// One side alone is not agreement.
		assert_ok!(attest(pair[0], job, &[pair[1]]));
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Open);
		let before = Balances::free_balance(pair[1]);
		assert_ok!(attest(pair[1], job, &[pair[0]]));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		assert_eq!(settled_hash(job), Some([1; 32]));
		let price = record.assigned[1].price;
		assert_eq!(Balances::free_balance(pair[1]), before + price);
		System::assert_has_event(
			Event::AgreementAttested {
				job,
				party: pair[1],
				agreeing: BoundedVec::truncate_from(vec![pair[0]]),
			}
			.into(),
		);
	});
}

/// A sealed receipt of `provider` for `job` with `output_hash`, computed on the CPU provider with
/// ONNX Runtime build `runtime`.
fn submit_sealed_built(provider: AccountId, job: JobId, output_hash: [u8; 32], runtime: &[u8]) {
	let leaves = vec![output_hash].try_into().unwrap();
	assert_ok!(crate::sealed_tests::submit_sealed_committed_built(provider, job, &leaves, runtime));
}

/// Finding 9 (exact tolerance as a weapon): an exact job holds answers to bit-exact agreement
/// only between parties on the same platform. Across runtime builds, mutual attestations under
/// the floor make them agree; on one platform they cannot, and differing hashes go to dispute
/// at once.
#[test]
fn an_exact_job_is_exact_only_on_one_platform() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		publish_keys(&providers());
		let across = request_tolerant(model, 2, Tolerance::EXACT);
		let pair = assigned(across);
		deliver(across, &pair);
		submit_sealed_built(pair[0], across, [1; 32], b"1.31.1");
		submit_sealed_built(pair[1], across, [2; 32], b"1.32.0");
		// Two builds: the job waits for attestations instead of a dispute.
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(across).unwrap().status, JobStatus::Open);
		let bonds = pair.iter().map(bond).collect::<Vec<_>>();
		assert_ok!(attest(pair[0], across, &[pair[1]]));
		assert_ok!(attest(pair[1], across, &[pair[0]]));
		assert_eq!(Jobs::<Test>::get(across).unwrap().status, JobStatus::Completed);
		assert_eq!(pair.iter().map(bond).collect::<Vec<_>>(), bonds);

		let same = request_tolerant(model, 2, Tolerance::EXACT);
		let pair = assigned(same);
		deliver(same, &pair);
		submit_sealed_built(pair[0], same, [1; 32], b"1.31.1");
		submit_sealed_built(pair[1], same, [2; 32], b"1.31.1");
		// One build: attestations cannot make differing hashes agree.
		assert_ok!(attest(pair[0], same, &[pair[1]]));
		assert_ok!(attest(pair[1], same, &[pair[0]]));
		assert_eq!(Jobs::<Test>::get(same).unwrap().status, JobStatus::Open);
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(same).unwrap().status, JobStatus::Disputed);
	});
}

#[test]
fn attestations_are_refused_by_name() {
	new_test_ext().execute_with(|| {
		let (job, pair) = split_pair();
		let stranger = providers().into_iter().find(|p| !pair.contains(p)).unwrap();
		assert_noop!(attest(stranger, job, &[pair[0]]), Error::<Test>::NotAnswered);
		assert_noop!(attest(pair[0], job, &[pair[0]]), Error::<Test>::InvalidAttestation);
		assert_noop!(attest(pair[0], job, &[pair[1], pair[1]]), Error::<Test>::InvalidAttestation);
		assert_noop!(attest(pair[0], job, &[stranger]), Error::<Test>::InvalidAttestation);
		assert_noop!(attest(pair[0], 99, &[]), Error::<Test>::UnknownJob);
		// A job with inline outputs is compared on chain.
		let model = Jobs::<Test>::get(job).unwrap().model;
		let inline = request(model, 10_000, 2);
		Jobs::<Test>::mutate(inline, |job| job.as_mut().unwrap().spec.tolerance = TOLERANCE);
		assert_noop!(attest(pair[0], inline, &[]), Error::<Test>::NotSealed);
		// Nothing is attested once the job settled.
		assert_ok!(attest(pair[0], job, &[pair[1]]));
		assert_ok!(attest(pair[1], job, &[pair[0]]));
		assert_noop!(attest(pair[0], job, &[]), Error::<Test>::JobClosed);
	});
}

#[test]
fn a_window_without_mutual_agreement_opens_a_dispute_whose_referees_judge_by_attestation() {
	new_test_ext().execute_with(|| {
		let (job, pair) = split_pair();
		let deadline = Jobs::<Test>::get(job).unwrap().deadline_at;
		// The second provider does not confirm: every answering party attested, so the job is
		// due at once rather than at its deadline, and no window opens.
		assert_ok!(attest(pair[0], job, &[pair[1]]));
		assert_ok!(attest(pair[1], job, &[]));
		let now = System::block_number();
		assert_eq!(Jobs::<Test>::get(job).unwrap().deadline_at, now);
		assert!(now < deadline);
		run_to_block(now + 1);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Disputed);
		assert_eq!(Inference::agreement_window(job), None);

		let chosen = referees(job);
		deliver(job, &chosen);
		for referee in &chosen {
			assert_ok!(submit_sealed(*referee, job, [3; 32]));
		}
		// A provider does not attest in a dispute.
		assert_noop!(attest(pair[0], job, &[chosen[0]]), Error::<Test>::NotAnswered);
		// The referees all answered: they are given until the dispute's deadline to attest.
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
		// The referees' outputs agree by hash; the first provider's within the tolerance.
		for referee in &chosen {
			assert_ok!(attest(*referee, job, &[pair[0]]));
		}
		run_to_block(System::block_number() + 1);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		assert_eq!(settled_hash(job), Some([3; 32]));
		System::assert_has_event(
			Event::ProviderPaid { job, provider: pair[0], amount: record.assigned[0].price }.into(),
		);
		System::assert_has_event(
			Event::ProviderOutvoted { job, provider: pair[1], slashed: WRONG_RESULT_SLASH }.into(),
		);
	});
}

#[test]
fn without_attestations_the_window_ends_and_the_dispute_opens() {
	new_test_ext().execute_with(|| {
		let (job, _) = split_pair();
		let deadline = Jobs::<Test>::get(job).unwrap().deadline_at;
		run_to_block(deadline + 1);
		let until = Inference::agreement_window(job).expect("a window at the deadline");
		assert_eq!(until, deadline + 1 + AGREEMENT_WINDOW);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!((record.status, record.deadline_at), (JobStatus::Open, until));
		System::assert_has_event(Event::AgreementWindowOpened { job, until }.into());
		run_to_block(until);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Open);
		run_to_block(until + 1);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
		// Equal hashes never need a window.
		let model = Jobs::<Test>::get(job).unwrap().model;
		let agreed = request_tolerant(model, 2, TOLERANCE);
		let pair = assigned(agreed);
		deliver(agreed, &pair);
		for provider in &pair {
			assert_ok!(submit_sealed(*provider, agreed, [5; 32]));
		}
		assert_eq!(Jobs::<Test>::get(agreed).unwrap().status, JobStatus::Completed);
		assert_eq!(Inference::agreement_window(agreed), None);
	});
}

#[test]
fn attestations_and_the_window_are_removed_with_the_job_and_paid_for_by_its_deposit() {
	new_test_ext().execute_with(|| {
		let (job, pair) = split_pair();
		let deadline = Jobs::<Test>::get(job).unwrap().deadline_at;
		run_to_block(deadline + 1);
		assert!(Inference::agreement_window(job).is_some());
		assert_ok!(attest(pair[0], job, &[pair[1]]));
		assert_ok!(attest(pair[1], job, &[pair[0]]));
		let deposit = Balances::balance_on_hold(&HoldReason::JobDeposit.into(), &requester());
		let attestation =
			BoundedVec::<AccountId, ConstU32<MAX_KEY_GRANTS>>::max_encoded_len() as u32;
		assert!(Inference::sealed_storage_bytes(2) > 2 * attestation);
		assert!(deposit > 0);
		run_to_block(System::block_number() + RETENTION_PERIOD + 1);
		assert_ok!(Inference::prune_job(RuntimeOrigin::signed(requester()), job));
		assert_eq!(AgreementAttestations::<Test>::iter_prefix(job).count(), 0);
		assert_eq!(Inference::agreement_window(job), None);
	});
}

#[test]
fn a_sealed_audit_passes_within_the_tolerance_unless_held_exact() {
	new_test_ext_with(0).execute_with(|| {
		audit_everything();
		let (model, _) = lineage();
		let (provider, auditor) = (acc(10), acc(11));
		for who in [provider, auditor] {
			assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(who), profile(), BOND));
		}
		// Both jobs go to the provider, the only one with a key when they are requested.
		publish_keys(&[provider]);
		let leaves: Leaves = vec![[1; 32]].try_into().unwrap();
		let jobs = [TOLERANCE, Tolerance::EXACT, Tolerance::EXACT].map(|tolerance| {
			let job = request_tolerant(model, 1, tolerance);
			deliver(job, &[provider]);
			assert_ok!(submit_sealed_committed(provider, job, &leaves));
			job
		});
		publish_keys(&[auditor]);
		run_to_block(System::block_number() + 1);
		for job in jobs {
			assert_eq!(Audits::<Test>::get(job).unwrap().auditor, Some(auditor));
			deliver(job, &[auditor]);
		}
		let theirs: Leaves = vec![[2; 32]].try_into().unwrap();
		let submit = |job, within_tolerance, runtime: &[u8]| {
			Inference::submit_sealed_audit(
				RuntimeOrigin::signed(auditor),
				job,
				theirs[0],
				cairn_inference::Commitment::of(&theirs),
				ExecutionProvider::Cpu,
				runtime.to_vec().try_into().unwrap(),
				40,
				within_tolerance,
			)
		};
		let [tolerant, exact, across] = jobs;
		assert_ok!(submit(tolerant, true, b"1.31.1"));
		assert_eq!(audit_stage(tolerant), AuditStage::Closed(AuditVerdict::Passed));
		// An exact job audited on the receipt's platform: the claim is ignored, the hashes
		// differ, a dispute opens.
		assert_ok!(submit(exact, true, b"1.31.1"));
		assert_eq!(audit_stage(exact), AuditStage::Revealing);
		// On another runtime build, the floor holds and outputs within it pass.
		assert_ok!(submit(across, true, b"1.32.0"));
		assert_eq!(audit_stage(across), AuditStage::Closed(AuditVerdict::Passed));
	});
}

/// The sealed output blob of `party`'s outputs `outputs` of job `job`, sealed under the key
/// derived from the content key `[42; 32]`, and its description.
fn derived_output(job: JobId, party: AccountId, outputs: &TensorSet) -> (Vec<u8>, SealedOutput) {
	let key = seal::derive_output_key(
		&[42; 32],
		&OutputKeyContext { job, model: MODEL_HASH, party: party.0 },
	);
	let context =
		BlobContext { kind: BlobKind::Output, model: MODEL_HASH, plaintext_hash: outputs.hash() };
	let blob = seal::seal_blob(&key, &outputs.encode(), &context).unwrap();
	let described = SealedOutput {
		blob: BlobRef { sha256: seal::blob_hash(&blob), size_bytes: blob.len() as u32 },
		envelope: KeyEnvelope { ephemeral: [9; 32], nonce: [0; 12], sealed_key: [0; 48] },
	};
	(blob, described)
}

#[test]
fn the_offchain_worker_compares_sealed_outputs_and_attests_those_within_the_tolerance() {
	let (mut ext, pool, local, blobs) = sealed_ocw_ext();
	let node_key = crate::sealed_tests::secret(77);
	ext.execute_with(|| {
		let (model, _) = lineage();
		let (close, far) = (acc(10), acc(11));
		for who in [close, far] {
			assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(who), profile(), BOND));
		}
		publish_keys(&[close, far]);
		let key = seal::public_key(&node_key);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(local), key));
		let job = request_tolerant(model, 3, TOLERANCE);
		let mut parties = assigned(job);
		parties.sort();
		assert_eq!(parties, {
			let mut all = vec![local, close, far];
			all.sort();
			all
		});
		deliver(job, &[local, close, far]);
		let (blob, _) = sealed_input(&[42; 32]);
		blobs.put(&blob).unwrap();
		// This node's provider runs the job and commits; the others' outputs differ a little
		// and a lot, and their commitments open the reveal phase.
		let calls = run_worker(2, &pool);
		assert!(matches!(calls[..], [RuntimeCall::Inference(Call::commit_receipt { .. })]));
		land_receipt(calls, local);
		let others = [(close, 1e-6), (far, 0.5)].map(|(who, shift)| {
			let outputs = output([27.0 + shift, -7.5, 11.5]);
			let checkpoints = cairn_inference::Commitment::of(&[outputs.hash()]);
			let digest = receipt_commitment(job, &who, &outputs.hash(), &checkpoints, &TEST_SALT);
			assert_ok!(Inference::commit_receipt(RuntimeOrigin::signed(who), job, digest));
			(who, outputs, checkpoints)
		});
		assert!(Inference::reveal_open(job));
		let calls = run_worker(3, &pool);
		assert!(matches!(calls[..], [RuntimeCall::Inference(Call::submit_sealed_receipt { .. })]));
		land_receipt(calls, local);
		for (who, outputs, checkpoints) in others {
			let (blob, described) = derived_output(job, who, &outputs);
			blobs.put(&blob).unwrap();
			assert_ok!(Inference::submit_sealed_receipt(
				RuntimeOrigin::signed(who),
				job,
				outputs.hash(),
				described,
				checkpoints,
				ExecutionProvider::Cpu,
				b"1.31.1".to_vec().try_into().unwrap(),
				42,
				TEST_SALT,
			));
		}

		let calls = run_worker(4, &pool);
		assert_eq!(
			calls,
			vec![RuntimeCall::Inference(Call::attest_agreement {
				job,
				agreeing: BoundedVec::truncate_from(vec![close]),
			})]
		);
		// Hashes only: no plaintext tensor in the call.
		let needle = tiny_output().encode();
		assert!(!calls[0].encode().windows(needle.len()).any(|w| w == needle.as_slice()));
		land_receipt(calls, local);
		// Attested on chain: nothing more to send.
		assert!(run_worker(5, &pool).is_empty());
		assert_ok!(attest(close, job, &[local]));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		assert_eq!(settled_hash(job), Some(tiny_output().hash()));
	});
}
