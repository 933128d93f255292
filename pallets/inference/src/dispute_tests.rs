//! Disputes resolved by CPU referees, and pruning of settled jobs, on the mock runtime.

use crate::{mock::*, *};
use cairn_inference::ExecutionProvider;
use frame_support::{assert_noop, assert_ok};
use pallet_compute_registry::{ProviderInspect, Reputation};

/// A wrong answer for the tiny model's test input.
fn wrong() -> cairn_inference::TensorSet {
	output([0.0, 0.0, 0.0])
}

/// The reputation record of provider `who`.
fn reputation(who: &AccountId) -> Reputation {
	pallet_compute_registry::Providers::<Test>::get(who).unwrap().reputation
}

/// A two-provider job on the mock lineage (fee ceiling 10 000) whose providers answered the
/// tiny model's output and a wrong one, in that order; the dispute is opened in block 2.
/// Returns the job, the right and the wrong provider.
fn disputed() -> (JobId, AccountId, AccountId) {
	let (model, _) = lineage();
	let job = request(model, 10_000, 2);
	let [right, wrong_one] = assigned(job)[..] else { panic!("two providers") };
	assert_ok!(submit(right, job, &tiny_output()));
	assert_ok!(submit(wrong_one, job, &wrong()));
	// Complete but no majority: the dispute opens in the next block.
	assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Open);
	run_to_block(2);
	(job, right, wrong_one)
}

#[test]
fn a_dispute_is_decided_by_cpu_referees_and_the_losing_side_slashed() {
	new_test_ext().execute_with(|| {
		let start = free(&requester());
		let pot_before = pot();
		let (job, right, wrong_one) = disputed();
		let owners = [model_owner(), acc(4), data_owner()].map(|a| free(&a));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Disputed);
		let referees = referees(job);
		assert_eq!(referees.len() as u32, DISPUTE_REFEREES);
		assert!(referees.iter().all(|r| *r != right && *r != wrong_one));
		assert_eq!(record.deadline_at, 2 + DISPUTE_PERIOD);
		System::assert_has_event(
			Event::DisputeOpened {
				job,
				referees: referees.clone().try_into().unwrap(),
				deadline: 2 + DISPUTE_PERIOD,
			}
			.into(),
		);
		// The providers' slots are free again; the referees hold one each.
		assert_eq!(ComputeRegistry::capacity_left(&right), 4);
		assert!(referees.iter().all(|r| ComputeRegistry::capacity_left(r) == 3));
		let before: Vec<Balance> = [right, wrong_one].iter().chain(&referees).map(free).collect();

		// Two referees agree with the right provider, one does not.
		assert_ok!(submit(referees[0], job, &tiny_output()));
		assert_ok!(submit(referees[1], job, &wrong()));
		assert_ok!(submit(referees[2], job, &tiny_output()));
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
		run_to_block(3);

		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		assert_eq!(record.fee_held, 0);
		let paid = 3 * PRICE;
		let (tune, base, data) = royalties(paid);
		System::assert_has_event(
			Event::JobSettled {
				job,
				status: JobStatus::Completed,
				output_hash: Some(tiny_output().hash()),
				paid,
				royalties: tune + base + data,
				refunded: 10_000 - paid - tune - base - data,
			}
			.into(),
		);
		// Balances to the unit: the right provider and the agreeing referees are paid, the wrong
		// provider and the wrong referee slashed to the audit pot, the lineage paid royalties.
		assert_eq!(free(&right), before[0] + PRICE);
		assert_eq!(free(&wrong_one), before[1]);
		assert_eq!(free(&referees[0]), before[2] + PRICE);
		assert_eq!(free(&referees[1]), before[3]);
		assert_eq!(free(&referees[2]), before[4] + PRICE);
		assert_eq!(bond(&wrong_one), BOND - WRONG_RESULT_SLASH);
		assert_eq!(bond(&referees[1]), BOND - WRONG_RESULT_SLASH);
		assert_eq!(bond(&right), BOND);
		assert_eq!(free(&requester()), start - paid - tune - base - data - job_deposit(2));
		assert_eq!(pot(), pot_before + 2 * WRONG_RESULT_SLASH);
		assert_eq!(held_fee(&requester()), 0);
		assert_eq!(free(&model_owner()), owners[0] + tune);
		assert_eq!(free(&acc(4)), owners[1] + base);
		assert_eq!(free(&data_owner()), owners[2] + data);
		// Reputations: the dispute's loser records a lost dispute, the wrong referee a failure.
		assert_eq!(reputation(&wrong_one).disputes_lost, 1);
		assert_eq!(reputation(&referees[1]).failed, 1);
		assert_eq!(reputation(&right).completed, 1);
		assert_eq!(reputation(&referees[0]).completed, 1);
		assert!(referees.iter().chain([&right, &wrong_one]).all(|p| {
			ComputeRegistry::capacity_left(p) == 4 && AssignedJobs::<Test>::get(p, job).is_none()
		}));
		// Every receipt is a receipt of the job, the referees' on CPU.
		assert_eq!(record.receipts().count(), 5);
		assert!(record
			.receipts()
			.skip(2)
			.all(
				|r| Receipts::<Test>::get(r).unwrap().execution_provider == ExecutionProvider::Cpu
			));
	});
}

