//! The native engine and the host functions against real ONNX Runtime and real models.

mod common;

use cairn_inference::{
	engine::OrtEngine,
	host::{Engine, InferenceExt},
	inference,
	metrics::Metrics,
	outputs_agree, ElementType, ExecutionProvider, InferenceError, Tensor, TensorSet, Tolerance,
};
use codec::Encode;
use common::*;
use std::{sync::Arc, time::Duration};

/// The onnx backend tests' tolerance for these models (rtol 1e-3, atol 1e-7), loosened to 1e-6
/// absolute for the softmax outputs near zero.
const REFERENCE_TOLERANCE: Tolerance = Tolerance { absolute_nano: 1_000, relative_nano: 1_000_000 };

fn f32_values(tensor: &Tensor) -> Vec<f32> {
	tensor.data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn tiny_model_outputs_are_exact_and_hashed() {
	let test = test_engine(|_| {});
	assert_eq!(hex(&test.tiny), TINY_MODEL_HASH);
	let input = tiny_input(2);
	let output = test.engine.run(&test.tiny, &input).unwrap();
	let y = output.outputs.get("y").unwrap();
	assert_eq!(y.element_type, ElementType::F32);
	assert_eq!(y.shape.to_vec(), vec![2, 3]);
	assert_eq!(f32_values(y), vec![27.0, -7.5, 11.5, 53.0, -15.5, 23.0]);
	assert_eq!(output.output_hash, output.outputs.hash());
	assert_eq!(output.execution_provider, ExecutionProvider::Cpu);
	assert_eq!(output.runtime_version.to_vec(), b"1.31.1".to_vec());
}

#[test]
fn the_same_input_gives_the_same_output_hash_across_runs_and_engines() {
	let first = test_engine(|_| {});
	let second = test_engine(|config| config.intra_threads = 1);
	for model in ["tiny", "squeezenet"] {
		let (a, b, input) = match model {
			"tiny" => (first.tiny, second.tiny, tiny_input(3)),
			_ => (first.squeezenet, second.squeezenet, light_input("data_0", &[1, 3, 224, 224])),
		};
		let one = first.engine.run(&a, &input).unwrap();
		let two = first.engine.run(&a, &input).unwrap();
		let three = second.engine.run(&b, &input).unwrap();
		assert_eq!(one.output_hash, two.output_hash, "{model}: same engine");
		assert_eq!(one.output_hash, three.output_hash, "{model}: fresh engine and session");
		assert_eq!(one.outputs, three.outputs);
	}
}

#[test]
fn light_models_match_their_reference_outputs() {
	let test = test_engine(|_| {});
	for (model, hash, input, output) in [
		("light_squeezenet", test.squeezenet, "data_0", "softmaxout_1"),
		("light_resnet50", test.resnet50, "gpu_0/data_0", "gpu_0/softmax_1"),
	] {
		let result = test.engine.run(&hash, &light_input(input, &[1, 3, 224, 224])).unwrap();
		let reference = reference_output(model, output);
		assert_eq!(
			outputs_agree(&result.outputs, &reference, &REFERENCE_TOLERANCE),
			Ok(()),
			"{model} differs from its reference output"
		);
		// A softmax over 1000 classes: the values sum to one.
		let sum: f32 = f32_values(result.outputs.get(output).unwrap()).iter().sum();
		assert!((sum - 1.0).abs() < 1e-3, "{model}: softmax sums to {sum}");
	}
}

#[test]
fn cuda_requested_without_a_gpu_falls_back_to_cpu_and_says_so() {
	let test = test_engine(|config| {
		config.execution_providers = vec![ExecutionProvider::Cuda, ExecutionProvider::Cpu]
	});
	let output = test.engine.run(&test.tiny, &tiny_input(1)).unwrap();
	assert_eq!(output.execution_provider, ExecutionProvider::Cpu);
	assert_eq!(
		test.engine.capabilities().execution_providers.to_vec(),
		vec![ExecutionProvider::Cpu]
	);

	let cuda_only =
		test_engine(|config| config.execution_providers = vec![ExecutionProvider::Cuda]);
	let output = cuda_only.engine.run(&cuda_only.tiny, &tiny_input(1)).unwrap();
	assert_eq!(output.execution_provider, ExecutionProvider::Cpu);
}

#[test]
fn a_run_on_a_named_provider_never_falls_back() {
	let test = test_engine(|config| {
		config.execution_providers = vec![ExecutionProvider::Cuda, ExecutionProvider::Cpu]
	});
	let input = tiny_input(1);
	// No GPU here: CUDA by name is refused, CPU by name runs, and agrees with the preferred run.
	assert_eq!(
		test.engine.run_on(&test.tiny, &input, ExecutionProvider::Cuda),
		Err(InferenceError::ExecutionProviderUnavailable)
	);
	assert_eq!(
		test.engine.run_on(&test.tiny, &input, ExecutionProvider::OpenVino),
		Err(InferenceError::ExecutionProviderUnavailable)
	);
	let on_cpu = test.engine.run_on(&test.tiny, &input, ExecutionProvider::Cpu).unwrap();
	assert_eq!(on_cpu.execution_provider, ExecutionProvider::Cpu);
	assert_eq!(on_cpu.output_hash, test.engine.run(&test.tiny, &input).unwrap().output_hash);
	// Errors of the model or the input come before the provider's.
	assert_eq!(
		test.engine.run_on(&[9; 32], &input, ExecutionProvider::Cpu),
		Err(InferenceError::UnknownModel)
	);
	let mut ext = sp_io::TestExternalities::default();
	let engine: Arc<dyn Engine> = Arc::new(test.engine);
	ext.register_extension(InferenceExt::new(engine));
	ext.execute_with(|| {
		let output =
			cairn_inference::run_model_on(&test.tiny, &input, ExecutionProvider::Cpu).unwrap();
		assert_eq!(output.output_hash, on_cpu.output_hash);
		assert_eq!(
			cairn_inference::run_model_on(&test.tiny, &input, ExecutionProvider::Cuda),
			Err(InferenceError::ExecutionProviderUnavailable)
		);
	});
}

#[test]
fn capabilities_report_the_runtime_and_the_store() {
	let test = test_engine(|_| {});
	let capabilities = test.engine.capabilities();
	assert!(capabilities.available);
	assert_eq!(capabilities.runtime_version.to_vec(), b"1.31.1".to_vec());
	let mut expected = vec![test.tiny, test.squeezenet, test.resnet50];
	expected.sort();
	assert_eq!(capabilities.models.to_vec(), expected);
	assert!(test.engine.has_model(&test.tiny));
	assert!(!test.engine.has_model(&[0; 32]));
}

#[test]
fn bad_models_are_refused_with_named_errors() {
	let test = test_engine(|_| {});
	let store = test.engine.store();

	let corrupt = store.import_bytes(b"\x08\x07garbage that is not a model").unwrap();
	assert_eq!(test.engine.run(&corrupt, &tiny_input(1)), Err(InferenceError::InvalidModel));

	let squeezenet = light_model("light_squeezenet");
	let truncated = store.import_bytes(&squeezenet[..squeezenet.len() / 2]).unwrap();
	assert_eq!(test.engine.run(&truncated, &tiny_input(1)), Err(InferenceError::InvalidModel));

	// A file whose content does not match its name is never loaded.
	let claimed = sp_crypto_hashing_sha256(b"the model the chain registered");
	std::fs::write(store.path_of(&claimed), TINY_MODEL).unwrap();
	assert_eq!(test.engine.run(&claimed, &tiny_input(1)), Err(InferenceError::ModelHashMismatch));

	assert_eq!(test.engine.run(&[9; 32], &tiny_input(1)), Err(InferenceError::UnknownModel));

	let small = test_engine(|config| config.limits.max_model_bytes = 100);
	assert_eq!(small.engine.run(&small.tiny, &tiny_input(1)), Err(InferenceError::ModelTooLarge));

	// The engine keeps working after every refusal.
	assert!(test.engine.run(&test.tiny, &tiny_input(1)).is_ok());
}

#[test]
fn bad_inputs_are_refused_with_named_errors() {
	let test = test_engine(|_| {});
	let run = |input: TensorSet| test.engine.run(&test.tiny, &input);
	let set = |tensor: Tensor| TensorSet::new(vec![tensor]).unwrap();

	assert_eq!(
		run(set(Tensor::from_f32("z", &[1, 4], &[0.0; 4]).unwrap())),
		Err(InferenceError::UnknownInput)
	);
	assert_eq!(run(TensorSet::new(vec![]).unwrap()), Err(InferenceError::MissingInput));
	assert_eq!(
		run(set(Tensor::from_i64("x", &[1, 4], &[1, 2, 3, 4]).unwrap())),
		Err(InferenceError::InputTypeMismatch)
	);
	assert_eq!(
		run(set(Tensor::from_f32("x", &[1, 5], &[0.0; 5]).unwrap())),
		Err(InferenceError::InputShapeMismatch)
	);
	assert_eq!(
		run(set(Tensor::from_f32("x", &[4], &[0.0; 4]).unwrap())),
		Err(InferenceError::InputShapeMismatch)
	);
	let unsorted = TensorSet {
		tensors: vec![
			Tensor::from_f32("x", &[1, 4], &[0.0; 4]).unwrap(),
			Tensor::from_f32("a", &[1], &[0.0]).unwrap(),
		]
		.try_into()
		.unwrap(),
	};
	assert_eq!(run(unsorted), Err(InferenceError::MalformedTensor));

	let tight = test_engine(|config| config.limits.max_input_bytes = 16);
	assert_eq!(tight.engine.run(&tight.tiny, &tiny_input(1)).map(|_| ()), Ok(()));
	assert_eq!(tight.engine.run(&tight.tiny, &tiny_input(2)), Err(InferenceError::InputTooLarge));

	let narrow = test_engine(|config| config.limits.max_output_bytes = 12);
	assert!(narrow.engine.run(&narrow.tiny, &tiny_input(1)).is_ok());
	assert_eq!(
		narrow.engine.run(&narrow.tiny, &tiny_input(2)),
		Err(InferenceError::OutputTooLarge)
	);

	assert!(test.engine.run(&test.tiny, &tiny_input(1)).is_ok());
}

#[test]
fn a_run_over_its_time_limit_is_terminated() {
	let test = test_engine(|config| {
		config.intra_threads = 1;
		config.limits.max_run_time = Duration::from_millis(1);
	});
	let input = light_input("gpu_0/data_0", &[1, 3, 224, 224]);
	assert_eq!(test.engine.run(&test.resnet50, &input), Err(InferenceError::TimedOut));
	// The session survives termination and serves the next (quick) model.
	assert!(test.engine.run(&test.tiny, &tiny_input(1)).is_ok());
}

#[test]
fn the_session_cache_stays_within_its_budget() {
	let tiny = TINY_MODEL.len() as u64;
	let test = test_engine(|config| config.session_cache_bytes = tiny + 1);
	let squeezenet_input = light_input("data_0", &[1, 3, 224, 224]);
	let first = test.engine.run(&test.squeezenet, &squeezenet_input).unwrap();
	assert_eq!(test.engine.cached_models(), vec![test.squeezenet]);
	test.engine.run(&test.tiny, &tiny_input(1)).unwrap();
	assert_eq!(test.engine.cached_models(), vec![test.tiny]);
	// Evicted sessions are reloaded (and re-verified) on demand, with the same result.
	let again = test.engine.run(&test.squeezenet, &squeezenet_input).unwrap();
	assert_eq!(first.output_hash, again.output_hash);
}

#[test]
fn host_functions_run_through_the_registered_extension() {
	let test = test_engine(|_| {});
	let engine: Arc<dyn Engine> = Arc::new(test.engine);
	let mut ext = sp_io::TestExternalities::default();
	ext.register_extension(InferenceExt::new(engine.clone()));
	let input = tiny_input(1);
	let direct = engine.run(&test.tiny, &input).unwrap();
	ext.execute_with(|| {
		let output = cairn_inference::run_model(&test.tiny, &input).unwrap();
		assert_eq!(output.output_hash, direct.output_hash);
		assert_eq!(output.outputs, direct.outputs);
		assert!(inference::has_model(test.tiny).unwrap());
		assert!(!inference::has_model([3; 32]).unwrap());
		assert!(inference::capabilities().unwrap().available);
		assert_eq!(inference::run(test.tiny, &[1, 2, 3]), Err(InferenceError::MalformedTensor));
		assert_eq!(inference::run([3; 32], &input.encode()), Err(InferenceError::UnknownModel));
	});
}

#[test]
fn host_functions_without_the_extension_return_an_error() {
	let mut ext = sp_io::TestExternalities::default();
	ext.execute_with(|| {
		assert_eq!(
			cairn_inference::run_model(&[1; 32], &tiny_input(1)),
			Err(InferenceError::NoInferenceContext)
		);
		assert_eq!(inference::capabilities(), Err(InferenceError::NoInferenceContext));
		assert_eq!(inference::has_model([1; 32]), Err(InferenceError::NoInferenceContext));
	});
}

#[test]
fn metrics_count_runs_and_failures() {
	let registry = substrate_prometheus_endpoint::Registry::new();
	let metrics = Metrics::register(&registry).unwrap();
	let test = test_engine(|_| {});
	let engine: OrtEngine = test.engine.with_metrics(metrics);
	engine.run(&test.tiny, &tiny_input(1)).unwrap();
	engine.run(&test.tiny, &tiny_input(1)).unwrap();
	assert!(engine.run(&[5; 32], &tiny_input(1)).is_err());
	let families = registry.gather();
	let value = |name: &str, label: &str| -> f64 {
		families
			.iter()
			.find(|family| family.get_name() == name)
			.and_then(|family| {
				family
					.get_metric()
					.iter()
					.find(|m| m.get_label().iter().any(|l| l.get_value() == label))
			})
			.map(|metric| {
				if name.ends_with("_total") {
					metric.get_counter().get_value()
				} else {
					metric.get_histogram().get_sample_count() as f64
				}
			})
			.unwrap_or_default()
	};
	assert_eq!(value("cairn_inference_runs_total", "cpu"), 2.0);
	assert_eq!(value("cairn_inference_run_seconds", "cpu"), 2.0);
	assert_eq!(value("cairn_inference_failures_total", "UnknownModel"), 1.0);
}

fn hex(hash: &[u8; 32]) -> String {
	cairn_inference::store::to_hex(hash)
}

fn sp_crypto_hashing_sha256(bytes: &[u8]) -> [u8; 32] {
	cairn_inference::store::sha256(bytes)
}
