//! The native engine: ONNX Runtime (`ort`, library loaded at run time), the verified model store,
//! a session cache bounded by a memory budget, execution-provider fallback, limits and metrics.

use crate::{
	checkpoints::{CheckpointedOutput, CHECKPOINTS},
	fetch::Fetcher,
	graph::{ModelGraph, SegmentInput},
	host::Engine,
	metrics::Metrics,
	store::{to_hex, ModelStore},
	types::{
		Capabilities, Dim, ElementType, ExecutionProvider, FetchStatus, InferenceError,
		InferenceOutput, ModelHash, ModelIo, ModelSource, RuntimeVersion, Tensor, TensorSet,
		TensorSetHash, TensorSpec,
	},
};
use codec::Encode;
use ort::{
	environment::Environment,
	ep::ExecutionProvider as _,
	memory::Allocator,
	session::{
		builder::GraphOptimizationLevel, RunOptions, Session, SessionInputValue, SessionOutputs,
	},
	value::{
		DynTensor, DynTensorValueType, DynValue, Outlet, Shape, Tensor as OrtTensor,
		TensorElementType, ValueType,
	},
};
use std::{
	collections::HashMap,
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Condvar, Mutex, MutexGuard,
	},
	thread,
	time::{Duration, Instant},
};

const LOG_TARGET: &str = "cairn-inference";

mod checkpointed;
mod tensors;
mod watchdog;
use tensors::*;
use watchdog::*;

/// Size and time limits of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Largest model file loaded, in bytes.
	pub max_model_bytes: u64,
	/// Largest input (sum of tensor data), in bytes.
	pub max_input_bytes: u64,
	/// Largest output (sum of tensor data), in bytes.
	pub max_output_bytes: u64,
	/// Longest run; a run still going at this point is terminated.
	pub max_run_time: Duration,
}

impl Default for Limits {
	fn default() -> Self {
		Limits {
			max_model_bytes: 512 * 1024 * 1024,
			max_input_bytes: 16 * 1024 * 1024,
			max_output_bytes: 16 * 1024 * 1024,
			max_run_time: Duration::from_secs(10),
		}
	}
}

/// How to build an engine.
#[derive(Clone, Debug)]
pub struct EngineConfig {
	/// The ONNX Runtime shared library (`libonnxruntime.so.*`). `None`: inference unavailable.
	pub library: Option<PathBuf>,
	/// The model store directory (created if missing).
	pub model_store: PathBuf,
	/// Execution providers in order of preference; CPU is always the last resort.
	pub execution_providers: Vec<ExecutionProvider>,
	/// Intra-op threads per run: keep it below the core count so inference cannot starve block
	/// production.
	pub intra_threads: usize,
	/// Limits of one run.
	pub limits: Limits,
	/// Memory budget of the session cache, counted as model file bytes (weights dominate a
	/// session's memory). Least recently used sessions are dropped to stay within it.
	pub session_cache_bytes: u64,
	/// A deliberate fault in checkpointed runs, for testing verification: `None` on every
	/// honest node.
	pub fault: Option<SegmentFault>,
	/// A deliberate float difference in every checkpointed run's outputs, for testing agreement
	/// under a tolerance: `None` on every real node.
	pub jitter: Option<OutputJitter>,
	/// Checkpoints per run ([`CHECKPOINTS`] on every node of a network, which must agree on
	/// it; other counts measure the trade-off).
	pub checkpoints: u32,
}

/// A dishonest engine, for tests of audits and disputes: checkpointed runs execute segment by
/// segment and perturb the output of `segment` before the next one reads it, as a provider that
/// corrupts one operator of the graph (or skips work inside it) would. Every later checkpoint,
/// and the output, follow from the corrupted tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentFault {
	/// The segment whose output is corrupted.
	pub segment: u32,
}

/// An engine whose float outputs differ slightly from every other's, as another GPU's kernels
/// leave them: each `f32` output element moved by `nano` billionths, absolute. Outputs then
/// differ by hash but agree under a tolerance of at least that much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputJitter {
	/// The shift of each element, in units of 1e-9.
	pub nano: u32,
}

