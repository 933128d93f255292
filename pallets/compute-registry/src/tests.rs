//! Unit tests of the compute registry: every call's success and every error, with the held
//! balance checked after each step.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use sp_runtime::{BuildStorage, DispatchError, Permill};

fn register(who: u64, profile: ProviderProfile<Balance>, bond: Balance) {
	assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(who), profile, bond));
}

fn index(ep: ExecutionProvider) -> Vec<u64> {
	ProvidersByExecutionProvider::<Test>::get(ep).into_inner()
}

#[test]
fn register_holds_the_bond_and_indexes_the_provider() {
	new_test_ext().execute_with(|| {
		register(1, gpu_profile(), 5_000);
		System::assert_last_event(Event::Registered { provider: 1, bond: 5_000 }.into());
		assert_eq!(held(1), 5_000);
		assert_eq!(free(1), FUNDS - 5_000);
		let info = Providers::<Test>::get(1).unwrap();
		assert_eq!(info.bond, 5_000);
		assert_eq!(info.status, ProviderStatus::Active);
		assert_eq!((info.registered_at, info.last_heartbeat, info.active_jobs), (1, 1, 0));
		assert_eq!(index(ExecutionProvider::Cuda), vec![1]);
		assert_eq!(index(ExecutionProvider::Cpu), vec![1]);
		assert!(index(ExecutionProvider::Rocm).is_empty());
		assert_eq!(Providers::<Test>::count(), 1);
		assert!(ComputeRegistry::is_live(&1));
	});
}

#[test]
fn register_refuses_bad_requests() {
	new_test_ext().execute_with(|| {
		let origin = || RuntimeOrigin::signed(1);
		assert_noop!(
			ComputeRegistry::register(origin(), cpu_profile(), MIN_BOND - 1),
			Error::<Test>::BondTooLow
		);
		assert_noop!(
			ComputeRegistry::register(RuntimeOrigin::signed(10), cpu_profile(), MIN_BOND),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			ComputeRegistry::register(origin(), cpu_profile(), FUNDS + 1),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			ComputeRegistry::register(RuntimeOrigin::root(), cpu_profile(), MIN_BOND),
			DispatchError::BadOrigin
		);
		register(1, cpu_profile(), MIN_BOND);
		assert_noop!(
			ComputeRegistry::register(origin(), cpu_profile(), MIN_BOND),
			Error::<Test>::AlreadyRegistered
		);
		assert_eq!(held(1), MIN_BOND);
	});
}

#[test]
fn register_refuses_invalid_profiles() {
	new_test_ext().execute_with(|| {
		let check = |profile: ProviderProfile<Balance>, error: Error<Test>| {
			assert_noop!(
				ComputeRegistry::register(RuntimeOrigin::signed(1), profile, MIN_BOND),
				error
			);
		};
		check(
			ProviderProfile { execution_providers: Default::default(), ..cpu_profile() },
			Error::<Test>::NoExecutionProvider,
		);
		check(
			ProviderProfile {
				execution_providers: vec![ExecutionProvider::Cpu, ExecutionProvider::Cpu]
					.try_into()
					.unwrap(),
				..cpu_profile()
			},
			Error::<Test>::DuplicateExecutionProvider,
		);
		check(ProviderProfile { gpu: None, ..gpu_profile() }, Error::<Test>::GpuRequired);
		check(
			ProviderProfile {
				gpu: Some(GpuSpec { model: text("GPU"), memory_mib: 0, count: 1 }),
				..gpu_profile()
			},
			Error::<Test>::InvalidGpu,
		);
		check(
			ProviderProfile {
				gpu: Some(GpuSpec { model: text("GPU"), memory_mib: 1024, count: 0 }),
				..gpu_profile()
			},
			Error::<Test>::InvalidGpu,
		);
		check(
			ProviderProfile {
				gpu: Some(GpuSpec { model: Default::default(), memory_mib: 1024, count: 1 }),
				..gpu_profile()
			},
			Error::<Test>::InvalidText,
		);
		check(
			ProviderProfile { min_opset: 22, max_opset: 21, ..cpu_profile() },
			Error::<Test>::InvalidOpsetRange,
		);
		check(ProviderProfile { min_opset: 0, ..cpu_profile() }, Error::<Test>::InvalidOpsetRange);
		check(
			ProviderProfile { max_concurrent_jobs: 0, ..cpu_profile() },
			Error::<Test>::ZeroCapacity,
		);
		check(
			ProviderProfile { onnxruntime_version: Default::default(), ..cpu_profile() },
			Error::<Test>::InvalidText,
		);
		check(
			ProviderProfile {
				endpoint: Some(vec![0xff, 0xfe].try_into().unwrap()),
				..cpu_profile()
			},
			Error::<Test>::InvalidText,
		);
		assert_eq!(held(1), 0);
	});
}

