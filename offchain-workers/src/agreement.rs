//! The agreement check for redundant execution: do two providers' outputs for one job agree?
//!
//! Outputs agree when their canonical hashes match. Otherwise they agree only when they have the
//! same tensors (names, element types, shapes), integer and boolean tensors are identical, and every
//! pair of float elements `a`, `b` satisfies
//! `|a - b| <= absolute + relative * max(|a|, |b|)`: symmetric, so the order of the two receipts
//! never matters. NaN agrees only with NaN, an infinity only with the same infinity.
//!
//! Settlement holds two answers to the job's tolerance raised to a floor per element type
//! ([`Tolerance::floor`]), except where the job asks for bit-exact agreement and both answers
//! were computed on the same platform (execution provider and ONNX Runtime build): only there
//! can an honest engine be expected to reproduce every bit ([`answers_agree`]). The floor bounds
//! what a cheater can hide: a perturbation of each float element within it.

use crate::types::{ElementType, Tensor, TensorSet};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// Tolerance for float outputs, in billionths (1e-9) so that it is exact on chain.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct Tolerance {
	/// Absolute tolerance in units of 1e-9 (`1_000` is 1e-6).
	pub absolute_nano: u32,
	/// Relative tolerance in units of 1e-9 (`1_000_000` is 1e-3).
	pub relative_nano: u32,
}

impl Tolerance {
	/// Bit-exact agreement only.
	pub const EXACT: Tolerance = Tolerance { absolute_nano: 0, relative_nano: 0 };

	/// The least tolerance two answers are held to for tensors of `element_type`, unless the
	/// job asks for exact agreement and both ran on the same platform: f32 1e-5 absolute and
	/// 1e-4 relative (the spread of honest engines on other instruction-set paths or GPUs), f16
	/// 1e-3 and 1e-2 (its 10-bit mantissa); integers and booleans exact.
	pub const fn floor(element_type: ElementType) -> Tolerance {
		match element_type {
			ElementType::F32 => Tolerance { absolute_nano: 10_000, relative_nano: 100_000 },
			ElementType::F16 => Tolerance { absolute_nano: 1_000_000, relative_nano: 10_000_000 },
			ElementType::I64 | ElementType::I32 | ElementType::U8 | ElementType::Bool => {
				Tolerance::EXACT
			},
		}
	}

	/// The looser of `self` and `other` in each component.
	pub fn at_least(self, other: Tolerance) -> Tolerance {
		Tolerance {
			absolute_nano: self.absolute_nano.max(other.absolute_nano),
			relative_nano: self.relative_nano.max(other.relative_nano),
		}
	}

	/// Whether two answers are held to bit-exact agreement: the job asks for it and both were
	/// computed on the same platform.
	pub fn is_exact_between(&self, same_platform: bool) -> bool {
		*self == Tolerance::EXACT && same_platform
	}

	/// Whether two float elements agree.
	pub fn accepts(&self, a: f64, b: f64) -> bool {
		if a.is_nan() || b.is_nan() {
			return a.is_nan() && b.is_nan();
		}
		if a.is_infinite() || b.is_infinite() {
			return a == b;
		}
		let absolute = self.absolute_nano as f64 * 1e-9;
		let relative = self.relative_nano as f64 * 1e-9;
		(a - b).abs() <= absolute + relative * a.abs().max(b.abs())
	}
}

/// Why two outputs disagree.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Disagreement {
	/// The sets name different tensors.
	DifferentTensors,
	/// A tensor's element type differs.
	DifferentElementType,
	/// A tensor's shape differs.
	DifferentShape,
	/// An integer or boolean tensor differs.
	DifferentValues,
	/// A float element differs by more than the tolerance (`index` into the named tensor).
	OutOfTolerance {
		/// Position of the tensor in the canonical set.
		tensor: u32,
		/// Position of the first element out of tolerance.
		index: u64,
	},
}

/// Whether two outputs agree under `tolerance`; the first difference when they do not.
pub fn outputs_agree(
	a: &TensorSet,
	b: &TensorSet,
	tolerance: &Tolerance,
) -> Result<(), Disagreement> {
	agree_with(a, b, |_| *tolerance)
}

