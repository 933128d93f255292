//! Conversions between Cairn's canonical tensors and ONNX Runtime values, and the hashing of
//! checkpoint tensors.

use super::*;

pub(super) fn element_type(ty: TensorElementType) -> Option<ElementType> {
	Some(match ty {
		TensorElementType::Float32 => ElementType::F32,
		TensorElementType::Float16 => ElementType::F16,
		TensorElementType::Int64 => ElementType::I64,
		TensorElementType::Int32 => ElementType::I32,
		TensorElementType::Uint8 => ElementType::U8,
		TensorElementType::Bool => ElementType::Bool,
		_ => return None,
	})
}

pub(super) fn ort_element_type(ty: ElementType) -> TensorElementType {
	match ty {
		ElementType::F32 => TensorElementType::Float32,
		ElementType::F16 => TensorElementType::Float16,
		ElementType::I64 => TensorElementType::Int64,
		ElementType::I32 => TensorElementType::Int32,
		ElementType::U8 => TensorElementType::Uint8,
		ElementType::Bool => TensorElementType::Bool,
	}
}

pub(super) fn spec(outlet: &Outlet) -> Result<TensorSpec, InferenceError> {
	let ValueType::Tensor { ty, shape, .. } = outlet.dtype() else {
		return Err(InferenceError::UnsupportedModelIo);
	};
	let element_type = element_type(*ty).ok_or(InferenceError::UnsupportedModelIo)?;
	let dims = shape
		.iter()
		.map(|dim| if *dim < 0 { Dim::Dynamic } else { Dim::Fixed(*dim as u64) })
		.collect::<Vec<_>>();
	Ok(TensorSpec {
		name: outlet
			.name()
			.as_bytes()
			.to_vec()
			.try_into()
			.map_err(|_| InferenceError::UnsupportedModelIo)?,
		element_type,
		shape: dims.try_into().map_err(|_| InferenceError::UnsupportedModelIo)?,
	})
}

/// The session's inputs and outputs.
pub(super) fn model_io(session: &Session) -> Result<ModelIo, InferenceError> {
	let specs = |outlets: &[Outlet]| {
		outlets
			.iter()
			.map(spec)
			.collect::<Result<Vec<_>, _>>()
			.and_then(|specs| specs.try_into().map_err(|_| InferenceError::UnsupportedModelIo))
	};
	Ok(ModelIo { inputs: specs(session.inputs())?, outputs: specs(session.outputs())? })
}

/// A spec's name as ONNX Runtime names the tensor.
pub(super) fn spec_name(spec: &TensorSpec) -> Result<&str, InferenceError> {
	core::str::from_utf8(&spec.name).map_err(|_| InferenceError::UnsupportedModelIo)
}

/// A set's tensors as the named inputs of a run, checked against the model's inputs.
pub(super) fn input_values(
	loaded: &LoadedModel,
	input: &TensorSet,
) -> Result<Vec<(String, SessionInputValue<'static>)>, InferenceError> {
	loaded.io.check_inputs(input)?;
	input
		.tensors
		.iter()
		.map(|tensor| Ok((tensor_name(tensor)?, to_value(tensor)?.into())))
		.collect()
}

/// The segment input a checkpoint value is read as.
pub(super) fn value_input(name: &str, value: &DynValue) -> Result<SegmentInput, InferenceError> {
	let (element_type, shape, _) = tensor_parts(value, u64::MAX)?;
	Ok(SegmentInput { name: name.as_bytes().to_vec(), element_type, shape })
}

pub(super) fn tensor_name(tensor: &Tensor) -> Result<String, InferenceError> {
	tensor.name_str().map(str::to_owned).ok_or(InferenceError::MalformedTensor)
}