#[test]
fn register_is_bounded_by_max_providers() {
	new_test_ext().execute_with(|| {
		for who in 1..=MAX_PROVIDERS as u64 {
			register(who, cpu_profile(), MIN_BOND);
		}
		assert_noop!(
			ComputeRegistry::register(RuntimeOrigin::signed(9), cpu_profile(), MIN_BOND),
			Error::<Test>::TooManyProviders
		);
		assert_eq!(index(ExecutionProvider::Cpu), vec![1, 2, 3, 4]);
	});
}

#[test]
fn update_profile_reindexes_without_reordering() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		register(2, cpu_profile(), MIN_BOND);
		assert_ok!(ComputeRegistry::update_profile(RuntimeOrigin::signed(1), gpu_profile()));
		System::assert_last_event(Event::ProfileUpdated { provider: 1 }.into());
		assert_eq!(index(ExecutionProvider::Cpu), vec![1, 2]);
		assert_eq!(index(ExecutionProvider::Cuda), vec![1]);
		assert_eq!(Providers::<Test>::get(1).unwrap().profile, gpu_profile());

		let cuda_only = ProviderProfile {
			execution_providers: vec![ExecutionProvider::Cuda].try_into().unwrap(),
			..gpu_profile()
		};
		assert_ok!(ComputeRegistry::update_profile(RuntimeOrigin::signed(1), cuda_only));
		assert_eq!(index(ExecutionProvider::Cpu), vec![2]);
		assert_eq!(index(ExecutionProvider::Cuda), vec![1]);
		assert_eq!(held(1), MIN_BOND);
	});
}

#[test]
fn update_profile_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ComputeRegistry::update_profile(RuntimeOrigin::signed(1), cpu_profile()),
			Error::<Test>::NotRegistered
		);
		register(1, cpu_profile(), MIN_BOND);
		assert_noop!(
			ComputeRegistry::update_profile(
				RuntimeOrigin::signed(1),
				ProviderProfile { max_concurrent_jobs: 0, ..cpu_profile() }
			),
			Error::<Test>::ZeroCapacity
		);
		// Two slots in use: the profile may not offer fewer.
		assert_ok!(ComputeRegistry::reserve_job_slot(&1));
		assert_ok!(ComputeRegistry::reserve_job_slot(&1));
		assert_noop!(
			ComputeRegistry::update_profile(
				RuntimeOrigin::signed(1),
				ProviderProfile { max_concurrent_jobs: 1, ..cpu_profile() }
			),
			Error::<Test>::CapacityBelowActiveJobs
		);
		assert_ok!(ComputeRegistry::update_profile(
			RuntimeOrigin::signed(1),
			ProviderProfile { max_concurrent_jobs: 2, ..cpu_profile() }
		));
		assert_ok!(ComputeRegistry::release_job_slot(&1));
		assert_ok!(ComputeRegistry::release_job_slot(&1));
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		assert_noop!(
			ComputeRegistry::update_profile(RuntimeOrigin::signed(1), gpu_profile()),
			Error::<Test>::Unbonding
		);
	});
}

#[test]
fn bond_more_adds_to_the_hold() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		assert_ok!(ComputeRegistry::bond_more(RuntimeOrigin::signed(1), 250));
		System::assert_last_event(
			Event::BondIncreased { provider: 1, amount: 250, bond: MIN_BOND + 250 }.into(),
		);
		assert_eq!(held(1), MIN_BOND + 250);
		assert_eq!(Providers::<Test>::get(1).unwrap().bond, MIN_BOND + 250);
		assert_eq!(free(1), FUNDS - MIN_BOND - 250);
	});
}

#[test]
fn bond_more_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ComputeRegistry::bond_more(RuntimeOrigin::signed(1), 5),
			Error::<Test>::NotRegistered
		);
		register(1, cpu_profile(), MIN_BOND);
		assert_noop!(
			ComputeRegistry::bond_more(RuntimeOrigin::signed(1), 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			ComputeRegistry::bond_more(RuntimeOrigin::signed(1), FUNDS),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		assert_noop!(
			ComputeRegistry::bond_more(RuntimeOrigin::signed(1), 5),
			Error::<Test>::Unbonding
		);
		assert_eq!(held(1), MIN_BOND);
	});
}

