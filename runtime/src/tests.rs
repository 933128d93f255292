//! Tests of the runtime's wiring: genesis presets, transaction extensions, token constants.

use frame_support::{
	genesis_builder_helper::build_state,
	traits::{fungible::Inspect, Get},
};
use serde_json::Value;
use sp_keyring::Sr25519Keyring;

use crate::{
	genesis_config_presets::{
		audit_pot, dev_cpu_provider_profile, get_preset, preset_names, AUDIT_POT_ENDOWMENT,
		ENDOWMENT, GENESIS_PROVIDER_BOND,
	},
	AccountId, Aura, Balances, Grandpa, Runtime, RuntimeGenesisConfig, System, EXISTENTIAL_DEPOSIT,
};

/// Merges a preset's JSON patch over the default genesis config, as the node does.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// Externalities holding the genesis state of `preset`.
fn genesis_of(preset: &str) -> sp_io::TestExternalities {
	let patch: Value =
		serde_json::from_slice(&get_preset(&preset.into()).expect("preset exists")).expect("JSON");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("JSON");
	merge(&mut config, patch);
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(serde_json::to_vec(&config).expect("JSON"))
			.expect("the preset builds a genesis state")
	});
	ext
}

#[test]
fn presets_are_listed_and_unknown_ones_refused() {
	let names: Vec<String> = preset_names()
		.into_iter()
		.map(|p| {
			let name: &str = p.as_ref();
			name.to_string()
		})
		.collect();
	assert_eq!(names, ["development", "local_testnet"]);
	assert!(get_preset(&"mainnet".into()).is_none());
}

#[test]
fn development_preset_has_alice_as_validator_and_sudo() {
	genesis_of("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(
			pallet_aura::Authorities::<Runtime>::get()[0],
			Sr25519Keyring::Alice.public().into()
		);
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice.clone()));
		for account in Sr25519Keyring::iter() {
			assert_eq!(Balances::total_balance(&account.to_account_id()), ENDOWMENT);
		}
		// The audit pot starts with its endowment, so that the first audits' rewards are paid.
		assert_eq!(Balances::total_balance(&audit_pot()), AUDIT_POT_ENDOWMENT);
		assert_eq!(
			Balances::total_issuance(),
			ENDOWMENT * Sr25519Keyring::iter().count() as u128 + AUDIT_POT_ENDOWMENT
		);
		// Alice is a CPU compute provider, bonded from her endowment.
		let provider =
			pallet_compute_registry::Providers::<Runtime>::get(&alice).expect("provider");
		assert_eq!(provider.bond, GENESIS_PROVIDER_BOND);
		assert_eq!(provider.profile, dev_cpu_provider_profile());
		assert_eq!(Balances::balance(&alice), ENDOWMENT - GENESIS_PROVIDER_BOND);
		assert_eq!(
			pallet_compute_registry::ProvidersByExecutionProvider::<Runtime>::get(
				pallet_compute_registry::ExecutionProvider::Cpu
			)
			.into_inner(),
			vec![alice]
		);
	});
}

#[test]
fn local_testnet_preset_has_four_validators() {
	genesis_of("local_testnet").execute_with(|| {
		let aura: Vec<_> = pallet_aura::Authorities::<Runtime>::get().into_inner();
		let expected: Vec<sp_consensus_aura::sr25519::AuthorityId> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| k.public().into())
		.collect();
		assert_eq!(aura, expected);
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 4);
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1));
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		assert_eq!(System::block_number(), 0);
		assert_eq!(pallet_compute_registry::Providers::<Runtime>::count(), 0);
	});
}

#[test]
fn token_and_time_constants() {
	assert_eq!(crate::UNIT, 10u128.pow(crate::TOKEN_DECIMALS as u32));
	assert_eq!(crate::TOKEN_SYMBOL, "CAIRN");
	assert_eq!(
		<<Runtime as pallet_balances::Config>::ExistentialDeposit as Get<crate::Balance>>::get(),
		EXISTENTIAL_DEPOSIT
	);
	assert_eq!(Aura::slot_duration(), crate::SLOT_DURATION);
}

#[test]
fn authorize_call_is_the_first_transaction_extension() {
	use sp_runtime::traits::TransactionExtension;
	let identifiers = <crate::TxExtension as TransactionExtension<crate::RuntimeCall>>::metadata()
		.into_iter()
		.map(|m| m.identifier)
		.collect::<Vec<_>>();
	assert_eq!(identifiers.first(), Some(&"AuthorizeCall"));
	assert!(identifiers.contains(&"CheckMetadataHash"));
	assert!(identifiers.contains(&"ChargeTransactionPayment"));
}