/// Copies a tensor into an ONNX Runtime value on the CPU (one copy, into a typed buffer that
/// ONNX Runtime then uses in place).
pub(super) fn to_value(tensor: &Tensor) -> Result<DynValue, InferenceError> {
	let dims = tensor
		.shape
		.iter()
		.map(|dim| usize::try_from(*dim).map_err(|_| InferenceError::MalformedTensor))
		.collect::<Result<Vec<_>, _>>()?;
	let data = tensor.data.as_slice();
	let created = match tensor.element_type {
		ElementType::F32 => OrtTensor::from_array((dims, decode_le(data, f32::from_le_bytes)))
			.map(|value| value.into_dyn()),
		ElementType::I64 => OrtTensor::from_array((dims, decode_le(data, i64::from_le_bytes)))
			.map(|value| value.into_dyn()),
		ElementType::I32 => OrtTensor::from_array((dims, decode_le(data, i32::from_le_bytes)))
			.map(|value| value.into_dyn()),
		ElementType::U8 => {
			OrtTensor::from_array((dims, data.to_vec())).map(|value| value.into_dyn())
		},
		ElementType::Bool => {
			OrtTensor::from_array((dims, data.iter().map(|b| *b == 1).collect::<Vec<bool>>()))
				.map(|value| value.into_dyn())
		},
		ElementType::F16 => return to_value_raw(tensor),
	};
	created.map_err(|error| {
		log::debug!(target: LOG_TARGET, "creating an input tensor failed: {error}");
		InferenceError::InputTooLarge
	})
}

/// Little-endian elements of `N` bytes (`N` is `size_of::<T>()`; every bit pattern of `T` is a
/// valid value). On little-endian machines this is one `memcpy`.
pub(super) fn decode_le<T: Copy, const N: usize>(data: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
	let count = data.len() / N;
	if cfg!(target_endian = "little") && core::mem::size_of::<T>() == N {
		let mut values = Vec::<T>::with_capacity(count);
		// SAFETY: `values` has capacity for `count` elements of `N == size_of::<T>()` bytes; the
		// callers' `T` (f32, i32, i64) accept every bit pattern and store little-endian here, so
		// the bytes copied are exactly the elements; the length is set after they are written.
		unsafe {
			core::ptr::copy_nonoverlapping(
				data.as_ptr(),
				values.as_mut_ptr().cast::<u8>(),
				count * N,
			);
			values.set_len(count);
		}
		return values;
	}
	data.chunks_exact(N)
		.map(|chunk| {
			let mut bytes = [0u8; N];
			bytes.copy_from_slice(chunk);
			from(bytes)
		})
		.collect()
}

/// Copies a tensor byte for byte into a tensor allocated by ONNX Runtime (element types without
/// a Rust counterpart in `ort`, such as f16).
pub(super) fn to_value_raw(tensor: &Tensor) -> Result<DynValue, InferenceError> {
	let dims = tensor
		.shape
		.iter()
		.map(|dim| i64::try_from(*dim).map_err(|_| InferenceError::MalformedTensor))
		.collect::<Result<Vec<_>, _>>()?;
	let mut value = DynTensor::new(
		&Allocator::default(),
		ort_element_type(tensor.element_type),
		Shape::new(dims),
	)
	.map_err(|error| {
		log::debug!(target: LOG_TARGET, "allocating an input tensor failed: {error}");
		InferenceError::InputTooLarge
	})?;
	if !tensor.data.is_empty() {
		let destination = value.data_ptr_mut().cast::<u8>();
		if destination.is_null() {
			return Err(InferenceError::ExecutionFailed);
		}
		// SAFETY: the tensor was allocated on the CPU by the default allocator with exactly
		// `element count * element size` bytes, which `Tensor::validate` proved equals
		// `tensor.data.len()`; the regions do not overlap.
		unsafe {
			std::ptr::copy_nonoverlapping(tensor.data.as_ptr(), destination, tensor.data.len())
		};
	}
	Ok(value.into_dyn())
}

/// A tensor value from ONNX Runtime, copied out within `budget` bytes.
pub(super) fn from_value(
	name: &str,
	value: &DynValue,
	budget: u64,
) -> Result<Tensor, InferenceError> {
	let (element_type, dims, data) = tensor_parts(value, budget)?;
	Tensor::new(name, element_type, &dims, data.to_vec())
}