#[test]
fn heartbeats_keep_a_provider_live() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		run_to_block(1 + HEARTBEAT_INTERVAL);
		assert!(ComputeRegistry::is_live(&1));
		run_to_block(2 + HEARTBEAT_INTERVAL);
		assert!(!ComputeRegistry::is_live(&1));
		assert!(!ComputeRegistry::is_eligible(&1, ExecutionProvider::Cpu, 0));
		assert_ok!(ComputeRegistry::heartbeat(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::HeartbeatReceived { provider: 1 }.into());
		assert_eq!(Providers::<Test>::get(1).unwrap().last_heartbeat, 2 + HEARTBEAT_INTERVAL);
		assert!(ComputeRegistry::is_live(&1));
	});
}

#[test]
fn heartbeat_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ComputeRegistry::heartbeat(RuntimeOrigin::signed(1)),
			Error::<Test>::NotRegistered
		);
		register(1, cpu_profile(), MIN_BOND);
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		assert_noop!(
			ComputeRegistry::heartbeat(RuntimeOrigin::signed(1)),
			Error::<Test>::Unbonding
		);
	});
}

#[test]
fn pause_and_resume() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		assert_noop!(ComputeRegistry::resume(RuntimeOrigin::signed(1)), Error::<Test>::NotPaused);
		assert_ok!(ComputeRegistry::pause(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::Paused { provider: 1 }.into());
		assert!(!ComputeRegistry::is_live(&1));
		assert_noop!(ComputeRegistry::pause(RuntimeOrigin::signed(1)), Error::<Test>::NotActive);
		assert_ok!(ComputeRegistry::resume(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::Resumed { provider: 1 }.into());
		assert!(ComputeRegistry::is_live(&1));
		assert_noop!(
			ComputeRegistry::pause(RuntimeOrigin::signed(2)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			ComputeRegistry::resume(RuntimeOrigin::signed(2)),
			Error::<Test>::NotRegistered
		);
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		assert_noop!(ComputeRegistry::pause(RuntimeOrigin::signed(1)), Error::<Test>::NotActive);
		assert_noop!(ComputeRegistry::resume(RuntimeOrigin::signed(1)), Error::<Test>::NotPaused);
	});
}

#[test]
fn unbond_then_withdraw_returns_exactly_the_whole_bond() {
	new_test_ext().execute_with(|| {
		register(1, gpu_profile(), 7_777);
		assert_ok!(ComputeRegistry::bond_more(RuntimeOrigin::signed(1), 1_111));
		let total_before = Balances::total_balance(&1);
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		let unlock_at = 1 + UNBONDING_PERIOD;
		System::assert_last_event(Event::UnbondingStarted { provider: 1, unlock_at }.into());
		assert!(!ComputeRegistry::is_live(&1));
		assert_noop!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)), Error::<Test>::Unbonding);

		run_to_block(unlock_at - 1);
		assert_noop!(
			ComputeRegistry::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::UnbondingNotFinished
		);
		run_to_block(unlock_at);
		assert_ok!(ComputeRegistry::withdraw_unbonded(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::Withdrawn { provider: 1, amount: 8_888 }.into());
		assert_eq!(held(1), 0);
		assert_eq!(free(1), FUNDS);
		assert_eq!(Balances::total_balance(&1), total_before);
		assert!(Providers::<Test>::get(1).is_none());
		assert!(index(ExecutionProvider::Cuda).is_empty());
		assert!(!ProvidersByExecutionProvider::<Test>::contains_key(ExecutionProvider::Cpu));
		assert_eq!(Providers::<Test>::count(), 0);
		// The account may register again.
		register(1, cpu_profile(), MIN_BOND);
	});
}

#[test]
fn unbond_and_withdraw_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ComputeRegistry::unbond(RuntimeOrigin::signed(1)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			ComputeRegistry::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NotRegistered
		);
		register(1, cpu_profile(), MIN_BOND);
		assert_noop!(
			ComputeRegistry::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NotUnbonding
		);
		assert_ok!(ComputeRegistry::reserve_job_slot(&1));
		assert_noop!(
			ComputeRegistry::unbond(RuntimeOrigin::signed(1)),
			Error::<Test>::HasActiveJobs
		);
		assert_ok!(ComputeRegistry::release_job_slot(&1));
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
	});
}