#[test]
fn development_preset_registers_the_demo_lineage() {
	use crate::genesis_config_presets::{
		DEMO_DATASET_HASH, DEMO_DISTILLED_MODEL, DEMO_MODEL, DEMO_TUNED_MODEL,
	};
	use pallet_data_licensing::{LicenseInspect, LicenseUse};
	use pallet_model_provenance::{EdgeKind, LineageStatus, ModelInspect};
	genesis_of("development").execute_with(|| {
		let [charlie, dave, eve] =
			[Sr25519Keyring::Charlie, Sr25519Keyring::Dave, Sr25519Keyring::Eve]
				.map(|k| k.to_account_id());
		let dataset = pallet_data_licensing::Datasets::<Runtime>::get(0).expect("dataset 0");
		assert_eq!((dataset.owner.clone(), dataset.content_hash), (dave, DEMO_DATASET_HASH));
		for (license, holder, purpose) in
			[(0, &charlie, LicenseUse::Training), (1, &eve, LicenseUse::FineTuning)]
		{
			assert!(crate::DataLicensing::is_valid(license, holder, purpose, 0));
			assert!(crate::DataLicensing::is_valid(license, holder, LicenseUse::Inference, 0));
		}
		let by_hash = |bytes: &[u8]| {
			pallet_model_provenance::ModelByHash::<Runtime>::get(sp_crypto_hashing::sha2_256(bytes))
		};
		let (base, tuned) = (by_hash(DEMO_MODEL), by_hash(DEMO_TUNED_MODEL));
		assert_eq!((base, tuned), (Some(0), Some(1)));
		assert_eq!(by_hash(DEMO_DISTILLED_MODEL), Some(2));
		let distilled = pallet_model_provenance::Models::<Runtime>::get(2).expect("model 2");
		assert_eq!(distilled.owner, Sr25519Keyring::Bob.to_account_id());
		assert_eq!(distilled.parents[0].kind, EdgeKind::DistilledFrom);
		assert_eq!(distilled.terms.required_license, Some(0));
		let model = pallet_model_provenance::Models::<Runtime>::get(1).expect("model 1");
		assert_eq!(model.owner, eve);
		assert_eq!(model.parents[0].parent, 0);
		assert_eq!(model.parents[0].kind, EdgeKind::FineTunedFrom);
		assert_eq!(crate::ModelProvenance::lineage_status(1, 0), LineageStatus::Clean);
		assert_eq!(
			<crate::ModelProvenance as ModelInspect<_, _, _>>::upstream_problem(
				1,
				LicenseUse::Inference,
				0
			),
			None
		);
		// Royalties of a job on the fine-tune: Eve 10 %, Charlie 5 %, Dave 2.5 % (once, though
		// both licenses are of his dataset).
		let royalties: Vec<(AccountId, u32)> =
			<crate::ModelProvenance as ModelInspect<_, _, _>>::royalty_recipients(1)
				.into_iter()
				.map(|r| (r.account, r.bps))
				.collect();
		assert_eq!(
			royalties,
			vec![(eve, 1_000u32), (charlie, 500), (Sr25519Keyring::Dave.to_account_id(), 250)]
		);
	});
}

#[test]
fn agents_buy_licenses_for_their_owner_within_the_policy() {
	use crate::{Agents, RuntimeCall, RuntimeEvent, RuntimeOrigin, UNIT};
	use pallet_agents::{CallClassifier, CallKind, Policy, Target};
	genesis_of("development").execute_with(|| {
		System::set_block_number(1);
		let [owner, agent, dave] =
			[Sr25519Keyring::Ferdie, Sr25519Keyring::One, Sr25519Keyring::Dave]
				.map(|k| k.to_account_id());
		let purchase = |max_price| {
			Box::new(RuntimeCall::DataLicensing(pallet_data_licensing::Call::purchase_license {
				dataset: 0,
				offer: 0,
				max_price,
			}))
		};
		// The offer's price (1 CAIRN), not the buyer's higher limit, is what a purchase costs.
		let classified = crate::configs::AgentCalls::classify(&purchase(5 * UNIT)).unwrap();
		assert_eq!(classified.kind, CallKind::PurchaseLicense);
		assert_eq!((classified.max_cost, classified.target), (UNIT, Some(Target::Dataset(0))));
		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
			dest: dave.clone().into(),
			value: 1,
		});
		assert!(crate::configs::AgentCalls::classify(&transfer).is_none());
		// Delivering a sealed job's keys is free; its target is the job's model (none for a job
		// that does not exist, which the call itself then refuses).
		let deliver = RuntimeCall::Inference(pallet_inference::Call::deliver_keys {
			job: 99,
			envelopes: Default::default(),
		});
		let classified = crate::configs::AgentCalls::classify(&deliver).unwrap();
		assert_eq!(
			(classified.kind, classified.max_cost, classified.target),
			(CallKind::DeliverJobKeys, 0, None)
		);

		let policy = Policy {
			allowed_calls: vec![CallKind::PurchaseLicense].try_into().unwrap(),
			period: 100,
			period_budget: 3 * UNIT / 2,
			total_budget: 10 * UNIT,
			models: None,
			datasets: Some(vec![0].try_into().unwrap()),
			expires_at: None,
		};
		assert!(Agents::register_agent(
			RuntimeOrigin::signed(owner.clone()),
			agent.clone(),
			policy
		)
		.is_ok());
		let (owner_start, dave_start) = (Balances::balance(&owner), Balances::balance(&dave));
		assert!(Agents::act(RuntimeOrigin::signed(agent.clone()), purchase(5 * UNIT)).is_ok());
		// The owner paid the price to the dataset's owner and holds the license.
		let license = pallet_data_licensing::NextLicenseId::<Runtime>::get() - 1;
		let record = pallet_data_licensing::Licenses::<Runtime>::get(license).unwrap();
		assert_eq!(record.holder, owner);
		let deposit = <Runtime as pallet_data_licensing::Config>::LicenseDeposit::get();
		assert_eq!(Balances::balance(&owner), owner_start - UNIT - deposit);
		assert_eq!(Balances::balance(&dave), dave_start + UNIT);
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Agents(pallet_agents::Event::Acted {
				agent: agent.clone(),
				owner: owner.clone(),
				kind: CallKind::PurchaseLicense,
				charged: UNIT,
				period_left: UNIT / 2,
				total_left: 9 * UNIT,
			})));
		// A second purchase would exceed the period's budget.
		let refused = Agents::act(RuntimeOrigin::signed(agent.clone()), purchase(5 * UNIT));
		assert_eq!(
			refused.map_err(|e| e.error),
			Err(pallet_agents::Error::<Runtime>::OverPeriodBudget.into())
		);
		let listed = Agents::agents_of(&owner);
		assert_eq!(listed.len(), 1);
		assert_eq!((listed[0].0.clone(), listed[0].1.spent.total), (agent, UNIT));
	});
}

