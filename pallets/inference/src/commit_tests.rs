//! Commit, then reveal (finding 1 of the security review, copying): the receipts of redundant
//! jobs and of their disputes' referees, on the mock runtime and through the offchain worker.

use crate::{
	job_tests::{land_receipt, ocw_ext, run_worker, TinyEngine},
	mock::*,
	*,
};
use cairn_inference::{Commitment, ExecutionProvider, TensorSet};
use frame_support::{assert_noop, assert_ok};
use std::sync::Arc;

/// A wrong answer for the tiny model's test input.
fn garbage() -> TensorSet {
	output([0.0, 0.0, 0.0])
}

/// The checkpoint commitment of a receipt of `outputs`.
fn checkpoints(outputs: &TensorSet) -> Commitment {
	Commitment::of(&[outputs.hash()])
}

/// `party`'s commitment to a receipt of `outputs` for `job`, salted with `salt`.
fn commit(
	party: AccountId,
	job: JobId,
	outputs: &TensorSet,
	salt: CommitmentSalt,
) -> DispatchResultOf {
	let digest = receipt_commitment(job, &party, &outputs.hash(), &checkpoints(outputs), &salt);
	commit_digest(party, job, digest)
}

/// `party`'s commitment `digest` for `job`.
fn commit_digest(party: AccountId, job: JobId, digest: CommitmentDigest) -> DispatchResultOf {
	Inference::commit_receipt(RuntimeOrigin::signed(party), job, digest)
		.map(|_| ())
		.map_err(|e| e.error)
}

/// The result of a call, without its weight.
type DispatchResultOf = sp_runtime::DispatchResult;

/// `party`'s receipt of `outputs` for `job`, revealed with `salt`.
fn reveal_receipt(
	party: AccountId,
	job: JobId,
	outputs: &TensorSet,
	salt: CommitmentSalt,
) -> DispatchResultOf {
	Inference::submit_receipt(
		RuntimeOrigin::signed(party),
		job,
		outputs.hash(),
		codec::Encode::encode(outputs).try_into().unwrap(),
		checkpoints(outputs),
		ExecutionProvider::Cpu,
		b"1.31.1".to_vec().try_into().unwrap(),
		42,
		salt,
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

#[test]
fn receipts_of_a_redundant_job_are_revealed_only_after_every_commitment() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, reserving_fee(3), 3);
		let [a, b, c] = assigned(job)[..] else { panic!("three providers") };
		// Nothing is revealed before a commitment, nor before the others committed.
		assert_noop!(reveal_receipt(a, job, &tiny_output(), [1; 32]), err(Error::NotCommitted));
		assert_ok!(commit(a, job, &tiny_output(), [1; 32]));
		System::assert_has_event(Event::ReceiptCommitted { job, party: a }.into());
		assert_noop!(commit(a, job, &tiny_output(), [1; 32]), err(Error::AlreadyCommitted));
		assert_noop!(
			reveal_receipt(a, job, &tiny_output(), [1; 32]),
			err(Error::RevealPhaseNotOpen)
		);
		assert_ok!(commit(b, job, &tiny_output(), [2; 32]));
		assert!(!Inference::reveal_open(job));
		assert_ok!(commit(c, job, &tiny_output(), [3; 32]));
		// The last commitment opens the reveal phase; commitments are closed.
		assert!(Inference::reveal_open(job));
		let deadline = Jobs::<Test>::get(job).unwrap().deadline_at;
		System::assert_has_event(Event::RevealPhaseOpened { job, until: deadline }.into());
		assert_noop!(commit(acc(20), job, &tiny_output(), [0; 32]), err(Error::NotAssigned));
		// A reveal must match its commitment: other outputs or another salt are refused.
		assert_noop!(reveal_receipt(a, job, &garbage(), [1; 32]), err(Error::CommitmentMismatch));
		assert_noop!(
			reveal_receipt(a, job, &tiny_output(), [9; 32]),
			err(Error::CommitmentMismatch)
		);
		for (party, salt) in [(a, [1; 32]), (b, [2; 32]), (c, [3; 32])] {
			assert_ok!(reveal_receipt(party, job, &tiny_output(), salt));
		}
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		// Settlement forgets the commitments.
		assert_eq!(ReceiptCommitments::<Test>::iter_prefix(job).count(), 0);
		assert!(!Inference::reveal_open(job));
	});
}