/// Whether two outputs agree under `tolerance` raised to each float tensor's
/// [`Tolerance::floor`]: the rule for answers not held to exact agreement.
pub fn outputs_agree_floored(
	a: &TensorSet,
	b: &TensorSet,
	tolerance: &Tolerance,
) -> Result<(), Disagreement> {
	agree_with(a, b, |element_type| tolerance.at_least(Tolerance::floor(element_type)))
}

/// Whether two answers of a job agree by settlement's rule: bit for bit where the job's
/// `tolerance` is exact and both were computed on the same platform (`same_platform`: equal
/// execution provider and runtime build), otherwise under the tolerance raised to the floor of
/// each tensor's element type.
pub fn answers_agree(
	a: &TensorSet,
	b: &TensorSet,
	tolerance: &Tolerance,
	same_platform: bool,
) -> Result<(), Disagreement> {
	match tolerance.is_exact_between(same_platform) {
		true => outputs_agree(a, b, &Tolerance::EXACT),
		false => outputs_agree_floored(a, b, tolerance),
	}
}

/// Whether two outputs agree, each tensor under the tolerance `tolerance_of` its element type.
fn agree_with(
	a: &TensorSet,
	b: &TensorSet,
	tolerance_of: impl Fn(ElementType) -> Tolerance,
) -> Result<(), Disagreement> {
	if a.tensors.len() != b.tensors.len() {
		return Err(Disagreement::DifferentTensors);
	}
	for (position, (x, y)) in a.tensors.iter().zip(b.tensors.iter()).enumerate() {
		tensors_agree(position as u32, x, y, &tolerance_of(x.element_type))?;
	}
	Ok(())
}