#[test]
fn job_slots_follow_capacity_and_liveness() {
	new_test_ext().execute_with(|| {
		assert_noop!(ComputeRegistry::reserve_job_slot(&1), Error::<Test>::NotRegistered);
		register(1, cpu_profile(), MIN_BOND);
		assert_eq!(ComputeRegistry::capacity_left(&1), 2);
		assert_ok!(ComputeRegistry::reserve_job_slot(&1));
		assert_ok!(ComputeRegistry::reserve_job_slot(&1));
		assert_eq!(ComputeRegistry::capacity_left(&1), 0);
		assert!(!ComputeRegistry::is_eligible(&1, ExecutionProvider::Cpu, 0));
		assert_noop!(ComputeRegistry::reserve_job_slot(&1), Error::<Test>::NoCapacity);
		assert_ok!(ComputeRegistry::release_job_slot(&1));
		assert_ok!(ComputeRegistry::release_job_slot(&1));
		assert_noop!(ComputeRegistry::release_job_slot(&1), Error::<Test>::NoActiveJobs);
		assert_ok!(ComputeRegistry::pause(RuntimeOrigin::signed(1)));
		assert_noop!(ComputeRegistry::reserve_job_slot(&1), Error::<Test>::NotLive);
	});
}

#[test]
fn eligibility_checks_execution_provider_and_memory() {
	new_test_ext().execute_with(|| {
		register(1, gpu_profile(), MIN_BOND);
		register(2, cpu_profile(), MIN_BOND);
		assert!(ComputeRegistry::is_eligible(&1, ExecutionProvider::Cuda, 81_559));
		assert!(!ComputeRegistry::is_eligible(&1, ExecutionProvider::Cuda, 81_560));
		assert!(ComputeRegistry::is_eligible(&1, ExecutionProvider::Cpu, 16_384));
		assert!(!ComputeRegistry::is_eligible(&2, ExecutionProvider::Cuda, 0));
		assert!(!ComputeRegistry::is_eligible(&2, ExecutionProvider::Cpu, 16_385));
		assert!(!ComputeRegistry::is_eligible(&3, ExecutionProvider::Cpu, 0));
		assert_eq!(ComputeRegistry::providers_offering(ExecutionProvider::Cpu), vec![1, 2]);
		assert_eq!(ComputeRegistry::price_per_job(&1), Some(50));
		assert_eq!(ComputeRegistry::profile(&2), Some(cpu_profile()));
		assert!(ComputeRegistry::is_registered(&2) && !ComputeRegistry::is_registered(&3));
	});
}

#[test]
fn slashing_pays_a_beneficiary_or_burns() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), 5_000);
		let issuance = Balances::total_issuance();

		assert_eq!(
			ComputeRegistry::slash(&1, 1_200, Some(&2), SlashReason::WrongResult),
			Ok(1_200)
		);
		System::assert_last_event(
			Event::Slashed {
				provider: 1,
				amount: 1_200,
				beneficiary: Some(2),
				reason: SlashReason::WrongResult,
			}
			.into(),
		);
		assert_eq!(held(1), 3_800);
		assert_eq!(Providers::<Test>::get(1).unwrap().bond, 3_800);
		assert_eq!(free(2), FUNDS + 1_200);
		assert_eq!(Balances::total_issuance(), issuance);

		assert_eq!(ComputeRegistry::slash(&1, 800, None, SlashReason::MissedDeadline), Ok(800));
		assert_eq!(held(1), 3_000);
		assert_eq!(Balances::total_issuance(), issuance - 800);

		// More than the bond takes the whole bond; the provider is no longer live.
		assert_eq!(ComputeRegistry::slash(&1, 10_000, None, SlashReason::DisputeLost), Ok(3_000));
		assert_eq!(held(1), 0);
		assert!(!ComputeRegistry::is_live(&1));
		assert_eq!(free(1), FUNDS - 5_000);
		assert_eq!(
			ComputeRegistry::slash(&9, 1, None, SlashReason::WrongResult),
			Err(Error::<Test>::NotRegistered.into())
		);
	});
}

#[test]
fn an_unbonding_provider_stays_slashable() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), 5_000);
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		assert_eq!(
			ComputeRegistry::slash(&1, 1_000, Some(&3), SlashReason::WrongResult),
			Ok(1_000)
		);
		run_to_block(1 + UNBONDING_PERIOD);
		assert_ok!(ComputeRegistry::withdraw_unbonded(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::Withdrawn { provider: 1, amount: 4_000 }.into());
		assert_eq!(free(1), FUNDS - 1_000);
		assert_eq!(free(3), FUNDS + 1_000);
	});
}

