//! Unit tests of model provenance, each ending with both pallets' `try_state`.

use crate::{mock::*, *};
use codec::{Encode, MaxEncodedLen};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use pallet_data_licensing::{AllowedUses, LicenseStatus, LicenseUse};

use EdgeKind::*;

/// Training-only uses.
fn training_only() -> AllowedUses {
	AllowedUses { training: true, ..Default::default() }
}

/// Calls `register_model` for `owner` with test model `seed`'s file and the given parts,
/// committed a block earlier; a refused registration leaves no commitment behind.
fn try_register(
	owner: u64,
	seed: u32,
	list: &[(ModelId, EdgeKind)],
	uses: Vec<DataUse>,
) -> sp_runtime::DispatchResult {
	frame_support::storage::with_storage_layer(|| {
		commit_earlier(owner, pallet_data_licensing::RegistrationKind::Model, hash(seed));
		try_register_uncommitted(owner, seed, list, uses)
	})
}

/// Calls `register_model` for `owner` with test model `seed`'s file and the given parts, with
/// whatever commitment `owner` made.
fn try_register_uncommitted(
	owner: u64,
	seed: u32,
	list: &[(ModelId, EdgeKind)],
	uses: Vec<DataUse>,
) -> sp_runtime::DispatchResult {
	ModelProvenance::register_model(
		RuntimeOrigin::signed(owner),
		file(seed),
		name("model"),
		interface(),
		terms(0),
		parents(list),
		data(uses),
	)
}

/// Registers a chain of `length` models of owner 1 below `first`; returns their ids, root first.
fn chain(first_seed: u32, length: u32) -> Vec<ModelId> {
	let mut ids = vec![root(1, first_seed)];
	for seed in first_seed + 1..first_seed + length {
		let parent = *ids.last().unwrap();
		ids.push(register(1, seed, 0, &[(parent, FineTunedFrom)], vec![]));
	}
	ids
}

/// The metric `top1`.
fn metric() -> MetricName {
	b"top1".to_vec().try_into().unwrap()
}

#[test]
fn register_model_stores_record_indexes_and_holds_the_deposit() {
	new_test_ext().execute_with(|| {
		let data_owner = 7;
		let set = dataset(data_owner, 1, every_use());
		let license = buy(2, set);
		let before = free(2);
		let model = register(2, 1, 300, &[], vec![training(set, license)]);

		let record = Models::<Test>::get(model).unwrap();
		assert_eq!(record.owner, 2);
		assert_eq!(record.file, file(1));
		assert_eq!(record.interface, interface());
		assert_eq!(record.depth, 0);
		assert_eq!(record.status, ModelStatus::Active);
		assert_eq!(record.registered_at, 1);
		assert_eq!(ModelByHash::<Test>::get(hash(1)), Some(model));
		let upstream = Upstreams::<Test>::get(model).unwrap();
		assert!(upstream.ancestors.is_empty());
		assert_eq!(upstream.licenses.to_vec(), vec![(set, license)]);

		// Deposit: base + per byte of the record (status at its largest), the upstream set and
		// one byte for the revocation index.
		let bytes = record.encoded_size() - record.status.encoded_size()
			+ ModelStatus::<u64>::max_encoded_len()
			+ upstream.encoded_size()
			+ 1;
		let deposit = MODEL_DEPOSIT_BASE + DEPOSIT_PER_BYTE * bytes as u64;
		assert_eq!(record.deposit, deposit);
		assert_eq!(held(HoldReason::ModelDeposit, 2), deposit);
		assert_eq!(free(2), before - deposit);
		System::assert_has_event(
			Event::ModelRegistered {
				model,
				owner: 2,
				sha256: hash(1),
				parents: parents(&[]),
				deposit,
			}
			.into(),
		);
	});
}

#[test]
fn register_model_checks_the_description() {
	new_test_ext().execute_with(|| {
		root(1, 1);
		assert_noop!(try_register(1, 1, &[], vec![]), Error::<Test>::DuplicateModelHash);
		let call = |file: ModelFile, name: ModelName, interface: ModelInterface, terms| {
			ModelProvenance::register_model(
				RuntimeOrigin::signed(1),
				file,
				name,
				interface,
				terms,
				parents(&[]),
				data(vec![]),
			)
		};
		let empty = ModelFile { size_bytes: 0, ..file(2) };
		assert_noop!(call(empty, name("m"), interface(), terms(0)), Error::<Test>::EmptyFile);
		let bad_cid = ModelFile { cid: Some(vec![1, 2, 3].try_into().unwrap()), ..file(2) };
		assert_noop!(call(bad_cid, name("m"), interface(), terms(0)), Error::<Test>::InvalidCid);
		let mut cid = vec![0x01, 0x55, 0x12, 0x20];
		cid.extend([7; 32]);
		let good_cid = ModelFile { cid: Some(cid.try_into().unwrap()), ..file(2) };
		assert_noop!(call(file(2), name(""), interface(), terms(0)), Error::<Test>::InvalidName);
		let not_utf8: ModelName = vec![0xff, 0xfe].try_into().unwrap();
		assert_noop!(call(file(2), not_utf8, interface(), terms(0)), Error::<Test>::InvalidName);
		let no_opset = ModelInterface { opset: 0, ..interface() };
		assert_noop!(call(file(2), name("m"), no_opset, terms(0)), Error::<Test>::InvalidOpset);
		let mut no_outputs = interface();
		no_outputs.io.outputs = BoundedVec::new();
		assert_noop!(
			call(file(2), name("m"), no_outputs, terms(0)),
			Error::<Test>::InvalidInterface
		);
		let mut twice = interface();
		twice.io.inputs.try_push(twice.io.inputs[0].clone()).unwrap();
		assert_noop!(call(file(2), name("m"), twice, terms(0)), Error::<Test>::InvalidInterface);
		let mut unnamed = interface();
		unnamed.io.inputs[0].name = BoundedVec::new();
		assert_noop!(call(file(2), name("m"), unnamed, terms(0)), Error::<Test>::InvalidInterface);
		assert_noop!(
			call(file(2), name("m"), interface(), terms(10_001)),
			Error::<Test>::RoyaltyTooHigh
		);
		let required = InferenceTerms { required_license: Some(99), ..terms(0) };
		assert_noop!(
			call(file(2), name("m"), interface(), required),
			Error::<Test>::UnknownRequiredDataset
		);
		let set = dataset(7, 1, every_use());
		let required = InferenceTerms { required_license: Some(set), ..terms(10_000) };
		assert_noop!(
			call(good_cid.clone(), name("m"), interface(), required.clone()),
			Error::<Test>::NotCommitted
		);
		commit_earlier(1, pallet_data_licensing::RegistrationKind::Model, good_cid.sha256);
		assert_ok!(call(good_cid, name("m"), interface(), required));
	});
}

