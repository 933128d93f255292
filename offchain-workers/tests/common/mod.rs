//! Shared helpers of the integration tests: the ONNX Runtime library and test models fetched by
//! `scripts/fetch-onnxruntime.sh`, the committed tiny model, and the light models' reference data.

#![allow(dead_code)]

use cairn_inference::{
	engine::{EngineConfig, Limits, OrtEngine},
	ModelHash, Tensor, TensorSet,
};
use std::path::PathBuf;

/// The committed tiny model: y = x · W + b (see `models/make_tiny_model.py`).
pub const TINY_MODEL: &[u8] = include_bytes!("../../models/tiny_affine.onnx");

/// SHA-256 of [`TINY_MODEL`], pinned.
pub const TINY_MODEL_HASH: &str =
	"a1fcf26e0649641aa3884cf1f79cdf775d87b7f23c8647afb01f0eab09217161";

fn cache_dir() -> PathBuf {
	std::env::var_os("CAIRN_CACHE").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/cairn")
	})
}

fn fetched(env: &str, default: PathBuf) -> PathBuf {
	let path = std::env::var_os(env).map(PathBuf::from).unwrap_or(default);
	assert!(
		path.exists(),
		"{} not found: run scripts/fetch-onnxruntime.sh (or set {env})",
		path.display()
	);
	path
}

/// The ONNX Runtime library: `ORT_DYLIB_PATH`, else the fetch script's cache.
pub fn library() -> PathBuf {
	fetched("ORT_DYLIB_PATH", cache_dir().join("onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1"))
}

/// The `onnx` wheel's light models: `CAIRN_TEST_MODELS`, else the fetch script's cache.
pub fn models_dir() -> PathBuf {
	fetched("CAIRN_TEST_MODELS", cache_dir().join("onnx-models/1.23.2"))
}

/// Bytes of a light model (`light_squeezenet`, `light_resnet50`, ...).
pub fn light_model(name: &str) -> Vec<u8> {
	std::fs::read(models_dir().join(format!("{name}.onnx"))).expect("light model readable")
}

/// An engine on a fresh temporary store holding the tiny, squeezenet and resnet50 models.
pub struct TestEngine {
	pub engine: OrtEngine,
	pub tiny: ModelHash,
	pub squeezenet: ModelHash,
	pub resnet50: ModelHash,
	_dir: tempfile::TempDir,
}

/// Builds a [`TestEngine`], letting the caller adjust the configuration.
pub fn test_engine(adjust: impl FnOnce(&mut EngineConfig)) -> TestEngine {
	let dir = tempfile::tempdir().unwrap();
	let mut config = EngineConfig::new(Some(library()), dir.path().join("models"));
	config.intra_threads = 2;
	config.limits = Limits::default();
	adjust(&mut config);
	let engine = OrtEngine::new(config).unwrap();
	assert_eq!(engine.unavailable_reason(), None, "ONNX Runtime should load");
	let store = engine.store();
	let tiny = store.import_bytes(TINY_MODEL).unwrap();
	let squeezenet = store.import_bytes(&light_model("light_squeezenet")).unwrap();
	let resnet50 = store.import_bytes(&light_model("light_resnet50")).unwrap();
	TestEngine { engine, tiny, squeezenet, resnet50, _dir: dir }
}

/// A tiny-model input of `rows` rows `[1, 2, 3, 4] * (row + 1)`.
pub fn tiny_input(rows: u64) -> TensorSet {
	let values: Vec<f32> =
		(0..rows).flat_map(|row| [1.0, 2.0, 3.0, 4.0].map(|v| v * (row + 1) as f32)).collect();
	TensorSet::new(vec![Tensor::from_f32("x", &[rows, 4], &values).unwrap()]).unwrap()
}

/// The input the onnx backend tests feed the light models: `arange(n) / n` in float32.
pub fn light_input(name: &str, shape: &[u64]) -> TensorSet {
	let count: u64 = shape.iter().product();
	let values: Vec<f32> = (0..count).map(|i| (i as f64 / count as f64) as f32).collect();
	TensorSet::new(vec![Tensor::from_f32(name, shape, &values).unwrap()]).unwrap()
}

/// The subset of ONNX's `TensorProto` the reference outputs use.
#[derive(Clone, PartialEq, prost::Message)]
struct TensorProto {
	#[prost(int64, repeated, tag = "1")]
	dims: Vec<i64>,
	#[prost(int32, tag = "2")]
	data_type: i32,
	#[prost(float, repeated, tag = "4")]
	float_data: Vec<f32>,
	#[prost(bytes = "vec", tag = "9")]
	raw_data: Vec<u8>,
}

/// A light model's reference output (`<model>_output_0.pb`) as a tensor set named `output`.
pub fn reference_output(model: &str, output: &str) -> TensorSet {
	let bytes = std::fs::read(models_dir().join(format!("{model}_output_0.pb"))).unwrap();
	let proto = <TensorProto as prost::Message>::decode(bytes.as_slice()).unwrap();
	assert_eq!(proto.data_type, 1, "reference outputs are float32");
	let dims: Vec<u64> = proto.dims.iter().map(|d| *d as u64).collect();
	let data = if proto.raw_data.is_empty() {
		proto.float_data.iter().flat_map(|v| v.to_le_bytes()).collect()
	} else {
		proto.raw_data
	};
	TensorSet::new(vec![
		Tensor::new(output, cairn_inference::ElementType::F32, &dims, data).unwrap()
	])
	.unwrap()
}
