//! Jobs, receipts and settlement on the mock runtime; the offchain worker with the test offchain,
//! keystore and transaction-pool externalities.

use crate::{mock::*, *};
use cairn_inference::{
	host::{ChainTip, ChainTipExt, Engine, InferenceExt},
	Capabilities, ExecutionProvider, InferenceError, InferenceOutput, ModelHash, TensorSet,
	Tolerance,
};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok};
use pallet_compute_registry::ProviderInspect;
use pallet_data_licensing::{AllowedUses, LicenseTerms};
use pallet_model_provenance::{DataPurpose, DataUse, InferenceTerms};
use sp_core::offchain::{
	testing::{TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use std::sync::Arc;

#[test]
fn a_single_provider_job_settles_on_its_receipt_with_royalties() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let start = free(&requester());
		let owners = [model_owner(), acc(4), data_owner()].map(|a| free(&a));
		let job = request(model, 10_000, 1);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.assigned.len(), 1);
		assert_eq!(record.input_hash, input([1.0, 2.0, 3.0, 4.0]).hash());
		assert_eq!(held_fee(&requester()), 10_000);
		let provider = record.assigned[0].provider;
		assert_eq!(ComputeRegistry::capacity_left(&provider), 3);
		let provider_start = free(&provider);

		assert_ok!(submit(provider, job, &tiny_output()));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		assert_eq!(record.assigned[0].receipt, Some(0));
		let (tune, base, data) = royalties(PRICE);
		let charged = PRICE + tune + base + data;
		System::assert_last_event(
			Event::JobSettled {
				job,
				status: JobStatus::Completed,
				output_hash: Some(tiny_output().hash()),
				paid: PRICE,
				royalties: tune + base + data,
				refunded: 10_000 - charged,
			}
			.into(),
		);
		assert_eq!(settled_jobs(), vec![(job, requester(), 10_000 - charged)]);
		// To the unit: held = paid + royalties + refunded; the deposit stays until pruning.
		assert_eq!(free(&requester()), start - charged - job_deposit(1));
		assert_eq!(held_fee(&requester()), 0);
		assert_eq!(held_deposit(&requester()), job_deposit(1));
		assert_eq!(free(&provider), provider_start + PRICE);
		assert_eq!(free(&model_owner()), owners[0] + tune);
		assert_eq!(free(&acc(4)), owners[1] + base);
		assert_eq!(free(&data_owner()), owners[2] + data);
		assert_eq!(ComputeRegistry::capacity_left(&provider), 4);
		assert!(JobInputs::<Test>::get(job).is_none());
		let receipt = Receipts::<Test>::get(0).unwrap();
		assert_eq!(receipt.model_hash, MODEL_HASH);
		assert_eq!(receipt.output_hash, tiny_output().hash());
		assert_eq!(Inference::receipts_of_model(MODEL_HASH, None, 10), vec![0]);
		assert_eq!(Inference::receipts_of_provider(&provider, None, 10), vec![0]);
		// Evaluations can cite the receipt.
		use pallet_model_provenance::ReceiptInspect;
		assert_eq!(<Inference as ReceiptInspect>::model_of(0), Some(MODEL_HASH));
	});
}