#[test]
fn receipts_in_a_dispute_are_refused_by_name() {
	new_test_ext().execute_with(|| {
		let (job, right, _) = disputed();
		let referees = referees(job);
		assert_noop!(submit(right, job, &tiny_output()), err(Error::InDispute));
		assert_noop!(submit(acc(20), job, &tiny_output()), err(Error::NotAssigned));
		assert_noop!(
			submit_on(referees[0], job, &tiny_output(), ExecutionProvider::Cuda),
			err(Error::WrongExecutionProvider)
		);
		assert_ok!(submit(referees[0], job, &tiny_output()));
		assert_noop!(submit(referees[0], job, &tiny_output()), err(Error::DuplicateReceipt));
	});
}

#[test]
fn referees_that_disagree_leave_the_dispute_unresolved_and_the_providers_paid() {
	new_test_ext().execute_with(|| {
		let start = free(&requester());
		let (job, right, wrong_one) = disputed();
		let before = [right, wrong_one].map(|p| free(&p));
		let referees = referees(job);
		assert_ok!(submit(referees[0], job, &tiny_output()));
		assert_ok!(submit(referees[1], job, &wrong()));
		assert_ok!(submit(referees[2], job, &output([5.0, 5.0, 5.0])));
		run_to_block(3);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Unresolved);
		// Nobody could be judged: the work done is paid (with its royalties), nobody slashed;
		// the referees, without a majority, are neither paid nor slashed.
		let (tune, base, data) = royalties(2 * PRICE);
		assert_eq!(free(&requester()), start - 2 * PRICE - tune - base - data - job_deposit(2));
		assert_eq!([right, wrong_one].map(|p| free(&p)), before.map(|b| b + PRICE));
		assert!(referees.iter().chain([&right, &wrong_one]).all(|p| bond(p) == BOND));
		assert!(referees
			.iter()
			.chain([&right, &wrong_one])
			.all(|p| { ComputeRegistry::capacity_left(p) == 4 }));
		assert!(referees.iter().all(|p| reputation(p) == Reputation::default()));
		assert_eq!(reputation(&right).completed, 1);
	});
}

