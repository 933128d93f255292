//! Tests of sampled audits and dispute bisection.

use crate::{mock::*, *};
use cairn_inference::{checkpoints::Leaves, Commitment, ExecutionProvider, Tensor, TensorSet};
use frame_support::{assert_noop, assert_ok, traits::fungible::Mutate};
use sp_runtime::Perbill;

/// A fee ceiling that covers a provider, the royalties and the audit fee.
const FEE: Balance = 10_000;

/// The tensors of the checkpoint every honest and cheating run in these tests shares (leaf 1).
fn shared_checkpoint() -> TensorSet {
	TensorSet::new(vec![Tensor::from_f32("h", &[1, 2], &[0.5, 1.5]).unwrap()]).unwrap()
}

/// Four leaves: two shared (a constant, [`shared_checkpoint`]), `third`, and the hash of
/// `outputs`.
fn leaves(third: u8, outputs: &TensorSet) -> Leaves {
	vec![[0xa0; 32], shared_checkpoint().hash(), [third; 32], outputs.hash()].try_into().unwrap()
}

/// What a cheating provider returns.
fn wrong_output() -> TensorSet {
	output([0.0, 0.0, 0.0])
}

/// Submits `outputs` for `job` as `provider` with the commitment of `leaves`.
fn submit_committed(
	provider: AccountId,
	job: JobId,
	outputs: &TensorSet,
	leaves: &Leaves,
) -> sp_runtime::DispatchResult {
	Inference::submit_receipt(
		RuntimeOrigin::signed(provider),
		job,
		outputs.hash(),
		codec::Encode::encode(outputs).try_into().unwrap(),
		Commitment::of(leaves),
		ExecutionProvider::Cpu,
		b"1.31.1".to_vec().try_into().unwrap(),
		42,
		TEST_SALT,
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

/// Submits the auditor's result for `job`.
fn audit_with(
	auditor: AccountId,
	job: JobId,
	outputs: &TensorSet,
	leaves: &Leaves,
) -> sp_runtime::DispatchResult {
	Inference::submit_audit(
		RuntimeOrigin::signed(auditor),
		job,
		outputs.hash(),
		codec::Encode::encode(outputs).try_into().unwrap(),
		Commitment::of(leaves),
		ExecutionProvider::Cpu,
		b"1.31.1".to_vec().try_into().unwrap(),
		40,
	)
}

/// Turns audits on for every job and funds the pot.
fn audit_everything() {
	AuditRate::set(Perbill::one());
	Balances::set_balance(&Inference::audit_pot(), 100_000);
}

/// A single-provider job whose provider answered `outputs` committing to `leaves`, drawn for
/// audit in the next block: (job, provider, auditor).
fn audited_job(outputs: &TensorSet, leaves: &Leaves) -> (JobId, AccountId, AccountId) {
	audit_everything();
	let (model, _) = lineage();
	let job = request(model, FEE, 1);
	let provider = assigned(job)[0];
	assert_ok!(submit_committed(provider, job, outputs, leaves));
	let now = System::block_number();
	run_to_block(now + 1);
	let audit = Audits::<Test>::get(job).expect("drawn");
	assert_eq!(audit.stage, AuditStage::Auditing);
	let auditor = audit.auditor.expect("an auditor");
	assert_ne!(auditor, provider);
	(job, provider, auditor)
}

/// The stage of the audit of `job`.
fn stage(job: JobId) -> AuditStage<AccountId> {
	Audits::<Test>::get(job).expect("an audit").stage
}

/// The referee of the audit of `job`.
fn referee(job: JobId) -> AccountId {
	match stage(job) {
		AuditStage::Refereeing { referee, .. } => referee,
		other => panic!("not refereeing: {other:?}"),
	}
}

/// A disputed audit where the provider cheated from leaf 2 on: both revealed; (job, provider,
/// auditor, referee).
fn cheat_refereed() -> (JobId, AccountId, AccountId, AccountId) {
	let (job, provider, auditor) = audited_job(&wrong_output(), &leaves(0xbb, &wrong_output()));
	assert_ok!(audit_with(auditor, job, &tiny_output(), &leaves(0xcc, &tiny_output())));
	assert_ok!(Inference::reveal_checkpoints(
		RuntimeOrigin::signed(provider),
		job,
		leaves(0xbb, &wrong_output())
	));
	assert_ok!(Inference::reveal_checkpoints(
		RuntimeOrigin::signed(auditor),
		job,
		leaves(0xcc, &tiny_output())
	));
	let referee = referee(job);
	(job, provider, auditor, referee)
}

/// The last event of the inference pallet.
fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Inference(event) => Some(event),
			_ => None,
		})
		.expect("an inference event")
}