#[test]
fn a_one_provider_job_answers_without_commitment() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, 10_000, 1);
		let provider = assigned(job)[0];
		assert_noop!(commit(provider, job, &tiny_output(), [1; 32]), err(Error::NothingToCommit));
		assert_ok!(reveal_receipt(provider, job, &tiny_output(), [0; 32]));
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
	});
}

/// Finding 1: a lazy provider waits for an honest one's answer to copy it. Everything of the
/// phase is hidden until its own commitment is in: it committed to nothing it can reveal as the
/// honest answer (a copied digest is bound to the honest party), so it reveals nothing, and is
/// slashed for silence; a cheater it would have joined is outvoted.
#[test]
fn copying_another_providers_receipt_is_useless() {
	new_test_ext().execute_with(|| {
		// Five providers: three assigned, two left to referee.
		DisputeReferees::set(&2);
		let (model, _) = lineage();
		let job = request(model, reserving_fee(3), 3);
		let [honest, cheater, copier] = assigned(job)[..] else { panic!("three providers") };
		let honest_salt = [1; 32];
		assert_ok!(commit(honest, job, &tiny_output(), honest_salt));
		assert_ok!(commit(cheater, job, &garbage(), [2; 32]));
		// The copier sees only digests: it copies the honest one.
		let copied = ReceiptCommitments::<Test>::get(job, honest).unwrap().digest;
		assert_ok!(commit_digest(copier, job, copied));
		assert!(Inference::reveal_open(job));
		assert_ok!(reveal_receipt(honest, job, &tiny_output(), honest_salt));
		assert_ok!(reveal_receipt(cheater, job, &garbage(), [2; 32]));
		// Now it sees the honest answer and its salt, and the digest binds the honest party.
		assert_noop!(
			reveal_receipt(copier, job, &tiny_output(), honest_salt),
			err(Error::CommitmentMismatch)
		);
		let copier_bond = bond(&copier);
		// At the deadline: no majority of three (one each), a dispute; the copier is silent.
		resolve_dispute_at(job, 12, &tiny_output());
		assert_eq!(bond(&copier), copier_bond - MISSED_DEADLINE_SLASH);
		assert_eq!(bond(&cheater), BOND - WRONG_RESULT_SLASH);
		assert_eq!(bond(&honest), BOND);
	});
}

#[test]
fn a_deadline_with_commitments_unrevealed_opens_the_reveal_window() {
	new_test_ext().execute_with(|| {
		DisputeReferees::set(&2);
		let (model, _) = lineage();
		let job = request(model, reserving_fee(3), 3);
		let [a, b, silent] = assigned(job)[..] else { panic!("three providers") };
		assert_ok!(commit(a, job, &tiny_output(), [1; 32]));
		assert_ok!(commit(b, job, &tiny_output(), [2; 32]));
		// One party never commits: the reveal phase waits for the deadline.
		run_to_block(11);
		assert!(!Inference::reveal_open(job));
		run_to_block(12);
		assert!(Inference::reveal_open(job));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Open);
		assert_eq!(record.deadline_at, 12 + REVEAL_WINDOW);
		System::assert_has_event(
			Event::RevealPhaseOpened { job, until: 12 + REVEAL_WINDOW }.into(),
		);
		// Late commitments are refused.
		assert_noop!(commit(silent, job, &tiny_output(), [3; 32]), err(Error::RevealPhaseOpen));
		assert_ok!(reveal_receipt(a, job, &tiny_output(), [1; 32]));
		// The other committed party never reveals: at the window's end it counts as silent.
		run_to_block(13 + REVEAL_WINDOW);
		let record = Jobs::<Test>::get(job).unwrap();
		// One answer of three is no majority: the referees decide.
		assert_eq!(record.status, JobStatus::Disputed);
		for referee in referees(job) {
			assert_ok!(submit(referee, job, &tiny_output()));
		}
		run_to_block(record.deadline_at + 1);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_eq!(bond(&a), BOND);
		assert_eq!(bond(&b), BOND - MISSED_DEADLINE_SLASH);
		assert_eq!(bond(&silent), BOND - MISSED_DEADLINE_SLASH);
	});
}

