//! Inference options of the node and the `model` subcommands.

use cairn_inference::{
	engine::{EngineConfig, Limits, OrtEngine},
	fetch::{cid_from_text, last_used, FetchConfig, FetchEvent, Fetcher},
	store::{from_hex, read_model_file, to_hex, ModelStore},
	Dim, ElementType, ExecutionProvider, InferenceError, ModelIo, ModelSource, TensorSpec,
};
use std::{
	io::{IsTerminal, Write},
	path::PathBuf,
	time::{Duration, Instant, SystemTime},
};

/// Execution providers the engine can use.
const SUPPORTED_PROVIDERS: [ExecutionProvider; 2] =
	[ExecutionProvider::Cuda, ExecutionProvider::Cpu];

fn parse_provider(name: &str) -> Result<ExecutionProvider, String> {
	match ExecutionProvider::from_name(name.trim()) {
		Some(provider) if SUPPORTED_PROVIDERS.contains(&provider) => Ok(provider),
		Some(provider) => Err(format!(
			"execution provider '{}' is not supported by cairn-node yet (supported: cuda, cpu)",
			provider.name()
		)),
		None => Err(format!("unknown execution provider '{name}' (supported: cuda, cpu)")),
	}
}

/// An IPFS gateway's base URL: `http://` or `https://`, a host, no spaces; a trailing `/` is
/// dropped.
fn parse_gateway(text: &str) -> Result<String, String> {
	let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
	match rest {
		Some(rest)
			if !rest.is_empty()
				&& !rest.starts_with('/')
				&& !text.contains(char::is_whitespace) =>
		{
			Ok(text.trim_end_matches('/').to_string())
		},
		_ => Err(format!(
			"'{text}' is not a gateway URL: expected http:// or https:// and a host, such as \
			 https://ipfs.io or http://127.0.0.1:8080"
		)),
	}
}

/// `on` or `off`.
fn parse_switch(text: &str) -> Result<bool, String> {
	match text {
		"on" => Ok(true),
		"off" => Ok(false),
		_ => Err(format!("expected 'on' or 'off', not '{text}'")),
	}
}

/// How the node runs models for its offchain workers.
#[derive(Debug, Clone, clap::Args)]
pub struct InferenceParams {
	/// The ONNX Runtime shared library (`libonnxruntime.so.*`, from the `onnxruntime` or
	/// `onnxruntime-gpu` wheel; `scripts/fetch-onnxruntime.sh` fetches it). Without a usable
	/// library the node runs normally and reports inference as unavailable.
	#[arg(long = "onnxruntime-lib", value_name = "PATH", env = "ORT_DYLIB_PATH")]
	pub onnxruntime_lib: Option<PathBuf>,

	/// Directory of models, each file named by its SHA-256 (`<hex>.onnx`); created if missing.
	/// Defaults to `$XDG_DATA_HOME/cairn/models` (`~/.local/share/cairn/models`).
	#[arg(long, value_name = "DIR")]
	pub model_store: Option<PathBuf>,