/// The events of the inference pallet so far.
fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Inference(event) => Some(event),
			_ => None,
		})
		.collect()
}

#[test]
fn receipts_carry_their_checkpoint_commitment() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, FEE, 1);
		let provider = assigned(job)[0];
		let committed = leaves(1, &tiny_output());
		let empty = Commitment { root: [0; 32], leaves: 0 };
		let oversized = Commitment { root: [0; 32], leaves: 18 };
		for bad in [empty, oversized] {
			let result = Inference::submit_receipt(
				RuntimeOrigin::signed(provider),
				job,
				tiny_output().hash(),
				codec::Encode::encode(&tiny_output()).try_into().unwrap(),
				bad,
				ExecutionProvider::Cpu,
				Default::default(),
				1,
				TEST_SALT,
			);
			assert_eq!(result.map_err(|e| e.error), Err(err(Error::InvalidCommitment)));
		}
		assert_ok!(submit_committed(provider, job, &tiny_output(), &committed));
		let receipt = Jobs::<Test>::get(job).unwrap().assigned[0].receipt.unwrap();
		assert_eq!(ReceiptCheckpoints::<Test>::get(receipt), Some(Commitment::of(&committed)));
		// Audits off: nothing queued, the input goes at settlement.
		assert!(Audits::<Test>::get(job).is_none());
		assert!(JobInputs::<Test>::get(job).is_none());
	});
}

#[test]
fn an_honest_audit_passes_pays_the_auditor_and_reconciles_to_the_unit() {
	new_test_ext().execute_with(|| {
		audit_everything();
		let (model, _) = lineage();
		let pot = Inference::audit_pot();
		let issuance = Balances::total_issuance();
		let (requester_before, pot_before) = (free(&requester()), free(&pot));
		let job = request(model, FEE, 1);
		let provider = assigned(job)[0];
		let provider_before = free(&provider);
		assert_ok!(submit_committed(provider, job, &tiny_output(), &leaves(1, &tiny_output())));
		// The requester paid the price, the royalties and the audit fee; the deposit is held.
		// The fee funds, at the audit rate, the auditor's and a referee's rewards.
		let fee = Inference::audit_fee(PRICE);
		assert_eq!(fee, AUDIT_REWARD + REFEREE_REWARD);
		let (tune, base, data) = royalties(PRICE);
		assert_eq!(
			requester_before - free(&requester()),
			PRICE + tune + base + data + fee + job_deposit(1)
		);
		assert_eq!(free(&pot), pot_before + fee);
		assert!(events().contains(&Event::AuditFeeCharged { job, amount: fee }));
		assert_eq!(stage(job), AuditStage::AwaitingDraw);
		assert!(JobInputs::<Test>::get(job).is_some(), "kept for the auditor");

		run_to_block(2);
		let auditor = Audits::<Test>::get(job).unwrap().auditor.unwrap();
		assert!(events().contains(&Event::AuditDrawn { job, audited: true }));
		assert!(events().contains(&Event::AuditOpened {
			job,
			provider,
			auditor,
			deadline: 2 + AUDIT_PERIOD
		}));
		assert_eq!(Inference::audit_tasks_of(&auditor), vec![job]);
		let auditor_before = free(&auditor);
		assert_noop!(
			audit_with(provider, job, &tiny_output(), &leaves(1, &tiny_output())),
			Error::<Test>::NotAuditor
		);
		assert_ok!(audit_with(auditor, job, &tiny_output(), &leaves(1, &tiny_output())));
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::Passed));
		assert_eq!(
			last_event(),
			Event::AuditClosed { job, verdict: AuditVerdict::Passed, slashed: None }
		);
		assert_eq!(free(&auditor), auditor_before + AUDIT_REWARD);
		assert_eq!(free(&pot), pot_before + fee - AUDIT_REWARD);
		assert_eq!(free(&provider), provider_before + PRICE);
		assert!(JobInputs::<Test>::get(job).is_none());
		assert!(Inference::audit_tasks_of(&auditor).is_empty());
		assert_eq!(Balances::total_issuance(), issuance);
		assert_noop!(
			audit_with(auditor, job, &tiny_output(), &leaves(1, &tiny_output())),
			Error::<Test>::NotAuditing
		);
	});
}