impl EngineConfig {
	/// A configuration with CPU only, one thread, default limits and a 1 GiB cache.
	pub fn new(library: Option<PathBuf>, model_store: PathBuf) -> Self {
		EngineConfig {
			library,
			model_store,
			execution_providers: vec![ExecutionProvider::Cpu],
			intra_threads: 1,
			limits: Limits::default(),
			session_cache_bytes: 1024 * 1024 * 1024,
			fault: None,
			jitter: None,
			checkpoints: CHECKPOINTS,
		}
	}
}

/// ONNX Runtime, loaded.
struct Runtime {
	environment: Environment,
	version: RuntimeVersion,
	/// Usable providers in preference order, CPU last.
	providers: Vec<ExecutionProvider>,
}

/// A model ready to run.
struct LoadedModel {
	session: Mutex<Session>,
	io: ModelIo,
	provider: ExecutionProvider,
	bytes: u64,
	/// Derived from a stored model rather than the stored file itself.
	derived: bool,
}

struct CacheEntry {
	/// The model's hash, or a derived model's cache key (see [`Derived`]).
	model: ModelHash,
	loaded: Arc<LoadedModel>,
	last_used: u64,
}

/// The most (model, execution provider) pairs remembered as refused.
const MAX_REFUSED: usize = 256;

/// Sessions by model and execution provider, least recently used first out once over budget;
/// and the (model, provider) pairs a provider refused, so that a fallback is not retried on
/// every run.
#[derive(Default)]
struct SessionCache {
	entries: Vec<CacheEntry>,
	refused: Vec<(ModelHash, ExecutionProvider)>,
	clock: u64,
}

impl SessionCache {
	fn get(&mut self, model: &ModelHash, provider: ExecutionProvider) -> Option<Arc<LoadedModel>> {
		self.clock += 1;
		let clock = self.clock;
		self.entries
			.iter_mut()
			.find(|entry| entry.model == *model && entry.loaded.provider == provider)
			.map(|entry| {
				entry.last_used = clock;
				entry.loaded.clone()
			})
	}

	fn insert(&mut self, model: ModelHash, loaded: Arc<LoadedModel>, budget: u64) {
		self.clock += 1;
		let provider = loaded.provider;
		self.entries.retain(|entry| !(entry.model == model && entry.loaded.provider == provider));
		self.entries.push(CacheEntry { model, loaded, last_used: self.clock });
		while self.entries.len() > 1 && self.bytes() > budget {
			let Some(oldest) = self
				.entries
				.iter()
				.enumerate()
				.filter(|(_, entry)| !(entry.model == model && entry.loaded.provider == provider))
				.min_by_key(|(_, entry)| entry.last_used)
				.map(|(index, _)| index)
			else {
				break;
			};
			let evicted = self.entries.swap_remove(oldest);
			log::debug!(
				target: LOG_TARGET,
				"session cache: evicted {} on {}",
				to_hex(&evicted.model),
				evicted.loaded.provider.name()
			);
		}
	}

	fn is_refused(&self, model: &ModelHash, provider: ExecutionProvider) -> bool {
		self.refused.contains(&(*model, provider))
	}

	fn refuse(&mut self, model: ModelHash, provider: ExecutionProvider) {
		if self.refused.len() >= MAX_REFUSED {
			self.refused.remove(0);
		}
		self.refused.push((model, provider));
	}

	fn bytes(&self) -> u64 {
		self.entries.iter().map(|entry| entry.loaded.bytes).sum()
	}
}

/// The ONNX Runtime engine a node registers for its offchain workers.
pub struct OrtEngine {
	runtime: Result<Runtime, String>,
	store: ModelStore,
	config: EngineConfig,
	sessions: Mutex<SessionCache>,
	watchdog: Watchdog,
	metrics: Option<Metrics>,
	fetcher: Option<Fetcher>,
	/// When each model's file was last marked as used (at most once a minute per model).
	touched: Mutex<HashMap<ModelHash, Instant>>,
	/// Segments run alone, as (model, segment), oldest first (see [`OrtEngine::segment_runs`]).
	segment_runs: Mutex<Vec<(ModelHash, u32)>>,
	/// Each model's segment count, once its file has been read.
	segment_counts: Mutex<HashMap<ModelHash, u32>>,
}