	/// Execution providers in order of preference, comma-separated: `cuda,cpu`. CPU is always
	/// the last resort; every result reports the provider that really ran.
	#[arg(
		long = "inference-ep",
		value_name = "LIST",
		value_delimiter = ',',
		default_value = "cpu",
		value_parser = parse_provider
	)]
	pub execution_providers: Vec<ExecutionProvider>,

	/// Intra-op threads per model run. Defaults to half the cores (at least one), so inference
	/// cannot starve block production.
	#[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
	pub inference_threads: Option<u16>,

	/// Longest model run in milliseconds; a run still going is terminated (`TimedOut`).
	#[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
	pub inference_max_run_ms: u64,

	/// Largest model file loaded, in MiB (`ModelTooLarge`).
	#[arg(long, value_name = "MIB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
	pub inference_max_model_mib: u64,

	/// Largest input of one run, in bytes of tensor data (`InputTooLarge`).
	#[arg(long, value_name = "BYTES", default_value_t = 16 << 20, value_parser = clap::value_parser!(u64).range(1..))]
	pub inference_max_input_bytes: u64,

	/// Largest output of one run, in bytes of tensor data (`OutputTooLarge`).
	#[arg(long, value_name = "BYTES", default_value_t = 16 << 20, value_parser = clap::value_parser!(u64).range(1..))]
	pub inference_max_output_bytes: u64,

	/// Memory budget of the session cache in MiB, counted as model file bytes.
	#[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
	pub inference_cache_mib: u64,

	/// Whether a job for a model the store lacks makes the node fetch it from the model's
	/// registered CID (through `--ipfs-gateway`) and URIs, verified by size and SHA-256.
	#[arg(long, value_name = "on|off", default_value = "on", value_parser = parse_switch)]
	pub model_fetch: bool,

	/// An IPFS gateway to fetch models by CID from (`<URL>/ipfs/<cid>`); repeat for more,
	/// asked in order. Registered HTTP(S) URIs are tried after the gateways.
	#[arg(long = "ipfs-gateway", value_name = "URL", value_parser = parse_gateway)]
	pub ipfs_gateways: Vec<String>,

	/// Longest a model fetch may take, all sources and retries together, in seconds (a fetch
	/// also ends when the job that wants the model runs out of time).
	#[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
	pub model_fetch_timeout_secs: u64,

	/// After a failed model fetch, how long requests for that model report the failure before
	/// one starts a new fetch, in seconds.
	#[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=86_400))]
	pub model_fetch_retry_secs: u64,

	/// Size budget of the model store in MiB: after a fetch, least recently used models are
	/// removed until the store fits, never one an open job needs. Unlimited by default.
	#[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
	pub model_store_budget_mib: Option<u64>,

	/// For tests of audits only: make this node's engine dishonest, corrupting the output of
	/// segment N of every checkpointed run (its receipts and audits then carry wrong results
	/// with commitments consistent with them). Never set on a real provider: it is slashed.
	#[arg(long, value_name = "N", hide = true)]
	pub inference_fault_segment: Option<u32>,

	/// For tests of agreement under a float tolerance only: move every `f32` output of this
	/// node's runs by NANO billionths, as another GPU's kernels would. Its outputs then differ
	/// by hash from every other node's.
	#[arg(long, value_name = "NANO", hide = true)]
	pub inference_output_jitter_nano: Option<u32>,
}

impl InferenceParams {
	/// The model store directory.
	pub fn model_store_dir(&self) -> PathBuf {
		self.model_store.clone().unwrap_or_else(default_model_store)
	}

	/// The engine configuration these options describe.
	pub fn engine_config(&self) -> EngineConfig {
		let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
		EngineConfig {
			library: self.onnxruntime_lib.clone(),
			model_store: self.model_store_dir(),
			execution_providers: self.execution_providers.clone(),
			intra_threads: self.inference_threads.map(usize::from).unwrap_or((cores / 2).max(1)),
			limits: Limits {
				max_model_bytes: self.inference_max_model_mib << 20,
				max_input_bytes: self.inference_max_input_bytes,
				max_output_bytes: self.inference_max_output_bytes,
				max_run_time: Duration::from_millis(self.inference_max_run_ms),
			},
			session_cache_bytes: self.inference_cache_mib << 20,
			fault: self
				.inference_fault_segment
				.map(|segment| cairn_inference::engine::SegmentFault { segment }),
			jitter: self
				.inference_output_jitter_nano
				.map(|nano| cairn_inference::engine::OutputJitter { nano }),
			checkpoints: cairn_inference::checkpoints::CHECKPOINTS,
		}
	}

	/// The fetch configuration these options describe.
	pub fn fetch_config(&self) -> FetchConfig {
		FetchConfig {
			enabled: self.model_fetch,
			gateways: self.ipfs_gateways.clone(),
			max_duration: Duration::from_secs(self.model_fetch_timeout_secs),
			retry_after_failure: Duration::from_secs(self.model_fetch_retry_secs),
			max_model_bytes: self.inference_max_model_mib << 20,
			store_budget: self.model_store_budget_mib.map(|mib| mib << 20),
			..FetchConfig::default()
		}
	}

	/// A fetcher into `store` with these options.
	pub fn fetcher(&self, store: ModelStore) -> Fetcher {
		Fetcher::new(self.fetch_config(), store)
	}

	/// Opens the engine; fails only when the model store cannot be created.
	pub fn engine(&self) -> Result<OrtEngine, String> {
		let config = self.engine_config();
		let dir = config.model_store.clone();
		OrtEngine::new(config)
			.map_err(|error| format!("cannot open the model store {}: {error}", dir.display()))
	}
}

fn default_model_store() -> PathBuf {
	let data = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into())).join(".local/share")
	});
	data.join("cairn/models")
}

