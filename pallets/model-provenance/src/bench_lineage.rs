//! Lineages of chosen size for the benchmarks of pallets that read them (inference): how much a
//! lineage check or a royalty split costs depends on a model's ancestors and upstream licenses.

use super::*;
use crate::traits::BenchmarkHelper as _;
use alloc::{vec, vec::Vec};
use frame_support::traits::{fungible::Mutate, Get};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError,
};

/// An ONNX interface (opset 13) of one f32 input `x` `[1, input_len]` and one f32 output `y`
/// `[1, output_len]`.
pub fn f32_interface(input_len: u32, output_len: u32) -> ModelInterface {
	use cairn_inference::{Dim, ElementType, ModelIo, TensorSpec};
	let spec = |name: &[u8], len: u32| TensorSpec {
		name: name.to_vec().try_into().unwrap_or_default(),
		element_type: ElementType::F32,
		shape: vec![Dim::Fixed(1), Dim::Fixed(len.into())].try_into().unwrap_or_default(),
	};
	ModelInterface {
		format: ModelFormat::Onnx,
		opset: 13,
		io: ModelIo {
			inputs: vec![spec(b"x", input_len)].try_into().unwrap_or_default(),
			outputs: vec![spec(b"y", output_len)].try_into().unwrap_or_default(),
		},
	}
}

/// Registers a model with exactly `ancestors` ancestors (at most [`MaxAncestors`]) and
/// `licenses` upstream data licenses (at most [`MaxUpstreamLicenses`], and at most
/// [`MaxDataUses`] for each model of the lineage including the new one), every model owned by
/// its own funded account taking a royalty, every dataset by its own licensor; `interface` for
/// every model, files of `size_bytes`. Returns the new model's id.
///
/// The ancestors form a spine of merges, each spine model merging the previous one with a fresh
/// root, so that 128 ancestors sit 64 deep; the licenses go to the models in registration
/// order, [`MaxDataUses`] each.
pub fn register_lineage<T: Config>(
	ancestors: u32,
	licenses: u32,
	interface: ModelInterface,
	size_bytes: u64,
) -> Result<ModelId, DispatchError> {
	let data_uses = <MaxDataUses as Get<u32>>::get();
	let mut licenses_left = licenses;
	let mut spine: Option<ModelId> = None;
	let mut last_root: Option<ModelId> = None;
	for index in 0..=ancestors {
		let parents: Vec<ModelId> = if index == ancestors {
			// The new model: every earlier model is an ancestor.
			spine.into_iter().chain(last_root).collect()
		} else if index % 2 == 0 && index > 0 {
			spine.into_iter().chain(last_root.take()).collect()
		} else {
			Vec::new()
		};
		let kind = if parents.len() > 1 { EdgeKind::MergedFrom } else { EdgeKind::FineTunedFrom };
		let edges: Vec<ParentEdge> =
			parents.into_iter().map(|parent| ParentEdge { parent, kind }).collect();
		let owner: T::AccountId = frame_benchmarking::account("lineage-owner", index, 0);
		let funds = T::ModelDepositBase::get()
			.saturating_add(T::DepositPerByte::get().saturating_mul(100_000u32.into()))
			.saturating_mul(1_000u32.into());
		let _ = T::Currency::set_balance(&owner, funds);
		let take = licenses_left.min(data_uses);
		licenses_left -= take;
		let data: Vec<DataUse> = (0..take)
			.map(|i| {
				let (dataset, license) =
					T::BenchmarkHelper::licensed_dataset(&owner, 50_000 + index * data_uses + i);
				DataUse { dataset, license, purpose: DataPurpose::Training }
			})
			.collect();
		let mut sha256 = [0x1e; 32];
		sha256[..4].copy_from_slice(&index.to_le_bytes());
		let id = Pallet::<T>::do_register_model(
			owner,
			ModelFile { sha256, cid: None, size_bytes },
			vec![b'm'; 16].try_into().unwrap_or_default(),
			interface.clone(),
			InferenceTerms {
				price_floor: Zero::zero(),
				royalty_bps: 10,
				derivatives: DerivativePolicy::Open,
				required_license: None,
			},
			edges.try_into().map_err(|_| Error::<T>::TooManyAncestors)?,
			data.try_into().map_err(|_| Error::<T>::TooManyUpstreamLicenses)?,
		)?;
		if index == ancestors {
			return Ok(id);
		}
		match index {
			0 => spine = Some(id),
			i if i % 2 == 0 => spine = Some(id),
			_ => last_root = Some(id),
		}
	}
	Err(Error::<T>::TooManyAncestors.into())
}
