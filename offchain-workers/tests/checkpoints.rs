//! Checkpointed runs and segment runs on real models: what audits and dispute bisection rely on.

mod common;

use cairn_inference::{
	checkpoints::{checkpoint_root, first_divergence, MAX_CHECKPOINTS},
	engine::{OrtEngine, SegmentFault},
	host::Engine,
	ElementType, InferenceError, ModelHash, Tensor, TensorSet,
};
use common::*;

/// A deterministic input for a light model's `[1, 3, 224, 224]` image input.
fn image(name: &str) -> TensorSet {
	let values: Vec<f32> =
		(0..3 * 224 * 224).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
	TensorSet::new(vec![Tensor::from_f32(name, &[1, 3, 224, 224], &values).unwrap()]).unwrap()
}

/// The light models of the test engine, with their input.
fn light_models(test: &TestEngine) -> [(&'static str, ModelHash, TensorSet); 2] {
	[
		("light_squeezenet", test.squeezenet, image("data_0")),
		("light_resnet50", test.resnet50, image("gpu_0/data_0")),
	]
}

/// Every segment run alone, each on the checkpoint before it, reproduces the leaf of the
/// checkpointed run: the referee of a dispute computes what an honest provider committed to.
fn assert_segments_reproduce(engine: &OrtEngine, model: &ModelHash, input: &TensorSet) {
	let run = engine.run_checkpointed(model, input, None).unwrap();
	for (segment, leaf) in run.leaves.iter().enumerate() {
		let from = match segment {
			0 => input.clone(),
			_ => engine.checkpoint(model, input, segment as u32 - 1, None).unwrap(),
		};
		let alone = engine.run_segment(model, segment as u32, &from, None).unwrap();
		assert_eq!(&alone.output_hash, leaf, "segment {segment}");
	}
}

#[test]
fn light_models_commit_to_their_checkpoints() {
	let test = test_engine(|_| {});
	for (name, model, input) in light_models(&test) {
		let plain = test.engine.run(&model, &input).unwrap();
		let run = test.engine.run_checkpointed(&model, &input, None).unwrap();
		let segments = test.engine.segments(&model).unwrap();
		assert!(segments > 4 && segments <= MAX_CHECKPOINTS + 1, "{name}: {segments} segments");
		assert_eq!(run.leaves.len() as u32, segments, "{name}");
		// Running segment by segment changes nothing in the result (on these models: a segment
		// boundary may in general change the rounding of fused operators across it).
		assert_eq!(run.output.output_hash, plain.output_hash, "{name}");
		assert_eq!(run.leaves.last(), Some(&plain.output_hash), "{name}");
		// Each leaf hashed in place is the hash of the checkpoint's tensor copied out.
		for (index, leaf) in run.leaves[..run.leaves.len() - 1].iter().enumerate() {
			let checkpoint = test.engine.checkpoint(&model, &input, index as u32, None).unwrap();
			assert_eq!(checkpoint.tensors.len(), 1);
			assert_eq!(checkpoint.tensors[0].element_type, ElementType::F32);
			assert_eq!(&checkpoint.hash(), leaf, "{name} checkpoint {index}");
		}
		assert_eq!(
			test.engine.checkpoint(&model, &input, segments - 1, None),
			Err(InferenceError::NoSuchSegment)
		);
		// Equal runs, equal roots.
		let again = test.engine.run_checkpointed(&model, &input, None).unwrap();
		assert_eq!(checkpoint_root(&again.leaves), checkpoint_root(&run.leaves), "{name}");
	}
}

#[test]
fn every_segment_alone_reproduces_its_leaf() {
	let test = test_engine(|_| {});
	for (_, model, input) in light_models(&test) {
		assert_segments_reproduce(&test.engine, &model, &input);
	}
	assert_segments_reproduce(&test.engine, &test.tiny, &tiny_input(3));
}

#[test]
fn honest_engines_with_different_thread_counts_commit_alike() {
	let two = test_engine(|config| config.intra_threads = 2);
	let one = test_engine(|config| config.intra_threads = 1);
	for ((name, model, input), (_, other, _)) in
		light_models(&two).into_iter().zip(light_models(&one))
	{
		assert_eq!(model, other);
		let a = two.engine.run_checkpointed(&model, &input, None).unwrap();
		let b = one.engine.run_checkpointed(&model, &input, None).unwrap();
		assert_eq!(first_divergence(&a.leaves, &b.leaves), None, "{name}");
		assert_eq!(checkpoint_root(&a.leaves), checkpoint_root(&b.leaves), "{name}");
	}
}

#[test]
fn a_corrupted_operator_is_found_by_bisection_and_only_its_segment_rerun() {
	let honest = test_engine(|_| {});
	let (_, model, input) = light_models(&honest).into_iter().nth(1).unwrap();
	let segments = honest.engine.segments(&model).unwrap();
	let faulty_segment = segments / 2;
	let cheat = test_engine(|config| config.fault = Some(SegmentFault { segment: faulty_segment }));

	let truth = honest.engine.run_checkpointed(&model, &input, None).unwrap();
	let claim = cheat.engine.run_checkpointed(&model, &input, None).unwrap();
	assert_ne!(checkpoint_root(&claim.leaves), checkpoint_root(&truth.leaves));
	// Every leaf before the corrupted segment agrees; every one from it on differs.
	let diverging = first_divergence(&claim.leaves, &truth.leaves).unwrap();
	assert_eq!(diverging, faulty_segment);

	// The referee: a third engine runs the diverging segment alone, on the last agreed
	// checkpoint, and sides with the honest party.
	let referee = test_engine(|_| {});
	let agreed = honest.engine.checkpoint(&model, &input, diverging - 1, None).unwrap();
	assert_eq!(agreed, cheat.engine.checkpoint(&model, &input, diverging - 1, None).unwrap());
	assert_eq!(agreed.hash(), claim.leaves[diverging as usize - 1]);
	let verdict = referee.engine.run_segment(&model, diverging, &agreed, None).unwrap();
	assert_eq!(verdict.output_hash, truth.leaves[diverging as usize]);
	assert_ne!(verdict.output_hash, claim.leaves[diverging as usize]);
	assert_eq!(referee.engine.segment_runs(), vec![(model, diverging)]);
}

#[test]
fn bad_segment_requests_are_named_errors() {
	let test = test_engine(|_| {});
	let (_, model, input) = light_models(&test).into_iter().next().unwrap();
	let segments = test.engine.segments(&model).unwrap();
	let first = test.engine.checkpoint(&model, &input, 0, None).unwrap();
	let no_such = Err(InferenceError::NoSuchSegment);
	// Past the last segment.
	assert_eq!(test.engine.run_segment(&model, segments, &first, None), no_such);
	// A checkpoint tensor that is not the one the segment starts from.
	assert_eq!(test.engine.run_segment(&model, 2, &first, None), no_such);
	// The model's input given to a later segment.
	assert_eq!(test.engine.run_segment(&model, 1, &input, None), no_such);
	// The right name with an element type no operator takes: ONNX Runtime refuses the segment,
	// nothing panics.
	let checkpoint = &first.tensors[0];
	let wrong = Tensor::new(checkpoint.name_str().unwrap(), ElementType::Bool, &[1, 1], vec![0; 1])
		.unwrap();
	let wrong = TensorSet::new(vec![wrong]).unwrap();
	assert!(test.engine.run_segment(&model, 1, &wrong, None).is_err());
	// A model not in the store.
	assert_eq!(
		test.engine.run_segment(&[7; 32], 0, &input, None),
		Err(InferenceError::UnknownModel)
	);
	assert!(test.engine.segment_runs().is_empty());
	// The engine still runs.
	assert!(test.engine.run(&model, &input).is_ok());
}