#[test]
fn the_draw_is_fixed_after_the_receipt_and_follows_the_rate() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		Balances::set_balance(&Inference::audit_pot(), 100_000);
		AuditRate::set(Perbill::from_percent(50));
		let mut drawn = Vec::new();
		for round in 0..12u64 {
			let job = request(model, FEE, 1);
			assert_ok!(submit(assigned(job)[0], job, &tiny_output()));
			run_to_block(System::block_number() + 1);
			let expected = Inference::is_drawn(&System::parent_hash(), job);
			assert_eq!(Audits::<Test>::get(job).is_some(), expected, "round {round}");
			assert_eq!(JobInputs::<Test>::get(job).is_some(), expected);
			assert!(events().contains(&Event::AuditDrawn { job, audited: expected }));
			drawn.push(expected);
			if let Some(auditor) = Audits::<Test>::get(job).and_then(|a| a.auditor) {
				assert_ok!(audit_with(auditor, job, &tiny_output(), &leaves(1, &tiny_output())));
			}
		}
		assert!(drawn.contains(&true) && drawn.contains(&false), "{drawn:?}");
		// The score is a fixed function of the seed: a rate of zero draws nothing, one everything.
		let seed = System::parent_hash();
		AuditRate::set(Perbill::one());
		assert!((0..50).all(|job| Inference::is_drawn(&seed, job)));
		AuditRate::set(Perbill::from_parts(1));
		assert!((0..50).filter(|job| Inference::is_drawn(&seed, *job)).count() < 2);
	});
}

