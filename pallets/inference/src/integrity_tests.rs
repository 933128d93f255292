//! The market's attacks, written as the attacker (`docs/security.md`): each test plays one
//! and shows that it loses money or gains nothing.

use crate::{mock::*, *};
use cairn_inference::ExecutionProvider::Cpu;
use frame_support::{assert_ok, traits::fungible::InspectHold};

/// A wrong answer for the tiny model's test input.
fn garbage() -> cairn_inference::TensorSet {
	output([0.0, 0.0, 0.0])
}

/// Everything `who` owns: free, held (fees, deposits) and bonded.
fn wealth(who: &AccountId) -> Balance {
	free(who) + Balances::total_balance_on_hold(who)
}

/// The attacker's wealth: the requester's and its Sybil providers'.
fn attacker_wealth(sybils: &[AccountId]) -> Balance {
	wealth(&requester()) + sybils.iter().map(wealth).sum::<Balance>()
}

/// Finding 2: the requester's Sybils outvote an honest provider. The slash goes to the audit
/// pot, so the attack costs the attacker the royalties and the receipt records and gains it
/// nothing.
#[test]
fn requester_sybils_outvoting_an_honest_provider_gain_nothing() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = NextJobId::<Test>::get();
		// Say the requester predicted the assignment and two of the three are its own.
		let fee = reserving_fee(3);
		request(model, fee, 3);
		let [sybil_a, honest, sybil_b] = assigned(job)[..] else { panic!("three providers") };
		let sybils = [sybil_a, sybil_b];
		// Counted after the request: its fee and deposit are held, so still the attacker's.
		let before = attacker_wealth(&sybils);
		let pot_before = pot();
		let honest_bond = bond(&honest);
		assert_ok!(submit(sybil_a, job, &garbage()));
		assert_ok!(submit(honest, job, &tiny_output()));
		assert_ok!(submit(sybil_b, job, &garbage()));
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_eq!(bond(&honest), honest_bond - WRONG_RESULT_SLASH);
		// The slash is in the pot, not with the attacker.
		assert_eq!(pot(), pot_before + WRONG_RESULT_SLASH);
		let (tune, base, data) = royalties(2 * PRICE);
		assert_eq!(attacker_wealth(&sybils), before - tune - base - data);
		assert!(attacker_wealth(&sybils) < before);
	});
}

/// Finding 3: the requester's Sybil stays silent in a two-provider job to leave it without a
/// majority. The referees were reserved at the request, so the dispute opens; the honest
/// provider is paid and the silent Sybil slashed.
#[test]
fn withholding_a_majority_does_not_make_results_free() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = NextJobId::<Test>::get();
		let start = wealth(&requester());
		request(model, reserving_fee(2), 2);
		let [honest, sybil] = assigned(job)[..] else { panic!("two providers") };
		let sybil_before = wealth(&sybil);
		let honest_before = free(&honest);
		assert_ok!(submit(honest, job, &tiny_output()));
		resolve_dispute_at(job, 12, &tiny_output());
		assert_eq!(free(&honest), honest_before + PRICE);
		assert_eq!(wealth(&sybil), sybil_before - MISSED_DEADLINE_SLASH);
		// The requester paid the honest provider and the referees, with royalties: the result
		// cost more than an honest job would have.
		let paid = (1 + Balance::from(DISPUTE_REFEREES)) * PRICE;
		let (tune, base, data) = royalties(paid);
		assert_eq!(wealth(&requester()), start - paid - tune - base - data);
	});
	// With nobody to referee, the job ends unresolved, and the honest work is still paid.
	new_test_ext_with(2).execute_with(|| {
		let (model, _) = lineage();
		let job = NextJobId::<Test>::get();
		request(model, reserving_fee(2), 2);
		let [honest, sybil] = assigned(job)[..] else { panic!("two providers") };
		let (honest_before, sybil_bond) = (free(&honest), bond(&sybil));
		assert_ok!(submit(honest, job, &tiny_output()));
		run_to_block(12);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Unresolved);
		assert_eq!(free(&honest), honest_before + PRICE);
		assert_eq!(bond(&sybil), sybil_bond - MISSED_DEADLINE_SLASH);
		System::assert_has_event(
			Event::SilenceSlashed { job, party: sybil, slashed: MISSED_DEADLINE_SLASH }.into(),
		);
	});
}