#[test]
fn force_slash_needs_the_slash_origin() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), 5_000);
		assert_noop!(
			ComputeRegistry::force_slash(RuntimeOrigin::signed(2), 1, 100, None),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ComputeRegistry::force_slash(RuntimeOrigin::root(), 1, 0, None),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			ComputeRegistry::force_slash(RuntimeOrigin::root(), 2, 100, None),
			Error::<Test>::NotRegistered
		);
		assert_ok!(ComputeRegistry::force_slash(RuntimeOrigin::root(), 1, 100, Some(4)));
		System::assert_last_event(
			Event::Slashed {
				provider: 1,
				amount: 100,
				beneficiary: Some(4),
				reason: SlashReason::Governance,
			}
			.into(),
		);
		assert_eq!(held(1), 4_900);
		assert_eq!(free(4), FUNDS + 100);
	});
}

#[test]
fn reputation_is_recorded_and_scored() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		assert_eq!(Reputation::default().score(), Permill::from_percent(50));
		for _ in 0..8 {
			assert_ok!(ComputeRegistry::record_outcome(&1, JobOutcome::Completed));
		}
		// (8 + 1) / (8 + 2)
		System::assert_last_event(
			Event::ReputationUpdated {
				provider: 1,
				outcome: JobOutcome::Completed,
				score: Permill::from_percent(90),
			}
			.into(),
		);
		assert_ok!(ComputeRegistry::record_outcome(&1, JobOutcome::DisputeLost));
		assert_ok!(ComputeRegistry::record_outcome(&1, JobOutcome::Missed));
		assert_ok!(ComputeRegistry::record_outcome(&1, JobOutcome::Failed));
		let reputation = Providers::<Test>::get(1).unwrap().reputation;
		assert_eq!(reputation, Reputation { completed: 8, failed: 1, missed: 1, disputes_lost: 1 });
		// (8 + 1) / (8 + 1 + 1 + 3 + 2) = 9 / 15
		assert_eq!(reputation.score(), Permill::from_percent(60));
		assert_eq!(
			ComputeRegistry::record_outcome(&2, JobOutcome::Completed),
			Err(Error::<Test>::NotRegistered.into())
		);
	});
}

#[test]
fn runtime_api_views_and_pages() {
	new_test_ext().execute_with(|| {
		for who in 1..=4 {
			register(who, cpu_profile(), MIN_BOND);
		}
		assert_ok!(ComputeRegistry::pause(RuntimeOrigin::signed(2)));
		let view = ComputeRegistry::provider_view(&1).unwrap();
		assert!(view.is_live);
		assert_eq!(view.capacity_left, 2);
		assert_eq!(view.score, Permill::from_percent(50));
		assert!(!ComputeRegistry::provider_view(&2).unwrap().is_live);
		assert!(ComputeRegistry::provider_view(&9).is_none());

		let first = ComputeRegistry::live_providers_page(ExecutionProvider::Cpu, 0, 2);
		assert_eq!(first, Page { items: vec![1, 3], next: Some(3) });
		let second = ComputeRegistry::live_providers_page(ExecutionProvider::Cpu, 3, 2);
		assert_eq!(second, Page { items: vec![4], next: None });
		assert_eq!(
			ComputeRegistry::live_providers_page(ExecutionProvider::Cuda, 0, 10),
			Page { items: vec![], next: None }
		);
		assert_eq!(
			ComputeRegistry::live_providers_page(ExecutionProvider::Cpu, 0, u32::MAX).items,
			vec![1, 3, 4]
		);
	});
}

#[test]
fn genesis_registers_providers() {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(1, FUNDS)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	crate::GenesisConfig::<Test> {
		providers: vec![(1, 2_000, cpu_profile())],
		encryption_keys: vec![(1, [7; 32])],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(held(1), 2_000);
		assert_eq!(index(ExecutionProvider::Cpu), vec![1]);
		assert_eq!(
			EncryptionKeys::<Test>::get(1),
			Some(EncryptionKey { key: [7; 32], epoch: 1, set_at: 0 })
		);
		ComputeRegistry::do_try_state().unwrap();
	});
}

#[test]
fn try_state_catches_a_bond_out_of_step_with_the_hold() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		Providers::<Test>::mutate(1, |info| info.as_mut().unwrap().bond += 1);
		assert!(ComputeRegistry::do_try_state().is_err());
		// Withdrawal refuses to release anything while the record and the hold disagree.
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		run_to_block(1 + UNBONDING_PERIOD);
		assert_noop!(
			ComputeRegistry::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::BondMismatch
		);
		assert_eq!(held(1), MIN_BOND);
		Providers::<Test>::mutate(1, |info| info.as_mut().unwrap().bond -= 1);
	});
}