/// The graph optimizations of every session: all of them, for plain, checkpointed and segment
/// runs alike. A checkpointed run executes the model segment by segment, each segment its own
/// session, so a referee running one segment alone runs exactly what the provider ran and gets
/// its checkpoint bit for bit, whatever layout (NCHWc) and fusions ONNX Runtime chose inside the
/// segment. (One whole-model session with the checkpoints exposed as outputs would not do: it
/// fuses across checkpoints where a segment starting at one cannot, and measured bit-wise
/// different checkpoints at this level.)
const OPTIMIZATION: GraphOptimizationLevel = GraphOptimizationLevel::Level3;

/// The most models whose segment count [`OrtEngine::segments`] remembers.
const SEGMENT_COUNTS_KEPT: usize = 4096;

/// How many segment runs [`OrtEngine::segment_runs`] remembers.
pub const SEGMENT_RUNS_KEPT: usize = 64;

/// How often a model in use has its file's last-use time renewed.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

impl OrtEngine {
	/// Opens the model store and loads ONNX Runtime. A missing or unusable library does not fail:
	/// the engine then reports inference as unavailable (see [`OrtEngine::unavailable_reason`]).
	/// Fails only when the model store directory cannot be created.
	pub fn new(config: EngineConfig) -> std::io::Result<Self> {
		let store = ModelStore::open(&config.model_store)?;
		let runtime = load_runtime(&config);
		match &runtime {
			Ok(runtime) => log::info!(
				target: LOG_TARGET,
				"ONNX Runtime {} loaded; execution providers: {}; model store: {}",
				String::from_utf8_lossy(&runtime.version),
				runtime.providers.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "),
				store.dir().display(),
			),
			Err(reason) => log::warn!(
				target: LOG_TARGET,
				"inference unavailable on this node: {reason}. The node runs normally otherwise."
			),
		}
		Ok(OrtEngine {
			runtime,
			store,
			config,
			sessions: Default::default(),
			watchdog: Watchdog::start(),
			metrics: None,
			fetcher: None,
			touched: Default::default(),
			segment_runs: Default::default(),
			segment_counts: Default::default(),
		})
	}

	/// Records runs and failures in `metrics`.
	pub fn with_metrics(mut self, metrics: Metrics) -> Self {
		self.metrics = Some(metrics);
		self
	}

	/// Fetches models the store lacks when a job asks for them.
	pub fn with_fetcher(mut self, fetcher: Fetcher) -> Self {
		self.fetcher = Some(fetcher);
		self
	}

	/// Why inference is unavailable, or `None` when ONNX Runtime is loaded.
	pub fn unavailable_reason(&self) -> Option<&str> {
		self.runtime.as_ref().err().map(String::as_str)
	}

	/// The process's ONNX Runtime environment (one per process), when loaded: for building
	/// sessions outside the engine, e.g. the raw baseline of the benchmarks.
	pub fn environment(&self) -> Option<&Environment> {
		self.runtime.as_ref().ok().map(|runtime| &runtime.environment)
	}

	/// The model store.
	pub fn store(&self) -> &ModelStore {
		&self.store
	}

	/// Models with a session in the cache, least recently used first (not counting the models
	/// derived from them for checkpointed and segment runs).
	pub fn cached_models(&self) -> Vec<ModelHash> {
		let cache = self.cache();
		let mut entries = cache.entries.iter().collect::<Vec<_>>();
		entries.retain(|entry| !entry.loaded.derived);
		entries.sort_by_key(|entry| entry.last_used);
		entries.into_iter().map(|entry| entry.model).collect()
	}

	/// The configuration.
	pub fn config(&self) -> &EngineConfig {
		&self.config
	}

