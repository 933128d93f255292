//! Types shared by the runtime and the node: tensors, model io specs, results, capabilities and
//! errors. All are SCALE-encoded with `TypeInfo`, so receipts, events and storage can carry them.

use alloc::vec::Vec;
use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// Implements `ALL` (every variant, in index order), `name()` (the variant's name, for logs and
/// metric labels) and `Display` (the name) for a fieldless enum, from its variants listed in
/// index order.
macro_rules! variant_names {
	($enum:ident { $($variant:ident),+ $(,)? }) => {
		impl $enum {
			/// Every variant, in index order.
			pub const ALL: [$enum; [$(stringify!($variant)),+].len()] = [$($enum::$variant),+];

			/// The variant's name, for logs and metric labels.
			pub fn name(&self) -> &'static str {
				match self {
					$($enum::$variant => stringify!($variant),)+
				}
			}
		}

		impl core::fmt::Display for $enum {
			fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
				f.write_str(self.name())
			}
		}
	};
}

/// SHA-256 of a model file: how the chain and the model store name a model.
pub type ModelHash = [u8; 32];

/// SHA-256 of a canonical [`TensorSet`] encoding: the input and output hashes receipts carry.
pub type TensorSetHash = [u8; 32];

/// Most tensors in one [`TensorSet`] and most inputs or outputs a [`ModelIo`] lists.
pub const MAX_TENSORS: u32 = 16;
/// Longest tensor name, in bytes.
pub const MAX_TENSOR_NAME_LEN: u32 = 128;
/// Highest tensor rank.
pub const MAX_RANK: u32 = 8;
/// Most bytes of data in one tensor (16 MiB). Engines and pallets apply tighter limits.
pub const MAX_TENSOR_BYTES: u32 = 16 * 1024 * 1024;
/// Longest ONNX Runtime version string, in bytes.
pub const MAX_VERSION_LEN: u32 = 32;
/// Most model hashes a [`Capabilities`] report lists.
pub const MAX_LISTED_MODELS: u32 = 256;

/// A tensor's name (UTF-8 bytes).
pub type TensorName = BoundedVec<u8, ConstU32<MAX_TENSOR_NAME_LEN>>;
/// A concrete tensor shape.
pub type Shape = BoundedVec<u64, ConstU32<MAX_RANK>>;
/// A tensor's elements, little-endian, row-major.
pub type TensorData = BoundedVec<u8, ConstU32<MAX_TENSOR_BYTES>>;
/// An ONNX Runtime version string such as `1.31.1`.
pub type RuntimeVersion = BoundedVec<u8, ConstU32<MAX_VERSION_LEN>>;

/// An ONNX Runtime execution provider: the backend a model runs on.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum ExecutionProvider {
	/// The default CPU provider; every ONNX Runtime build has it.
	#[codec(index = 0)]
	Cpu,
	/// NVIDIA CUDA.
	#[codec(index = 1)]
	Cuda,
	/// NVIDIA TensorRT.
	#[codec(index = 2)]
	TensorRt,
	/// AMD ROCm.
	#[codec(index = 3)]
	Rocm,
	/// AMD MIGraphX.
	#[codec(index = 4)]
	MiGraphX,
	/// Intel OpenVINO.
	#[codec(index = 5)]
	OpenVino,
	/// Microsoft DirectML.
	#[codec(index = 6)]
	DirectMl,
	/// Apple CoreML.
	#[codec(index = 7)]
	CoreMl,
}

impl ExecutionProvider {
	/// Every execution provider, in index order.
	pub const ALL: [ExecutionProvider; 8] = [
		ExecutionProvider::Cpu,
		ExecutionProvider::Cuda,
		ExecutionProvider::TensorRt,
		ExecutionProvider::Rocm,
		ExecutionProvider::MiGraphX,
		ExecutionProvider::OpenVino,
		ExecutionProvider::DirectMl,
		ExecutionProvider::CoreMl,
	];

	/// Whether the provider runs on the host CPU (its memory need is met from RAM, not GPU memory).
	pub fn is_cpu(&self) -> bool {
		matches!(self, ExecutionProvider::Cpu)
	}

