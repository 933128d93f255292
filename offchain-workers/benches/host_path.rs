//! The host-function path against raw `ort`, on the same model, input and thread count.
//!
//! - `raw_ort`: a session built directly with `ort`; each iteration builds the input tensor from
//!   a `Vec<f32>`, runs, and reads the output slice.
//! - `host_path`: what an offchain worker pays: SCALE-encode the tensor set, call the `inference::run`
//!   host function (decode, validate, hash the input, check it against the model's io spec, run,
//!   copy and hash the outputs), then SCALE-encode and decode the result as the Wasm boundary does.
//!
//! Needs `scripts/fetch-onnxruntime.sh`. `scripts/bench-inference.sh` runs this and writes the
//! ratios to `docs/bench/inference.md`.

use cairn_inference::{
	engine::{EngineConfig, OrtEngine},
	host::{Engine, InferenceExt},
	inference, InferenceOutput, Tensor, TensorSet,
};
use codec::{Decode, Encode};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ort::{session::Session, value::Tensor as OrtTensor};
use std::{path::PathBuf, sync::Arc, time::Duration};

/// Threads for both paths.
const THREADS: usize = 2;

fn cache(relative: &str, env: &str) -> PathBuf {
	let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
			.join(".cache/cairn")
			.join(relative)
	});
	assert!(path.exists(), "{} missing: run scripts/fetch-onnxruntime.sh", path.display());
	path
}

struct Case {
	name: &'static str,
	bytes: Vec<u8>,
	input: &'static str,
	output: &'static str,
	shape: Vec<u64>,
	values: Vec<f32>,
}

fn cases() -> Vec<Case> {
	let models = cache("onnx-models/1.23.2", "CAIRN_TEST_MODELS");
	let light = |name: &'static str, input, output| {
		let shape = vec![1u64, 3, 224, 224];
		let count: u64 = shape.iter().product();
		Case {
			name,
			bytes: std::fs::read(models.join(format!("{name}.onnx"))).unwrap(),
			input,
			output,
			values: (0..count).map(|i| (i as f64 / count as f64) as f32).collect(),
			shape,
		}
	};
	vec![
		Case {
			name: "tiny_affine",
			bytes: include_bytes!("../models/tiny_affine.onnx").to_vec(),
			input: "x",
			output: "y",
			shape: vec![1, 4],
			values: vec![1.0, 2.0, 3.0, 4.0],
		},
		light("light_squeezenet", "data_0", "softmaxout_1"),
		light("light_resnet50", "gpu_0/data_0", "gpu_0/softmax_1"),
	]
}

fn host_path(c: &mut Criterion) {
	let library = cache("onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1", "ORT_DYLIB_PATH");
	let store = tempfile::tempdir().unwrap();
	let mut config = EngineConfig::new(Some(library), store.path().to_path_buf());
	config.intra_threads = THREADS;
	let engine = OrtEngine::new(config).unwrap();
	assert_eq!(engine.unavailable_reason(), None);
	// The raw sessions share the engine's ONNX Runtime environment (one per process).
	let environment = engine.environment().expect("ONNX Runtime loaded").clone();
	let engine: Arc<dyn Engine> = Arc::new(engine);

	for case in cases() {
		let mut group = c.benchmark_group(case.name);
		if case.name != "tiny_affine" {
			group.sample_size(20).measurement_time(Duration::from_secs(8));
		}

		let mut session = Session::builder(&environment)
			.unwrap()
			.with_optimization_level(ort::session::builder::GraphOptimizationLevel::Level3)
			.unwrap()
			.with_intra_threads(THREADS)
			.unwrap()
			.with_intra_op_spinning(false)
			.unwrap()
			.commit_from_memory(&case.bytes)
			.unwrap();
		let shape: Vec<usize> = case.shape.iter().map(|d| *d as usize).collect();
		group.bench_function(BenchmarkId::new("raw_ort", case.name), |b| {
			b.iter(|| {
				let input = OrtTensor::from_array((shape.clone(), case.values.clone())).unwrap();
				let outputs = session.run(ort::inputs![case.input => input]).unwrap();
				let (_, values) = outputs[case.output].try_extract_tensor::<f32>().unwrap();
				values.len()
			})
		});

		let model = cairn_inference::store::ModelStore::open(store.path())
			.unwrap()
			.import_bytes(&case.bytes)
			.unwrap();
		let mut ext = sp_io::TestExternalities::default();
		ext.register_extension(InferenceExt::new(engine.clone()));
		group.bench_function(BenchmarkId::new("host_path", case.name), |b| {
			ext.execute_with(|| {
				b.iter(|| {
					let input = TensorSet::new(vec![Tensor::from_f32(
						case.input,
						&case.shape,
						&case.values,
					)
					.unwrap()])
					.unwrap();
					let result = inference::run(model, &input.encode());
					let returned = result.encode();
					let decoded =
						Result::<InferenceOutput, cairn_inference::InferenceError>::decode(
							&mut &returned[..],
						)
						.unwrap()
						.unwrap();
					decoded.outputs.tensors.len()
				})
			})
		});
		group.finish();
	}
}

criterion_group!(benches, host_path);
criterion_main!(benches);
