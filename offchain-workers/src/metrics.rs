//! Prometheus metrics of the inference engine (served by the node's Prometheus endpoint).

use crate::types::{ExecutionProvider, InferenceError};
use std::time::Duration;
use substrate_prometheus_endpoint::{
	exponential_buckets, register, CounterVec, HistogramOpts, HistogramVec, Opts, PrometheusError,
	Registry, U64,
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