	/// The lower-case name used on the command line (`cpu`, `cuda`, ...).
	pub fn name(&self) -> &'static str {
		match self {
			ExecutionProvider::Cpu => "cpu",
			ExecutionProvider::Cuda => "cuda",
			ExecutionProvider::TensorRt => "tensorrt",
			ExecutionProvider::Rocm => "rocm",
			ExecutionProvider::MiGraphX => "migraphx",
			ExecutionProvider::OpenVino => "openvino",
			ExecutionProvider::DirectMl => "directml",
			ExecutionProvider::CoreMl => "coreml",
		}
	}

	/// Parses a command-line name (case-insensitive); `None` for an unknown name.
	pub fn from_name(name: &str) -> Option<Self> {
		Self::ALL.into_iter().find(|provider| provider.name().eq_ignore_ascii_case(name))
	}
}

/// Element type of a tensor. Data is little-endian; `Bool` is one byte, 0 or 1.
#[derive(
	Clone,
	Copy,
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
pub enum ElementType {
	/// IEEE 754 binary32.
	#[codec(index = 0)]
	F32,
	/// IEEE 754 binary16.
	#[codec(index = 1)]
	F16,
	/// Signed 64-bit integer.
	#[codec(index = 2)]
	I64,
	/// Signed 32-bit integer.
	#[codec(index = 3)]
	I32,
	/// Unsigned 8-bit integer.
	#[codec(index = 4)]
	U8,
	/// Boolean stored as one byte, 0 or 1.
	#[codec(index = 5)]
	Bool,
}

impl ElementType {
	/// Bytes per element.
	pub fn size(&self) -> usize {
		match self {
			ElementType::F32 | ElementType::I32 => 4,
			ElementType::F16 => 2,
			ElementType::I64 => 8,
			ElementType::U8 | ElementType::Bool => 1,
		}
	}

	/// Whether elements are floating point (compared with a tolerance by the agreement check).
	pub fn is_float(&self) -> bool {
		matches!(self, ElementType::F32 | ElementType::F16)
	}
}

/// One named tensor.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Tensor {
	/// Name of the model input or output.
	pub name: TensorName,
	/// Element type.
	pub element_type: ElementType,
	/// Concrete shape; the product of the dimensions is the element count.
	pub shape: Shape,
	/// Elements, little-endian, row-major.
	pub data: TensorData,
}

impl Tensor {
	/// A tensor from raw little-endian bytes; checks the bounds and that the data fits the shape.
	pub fn new(
		name: &str,
		element_type: ElementType,
		shape: &[u64],
		data: Vec<u8>,
	) -> Result<Self, InferenceError> {
		let tensor = Tensor {
			name: name
				.as_bytes()
				.to_vec()
				.try_into()
				.map_err(|_| InferenceError::MalformedTensor)?,
			element_type,
			shape: shape.to_vec().try_into().map_err(|_| InferenceError::MalformedTensor)?,
			data: data.try_into().map_err(|_| InferenceError::MalformedTensor)?,
		};
		tensor.validate()?;
		Ok(tensor)
	}

	/// An `f32` tensor.
	pub fn from_f32(name: &str, shape: &[u64], values: &[f32]) -> Result<Self, InferenceError> {
		Self::new(
			name,
			ElementType::F32,
			shape,
			values.iter().flat_map(|v| v.to_le_bytes()).collect(),
		)
	}

	/// An `i64` tensor.
	pub fn from_i64(name: &str, shape: &[u64], values: &[i64]) -> Result<Self, InferenceError> {
		Self::new(
			name,
			ElementType::I64,
			shape,
			values.iter().flat_map(|v| v.to_le_bytes()).collect(),
		)
	}

	/// The name as UTF-8, or `None` when it is not valid UTF-8.
	pub fn name_str(&self) -> Option<&str> {
		core::str::from_utf8(&self.name).ok()
	}

	/// Number of elements the shape describes, or `None` on overflow.
	pub fn element_count(&self) -> Option<u64> {
		self.shape.iter().try_fold(1u64, |count, dim| count.checked_mul(*dim))
	}

