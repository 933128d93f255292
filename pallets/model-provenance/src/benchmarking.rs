//! Benchmarks of model provenance, each at its worst case: registrations whose parents carry deep
//! upstream sets with many licenses, the longest names, CIDs, interfaces and reasons.

use super::*;
use crate::traits::BenchmarkHelper as _;
use alloc::{vec, vec::Vec};
use cairn_inference::{Dim, ElementType, ModelIo, TensorSpec, MAX_RANK, MAX_TENSORS};
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::BoundedVec,
	traits::{fungible::Mutate, EnsureOrigin, Get},
};
use frame_system::RawOrigin;
use pallet_data_licensing::{ContentCommitments, RegistrationKind};
use sp_runtime::traits::{Bounded, Saturating};

/// Ancestors of the model every benchmark parent descends from: with the parent itself and
/// [`MaxParents`] parents, a new model reaches [`MaxAncestors`].
const TIP_ANCESTORS: u32 = 128 - 8 - 1;
/// Licenses upstream of that model: with [`MaxDataUses`] more the new model reaches
/// [`MaxUpstreamLicenses`].
const CHAIN_LICENSES: u32 = 48;

/// `byte` repeated to the bound `S`.
fn filled<S: Get<u32>>(byte: u8) -> BoundedVec<u8, S> {
	vec![byte; S::get() as usize].try_into().unwrap_or_default()
}

/// A tensor spec with the longest name (distinct by `index`) and the highest rank.
fn worst_spec(index: u8) -> TensorSpec {
	let mut name = vec![b'a'; cairn_inference::MAX_TENSOR_NAME_LEN as usize];
	name[0] = b'a' + index % 26;
	name[1] = b'a' + index / 26;
	TensorSpec {
		name: name.try_into().unwrap_or_default(),
		element_type: ElementType::F32,
		shape: vec![Dim::Fixed(1); MAX_RANK as usize].try_into().unwrap_or_default(),
	}
}

/// The largest interface: the most inputs and outputs, each with the longest name and rank.
fn worst_interface() -> ModelInterface {
	let specs: Vec<TensorSpec> = (0..MAX_TENSORS as u8).map(worst_spec).collect();
	ModelInterface {
		format: ModelFormat::Onnx,
		opset: u32::MAX,
		io: ModelIo {
			inputs: specs.clone().try_into().unwrap_or_default(),
			outputs: specs.try_into().unwrap_or_default(),
		},
	}
}

/// The file of benchmark model `seed`, with the longest valid CID (raw, sha2-512).
fn worst_file(seed: u32) -> ModelFile {
	let mut sha256 = [0xbe; 32];
	sha256[..4].copy_from_slice(&seed.to_le_bytes());
	let mut cid = vec![0x01, 0x55, 0x13, 0x40];
	cid.extend([0xab; 64]);
	ModelFile { sha256, cid: Some(cid.try_into().unwrap_or_default()), size_bytes: u64::MAX }
}

/// Open terms with a royalty and a required license.
fn worst_terms<T: Config>(required: Option<pallet_data_licensing::DatasetId>) -> TermsOf<T> {
	InferenceTerms {
		price_floor: BalanceOf::<T>::max_value(),
		royalty_bps: 100,
		derivatives: DerivativePolicy::Open,
		required_license: required,
	}
}

/// A funded account.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = T::ModelDepositBase::get()
		.saturating_add(T::EvaluationDeposit::get())
		.saturating_add(T::DepositPerByte::get().saturating_mul(100_000u32.into()))
		.saturating_mul(1_000u32.into());
	let _ = T::Currency::set_balance(&who, amount);
	who
}

/// Registers benchmark model `seed` of `owner` with the largest description.
fn register<T: Config>(
	owner: &T::AccountId,
	seed: u32,
	parents: Parents,
	data: DataUses,
) -> Result<ModelId, BenchmarkError> {
	Pallet::<T>::do_register_model(
		owner.clone(),
		worst_file(seed),
		filled::<MaxNameLength>(b'm'),
		worst_interface(),
		worst_terms::<T>(None),
		parents,
		data,
	)
	.map_err(|_| BenchmarkError::Stop("setup model refused"))
}