	/// Loads model bytes into a session (CPU) and returns their io spec: how `model import`
	/// checks a file before storing it.
	pub fn inspect(&self, bytes: &[u8]) -> Result<ModelIo, InferenceError> {
		let runtime = self.runtime()?;
		if bytes.len() as u64 > self.config.limits.max_model_bytes {
			return Err(InferenceError::ModelTooLarge);
		}
		model_io(&self.commit_on_cpu(runtime, bytes)?)
	}

	fn runtime(&self) -> Result<&Runtime, InferenceError> {
		self.runtime.as_ref().map_err(|_| InferenceError::RuntimeUnavailable)
	}

	fn builder(
		&self,
		runtime: &Runtime,
	) -> Result<ort::session::builder::SessionBuilder, InferenceError> {
		let failed = |error: ort::Error| {
			log::warn!(target: LOG_TARGET, "creating an ONNX Runtime session failed: {error}");
			InferenceError::ExecutionFailed
		};
		Session::builder(&runtime.environment)
			.map_err(failed)?
			.with_optimization_level(OPTIMIZATION)
			.map_err(|e| failed(e.into()))?
			.with_intra_threads(self.config.intra_threads.max(1))
			.map_err(|e| failed(e.into()))?
			// Idle workers must sleep, not spin: the node has blocks to produce.
			.with_intra_op_spinning(false)
			.map_err(|e| failed(e.into()))
	}

	/// A CPU session on the model bytes; ONNX Runtime refusing them is `InvalidModel`.
	fn commit_on_cpu(&self, runtime: &Runtime, bytes: &[u8]) -> Result<Session, InferenceError> {
		self.builder(runtime)?.commit_from_memory(bytes).map_err(|error| {
			log::debug!(target: LOG_TARGET, "model refused by ONNX Runtime: {error}");
			InferenceError::InvalidModel
		})
	}

	/// A session of the model bytes on `provider`. A provider that cannot run them is
	/// `ExecutionProviderUnavailable`, except CPU, whose refusal means the model is invalid.
	fn create_session(
		&self,
		runtime: &Runtime,
		bytes: &[u8],
		provider: ExecutionProvider,
	) -> Result<Session, InferenceError> {
		match provider {
			ExecutionProvider::Cpu => self.commit_on_cpu(runtime, bytes),
			ExecutionProvider::Cuda => {
				let cuda = ort::ep::CUDA::default().build().error_on_failure();
				self.builder(runtime)?
					.with_execution_providers([cuda])
					.map_err(|error| error.to_string())
					.and_then(|mut builder| {
						builder.commit_from_memory(bytes).map_err(|error| error.to_string())
					})
					.map_err(|error| {
						log::warn!(
							target: LOG_TARGET,
							"CUDA execution provider failed for this model ({error})"
						);
						InferenceError::ExecutionProviderUnavailable
					})
			},
			_ => Err(InferenceError::ExecutionProviderUnavailable),
		}
	}

	/// The session for a model on `required`, or on the first usable provider in preference
	/// order (CPU last) when `None`: from the cache, or loaded from verified bytes.
	fn load(
		&self,
		runtime: &Runtime,
		model: &ModelHash,
		required: Option<ExecutionProvider>,
	) -> Result<Arc<LoadedModel>, InferenceError> {
		self.load_derived(runtime, model, None, required)
	}