	/// Checks that the name is UTF-8, `Bool` elements are 0 or 1, and the data length is exactly
	/// the element count times the element size.
	pub fn validate(&self) -> Result<(), InferenceError> {
		if self.name.is_empty() || self.name_str().is_none() {
			return Err(InferenceError::MalformedTensor);
		}
		let expected = self
			.element_count()
			.and_then(|count| count.checked_mul(self.element_type.size() as u64))
			.ok_or(InferenceError::MalformedTensor)?;
		if expected != self.data.len() as u64 {
			return Err(InferenceError::MalformedTensor);
		}
		if self.element_type == ElementType::Bool && self.data.iter().any(|byte| *byte > 1) {
			return Err(InferenceError::MalformedTensor);
		}
		Ok(())
	}

	/// The elements as `f64` for `F32` and `F16` tensors; `None` for other element types.
	pub fn float_values(&self) -> Option<Vec<f64>> {
		match self.element_type {
			ElementType::F32 => Some(
				self.data
					.chunks_exact(4)
					.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
					.collect(),
			),
			ElementType::F16 => Some(
				self.data
					.chunks_exact(2)
					.map(|b| f16_to_f64(u16::from_le_bytes([b[0], b[1]])))
					.collect(),
			),
			_ => None,
		}
	}
}

/// Converts IEEE 754 binary16 bits to `f64` exactly.
pub fn f16_to_f64(bits: u16) -> f64 {
	let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
	let exponent = ((bits >> 10) & 0x1f) as i32;
	let mantissa = (bits & 0x3ff) as f64;
	match exponent {
		0 => sign * mantissa * pow2(-24),
		0x1f if mantissa == 0.0 => sign * f64::INFINITY,
		0x1f => f64::NAN,
		_ => sign * (1.0 + mantissa / 1024.0) * pow2(exponent - 15),
	}
}

fn pow2(exponent: i32) -> f64 {
	f64::from_bits(((exponent + 1023) as u64) << 52)
}

/// A set of named tensors: a model's inputs or outputs.
///
/// Canonical form: tensors sorted by name, names unique, every tensor valid. The canonical SCALE
/// encoding is what [`TensorSet::hash`] hashes, so equal sets have equal hashes on every node.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct TensorSet {
	/// The tensors, sorted by name.
	pub tensors: BoundedVec<Tensor, ConstU32<MAX_TENSORS>>,
}

impl TensorSet {
	/// A canonical set from tensors in any order; refuses duplicate names and invalid tensors.
	pub fn new(mut tensors: Vec<Tensor>) -> Result<Self, InferenceError> {
		tensors.sort_by(|a, b| a.name.cmp(&b.name));
		let set =
			TensorSet { tensors: tensors.try_into().map_err(|_| InferenceError::MalformedTensor)? };
		set.validate()?;
		Ok(set)
	}

	/// Checks canonical form: every tensor valid, names strictly increasing.
	pub fn validate(&self) -> Result<(), InferenceError> {
		for tensor in self.tensors.iter() {
			tensor.validate()?;
		}
		if self.tensors.windows(2).any(|pair| pair[0].name >= pair[1].name) {
			return Err(InferenceError::MalformedTensor);
		}
		Ok(())
	}

	/// [`TensorSet::hash`] of the set holding one tensor, from its parts (no copy of `data`).
	/// The caller vouches that the parts are a valid tensor.
	pub fn hash_of_one(
		name: &[u8],
		element_type: ElementType,
		shape: &[u64],
		data: &[u8],
	) -> TensorSetHash {
		let mut hasher = HashingOutput(sha2::Sha256::default());
		codec::Compact(1u32).encode_to(&mut hasher);
		name.encode_to(&mut hasher);
		element_type.encode_to(&mut hasher);
		shape.encode_to(&mut hasher);
		data.encode_to(&mut hasher);
		sha2::Digest::finalize(hasher.0).into()
	}

	/// Decodes a canonical set from SCALE bytes, refusing trailing bytes and non-canonical sets.
	pub fn decode_canonical(mut bytes: &[u8]) -> Result<Self, InferenceError> {
		let set = <TensorSet as codec::DecodeAll>::decode_all(&mut bytes)
			.map_err(|_| InferenceError::MalformedTensor)?;
		set.validate()?;
		Ok(set)
	}

	/// SHA-256 of the canonical SCALE encoding, streamed into the hasher (no encoded copy).
	pub fn hash(&self) -> TensorSetHash {
		let mut hasher = HashingOutput(sha2::Sha256::default());
		self.encode_to(&mut hasher);
		sha2::Digest::finalize(hasher.0).into()
	}