/// Manage the node's model store.
#[derive(Debug, clap::Subcommand)]
pub enum ModelCmd {
	/// Copy an ONNX model into the store under its SHA-256 and print the hash and io spec. With
	/// ONNX Runtime available the model is loaded first and refused if it does not load.
	Import(ModelImportCmd),
	/// List the models in the store with their size, last use and io spec, and with
	/// `--rpc-url` the registration each matches.
	List(ModelListCmd),
	/// Fetch a registered model into the store from its CID (through `--ipfs-gateway`) or its
	/// registered URIs, verified by size and SHA-256, showing progress.
	Fetch(ModelFetchCmd),
}

/// `cairn-node model import FILE`.
#[derive(Debug, clap::Args)]
pub struct ModelImportCmd {
	/// The ONNX model file.
	#[arg(value_name = "FILE")]
	pub file: PathBuf,

	#[allow(missing_docs)]
	#[clap(flatten)]
	pub inference: InferenceParams,
}

/// `cairn-node model list`.
#[derive(Debug, clap::Args)]
pub struct ModelListCmd {
	/// A node's RPC endpoint (`http://` or `ws://`) to look up the registration of each model.
	#[arg(long, value_name = "URL")]
	pub rpc_url: Option<String>,

	#[allow(missing_docs)]
	#[clap(flatten)]
	pub inference: InferenceParams,
}

/// `cairn-node model fetch MODEL`.
#[derive(Debug, clap::Args)]
pub struct ModelFetchCmd {
	/// The model: its id on chain, or the SHA-256 of its file (`0x` and 64 hex digits).
	#[arg(value_name = "MODEL")]
	pub model: String,

	/// A node's RPC endpoint (`http://` or `ws://`) to read the registration from.
	#[arg(long, value_name = "URL", default_value = "http://127.0.0.1:9944")]
	pub rpc_url: String,

	#[allow(missing_docs)]
	#[clap(flatten)]
	pub inference: InferenceParams,
}

impl ModelCmd {
	/// Runs the subcommand, printing to stdout.
	pub fn run(&self) -> Result<(), String> {
		match self {
			ModelCmd::Import(cmd) => cmd.run(),
			ModelCmd::List(cmd) => cmd.run(),
			ModelCmd::Fetch(cmd) => cmd.run(),
		}
	}
}

impl ModelImportCmd {
	fn run(&self) -> Result<(), String> {
		let engine = self.inference.engine()?;
		let limit = engine.config().limits.max_model_bytes;
		let bytes = read_model_file(&self.file, limit)
			.map_err(|error| format!("cannot read {}: {error}", self.file.display()))?;
		let io = match engine.inspect(&bytes) {
			Ok(io) => Some(io),
			Err(InferenceError::RuntimeUnavailable) => {
				eprintln!(
					"warning: the model was not checked: {}",
					engine.unavailable_reason().unwrap_or("ONNX Runtime unavailable")
				);
				None
			},
			Err(error) => {
				return Err(format!(
					"{} was refused ({error}): {}",
					self.file.display(),
					describe(error)
				))
			},
		};
		let hash = engine
			.store()
			.import_bytes(&bytes)
			.map_err(|error| format!("cannot write to the model store: {error}"))?;
		println!("imported 0x{}", to_hex(&hash));
		println!("  file     {} ({} bytes)", self.file.display(), bytes.len());
		println!("  stored   {}", engine.store().path_of(&hash).display());
		if let Some(io) = io {
			print_io(&io);
		}
		Ok(())
	}
}

impl ModelListCmd {
	fn run(&self) -> Result<(), String> {
		let engine = self.inference.engine()?;
		let store = engine.store();
		let models = store.list().map_err(|error| {
			format!("cannot read the model store {}: {error}", store.dir().display())
		})?;
		let total: u64 = models.iter().map(|(_, size)| size).sum();
		println!("{} model(s), {total} bytes in {}", models.len(), store.dir().display());
		for (hash, size) in models {
			let used = last_used(&store.path_of(&hash)).map_or("unknown".into(), format_age);
			println!("0x{}  {size} bytes  last used {used}", to_hex(&hash));
			if let Some(url) = &self.rpc_url {
				match registration(url, &format!("0x{}", to_hex(&hash))) {
					Ok(Some(model)) => println!(
						"  registered model {} \"{}\" by {}",
						model["id"],
						model["name"].as_str().unwrap_or(""),
						model["owner"].as_str().unwrap_or("")
					),
					Ok(None) => println!("  not registered on the chain at {url}"),
					Err(error) => println!("  registration unknown: {error}"),
				}
			}
			match store.read_verified(&hash, engine.config().limits.max_model_bytes) {
				Ok(bytes) => match engine.inspect(&bytes) {
					Ok(io) => print_io(&io),
					Err(InferenceError::RuntimeUnavailable) => {},
					Err(error) => println!("  not loadable: {error}"),
				},
				Err(error) => println!("  not usable: {error} ({})", describe(error)),
			}
		}
		Ok(())
	}
}

