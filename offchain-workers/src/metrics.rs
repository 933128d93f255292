//! Prometheus metrics of the inference engine (served by the node's Prometheus endpoint).

use crate::types::{ExecutionProvider, FetchFailure, InferenceError};
use std::time::Duration;
use substrate_prometheus_endpoint::{
	exponential_buckets, register, Counter, CounterVec, Histogram, HistogramOpts, HistogramVec,
	Opts, PrometheusError, Registry, U64,
};

/// The engine's metrics.
#[derive(Clone)]
pub struct Metrics {
	runs: CounterVec<U64>,
	failures: CounterVec<U64>,
	run_time: HistogramVec,
}

impl Metrics {
	/// Registers the metrics:
	/// `cairn_inference_runs_total{provider}` (successful runs by execution provider),
	/// `cairn_inference_failures_total{error}` (failed runs by error),
	/// `cairn_inference_run_seconds{provider}` (run time histogram, 100 µs to ~100 s).
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Metrics {
			runs: register(
				CounterVec::new(
					Opts::new(
						"cairn_inference_runs_total",
						"Successful model runs, by execution provider",
					),
					&["provider"],
				)?,
				registry,
			)?,
			failures: register(
				CounterVec::new(
					Opts::new("cairn_inference_failures_total", "Failed model runs, by error"),
					&["error"],
				)?,
				registry,
			)?,
			run_time: register(
				HistogramVec::new(
					HistogramOpts::new(
						"cairn_inference_run_seconds",
						"Model run time (ONNX Runtime session run), by execution provider",
					)
					.buckets(exponential_buckets(0.0001, 4.0, 11)?),
					&["provider"],
				)?,
				registry,
			)?,
		})
	}

	/// Records a successful run.
	pub fn record_run(&self, provider: ExecutionProvider, elapsed: Duration) {
		self.runs.with_label_values(&[provider.name()]).inc();
		self.run_time.with_label_values(&[provider.name()]).observe(elapsed.as_secs_f64());
	}

	/// Records a failed run.
	pub fn record_failure(&self, error: InferenceError) {
		self.failures.with_label_values(&[error.name()]).inc();
	}
}

/// The model fetcher's metrics.
#[derive(Clone)]
pub struct FetchMetrics {
	fetches: CounterVec<U64>,
	source_failures: CounterVec<U64>,
	bytes: Counter<U64>,
	fetch_time: Histogram,
	first_run: Histogram,
}

impl FetchMetrics {
	/// Registers the metrics:
	/// `cairn_model_fetches_total{result}` (finished fetches: `stored` or the failure's name),
	/// `cairn_model_fetch_source_failures_total{reason}` (sources that did not deliver),
	/// `cairn_model_fetch_bytes_total` (bytes of verified models stored),
	/// `cairn_model_fetch_seconds` (time of a finished fetch) and
	/// `cairn_model_fetch_first_run_seconds` (from a fetch's start to the model's first run).
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let seconds = |name: &str, help: &str| -> Result<Histogram, PrometheusError> {
			register(
				Histogram::with_opts(
					HistogramOpts::new(name, help).buckets(exponential_buckets(0.01, 3.0, 10)?),
				)?,
				registry,
			)
		};
		Ok(FetchMetrics {
			fetches: register(
				CounterVec::new(
					Opts::new(
						"cairn_model_fetches_total",
						"Finished model fetches, by result (stored, or the failure)",
					),
					&["result"],
				)?,
				registry,
			)?,
			source_failures: register(
				CounterVec::new(
					Opts::new(
						"cairn_model_fetch_source_failures_total",
						"Model sources (gateway or URI) that did not deliver the registered file, by reason",
					),
					&["reason"],
				)?,
				registry,
			)?,
			bytes: register(
				Counter::new(
					"cairn_model_fetch_bytes_total",
					"Bytes of fetched models verified and stored",
				)?,
				registry,
			)?,
			fetch_time: seconds("cairn_model_fetch_seconds", "Time of a finished model fetch")?,
			first_run: seconds(
				"cairn_model_fetch_first_run_seconds",
				"Time from the start of a model's fetch to its first run",
			)?,
		})
	}

	/// Records a finished fetch: `None` when it stored the model.
	pub fn record_fetch(&self, failure: Option<FetchFailure>, elapsed: Duration) {
		let result = failure.map_or("stored", |failure| failure.name());
		self.fetches.with_label_values(&[result]).inc();
		self.fetch_time.observe(elapsed.as_secs_f64());
	}

	/// Records a source that did not deliver.
	pub fn record_source_failure(&self, failure: FetchFailure) {
		self.source_failures.with_label_values(&[failure.name()]).inc();
	}

	/// Records the bytes of a stored model.
	pub fn record_bytes(&self, bytes: u64) {
		self.bytes.inc_by(bytes);
	}

	/// Records the time from a fetch's start to the model's first run.
	pub fn record_first_run(&self, elapsed: Duration) {
		self.first_run.observe(elapsed.as_secs_f64());
	}
}