/// A job nobody answered (a model that does not load, an input it refuses) slashes nobody:
/// silence is slashed only where another party showed the job could be run.
#[test]
fn a_job_nobody_could_run_slashes_nobody() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, reserving_fee(2), 2);
		let providers = assigned(job);
		run_to_block(12);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Expired);
		assert!(providers.iter().all(|p| bond(p) == BOND));
		assert!(providers.iter().all(|p| {
			pallet_compute_registry::Providers::<Test>::get(p).unwrap().reputation.missed == 1
		}));
		assert_eq!(Balances::balance_on_hold(&HoldReason::JobFee.into(), &requester()), 0);
	});
}

/// Finding 9: a requester demands bit-exact agreement from providers on different builds, whose
/// last bits differ. Across builds the floor holds and both are paid; only on one build is the
/// job exact, where an honest engine reproduces every bit.
#[test]
fn exact_tolerance_is_no_weapon_across_platforms() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		// The tiny model's output as another build rounds it: 1e-6 relative off.
		let rounded = output([27.000_027, -7.500_007, 11.500_011]);
		assert_ne!(rounded.hash(), tiny_output().hash());
		let across = request(model, reserving_fee(2), 2);
		let [a, b] = assigned(across)[..] else { panic!("two providers") };
		let bonds = [bond(&a), bond(&b)];
		assert_ok!(submit_built(a, across, &tiny_output(), Cpu, b"1.31.1"));
		assert_ok!(submit_built(b, across, &rounded, Cpu, b"1.32.0"));
		assert_eq!(Jobs::<Test>::get(across).unwrap().status, JobStatus::Completed);
		assert_eq!([bond(&a), bond(&b)], bonds);

		// The same difference on one build is a real disagreement: a dispute opens.
		let same = request(model, reserving_fee(2), 2);
		let [a, b] = assigned(same)[..] else { panic!("two providers") };
		assert_ok!(submit_built(a, same, &tiny_output(), Cpu, b"1.31.1"));
		assert_ok!(submit_built(b, same, &rounded, Cpu, b"1.31.1"));
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(same).unwrap().status, JobStatus::Disputed);

		// Beyond the floor, builds do not matter: 1e-3 relative off is a wrong answer.
		let wrong = output([27.027, -7.5, 11.5]);
		let far = request(model, reserving_fee(2), 2);
		let [a, b] = assigned(far)[..] else { panic!("two providers") };
		assert_ok!(submit_built(a, far, &tiny_output(), Cpu, b"1.31.1"));
		assert_ok!(submit_built(b, far, &wrong, Cpu, b"1.32.0"));
		run_to_block(System::block_number() + 1);
		assert_eq!(Jobs::<Test>::get(far).unwrap().status, JobStatus::Disputed);
	});
}

/// Sets every rate of audits to one and funds the audit pot.
fn audit_everything() {
	crate::mock::AuditRate::set(sp_runtime::Perbill::one());
	let _ = <Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(
		&Inference::audit_pot(),
		100_000,
	);
}

/// Reprices provider `who` at `price` per job.
fn reprice(who: AccountId, price: Balance) {
	let profile = pallet_compute_registry::ProviderProfile { price_per_job: price, ..profile() };
	assert_ok!(ComputeRegistry::update_profile(RuntimeOrigin::signed(who), profile));
}

/// Finding 4: a single provider prices itself above the fixed auditor reward of old, so that no
/// auditor could be drawn. An auditor is paid the job's price now, so any provider that would
/// take the job at that price audits it, and the fee the requester paid funds it.
#[test]
fn an_expensive_single_provider_is_audited_all_the_same() {
	new_test_ext().execute_with(|| {
		audit_everything();
		let price = 20 * AUDIT_REWARD;
		for provider in providers() {
			reprice(provider, price);
		}
		let (model, _) = lineage();
		let fee = Inference::audit_fee(price);
		assert_eq!(fee, 2 * price);
		let (tune, base, data) = royalties(price);
		let job = request(model, price + tune + base + data + fee, 1);
		let provider = assigned(job)[0];
		let pot_before = pot();
		assert_ok!(submit(provider, job, &tiny_output()));
		assert_eq!(pot(), pot_before + fee);
		run_to_block(2);
		let auditor = Audits::<Test>::get(job).unwrap().auditor.expect("an auditor is drawn");
		assert_ne!(auditor, provider);
		let auditor_before = free(&auditor);
		assert_ok!(Inference::submit_audit(
			RuntimeOrigin::signed(auditor),
			job,
			tiny_output().hash(),
			codec::Encode::encode(&tiny_output()).try_into().unwrap(),
			cairn_inference::Commitment::of(&[tiny_output().hash()]),
			cairn_inference::ExecutionProvider::Cpu,
			b"1.31.1".to_vec().try_into().unwrap(),
			42,
		));
		assert_eq!(
			Audits::<Test>::get(job).unwrap().stage,
			AuditStage::Closed(AuditVerdict::Passed)
		);
		// Paid the job's price for the job's work.
		assert_eq!(free(&auditor), auditor_before + price);
	});
}