#[test]
fn requests_are_refused_by_name() {
	new_test_ext().execute_with(|| {
		let (model, license) = lineage();
		let call = |model, input: TensorSet, spec| {
			Inference::request_job(RuntimeOrigin::signed(requester()), model, input.into(), spec)
		};
		let x = || input([1.0, 2.0, 3.0, 4.0]);
		assert_noop!(call(99, x(), job_spec(10_000, 1)), err(Error::UnknownModel));
		assert_noop!(call(model, x(), job_spec(10_000, 0)), err(Error::InvalidRedundancy));
		assert_noop!(call(model, x(), job_spec(10_000, 6)), err(Error::InvalidRedundancy));
		assert_noop!(
			call(model, x(), JobSpec { deadline: 0, ..job_spec(10_000, 1) }),
			err(Error::InvalidDeadline)
		);
		assert_noop!(
			call(model, x(), JobSpec { deadline: 101, ..job_spec(10_000, 1) }),
			err(Error::InvalidDeadline)
		);
		let wrong_name =
			TensorSet::new(vec![
				cairn_inference::Tensor::from_f32("z", &[1, 4], &[0.0; 4]).unwrap()
			])
			.unwrap();
		assert_noop!(call(model, wrong_name, job_spec(10_000, 1)), err(Error::InputMismatch));
		let unsorted = TensorSet {
			tensors: vec![
				cairn_inference::Tensor::from_f32("x", &[1, 4], &[0.0; 4]).unwrap(),
				cairn_inference::Tensor::from_f32("a", &[1], &[0.0]).unwrap(),
			]
			.try_into()
			.unwrap(),
		};
		assert_noop!(call(model, unsorted, job_spec(10_000, 1)), err(Error::InputNotCanonical));
		// One element more than fits MAX_INLINE_INPUT_BYTES, however small the encoding's
		// overhead: an inline input is refused by its size before anything else is checked.
		let over = MAX_INLINE_INPUT_BYTES as usize / 4 + 1;
		let big = TensorSet::new(vec![cairn_inference::Tensor::from_f32(
			"x",
			&[1, over as u64],
			&vec![0.0; over],
		)
		.unwrap()])
		.unwrap();
		assert_noop!(call(model, big, job_spec(10_000, 1)), err(Error::InputTooLarge));
		// Fee: one provider's price plus 17.5 % royalties.
		assert_noop!(call(model, x(), job_spec(PRICE, 1)), err(Error::FeeTooLow));
		// Each provider's price must fit the fee's share.
		assert_noop!(call(model, x(), job_spec(2 * PRICE, 3)), err(Error::NotEnoughProviders));
		let poor = acc(20);
		assert_noop!(
			Inference::request_job(
				RuntimeOrigin::signed(poor),
				model,
				x().into(),
				job_spec(10_000, 1)
			),
			err(Error::CannotHoldFee)
		);

		// Revoking the upstream training license gates inference.
		assert_ok!(DataLicensing::revoke_license(
			RuntimeOrigin::signed(data_owner()),
			license,
			b"breach".to_vec().try_into().unwrap()
		));
		assert_noop!(call(model, x(), job_spec(10_000, 1)), err(Error::UpstreamLicenseInvalid));
	});
}

#[test]
fn revoked_lineages_and_missing_usage_licenses_are_refused() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let x = || input([1.0, 2.0, 3.0, 4.0]);
		let call = |model, spec| {
			Inference::request_job(RuntimeOrigin::signed(requester()), model, x().into(), spec)
		};
		// A dataset whose license forbids inference, and a model trained on it.
		let dataset = pallet_data_licensing::NextDatasetId::<Test>::get();
		let terms = LicenseTerms {
			price: 0,
			duration: None,
			allowed_uses: AllowedUses { training: true, ..Default::default() },
			royalty_bps: 0,
			transferable: false,
			revocable: false,
			max_licensees: None,
			spdx: b"CC-BY-NC-4.0".to_vec().try_into().unwrap(),
		};
		assert_ok!(DataLicensing::do_register_dataset(
			data_owner(),
			[0xdb; 32],
			None,
			b"research only".to_vec().try_into().unwrap(),
			1,
			None,
			vec![terms.clone()].try_into().unwrap(),
		));
		let training = pallet_data_licensing::NextLicenseId::<Test>::get();
		assert_ok!(DataLicensing::purchase_license(RuntimeOrigin::signed(acc(5)), dataset, 0, 0));
		let research = register_model(
			acc(5),
			[0x55; 32],
			0,
			vec![],
			vec![DataUse { dataset, license: training, purpose: DataPurpose::Training }],
		);
		assert_noop!(
			call(research, job_spec(10_000, 1)),
			err(Error::UpstreamLicenseForbidsInference)
		);

		// A model whose terms require a usage license of a dataset.
		let usage_set = pallet_data_licensing::NextDatasetId::<Test>::get();
		let usage_terms = LicenseTerms {
			allowed_uses: AllowedUses { inference: true, ..Default::default() },
			..terms
		};
		assert_ok!(DataLicensing::do_register_dataset(
			model_owner(),
			[0xdc; 32],
			None,
			b"usage".to_vec().try_into().unwrap(),
			1,
			None,
			vec![usage_terms].try_into().unwrap(),
		));
		let gated = pallet_model_provenance::NextModelId::<Test>::get();
		assert_ok!(ModelProvenance::do_register_model(
			model_owner(),
			pallet_model_provenance::ModelFile { sha256: [0x66; 32], cid: None, size_bytes: 1 },
			b"gated".to_vec().try_into().unwrap(),
			interface(),
			InferenceTerms {
				price_floor: 0,
				royalty_bps: 0,
				derivatives: pallet_model_provenance::DerivativePolicy::Open,
				required_license: Some(usage_set),
			},
			Default::default(),
			Default::default(),
		));
		assert_noop!(call(gated, job_spec(10_000, 1)), err(Error::UsageLicenseRequired));
		let usage = pallet_data_licensing::NextLicenseId::<Test>::get();
		assert_ok!(DataLicensing::purchase_license(
			RuntimeOrigin::signed(requester()),
			usage_set,
			0,
			0
		));
		assert_ok!(call(gated, JobSpec { usage_license: Some(usage), ..job_spec(10_000, 1) }));

		// Revoking the base model gates its fine-tune.
		let base = 0;
		assert_ok!(ModelProvenance::revoke_model(
			RuntimeOrigin::signed(acc(4)),
			base,
			b"leak".to_vec().try_into().unwrap()
		));
		assert_noop!(call(model, job_spec(10_000, 1)), err(Error::UpstreamRevoked));
		assert_noop!(call(base, job_spec(10_000, 1)), err(Error::ModelRevoked));
	});
}