#[test]
fn typed_edges_are_stored_and_indexed() {
	new_test_ext().execute_with(|| {
		let a = root(1, 1);
		let b = root(1, 2);
		let teacher = root(1, 3);
		let merged = register(1, 4, 0, &[(a, MergedFrom), (b, MergedFrom)], vec![]);
		let student =
			register(1, 5, 0, &[(merged, DistilledFrom), (teacher, DistilledFrom)], vec![]);
		let quantized = register(1, 6, 0, &[(student, QuantizedFrom)], vec![]);
		let converted = register(1, 7, 0, &[(quantized, ConvertedFrom)], vec![]);
		let adapter = register(1, 8, 0, &[(converted, AdapterOf), (a, FineTunedFrom)], vec![]);

		assert_eq!(Children::<Test>::get(a, merged), Some(MergedFrom));
		assert_eq!(Children::<Test>::get(teacher, student), Some(DistilledFrom));
		assert_eq!(Children::<Test>::get(converted, adapter), Some(AdapterOf));
		assert_eq!(Models::<Test>::get(adapter).unwrap().depth, 5);
		let mut kids = ModelProvenance::children(a, None, 10);
		kids.sort();
		assert_eq!(kids, vec![(merged, MergedFrom), (adapter, FineTunedFrom)]);
		let first = ModelProvenance::children(a, None, 1);
		let rest = ModelProvenance::children(a, Some(first[0].0), 10);
		assert_eq!(first.len() + rest.len(), 2);
		assert!(!rest.contains(&first[0]));
	});
}

#[test]
fn parent_rules_are_enforced() {
	new_test_ext().execute_with(|| {
		let a = root(1, 1);
		let b = root(1, 2);
		assert_noop!(
			try_register(1, 9, &[(99, FineTunedFrom)], vec![]),
			Error::<Test>::UnknownParent
		);
		assert_noop!(
			try_register(1, 9, &[(a, MergedFrom), (a, DistilledFrom)], vec![]),
			Error::<Test>::DuplicateParent
		);
		assert_noop!(
			try_register(1, 9, &[(a, MergedFrom)], vec![]),
			Error::<Test>::MergeNeedsTwoParents
		);
		assert_noop!(
			try_register(1, 9, &[(a, FineTunedFrom), (b, FineTunedFrom)], vec![]),
			Error::<Test>::RepeatedSingleParentKind
		);
		assert_noop!(
			try_register(1, 9, &[(a, QuantizedFrom), (b, QuantizedFrom)], vec![]),
			Error::<Test>::RepeatedSingleParentKind
		);
		assert_ok!(ModelProvenance::revoke_model(
			RuntimeOrigin::signed(1),
			b,
			b"leaked".to_vec().try_into().unwrap()
		));
		assert_noop!(
			try_register(1, 9, &[(b, FineTunedFrom)], vec![]),
			Error::<Test>::ParentRevoked
		);
	});
}

#[test]
fn derivative_policies_bind_other_owners_only() {
	new_test_ext().execute_with(|| {
		let with_policy = |seed, derivatives| {
			let id = NextModelId::<Test>::get();
			commit_earlier(1, pallet_data_licensing::RegistrationKind::Model, hash(seed));
			assert_ok!(ModelProvenance::register_model(
				RuntimeOrigin::signed(1),
				file(seed),
				name("base"),
				interface(),
				InferenceTerms { derivatives, ..terms(100) },
				parents(&[]),
				data(vec![]),
			));
			id
		};
		let closed = with_policy(1, DerivativePolicy::OwnerOnly);
		let conversions = with_policy(2, DerivativePolicy::ConversionsOnly);
		assert_noop!(
			try_register(2, 9, &[(closed, QuantizedFrom)], vec![]),
			Error::<Test>::DerivativesNotAllowed
		);
		assert_noop!(
			try_register(2, 9, &[(conversions, FineTunedFrom)], vec![]),
			Error::<Test>::OnlyConversionsAllowed
		);
		assert_ok!(try_register(2, 10, &[(conversions, QuantizedFrom)], vec![]));
		assert_ok!(try_register(2, 11, &[(conversions, ConvertedFrom)], vec![]));
		// The owner derives freely.
		assert_ok!(try_register(1, 12, &[(closed, FineTunedFrom)], vec![]));
	});
}

#[test]
fn a_64_deep_chain_is_accepted_and_the_65th_level_refused() {
	new_test_ext().execute_with(|| {
		let ids = chain(1, MAX_DEPTH + 1);
		let tip = *ids.last().unwrap();
		assert_eq!(Models::<Test>::get(tip).unwrap().depth, MAX_DEPTH);
		let upstream = Upstreams::<Test>::get(tip).unwrap();
		assert_eq!(upstream.ancestors.len() as u32, MAX_DEPTH);
		assert_eq!(upstream.ancestors[0].model, tip - 1, "nearest ancestor first");
		assert_noop!(
			try_register(1, 1000, &[(tip, FineTunedFrom)], vec![]),
			Error::<Test>::LineageTooDeep
		);
		let edges = ModelProvenance::lineage(tip, Direction::Ancestors, u32::MAX, 0, u32::MAX);
		assert_eq!(edges.len() as u32, MAX_DEPTH);
		assert_eq!(
			edges[0],
			LineageEdge { child: tip, parent: tip - 1, kind: FineTunedFrom, distance: 1 }
		);
		assert_eq!(edges.last().unwrap().distance, MAX_DEPTH);
		let down = ModelProvenance::lineage(ids[0], Direction::Descendants, 3, 0, 100);
		assert_eq!(down.iter().map(|e| e.child).collect::<Vec<_>>(), ids[1..4].to_vec());
	});
}

#[test]
fn a_wide_merge_is_accepted_within_the_ancestor_bound() {
	new_test_ext().execute_with(|| {
		let roots: Vec<ModelId> = (1..=8).map(|seed| root(1, seed)).collect();
		let list: Vec<(ModelId, EdgeKind)> = roots.iter().map(|r| (*r, MergedFrom)).collect();
		let merged = register(1, 9, 0, &list, vec![]);
		assert_eq!(Upstreams::<Test>::get(merged).unwrap().ancestors.len(), 8);
		assert_eq!(ModelProvenance::lineage(merged, Direction::Ancestors, 1, 0, 100).len(), 8);
		for r in roots {
			assert_eq!(Children::<Test>::get(r, merged), Some(MergedFrom));
		}

		// Two 64-model chains merged: 128 ancestors, the bound; a third parent is one too many.
		let left = *chain(100, 64).last().unwrap();
		let right = *chain(200, 64).last().unwrap();
		let extra = root(1, 300);
		assert_noop!(
			try_register(
				1,
				301,
				&[(left, MergedFrom), (right, MergedFrom), (extra, MergedFrom)],
				vec![]
			),
			Error::<Test>::TooManyAncestors
		);
		let both = register(1, 302, 0, &[(left, MergedFrom), (right, MergedFrom)], vec![]);
		assert_eq!(Upstreams::<Test>::get(both).unwrap().ancestors.len(), 128);
	});
}