	/// Like [`Self::load`], for the stored model itself (`derived: None`) or a model derived
	/// from its verified bytes, cached under the derivation's key.
	fn load_derived(
		&self,
		runtime: &Runtime,
		model: &ModelHash,
		derived: Option<&Derived<'_>>,
		required: Option<ExecutionProvider>,
	) -> Result<Arc<LoadedModel>, InferenceError> {
		let key = derived.map_or(*model, |derived| derived.key);
		let model = &key;
		let stored = derived.map_or(model, |derived| derived.model);
		let candidates = match required {
			Some(provider) if runtime.providers.contains(&provider) => vec![provider],
			Some(_) => return Err(InferenceError::ExecutionProviderUnavailable),
			None => runtime.providers.clone(),
		};
		let mut bytes = None;
		let mut last_error = InferenceError::ExecutionProviderUnavailable;
		for provider in candidates {
			let refused = {
				let mut cache = self.cache();
				if let Some(loaded) = cache.get(model, provider) {
					return Ok(loaded);
				}
				cache.is_refused(model, provider)
			};
			if refused {
				continue;
			}
			if bytes.is_none() {
				let verified =
					self.store.read_verified(stored, self.config.limits.max_model_bytes)?;
				bytes = Some(match derived {
					Some(derived) => (derived.derive)(&verified)?,
					None => verified,
				});
			}
			let bytes = bytes.as_deref().unwrap_or_default();
			let session = match self.create_session(runtime, bytes, provider) {
				Ok(session) => session,
				Err(InferenceError::ExecutionProviderUnavailable) => {
					self.cache().refuse(*model, provider);
					if required.is_none() {
						log::warn!(
							target: LOG_TARGET,
							"model {}: {} refused it; falling back",
							to_hex(model),
							provider.name()
						);
					}
					continue;
				},
				Err(error) => {
					last_error = error;
					break;
				},
			};
			let io = model_io(&session)?;
			match derived {
				None => log::info!(
					target: LOG_TARGET,
					"loaded model {} ({} bytes) on {}",
					to_hex(model),
					bytes.len(),
					provider.name()
				),
				Some(derived) => log::debug!(
					target: LOG_TARGET,
					"loaded the {} of model {} on {}",
					derived.what,
					to_hex(stored),
					provider.name()
				),
			}
			let loaded = Arc::new(LoadedModel {
				session: Mutex::new(session),
				io,
				provider,
				bytes: bytes.len() as u64,
				derived: derived.is_some(),
			});
			self.cache().insert(*model, loaded.clone(), self.config.session_cache_bytes);
			return Ok(loaded);
		}
		Err(last_error)
	}

	fn cache(&self) -> MutexGuard<'_, SessionCache> {
		self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// Checks an input against the node's limits.
	fn check_input(&self, input: &TensorSet) -> Result<(), InferenceError> {
		input.validate()?;
		if input.data_bytes() > self.config.limits.max_input_bytes {
			return Err(InferenceError::InputTooLarge);
		}
		Ok(())
	}

	fn run_checked(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		required: Option<ExecutionProvider>,
	) -> Result<InferenceOutput, InferenceError> {
		let runtime = self.runtime()?;
		self.check_input(input)?;
		let loaded = self.load(runtime, model, required)?;
		let (outputs, elapsed) = self.run_loaded(&loaded, input)?;
		self.output(runtime, &loaded, outputs, elapsed)
	}

	/// Calls `run` with run options that the watchdog terminates at `deadline`: a run it
	/// terminated is [`InferenceError::TimedOut`], whatever `run` returned.
	fn watched<R>(
		&self,
		deadline: Instant,
		run: impl FnOnce(&RunOptions) -> Result<R, InferenceError>,
	) -> Result<R, InferenceError> {
		let options = Arc::new(RunOptions::new().map_err(|error| {
			log::warn!(target: LOG_TARGET, "creating run options failed: {error}");
			InferenceError::ExecutionFailed
		})?);
		let guard = self.watchdog.watch(options.clone(), deadline);
		let result = run(&options);
		match guard.finish() {
			true => Err(InferenceError::TimedOut),
			false => result,
		}
	}