#[test]
fn receipts_are_refused_by_name() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, 10_000, 2);
		let assigned: Vec<AccountId> =
			Jobs::<Test>::get(job).unwrap().assigned.iter().map(|a| a.provider).collect();
		let outsider = providers().into_iter().find(|p| !assigned.contains(p)).unwrap();
		let y = tiny_output();
		assert_noop!(submit(assigned[0], 99, &y), err(Error::UnknownJob));
		assert_noop!(submit(outsider, job, &y), err(Error::NotAssigned));
		let encoded: EncodedOutputs = y.encode().try_into().unwrap();
		let checkpoints = cairn_inference::Commitment::of(&[y.hash()]);
		let revealed = |output_hash: [u8; 32], outputs: EncodedOutputs| {
			reveal(job, assigned[0], &output_hash, &checkpoints, |salt| {
				Inference::submit_receipt(
					RuntimeOrigin::signed(assigned[0]),
					job,
					output_hash,
					outputs,
					checkpoints,
					ExecutionProvider::Cpu,
					Default::default(),
					1,
					salt,
				)
				.map(|_| ())
				.map_err(|e| e.error)
			})
		};
		assert_noop!(revealed([0; 32], encoded.clone()), err(Error::OutputHashMismatch));
		assert_noop!(
			revealed(y.hash(), vec![1, 2, 3].try_into().unwrap()),
			err(Error::OutputsNotCanonical)
		);
		assert_noop!(
			Inference::submit_receipt(
				RuntimeOrigin::signed(assigned[0]),
				job,
				y.hash(),
				encoded,
				cairn_inference::Commitment::of(&[y.hash()]),
				ExecutionProvider::Cuda,
				Default::default(),
				1,
				TEST_SALT,
			),
			err(Error::WrongExecutionProvider)
		);
		assert_ok!(submit(assigned[0], job, &y));
		assert_noop!(submit(assigned[0], job, &y), err(Error::DuplicateReceipt));
		assert_ok!(submit(assigned[1], job, &y));
		assert_noop!(submit(assigned[1], job, &y), err(Error::JobClosed));
	});
}

#[test]
fn the_majority_is_paid_and_the_minority_slashed_to_the_pot() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let start = free(&requester());
		let pot_before = pot();
		let job = request(model, 10_000, 3);
		let assigned: Vec<AccountId> =
			Jobs::<Test>::get(job).unwrap().assigned.iter().map(|a| a.provider).collect();
		let before: Vec<Balance> = assigned.iter().map(free).collect();
		assert_ok!(submit(assigned[0], job, &tiny_output()));
		assert_ok!(submit(assigned[1], job, &output([0.0, 0.0, 0.0])));
		assert_ok!(submit(assigned[2], job, &tiny_output()));
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		let paid = 2 * PRICE;
		let (tune, base, data) = royalties(paid);
		assert_eq!(free(&assigned[0]), before[0] + PRICE);
		assert_eq!(free(&assigned[2]), before[2] + PRICE);
		assert_eq!(free(&assigned[1]), before[1]);
		assert_eq!(bond(&assigned[1]), BOND - WRONG_RESULT_SLASH);
		// The requester, who could have caused the slash, gets none of it.
		assert_eq!(free(&requester()), start - paid - tune - base - data - job_deposit(3));
		assert_eq!(pot(), pot_before + WRONG_RESULT_SLASH);
		assert_eq!(held_fee(&requester()), 0);
		System::assert_has_event(
			Event::ProviderOutvoted { job, provider: assigned[1], slashed: WRONG_RESULT_SLASH }
				.into(),
		);
	});
}