#[test]
fn a_cheating_provider_is_found_by_bisection_and_slashed_to_the_pot() {
	new_test_ext().execute_with(|| {
		let cheat = leaves(0xbb, &wrong_output());
		let honest = leaves(0xcc, &tiny_output());
		let (job, provider, auditor) = audited_job(&wrong_output(), &cheat);
		let issuance = Balances::total_issuance();
		assert_ok!(audit_with(auditor, job, &tiny_output(), &honest));
		assert_eq!(stage(job), AuditStage::Revealing);
		assert!(events().contains(&Event::AuditDisputed {
			job,
			provider_output: wrong_output().hash(),
			auditor_output: tiny_output().hash(),
			deadline: System::block_number() + REVEAL_PERIOD,
		}));
		// Reveals are checked against each party's own commitment and output.
		assert_noop!(
			Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, honest.clone()),
			Error::<Test>::LeavesMismatch
		);
		assert_noop!(
			Inference::reveal_checkpoints(RuntimeOrigin::signed(acc(1)), job, cheat.clone()),
			Error::<Test>::NotAuditParty
		);
		assert_noop!(
			Inference::post_segment_input(RuntimeOrigin::signed(auditor), job, shared_checkpoint()),
			Error::<Test>::NoSegmentInputNeeded
		);
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, cheat));
		assert_noop!(
			Inference::reveal_checkpoints(
				RuntimeOrigin::signed(provider),
				job,
				leaves(0xbb, &wrong_output())
			),
			Error::<Test>::AlreadyRevealed
		);
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(auditor), job, honest));
		let referee = referee(job);
		assert!(referee != provider && referee != auditor);
		assert_eq!(Audits::<Test>::get(job).unwrap().divergence, Some(2));
		assert!(matches!(stage(job), AuditStage::Refereeing { task: RefereeTask::Segment(2), .. }));
		assert_eq!(Inference::audit_tasks_of(&referee), vec![job]);

		// The segment starts from the agreed checkpoint 1, posted with a deposit.
		let wrong_tensors = output([1.0, 2.0, 3.0]);
		assert_noop!(
			Inference::post_segment_input(RuntimeOrigin::signed(auditor), job, wrong_tensors),
			Error::<Test>::SegmentInputMismatch
		);
		let auditor_before = free(&auditor);
		assert_ok!(Inference::post_segment_input(
			RuntimeOrigin::signed(auditor),
			job,
			shared_checkpoint()
		));
		let bytes = codec::Encode::encoded_size(&shared_checkpoint()) as Balance;
		assert_eq!(free(&auditor), auditor_before - bytes * JOB_DEPOSIT_PER_BYTE);
		assert_noop!(
			Inference::post_segment_input(
				RuntimeOrigin::signed(provider),
				job,
				shared_checkpoint()
			),
			Error::<Test>::SegmentInputAlreadyPosted
		);

		let (requester_before, provider_bond, referee_before, pot_before) =
			(free(&requester()), bond(&provider), free(&referee), pot());
		assert_noop!(
			Inference::submit_referee_answer(
				RuntimeOrigin::signed(auditor),
				job,
				RefereeAnswer::Leaf([0xcc; 32])
			),
			Error::<Test>::NotReferee
		);
		assert_noop!(
			Inference::submit_referee_answer(
				RuntimeOrigin::signed(referee),
				job,
				RefereeAnswer::Checkpoints(Commitment::of(&[[0xcc; 32]]))
			),
			Error::<Test>::WrongRefereeAnswer
		);
		assert_ok!(Inference::submit_referee_answer(
			RuntimeOrigin::signed(referee),
			job,
			RefereeAnswer::Leaf([0xcc; 32])
		));
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::ProviderCaught));
		assert_eq!(
			last_event(),
			Event::AuditClosed {
				job,
				verdict: AuditVerdict::ProviderCaught,
				slashed: Some((provider, AUDIT_SLASH))
			}
		);
		assert_eq!(bond(&provider), provider_bond - AUDIT_SLASH);
		// The slash goes to the pot, which pays the auditor and the referee; the requester
		// gains nothing from it.
		assert_eq!(free(&requester()), requester_before);
		assert_eq!(free(&auditor), auditor_before + AUDIT_REWARD);
		assert_eq!(free(&referee), referee_before + REFEREE_REWARD);
		assert_eq!(pot(), pot_before + AUDIT_SLASH - AUDIT_REWARD - REFEREE_REWARD);
		// Nothing of the dispute stays but the closed record.
		assert!(SegmentInputs::<Test>::get(job).is_none());
		assert!(RevealedLeaves::<Test>::iter_prefix(job).next().is_none());
		assert!(AuditTasks::<Test>::iter().next().is_none());
		assert!(JobInputs::<Test>::get(job).is_none());
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn a_lying_auditor_loses_to_the_referee() {
	new_test_ext().execute_with(|| {
		let honest = leaves(0xcc, &tiny_output());
		let (job, provider, auditor) = audited_job(&tiny_output(), &honest);
		let lie = leaves(0xdd, &wrong_output());
		assert_ok!(audit_with(auditor, job, &wrong_output(), &lie));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(auditor), job, lie));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, honest));
		let referee = referee(job);
		let (auditor_bond, provider_before, pot_before) = (bond(&auditor), free(&provider), pot());
		assert_ok!(Inference::submit_referee_answer(
			RuntimeOrigin::signed(referee),
			job,
			RefereeAnswer::Leaf([0xcc; 32])
		));
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::AuditorCaught));
		assert_eq!(bond(&auditor), auditor_bond - AUDIT_SLASH);
		// To the pot (less the deciding referee's reward), not to the provider.
		assert_eq!(free(&provider), provider_before);
		assert_eq!(pot(), pot_before + AUDIT_SLASH - REFEREE_REWARD);
	});
}

#[test]
fn a_segment_from_the_input_needs_no_posted_checkpoint() {
	new_test_ext().execute_with(|| {
		let cheat: Leaves = vec![[0xbb; 32], wrong_output().hash()].try_into().unwrap();
		let honest: Leaves = vec![[0xcc; 32], tiny_output().hash()].try_into().unwrap();
		let (job, provider, auditor) = audited_job(&wrong_output(), &cheat);
		assert_ok!(audit_with(auditor, job, &tiny_output(), &honest));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, cheat));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(auditor), job, honest));
		assert!(matches!(stage(job), AuditStage::Refereeing { task: RefereeTask::Segment(0), .. }));
		// Only the referee has work: segment 0 runs on the job's input.
		assert!(Inference::audit_tasks_of(&provider).is_empty());
		assert_noop!(
			Inference::post_segment_input(RuntimeOrigin::signed(auditor), job, shared_checkpoint()),
			Error::<Test>::NoSegmentInputNeeded
		);
		assert_ok!(Inference::submit_referee_answer(
			RuntimeOrigin::signed(referee(job)),
			job,
			RefereeAnswer::Leaf([0xcc; 32])
		));
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::ProviderCaught));
	});
}