#[test]
fn referees_commit_then_reveal_too() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, reserving_fee(2), 2);
		let [right, wrong] = assigned(job)[..] else { panic!("two providers") };
		assert_ok!(commit(right, job, &tiny_output(), [1; 32]));
		assert_ok!(commit(wrong, job, &garbage(), [2; 32]));
		assert_ok!(reveal_receipt(right, job, &tiny_output(), [1; 32]));
		assert_ok!(reveal_receipt(wrong, job, &garbage(), [2; 32]));
		run_to_block(2);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
		// The dispute's phase starts without commitments.
		assert!(!Inference::reveal_open(job));
		assert_eq!(ReceiptCommitments::<Test>::iter_prefix(job).count(), 0);
		assert_noop!(commit(right, job, &tiny_output(), [1; 32]), err(Error::InDispute));
		let referees = referees(job);
		assert_noop!(
			reveal_receipt(referees[0], job, &tiny_output(), [5; 32]),
			err(Error::NotCommitted)
		);
		for (i, referee) in referees.iter().enumerate() {
			assert_ok!(commit(*referee, job, &tiny_output(), [10 + i as u8; 32]));
		}
		for (i, referee) in referees.iter().enumerate() {
			assert_ok!(reveal_receipt(*referee, job, &tiny_output(), [10 + i as u8; 32]));
		}
		run_to_block(3);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_eq!(bond(&wrong), BOND - WRONG_RESULT_SLASH);
	});
}

#[test]
fn the_offchain_worker_commits_then_reveals_what_it_committed_to() {
	let (mut ext, pool, local) = ocw_ext(Arc::new(TinyEngine));
	ext.execute_with(|| {
		let other = acc(10);
		assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(other), profile(), BOND));
		let (model, _) = lineage();
		let job = request(model, reserving_fee(2), 2);
		assert!(assigned(job).contains(&local));
		// The first run commits; nothing of the receipt is in the call.
		let calls = run_worker(1, &pool);
		let [RuntimeCall::Inference(Call::commit_receipt { job: committed, digest })] = calls[..]
		else {
			panic!("expected a commitment, got {calls:?}");
		};
		assert_eq!(committed, job);
		land_receipt(calls, local);
		// Committed: no second run, no reveal before the other commits.
		assert!(run_worker(2, &pool).is_empty());
		assert_ok!(commit(other, job, &tiny_output(), [7; 32]));
		let calls = run_worker(3, &pool);
		let [RuntimeCall::Inference(Call::submit_receipt {
			output_hash, salt, ref checkpoints, ..
		})] = calls[..]
		else {
			panic!("expected the reveal, got {calls:?}");
		};
		assert_eq!(digest, receipt_commitment(job, &local, &output_hash, checkpoints, &salt));
		land_receipt(calls, local);
		assert_ok!(reveal_receipt(other, job, &tiny_output(), [7; 32]));
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		// The kept receipt is forgotten once the job closed.
		assert!(run_worker(4, &pool).is_empty());
		let kept = sp_io::offchain::local_storage_get(
			sp_runtime::offchain::StorageKind::PERSISTENT,
			&codec::Encode::encode(&(crate::reveal::KEPT_RECEIPT_PREFIX, job, local)),
		);
		assert_eq!(kept, None);
	});
}