	/// One run of a loaded model on `inputs`; `then` gets its outputs and how long it took.
	fn execute<R>(
		&self,
		loaded: &LoadedModel,
		inputs: Vec<(String, SessionInputValue<'_>)>,
		options: &RunOptions,
		then: impl FnOnce(SessionOutputs<'_>, Duration) -> Result<R, InferenceError>,
	) -> Result<R, InferenceError> {
		let mut session = loaded.session.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let started = Instant::now();
		let outputs = session.run_with_options(inputs, options).map_err(|error| {
			log::debug!(target: LOG_TARGET, "model run failed: {error}");
			InferenceError::ExecutionFailed
		})?;
		let elapsed = started.elapsed();
		then(outputs, elapsed)
	}

	/// A run's outputs in `io.outputs` order, copied out within the output limit.
	fn copy_outputs(
		&self,
		loaded: &LoadedModel,
		outputs: &SessionOutputs<'_>,
	) -> Result<Vec<Tensor>, InferenceError> {
		let mut tensors = Vec::with_capacity(loaded.io.outputs.len());
		let mut output_bytes = 0u64;
		for spec in loaded.io.outputs.iter() {
			let name = spec_name(spec)?;
			let value = outputs.get(name).ok_or(InferenceError::ExecutionFailed)?;
			let tensor =
				from_value(name, value, self.config.limits.max_output_bytes - output_bytes)?;
			output_bytes += tensor.data.len() as u64;
			tensors.push(tensor);
		}
		Ok(tensors)
	}

	/// Runs a loaded model under the watchdog: its outputs in `io.outputs` order and the run
	/// time.
	fn run_loaded(
		&self,
		loaded: &LoadedModel,
		input: &TensorSet,
	) -> Result<(Vec<Tensor>, Duration), InferenceError> {
		let inputs = input_values(loaded, input)?;
		let deadline = Instant::now() + self.config.limits.max_run_time;
		self.watched(deadline, |options| {
			self.execute(loaded, inputs, options, |outputs, elapsed| {
				Ok((self.copy_outputs(loaded, &outputs)?, elapsed))
			})
		})
	}

	/// A run's result from its output tensors.
	fn output(
		&self,
		runtime: &Runtime,
		loaded: &LoadedModel,
		tensors: Vec<Tensor>,
		elapsed: Duration,
	) -> Result<InferenceOutput, InferenceError> {
		let outputs = TensorSet::new(tensors)?;
		Ok(InferenceOutput {
			output_hash: outputs.hash(),
			outputs,
			execution_provider: loaded.provider,
			runtime_version: runtime.version.clone(),
			elapsed_micros: elapsed.as_micros().min(u64::MAX as u128) as u64,
		})
	}

	/// Records a run (or its failure) in the metrics, and the model as used.
	fn record(&self, model: &ModelHash, result: Result<&InferenceOutput, &InferenceError>) {
		match result {
			Ok(output) => {
				self.note_use(model);
				if let Some(metrics) = &self.metrics {
					metrics.record_run(
						output.execution_provider,
						Duration::from_micros(output.elapsed_micros),
					);
				}
			},
			Err(error) => {
				log::debug!(target: LOG_TARGET, "run of {} failed: {error}", to_hex(model));
				if let Some(metrics) = &self.metrics {
					metrics.record_failure(*error);
				}
			},
		}
	}
}

/// How a derived model's bytes are made from the stored model's.
type Derivation<'a> = dyn Fn(&[u8]) -> Result<Vec<u8>, InferenceError> + 'a;

/// A model derived from a stored one, and the key its session is cached under.
struct Derived<'a> {
	/// The stored model it derives from.
	model: &'a ModelHash,
	/// Cache key: a hash of what it is derived from and how.
	key: ModelHash,
	/// What it is, for the log.
	what: &'static str,
	/// The derivation.
	derive: Box<Derivation<'a>>,
}

impl<'a> Derived<'a> {
	/// Segment `segment`, starting from `from` (the checkpoint tensor; `None` for segment 0).
	/// The segment model declares that tensor's element type and shape, so those are part of
	/// the key.
	fn segment(
		model: &'a ModelHash,
		segment: u32,
		from: Option<&'a SegmentInput>,
		checkpoints: u32,
	) -> Self {
		let signature = from.map(Encode::encode).unwrap_or_default();
		Derived {
			model,
			key: derived_key(model, &(segment, checkpoints).encode(), &signature),
			what: "segment",
			derive: Box::new(move |bytes| {
				let graph = ModelGraph::parse_with_checkpoints(bytes, checkpoints)
					.map_err(|_| InferenceError::NoSuchSegment)?;
				graph.segment(segment as usize, from).map_err(|_| InferenceError::NoSuchSegment)
			}),
		}
	}
}

/// The cache key of a model derived from `model`.
fn derived_key(model: &ModelHash, how: &[u8], signature: &[u8]) -> ModelHash {
	use sha2::Digest;
	sha2::Sha256::new()
		.chain_update(b"cairn/derived-model")
		.chain_update(model)
		.chain_update((how.len() as u32).to_le_bytes())
		.chain_update(how)
		.chain_update(signature)
		.finalize()
		.into()
}

impl OrtEngine {
	/// Runs and records the run or its failure in the metrics.
	fn run_recorded(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		required: Option<ExecutionProvider>,
	) -> Result<InferenceOutput, InferenceError> {
		let result = self.run_checked(model, input, required);
		self.record(model, result.as_ref());
		result
	}
}

impl Engine for OrtEngine {
	fn run(&self, model: &ModelHash, input: &TensorSet) -> Result<InferenceOutput, InferenceError> {
		self.run_recorded(model, input, None)
	}