/// A licensed training dataset of `holder`.
fn training_use<T: Config>(holder: &T::AccountId, seed: u32) -> DataUse {
	let (dataset, license) = T::BenchmarkHelper::licensed_dataset(holder, seed);
	DataUse { dataset, license, purpose: DataPurpose::Training }
}

/// `count` parents of `owner`, each a distillation of a model with [`TIP_ANCESTORS`] ancestors
/// and [`CHAIN_LICENSES`] upstream licenses (each parent's upstream set is nearly the largest).
fn deep_parents<T: Config>(owner: &T::AccountId, count: u32) -> Result<Parents, BenchmarkError> {
	let tip = crate::bench_lineage::register_lineage::<T>(
		TIP_ANCESTORS,
		CHAIN_LICENSES,
		worst_interface(),
		u64::MAX,
	)
	.map_err(|_| BenchmarkError::Stop("setup lineage refused"))?;
	let mut parents = Vec::new();
	for i in 0..count {
		let edge = vec![ParentEdge { parent: tip, kind: EdgeKind::DistilledFrom }];
		let parent = register::<T>(
			owner,
			1_000 + i,
			edge.try_into().unwrap_or_default(),
			Default::default(),
		)?;
		parents.push(ParentEdge { parent, kind: EdgeKind::DistilledFrom });
	}
	Ok(parents.try_into().unwrap_or_default())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `p` parents, each with a 120-model upstream carrying 48 licenses (the new model's reaches
	/// 120 + `p` ancestors and 48 + `d` licenses), and `d` licensed datasets.
	#[benchmark]
	fn register_model(
		p: Linear<1, { <MaxParents as Get<u32>>::get() }>,
		d: Linear<0, { <MaxDataUses as Get<u32>>::get() }>,
	) -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let parents = deep_parents::<T>(&owner, p)?;
		let data: DataUses = (0..d)
			.map(|i| training_use::<T>(&owner, 10_000 + i))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default();
		let required =
			Some(data.first().map_or_else(
				|| T::BenchmarkHelper::licensed_dataset(&owner, 20_000).0,
				|u| u.dataset,
			));
		let id = NextModelId::<T>::get();
		let file = worst_file(u32::MAX);
		T::Commitments::commit(RegistrationKind::Model, &owner, &file.sha256)
			.map_err(|_| BenchmarkError::Stop("commitment refused"))?;
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(1u32.into()));

		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			file,
			filled::<MaxNameLength>(b'n'),
			worst_interface(),
			worst_terms::<T>(required),
			parents,
			data,
		);

		assert!(Models::<T>::contains_key(id));
		assert!(
			Upstreams::<T>::get(id).is_some_and(|u| u.licenses.len() as u32 == CHAIN_LICENSES + d)
		);
		Ok(())
	}

	/// `r` cited receipts (where the runtime stores receipts), the longest metric.
	#[benchmark]
	fn attest_evaluation(
		r: Linear<0, { <MaxEvaluationReceipts as Get<u32>>::get() }>,
	) -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let model = register::<T>(&owner, 0, Default::default(), Default::default())?;
		let evaluator = funded::<T>("evaluator", 0);
		let (dataset, license) = T::BenchmarkHelper::licensed_dataset(&evaluator, 0);
		let hash = worst_file(0).sha256;
		let receipts: BoundedVec<ReceiptId, MaxEvaluationReceipts> = (0..r)
			.filter_map(|i| T::BenchmarkHelper::receipt(hash, i))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(evaluator),
			model,
			dataset,
			license,
			filled::<MaxMetricLength>(b'x'),
			i64::MAX,
			receipts,
		);

		assert_eq!(Evaluations::<T>::iter_prefix(model).count(), 1);
		Ok(())
	}

	#[benchmark]
	fn withdraw_evaluation() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let model = register::<T>(&owner, 0, Default::default(), Default::default())?;
		let evaluator = funded::<T>("evaluator", 0);
		let (dataset, license) = T::BenchmarkHelper::licensed_dataset(&evaluator, 0);
		let evaluation = Pallet::<T>::do_attest_evaluation(
			evaluator.clone(),
			model,
			dataset,
			license,
			filled::<MaxMetricLength>(b'x'),
			1,
			Default::default(),
		)
		.map_err(|_| BenchmarkError::Stop("setup evaluation refused"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(evaluator), model, evaluation);

		assert!(!Evaluations::<T>::contains_key(model, evaluation));
		Ok(())
	}

	#[benchmark]
	fn deprecate_model() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let model = register::<T>(&owner, 0, Default::default(), Default::default())?;
		let successor = register::<T>(&owner, 1, Default::default(), Default::default())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, Some(successor));

		assert!(Models::<T>::get(model)
			.is_some_and(|m| matches!(m.status, ModelStatus::Deprecated { .. })));
		Ok(())
	}

	#[benchmark]
	fn revoke_model() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let model = register::<T>(&owner, 0, Default::default(), Default::default())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, filled::<MaxReasonLength>(b'r'));

		assert!(Models::<T>::get(model)
			.is_some_and(|m| matches!(m.status, ModelStatus::Revoked { .. })));
		Ok(())
	}

	#[benchmark]
	fn set_model_sources() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let model = register::<T>(&owner, 0, Default::default(), Default::default())?;
		// The worst case: a full list replacing a shorter one (a deposit difference held).
		let uri = |index: u8| {
			let mut uri = b"https://".to_vec();
			uri.resize(cairn_inference::MAX_URI_LEN as usize, b'a' + index);
			cairn_inference::ModelUri::try_from(uri).map_err(|_| BenchmarkError::Weightless)
		};
		let first: ModelUris =
			alloc::vec![uri(0)?].try_into().map_err(|_| BenchmarkError::Weightless)?;
		Pallet::<T>::set_model_sources(RawOrigin::Signed(owner.clone()).into(), model, first)?;
		let uris: ModelUris = (0..cairn_inference::MAX_URIS as u8)
			.map(uri)
			.collect::<Result<alloc::vec::Vec<_>, _>>()?
			.try_into()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, uris.clone());

		assert_eq!(Sources::<T>::get(model).map(|sources| sources.uris), Some(uris));
		Ok(())
	}

	/// A model with URIs, whose deposit is returned.
	#[benchmark]
	fn reassign_model() -> Result<(), BenchmarkError> {
		let squatter = funded::<T>("squatter", 0);
		let rightful = funded::<T>("rightful", 0);
		let model = register::<T>(&squatter, 0, Default::default(), Default::default())?;
		let uri = cairn_inference::ModelUri::try_from(b"https://example.org/m.onnx".to_vec())
			.map_err(|_| BenchmarkError::Weightless)?;
		let uris: ModelUris =
			alloc::vec![uri].try_into().map_err(|_| BenchmarkError::Weightless)?;
		Pallet::<T>::set_model_sources(RawOrigin::Signed(squatter).into(), model, uris)?;
		let origin =
			T::ReassignOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model, rightful.clone());

		assert_eq!(Models::<T>::get(model).map(|m| m.owner), Some(rightful));
		assert!(!Sources::<T>::contains_key(model));
		Ok(())
	}

	/// A descendant with nearly `MaxAncestors` ancestors, refreshing the last of them.
	#[benchmark]
	fn refresh_ancestor_owner() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let rightful = funded::<T>("rightful", 0);
		let parents = deep_parents::<T>(&owner, 1)?;
		let child = register::<T>(&owner, 7, parents, Default::default())?;
		let farthest = Upstreams::<T>::get(child)
			.and_then(|upstream| upstream.ancestors.last().map(|entry| entry.model))
			.ok_or(BenchmarkError::Stop("no ancestors"))?;
		Pallet::<T>::do_reassign_model(farthest, rightful.clone())
			.map_err(|_| BenchmarkError::Stop("reassignment refused"))?;
		let caller = funded::<T>("caller", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), child, farthest);

		let upstream = Upstreams::<T>::get(child).ok_or(BenchmarkError::Weightless)?;
		assert!(upstream.ancestors.iter().any(|a| a.model == farthest && a.owner == rightful));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