#[test]
fn cycles_are_impossible() {
	new_test_ext().execute_with(|| {
		let a = root(1, 1);
		let b = register(1, 2, 0, &[(a, FineTunedFrom)], vec![]);
		// A model can name only existing models as parents, so an edge back to a child would need
		// the child to exist first: the next id is unknown, and a model cannot be re-registered.
		let next = NextModelId::<Test>::get();
		assert_noop!(
			try_register(1, 3, &[(next, FineTunedFrom)], vec![]),
			Error::<Test>::UnknownParent
		);
		assert_noop!(
			try_register(1, 1, &[(b, FineTunedFrom)], vec![]),
			Error::<Test>::DuplicateModelHash
		);
		// No call edits parents, and every edge points from a younger to an older model
		// (`try_state` checks it after every test).
		let model = Models::<Test>::get(b).unwrap();
		assert!(model.parents.iter().all(|e| e.parent < b));
	});
}

#[test]
fn training_licenses_are_checked_at_registration() {
	new_test_ext().execute_with(|| {
		let set = dataset(7, 1, training_only());
		let other = dataset(7, 2, every_use());
		let license = buy(2, set);
		let others_license = buy(3, other);
		assert_noop!(
			try_register(2, 1, &[], vec![training(set, 99)]),
			Error::<Test>::UnknownLicense
		);
		assert_noop!(
			try_register(2, 1, &[], vec![training(other, license)]),
			Error::<Test>::LicenseDatasetMismatch
		);
		assert_noop!(
			try_register(2, 1, &[], vec![training(other, others_license)]),
			Error::<Test>::NotLicenseHolder
		);
		let fine_tuning = DataUse { dataset: set, license, purpose: DataPurpose::FineTuning };
		assert_noop!(
			try_register(2, 1, &[], vec![fine_tuning]),
			Error::<Test>::LicenseUseNotAllowed
		);
		assert_noop!(
			try_register(2, 1, &[], vec![training(set, license), training(set, license)]),
			Error::<Test>::DuplicateLicense
		);
		pallet_data_licensing::Licenses::<Test>::mutate(license, |l| {
			l.as_mut().unwrap().start = 5;
			l.as_mut().unwrap().expiry = Some(15);
		});
		assert_noop!(
			try_register(2, 1, &[], vec![training(set, license)]),
			Error::<Test>::LicenseNotYetValid
		);
		run_to_block(5);
		assert_ok!(try_register(2, 1, &[], vec![training(set, license)]));
	});
}

#[test]
fn an_expired_or_revoked_training_license_blocks_registration() {
	new_test_ext().execute_with(|| {
		let set = dataset(7, 1, every_use());
		let expiring = buy(2, set);
		let revoked = buy(2, set);
		assert_ok!(DataLicensing::revoke_license(
			RuntimeOrigin::signed(7),
			revoked,
			b"breach".to_vec().try_into().unwrap()
		));
		assert_noop!(
			try_register(2, 1, &[], vec![training(set, revoked)]),
			Error::<Test>::LicenseRevoked
		);
		// Valid through block 10, expired from block 11 (10 blocks from block 1).
		run_to_block(10);
		assert_ok!(try_register(2, 1, &[], vec![training(set, expiring)]));
		run_to_block(11);
		assert_noop!(
			try_register(2, 2, &[], vec![training(set, expiring)]),
			Error::<Test>::LicenseExpired
		);
	});
}

#[test]
fn upstream_licenses_are_bounded() {
	new_test_ext().execute_with(|| {
		let licensed = |count: u32, offset: u32| -> Vec<DataUse> {
			(0..count)
				.map(|i| {
					let mut content = [0x11; 32];
					content[..4].copy_from_slice(&(offset + i).to_le_bytes());
					let set = register_dataset_with_hash(7, content, every_use());
					training(set, buy(2, set))
				})
				.collect()
		};
		let mut parent = register(2, 1, 0, &[], licensed(16, 0));
		for level in 1..4u32 {
			parent =
				register(2, 1 + level, 0, &[(parent, FineTunedFrom)], licensed(16, 16 * level));
		}
		let upstream = ModelProvenance::upstream_datasets(parent, 1).unwrap();
		assert_eq!(upstream.len(), 64);
		assert!(upstream
			.iter()
			.all(|u| u.status == LicenseStatus::Valid { dataset_retired: false }));
		let one_more = licensed(1, 64);
		assert_noop!(
			try_register(2, 9, &[(parent, FineTunedFrom)], one_more.clone()),
			Error::<Test>::TooManyUpstreamLicenses
		);
		// Evaluation data does not shape weights: it is not carried upstream.
		let evaluation = DataUse { purpose: DataPurpose::Evaluation, ..one_more[0] };
		assert_ok!(try_register(2, 9, &[(parent, FineTunedFrom)], vec![evaluation]));
	});
}

#[test]
fn revocation_shows_up_in_descendants_status() {
	new_test_ext().execute_with(|| {
		let set = dataset(7, 1, every_use());
		let license = buy(1, set);
		let base = register(1, 1, 0, &[], vec![training(set, license)]);
		let tuned = register(1, 2, 0, &[(base, FineTunedFrom)], vec![]);
		let quantized = register(1, 3, 0, &[(tuned, QuantizedFrom)], vec![]);
		assert_eq!(ModelProvenance::lineage_status(quantized, 1), LineageStatus::Clean);
		assert_eq!(
			<ModelProvenance as ModelInspect<_, _, _>>::upstream_problem(
				quantized,
				LicenseUse::Inference,
				1
			),
			None
		);

		run_to_block(3);
		let reason: RevocationReason = b"trained on leaked data".to_vec().try_into().unwrap();
		assert_ok!(ModelProvenance::revoke_model(RuntimeOrigin::signed(1), base, reason.clone()));
		System::assert_last_event(Event::ModelRevoked { model: base, reason }.into());
		// Only the revoked model's record changed.
		assert_eq!(Models::<Test>::get(tuned).unwrap().status, ModelStatus::Active);
		assert_eq!(
			ModelProvenance::lineage_status(quantized, 3),
			LineageStatus::Problems(vec![LineageProblem::AncestorRevoked(base)])
		);
		assert_eq!(
			ModelProvenance::lineage_status(base, 3),
			LineageStatus::Problems(vec![LineageProblem::Revoked])
		);
		// As of block 2 the lineage was clean.
		assert_eq!(ModelProvenance::lineage_status(quantized, 2), LineageStatus::Clean);
		assert!(!<ModelProvenance as ModelInspect<_, _, _>>::is_active(base));
		assert!(<ModelProvenance as ModelInspect<_, _, _>>::is_active(quantized));

		// The license expires at block 11: every descendant reports it, with both problems.
		run_to_block(11);
		assert_eq!(
			ModelProvenance::lineage_status(quantized, 11),
			LineageStatus::Problems(vec![
				LineageProblem::AncestorRevoked(base),
				LineageProblem::LicenseInvalid(license)
			])
		);
		assert_eq!(
			ModelProvenance::upstream_datasets(quantized, 11).unwrap(),
			vec![UpstreamDataset { dataset: set, license, status: LicenseStatus::Expired }]
		);
		assert_eq!(ModelProvenance::lineage_status(99, 11), LineageStatus::UnknownModel);
		assert_eq!(
			<ModelProvenance as ModelInspect<_, _, _>>::upstream_problem(
				99,
				LicenseUse::Inference,
				11
			),
			Some(LineageProblem::Revoked)
		);
	});
}