/// "3 min ago", "2 h ago"... of a past time.
fn format_age(at: SystemTime) -> String {
	let secs = SystemTime::now().duration_since(at).map(|d| d.as_secs()).unwrap_or(0);
	match secs {
		0..60 => format!("{secs} s ago"),
		60..3_600 => format!("{} min ago", secs / 60),
		3_600..86_400 => format!("{} h ago", secs / 3_600),
		_ => format!("{} days ago", secs / 86_400),
	}
}

/// The HTTP form of a node's RPC URL (its JSON-RPC server answers both on one port).
fn http_url(url: &str) -> String {
	if let Some(rest) = url.strip_prefix("ws://") {
		format!("http://{rest}")
	} else if let Some(rest) = url.strip_prefix("wss://") {
		format!("https://{rest}")
	} else {
		url.to_string()
	}
}

/// Calls a JSON-RPC method of the node at `url`: its result, or its error's message.
fn rpc_call(
	url: &str,
	method: &str,
	params: serde_json::Value,
) -> Result<serde_json::Value, String> {
	let request =
		serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
	let agent = ureq::Agent::new_with_config(
		ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(30))).build(),
	);
	let mut response = agent
		.post(&http_url(url))
		.header("Content-Type", "application/json")
		.send(request.to_string().as_bytes())
		.map_err(|error| format!("cannot reach the node at {url}: {error}"))?;
	let text = response
		.body_mut()
		.read_to_string()
		.map_err(|error| format!("bad answer from {url}: {error}"))?;
	let mut answer: serde_json::Value =
		serde_json::from_str(&text).map_err(|error| format!("bad answer from {url}: {error}"))?;
	if let Some(error) = answer.get("error") {
		return Err(error["message"].as_str().unwrap_or("unknown error").to_string());
	}
	Ok(answer["result"].take())
}

/// The registration of a model by id or `0x` SHA-256 through the provenance RPC, `None` when
/// the chain has no such model.
fn registration(url: &str, model: &str) -> Result<Option<serde_json::Value>, String> {
	let answer = if model.starts_with("0x") {
		rpc_call(url, "provenance_modelByHash", serde_json::json!([model]))
	} else {
		let id: u64 = model
			.parse()
			.map_err(|_| format!("'{model}' is neither a model id nor a 0x-prefixed SHA-256"))?;
		rpc_call(url, "provenance_model", serde_json::json!([id]))
	};
	match answer {
		Ok(model) => Ok(Some(model)),
		Err(message) if message.to_lowercase().contains("unknown model") => Ok(None),
		Err(message) => Err(message),
	}
}

/// The registered URIs of model `id` (storage `ModelProvenance::Sources`), read with
/// `state_getStorage`.
fn registered_uris(url: &str, id: u64) -> Result<cairn_inference::types::ModelSource, String> {
	use codec::Decode;
	let mut key = sp_crypto_hashing::twox_128(b"ModelProvenance").to_vec();
	key.extend(sp_crypto_hashing::twox_128(b"Sources"));
	key.extend(sp_crypto_hashing::twox_64(&codec::Encode::encode(&id)));
	key.extend(codec::Encode::encode(&id));
	let value = rpc_call(
		url,
		"state_getStorage",
		serde_json::json!([format!("0x{}", to_hex_bytes(&key))]),
	)?;
	let mut source = empty_source();
	if let Some(hex) = value.as_str() {
		let bytes = hex_bytes(hex).ok_or("the node sent storage that is not hex")?;
		let sources = pallet_model_provenance::ModelSources::<cairn_runtime::Balance>::decode(
			&mut &bytes[..],
		)
		.map_err(|error| format!("the model's URIs do not decode: {error}"))?;
		source.uris = sources.uris;
	}
	Ok(source)
}