	fn run_on(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		provider: ExecutionProvider,
	) -> Result<InferenceOutput, InferenceError> {
		self.run_recorded(model, input, Some(provider))
	}

	fn run_checkpointed_on(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		provider: ExecutionProvider,
	) -> Result<CheckpointedOutput, InferenceError> {
		self.run_checkpointed(model, input, Some(provider))
	}

	fn checkpoint_on(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		index: u32,
		provider: ExecutionProvider,
	) -> Result<TensorSet, InferenceError> {
		self.checkpoint(model, input, index, Some(provider))
	}

	fn run_segment_on(
		&self,
		model: &ModelHash,
		segment: u32,
		input: &TensorSet,
		provider: ExecutionProvider,
	) -> Result<InferenceOutput, InferenceError> {
		self.run_segment(model, segment, input, Some(provider))
	}

	fn capabilities(&self) -> Capabilities {
		let models = self
			.store
			.list()
			.map(|models| models.into_iter().map(|(hash, _)| hash).collect::<Vec<_>>())
			.unwrap_or_default();
		let listed =
			models.into_iter().take(crate::types::MAX_LISTED_MODELS as usize).collect::<Vec<_>>();
		match &self.runtime {
			Ok(runtime) => Capabilities {
				available: true,
				runtime_version: runtime.version.clone(),
				execution_providers: runtime.providers.clone().try_into().unwrap_or_default(),
				models: listed.try_into().unwrap_or_default(),
			},
			Err(_) => Capabilities {
				available: false,
				runtime_version: Default::default(),
				execution_providers: Default::default(),
				models: listed.try_into().unwrap_or_default(),
			},
		}
	}

	fn has_model(&self, model: &ModelHash) -> bool {
		self.store.contains(model)
	}