#[test]
fn audit_defaults_make_cheating_a_losing_bet() {
	use crate::configs::{AuditFee, AuditRate, AuditReward, AuditSlash, ProviderMinBond};
	sp_io::TestExternalities::new_empty().execute_with(|| {
		let (rate, slash) = (AuditRate::get(), AuditSlash::get());
		// The bond a provider must hold covers the slash, and the dev provider's price is far
		// under the cap `rate × slash` that single-provider jobs are assigned at.
		assert!(ProviderMinBond::get() >= slash);
		let cap = pallet_inference::Pallet::<Runtime>::audited_price_cap().expect("audits on");
		assert_eq!(cap, rate * slash);
		assert!(dev_cpu_provider_profile().price_per_job * 100 <= cap);
		// The pot takes in, per audit drawn, what the auditor and a referee are paid, at any
		// price; and its first fee opens it.
		type Inference = pallet_inference::Pallet<Runtime>;
		for price in [dev_cpu_provider_profile().price_per_job, cap / 2, cap] {
			let rewards = Inference::auditor_reward(price) + Inference::referee_reward(price);
			assert!(rate.saturating_reciprocal_mul(Inference::audit_fee(price)) >= rewards);
			assert!(Inference::auditor_reward(price) >= price.max(AuditReward::get()));
		}
		assert!(AuditFee::get() >= EXISTENTIAL_DEPOSIT);
	});
}

#[test]
fn fees_price_length_and_rise_with_congestion() {
	use crate::{configs::SlowAdjustingFeeUpdate, MICRO_UNIT};
	use frame_support::{dispatch::DispatchClass, weights::Weight};
	use pallet_transaction_payment::Multiplier;
	use sp_runtime::traits::{Convert, One};
	sp_io::TestExternalities::new_empty().execute_with(|| {
		// A mebibyte of extrinsic pays about a CAIRN by its length alone.
		let mib = 1u32 << 20;
		assert_eq!(
			pallet_transaction_payment::Pallet::<Runtime>::length_to_fee(mib),
			u128::from(mib) * MICRO_UNIT
		);
		let weights = <Runtime as frame_system::Config>::BlockWeights::get();
		let normal = weights.get(DispatchClass::Normal).max_total.unwrap_or(weights.max_block);
		let after = |used: Weight, multiplier: Multiplier| {
			System::set_block_consumed_resources(used, 0);
			SlowAdjustingFeeUpdate::<Runtime>::convert(multiplier)
		};
		// Full blocks raise fees, block after block.
		let once = after(normal, Multiplier::one());
		assert!(once > Multiplier::one());
		assert!(after(normal, once) > once);
		// Empty blocks lower them again, never below the unadjusted fee.
		assert!(after(Weight::zero(), once) < once);
		assert_eq!(after(Weight::zero(), Multiplier::one()), Multiplier::one());
		// Blocks at the target leave them as they are.
		let target = Weight::from_parts(normal.ref_time() / 4, 0);
		assert_eq!(after(target, once), once);
	});
}

#[test]
fn runtime_code_leaves_room_for_its_upgrade_in_a_block() {
	// The Wasm build is skipped with SKIP_WASM_BUILD: there is no code to measure then.
	let Some(code) = crate::WASM_BINARY else { return };
	// An upgrade carries the compressed code in one extrinsic, which must fit in one block beside
	// the block's other transactions.
	let quarter_block = crate::MAX_BLOCK_LENGTH as usize / 4;
	assert!(
		code.len() <= quarter_block,
		"the compressed runtime is {} bytes, over a quarter of a block ({quarter_block})",
		code.len()
	);
}