#[test]
fn encryption_keys_are_published_and_rotated() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		assert_eq!(ComputeRegistry::encryption_key(&1), None);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(1), [7; 32]));
		System::assert_last_event(
			Event::EncryptionKeySet { provider: 1, key: [7; 32], epoch: 1 }.into(),
		);
		assert_eq!(
			EncryptionKeys::<Test>::get(1),
			Some(EncryptionKey { key: [7; 32], epoch: 1, set_at: 1 })
		);
		run_to_block(3);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(1), [8; 32]));
		System::assert_last_event(
			Event::EncryptionKeySet { provider: 1, key: [8; 32], epoch: 2 }.into(),
		);
		assert_eq!(ComputeRegistry::encryption_key(&1), Some(([8; 32], 2)));
		assert_eq!(EncryptionKeys::<Test>::get(1).map(|record| record.set_at), Some(3));
		// A key costs no funds: the bond alone is held.
		assert_eq!(held(1), MIN_BOND);
	});
}

#[test]
fn set_encryption_key_errors() {
	new_test_ext().execute_with(|| {
		let origin = || RuntimeOrigin::signed(1);
		assert_noop!(
			ComputeRegistry::set_encryption_key(origin(), [7; 32]),
			Error::<Test>::NotRegistered
		);
		register(1, cpu_profile(), MIN_BOND);
		for key in cairn_inference::seal::SMALL_ORDER_KEYS {
			assert_noop!(
				ComputeRegistry::set_encryption_key(origin(), key),
				Error::<Test>::InvalidEncryptionKey
			);
			// X25519 ignores the top bit: the same point with it set is refused too.
			let mut high = key;
			high[31] |= 0x80;
			assert_noop!(
				ComputeRegistry::set_encryption_key(origin(), high),
				Error::<Test>::InvalidEncryptionKey
			);
		}
		assert_ok!(ComputeRegistry::set_encryption_key(origin(), [7; 32]));
		assert_noop!(
			ComputeRegistry::set_encryption_key(origin(), [7; 32]),
			Error::<Test>::EncryptionKeyUnchanged
		);
		EncryptionKeys::<Test>::mutate(1, |record| {
			if let Some(record) = record {
				record.epoch = u32::MAX
			}
		});
		assert_noop!(
			ComputeRegistry::set_encryption_key(origin(), [8; 32]),
			Error::<Test>::EncryptionKeyEpochsExhausted
		);
		assert_noop!(
			ComputeRegistry::set_encryption_key(RuntimeOrigin::root(), [8; 32]),
			DispatchError::BadOrigin
		);
		assert_ok!(ComputeRegistry::unbond(origin()));
		assert_noop!(
			ComputeRegistry::set_encryption_key(origin(), [8; 32]),
			Error::<Test>::Unbonding
		);
	});
}

#[test]
fn withdrawing_removes_the_encryption_key() {
	new_test_ext().execute_with(|| {
		register(1, cpu_profile(), MIN_BOND);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(1), [7; 32]));
		assert_ok!(ComputeRegistry::unbond(RuntimeOrigin::signed(1)));
		// An unbonding provider's key stays for the jobs it still answers.
		assert_eq!(ComputeRegistry::encryption_key(&1), Some(([7; 32], 1)));
		run_to_block(1 + UNBONDING_PERIOD);
		assert_ok!(ComputeRegistry::withdraw_unbonded(RuntimeOrigin::signed(1)));
		assert!(!EncryptionKeys::<Test>::contains_key(1));
		// Registering again starts the rotation counter over.
		register(1, cpu_profile(), MIN_BOND);
		assert_ok!(ComputeRegistry::set_encryption_key(RuntimeOrigin::signed(1), [8; 32]));
		assert_eq!(ComputeRegistry::encryption_key(&1), Some(([8; 32], 1)));
	});
}

#[test]
fn try_state_catches_an_encryption_key_of_no_provider() {
	new_test_ext().execute_with(|| {
		EncryptionKeys::<Test>::insert(5, EncryptionKey { key: [7; 32], epoch: 1, set_at: 1 });
		assert!(ComputeRegistry::do_try_state().is_err());
		EncryptionKeys::<Test>::remove(5);
	});
}