/// Finding 4: where no auditor can serve a drawn audit, it is not skipped at once while the fee
/// is kept: it looks again, a block later each time, and if nobody could serve it the fee goes
/// back to the requester.
#[test]
fn an_audit_nobody_can_serve_is_deferred_then_refunded() {
	new_test_ext_with(2).execute_with(|| {
		audit_everything();
		let (model, _) = lineage();
		let start = free(&requester());
		let job = request(model, 10_000, 1);
		let [provider] = assigned(job)[..] else { panic!("one provider") };
		let other = providers().into_iter().take(2).find(|p| *p != provider).unwrap();
		// The only other provider is too dear to audit a job of this price.
		reprice(other, 10 * AUDIT_REWARD);
		assert_ok!(submit(provider, job, &tiny_output()));
		let fee = Inference::audit_fee(PRICE);
		let paid = free(&requester());
		run_to_block(2);
		System::assert_has_event(Event::AuditDeferred { job, at: 2 }.into());
		assert_eq!(PendingDraws::<Test>::get(job).unwrap().deferrals, 1);
		run_to_block(2 + u64::from(MAX_AUDIT_DEFERRALS));
		System::assert_has_event(
			Event::AuditSkipped { job, reason: AuditSkipReason::NoAuditor }.into(),
		);
		System::assert_has_event(Event::AuditFeeRefunded { job, amount: fee }.into());
		assert_eq!(free(&requester()), paid + fee);
		// In the end the requester paid the work and its royalties, not the audit.
		let (tune, base, data) = royalties(PRICE);
		assert_eq!(free(&requester()), start - PRICE - tune - base - data - job_deposit(1));
		assert!(Audits::<Test>::get(job).is_none() && PendingDraws::<Test>::get(job).is_none());
	});
	// An auditor that turns up while the audit is deferred serves it.
	new_test_ext_with(2).execute_with(|| {
		audit_everything();
		let (model, _) = lineage();
		let job = request(model, 10_000, 1);
		let [provider] = assigned(job)[..] else { panic!("one provider") };
		let other = providers().into_iter().take(2).find(|p| *p != provider).unwrap();
		reprice(other, 10 * AUDIT_REWARD);
		assert_ok!(submit(provider, job, &tiny_output()));
		run_to_block(3);
		assert!(Audits::<Test>::get(job).unwrap().auditor.is_none());
		reprice(other, PRICE);
		run_to_block(4);
		assert_eq!(Audits::<Test>::get(job).unwrap().auditor, Some(other));
		assert!(PendingDraws::<Test>::get(job).is_none());
	});
}

/// Finding 4a: a provider self-deals single-provider jobs settling in the block of its own
/// receipt, more than the four blocks of 64 audit steps it once had to fill, so that its
/// receipt's draw finds no room. Draws have their own queue, which holds more than a block can
/// settle: the receipt is drawn all the same, and the attacker paid every self-dealt job's
/// audit fee.
#[test]
fn filling_the_audit_queue_does_not_keep_a_receipt_undrawn() {
	new_test_ext().execute_with(|| {
		crate::mock::AuditRate::set(sp_runtime::Perbill::from_percent(5));
		let (model, _) = lineage();
		let pot_before = pot();
		let fillers = 4 * MAX_AUDIT_STEPS_PER_BLOCK + 1;
		for _ in 0..fillers {
			let job = request(model, 10_000, 1);
			let provider = assigned(job)[0];
			assert_ok!(submit(provider, job, &tiny_output()));
		}
		let protected = request(model, 10_000, 1);
		let provider = assigned(protected)[0];
		assert_ok!(submit(provider, protected, &tiny_output()));
		let draws = AuditDraws::<Test>::get(1);
		assert_eq!(draws.len() as u32, fillers + 1);
		assert!(draws.contains(&protected));
		// The filling cost the attacker an audit fee a job, into the pot.
		assert_eq!(pot(), pot_before + u64::from(fillers + 1) * Inference::audit_fee(PRICE));
		run_to_block(2);
		let drawn = System::events().into_iter().any(|record| {
			matches!(
				record.event,
				RuntimeEvent::Inference(Event::AuditDrawn { job, .. }) if job == protected
			)
		});
		assert!(drawn, "the protected receipt's draw was made");
		assert!(!System::events().into_iter().any(|record| matches!(
			record.event,
			RuntimeEvent::Inference(Event::AuditSkipped { job, .. }) if job == protected
		)));
	});
}