	/// The tensor with this name.
	pub fn get(&self, name: &str) -> Option<&Tensor> {
		self.tensors.iter().find(|tensor| tensor.name.as_slice() == name.as_bytes())
	}

	/// Total bytes of tensor data.
	pub fn data_bytes(&self) -> u64 {
		self.tensors.iter().map(|tensor| tensor.data.len() as u64).sum()
	}
}

/// A SCALE output that feeds SHA-256.
struct HashingOutput(sha2::Sha256);

impl codec::Output for HashingOutput {
	fn write(&mut self, bytes: &[u8]) {
		sha2::Digest::update(&mut self.0, bytes);
	}
}

/// One dimension of a model input or output.
#[derive(
	Clone,
	Copy,
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
pub enum Dim {
	/// A fixed size.
	#[codec(index = 0)]
	Fixed(u64),
	/// Any size, chosen by the caller (e.g. a batch dimension).
	#[codec(index = 1)]
	Dynamic,
}

/// Name, element type and shape of a model input or output.
#[derive(
	Clone,
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
pub struct TensorSpec {
	/// Input or output name.
	pub name: TensorName,
	/// Element type.
	pub element_type: ElementType,
	/// Shape, with dynamic dimensions marked.
	pub shape: BoundedVec<Dim, ConstU32<MAX_RANK>>,
}

impl TensorSpec {
	/// Whether a tensor of this element type and shape fits the spec.
	pub fn check(&self, tensor: &Tensor) -> Result<(), InferenceError> {
		if tensor.element_type != self.element_type {
			return Err(InferenceError::InputTypeMismatch);
		}
		let fits = tensor.shape.len() == self.shape.len()
			&& tensor.shape.iter().zip(self.shape.iter()).all(|(size, dim)| match dim {
				Dim::Fixed(fixed) => size == fixed,
				Dim::Dynamic => true,
			});
		if fits {
			Ok(())
		} else {
			Err(InferenceError::InputShapeMismatch)
		}
	}
}

/// A model's inputs and outputs, in the model's order.
#[derive(
	Clone,
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
pub struct ModelIo {
	/// Inputs the model takes.
	pub inputs: BoundedVec<TensorSpec, ConstU32<MAX_TENSORS>>,
	/// Outputs the model produces.
	pub outputs: BoundedVec<TensorSpec, ConstU32<MAX_TENSORS>>,
}

impl ModelIo {
	/// Checks a tensor set against the inputs: every name known, every input present, element
	/// types and shapes matching.
	pub fn check_inputs(&self, input: &TensorSet) -> Result<(), InferenceError> {
		for tensor in input.tensors.iter() {
			let spec = self
				.inputs
				.iter()
				.find(|spec| spec.name == tensor.name)
				.ok_or(InferenceError::UnknownInput)?;
			spec.check(tensor)?;
		}
		if self.inputs.iter().any(|spec| !input.tensors.iter().any(|t| t.name == spec.name)) {
			return Err(InferenceError::MissingInput);
		}
		Ok(())
	}
}

/// What one model run produced. (The input's hash is not repeated here: whoever posted the input
/// knows it, and the inference pallet computes it once when a job is requested.)
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct InferenceOutput {
	/// The model's outputs, canonical.
	pub outputs: TensorSet,
	/// [`TensorSet::hash`] of `outputs`.
	pub output_hash: TensorSetHash,
	/// The execution provider that actually ran the model.
	pub execution_provider: ExecutionProvider,
	/// ONNX Runtime version that ran the model.
	pub runtime_version: RuntimeVersion,
	/// Wall-clock time of the run, in microseconds.
	pub elapsed_micros: u64,
}

/// What a node's inference engine can do.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Capabilities {
	/// Whether ONNX Runtime loaded: when false, every run fails with
	/// [`InferenceError::RuntimeUnavailable`].
	pub available: bool,
	/// ONNX Runtime version (empty when unavailable).
	pub runtime_version: RuntimeVersion,
	/// Execution providers usable on this node, in preference order.
	pub execution_providers: BoundedVec<ExecutionProvider, ConstU32<8>>,
	/// Models in the local store (at most [`MAX_LISTED_MODELS`]).
	pub models: BoundedVec<ModelHash, ConstU32<MAX_LISTED_MODELS>>,
}

