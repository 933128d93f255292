//! The native engine: ONNX Runtime (`ort`, library loaded at run time), the verified model store,
//! a session cache bounded by a memory budget, execution-provider fallback, limits and metrics.

use crate::{
	fetch::Fetcher,
	host::Engine,
	metrics::Metrics,
	store::{to_hex, ModelStore},
	types::{
		Capabilities, Dim, ElementType, ExecutionProvider, FetchStatus, InferenceError,
		InferenceOutput, ModelHash, ModelIo, ModelSource, RuntimeVersion, Tensor, TensorSet,
		TensorSpec,
	},
};
use ort::{
	environment::Environment,
	ep::ExecutionProvider as _,
	memory::Allocator,
	session::{builder::GraphOptimizationLevel, RunOptions, Session},
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
}

struct CacheEntry {
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
}

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

	/// Models with a session in the cache, least recently used first.
	pub fn cached_models(&self) -> Vec<ModelHash> {
		let cache = self.cache();
		let mut entries = cache.entries.iter().collect::<Vec<_>>();
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
			.with_optimization_level(GraphOptimizationLevel::Level3)
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
				bytes = Some(self.store.read_verified(model, self.config.limits.max_model_bytes)?);
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
			log::info!(
				target: LOG_TARGET,
				"loaded model {} ({} bytes) on {}",
				to_hex(model),
				bytes.len(),
				provider.name()
			);
			let loaded = Arc::new(LoadedModel {
				session: Mutex::new(session),
				io,
				provider,
				bytes: bytes.len() as u64,
			});
			self.cache().insert(*model, loaded.clone(), self.config.session_cache_bytes);
			return Ok(loaded);
		}
		Err(last_error)
	}

	fn cache(&self) -> MutexGuard<'_, SessionCache> {
		self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	fn run_checked(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		required: Option<ExecutionProvider>,
	) -> Result<(InferenceOutput, Duration), InferenceError> {
		let runtime = self.runtime()?;
		input.validate()?;
		if input.data_bytes() > self.config.limits.max_input_bytes {
			return Err(InferenceError::InputTooLarge);
		}
		let loaded = self.load(runtime, model, required)?;
		loaded.io.check_inputs(input)?;
		let values = input
			.tensors
			.iter()
			.map(|tensor| Ok((tensor_name(tensor)?, to_value(tensor)?)))
			.collect::<Result<Vec<(String, DynValue)>, InferenceError>>()?;

		let options = Arc::new(RunOptions::new().map_err(|error| {
			log::warn!(target: LOG_TARGET, "creating run options failed: {error}");
			InferenceError::ExecutionFailed
		})?);
		let (tensors, elapsed) = {
			let mut session =
				loaded.session.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
			let started = Instant::now();
			let guard =
				self.watchdog.watch(options.clone(), started + self.config.limits.max_run_time);
			let result = session.run_with_options(values, &*options);
			let elapsed = started.elapsed();
			let outputs = match result {
				_ if guard.finish() => return Err(InferenceError::TimedOut),
				Ok(outputs) => outputs,
				Err(error) => {
					log::debug!(target: LOG_TARGET, "model run failed: {error}");
					return Err(InferenceError::ExecutionFailed);
				},
			};
			let mut tensors = Vec::with_capacity(loaded.io.outputs.len());
			let mut output_bytes = 0u64;
			for spec in loaded.io.outputs.iter() {
				let name = core::str::from_utf8(&spec.name)
					.map_err(|_| InferenceError::UnsupportedModelIo)?;
				let value = outputs.get(name).ok_or(InferenceError::ExecutionFailed)?;
				let tensor =
					from_value(name, value, self.config.limits.max_output_bytes - output_bytes)?;
				output_bytes += tensor.data.len() as u64;
				tensors.push(tensor);
			}
			(tensors, elapsed)
		};
		let outputs = TensorSet::new(tensors)?;
		Ok((
			InferenceOutput {
				output_hash: outputs.hash(),
				outputs,
				execution_provider: loaded.provider,
				runtime_version: runtime.version.clone(),
				elapsed_micros: elapsed.as_micros().min(u64::MAX as u128) as u64,
			},
			elapsed,
		))
	}
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
		match &result {
			Ok((output, elapsed)) => {
				self.note_use(model);
				if let Some(metrics) = &self.metrics {
					metrics.record_run(output.execution_provider, *elapsed);
				}
			},
			Err(error) => {
				log::debug!(target: LOG_TARGET, "run of {} failed: {error}", to_hex(model));
				if let Some(metrics) = &self.metrics {
					metrics.record_failure(*error);
				}
			},
		}
		result.map(|(output, _)| output)
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

/// One thread per engine that terminates runs outliving their deadline (cheaper than a thread
/// per run).
struct Watchdog {
	shared: Arc<WatchdogShared>,
}

#[derive(Default)]
struct WatchdogShared {
	runs: Mutex<WatchedRuns>,
	changed: Condvar,
}

#[derive(Default)]
struct WatchedRuns {
	next_id: u64,
	active: Vec<WatchedRun>,
	stopped: bool,
}

struct WatchedRun {
	id: u64,
	deadline: Instant,
	options: Arc<RunOptions>,
	fired: Arc<AtomicBool>,
}