#[test]
fn outputs_within_the_tolerance_agree() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let id = NextJobId::<Test>::get();
		let tolerance = Tolerance { absolute_nano: 100_000, relative_nano: 0 };
		assert_ok!(Inference::request_job(
			RuntimeOrigin::signed(requester()),
			model,
			input([1.0, 2.0, 3.0, 4.0]).into(),
			JobSpec { tolerance, ..job_spec(10_000, 2) }
		));
		let assigned: Vec<AccountId> =
			Jobs::<Test>::get(id).unwrap().assigned.iter().map(|a| a.provider).collect();
		assert_ok!(submit(assigned[0], id, &tiny_output()));
		let close = output([27.00001, -7.5, 11.5]);
		assert_ne!(close.hash(), tiny_output().hash());
		assert_ok!(submit(assigned[1], id, &close));
		assert_eq!(Jobs::<Test>::get(id).unwrap().status, JobStatus::Completed);
		System::assert_has_event(
			Event::ProviderPaid { job: id, provider: assigned[1], amount: PRICE }.into(),
		);
	});
}

#[test]
fn deadlines_settle_partial_answers_and_expire_unanswered_jobs() {
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let start = free(&requester());
		// Unanswered: refunded in full in the block after the deadline, providers marked missed.
		let job = request(model, 10_000, 1);
		let provider = Jobs::<Test>::get(job).unwrap().assigned[0].provider;
		run_to_block(11);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Open);
		run_to_block(12);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Expired);
		assert_eq!(free(&requester()), start - job_deposit(1));
		assert_eq!(settled_jobs(), vec![(job, requester(), 10_000)]);
		assert_eq!(ComputeRegistry::capacity_left(&provider), 4);
		assert_noop!(submit(provider, job, &tiny_output()), err(Error::JobClosed));

		// Two of three agreeing answers by the deadline are a majority.
		let job = request(model, 10_000, 3);
		let assigned: Vec<AccountId> =
			Jobs::<Test>::get(job).unwrap().assigned.iter().map(|a| a.provider).collect();
		assert_ok!(submit(assigned[0], job, &tiny_output()));
		assert_ok!(submit(assigned[1], job, &tiny_output()));
		run_to_block(23);
		let record = Jobs::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Completed);
		let (tune, base, data) = royalties(2 * PRICE);
		assert_eq!(
			free(&requester()),
			start - 2 * PRICE - tune - base - data - job_deposit(1) - job_deposit(3)
		);
		assert_eq!(held_fee(&requester()), 0);
	});
}

#[test]
fn a_full_deadline_moves_to_the_next_block_with_room() {
	use frame_support::dispatch::GetDispatchInfo;
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		let full: Vec<JobId> = (1_000..1_000 + u64::from(MAX_JOBS_PER_DEADLINE)).collect();
		let full = frame_support::BoundedVec::try_from(full).unwrap();
		// The spec's deadline is block 11 (requested at block 1); 11 and 12 are full.
		Deadlines::<Test>::insert(11, full.clone());
		Deadlines::<Test>::insert(12, full.clone());
		let declared = Call::<Test>::request_job {
			model,
			input: input([1.0, 2.0, 3.0, 4.0]).into(),
			spec: job_spec(10_000, 1),
		}
		.get_dispatch_info()
		.call_weight;
		let job = NextJobId::<Test>::get();
		let post = Inference::request_job(
			RuntimeOrigin::signed(requester()),
			model,
			input([1.0, 2.0, 3.0, 4.0]).into(),
			job_spec(10_000, 1),
		)
		.unwrap();
		assert_eq!(Jobs::<Test>::get(job).unwrap().deadline_at, 13);
		assert_eq!(Deadlines::<Test>::get(13).into_inner(), vec![job]);
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::Inference(Event::JobRequested { job: j, deadline_at: 13, .. }) if j == job
		)));
		// Charged for the two full blocks passed over, not for the whole spill.
		let work = functions::RequestWork { scanned: 5, redundancy: 1, deadlines_skipped: 2 };
		let input_bytes = input([1.0, 2.0, 3.0, 4.0]).encoded_size() as u32;
		let charged = Pallet::<Test>::request_weight(&work, (1, 1), Some(input_bytes));
		assert_eq!(post.actual_weight, Some(charged));
		assert!(charged.ref_time() < declared.ref_time());

		// With the asked-for block and every block of the spill full, the request is refused.
		for at in 11..=11 + u64::from(MAX_DEADLINE_SPILL) {
			Deadlines::<Test>::mutate(at, |jobs| {
				for fake in full.iter() {
					let _ = jobs.try_push(*fake);
				}
			});
		}
		assert_noop!(
			Inference::request_job(
				RuntimeOrigin::signed(requester()),
				model,
				input([1.0, 2.0, 3.0, 4.0]).into(),
				job_spec(10_000, 1)
			),
			err(Error::DeadlineFull)
		);
		for at in 11..=11 + u64::from(MAX_DEADLINE_SPILL) {
			Deadlines::<Test>::mutate(at, |jobs| jobs.retain(|j| *j < 1_000));
		}
	});
}

