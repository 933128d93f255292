//! Inference options of the node and the `model` subcommands.

use cairn_inference::{
	engine::{EngineConfig, Limits, OrtEngine},
	store::{read_model_file, to_hex},
	Dim, ElementType, ExecutionProvider, InferenceError, ModelIo, TensorSpec,
};
use std::{path::PathBuf, time::Duration};

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
		}
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
	/// List the models in the store with their size and io spec.
	List(ModelListCmd),
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
		println!("{} model(s) in {}", models.len(), store.dir().display());
		for (hash, size) in models {
			println!("0x{}  {size} bytes", to_hex(&hash));
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