#[test]
fn upstream_problem_reports_uses_the_licenses_do_not_allow() {
	new_test_ext().execute_with(|| {
		let set = dataset(7, 1, training_only());
		let license = buy(1, set);
		let model = register(1, 1, 0, &[], vec![training(set, license)]);
		let inspect =
			|use_| <ModelProvenance as ModelInspect<_, _, _>>::upstream_problem(model, use_, 1);
		assert_eq!(inspect(LicenseUse::Inference), Some(LineageProblem::UseNotAllowed(license)));
		assert_eq!(inspect(LicenseUse::Training), None);
	});
}

#[test]
fn royalties_count_each_source_once_in_a_diamond() {
	new_test_ext().execute_with(|| {
		// base (owner 1, 5 %) trained on a dataset of owner 7 (2.5 %);
		// left (owner 2, 1 %) and right (owner 3, 2 %) fine-tune base;
		// top (owner 4, 0.5 %) merges left and right and is trained on the same dataset again.
		let set = dataset(7, 1, every_use());
		let base_license = buy(1, set);
		let base = register(1, 1, 500, &[], vec![training(set, base_license)]);
		let left = register(2, 2, 100, &[(base, FineTunedFrom)], vec![]);
		let right = register(3, 3, 200, &[(base, FineTunedFrom)], vec![]);
		let top_license = buy(4, set);
		let top = register(
			4,
			4,
			50,
			&[(left, MergedFrom), (right, MergedFrom)],
			vec![training(set, top_license)],
		);
		let upstream = Upstreams::<Test>::get(top).unwrap();
		assert_eq!(
			upstream.ancestors.iter().map(|a| a.model).collect::<Vec<_>>(),
			vec![left, right, base]
		);
		assert_eq!(upstream.licenses.to_vec(), vec![(set, top_license), (set, base_license)]);
		assert_eq!(
			ModelProvenance::royalties(top),
			vec![
				RoyaltyRecipient { account: 4, bps: 50 },
				RoyaltyRecipient { account: 2, bps: 100 },
				RoyaltyRecipient { account: 3, bps: 200 },
				RoyaltyRecipient { account: 1, bps: 500 },
				RoyaltyRecipient { account: 7, bps: 250 },
			]
		);
		// Diamond lineage walk: each edge once.
		let edges = ModelProvenance::lineage(top, Direction::Ancestors, 10, 0, 100);
		assert_eq!(edges.len(), 4);
		let down = ModelProvenance::lineage(base, Direction::Descendants, 10, 0, 100);
		assert_eq!(down.len(), 4);
		assert!(ModelProvenance::royalties(99).is_empty());

		// One account owning two models upstream is owed both.
		let second = register(1, 5, 300, &[(top, AdapterOf)], vec![]);
		let shares = ModelProvenance::royalties(second);
		assert_eq!(shares[0], RoyaltyRecipient { account: 1, bps: 800 });
		assert_eq!(shares.len(), 5);
	});
}

#[test]
fn evaluations_are_attested_and_withdrawn() {
	new_test_ext().execute_with(|| {
		let model = root(1, 1);
		let eval_set = dataset(7, 2, AllowedUses { evaluation: true, ..Default::default() });
		let license = buy(3, eval_set);
		add_receipt(10, hash(1));
		add_receipt(11, hash(1));
		let before = free(3);
		let receipts: BoundedVec<ReceiptId, _> = vec![10, 11].try_into().unwrap();
		assert_ok!(ModelProvenance::attest_evaluation(
			RuntimeOrigin::signed(3),
			model,
			eval_set,
			license,
			metric(),
			931_200,
			receipts.clone(),
		));
		System::assert_last_event(
			Event::EvaluationAttested {
				model,
				evaluation: 0,
				evaluator: 3,
				metric: metric(),
				value_micro: 931_200,
			}
			.into(),
		);
		assert_eq!(free(3), before - EVALUATION_DEPOSIT);
		assert_eq!(held(HoldReason::EvaluationDeposit, 3), EVALUATION_DEPOSIT);
		let listed = ModelProvenance::evaluations(model, None, 10);
		assert_eq!(listed.len(), 1);
		assert_eq!(listed[0].1.receipts, receipts);
		assert_eq!(listed[0].1.value_micro, 931_200);
		assert_ok!(ModelProvenance::attest_evaluation(
			RuntimeOrigin::signed(3),
			model,
			eval_set,
			license,
			metric(),
			-5,
			BoundedVec::new(),
		));
		let first = ModelProvenance::evaluations(model, None, 1);
		let rest = ModelProvenance::evaluations(model, Some(first[0].0), 10);
		assert_eq!(first.len() + rest.len(), 2);
		assert_ne!(first[0].0, rest[0].0);

		assert_noop!(
			ModelProvenance::withdraw_evaluation(RuntimeOrigin::signed(4), model, 0),
			Error::<Test>::NotEvaluator
		);
		assert_noop!(
			ModelProvenance::withdraw_evaluation(RuntimeOrigin::signed(3), model, 7),
			Error::<Test>::UnknownEvaluation
		);
		assert_ok!(ModelProvenance::withdraw_evaluation(RuntimeOrigin::signed(3), model, 0));
		System::assert_last_event(Event::EvaluationWithdrawn { model, evaluation: 0 }.into());
		assert_ok!(ModelProvenance::withdraw_evaluation(RuntimeOrigin::signed(3), model, 1));
		assert_eq!(free(3), before);
		assert_eq!(held(HoldReason::EvaluationDeposit, 3), 0);
	});
}

