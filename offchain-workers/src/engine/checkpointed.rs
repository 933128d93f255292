//! Checkpointed runs: a model run segment by segment with every checkpoint hashed, a run up to
//! one checkpoint, one segment run alone; and the deliberate faults tests of verification use.

use super::*;

/// What a checkpointed run produced: the whole run, or the checkpoint it was asked to stop at.
pub(super) enum Checkpointed {
	/// Every segment ran.
	Run(CheckpointedOutput),
	/// The run stopped after the segment whose output this is.
	Checkpoint(Tensor),
}

impl OrtEngine {
	/// Runs a model and commits to its checkpoints: segment by segment (see [`OPTIMIZATION`]),
	/// each segment reading the checkpoint the one before it left in ONNX Runtime's buffer, and
	/// each checkpoint hashed there. A model without checkpoints is one segment: its only leaf
	/// is the output hash. With a [`SegmentFault`] configured, one segment's output is corrupted
	/// before the next reads it.
	///
	/// # Errors
	/// As [`Engine::run_on`] (or [`Engine::run`] when `required` is `None`).
	pub fn run_checkpointed(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		required: Option<ExecutionProvider>,
	) -> Result<CheckpointedOutput, InferenceError> {
		let result = match self.checkpointed(model, input, required, None) {
			Ok(Checkpointed::Run(run)) => Ok(run),
			// Only a run asked to stop at a checkpoint stops at one.
			Ok(Checkpointed::Checkpoint(_)) => Err(InferenceError::ExecutionFailed),
			Err(error) => Err(error),
		};
		self.record(model, result.as_ref().map(|run| &run.output));
		result
	}

	/// The tensor of checkpoint `index` (the output of segment `index`, the input of segment
	/// `index + 1`) of a checkpointed run, as a one-tensor set: what a dispute's party reveals
	/// for the referee. Runs the model again up to that checkpoint: runs are deterministic, so
	/// providers keep only hashes.
	///
	/// # Errors
	/// [`InferenceError::NoSuchSegment`] when the model has no such checkpoint; otherwise as
	/// [`OrtEngine::run_checkpointed`].
	pub fn checkpoint(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		index: u32,
		required: Option<ExecutionProvider>,
	) -> Result<TensorSet, InferenceError> {
		if index + 1 >= self.segments(model)? {
			return Err(InferenceError::NoSuchSegment);
		}
		match self.checkpointed(model, input, required, Some(index))? {
			Checkpointed::Checkpoint(tensor) => TensorSet::new(vec![tensor]),
			Checkpointed::Run(_) => Err(InferenceError::NoSuchSegment),
		}
	}

	pub(super) fn checkpointed(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		required: Option<ExecutionProvider>,
		until: Option<u32>,
	) -> Result<Checkpointed, InferenceError> {
		let runtime = self.runtime()?;
		self.check_input(input)?;
		let segments = self.segments(model)?;
		let fault = self.config.fault.map(|fault| fault.segment);
		let deadline = Instant::now() + self.config.limits.max_run_time;
		// Every checkpoint stays in ONNX Runtime's buffer until the run is done and hashes it.
		let mut checkpoints: Vec<(String, DynValue)> = Vec::with_capacity(segments as usize);
		let mut elapsed = Duration::ZERO;
		// Every segment runs where the first did.
		let mut provider = required;
		// The last segment's session and outputs, or the checkpoint `until` asked for.
		let finished = self.watched(deadline, |options| {
			for segment in 0..segments {
				let from = checkpoints.last().map(|(name, value)| value_input(name, value));
				let from = from.transpose()?;
				let loaded =
					self.load_segment(runtime, model, segment, segments, from.as_ref(), provider)?;
				provider = Some(loaded.provider);
				let inputs = match checkpoints.last() {
					None => input_values(&loaded, input)?,
					Some((name, value)) => vec![(name.clone(), value.into())],
				};
				let corrupt = fault == Some(segment);
				if segment + 1 == segments {
					let tensors = self.execute(&loaded, inputs, options, |outputs, took| {
						elapsed += took;
						let mut tensors = self.copy_outputs(&loaded, &outputs)?;
						if let Some(jitter) = self.config.jitter {
							tensors = tensors
								.iter()
								.map(|t| jittered(t, jitter))
								.collect::<Result<_, _>>()?;
						}
						match corrupt {
							true => tensors.iter().map(corrupted).collect(),
							false => Ok(tensors),
						}
					})?;
					return Ok(Ok((loaded, tensors)));
				}
				let name =
					spec_name(loaded.io.outputs.first().ok_or(InferenceError::NoSuchSegment)?)?;
				let mut value = self.execute(&loaded, inputs, options, |mut outputs, took| {
					elapsed += took;
					outputs.remove(name).ok_or(InferenceError::ExecutionFailed)
				})?;
				if corrupt {
					value = to_value(&corrupted(&from_value(name, &value, u64::MAX)?)?)?;
				}
				if until == Some(segment) {
					return Ok(Err(from_value(name, &value, u64::MAX)?));
				}
				checkpoints.push((name.to_owned(), value));
			}
			Err(InferenceError::NoSuchSegment)
		})?;
		// Stopped at the checkpoint asked for.
		let (loaded, tensors) = match finished {
			Ok(finished) => finished,
			Err(checkpoint) => return Ok(Checkpointed::Checkpoint(checkpoint)),
		};
		let parts = checkpoints
			.iter()
			.map(|(name, value)| {
				let (element_type, shape, data) = tensor_parts(value, u64::MAX)?;
				Ok((name.as_str(), element_type, shape, data))
			})
			.collect::<Result<Vec<_>, InferenceError>>()?;
		let mut leaves = hash_leaves(&parts, self.config.intra_threads);
		let output = self.output(runtime, &loaded, tensors, elapsed)?;
		leaves.push(output.output_hash);
		let leaves = leaves.try_into().map_err(|_| InferenceError::UnsupportedModelIo)?;
		Ok(Checkpointed::Run(CheckpointedOutput { output, leaves }))
	}