#[test]
fn a_silent_referee_is_missed_and_the_others_still_decide_at_the_deadline() {
	new_test_ext().execute_with(|| {
		let (job, right, wrong_one) = disputed();
		let referees = referees(job);
		// The referees side with the second provider's answer this time.
		assert_ok!(submit(referees[0], job, &wrong()));
		assert_ok!(submit(referees[2], job, &wrong()));
		run_to_block(2 + DISPUTE_PERIOD);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
		run_to_block(3 + DISPUTE_PERIOD);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_eq!(bond(&right), BOND - WRONG_RESULT_SLASH);
		assert_eq!(bond(&wrong_one), BOND);
		// Silent while the other referees answered: slashed a little.
		assert_eq!(reputation(&referees[1]).missed, 1);
		assert_eq!(bond(&referees[1]), BOND - MISSED_DEADLINE_SLASH);
		System::assert_has_event(
			Event::SilenceSlashed { job, party: referees[1], slashed: MISSED_DEADLINE_SLASH }
				.into(),
		);
		assert_eq!(ComputeRegistry::capacity_left(&referees[1]), 4);
		System::assert_has_event(
			Event::JobSettled {
				job,
				status: JobStatus::Completed,
				output_hash: Some(wrong().hash()),
				paid: 3 * PRICE,
				royalties: {
					let (t, b, d) = royalties(3 * PRICE);
					t + b + d
				},
				refunded: 10_000 - 3 * PRICE - {
					let (t, b, d) = royalties(3 * PRICE);
					t + b + d
				},
			}
			.into(),
		);
	});
}

#[test]
fn a_partial_answer_without_majority_goes_to_dispute_at_the_deadline() {
	new_test_ext().execute_with(|| {
		// Five providers, three assigned: two are left to referee.
		DisputeReferees::set(&2);
		let (model, _) = lineage();
		let job = request(model, 20_000, 3);
		let providers = assigned(job);
		assert_ok!(submit(providers[0], job, &tiny_output()));
		assert_ok!(submit(providers[1], job, &wrong()));
		run_to_block(11);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Open);
		run_to_block(12);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
		let referees = referees(job);
		assert_eq!(referees.len(), 2);
		// The silent provider is no longer asked; its slot is free.
		assert!(AssignedJobs::<Test>::get(providers[2], job).is_none());
		assert_eq!(ComputeRegistry::capacity_left(&providers[2]), 4);
		for referee in &referees {
			assert_ok!(submit(*referee, job, &tiny_output()));
		}
		run_to_block(13);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_eq!(reputation(&providers[0]).completed, 1);
		assert_eq!(reputation(&providers[1]).disputes_lost, 1);
		assert_eq!(reputation(&providers[2]).missed, 1);
		assert_eq!(bond(&providers[2]), BOND - MISSED_DEADLINE_SLASH);
	});
}

#[test]
fn without_referees_the_job_ends_unresolved_and_the_work_is_paid() {
	// Two providers only: nobody is left to referee.
	new_test_ext_with(2).execute_with(|| {
		let start = free(&requester());
		let (job, right, wrong_one) = disputed();
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Unresolved);
		assert!(record.referees.is_empty());
		let (tune, base, data) = royalties(2 * PRICE);
		assert_eq!(free(&requester()), start - 2 * PRICE - tune - base - data - job_deposit(2));
		assert_eq!(bond(&right), BOND);
		assert_eq!(bond(&wrong_one), BOND);
		assert_eq!(ComputeRegistry::capacity_left(&right), 4);
	});
}

#[test]
fn a_redundant_request_reserves_its_referees() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		// The fee ceiling covers the two providers and their royalties, not the referees: its
		// share per party prices every provider out.
		let (tune, base, data) = royalties(2 * PRICE);
		assert_noop!(
			Inference::request_job(
				RuntimeOrigin::signed(requester()),
				model,
				input([1.0, 2.0, 3.0, 4.0]).into(),
				job_spec(2 * PRICE + tune + base + data, 2)
			),
			err(Error::NotEnoughProviders)
		);
		// Two providers and three referees at the providers' price, with royalties on all.
		let reserved = (2 + Balance::from(DISPUTE_REFEREES)) * PRICE;
		let (tune, base, data) = royalties(reserved);
		let fee = reserved + tune + base + data;
		assert_noop!(
			Inference::request_job(
				RuntimeOrigin::signed(requester()),
				model,
				input([1.0, 2.0, 3.0, 4.0]).into(),
				job_spec(fee - 1, 2)
			),
			err(Error::FeeTooLow)
		);
		let job = request(model, fee, 2);
		let providers = assigned(job);
		assert_ok!(submit(providers[0], job, &tiny_output()));
		assert_ok!(submit(providers[1], job, &wrong()));
		run_to_block(2);
		// The smallest fee that was accepted funds the dispute.
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Disputed);
	});
}