fn empty_source() -> ModelSource {
	ModelSource {
		sha256: [0; 32],
		size_bytes: 0,
		cid: None,
		uris: Default::default(),
		needed_by: None,
	}
}

fn to_hex_bytes(bytes: &[u8]) -> String {
	bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
	let digits = text.strip_prefix("0x")?;
	if digits.len() % 2 != 0 || !digits.is_ascii() {
		return None;
	}
	(0..digits.len()).step_by(2).map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok()).collect()
}

impl ModelFetchCmd {
	fn run(&self) -> Result<(), String> {
		let model = registration(&self.rpc_url, &self.model)?
			.ok_or_else(|| format!("the chain at {} has no model {}", self.rpc_url, self.model))?;
		let id = model["id"].as_u64().ok_or("the node's answer has no model id")?;
		let file = &model["file"];
		let mut source = registered_uris(&self.rpc_url, id)?;
		source.sha256 = file["sha256"]
			.as_str()
			.and_then(from_hex)
			.ok_or("the node's answer has no file hash")?;
		source.size_bytes =
			file["sizeBytes"].as_u64().ok_or("the node's answer has no file size")?;
		source.cid = match file["cid"].as_str() {
			Some(text) => Some(
				cid_from_text(text)
					.and_then(|cid| cid.try_into().ok())
					.ok_or_else(|| format!("the registered CID {text} does not parse"))?,
			),
			None => None,
		};
		let engine = self.inference.engine()?;
		let fetcher = self.inference.fetcher(engine.store().clone());
		let destination = engine.store().path_of(&source.sha256);
		if engine.store().contains(&source.sha256) {
			println!("model {id} is in the store already: {}", destination.display());
			return Ok(());
		}
		println!("fetching model {id} (0x{}, {} bytes)", to_hex(&source.sha256), source.size_bytes);
		let mut progress = Progress::new(std::io::stderr().is_terminal());
		let result = fetcher.fetch(&source, &mut |event| progress.show(event));
		progress.finish();
		match result {
			Ok(()) => {
				let elapsed = progress.started.elapsed().as_secs_f64();
				println!(
					"stored {} ({} bytes in {elapsed:.1} s, {})",
					destination.display(),
					source.size_bytes,
					rate(source.size_bytes, elapsed)
				);
				if let Ok(bytes) = engine.store().read_verified(&source.sha256, u64::MAX) {
					if let Ok(io) = engine.inspect(&bytes) {
						print_io(&io);
					}
				}
				Ok(())
			},
			Err(failure) => Err(format!("model {id} was not fetched: {failure}")),
		}
	}
}

/// Bytes per second, in words.
fn rate(bytes: u64, secs: f64) -> String {
	let per_sec = bytes as f64 / secs.max(1e-3);
	if per_sec >= (1 << 20) as f64 {
		format!("{:.1} MiB/s", per_sec / (1 << 20) as f64)
	} else {
		format!("{:.1} KiB/s", per_sec / 1024.0)
	}
}

/// Fetch progress on stderr: a line redrawn at most ten times a second on a terminal, the
/// sources' outcomes as lines elsewhere.
struct Progress {
	terminal: bool,
	started: Instant,
	attempt_started: Instant,
	drawn: Option<Instant>,
}

impl Progress {
	fn new(terminal: bool) -> Self {
		let now = Instant::now();
		Progress { terminal, started: now, attempt_started: now, drawn: None }
	}

	fn show(&mut self, event: FetchEvent<'_>) {
		let mut err = std::io::stderr();
		match event {
			FetchEvent::Trying { url, round } => {
				self.finish();
				self.attempt_started = Instant::now();
				let _ = writeln!(err, "  {url} (round {round})");
			},
			FetchEvent::Received { received, size } if self.terminal => {
				if self.drawn.is_some_and(|at| at.elapsed() < Duration::from_millis(100))
					&& received < size
				{
					return;
				}
				self.drawn = Some(Instant::now());
				let secs = self.attempt_started.elapsed().as_secs_f64();
				let percent = received as f64 * 100.0 / size.max(1) as f64;
				let _ = write!(
					err,
					"\r  {received} / {size} bytes ({percent:.0}%)  {}   ",
					rate(received, secs)
				);
				let _ = err.flush();
			},
			FetchEvent::Received { .. } => {},
			FetchEvent::SourceFailed { url, failure, detail } => {
				self.finish();
				let _ = writeln!(err, "  {url}: {failure}: {detail}");
			},
			FetchEvent::Stored { .. } => self.finish(),
		}
	}