#[test]
fn evaluations_are_checked() {
	new_test_ext().execute_with(|| {
		let model = root(1, 1);
		let other = root(1, 2);
		let eval_set = dataset(7, 2, AllowedUses { evaluation: true, ..Default::default() });
		let train_set = dataset(7, 3, training_only());
		let license = buy(3, eval_set);
		let training_license = buy(3, train_set);
		add_receipt(10, hash(1));
		add_receipt(20, hash(2));
		let attest = |who, model, set, license, metric, receipts: Vec<ReceiptId>| {
			ModelProvenance::attest_evaluation(
				RuntimeOrigin::signed(who),
				model,
				set,
				license,
				metric,
				1,
				receipts.try_into().unwrap(),
			)
		};
		assert_noop!(
			attest(3, 99, eval_set, license, metric(), vec![]),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			attest(3, model, eval_set, license, BoundedVec::new(), vec![]),
			Error::<Test>::InvalidMetric
		);
		assert_noop!(
			attest(3, model, train_set, training_license, metric(), vec![]),
			Error::<Test>::LicenseUseNotAllowed
		);
		assert_noop!(
			attest(4, model, eval_set, license, metric(), vec![]),
			Error::<Test>::NotLicenseHolder
		);
		assert_noop!(
			attest(3, model, eval_set, license, metric(), vec![12]),
			Error::<Test>::UnknownReceipt
		);
		assert_noop!(
			attest(3, model, eval_set, license, metric(), vec![20]),
			Error::<Test>::ReceiptOfOtherModel
		);
		assert_noop!(
			attest(3, model, eval_set, license, metric(), vec![10, 10]),
			Error::<Test>::DuplicateReceipt
		);
		assert_ok!(ModelProvenance::revoke_model(
			RuntimeOrigin::signed(1),
			other,
			b"withdrawn".to_vec().try_into().unwrap()
		));
		assert_noop!(
			attest(3, other, eval_set, license, metric(), vec![]),
			Error::<Test>::ModelRevoked
		);
		// A holder without funds cannot pay the deposit (the dataset owner granted the license).
		let granted = pallet_data_licensing::NextLicenseId::<Test>::get();
		assert_ok!(DataLicensing::grant_license(RuntimeOrigin::signed(7), eval_set, 0, 20));
		assert_noop!(
			attest(20, model, eval_set, granted, metric(), vec![]),
			Error::<Test>::CannotHoldDeposit
		);
		NextEvaluationId::<Test>::put(EvaluationId::MAX);
		assert_noop!(
			attest(3, model, eval_set, license, metric(), vec![]),
			Error::<Test>::IdsExhausted
		);
	});
}

#[test]
fn deprecation_names_a_successor_and_keeps_the_model_usable() {
	new_test_ext().execute_with(|| {
		let old = root(1, 1);
		let new = root(1, 2);
		let revoked = root(1, 3);
		assert_ok!(ModelProvenance::revoke_model(
			RuntimeOrigin::signed(1),
			revoked,
			b"bad".to_vec().try_into().unwrap()
		));
		assert_noop!(
			ModelProvenance::deprecate_model(RuntimeOrigin::signed(2), old, None),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			ModelProvenance::deprecate_model(RuntimeOrigin::signed(1), 99, None),
			Error::<Test>::UnknownModel
		);
		for bad in [old, 99, revoked] {
			assert_noop!(
				ModelProvenance::deprecate_model(RuntimeOrigin::signed(1), old, Some(bad)),
				Error::<Test>::InvalidSuccessor
			);
		}
		assert_noop!(
			ModelProvenance::deprecate_model(RuntimeOrigin::signed(1), revoked, None),
			Error::<Test>::ModelRevoked
		);
		assert_ok!(ModelProvenance::deprecate_model(RuntimeOrigin::signed(1), old, Some(new)));
		System::assert_last_event(
			Event::ModelDeprecated { model: old, successor: Some(new) }.into(),
		);
		assert_eq!(
			Models::<Test>::get(old).unwrap().status,
			ModelStatus::Deprecated { at: 1, successor: Some(new) }
		);
		assert_noop!(
			ModelProvenance::deprecate_model(RuntimeOrigin::signed(1), old, None),
			Error::<Test>::AlreadyDeprecated
		);
		assert!(<ModelProvenance as ModelInspect<_, _, _>>::is_active(old));
		// Derivatives of a deprecated model are accepted.
		assert_ok!(try_register(2, 4, &[(old, FineTunedFrom)], vec![]));
	});
}

#[test]
fn revocation_is_checked_and_needs_no_deposit_top_up() {
	new_test_ext().execute_with(|| {
		let model = root(1, 1);
		let deposit = held(HoldReason::ModelDeposit, 1);
		let reason = |s: &[u8]| -> RevocationReason { s.to_vec().try_into().unwrap() };
		assert_noop!(
			ModelProvenance::revoke_model(RuntimeOrigin::signed(2), model, reason(b"x")),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			ModelProvenance::revoke_model(RuntimeOrigin::signed(1), 99, reason(b"x")),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			ModelProvenance::revoke_model(RuntimeOrigin::signed(1), model, reason(b"")),
			Error::<Test>::InvalidReason
		);
		assert_noop!(
			ModelProvenance::revoke_model(RuntimeOrigin::signed(1), model, reason(&[0xff])),
			Error::<Test>::InvalidReason
		);
		assert_ok!(ModelProvenance::revoke_model(
			RuntimeOrigin::signed(1),
			model,
			reason(&[b'r'; 128])
		));
		assert_noop!(
			ModelProvenance::revoke_model(RuntimeOrigin::signed(1), model, reason(b"again")),
			Error::<Test>::ModelRevoked
		);
		// The deposit already covered the longest reason.
		assert_eq!(held(HoldReason::ModelDeposit, 1), deposit);
	});
}

#[test]
fn deposits_and_ids_limit_registration() {
	new_test_ext().execute_with(|| {
		// Account 10 holds 1 100, less than any model's deposit.
		assert_noop!(try_register(10, 1, &[], vec![]), Error::<Test>::CannotHoldDeposit);
		assert_eq!(free(10), 1_100);
		NextModelId::<Test>::put(ModelId::MAX);
		assert_noop!(try_register(1, 1, &[], vec![]), Error::<Test>::IdsExhausted);
	});
}

