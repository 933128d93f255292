//! Policies, budgets, refunds and the owner's controls on the test runtime.

use crate::{
	mock::*, AgentCount, AgentJobs, Call, CallKind, Error, Event, HoldReason, Policy, PolicyOf,
	Spending,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};

/// A policy allowing `kinds` with the given budgets over periods of 10 blocks.
fn policy(kinds: &[CallKind], period_budget: Balance, total_budget: Balance) -> PolicyOf<Test> {
	Policy {
		allowed_calls: kinds.to_vec().try_into().unwrap(),
		period: 10,
		period_budget,
		total_budget,
		models: None,
		datasets: None,
		expires_at: None,
	}
}

/// Everything allowed, 1,000 per period, 2,500 in all.
fn open_policy() -> PolicyOf<Test> {
	policy(
		&[CallKind::RequestInference, CallKind::PurchaseLicense, CallKind::AttestEvaluation],
		1_000,
		2_500,
	)
}

fn register(policy: PolicyOf<Test>) {
	assert_ok!(Agents::register_agent(RuntimeOrigin::signed(OWNER), AGENT, policy));
}

fn job_call(model: u64, max_fee: Balance) -> Box<RuntimeCall> {
	Box::new(RuntimeCall::Market(market::Call::request_job { model, max_fee }))
}

fn license_call(dataset: u64, price: Balance) -> Box<RuntimeCall> {
	Box::new(RuntimeCall::Market(market::Call::buy_license { dataset, price }))
}

fn act(call: Box<RuntimeCall>) -> DispatchResultWithPostInfo {
	Agents::act(RuntimeOrigin::signed(AGENT), call)
}

fn spent() -> Spending<Balance, u64> {
	crate::Agents::<Test>::get(AGENT).unwrap().spent
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|r| if let RuntimeEvent::Agents(e) = r.event { Some(e) } else { None })
		.expect("an agents event")
}

use frame_support::dispatch::DispatchResultWithPostInfo;

#[test]
fn registration_holds_the_deposit_and_is_listed_for_the_owner() {
	new_test_ext().execute_with(|| {
		register(open_policy());
		assert_eq!(Balances::balance_on_hold(&HoldReason::AgentDeposit.into(), &OWNER), DEPOSIT);
		assert_eq!(Balances::balance(&OWNER), FUNDS - DEPOSIT);
		let listed = Agents::agents_of(&OWNER);
		assert_eq!(listed.len(), 1);
		assert_eq!(listed[0].0, AGENT);
		assert_eq!(listed[0].1.owner, OWNER);
		assert_eq!(listed[0].1.spent, Spending { period_start: 1, in_period: 0, total: 0 });
		assert_eq!(
			last_event(),
			Event::AgentRegistered { owner: OWNER, agent: AGENT, deposit: DEPOSIT }
		);
	});
}

#[test]
fn registration_refusals_are_named() {
	new_test_ext().execute_with(|| {
		let owner = RuntimeOrigin::signed(OWNER);
		assert_noop!(
			Agents::register_agent(owner.clone(), OWNER, open_policy()),
			Error::<Test>::AgentIsOwner
		);
		assert_noop!(
			Agents::register_agent(owner.clone(), AGENT, policy(&[], 1, 1)),
			Error::<Test>::InvalidPolicy
		);
		let mut zero_period = open_policy();
		zero_period.period = 0;
		assert_noop!(
			Agents::register_agent(owner.clone(), AGENT, zero_period),
			Error::<Test>::InvalidPolicy
		);
		register(open_policy());
		assert_noop!(
			Agents::register_agent(RuntimeOrigin::signed(STRANGER), AGENT, open_policy()),
			Error::<Test>::AgentExists
		);
		for agent in [10, 11] {
			assert_ok!(Agents::register_agent(owner.clone(), agent, open_policy()));
		}
		assert_noop!(
			Agents::register_agent(owner, 12, open_policy()),
			Error::<Test>::TooManyAgents
		);
	});
}

#[test]
fn an_allowed_call_is_dispatched_as_the_owner_and_charged_its_most_cost() {
	new_test_ext().execute_with(|| {
		register(open_policy());
		let agent_before = Balances::balance(&AGENT);
		assert_ok!(act(job_call(7, 300)));
		// The owner paid the job's fee; the agent's own balance is untouched (fees aside).
		assert_eq!(market::Jobs::<Test>::get(0), Some((OWNER, 300)));
		assert_eq!(Balances::balance(&OWNER), FUNDS - DEPOSIT - 300);
		assert_eq!(Balances::balance(&AGENT), agent_before);
		assert_eq!(spent(), Spending { period_start: 1, in_period: 300, total: 300 });
		assert_eq!(crate::Agents::<Test>::get(AGENT).unwrap().open_jobs, 1);
		assert_eq!(
			last_event(),
			Event::Acted {
				agent: AGENT,
				owner: OWNER,
				kind: CallKind::RequestInference,
				charged: 300,
				period_left: 700,
				total_left: 2_200,
			}
		);
	});
}