#[test]
fn heartbeats_go_through_the_inference_pallet() {
	new_test_ext().execute_with(|| {
		assert_ok!(Inference::heartbeat(RuntimeOrigin::signed(providers()[0])));
		assert_noop!(Inference::heartbeat(RuntimeOrigin::signed(acc(20))), err(Error::NotProvider));
	});
}

/// An engine that runs the tiny model by its weights (y = x · W + b).
pub(crate) struct TinyEngine;

impl Engine for TinyEngine {
	fn run(&self, model: &ModelHash, input: &TensorSet) -> Result<InferenceOutput, InferenceError> {
		if *model != MODEL_HASH {
			return Err(InferenceError::UnknownModel);
		}
		let x =
			input.get("x").and_then(|t| t.float_values()).ok_or(InferenceError::MissingInput)?;
		let w = [[1.0, 0.0, 2.0], [2.0, -1.0, 0.0], [3.0, 0.0, 0.5], [3.0, -1.5, 2.0]];
		let b = [1.0, 0.5, 0.0];
		let y: Vec<f32> =
			(0..3).map(|j| (b[j] + (0..4).map(|i| x[i] * w[i][j]).sum::<f64>()) as f32).collect();
		let outputs =
			TensorSet::new(vec![cairn_inference::Tensor::from_f32("y", &[1, 3], &y).unwrap()])
				.unwrap();
		Ok(InferenceOutput {
			output_hash: outputs.hash(),
			outputs,
			execution_provider: ExecutionProvider::Cpu,
			runtime_version: b"test".to_vec().try_into().unwrap(),
			elapsed_micros: 3,
		})
	}

	fn capabilities(&self) -> Capabilities {
		Capabilities {
			available: true,
			runtime_version: b"test".to_vec().try_into().unwrap(),
			execution_providers: vec![ExecutionProvider::Cpu].try_into().unwrap(),
			models: vec![MODEL_HASH].try_into().unwrap(),
		}
	}

	fn has_model(&self, model: &ModelHash) -> bool {
		*model == MODEL_HASH
	}
}

/// Test externalities whose only provider is a key in a test keystore, with offchain, pool and
/// inference extensions; returns them, the pool state and the provider's account.
pub(crate) fn ocw_ext(
	engine: Arc<dyn Engine>,
) -> (TestExternalities, Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>, AccountId)
{
	let keystore = MemoryKeystore::new();
	let public = keystore.sr25519_generate_new(KEY_TYPE, Some("//Provider")).unwrap();
	let mut ext = new_test_ext_with(0);
	ext.0.execute_with(|| {
		let _ =
			<Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(&public, FUNDS);
		assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(public), profile(), BOND));
	});
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.0.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.0.register_extension(OffchainWorkerExt::new(offchain));
	ext.0.register_extension(TransactionPoolExt::new(pool));
	ext.0.register_extension(KeystoreExt::new(keystore));
	ext.0.register_extension(InferenceExt::new(engine));
	(ext, pool_state, public)
}

/// Runs the offchain worker and returns the calls it submitted.
pub(crate) fn run_worker(
	block: u64,
	pool: &Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>,
) -> Vec<RuntimeCall> {
	use frame_support::traits::OffchainWorker;
	Inference::offchain_worker(block);
	let mut calls = Vec::new();
	for tx in pool.write().transactions.drain(..) {
		calls.push(Extrinsic::decode(&mut &tx[..]).unwrap().function);
	}
	calls
}

/// Dispatches the worker's `calls` as signed by `provider`, as the chain would.
pub(crate) fn land_receipt(calls: Vec<RuntimeCall>, provider: AccountId) {
	use frame_support::traits::UnfilteredDispatchable;
	for call in calls {
		if let RuntimeCall::Inference(call) = call {
			assert_ok!(call.dispatch_bypass_filter(RuntimeOrigin::signed(provider)));
		}
	}
}

#[test]
fn the_offchain_worker_submits_exactly_one_signed_receipt() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	ext.execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, 10_000, 1);
		assert_eq!(Jobs::<Test>::get(job).unwrap().assigned[0].provider, provider);
		let calls = run_worker(1, &pool);
		assert_eq!(calls.len(), 1);
		let RuntimeCall::Inference(Call::submit_receipt {
			job: for_job,
			output_hash,
			ref outputs,
			..
		}) = calls[0]
		else {
			panic!("expected a receipt, got {:?}", calls[0]);
		};
		assert_eq!(for_job, job);
		assert_eq!(output_hash, tiny_output().hash());
		assert_eq!(TensorSet::decode_canonical(outputs).unwrap(), tiny_output());
		// The next block's worker (or a concurrent one) does not submit again.
		assert!(run_worker(2, &pool).is_empty());
		// The receipt lands and settles the job.
		land_receipt(calls, provider);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
	});
}