#[test]
fn balances_reconcile_to_the_unit() {
	new_test_ext().execute_with(|| {
		let total = |who| {
			free(who)
				+ held(HoldReason::ModelDeposit, who)
				+ held(HoldReason::EvaluationDeposit, who)
		};
		let set = dataset(7, 1, every_use());
		let license = buy(2, set);
		let a = register(2, 1, 0, &[], vec![training(set, license)]);
		let b = register(2, 2, 0, &[(a, FineTunedFrom)], vec![]);
		let c = register(2, 3, 0, &[(a, MergedFrom), (b, MergedFrom)], vec![]);
		let deposits: u64 = [a, b, c].iter().map(|m| Models::<Test>::get(m).unwrap().deposit).sum();
		assert_eq!(held(HoldReason::ModelDeposit, 2), deposits);
		// Each deposit grows with what the model stores.
		let deposit = |m| Models::<Test>::get(m).unwrap().deposit;
		assert!(deposit(a) < deposit(b) && deposit(b) < deposit(c));
		// Nothing was paid but the license price and its deposit; the model deposits are held.
		assert_eq!(total(2), FUNDS - LICENSE_PRICE - 10);
		assert_eq!(free(7), FUNDS - 100 + LICENSE_PRICE);
	});
}

#[test]
fn lineage_queries_are_bounded_and_empty_for_unknown_models() {
	new_test_ext().execute_with(|| {
		let ids = chain(1, 10);
		assert!(ModelProvenance::lineage(99, Direction::Ancestors, 10, 0, 10).is_empty());
		assert_eq!(ModelProvenance::lineage(ids[9], Direction::Ancestors, 3, 0, 100).len(), 3);
		assert_eq!(ModelProvenance::lineage(ids[9], Direction::Ancestors, 100, 0, 2).len(), 2);
		assert_eq!(ModelProvenance::lineage(ids[0], Direction::Descendants, 0, 0, 100).len(), 0);
		assert_eq!(ModelProvenance::upstream_datasets(99, 1), None);
		assert!(ModelProvenance::children(99, None, 10).is_empty());
		assert!(ModelProvenance::evaluations(99, None, 10).is_empty());
	});
}

#[test]
fn model_inspect_answers_for_other_pallets() {
	new_test_ext().execute_with(|| {
		type Inspect = ModelProvenance;
		let model = register(2, 1, 300, &[], vec![]);
		assert!(<Inspect as ModelInspect<_, _, _>>::exists(model));
		assert!(!<Inspect as ModelInspect<_, _, _>>::exists(99));
		assert_eq!(<Inspect as ModelInspect<_, _, _>>::content_hash(model), Some(hash(1)));
		assert_eq!(<Inspect as ModelInspect<_, _, _>>::owner(model), Some(2));
		assert_eq!(<Inspect as ModelInspect<_, _, _>>::interface(model), Some(interface()));
		assert_eq!(<Inspect as ModelInspect<_, _, _>>::size_bytes(model), Some(4096));
		assert_eq!(<Inspect as ModelInspect<_, _, _>>::terms(model), Some(terms(300)));
		assert_eq!(
			<Inspect as ModelInspect<_, _, _>>::royalty_recipients(model),
			vec![RoyaltyRecipient { account: 2, bps: 300 }]
		);
	});
}

#[test]
fn lineage_pages_fit_together_into_the_whole_walk() {
	new_test_ext().execute_with(|| {
		// A diamond under a chain: two fine-tunes of one base, merged, then a chain of 5 on top.
		let base = root(1, 1);
		let left = register(1, 2, 0, &[(base, FineTunedFrom)], vec![]);
		let right = register(1, 3, 0, &[(base, FineTunedFrom)], vec![]);
		let merged = register(1, 4, 0, &[(left, MergedFrom), (right, MergedFrom)], vec![]);
		let mut tip = merged;
		for seed in 5..10 {
			tip = register(1, seed, 0, &[(tip, QuantizedFrom)], vec![]);
		}
		for (from, direction) in [(tip, Direction::Ancestors), (base, Direction::Descendants)] {
			let whole = ModelProvenance::lineage(from, direction, u32::MAX, 0, u32::MAX);
			// The shared base (or merge) is reached twice but each edge appears once.
			assert_eq!(whole.len(), 9, "{direction:?}");
			for page in 1..=4 {
				let mut joined = Vec::new();
				let mut start = 0;
				loop {
					let got = ModelProvenance::lineage(from, direction, u32::MAX, start, page);
					joined.extend_from_slice(&got);
					if got.len() < page as usize {
						break;
					}
					start += page;
				}
				assert_eq!(joined, whole, "{direction:?} in pages of {page}");
			}
			assert!(ModelProvenance::lineage(from, direction, u32::MAX, 9, 10).is_empty());
			assert!(ModelProvenance::lineage(from, direction, u32::MAX, 0, 0).is_empty());
		}
	});
}

#[test]
fn a_lineage_page_is_the_walk_and_the_status_in_one_pass() {
	new_test_ext().execute_with(|| {
		let ids = chain(1, 6);
		let tip = *ids.last().unwrap();
		let now = System::block_number();
		let same = |direction, depth, start, limit| {
			let page = ModelProvenance::lineage_page(tip, direction, depth, start, limit)
				.expect("known model");
			assert_eq!(page.edges, ModelProvenance::lineage(tip, direction, depth, start, limit));
			assert_eq!(page.status, ModelProvenance::lineage_status(tip, now));
			page.status
		};
		assert_eq!(same(Direction::Ancestors, 64, 0, 100), LineageStatus::Clean);
		// An ancestor revoked: found whether or not the walk reaches it.
		assert_ok!(ModelProvenance::revoke_model(
			RuntimeOrigin::signed(1),
			ids[1],
			b"x".to_vec().try_into().unwrap()
		));
		let expected = LineageStatus::Problems(vec![LineageProblem::AncestorRevoked(ids[1])]);
		for (direction, depth, start, limit) in [
			(Direction::Ancestors, 64, 0, 100),
			(Direction::Ancestors, 1, 0, 100),
			(Direction::Ancestors, 64, 2, 1),
			(Direction::Descendants, 64, 0, 100),
		] {
			assert_eq!(same(direction, depth, start, limit), expected);
		}
		assert_eq!(ModelProvenance::lineage_page(999, Direction::Ancestors, 64, 0, 10), None);
	});
}

/// The ancestor walk of `model` to `depth` as a researcher would write it: breadth first over the
/// model records, each edge once.
fn walk_of_records(model: ModelId, depth: u32) -> Vec<LineageEdge> {
	let mut edges = Vec::new();
	let mut seen = alloc::collections::BTreeSet::from([model]);
	let mut queue = alloc::collections::VecDeque::from([(model, 0)]);
	while let Some((current, distance)) = queue.pop_front() {
		if distance >= depth {
			continue;
		}
		for edge in Models::<Test>::get(current).unwrap().parents {
			edges.push(LineageEdge {
				child: current,
				parent: edge.parent,
				kind: edge.kind,
				distance: distance + 1,
			});
			if seen.insert(edge.parent) {
				queue.push_back((edge.parent, distance + 1));
			}
		}
	}
	edges
}