#[test]
fn calls_the_policy_does_not_allow_are_refused_by_name() {
	new_test_ext().execute_with(|| {
		register(policy(&[CallKind::PurchaseLicense], 1_000, 1_000));
		assert_noop!(act(job_call(7, 1)), Error::<Test>::CallNotAllowed);
		// A call of no agent kind at all, even a harmless one.
		let remark = Box::new(RuntimeCall::System(frame_system::Call::remark { remark: vec![] }));
		assert_noop!(act(remark), Error::<Test>::CallNotAllowed);
		// Nor may an agent wrap an act, or manage agents.
		let nested = Box::new(RuntimeCall::Agents(Call::act { call: license_call(1, 1) }));
		assert_noop!(act(nested), Error::<Test>::CallNotAllowed);
		let revoke = Box::new(RuntimeCall::Agents(Call::revoke_agent { agent: AGENT }));
		assert_noop!(act(revoke), Error::<Test>::CallNotAllowed);
		assert_noop!(
			Agents::act(RuntimeOrigin::signed(STRANGER), license_call(1, 1)),
			Error::<Test>::NotAgent
		);
	});
}

#[test]
fn allow_lists_of_models_and_datasets_are_enforced() {
	new_test_ext().execute_with(|| {
		let mut limited = open_policy();
		limited.models = Some(vec![7].try_into().unwrap());
		limited.datasets = Some(vec![3].try_into().unwrap());
		register(limited);
		assert_noop!(act(job_call(8, 10)), Error::<Test>::ModelNotAllowed);
		assert_noop!(act(license_call(4, 10)), Error::<Test>::DatasetNotAllowed);
		let attest = Box::new(RuntimeCall::Market(market::Call::attest { model: 9 }));
		assert_noop!(act(attest), Error::<Test>::ModelNotAllowed);
		assert_ok!(act(job_call(7, 10)));
		assert_ok!(act(license_call(3, 10)));
		assert_eq!(spent().total, 20);
	});
}

#[test]
fn budgets_bind_per_period_and_in_total_across_period_boundaries() {
	new_test_ext().execute_with(|| {
		register(open_policy());
		// Period 1 (blocks 1..=10): 1,000 at most.
		assert_ok!(act(license_call(1, 600)));
		assert_ok!(act(license_call(1, 400)));
		assert_noop!(act(license_call(1, 1)), Error::<Test>::OverPeriodBudget);
		// The last block of the period is still in it.
		System::set_block_number(10);
		assert_noop!(act(license_call(1, 1)), Error::<Test>::OverPeriodBudget);
		// Block 11 opens period 2.
		System::set_block_number(11);
		assert_ok!(act(license_call(1, 1_000)));
		assert_eq!(spent(), Spending { period_start: 11, in_period: 1_000, total: 2_000 });
		// Periods skipped without activity: block 47 is in the period that starts at 41.
		System::set_block_number(47);
		assert_ok!(act(license_call(1, 500)));
		assert_eq!(spent(), Spending { period_start: 41, in_period: 500, total: 2_500 });
		// The total budget (2,500) binds now, whatever the period allows.
		assert_noop!(act(license_call(1, 1)), Error::<Test>::OverTotalBudget);
		// The owner paid exactly what the events say the agent spent.
		let charged: Balance = System::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::Agents(Event::Acted { charged, .. }) => Some(charged),
				_ => None,
			})
			.sum();
		assert_eq!(charged, 2_500);
		assert_eq!(Balances::balance(&OWNER), FUNDS - DEPOSIT - charged);
	});
}

#[test]
fn a_failing_call_charges_nothing_and_returns_its_error() {
	new_test_ext().execute_with(|| {
		register(open_policy());
		assert_noop!(act(job_call(0, 100)), market::Error::<Test>::UnknownModel);
		assert_eq!(spent().total, 0);
		assert_eq!(crate::Agents::<Test>::get(AGENT).unwrap().open_jobs, 0);
		// The owner's funds bound the call too: the transfer fails, nothing is charged.
		let mut rich = open_policy();
		rich.period_budget = 10 * FUNDS;
		rich.total_budget = 10 * FUNDS;
		assert_ok!(Agents::update_policy(RuntimeOrigin::signed(OWNER), AGENT, rich));
		assert!(act(license_call(1, 2 * FUNDS)).is_err());
		assert_eq!(spent().total, 0);
	});
}

#[test]
fn refunds_of_unspent_job_fees_restore_the_budget() {
	new_test_ext().execute_with(|| {
		register(open_policy());
		assert_ok!(act(job_call(7, 400)));
		assert_ok!(act(job_call(7, 400)));
		// MaxOpenJobs (2) unsettled jobs: a third is refused until one settles.
		assert_noop!(act(job_call(7, 100)), Error::<Test>::TooManyOpenJobs);
		// Job 0 cost 150 of its 400: 250 returns to both budgets.
		settle(0, 150);
		assert_eq!(last_event(), Event::BudgetRefunded { agent: AGENT, job: 0, amount: 250 });
		assert_eq!(spent(), Spending { period_start: 1, in_period: 550, total: 550 });
		assert_eq!(crate::Agents::<Test>::get(AGENT).unwrap().open_jobs, 1);
		assert_eq!(Balances::balance(&OWNER), FUNDS - DEPOSIT - 800 + 250);
		// Job 1 settles in the next period: the refund returns to the total budget only.
		System::set_block_number(12);
		assert_ok!(act(job_call(7, 100)));
		settle(1, 0);
		assert_eq!(spent(), Spending { period_start: 11, in_period: 100, total: 150 + 100 });
		// A job that no agent requested refunds nothing here.
		assert_ok!(market::Pallet::<Test>::request_job(RuntimeOrigin::signed(STRANGER), 7, 50));
		settle(3, 0);
		assert_eq!(spent().total, 250);
	});
}