#[test]
fn a_dropped_receipt_is_retried_after_the_claim_ages() {
	let (mut ext, pool, _) = ocw_ext(Arc::new(TinyEngine));
	ext.execute_with(|| {
		let (model, _) = lineage();
		request(model, 10_000, 1);
		assert_eq!(run_worker(1, &pool).len(), 1);
		assert!(run_worker(1 + u64::from(worker::RETRY_AFTER) - 1, &pool).is_empty());
		assert_eq!(run_worker(1 + u64::from(worker::RETRY_AFTER), &pool).len(), 1);
	});
}

/// A chain-tip view fixed at one block.
struct FixedTip(u64);

impl ChainTip for FixedTip {
	fn best_known(&self) -> u64 {
		self.0
	}
}

#[test]
fn the_offchain_worker_runs_nothing_at_a_block_behind_the_chain_tip() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	ext.0.register_extension(ChainTipExt::new(Arc::new(FixedTip(3))));
	ext.execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, 10_000, 1);
		// Catching up to block 3: the runs at blocks 1 and 2 see old state, claim and send nothing.
		assert!(run_worker(1, &pool).is_empty());
		assert!(run_worker(2, &pool).is_empty());
		// The run at the tip answers the job, once.
		let calls = run_worker(3, &pool);
		assert_eq!(calls.len(), 1);
		land_receipt(calls, provider);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
	});
}

#[test]
fn the_offchain_worker_sends_a_heartbeat_when_due() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	ext.execute_with(|| {
		assert!(run_worker(1, &pool).is_empty());
		run_to_block(HEARTBEAT_INTERVAL / 2 + 1);
		let calls = run_worker(HEARTBEAT_INTERVAL / 2 + 1, &pool);
		assert!(matches!(calls[..], [RuntimeCall::Inference(Call::heartbeat {})]));
		assert!(ComputeRegistry::is_live(&provider));
	});
}

#[test]
fn the_offchain_worker_runs_the_real_tiny_model_with_onnx_runtime() {
	let library = std::env::var_os("ORT_DYLIB_PATH")
		.expect("ORT_DYLIB_PATH names libonnxruntime (scripts/fetch-onnxruntime.sh --print-env)");
	let store = tempfile::tempdir().unwrap();
	let config =
		cairn_inference::engine::EngineConfig::new(Some(library.into()), store.path().into());
	let engine = cairn_inference::engine::OrtEngine::new(config).unwrap();
	let bytes = std::fs::read(concat!(
		env!("CARGO_MANIFEST_DIR"),
		"/../../offchain-workers/models/tiny_affine.onnx"
	))
	.unwrap();
	assert_eq!(engine.store().import_bytes(&bytes).unwrap(), MODEL_HASH);
	let (mut ext, pool, provider) = ocw_ext(Arc::new(engine));
	ext.execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, 10_000, 1);
		let calls = run_worker(1, &pool);
		assert_eq!(calls.len(), 1);
		land_receipt(calls, provider);
		let receipt = Receipts::<Test>::get(0).unwrap();
		assert_eq!(receipt.job, job);
		assert_eq!(receipt.output_hash, tiny_output().hash());
		assert_eq!(receipt.execution_provider, ExecutionProvider::Cpu);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
	});
}