/// Why an inference call failed.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum InferenceError {
	/// No inference engine is registered: the call was made outside an offchain worker.
	#[codec(index = 0)]
	NoInferenceContext,
	/// ONNX Runtime is not loaded on this node (no library configured, or it failed to load).
	#[codec(index = 1)]
	RuntimeUnavailable,
	/// The model is not in this node's model store.
	#[codec(index = 2)]
	UnknownModel,
	/// The stored file's SHA-256 differs from the model hash; it was not loaded.
	#[codec(index = 3)]
	ModelHashMismatch,
	/// The model file exceeds the node's model size limit.
	#[codec(index = 4)]
	ModelTooLarge,
	/// ONNX Runtime refused the model file (corrupt, truncated or unsupported).
	#[codec(index = 5)]
	InvalidModel,
	/// A tensor or tensor set is malformed: bad encoding, data length not matching the shape,
	/// duplicate or unsorted names, a name that is not UTF-8, or a bound exceeded.
	#[codec(index = 6)]
	MalformedTensor,
	/// The input exceeds the node's input size limit.
	#[codec(index = 7)]
	InputTooLarge,
	/// An input tensor's name is not an input of the model.
	#[codec(index = 8)]
	UnknownInput,
	/// The model needs an input that was not given.
	#[codec(index = 9)]
	MissingInput,
	/// An input tensor's element type differs from the model's.
	#[codec(index = 10)]
	InputTypeMismatch,
	/// An input tensor's shape does not fit the model's.
	#[codec(index = 11)]
	InputShapeMismatch,
	/// The model's inputs or outputs cannot be carried by Cairn tensors (element type, rank,
	/// name length or count).
	#[codec(index = 12)]
	UnsupportedModelIo,
	/// The outputs exceed the node's output size limit.
	#[codec(index = 13)]
	OutputTooLarge,
	/// The run exceeded the node's time limit and was terminated.
	#[codec(index = 14)]
	TimedOut,
	/// ONNX Runtime failed while running the model.
	#[codec(index = 15)]
	ExecutionFailed,
	/// The model store could not be read.
	#[codec(index = 16)]
	StoreUnavailable,
	/// The execution provider asked for is not usable on this node, or cannot run this model
	/// (no fallback is taken when one is asked for by name).
	#[codec(index = 17)]
	ExecutionProviderUnavailable,
	/// The model has no such segment: out of range, the input is not the tensor of the
	/// checkpoint the segment starts at, or the model's graph cannot be cut (subgraphs, an
	/// unsorted or malformed graph).
	#[codec(index = 18)]
	NoSuchSegment,
	/// The node has no keystore for encryption keys, or its keystore failed.
	#[codec(index = 19)]
	KeystoreUnavailable,
	/// The node has no blob store for sealed job data, or it could not store a blob (disk
	/// budget, disk error).
	#[codec(index = 20)]
	BlobStoreUnavailable,
}

variant_names!(InferenceError {
	NoInferenceContext,
	RuntimeUnavailable,
	UnknownModel,
	ModelHashMismatch,
	ModelTooLarge,
	InvalidModel,
	MalformedTensor,
	InputTooLarge,
	UnknownInput,
	MissingInput,
	InputTypeMismatch,
	InputShapeMismatch,
	UnsupportedModelIo,
	OutputTooLarge,
	TimedOut,
	ExecutionFailed,
	StoreUnavailable,
	ExecutionProviderUnavailable,
	NoSuchSegment,
	KeystoreUnavailable,
	BlobStoreUnavailable,
});

/// Longest IPFS CID (binary CIDv1) a [`ModelSource`] carries, in bytes.
pub const MAX_CID_LEN: u32 = 96;
/// Longest model URI, in bytes.
pub const MAX_URI_LEN: u32 = 256;
/// Most URIs a [`ModelSource`] carries.
pub const MAX_URIS: u32 = 4;

/// A binary CIDv1.
pub type ModelCid = BoundedVec<u8, ConstU32<MAX_CID_LEN>>;
/// An `http://`, `https://` or `ipfs://` URI of a model file (UTF-8 bytes).
pub type ModelUri = BoundedVec<u8, ConstU32<MAX_URI_LEN>>;