	/// The session of segment `segment` of `segments`, starting from `from` (the checkpoint
	/// before it; `None` for segment 0). A model of one segment runs as the stored model.
	pub(super) fn load_segment(
		&self,
		runtime: &Runtime,
		model: &ModelHash,
		segment: u32,
		segments: u32,
		from: Option<&SegmentInput>,
		required: Option<ExecutionProvider>,
	) -> Result<Arc<LoadedModel>, InferenceError> {
		match segments {
			1 => self.load(runtime, model, required),
			_ => self.load_derived(
				runtime,
				model,
				Some(&Derived::segment(model, segment, from, self.config.checkpoints)),
				required,
			),
		}
	}

	/// The segments a model runs as (one more than its checkpoints); 1 for a model whose graph
	/// cannot be cut. Read from the model's file once, then remembered.
	///
	/// # Errors
	/// What reading the stored model fails with.
	pub fn segments(&self, model: &ModelHash) -> Result<u32, InferenceError> {
		let counts = || self.segment_counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if let Some(count) = counts().get(model) {
			return Ok(*count);
		}
		let bytes = self.store.read_verified(model, self.config.limits.max_model_bytes)?;
		let count = ModelGraph::parse_with_checkpoints(&bytes, self.config.checkpoints)
			.map_or(1, |graph| graph.segments() as u32);
		let mut counts = counts();
		if counts.len() >= SEGMENT_COUNTS_KEPT {
			counts.clear();
		}
		counts.insert(*model, count);
		Ok(count)
	}

	/// Runs segment `segment` of a model alone: from the tensor of checkpoint `segment - 1`
	/// (`input`, a one-tensor set; for segment 0, the model's input) to checkpoint `segment`
	/// (for the last segment, the model's outputs). What a dispute's referee runs: its output
	/// hash is the leaf both parties committed to.
	///
	/// # Errors
	/// [`InferenceError::NoSuchSegment`] when the model has no such segment or `input` is not
	/// the tensor it starts from; otherwise as [`Engine::run_on`].
	pub fn run_segment(
		&self,
		model: &ModelHash,
		segment: u32,
		input: &TensorSet,
		required: Option<ExecutionProvider>,
	) -> Result<InferenceOutput, InferenceError> {
		let result = self.run_segment_unrecorded(model, segment, input, required);
		if result.is_ok() {
			let mut runs =
				self.segment_runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
			if runs.len() == SEGMENT_RUNS_KEPT {
				runs.remove(0);
			}
			runs.push((*model, segment));
		}
		self.record(model, result.as_ref());
		result
	}

	pub(super) fn run_segment_unrecorded(
		&self,
		model: &ModelHash,
		segment: u32,
		input: &TensorSet,
		required: Option<ExecutionProvider>,
	) -> Result<InferenceOutput, InferenceError> {
		let runtime = self.runtime()?;
		self.check_input(input)?;
		let segments = self.segments(model)?;
		let from = match input.tensors.as_slice() {
			_ if segment >= segments => return Err(InferenceError::NoSuchSegment),
			_ if segment == 0 => None,
			[tensor] => Some(SegmentInput::of(tensor)),
			_ => return Err(InferenceError::NoSuchSegment),
		};
		let loaded =
			self.load_segment(runtime, model, segment, segments, from.as_ref(), required)?;
		let (outputs, elapsed) = self.run_loaded(&loaded, input)?;
		self.output(runtime, &loaded, outputs, elapsed)
	}

	/// The last [`SEGMENT_RUNS_KEPT`] segments this engine ran alone, as (model, segment),
	/// oldest first: what a dispute's referee re-executed.
	pub fn segment_runs(&self) -> Vec<(ModelHash, u32)> {
		self.segment_runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
	}
}

/// A tensor with every `f32` element moved by 1 % plus 0.01 (other elements: each byte's low
/// bit flipped), as a faulty operator would leave it.
pub(super) fn corrupted(tensor: &Tensor) -> Result<Tensor, InferenceError> {
	let data = match tensor.element_type {
		ElementType::F32 => tensor
			.data
			.chunks_exact(4)
			.flat_map(|b| {
				let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
				(v * 1.01 + 0.01).to_le_bytes()
			})
			.collect(),
		_ => tensor.data.iter().map(|byte| byte ^ 1).collect(),
	};
	Tensor::new(tensor_name(tensor)?.as_str(), tensor.element_type, &tensor.shape, data)
}

/// A tensor with every `f32` element moved by `jitter` (other element types unchanged).
pub(super) fn jittered(tensor: &Tensor, jitter: OutputJitter) -> Result<Tensor, InferenceError> {
	if tensor.element_type != ElementType::F32 {
		return Ok(tensor.clone());
	}
	let shift = jitter.nano as f32 * 1e-9;
	let data = tensor
		.data
		.chunks_exact(4)
		.flat_map(|b| (f32::from_le_bytes([b[0], b[1], b[2], b[3]]) + shift).to_le_bytes())
		.collect();
	Tensor::new(tensor_name(tensor)?.as_str(), tensor.element_type, &tensor.shape, data)
}