#[test]
fn the_offchain_worker_answers_a_dispute_as_referee_on_cpu() {
	let (mut ext, pool, local) = ocw_ext(Arc::new(TinyEngine));
	ext.execute_with(|| {
		DisputeReferees::set(&1);
		// The local provider is too dear for a share of the job (5 000) but not for the
		// referee's share of what is left (7 650).
		let dear = pallet_compute_registry::ProviderProfile { price_per_job: 6_000, ..profile() };
		assert_ok!(ComputeRegistry::update_profile(RuntimeOrigin::signed(local), dear));
		for provider in [acc(10), acc(11)] {
			assert_ok!(ComputeRegistry::register(RuntimeOrigin::signed(provider), profile(), BOND));
		}
		let (model, _) = lineage();
		let job = request(model, 10_000, 2);
		assert!(!assigned(job).contains(&local));
		assert_ok!(submit(acc(10), job, &tiny_output()));
		assert_ok!(submit(acc(11), job, &output([0.0, 0.0, 0.0])));
		assert!(run_worker(1, &pool).is_empty(), "nothing for the local provider yet");
		run_to_block(2);
		assert_eq!(referees(job), vec![local]);

		// The referee commits first; as the only referee, its commitment opens the reveal.
		let calls = run_worker(2, &pool);
		assert!(matches!(calls[..], [RuntimeCall::Inference(Call::commit_receipt { .. })]));
		land_receipt(calls, local);
		assert!(Inference::reveal_open(job));
		let calls = run_worker(3, &pool);
		let [RuntimeCall::Inference(Call::submit_receipt {
			job: for_job,
			output_hash,
			execution_provider,
			..
		})] = calls[..]
		else {
			panic!("expected one receipt, got {calls:?}");
		};
		assert_eq!((for_job, output_hash), (job, tiny_output().hash()));
		assert_eq!(execution_provider, ExecutionProvider::Cpu);
		assert!(run_worker(4, &pool).is_empty(), "answered once");
		land_receipt(calls, local);
		run_to_block(3);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert_eq!(bond(&acc(11)), BOND - WRONG_RESULT_SLASH);
		System::assert_has_event(
			Event::ProviderPaid { job, provider: local, amount: 6_000 }.into(),
		);
	});
}

/// Runs the offchain worker as a node does, its state changes discarded afterwards (offchain
/// storage kept); returns the nonces of the transactions it submitted.
fn run_worker_discarding_state(
	block: u64,
	pool: &Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>,
) -> Vec<u64> {
	use frame_support::{storage::with_transaction, traits::OffchainWorker};
	use sp_runtime::{generic::Preamble, TransactionOutcome};
	let _: Result<(), sp_runtime::DispatchError> = with_transaction(|| {
		Inference::offchain_worker(block);
		TransactionOutcome::Rollback(Ok(()))
	});
	pool.write()
		.transactions
		.drain(..)
		.map(|tx| match Extrinsic::decode(&mut &tx[..]).unwrap().preamble {
			// The test signer puts the nonce where an address would be.
			Preamble::Signed(nonce, ..) => nonce,
			other => panic!("expected a signed transaction, got {other:?}"),
		})
		.collect()
}

#[test]
fn runs_while_receipts_are_pending_take_the_next_nonces_and_start_over_when_they_were_dropped() {
	let (mut ext, pool, provider) = ocw_ext(Arc::new(TinyEngine));
	ext.execute_with(|| {
		let (model, _) = lineage();
		let chain = u64::from(System::account_nonce(provider));
		request(model, 10_000, 1);
		assert_eq!(run_worker_discarding_state(1, &pool), vec![chain]);
		// The first receipt is still pending: the next run's takes the nonce after it.
		request(model, 10_000, 1);
		assert_eq!(run_worker_discarding_state(2, &pool), vec![chain + 1]);
		// Nothing landed for NONCE_STALL blocks: those were dropped, start from the chain's.
		request(model, 10_000, 1);
		let stalled = 1 + u64::from(worker::NONCE_STALL);
		assert_eq!(run_worker_discarding_state(stalled, &pool), vec![chain]);
		// The chain moving on counts as progress: pending ones after it are kept.
		System::inc_account_nonce(provider);
		request(model, 10_000, 1);
		assert_eq!(run_worker_discarding_state(stalled + 1, &pool), vec![chain + 1]);
	});
}