#[test]
fn honest_disagreement_within_tolerance_never_disputes() {
	new_test_ext().execute_with(|| {
		audit_everything();
		let (model, _) = lineage();
		let mut spec = job_spec(FEE, 1);
		spec.tolerance = cairn_inference::Tolerance { absolute_nano: 1_000_000, relative_nano: 0 };
		let job = NextJobId::<Test>::get();
		assert_ok!(Inference::request_job(
			RuntimeOrigin::signed(requester()),
			model,
			input([1.0, 2.0, 3.0, 4.0]).into(),
			spec
		));
		let provider = assigned(job)[0];
		let bond_before = bond(&provider);
		assert_ok!(submit_committed(provider, job, &tiny_output(), &leaves(1, &tiny_output())));
		run_to_block(2);
		let auditor = Audits::<Test>::get(job).unwrap().auditor.unwrap();
		// Another machine's rounding: every leaf differs, the outputs by 1e-5.
		let close = output([27.00001, -7.50001, 11.5]);
		assert_ok!(audit_with(auditor, job, &close, &leaves(9, &close)));
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::Passed));
		assert_eq!(bond(&provider), bond_before);
	});
}

#[test]
fn a_silent_auditor_misses_and_is_slashed_a_little() {
	new_test_ext().execute_with(|| {
		let (job, provider, auditor) = audited_job(&tiny_output(), &leaves(1, &tiny_output()));
		let bonds = (bond(&provider), bond(&auditor));
		let deadline = Audits::<Test>::get(job).unwrap().deadline;
		run_to_block(deadline);
		assert_eq!(stage(job), AuditStage::Auditing);
		run_to_block(deadline + 1);
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::AuditorMissed));
		assert_eq!((bond(&provider), bond(&auditor)), (bonds.0, bonds.1 - MISSED_DEADLINE_SLASH));
		assert_eq!(
			pallet_compute_registry::Providers::<Test>::get(auditor).unwrap().active_jobs,
			0
		);
		assert!(JobInputs::<Test>::get(job).is_none());
	});
}

#[test]
fn a_party_that_does_not_reveal_loses() {
	for silent_provider in [true, false] {
		new_test_ext().execute_with(|| {
			let cheat = leaves(0xbb, &wrong_output());
			let honest = leaves(0xcc, &tiny_output());
			let (job, provider, auditor) = audited_job(&wrong_output(), &cheat);
			assert_ok!(audit_with(auditor, job, &tiny_output(), &honest));
			let bonds = (bond(&provider), bond(&auditor));
			if silent_provider {
				assert_ok!(Inference::reveal_checkpoints(
					RuntimeOrigin::signed(auditor),
					job,
					honest
				));
			} else {
				assert_ok!(Inference::reveal_checkpoints(
					RuntimeOrigin::signed(provider),
					job,
					cheat
				));
			}
			let deadline = Audits::<Test>::get(job).unwrap().deadline;
			run_to_block(deadline + 1);
			if silent_provider {
				assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::ProviderCaught));
				assert_eq!(bond(&provider), bonds.0 - AUDIT_SLASH);
			} else {
				assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::AuditorCaught));
				assert_eq!(bond(&auditor), bonds.1 - AUDIT_SLASH);
			}
		});
	}
}

#[test]
fn a_silent_or_unmatched_referee_leaves_the_dispute_unresolved() {
	for referee_answers in [false, true] {
		new_test_ext().execute_with(|| {
			let (job, provider, auditor, referee) = cheat_refereed();
			let bonds = (bond(&provider), bond(&auditor));
			let referee_before = free(&referee);
			if referee_answers {
				assert_ok!(Inference::submit_referee_answer(
					RuntimeOrigin::signed(referee),
					job,
					RefereeAnswer::Leaf([0xee; 32])
				));
			} else {
				let deadline = Audits::<Test>::get(job).unwrap().deadline;
				run_to_block(deadline + 1);
			}
			assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::Unresolved));
			assert_eq!((bond(&provider), bond(&auditor)), bonds);
			assert_eq!(free(&referee), referee_before, "a referee decides nothing, is not paid");
			assert_eq!(
				pallet_compute_registry::Providers::<Test>::get(referee).unwrap().active_jobs,
				0
			);
		});
	}
}