#[test]
fn the_policy_expires_at_its_block() {
	new_test_ext().execute_with(|| {
		let mut expiring = open_policy();
		expiring.expires_at = Some(5);
		register(expiring);
		System::set_block_number(4);
		assert_ok!(act(license_call(1, 1)));
		System::set_block_number(5);
		assert_noop!(act(license_call(1, 1)), Error::<Test>::PolicyExpired);
	});
}

#[test]
fn pause_resume_and_update_take_effect_at_once() {
	new_test_ext().execute_with(|| {
		register(open_policy());
		let owner = RuntimeOrigin::signed(OWNER);
		assert_noop!(
			Agents::pause_agent(RuntimeOrigin::signed(STRANGER), AGENT),
			Error::<Test>::NotOwner
		);
		assert_noop!(Agents::resume_agent(owner.clone(), AGENT), Error::<Test>::NotPaused);
		assert_ok!(Agents::pause_agent(owner.clone(), AGENT));
		assert_noop!(Agents::pause_agent(owner.clone(), AGENT), Error::<Test>::AgentPaused);
		assert_noop!(act(license_call(1, 1)), Error::<Test>::AgentPaused);
		assert_ok!(Agents::resume_agent(owner.clone(), AGENT));
		assert_ok!(act(license_call(1, 100)));
		// A new policy keeps what was spent: 100 of a new total budget of 150.
		assert_ok!(Agents::update_policy(
			owner.clone(),
			AGENT,
			policy(&[CallKind::PurchaseLicense], 1_000, 150)
		));
		assert_noop!(act(license_call(1, 51)), Error::<Test>::OverTotalBudget);
		assert_ok!(act(license_call(1, 50)));
		assert_noop!(
			Agents::update_policy(owner, AGENT, policy(&[], 1, 1)),
			Error::<Test>::InvalidPolicy
		);
	});
}

#[test]
fn revocation_mid_period_stops_the_agent_and_returns_the_deposit() {
	new_test_ext().execute_with(|| {
		register(open_policy());
		assert_ok!(act(job_call(7, 300)));
		assert_ok!(act(job_call(7, 200)));
		System::set_block_number(5);
		assert_noop!(
			Agents::revoke_agent(RuntimeOrigin::signed(STRANGER), AGENT),
			Error::<Test>::NotOwner
		);
		assert_ok!(Agents::revoke_agent(RuntimeOrigin::signed(OWNER), AGENT));
		assert_eq!(last_event(), Event::AgentRevoked { agent: AGENT, owner: OWNER });
		assert_noop!(act(license_call(1, 1)), Error::<Test>::NotAgent);
		assert_eq!(Balances::balance_on_hold(&HoldReason::AgentDeposit.into(), &OWNER), 0);
		assert!(Agents::agents_of(&OWNER).is_empty());
		assert_eq!(AgentCount::<Test>::get(OWNER), 0);
		// Its jobs still settle and refund the owner; no budget to return to any more.
		settle(0, 100);
		assert!(AgentJobs::<Test>::get(0).is_none());
		assert_eq!(Balances::balance(&OWNER), FUNDS - 100 - 200);
		// The key can be registered again, from a fresh budget, which the other job of the
		// earlier registration, settling later, does not touch.
		System::set_block_number(6);
		register(open_policy());
		assert_eq!(spent(), Spending { period_start: 6, in_period: 0, total: 0 });
		assert_ok!(act(license_call(1, 40)));
		settle(1, 0);
		assert!(AgentJobs::<Test>::get(1).is_none());
		assert_eq!(spent(), Spending { period_start: 6, in_period: 40, total: 40 });
		let record = crate::Agents::<Test>::get(AGENT).unwrap();
		assert_eq!((record.registered_at, record.open_jobs), (6, 0));
		assert_eq!(Balances::balance(&OWNER), FUNDS - DEPOSIT - 100 - 40);
	});
}

#[test]
fn periods_are_counted_from_registration() {
	new_test_ext().execute_with(|| {
		assert_eq!(Agents::period_of(3, 10, 3), 3);
		assert_eq!(Agents::period_of(3, 10, 12), 3);
		assert_eq!(Agents::period_of(3, 10, 13), 13);
		assert_eq!(Agents::period_of(3, 10, 100), 93);
		assert_eq!(Agents::period_of(3, 1, 100), 100);
		assert_eq!(Agents::period_of(3, 10, 1), 3);
	});
}