#[test]
fn the_ancestor_walk_from_the_upstream_set_is_the_walk_of_the_records() {
	new_test_ext().execute_with(|| {
		// Two roots, fine-tunes of each, a three-way merge, an adapter of the merge and of one
		// root, and a chain on top: paths of different lengths to the same ancestors.
		let a = root(1, 1);
		let b = root(1, 2);
		let a1 = register(1, 3, 0, &[(a, FineTunedFrom)], vec![]);
		let b1 = register(1, 4, 0, &[(b, DistilledFrom)], vec![]);
		let merged =
			register(1, 5, 0, &[(a1, MergedFrom), (b1, MergedFrom), (a, MergedFrom)], vec![]);
		let adapted = register(1, 6, 0, &[(merged, AdapterOf), (b, FineTunedFrom)], vec![]);
		let mut models = vec![a, b, a1, b1, merged, adapted];
		for seed in 7..12 {
			let parent = *models.last().unwrap();
			models.push(register(1, seed, 0, &[(parent, QuantizedFrom)], vec![]));
		}
		for model in models {
			for depth in 0..=12 {
				assert_eq!(
					ModelProvenance::lineage(model, Direction::Ancestors, depth, 0, u32::MAX),
					walk_of_records(model, depth),
					"model {model} to depth {depth}"
				);
			}
		}
		// Each ancestor's edges are the ones in its record.
		let upstream = Upstreams::<Test>::get(adapted).unwrap();
		for ancestor in upstream.ancestors {
			assert_eq!(ancestor.parents, Models::<Test>::get(ancestor.model).unwrap().parents);
		}
	});
}

#[test]
fn the_revocation_index_finds_revoked_ancestors_across_chunks_and_groups() {
	new_test_ext().execute_with(|| {
		// A chain over the chunk boundary at id 1024 and the summary boundary at id 2^20.
		NextModelId::<Test>::put(1022);
		let low = chain(1, 4);
		assert_eq!(low, vec![1022, 1023, 1024, 1025]);
		NextModelId::<Test>::put((1 << 20) - 1);
		let high = register(1, 10, 0, &[(1025, FineTunedFrom)], vec![]);
		let higher = register(1, 11, 0, &[(high, FineTunedFrom)], vec![]);
		let tip = register(1, 12, 0, &[(higher, FineTunedFrom)], vec![]);
		assert_eq!((high, higher, tip), ((1 << 20) - 1, 1 << 20, (1 << 20) + 1));
		let other = register(1, 13, 0, &[], vec![]);
		let page = |model| {
			ModelProvenance::lineage_page(model, Direction::Ancestors, 64, 0, 100).unwrap().status
		};
		assert_eq!(page(tip), LineageStatus::Clean);
		assert_eq!(RevokedModels::<Test>::iter().count(), 0);

		// Revoked: one ancestor on each side of both boundaries, and a model outside the
		// lineage sharing a chunk with an ancestor.
		for model in [1023, higher, other] {
			assert_ok!(ModelProvenance::revoke_model(
				RuntimeOrigin::signed(1),
				model,
				b"x".to_vec().try_into().unwrap()
			));
		}
		let (chunk, offset) = RevocationBits::locate(1023);
		assert_eq!((chunk, offset), (0, 1023));
		assert!(RevokedModels::<Test>::get(0).unwrap().contains(1023));
		assert!(RevokedModels::<Test>::get(1024).unwrap().contains(0));
		assert!(RevokedModels::<Test>::get(1024).unwrap().contains(other - (1 << 20)));
		assert!(RevokedChunks::<Test>::get(0).unwrap().contains(0));
		assert!(RevokedChunks::<Test>::get(1).unwrap().contains(0));
		assert_eq!(RevokedChunks::<Test>::iter().count(), 2);

		let expected = LineageStatus::Problems(vec![
			LineageProblem::AncestorRevoked(higher),
			LineageProblem::AncestorRevoked(1023),
		]);
		assert_eq!(page(tip), expected);
		assert_eq!(ModelProvenance::lineage_status(tip, System::block_number()), expected);
		assert_eq!(page(1022), LineageStatus::Clean);
		assert_eq!(
			page(1025),
			LineageStatus::Problems(vec![LineageProblem::AncestorRevoked(1023)])
		);
		assert_eq!(page(other), LineageStatus::Problems(vec![LineageProblem::Revoked]));
	});
}