/// What the chain says of a model's file, for a node that lacks it: where to fetch it and how to
/// know it is the registered file.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ModelSource {
	/// The registered SHA-256 of the file.
	pub sha256: ModelHash,
	/// The registered size of the file in bytes: a download is cut off past it.
	pub size_bytes: u64,
	/// The registered IPFS CID, fetched through the node's gateways as `/ipfs/<cid>`.
	pub cid: Option<ModelCid>,
	/// Registered URIs, tried after the gateways in this order.
	pub uris: BoundedVec<ModelUri, ConstU32<MAX_URIS>>,
	/// The block by which the model is needed (the earliest deadline of the jobs waiting for
	/// it): a fetch still going when the node's chain tip reaches it gives up.
	pub needed_by: Option<u64>,
}

/// Where a model fetch stands, as the node reports it to the offchain worker.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum FetchStatus {
	/// The model is in the store, verified: it can run.
	#[codec(index = 0)]
	Stored,
	/// A download is under way (bytes received so far of the registered size).
	#[codec(index = 1)]
	Fetching {
		/// Bytes received.
		received: u64,
		/// The registered size.
		size: u64,
	},
	/// The last fetch failed; a request after the node's cool-down starts another.
	#[codec(index = 2)]
	Failed(FetchFailure),
	/// This node does not fetch models (`--model-fetch off`, or no fetcher configured).
	#[codec(index = 3)]
	Disabled,
}

/// Why a model fetch failed.
#[derive(
	Clone,
	Copy,
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
pub enum FetchFailure {
	/// There is nowhere to fetch from: no CID with a gateway configured, and no usable URI.
	#[codec(index = 0)]
	NoSource,
	/// No source answered with the file: connection refused or timed out, or an HTTP error.
	#[codec(index = 1)]
	Unreachable,
	/// A source served bytes whose SHA-256 is not the registered hash; none were stored.
	#[codec(index = 2)]
	HashMismatch,
	/// A source served more bytes than the registered size (cut off mid-stream), or the
	/// registered size exceeds the node's model size limit.
	#[codec(index = 3)]
	TooLarge,
	/// A source's stream ended before the registered size.
	#[codec(index = 4)]
	Truncated,
	/// The model store could not be written.
	#[codec(index = 5)]
	StoreUnavailable,
	/// The block the model was needed by came before a source delivered it.
	#[codec(index = 6)]
	DeadlinePassed,
	/// The node fetches as many models at once as it allows; asked again later, it starts.
	#[codec(index = 7)]
	Busy,
}

variant_names!(FetchFailure {
	NoSource,
	Unreachable,
	HashMismatch,
	TooLarge,
	Truncated,
	StoreUnavailable,
	DeadlinePassed,
	Busy,
});

#[cfg(test)]
mod tests {
	use super::*;

	fn tensor(name: &str, values: &[f32]) -> Tensor {
		Tensor::from_f32(name, &[values.len() as u64], values).unwrap()
	}

	#[test]
	fn sets_are_canonical_whatever_the_order() {
		let a = TensorSet::new(vec![tensor("b", &[1.0]), tensor("a", &[2.0])]).unwrap();
		let b = TensorSet::new(vec![tensor("a", &[2.0]), tensor("b", &[1.0])]).unwrap();
		assert_eq!(a, b);
		assert_eq!(a.hash(), b.hash());
		assert_eq!(a.hash(), sp_crypto_hashing::sha2_256(&a.encode()));
		assert_eq!(TensorSet::decode_canonical(&a.encode()).unwrap(), a);
	}

	#[test]
	fn the_hash_of_one_tensor_from_its_parts_is_its_sets_hash() {
		let one = tensor("conv/out:0", &[1.5, -2.0, 0.25]);
		let set = TensorSet::new(vec![one.clone()]).unwrap();
		assert_eq!(
			TensorSet::hash_of_one(&one.name, one.element_type, &one.shape, &one.data),
			set.hash()
		);
	}