	/// Ends a progress line being redrawn.
	fn finish(&mut self) {
		if self.drawn.take().is_some() {
			let _ = writeln!(std::io::stderr());
		}
	}
}

fn describe(error: InferenceError) -> &'static str {
	match error {
		InferenceError::InvalidModel => "ONNX Runtime could not load it (corrupt or truncated?)",
		InferenceError::ModelTooLarge => "over --inference-max-model-mib",
		InferenceError::ModelHashMismatch => "the file's SHA-256 differs from its name",
		InferenceError::UnsupportedModelIo => {
			"its inputs or outputs use types Cairn tensors cannot carry"
		},
		_ => "see the node documentation",
	}
}

/// The lower-case name of an element type (`f32`, `f16`, `i64`, `i32`, `u8`, `bool`).
pub fn element_name(element_type: ElementType) -> &'static str {
	match element_type {
		ElementType::F32 => "f32",
		ElementType::F16 => "f16",
		ElementType::I64 => "i64",
		ElementType::I32 => "i32",
		ElementType::U8 => "u8",
		ElementType::Bool => "bool",
	}
}

/// `name: f32 [?, 4]`.
pub fn format_spec(spec: &TensorSpec) -> String {
	let dims = spec
		.shape
		.iter()
		.map(|dim| match dim {
			Dim::Fixed(size) => size.to_string(),
			Dim::Dynamic => "?".to_string(),
		})
		.collect::<Vec<_>>()
		.join(", ");
	format!("{}: {} [{dims}]", String::from_utf8_lossy(&spec.name), element_name(spec.element_type))
}

fn print_io(io: &ModelIo) {
	for spec in io.inputs.iter() {
		println!("  input    {}", format_spec(spec));
	}
	for spec in io.outputs.iter() {
		println!("  output   {}", format_spec(spec));
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	#[derive(Debug, clap::Parser)]
	struct Options {
		#[clap(flatten)]
		inference: InferenceParams,
	}

	#[test]
	fn execution_providers_parse_in_order() {
		let options = Options::try_parse_from(["x", "--inference-ep", "cuda,cpu"]).unwrap();
		assert_eq!(
			options.inference.execution_providers,
			vec![ExecutionProvider::Cuda, ExecutionProvider::Cpu]
		);
		let default = Options::try_parse_from(["x"]).unwrap();
		assert_eq!(default.inference.execution_providers, vec![ExecutionProvider::Cpu]);
	}

	#[test]
	fn bad_inference_flags_are_refused_with_reasons() {
		let error =
			Options::try_parse_from(["x", "--inference-ep", "tpu"]).unwrap_err().to_string();
		assert!(error.contains("unknown execution provider 'tpu'"), "{error}");
		let error =
			Options::try_parse_from(["x", "--inference-ep", "tensorrt"]).unwrap_err().to_string();
		assert!(error.contains("not supported by cairn-node yet"), "{error}");
		assert!(Options::try_parse_from(["x", "--inference-threads", "0"]).is_err());
		assert!(Options::try_parse_from(["x", "--inference-max-run-ms", "0"]).is_err());
	}

	#[test]
	fn limits_come_from_the_flags() {
		let options = Options::try_parse_from([
			"x",
			"--inference-threads",
			"3",
			"--inference-max-run-ms",
			"250",
			"--inference-max-model-mib",
			"2",
			"--model-store",
			"/tmp/cairn-models",
		])
		.unwrap();
		let config = options.inference.engine_config();
		assert_eq!(config.intra_threads, 3);
		assert_eq!(config.limits.max_run_time, Duration::from_millis(250));
		assert_eq!(config.limits.max_model_bytes, 2 << 20);
		assert_eq!(config.model_store, PathBuf::from("/tmp/cairn-models"));
	}

	#[test]
	fn specs_print_dynamic_dimensions() {
		let spec = TensorSpec {
			name: b"x".to_vec().try_into().unwrap(),
			element_type: ElementType::F32,
			shape: vec![Dim::Dynamic, Dim::Fixed(4)].try_into().unwrap(),
		};
		assert_eq!(format_spec(&spec), "x: f32 [?, 4]");
	}
}