/// A run being watched; [`RunGuard::finish`] stops watching it.
struct RunGuard<'a> {
	shared: &'a WatchdogShared,
	id: u64,
	fired: Arc<AtomicBool>,
}

impl RunGuard<'_> {
	/// Stops watching; whether the watchdog terminated the run.
	fn finish(self) -> bool {
		self.fired.load(Ordering::SeqCst)
	}
}

impl Drop for RunGuard<'_> {
	fn drop(&mut self) {
		let mut runs = self.shared.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		runs.active.retain(|run| run.id != self.id);
	}
}

impl Watchdog {
	fn start() -> Self {
		let shared = Arc::new(WatchdogShared::default());
		let worker = shared.clone();
		let spawned =
			thread::Builder::new().name("cairn-inference-watchdog".into()).spawn(move || {
				let mut runs = worker.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
				while !runs.stopped {
					let now = Instant::now();
					for run in runs.active.iter().filter(|run| run.deadline <= now) {
						if !run.fired.swap(true, Ordering::SeqCst) {
							if let Err(error) = run.options.terminate() {
								log::warn!(target: LOG_TARGET, "terminating an over-time run failed: {error}");
							}
						}
					}
					let next = runs
						.active
						.iter()
						.filter(|run| !run.fired.load(Ordering::SeqCst))
						.map(|run| run.deadline)
						.min();
					runs = match next {
						Some(deadline) => {
							let wait = deadline.saturating_duration_since(Instant::now());
							worker
								.changed
								.wait_timeout(runs, wait)
								.map(|(guard, _)| guard)
								.unwrap_or_else(|poisoned| poisoned.into_inner().0)
						},
						None => worker
							.changed
							.wait(runs)
							.unwrap_or_else(|poisoned| poisoned.into_inner()),
					};
				}
			});
		if let Err(error) = spawned {
			log::warn!(target: LOG_TARGET, "starting the run watchdog failed ({error}); runs have no time limit");
		}
		Watchdog { shared }
	}

	/// Watches a run until the guard is finished or dropped.
	fn watch(&self, options: Arc<RunOptions>, deadline: Instant) -> RunGuard<'_> {
		let fired = Arc::new(AtomicBool::new(false));
		let mut runs = self.shared.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		runs.next_id += 1;
		let id = runs.next_id;
		runs.active.push(WatchedRun { id, deadline, options, fired: fired.clone() });
		drop(runs);
		self.shared.changed.notify_one();
		RunGuard { shared: &self.shared, id, fired }
	}
}

impl Drop for Watchdog {
	fn drop(&mut self) {
		self.shared.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).stopped = true;
		self.shared.changed.notify_one();
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

fn element_type(ty: TensorElementType) -> Option<ElementType> {
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

fn ort_element_type(ty: ElementType) -> TensorElementType {
	match ty {
		ElementType::F32 => TensorElementType::Float32,
		ElementType::F16 => TensorElementType::Float16,
		ElementType::I64 => TensorElementType::Int64,
		ElementType::I32 => TensorElementType::Int32,
		ElementType::U8 => TensorElementType::Uint8,
		ElementType::Bool => TensorElementType::Bool,
	}
}

fn spec(outlet: &Outlet) -> Result<TensorSpec, InferenceError> {
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

fn model_io(session: &Session) -> Result<ModelIo, InferenceError> {
	let specs = |outlets: &[Outlet]| {
		outlets
			.iter()
			.map(spec)
			.collect::<Result<Vec<_>, _>>()
			.and_then(|specs| specs.try_into().map_err(|_| InferenceError::UnsupportedModelIo))
	};
	Ok(ModelIo { inputs: specs(session.inputs())?, outputs: specs(session.outputs())? })
}

fn tensor_name(tensor: &Tensor) -> Result<String, InferenceError> {
	tensor.name_str().map(str::to_owned).ok_or(InferenceError::MalformedTensor)
}

/// Copies a tensor into an ONNX Runtime value on the CPU (one copy, into a typed buffer that
/// ONNX Runtime then uses in place).
fn to_value(tensor: &Tensor) -> Result<DynValue, InferenceError> {
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
fn decode_le<T: Copy, const N: usize>(data: &[u8], from: fn([u8; N]) -> T) -> Vec<T> {
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
fn to_value_raw(tensor: &Tensor) -> Result<DynValue, InferenceError> {
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

/// Copies an output value into a tensor, refusing more than `budget` bytes.
fn from_value(name: &str, value: &DynValue, budget: u64) -> Result<Tensor, InferenceError> {
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
	let mut data = vec![0u8; size as usize];
	if size > 0 {
		let source = tensor.data_ptr().cast::<u8>();
		if source.is_null() {
			return Err(InferenceError::ExecutionFailed);
		}
		// SAFETY: the value is a CPU-accessible tensor of `dims` elements of `element_type`, so its
		// buffer holds exactly `size` bytes; `data` is a distinct allocation of that size.
		unsafe { std::ptr::copy_nonoverlapping(source, data.as_mut_ptr(), data.len()) };
	}
	Tensor::new(name, element_type, &dims, data)
}