/// A checkpoint tensor in ONNX Runtime's buffer: name, element type, shape, data.
pub(super) type TensorParts<'a> = (&'a str, ElementType, Vec<u64>, &'a [u8]);

/// The leaf of each checkpoint tensor ([`TensorSet::hash_of_one`]), in order, hashed on up to
/// `threads` threads (the run's intra-op threads, idle once it is done): hashing megabytes of
/// checkpoints is most of what a checkpointed run adds to a plain one.
pub(super) fn hash_leaves(parts: &[TensorParts<'_>], threads: usize) -> Vec<TensorSetHash> {
	let hash = |(name, element_type, shape, data): &TensorParts<'_>| {
		TensorSet::hash_of_one(name.as_bytes(), *element_type, shape, data)
	};
	let total: usize = parts.iter().map(|part| part.3.len()).sum();
	let threads = threads.clamp(1, parts.len().max(1));
	// Small checkpoints hash faster than threads start.
	if threads == 1 || total < 1 << 20 {
		return parts.iter().map(hash).collect();
	}
	// Contiguous groups of about equal bytes, one per thread.
	let share = total.div_ceil(threads);
	let mut groups: Vec<&[TensorParts<'_>]> = Vec::with_capacity(threads);
	let (mut start, mut bytes) = (0, 0);
	for (index, part) in parts.iter().enumerate() {
		bytes += part.3.len();
		if bytes >= share && groups.len() + 1 < threads {
			groups.push(&parts[start..=index]);
			(start, bytes) = (index + 1, 0);
		}
	}
	groups.push(&parts[start..]);
	std::thread::scope(|scope| {
		let handles: Vec<_> = groups
			.iter()
			.map(|group| scope.spawn(move || group.iter().map(hash).collect::<Vec<_>>()))
			.collect();
		handles
			.into_iter()
			.flat_map(|handle| {
				handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
			})
			.collect()
	})
}

/// A tensor value's element type, shape and bytes, borrowed from ONNX Runtime's buffer: refused
/// when over `budget` bytes or not in CPU memory.
pub(super) fn tensor_parts(
	value: &DynValue,
	budget: u64,
) -> Result<(ElementType, Vec<u64>, &[u8]), InferenceError> {
	let ValueType::Tensor { ty, shape, .. } = value.dtype() else {
		return Err(InferenceError::UnsupportedModelIo);
	};
	let element_type = element_type(*ty).ok_or(InferenceError::UnsupportedModelIo)?;
	let dims = shape
		.iter()
		.map(|dim| u64::try_from(*dim).map_err(|_| InferenceError::ExecutionFailed))
		.collect::<Result<Vec<_>, _>>()?;
	let count = dims.iter().try_fold(1u64, |count, dim| count.checked_mul(*dim));
	let size = count
		.and_then(|count| count.checked_mul(element_type.size() as u64))
		.ok_or(InferenceError::OutputTooLarge)?;
	if size > budget || size > crate::types::MAX_TENSOR_BYTES as u64 {
		return Err(InferenceError::OutputTooLarge);
	}
	let tensor = value
		.view()
		.downcast::<DynTensorValueType>()
		.map_err(|_| InferenceError::UnsupportedModelIo)?;
	if !tensor.memory_info().is_cpu_accessible() {
		return Err(InferenceError::ExecutionFailed);
	}
	if size == 0 {
		return Ok((element_type, dims, &[]));
	}
	let source = tensor.data_ptr().cast::<u8>();
	if source.is_null() {
		return Err(InferenceError::ExecutionFailed);
	}
	// SAFETY: the value is a CPU-accessible tensor of `dims` elements of `element_type`, so its
	// buffer holds exactly `size` bytes, and it lives (unmodified) as long as `value`.
	let data = unsafe { std::slice::from_raw_parts(source, size as usize) };
	Ok((element_type, dims, data))
}