fn tensors_agree(
	position: u32,
	x: &Tensor,
	y: &Tensor,
	tolerance: &Tolerance,
) -> Result<(), Disagreement> {
	if x.name != y.name {
		return Err(Disagreement::DifferentTensors);
	}
	if x.element_type != y.element_type {
		return Err(Disagreement::DifferentElementType);
	}
	if x.shape != y.shape {
		return Err(Disagreement::DifferentShape);
	}
	if x.data == y.data {
		return Ok(());
	}
	match (x.float_values(), y.float_values()) {
		(Some(xs), Some(ys)) if xs.len() == ys.len() => {
			match xs.iter().zip(ys.iter()).position(|(a, b)| !tolerance.accepts(*a, *b)) {
				None => Ok(()),
				Some(index) => {
					Err(Disagreement::OutOfTolerance { tensor: position, index: index as u64 })
				},
			}
		},
		_ => Err(Disagreement::DifferentValues),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::types::ElementType;

	fn set(values: &[f32]) -> TensorSet {
		TensorSet::new(vec![Tensor::from_f32("y", &[values.len() as u64], values).unwrap()])
			.unwrap()
	}

	const LOOSE: Tolerance = Tolerance { absolute_nano: 1_000, relative_nano: 1_000_000 };

	#[test]
	fn identical_outputs_agree_exactly() {
		assert_eq!(outputs_agree(&set(&[1.0, 2.0]), &set(&[1.0, 2.0]), &Tolerance::EXACT), Ok(()));
	}

	#[test]
	fn floats_within_tolerance_agree_and_the_check_is_symmetric() {
		let a = set(&[1000.0, 0.0]);
		let b = set(&[1000.9, 0.000_000_5]);
		assert_eq!(outputs_agree(&a, &b, &LOOSE), Ok(()));
		assert_eq!(outputs_agree(&b, &a, &LOOSE), Ok(()));
		assert_eq!(
			outputs_agree(&a, &b, &Tolerance::EXACT),
			Err(Disagreement::OutOfTolerance { tensor: 0, index: 0 })
		);
		let far = set(&[1000.0, 0.01]);
		assert_eq!(
			outputs_agree(&a, &far, &LOOSE),
			Err(Disagreement::OutOfTolerance { tensor: 0, index: 1 })
		);
	}

	#[test]
	fn exact_agreement_holds_only_on_one_platform_and_the_floor_elsewhere() {
		// Another instruction-set path's rounding: 2e-6 relative.
		let a = set(&[10.0, -3.0]);
		let b = set(&[10.00002, -3.000006]);
		assert!(answers_agree(&a, &b, &Tolerance::EXACT, true).is_err());
		assert_eq!(answers_agree(&a, &b, &Tolerance::EXACT, false), Ok(()));
		// A tolerance below the floor is raised to it on any platform.
		let tiny = Tolerance { absolute_nano: 1, relative_nano: 1 };
		assert_eq!(answers_agree(&a, &b, &tiny, true), Ok(()));
		// Beyond the floor (1e-4 relative, 1e-5 absolute), answers disagree.
		let far = set(&[10.01, -3.0]);
		assert_eq!(
			answers_agree(&a, &far, &Tolerance::EXACT, false),
			Err(Disagreement::OutOfTolerance { tensor: 0, index: 0 })
		);
		// A looser tolerance than the floor is kept.
		assert_eq!(answers_agree(&a, &far, &LOOSE, false), Ok(()));
		// Integers stay exact whatever the platform.
		let ints = |v: &[i64]| {
			TensorSet::new(vec![Tensor::from_i64("y", &[v.len() as u64], v).unwrap()]).unwrap()
		};
		assert!(answers_agree(&ints(&[1]), &ints(&[2]), &Tolerance::EXACT, false).is_err());
		// f16's floor is looser: 1e-2 relative.
		let half = |bits: u16| {
			TensorSet::new(vec![Tensor::new(
				"y",
				ElementType::F16,
				&[1],
				bits.to_le_bytes().to_vec(),
			)
			.unwrap()])
			.unwrap()
		};
		// 1.0 and the next f16 up (1 + 2^-10, about 1e-3 away).
		assert_eq!(answers_agree(&half(0x3c00), &half(0x3c01), &Tolerance::EXACT, false), Ok(()));
		assert!(answers_agree(&half(0x3c00), &half(0x3c01), &Tolerance::EXACT, true).is_err());
	}

	#[test]
	fn nan_and_infinity_agree_only_with_themselves() {
		assert_eq!(outputs_agree(&set(&[f32::NAN]), &set(&[f32::NAN]), &LOOSE), Ok(()));
		assert!(outputs_agree(&set(&[f32::NAN]), &set(&[0.0]), &LOOSE).is_err());
		assert_eq!(outputs_agree(&set(&[f32::INFINITY]), &set(&[f32::INFINITY]), &LOOSE), Ok(()));
		assert!(outputs_agree(&set(&[f32::INFINITY]), &set(&[f32::MAX]), &LOOSE).is_err());
	}

	#[test]
	fn structure_and_integers_must_match_exactly() {
		let ints = |v: &[i64]| {
			TensorSet::new(vec![Tensor::from_i64("y", &[v.len() as u64], v).unwrap()]).unwrap()
		};
		assert_eq!(
			outputs_agree(&ints(&[1, 2]), &ints(&[1, 3]), &LOOSE),
			Err(Disagreement::DifferentValues)
		);
		assert_eq!(
			outputs_agree(&set(&[1.0, 2.0]), &set(&[1.0]), &LOOSE),
			Err(Disagreement::DifferentShape)
		);
		let other_name =
			TensorSet::new(vec![Tensor::from_f32("z", &[1], &[1.0]).unwrap()]).unwrap();
		assert_eq!(
			outputs_agree(&set(&[1.0]), &other_name, &LOOSE),
			Err(Disagreement::DifferentTensors)
		);
		let f16 = TensorSet::new(vec![Tensor::new(
			"y",
			ElementType::F16,
			&[1],
			0x3c00u16.to_le_bytes().to_vec(),
		)
		.unwrap()])
		.unwrap();
		assert_eq!(
			outputs_agree(&set(&[1.0]), &f16, &LOOSE),
			Err(Disagreement::DifferentElementType)
		);
		assert_eq!(
			outputs_agree(&set(&[1.0]), &TensorSet::new(vec![]).unwrap(), &LOOSE),
			Err(Disagreement::DifferentTensors)
		);
	}
}