#[test]
fn requests_and_receipts_are_charged_for_what_they_read_not_the_worst_case() {
	use frame_support::{dispatch::GetDispatchInfo, traits::UnfilteredDispatchable};
	use pallet_model_provenance::ModelInspect;
	new_test_ext().execute_with(|| {
		let (model, _) = lineage();
		// The fine-tune has one ancestor (the base) and one upstream license.
		assert_eq!(<ModelProvenance as ModelInspect<_, _, _>>::lineage_size(model), (1, 1));
		let x = input([1.0, 2.0, 3.0, 4.0]);
		let declared =
			Call::<Test>::request_job { model, input: x.clone().into(), spec: job_spec(10_000, 2) }
				.get_dispatch_info()
				.call_weight;
		let job = NextJobId::<Test>::get();
		let post = Inference::request_job(
			RuntimeOrigin::signed(requester()),
			model,
			x.clone().into(),
			job_spec(10_000, 2),
		)
		.unwrap();
		let work = functions::RequestWork { scanned: 5, redundancy: 2, deadlines_skipped: 0 };
		let charged = Pallet::<Test>::request_weight(&work, (1, 1), Some(x.encoded_size() as u32));
		assert_eq!(post.actual_weight, Some(charged));
		assert!(charged.all_lte(declared) && charged.ref_time() < declared.ref_time());

		let outputs = tiny_output();
		let encoded: EncodedOutputs = outputs.encode().try_into().unwrap();
		let call = Call::<Test>::submit_receipt {
			job,
			output_hash: outputs.hash(),
			outputs: encoded.clone(),
			checkpoints: cairn_inference::Commitment::of(&[outputs.hash()]),
			execution_provider: ExecutionProvider::Cpu,
			runtime_version: Default::default(),
			elapsed_micros: 1,
			salt: TEST_SALT,
		};
		let declared = call.get_dispatch_info().call_weight;
		let checkpoints = cairn_inference::Commitment::of(&[outputs.hash()]);
		let receipt = |provider| {
			let mut post = None;
			assert_ok!(reveal(job, provider, &outputs.hash(), &checkpoints, |_| {
				post = Some(call.clone().dispatch_bypass_filter(RuntimeOrigin::signed(provider)));
				Ok(())
			}));
			post.unwrap()
		};
		let [first, second] = [0, 1].map(|i| assigned(job)[i]);
		// The first of two receipts only stores itself.
		let stored = Pallet::<Test>::receipt_weight(encoded.len() as u32, 1, None);
		assert_eq!(receipt(first).unwrap().actual_weight, Some(stored));
		// The second compares both, pays the lineage's royalties and tells `OnJobSettled`.
		let settled = Pallet::<Test>::receipt_weight(encoded.len() as u32, 2, Some((1, 1)))
			.saturating_add(<RecordSettled as OnJobSettled<_, _>>::weight());
		assert_eq!(receipt(second).unwrap().actual_weight, Some(settled));
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
		assert!(stored.all_lte(settled));
		assert!(settled.all_lte(declared) && settled.ref_time() < declared.ref_time());
	});
}

/// The tiny engine on a node whose store lacks the model until `fetched` is set; every request
/// for it is recorded.
struct FetchingEngine {
	fetched: std::sync::atomic::AtomicBool,
	requests: std::sync::Mutex<Vec<cairn_inference::ModelSource>>,
}

impl Engine for FetchingEngine {
	fn run(&self, model: &ModelHash, input: &TensorSet) -> Result<InferenceOutput, InferenceError> {
		if !self.has_model(model) {
			return Err(InferenceError::UnknownModel);
		}
		TinyEngine.run(model, input)
	}

	fn capabilities(&self) -> Capabilities {
		TinyEngine.capabilities()
	}

	fn has_model(&self, model: &ModelHash) -> bool {
		self.fetched.load(std::sync::atomic::Ordering::Relaxed) && TinyEngine.has_model(model)
	}

	fn request_model(&self, source: &cairn_inference::ModelSource) -> cairn_inference::FetchStatus {
		self.requests.lock().unwrap().push(source.clone());
		if self.has_model(&source.sha256) {
			cairn_inference::FetchStatus::Stored
		} else {
			cairn_inference::FetchStatus::Fetching { received: 0, size: source.size_bytes }
		}
	}
}

#[test]
fn a_job_waits_unclaimed_while_its_model_is_fetched_then_is_answered() {
	let engine =
		Arc::new(FetchingEngine { fetched: Default::default(), requests: Default::default() });
	let (mut ext, pool, provider) = ocw_ext(engine.clone());
	ext.execute_with(|| {
		let (model, _) = lineage();
		let job = request(model, 10_000, 1);
		let deadline_at = Jobs::<Test>::get(job).unwrap().deadline_at;
		// While the model is on its way, nothing is sent and the job is not claimed.
		assert!(run_worker(1, &pool).is_empty());
		assert!(run_worker(2, &pool).is_empty());
		{
			let requests = engine.requests.lock().unwrap();
			assert_eq!(requests.len(), 2);
			let source = &requests[0];
			assert_eq!(source.sha256, MODEL_HASH);
			assert_eq!(Some(source.size_bytes), <<Test as Config>::Models as pallet_model_provenance::ModelInspect<_, _, _>>::size_bytes(model));
			// Needed by the last block a receipt is accepted in.
			assert_eq!(source.needed_by, Some(deadline_at));
		}
		// Stored: the next run answers at once (no claim from the waiting runs holds it back).
		engine.fetched.store(true, std::sync::atomic::Ordering::Relaxed);
		let calls = run_worker(3, &pool);
		assert!(
			matches!(calls[..], [RuntimeCall::Inference(Call::submit_receipt { job: j, .. })] if j == job),
			"{calls:?}"
		);
		land_receipt(calls, provider);
		assert_eq!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Completed);
	});
}