	#[test]
	fn malformed_tensors_are_refused() {
		assert_eq!(
			Tensor::new("x", ElementType::F32, &[2], vec![0; 7]),
			Err(InferenceError::MalformedTensor)
		);
		assert_eq!(
			Tensor::new("", ElementType::U8, &[1], vec![0]),
			Err(InferenceError::MalformedTensor)
		);
		assert_eq!(
			Tensor::new("b", ElementType::Bool, &[1], vec![2]),
			Err(InferenceError::MalformedTensor)
		);
		assert_eq!(
			Tensor::new("x", ElementType::U8, &[u64::MAX, 2], vec![]),
			Err(InferenceError::MalformedTensor)
		);
		assert_eq!(
			TensorSet::new(vec![tensor("a", &[1.0]), tensor("a", &[1.0])]),
			Err(InferenceError::MalformedTensor)
		);
	}

	#[test]
	fn non_canonical_encodings_are_refused() {
		let unsorted = TensorSet {
			tensors: vec![tensor("b", &[1.0]), tensor("a", &[2.0])].try_into().unwrap(),
		};
		assert_eq!(
			TensorSet::decode_canonical(&unsorted.encode()),
			Err(InferenceError::MalformedTensor)
		);
		let mut trailing = TensorSet::new(vec![tensor("a", &[1.0])]).unwrap().encode();
		trailing.push(0);
		assert_eq!(TensorSet::decode_canonical(&trailing), Err(InferenceError::MalformedTensor));
		assert_eq!(TensorSet::decode_canonical(&[0xff; 3]), Err(InferenceError::MalformedTensor));
	}

	#[test]
	fn io_specs_check_names_types_and_shapes() {
		let spec = |name: &str, shape: Vec<Dim>| TensorSpec {
			name: name.as_bytes().to_vec().try_into().unwrap(),
			element_type: ElementType::F32,
			shape: shape.try_into().unwrap(),
		};
		let io = ModelIo {
			inputs: vec![spec("x", vec![Dim::Dynamic, Dim::Fixed(2)])].try_into().unwrap(),
			outputs: vec![spec("y", vec![Dim::Dynamic])].try_into().unwrap(),
		};
		let ok = TensorSet::new(vec![Tensor::from_f32("x", &[3, 2], &[0.0; 6]).unwrap()]).unwrap();
		assert_eq!(io.check_inputs(&ok), Ok(()));
		let wrong_shape =
			TensorSet::new(vec![Tensor::from_f32("x", &[2, 3], &[0.0; 6]).unwrap()]).unwrap();
		assert_eq!(io.check_inputs(&wrong_shape), Err(InferenceError::InputShapeMismatch));
		let wrong_type =
			TensorSet::new(vec![Tensor::from_i64("x", &[1, 2], &[0, 0]).unwrap()]).unwrap();
		assert_eq!(io.check_inputs(&wrong_type), Err(InferenceError::InputTypeMismatch));
		let unknown = TensorSet::new(vec![tensor("z", &[0.0])]).unwrap();
		assert_eq!(io.check_inputs(&unknown), Err(InferenceError::UnknownInput));
		let missing = TensorSet::new(vec![]).unwrap();
		assert_eq!(io.check_inputs(&missing), Err(InferenceError::MissingInput));
	}

	#[test]
	fn f16_conversion_is_exact() {
		assert_eq!(f16_to_f64(0x3c00), 1.0);
		assert_eq!(f16_to_f64(0xc000), -2.0);
		assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
		assert_eq!(f16_to_f64(0x7bff), 65504.0);
		assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
		assert!(f16_to_f64(0x7e00).is_nan());
	}

	#[test]
	fn execution_provider_names_round_trip() {
		for provider in ExecutionProvider::ALL {
			assert_eq!(ExecutionProvider::from_name(provider.name()), Some(provider));
		}
		assert_eq!(ExecutionProvider::from_name("CUDA"), Some(ExecutionProvider::Cuda));
		assert_eq!(ExecutionProvider::from_name("tpu"), None);
	}

	#[test]
	fn error_names_are_listed_in_index_order() {
		for (index, error) in InferenceError::ALL.iter().enumerate() {
			assert_eq!(error.encode(), vec![index as u8]);
			assert!(!error.name().is_empty());
		}
	}

	#[test]
	fn fetch_failure_names_are_listed_in_index_order() {
		for (index, failure) in FetchFailure::ALL.iter().enumerate() {
			assert_eq!(failure.encode(), vec![index as u8]);
			assert_eq!(format!("{failure:?}"), failure.name());
		}
	}
}