#[test]
fn differing_leaf_counts_are_decided_by_a_checkpointed_rerun() {
	new_test_ext().execute_with(|| {
		let cheat: Leaves = vec![wrong_output().hash()].try_into().unwrap();
		let honest = leaves(0xcc, &tiny_output());
		let (job, provider, auditor) = audited_job(&wrong_output(), &cheat);
		assert_ok!(audit_with(auditor, job, &tiny_output(), &honest));
		assert_ok!(Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, cheat));
		assert_ok!(Inference::reveal_checkpoints(
			RuntimeOrigin::signed(auditor),
			job,
			honest.clone()
		));
		assert!(matches!(
			stage(job),
			AuditStage::Refereeing { task: RefereeTask::Checkpoints, .. }
		));
		assert_eq!(Audits::<Test>::get(job).unwrap().divergence, None);
		let referee = referee(job);
		assert_noop!(
			Inference::submit_referee_answer(
				RuntimeOrigin::signed(referee),
				job,
				RefereeAnswer::Leaf([0xcc; 32])
			),
			Error::<Test>::WrongRefereeAnswer
		);
		assert_ok!(Inference::submit_referee_answer(
			RuntimeOrigin::signed(referee),
			job,
			RefereeAnswer::Checkpoints(Commitment::of(&honest))
		));
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::ProviderCaught));
	});
}

#[test]
fn reveals_must_end_in_the_revealing_party_s_output() {
	new_test_ext().execute_with(|| {
		// A commitment whose last leaf is not the receipt's output hash cannot be revealed.
		let inconsistent = leaves(0xbb, &tiny_output());
		let (job, provider, auditor) = audited_job(&wrong_output(), &inconsistent);
		assert_ok!(audit_with(auditor, job, &tiny_output(), &leaves(0xcc, &tiny_output())));
		assert_noop!(
			Inference::reveal_checkpoints(RuntimeOrigin::signed(provider), job, inconsistent),
			Error::<Test>::LeavesDoNotEndInOutput
		);
	});
}

#[test]
fn a_job_under_audit_is_not_pruned() {
	new_test_ext().execute_with(|| {
		let (job, _, _) = audited_job(&tiny_output(), &leaves(1, &tiny_output()));
		run_to_block(1 + RETENTION_PERIOD);
		// The auditor missed its deadline long ago: the audit is closed and the job prunable.
		assert_eq!(stage(job), AuditStage::Closed(AuditVerdict::AuditorMissed));
		assert_ok!(Inference::prune_job(RuntimeOrigin::signed(acc(1)), job));
		assert!(Audits::<Test>::get(job).is_none());
	});
	new_test_ext().execute_with(|| {
		let (job, provider, auditor) = audited_job(&tiny_output(), &leaves(1, &tiny_output()));
		assert_ok!(audit_with(auditor, job, &wrong_output(), &leaves(2, &wrong_output())));
		assert_ok!(Inference::reveal_checkpoints(
			RuntimeOrigin::signed(provider),
			job,
			leaves(1, &tiny_output())
		));
		// Still refereed or revealing: pruning waits.
		Jobs::<Test>::mutate(job, |j| j.as_mut().unwrap().settled_at = Some(0));
		System::set_block_number(RETENTION_PERIOD + 1);
		assert_noop!(
			Inference::prune_job(RuntimeOrigin::signed(acc(1)), job),
			Error::<Test>::UnderAudit
		);
	});
}

#[test]
fn single_provider_prices_stay_under_the_audit_cap() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		// 1 % of the slash is 400, under every provider's price of 1000: no provider may take a
		// single-provider job, where cheating would pay; redundancy is unaffected.
		AuditRate::set(Perbill::from_percent(1));
		assert_eq!(Inference::audited_price_cap(), Some(AUDIT_SLASH / 100));
		assert_noop!(
			Inference::request_job(
				RuntimeOrigin::signed(requester()),
				model,
				input([1.0, 2.0, 3.0, 4.0]).into(),
				job_spec(FEE, 1)
			),
			Error::<Test>::NotEnoughProviders
		);
		request(model, 3 * FEE, 2);
		// At 5 % the cap is 2000: the job runs, and its fee ceiling must cover the audit fee.
		AuditRate::set(Perbill::from_percent(5));
		let (tune, base, data) = royalties(PRICE);
		let exact = PRICE + tune + base + data;
		assert_noop!(
			Inference::request_job(
				RuntimeOrigin::signed(requester()),
				model,
				input([1.0, 2.0, 3.0, 4.0]).into(),
				job_spec(exact, 1)
			),
			Error::<Test>::FeeTooLow
		);
		request(model, exact + Inference::audit_fee(PRICE), 1);
	});
}