#[test]
fn the_fewest_referees_allowed_decide_alone() {
	new_test_ext().execute_with(|| {
		DisputeReferees::set(&1);
		let (job, right, wrong_one) = disputed();
		let referees = referees(job);
		assert_eq!(referees.len(), 1);
		assert_ok!(submit(referees[0], job, &tiny_output()));
		run_to_block(3);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_eq!(bond(&wrong_one), BOND - WRONG_RESULT_SLASH);
		assert_eq!(bond(&right), BOND);
		assert_eq!(Inference::referee_count(), 1);
		DisputeReferees::set(&0);
		assert_eq!(Inference::referee_count(), 1, "at least one referee");
	});
}

#[test]
fn settled_jobs_are_pruned_after_retention_and_their_receipt_records_stay() {
	new_test_ext().execute_with(|| {
		let start = free(&requester());
		let (job, _, _) = disputed();
		let referees = referees(job);
		for referee in &referees {
			assert_ok!(submit(*referee, job, &tiny_output()));
		}
		// Live jobs cannot be pruned, nor unknown ones.
		let caller = RuntimeOrigin::signed(acc(5));
		assert_noop!(Inference::prune_job(caller.clone(), job), err(Error::JobNotSettled));
		assert_noop!(Inference::prune_job(caller.clone(), 99), err(Error::UnknownJob));
		run_to_block(3);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.settled_at, Some(3));
		let receipts: Vec<ReceiptId> = record.receipts().collect();
		assert_eq!(receipts.len(), 5);
		run_to_block(3 + RETENTION_PERIOD - 1);
		assert_noop!(Inference::prune_job(caller.clone(), job), err(Error::RetentionNotOver));
		run_to_block(3 + RETENTION_PERIOD);
		let before = free(&requester());
		let issuance = Balances::total_issuance();

		assert_ok!(Inference::prune_job(caller.clone(), job));
		let burned = 5 * RECEIPT_RECORD_FEE;
		System::assert_last_event(
			Event::JobPruned { job, refunded: job_deposit(2) - burned, burned }.into(),
		);
		assert!(Jobs::<Test>::get(job).is_none());
		assert_eq!(held_deposit(&requester()), 0);
		assert_eq!(free(&requester()), before + job_deposit(2) - burned);
		assert_eq!(Balances::total_issuance(), issuance - burned);
		// Outputs are gone; receipt records, their hashes and indexes stay.
		for receipt in &receipts {
			assert!(ReceiptOutputs::<Test>::get(receipt).is_none());
			let kept = Receipts::<Test>::get(receipt).unwrap();
			assert_eq!(kept.job, job);
			assert!(ReceiptsByModel::<Test>::contains_key(MODEL_HASH, receipt));
			assert!(ReceiptsByProvider::<Test>::contains_key(kept.provider, receipt));
		}
		let mut indexed = Inference::receipts_of_model(MODEL_HASH, None, 10);
		indexed.sort();
		assert_eq!(indexed, receipts);
		assert_noop!(Inference::prune_job(caller, job), err(Error::UnknownJob));
		// Over the whole life of the job: the requester paid the providers, royalties and
		// the receipt record fees; the slash went to the audit pot.
		let (tune, base, data) = royalties(4 * PRICE);
		assert_eq!(free(&requester()), start - 4 * PRICE - tune - base - data - burned);
	});
}

#[test]
fn deposits_are_held_per_job_and_refused_when_unaffordable() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		request(model, 10_000, 1);
		request(model, 10_000, 3);
		assert_eq!(held_deposit(&requester()), job_deposit(1) + job_deposit(3));
		assert_eq!(job_deposit(3) - job_deposit(1), 5 * RECEIPT_RECORD_FEE);
		let poor = acc(6);
		let _ = <Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(
			&poor,
			10_000 + job_deposit(1) - 1,
		);
		assert_noop!(
			Inference::request_job(
				RuntimeOrigin::signed(poor),
				model,
				input([1.0, 2.0, 3.0, 4.0]).into(),
				job_spec(10_000, 1)
			),
			err(Error::CannotHoldFee)
		);
	});
}
