//! What verification costs the engine, on the light models: a plain run, the checkpointed run a
//! receipt commits with (segment by segment, each checkpoint hashed in place) and each segment
//! run alone (what a dispute's referee re-executes), for several checkpoint counts.
//!
//! Needs `scripts/fetch-onnxruntime.sh`. `scripts/bench-verification.sh` runs this and writes
//! `docs/bench/verification.md`.

use cairn_inference::{
	checkpoints::CHECKPOINTS,
	engine::{EngineConfig, OrtEngine},
	host::Engine,
	Tensor, TensorSet,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::{path::PathBuf, time::Duration};

/// Intra-op threads, as in the host-path benchmark.
const THREADS: usize = 2;

/// Checkpoint counts compared: fewer, cheaper commitments against longer dispute segments.
const CHECKPOINT_COUNTS: [u32; 3] = [CHECKPOINTS, 8, 16];

fn cache(relative: &str, env: &str) -> PathBuf {
	let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
			.join(".cache/cairn")
			.join(relative)
	});
	assert!(path.exists(), "{} missing: run scripts/fetch-onnxruntime.sh", path.display());
	path
}

fn verification(c: &mut Criterion) {
	let library = cache("onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1", "ORT_DYLIB_PATH");
	let models = cache("onnx-models/1.23.2", "CAIRN_TEST_MODELS");
	// One engine per checkpoint count, each with its own store.
	let engines: Vec<(u32, tempfile::TempDir, OrtEngine)> = CHECKPOINT_COUNTS
		.iter()
		.map(|&count| {
			let store = tempfile::tempdir().unwrap();
			let mut config = EngineConfig::new(Some(library.clone()), store.path().to_path_buf());
			config.intra_threads = THREADS;
			config.checkpoints = count;
			let engine = OrtEngine::new(config).unwrap();
			assert_eq!(engine.unavailable_reason(), None);
			(count, store, engine)
		})
		.collect();

	for (name, input) in [("light_squeezenet", "data_0"), ("light_resnet50", "gpu_0/data_0")] {
		let bytes = std::fs::read(models.join(format!("{name}.onnx"))).unwrap();
		let shape = [1u64, 3, 224, 224];
		let count: u64 = shape.iter().product();
		let values: Vec<f32> = (0..count).map(|i| (i as f64 / count as f64) as f32).collect();
		let input =
			TensorSet::new(vec![Tensor::from_f32(input, &shape, &values).unwrap()]).unwrap();

		let mut group = c.benchmark_group(name);
		for (checkpoints, _, engine) in &engines {
			let model = engine.store().import_bytes(&bytes).unwrap();
			if *checkpoints == CHECKPOINTS {
				group.bench_function(BenchmarkId::new("plain", name), |b| {
					b.iter(|| engine.run(&model, &input).unwrap().output_hash)
				});
			}
			group.bench_function(BenchmarkId::new("checkpointed", checkpoints), |b| {
				b.iter(|| engine.run_checkpointed(&model, &input, None).unwrap().leaves.len())
			});
			for segment in 0..engine.segments(&model).unwrap() {
				let from = match segment {
					0 => input.clone(),
					_ => engine.checkpoint(&model, &input, segment - 1, None).unwrap(),
				};
				let id = BenchmarkId::new(format!("segment-{checkpoints}"), segment);
				group.bench_function(id, |b| {
					b.iter(|| engine.run_segment(&model, segment, &from, None).unwrap().output_hash)
				});
			}
		}
		group.finish();
	}
}

criterion_group! {
	name = benches;
	// Defaults that command-line flags (`--measurement-time`, `--warm-up-time`, `--sample-size`)
	// override, as `scripts/bench-verification.sh --quick` does.
	config = Criterion::default()
		.sample_size(10)
		.warm_up_time(Duration::from_secs(1))
		.measurement_time(Duration::from_secs(3));
	targets = verification
}
criterion_main!(benches);