	fn request_model(&self, source: &ModelSource) -> FetchStatus {
		match &self.fetcher {
			Some(fetcher) => fetcher.request(source),
			None if self.store.contains(&source.sha256) => FetchStatus::Stored,
			None => FetchStatus::Disabled,
		}
	}
}

impl OrtEngine {
	/// Marks a model that ran as used: its file's last-use time (what store eviction goes by) is
	/// renewed at most once per [`TOUCH_INTERVAL`], and a fetched model's first run is recorded.
	fn note_use(&self, model: &ModelHash) {
		if let Some(fetcher) = &self.fetcher {
			fetcher.note_run(model);
		}
		let mut touched = self.touched.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if touched.get(model).is_some_and(|at| at.elapsed() < TOUCH_INTERVAL) {
			return;
		}
		touched.insert(*model, Instant::now());
		if let Err(error) = self.store.touch(model) {
			log::debug!(target: LOG_TARGET, "cannot mark model {} as used: {error}", to_hex(model));
		}
	}
}

/// Loads the library and decides which execution providers are usable.
fn load_runtime(config: &EngineConfig) -> Result<Runtime, String> {
	let library = config.library.as_ref().ok_or_else(|| {
		"no ONNX Runtime library configured (pass --onnxruntime-lib or set ORT_DYLIB_PATH; \
		 scripts/fetch-onnxruntime.sh fetches one)"
			.to_string()
	})?;
	let (environment, version) = shared_environment(library)?;
	let mut providers = Vec::new();
	for provider in &config.execution_providers {
		if providers.contains(provider) {
			continue;
		}
		match provider {
			ExecutionProvider::Cpu => providers.push(*provider),
			ExecutionProvider::Cuda => match ort::ep::CUDA::is_available() {
				Ok(true) => providers.push(*provider),
				Ok(false) => log::warn!(
					target: LOG_TARGET,
					"CUDA requested, but this ONNX Runtime build has no CUDA execution provider \
					 (use the onnxruntime-gpu library); falling back to CPU"
				),
				Err(error) => log::warn!(
					target: LOG_TARGET,
					"CUDA requested, but querying ONNX Runtime's providers failed ({error}); \
					 falling back to CPU"
				),
			},
			other => log::warn!(
				target: LOG_TARGET,
				"execution provider {} is not supported by cairn-node yet; skipped",
				other.name()
			),
		}
	}
	if !providers.contains(&ExecutionProvider::Cpu) {
		providers.push(ExecutionProvider::Cpu);
	}
	Ok(Runtime {
		environment,
		version: version
			.into_bytes()
			.try_into()
			.map_err(|_| "version string too long".to_string())?,
		providers,
	})
}

/// ONNX Runtime allows one environment per process, and a loaded library stays loaded: every
/// engine of the process shares the first one loaded.
static ENVIRONMENT: Mutex<Option<(PathBuf, Environment, String)>> = Mutex::new(None);

/// The process's environment and library version, loading `library` on first use.
fn shared_environment(library: &Path) -> Result<(Environment, String), String> {
	let mut shared = ENVIRONMENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
	if let Some((loaded, environment, version)) = shared.as_ref() {
		return if loaded == library {
			Ok((environment.clone(), version.clone()))
		} else {
			Err(format!(
				"this process already loaded ONNX Runtime from {}; it cannot load {} as well",
				loaded.display(),
				library.display()
			))
		};
	}
	if !library.is_file() {
		return Err(format!("ONNX Runtime library {} does not exist", library.display()));
	}
	let version = library_version(library)?;
	let environment = ort::init_from(library)
		.map_err(|error| format!("loading ONNX Runtime failed: {error}"))?
		.with_name("cairn")
		.build()
		.map_err(|error| format!("creating the ONNX Runtime environment failed: {error}"))?;
	*shared = Some((library.to_path_buf(), environment.clone(), version.clone()));
	Ok((environment, version))
}

/// The version string the library reports (`OrtGetApiBase()->GetVersionString()`).
fn library_version(library: &Path) -> Result<String, String> {
	// SAFETY: loading the ONNX Runtime library runs its initialisers, which is what `ort` does
	// with the same file next; `OrtGetApiBase` has the signature declared by `ort_sys`, and the
	// version string it returns is static and NUL-terminated.
	unsafe {
		let handle = libloading::Library::new(library).map_err(|error| {
			format!("loading ONNX Runtime from {} failed: {error}", library.display())
		})?;
		let get_api_base: libloading::Symbol<
			unsafe extern "C" fn() -> *const ort::sys::OrtApiBase,
		> = handle.get(b"OrtGetApiBase").map_err(|_| {
			format!("{} is not an ONNX Runtime library (no OrtGetApiBase)", library.display())
		})?;
		let base = get_api_base();
		if base.is_null() {
			return Err(format!("{} returned no API base", library.display()));
		}
		let version = ((*base).GetVersionString)();
		if version.is_null() {
			return Err(format!("{} reports no version", library.display()));
		}
		let version = std::ffi::CStr::from_ptr(version).to_string_lossy().into_owned();
		// Keep the library loaded for the life of the process, as `ort` does.
		std::mem::forget(handle);
		Ok(version)
	}
}