/// A URI list.
fn uris(list: &[&str]) -> ModelUris {
	list.iter()
		.map(|uri| cairn_inference::ModelUri::try_from(uri.as_bytes().to_vec()).unwrap())
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

#[test]
fn model_uris_are_set_replaced_and_removed_with_their_deposit() {
	new_test_ext().execute_with(|| {
		let model = root(1, 1);
		let before = free(1);
		let two = uris(&["https://models.example/m.onnx", "ipfs://bafkreiexample"]);
		assert_ok!(ModelProvenance::set_model_sources(
			RuntimeOrigin::signed(1),
			model,
			two.clone()
		));
		let deposit = DEPOSIT_PER_BYTE * two.encoded_size() as Balance;
		System::assert_last_event(
			Event::ModelSourcesSet { model, uris: two.clone(), deposit }.into(),
		);
		assert_eq!(Sources::<Test>::get(model), Some(ModelSources { uris: two.clone(), deposit }));
		assert_eq!(held(HoldReason::SourcesDeposit, 1), deposit);
		assert_eq!(free(1), before - deposit);

		// What a fetching node is told: the file, its CID and the URIs.
		let source = <ModelProvenance as ModelInspect<_, _, _>>::source(model).unwrap();
		assert_eq!(source.sha256, file(1).sha256);
		assert_eq!(source.size_bytes, file(1).size_bytes);
		assert_eq!(source.cid.map(|cid| cid.into_inner()), file(1).cid.map(|cid| cid.into_inner()));
		assert_eq!(source.uris, two);
		assert_eq!(<ModelProvenance as ModelInspect<_, _, _>>::source(99), None);

		// A shorter list releases the difference, to the unit.
		let one = uris(&["http://mirror.example/m.onnx"]);
		assert_ok!(ModelProvenance::set_model_sources(
			RuntimeOrigin::signed(1),
			model,
			one.clone()
		));
		let smaller = DEPOSIT_PER_BYTE * one.encoded_size() as Balance;
		assert_eq!(held(HoldReason::SourcesDeposit, 1), smaller);
		assert_eq!(free(1), before - smaller);

		// An empty list removes the entry and every unit of its deposit.
		assert_ok!(ModelProvenance::set_model_sources(RuntimeOrigin::signed(1), model, uris(&[])));
		assert_eq!(Sources::<Test>::get(model), None);
		assert_eq!(held(HoldReason::SourcesDeposit, 1), 0);
		assert_eq!(free(1), before);
	});
}

#[test]
fn model_uris_are_checked() {
	new_test_ext().execute_with(|| {
		let model = root(1, 1);
		let set = |who, model, list: &[&str]| {
			ModelProvenance::set_model_sources(RuntimeOrigin::signed(who), model, uris(list))
		};
		assert_noop!(set(1, 99, &["https://a.example/m"]), Error::<Test>::UnknownModel);
		assert_noop!(set(2, model, &["https://a.example/m"]), Error::<Test>::NotOwner);
		for bad in
			["ftp://a.example/m", "https://", "https://a.example/m b", "https://a\n", "m.onnx"]
		{
			assert_noop!(set(1, model, &[bad]), Error::<Test>::InvalidUri);
		}
		assert_noop!(
			ModelProvenance::set_model_sources(
				RuntimeOrigin::signed(1),
				model,
				vec![cairn_inference::ModelUri::try_from(vec![0xff, 0xfe]).unwrap()]
					.try_into()
					.unwrap()
			),
			Error::<Test>::InvalidUri
		);
		assert_noop!(
			set(1, model, &["https://a.example/m", "https://a.example/m"]),
			Error::<Test>::DuplicateUri
		);
		assert_ok!(ModelProvenance::revoke_model(
			RuntimeOrigin::signed(1),
			model,
			b"withdrawn".to_vec().try_into().unwrap()
		));
		assert_noop!(set(1, model, &["https://a.example/m"]), Error::<Test>::ModelRevoked);
	});
}

#[test]
fn a_model_registration_seen_in_the_pool_cannot_be_front_run() {
	new_test_ext().execute_with(|| {
		use pallet_data_licensing::{registration_commitment, RegistrationKind::Model};
		let (owner, squatter) = (1, 2);
		let register_as = |who: u64| try_register_uncommitted(who, 5, &[], vec![]);
		// Block 1: the owner commits to the file without naming it.
		let digest = registration_commitment(Model, &owner, &hash(5));
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(owner), digest));
		assert_noop!(register_as(owner), Error::<Test>::CommitmentTooRecent);
		// Block 2: the registration is in the pool, and the squatter races it.
		run_to_block(2);
		assert_noop!(register_as(squatter), Error::<Test>::NotCommitted);
		let late = registration_commitment(Model, &squatter, &hash(5));
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(squatter), late));
		assert_noop!(register_as(squatter), Error::<Test>::CommitmentTooRecent);
		// A copy of the owner's digest commits the squatter to nothing.
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(squatter), digest));
		run_to_block(3);
		assert_ok!(register_as(owner));
		assert_eq!(Models::<Test>::get(0).unwrap().owner, owner);
		assert_noop!(register_as(squatter), Error::<Test>::DuplicateModelHash);
		// A dataset commitment does not admit a model of the same hash.
		let dataset_kind = registration_commitment(
			pallet_data_licensing::RegistrationKind::Dataset,
			&3u64,
			&hash(6),
		);
		assert_ok!(DataLicensing::commit_registration(RuntimeOrigin::signed(3), dataset_kind));
		run_to_block(4);
		assert_noop!(try_register_uncommitted(3, 6, &[], vec![]), Error::<Test>::NotCommitted);
	});
}

#[test]
fn governance_reassigns_a_squatted_model_and_its_descendants_pay_the_rightful_owner() {
	new_test_ext().execute_with(|| {
		let (squatter, rightful, tuner) = (2, 3, 4);
		let squatted = register(squatter, 1, 500, &[], vec![]);
		let two = uris(&["https://squatter.example/m.onnx"]);
		assert_ok!(ModelProvenance::set_model_sources(
			RuntimeOrigin::signed(squatter),
			squatted,
			two
		));
		let child = register(tuner, 2, 100, &[(squatted, FineTunedFrom)], vec![]);
		let deposit = Models::<Test>::get(squatted).unwrap().deposit;
		let squatter_free = free(squatter);
		let sources_deposit = held(HoldReason::SourcesDeposit, squatter);
		let issuance = Balances::total_issuance();

		assert_noop!(
			ModelProvenance::reassign_model(RuntimeOrigin::signed(rightful), squatted, rightful),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			ModelProvenance::reassign_model(RuntimeOrigin::root(), 99, rightful),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			ModelProvenance::reassign_model(RuntimeOrigin::root(), squatted, squatter),
			Error::<Test>::AlreadyOwner
		);
		assert_noop!(
			ModelProvenance::reassign_model(RuntimeOrigin::root(), squatted, 10),
			Error::<Test>::CannotHoldDeposit
		);
		assert_ok!(ModelProvenance::reassign_model(RuntimeOrigin::root(), squatted, rightful));
		System::assert_last_event(
			Event::ModelReassigned {
				model: squatted,
				from: squatter,
				to: rightful,
				forfeited: deposit,
			}
			.into(),
		);
		// The squatter's deposit is burned (no one is paid it); its URIs go, their deposit back.
		assert_eq!(Balances::total_issuance(), issuance - deposit);
		assert_eq!(held(HoldReason::ModelDeposit, squatter), 0);
		assert_eq!(free(squatter), squatter_free + sources_deposit);
		assert_eq!(held(HoldReason::ModelDeposit, rightful), deposit);
		assert!(!Sources::<Test>::contains_key(squatted));
		// Royalties of the model itself go to the rightful owner at once.
		let recipients = ModelProvenance::royalties(squatted);
		assert_eq!(recipients.iter().map(|r| r.account).collect::<Vec<_>>(), vec![rightful]);
		// A descendant's cached owner is refreshed by anyone, once.
		assert!(ModelProvenance::royalties(child).iter().any(|r| r.account == squatter));
		assert_noop!(
			ModelProvenance::refresh_ancestor_owner(RuntimeOrigin::signed(9), child, child),
			Error::<Test>::NotAnAncestor
		);
		assert_noop!(
			ModelProvenance::refresh_ancestor_owner(RuntimeOrigin::signed(9), 99, squatted),
			Error::<Test>::UnknownModel
		);
		assert_ok!(ModelProvenance::refresh_ancestor_owner(
			RuntimeOrigin::signed(9),
			child,
			squatted
		));
		System::assert_last_event(
			Event::AncestorOwnerRefreshed { model: child, ancestor: squatted, owner: rightful }
				.into(),
		);
		let accounts: Vec<_> =
			ModelProvenance::royalties(child).iter().map(|r| r.account).collect();
		assert_eq!(accounts, vec![tuner, rightful]);
		assert_noop!(
			ModelProvenance::refresh_ancestor_owner(RuntimeOrigin::signed(9), child, squatted),
			Error::<Test>::OwnerUpToDate
		);
	});
}
