//! The watchdog that ends runs outliving their deadline.

use super::*;

/// One thread per engine that terminates runs outliving their deadline (cheaper than a thread
/// per run).
pub(super) struct Watchdog {
	shared: Arc<WatchdogShared>,
}

#[derive(Default)]
pub(super) struct WatchdogShared {
	runs: Mutex<WatchedRuns>,
	changed: Condvar,
}

#[derive(Default)]
pub(super) struct WatchedRuns {
	next_id: u64,
	active: Vec<WatchedRun>,
	stopped: bool,
}

pub(super) struct WatchedRun {
	id: u64,
	deadline: Instant,
	options: Arc<RunOptions>,
	fired: Arc<AtomicBool>,
}

/// A run being watched; [`RunGuard::finish`] stops watching it.
pub(super) struct RunGuard<'a> {
	shared: &'a WatchdogShared,
	id: u64,
	fired: Arc<AtomicBool>,
}

impl RunGuard<'_> {
	/// Stops watching; whether the watchdog terminated the run.
	pub(super) fn finish(self) -> bool {
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
	pub(super) fn start() -> Self {
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
	pub(super) fn watch(&self, options: Arc<RunOptions>, deadline: Instant) -> RunGuard<'_> {
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
