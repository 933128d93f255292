//! Model distribution: a provider node that lacks a registered model fetches it itself, from the
//! node's IPFS gateways (`<gateway>/ipfs/<cid>`) and then the registration's URIs.
//!
//! A download streams into `<store>/.incoming/`, hashed as it arrives, and is cut off as soon as
//! it passes the registered size. Only a file of exactly the registered size and SHA-256 is
//! renamed into the store; nothing else ever gets a `<hash>.onnx` name. Sources are tried in
//! order, in rounds with doubling back-off, until one delivers, the rounds or the time allowed
//! run out, or the node's chain tip reaches the block the model is needed by. Requests for a model
//! already being fetched share that download.
//!
//! The store is kept within a size budget: after a fetch, the least recently used models are
//! removed, never one that a job still needs (a model is needed until the block its requests
//! gave as `needed_by`).

use crate::{
	host::ChainTip,
	metrics::FetchMetrics,
	store::{to_hex, ModelStore},
	types::{FetchFailure, FetchStatus, ModelHash, ModelSource},
};
use sha2::{Digest, Sha256};
use std::{
	collections::HashMap,
	fs,
	io::{Read, Write},
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex, MutexGuard,
	},
	time::{Duration, Instant, SystemTime},
};

const LOG_TARGET: &str = "cairn::fetch";

/// The store's subdirectory of downloads in progress (never read as models).
pub const INCOMING_DIR: &str = ".incoming";

/// How the node fetches models.
#[derive(Clone, Debug)]
pub struct FetchConfig {
	/// Whether the node fetches models at all (`--model-fetch on|off`).
	pub enabled: bool,
	/// IPFS gateway base URLs (`https://ipfs.io`), asked for `/ipfs/<cid>` in this order.
	pub gateways: Vec<String>,
	/// Rounds over all sources before a fetch fails.
	pub rounds: u32,
	/// Wait before the second round; doubled before each later one.
	pub backoff: Duration,
	/// Longest wait for a connection.
	pub connect_timeout: Duration,
	/// Longest wait for the next bytes of a response (a stalled source is given up).
	pub stall_timeout: Duration,
	/// Longest time one fetch may take, all rounds together.
	pub max_duration: Duration,
	/// Most models downloaded at once.
	pub max_concurrent: usize,
	/// How long a failed fetch is reported as failed before a new request starts another.
	pub retry_after_failure: Duration,
	/// Largest model file fetched (the engine's model size limit).
	pub max_model_bytes: u64,
	/// Size budget of the store in bytes; `None` keeps every model.
	pub store_budget: Option<u64>,
}

impl Default for FetchConfig {
	fn default() -> Self {
		FetchConfig {
			enabled: true,
			gateways: Vec::new(),
			rounds: 3,
			backoff: Duration::from_millis(500),
			connect_timeout: Duration::from_secs(5),
			stall_timeout: Duration::from_secs(10),
			max_duration: Duration::from_secs(120),
			max_concurrent: 4,
			retry_after_failure: Duration::from_secs(10),
			max_model_bytes: 512 << 20,
			store_budget: None,
		}
	}
}

/// What a fetch reports as it goes (for a terminal's progress line, or logs).
#[derive(Debug)]
pub enum FetchEvent<'a> {
	/// Asking a source, in round `round` (from 1).
	Trying {
		/// The URL asked.
		url: &'a str,
		/// The round.
		round: u32,
	},
	/// Bytes received from the source being asked.
	Received {
		/// Bytes so far.
		received: u64,
		/// The registered size.
		size: u64,
	},
	/// A source did not deliver the file.
	SourceFailed {
		/// The URL asked.
		url: &'a str,
		/// Why.
		failure: FetchFailure,
		/// What happened, for people.
		detail: &'a str,
	},
	/// The verified file is in the store.
	Stored {
		/// Where.
		path: &'a Path,
	},
}

/// The multibase (base32, lower case, `b` prefix) text form of a binary CID: what gateways and
/// people use.
pub fn cid_text(cid: &[u8]) -> String {
	const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
	let mut out = String::with_capacity(1 + cid.len() * 8 / 5 + 1);
	out.push('b');
	let (mut buffer, mut bits) = (0u32, 0u32);
	for byte in cid {
		buffer = (buffer << 8) | u32::from(*byte);
		bits += 8;
		while bits >= 5 {
			bits -= 5;
			out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
		}
	}
	if bits > 0 {
		out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
	}
	out
}

/// The binary CID of its base32 multibase text (`b…`, as [`cid_text`] writes it); `None` for
/// any other text.
pub fn cid_from_text(text: &str) -> Option<Vec<u8>> {
	let digits = text.strip_prefix('b')?;
	let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
	for c in digits.bytes() {
		let value = match c {
			b'a'..=b'z' => c - b'a',
			b'2'..=b'7' => c - b'2' + 26,
			_ => return None,
		};
		buffer = (buffer << 5) | u32::from(value);
		bits += 5;
		if bits >= 8 {
			bits -= 8;
			out.push((buffer >> bits) as u8);
		}
		buffer &= (1 << bits) - 1;
	}
	Some(out)
}

/// The URLs to ask for a model, in order: each gateway for the registered CID, then each
/// registered URI (`ipfs://<cid>` through each gateway; `http(s)://` as it is). URIs of other
/// schemes, or not UTF-8, are skipped. No URL appears twice.
pub fn source_urls(gateways: &[String], source: &ModelSource) -> Vec<String> {
	let mut urls: Vec<String> = Vec::new();
	let mut add = |url: String| {
		if !urls.contains(&url) {
			urls.push(url);
		}
	};
	let through_gateways = |cid: &str, add: &mut dyn FnMut(String)| {
		for gateway in gateways {
			add(format!("{}/ipfs/{cid}", gateway.trim_end_matches('/')));
		}
	};
	if let Some(cid) = &source.cid {
		through_gateways(&cid_text(cid), &mut add);
	}
	for uri in source.uris.iter() {
		let Ok(uri) = std::str::from_utf8(uri) else { continue };
		if let Some(cid) = uri.strip_prefix("ipfs://") {
			through_gateways(cid.trim_end_matches('/'), &mut add);
		} else if uri.starts_with("http://") || uri.starts_with("https://") {
			add(uri.to_string());
		}
	}
	urls
}

/// Which failure of several sources a fetch reports: the one that says most about the model.
fn severity(failure: FetchFailure) -> u8 {
	match failure {
		FetchFailure::HashMismatch => 5,
		FetchFailure::TooLarge => 4,
		FetchFailure::Truncated => 3,
		FetchFailure::StoreUnavailable => 2,
		FetchFailure::Unreachable => 1,
		_ => 0,
	}
}

/// A partial download, removed when dropped unless it was moved into the store.
struct Incoming {
	path: PathBuf,
	kept: bool,
}

impl Drop for Incoming {
	fn drop(&mut self) {
		if !self.kept {
			let _ = fs::remove_file(&self.path);
		}
	}
}

/// Where one model's fetch stands.
enum Slot {
	/// Under way: bytes received so far, and the block it is needed by (the latest asked for).
	Running { received: Arc<AtomicU64>, size: u64, needed_by: Arc<AtomicU64> },
	/// Failed at that time.
	Failed { failure: FetchFailure, at: Instant },
}

struct Shared {
	config: FetchConfig,
	store: ModelStore,
	agent: ureq::Agent,
	tip: Option<Arc<dyn ChainTip>>,
	metrics: Option<FetchMetrics>,
	slots: Mutex<HashMap<ModelHash, Slot>>,
	/// The block each model is needed by: not evicted before the tip reaches it.
	needed: Mutex<HashMap<ModelHash, u64>>,
	/// When each fetched model's fetch started, until its first run.
	awaiting_first_run: Mutex<HashMap<ModelHash, Instant>>,
	next_incoming: AtomicU64,
}

/// The HTTP client of fetches under `config`'s time limits.
fn http_agent(config: &FetchConfig) -> ureq::Agent {
	ureq::Agent::new_with_config(
		ureq::Agent::config_builder()
			.http_status_as_error(true)
			.timeout_connect(Some(config.connect_timeout))
			.timeout_recv_response(Some(config.stall_timeout))
			.timeout_recv_body(Some(config.max_duration))
			.user_agent(concat!("cairn-node/", env!("CARGO_PKG_VERSION")))
			.build(),
	)
}

/// Fetches sealed blobs from the places their requesters registered (an IPFS CID through the
/// node's gateways, URLs): the third source of a blob, after the node's store and its peers.
/// Blobs are ciphertext, so any public host serves them; nothing is kept unless it has the
/// blob's size and hash.
#[derive(Clone)]
pub struct BlobDownloader {
	agent: ureq::Agent,
	gateways: Vec<String>,
}

impl BlobDownloader {
	/// A downloader with `config`'s gateways and time limits.
	pub fn new(config: &FetchConfig) -> Self {
		BlobDownloader { agent: http_agent(config), gateways: config.gateways.clone() }
	}

	/// The URLs to ask for a blob at `location`, in order: each gateway for its CID, then its
	/// URLs (`ipfs://` through each gateway).
	pub fn urls(&self, location: &crate::seal::BlobLocation) -> Vec<String> {
		let source = ModelSource {
			sha256: [0; 32],
			size_bytes: 0,
			cid: location.cid.clone(),
			uris: location.uris.iter().cloned().collect::<Vec<_>>().try_into().unwrap_or_default(),
			needed_by: None,
		};
		source_urls(&self.gateways, &source)
	}

	/// Downloads the sealed blob with SHA-256 `sha256`, at most `max` bytes, from the first of
	/// `urls` that serves exactly it: read into memory, cut off past `max`, verified by hash.
	/// One try per URL.
	///
	/// # Errors
	/// The failure that says most of all URLs' ([`FetchFailure::HashMismatch`],
	/// [`FetchFailure::TooLarge`], [`FetchFailure::Unreachable`]), or
	/// [`FetchFailure::NoSource`] without URLs.
	pub fn download_blob(
		&self,
		urls: &[String],
		sha256: &[u8; 32],
		max: u64,
	) -> Result<Vec<u8>, FetchFailure> {
		let mut reported: Option<FetchFailure> = None;
		for url in urls {
			match self.download_blob_from(url, sha256, max) {
				Ok(bytes) => return Ok(bytes),
				Err((failure, detail)) => {
					log::debug!(target: LOG_TARGET, "blob 0x{}: {url}: {detail}", to_hex(sha256));
					if reported.is_none_or(|r| severity(failure) > severity(r)) {
						reported = Some(failure);
					}
				},
			}
		}
		Err(reported.unwrap_or(FetchFailure::NoSource))
	}

	/// One URL's try of [`Self::download_blob`].
	fn download_blob_from(
		&self,
		url: &str,
		sha256: &[u8; 32],
		max: u64,
	) -> Result<Vec<u8>, (FetchFailure, String)> {
		let response = self
			.agent
			.get(url)
			.call()
			.map_err(|error| (FetchFailure::Unreachable, error.to_string()))?;
		let mut bytes = Vec::new();
		response
			.into_body()
			.into_with_config()
			.limit(u64::MAX)
			.reader()
			.take(max.saturating_add(1))
			.read_to_end(&mut bytes)
			.map_err(|error| (FetchFailure::Unreachable, format!("the stream broke: {error}")))?;
		if bytes.len() as u64 > max {
			return Err((FetchFailure::TooLarge, format!("more than the blob's {max} bytes")));
		}
		let digest: [u8; 32] = Sha256::digest(&bytes).into();
		if digest != *sha256 {
			return Err((
				FetchFailure::HashMismatch,
				format!("served SHA-256 0x{}", to_hex(&digest)),
			));
		}
		Ok(bytes)
	}
}

/// Fetches registered models into the store; cheap to clone (one shared state).
#[derive(Clone)]
pub struct Fetcher {
	shared: Arc<Shared>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fetcher {
	/// A fetcher into `store`. Partial downloads a previous run left behind are removed.
	pub fn new(config: FetchConfig, store: ModelStore) -> Self {
		let _ = fs::remove_dir_all(store.dir().join(INCOMING_DIR));
		let agent = http_agent(&config);
		Fetcher {
			shared: Arc::new(Shared {
				config,
				store,
				agent,
				tip: None,
				metrics: None,
				slots: Mutex::new(HashMap::new()),
				needed: Mutex::new(HashMap::new()),
				awaiting_first_run: Mutex::new(HashMap::new()),
				next_incoming: AtomicU64::new(0),
			}),
		}
	}

	fn shared_mut(&mut self) -> &mut Shared {
		Arc::get_mut(&mut self.shared).expect("configured before the fetcher is shared")
	}

	/// Gives up a fetch when this view of the chain reaches the block the model is needed by.
	/// Call before the fetcher is cloned.
	pub fn with_chain_tip(mut self, tip: Arc<dyn ChainTip>) -> Self {
		self.shared_mut().tip = Some(tip);
		self
	}

	/// Records fetches in these metrics. Call before the fetcher is cloned.
	pub fn with_metrics(mut self, metrics: FetchMetrics) -> Self {
		self.shared_mut().metrics = Some(metrics);
		self
	}

	/// The configuration.
	pub fn config(&self) -> &FetchConfig {
		&self.shared.config
	}

	/// Where the model stands, starting a download in the background when the store lacks it
	/// and none is under way (or the last failed over [`FetchConfig::retry_after_failure`] ago).
	/// Never blocks on the network. Marks the model as needed until `source.needed_by`.
	pub fn request(&self, source: &ModelSource) -> FetchStatus {
		let shared = &self.shared;
		if let Some(block) = source.needed_by {
			let mut needed = lock(&shared.needed);
			let entry = needed.entry(source.sha256).or_insert(block);
			*entry = (*entry).max(block);
		}
		if shared.store.contains(&source.sha256) {
			return FetchStatus::Stored;
		}
		if !shared.config.enabled {
			return FetchStatus::Disabled;
		}
		let mut slots = lock(&shared.slots);
		match slots.get(&source.sha256) {
			Some(Slot::Running { received, size, needed_by }) => {
				needed_by.fetch_max(source.needed_by.unwrap_or(u64::MAX), Ordering::Relaxed);
				return FetchStatus::Fetching {
					received: received.load(Ordering::Relaxed),
					size: *size,
				};
			},
			Some(Slot::Failed { failure, at })
				if at.elapsed() < shared.config.retry_after_failure =>
			{
				return FetchStatus::Failed(*failure);
			},
			_ => {},
		}
		let running = slots.values().filter(|slot| matches!(slot, Slot::Running { .. })).count();
		if running >= shared.config.max_concurrent {
			return FetchStatus::Failed(FetchFailure::Busy);
		}
		let received = Arc::new(AtomicU64::new(0));
		let needed_by = Arc::new(AtomicU64::new(source.needed_by.unwrap_or(u64::MAX)));
		slots.insert(
			source.sha256,
			Slot::Running {
				received: received.clone(),
				size: source.size_bytes,
				needed_by: needed_by.clone(),
			},
		);
		drop(slots);
		let fetcher = self.clone();
		let job = source.clone();
		let spawned =
			std::thread::Builder::new().name("cairn-model-fetch".into()).spawn(move || {
				let result = fetcher.download(&job, &received, &needed_by, &mut |event| {
					log_event(&job.sha256, &event)
				});
				let mut slots = lock(&fetcher.shared.slots);
				match result {
					Ok(()) => {
						slots.remove(&job.sha256);
					},
					Err(failure) => {
						slots.insert(job.sha256, Slot::Failed { failure, at: Instant::now() });
					},
				}
			});
		if spawned.is_err() {
			lock(&shared.slots).remove(&source.sha256);
			return FetchStatus::Failed(FetchFailure::Busy);
		}
		FetchStatus::Fetching { received: 0, size: source.size_bytes }
	}

	/// Fetches the model now, on this thread, reporting progress to `on_event`: what
	/// `cairn-node model fetch` runs. `Ok` when the verified file is in the store (already, or now).
	pub fn fetch(
		&self,
		source: &ModelSource,
		on_event: &mut dyn FnMut(FetchEvent<'_>),
	) -> Result<(), FetchFailure> {
		let needed_by = AtomicU64::new(source.needed_by.unwrap_or(u64::MAX));
		self.download(source, &AtomicU64::new(0), &needed_by, on_event)
	}

	/// Records a run of `model`: the first run after its fetch observes the time to first run.
	pub fn note_run(&self, model: &ModelHash) {
		if let Some(started) = lock(&self.shared.awaiting_first_run).remove(model) {
			if let Some(metrics) = &self.shared.metrics {
				metrics.record_first_run(started.elapsed());
			}
		}
	}

	fn deadline_passed(&self, needed_by: &AtomicU64) -> bool {
		let block = needed_by.load(Ordering::Relaxed);
		match &self.shared.tip {
			Some(tip) if block != u64::MAX => tip.best_known() >= block,
			_ => false,
		}
	}

	/// Fetches one model: every source in order, in rounds with back-off.
	fn download(
		&self,
		source: &ModelSource,
		received: &AtomicU64,
		needed_by: &AtomicU64,
		on_event: &mut dyn FnMut(FetchEvent<'_>),
	) -> Result<(), FetchFailure> {
		let shared = &self.shared;
		let started = Instant::now();
		let result = self.download_inner(source, received, needed_by, started, on_event);
		if let Some(metrics) = &shared.metrics {
			metrics.record_fetch(result.err(), started.elapsed());
		}
		if result.is_ok() {
			lock(&shared.awaiting_first_run).insert(source.sha256, started);
			self.evict_over_budget(&source.sha256);
		}
		result
	}

	fn download_inner(
		&self,
		source: &ModelSource,
		received: &AtomicU64,
		needed_by: &AtomicU64,
		started: Instant,
		on_event: &mut dyn FnMut(FetchEvent<'_>),
	) -> Result<(), FetchFailure> {
		let config = &self.shared.config;
		if self.shared.store.contains(&source.sha256) {
			return Ok(());
		}
		if source.size_bytes > config.max_model_bytes {
			return Err(FetchFailure::TooLarge);
		}
		let urls = source_urls(&config.gateways, source);
		if urls.is_empty() {
			return Err(FetchFailure::NoSource);
		}
		let mut usable = vec![true; urls.len()];
		let mut reported: Option<FetchFailure> = None;
		let mut wait = config.backoff;
		for round in 1..=config.rounds.max(1) {
			if round > 1 {
				let left = config.max_duration.saturating_sub(started.elapsed());
				std::thread::sleep(wait.min(left));
				wait = wait.saturating_mul(2);
			}
			for (url, usable) in urls.iter().zip(usable.iter_mut()).filter(|(_, u)| **u) {
				if self.deadline_passed(needed_by) {
					return Err(FetchFailure::DeadlinePassed);
				}
				if started.elapsed() >= config.max_duration {
					return Err(reported.unwrap_or(FetchFailure::DeadlinePassed));
				}
				on_event(FetchEvent::Trying { url, round });
				received.store(0, Ordering::Relaxed);
				match self.download_from(url, source, received, needed_by, on_event) {
					Ok(path) => {
						on_event(FetchEvent::Stored { path: &path });
						return Ok(());
					},
					Err((failure, detail)) => {
						if let Some(metrics) = &self.shared.metrics {
							metrics.record_source_failure(failure);
						}
						on_event(FetchEvent::SourceFailed { url, failure, detail: &detail });
						match failure {
							FetchFailure::StoreUnavailable | FetchFailure::DeadlinePassed => {
								return Err(failure)
							},
							// A source that served the wrong file is not asked again.
							FetchFailure::HashMismatch | FetchFailure::TooLarge => *usable = false,
							_ => {},
						}
						if reported.is_none_or(|r| severity(failure) > severity(r)) {
							reported = Some(failure);
						}
					},
				}
			}
			if !usable.iter().any(|u| *u) {
				break;
			}
		}
		Err(reported.unwrap_or(FetchFailure::Unreachable))
	}

	/// Downloads from one URL into `.incoming/`, then verified into the store.
	fn download_from(
		&self,
		url: &str,
		source: &ModelSource,
		received: &AtomicU64,
		needed_by: &AtomicU64,
		on_event: &mut dyn FnMut(FetchEvent<'_>),
	) -> Result<PathBuf, (FetchFailure, String)> {
		let store = &self.shared.store;
		let unreachable = |error: ureq::Error| (FetchFailure::Unreachable, error.to_string());
		let io_failure = |error: std::io::Error| {
			(FetchFailure::StoreUnavailable, format!("cannot write to the model store: {error}"))
		};
		let response = self.shared.agent.get(url).call().map_err(unreachable)?;
		let size = source.size_bytes;
		if let Some(length) = response.body().content_length() {
			if length > size {
				return Err((
					FetchFailure::TooLarge,
					format!("the source announces {length} bytes; the registration says {size}"),
				));
			}
		}
		let incoming_dir = store.dir().join(INCOMING_DIR);
		fs::create_dir_all(&incoming_dir).map_err(io_failure)?;
		let sequence = self.shared.next_incoming.fetch_add(1, Ordering::Relaxed);
		let mut incoming = Incoming {
			path: incoming_dir.join(format!(
				"{}.{}.{sequence}",
				to_hex(&source.sha256),
				std::process::id()
			)),
			kept: false,
		};
		let mut file = fs::File::create(&incoming.path).map_err(io_failure)?;
		let mut reader = response.into_body().into_with_config().limit(u64::MAX).reader();
		let mut hasher = Sha256::new();
		let mut buffer = vec![0u8; 64 << 10];
		let mut total = 0u64;
		let mut checked = Instant::now();
		loop {
			let read = match reader.read(&mut buffer) {
				Ok(0) => break,
				Ok(read) => read,
				Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
				Err(error) => {
					return Err((
						FetchFailure::Unreachable,
						format!("the stream broke after {total} bytes: {error}"),
					))
				},
			};
			total += read as u64;
			if total > size {
				return Err((
					FetchFailure::TooLarge,
					format!("cut off past the registered {size} bytes"),
				));
			}
			hasher.update(&buffer[..read]);
			file.write_all(&buffer[..read]).map_err(io_failure)?;
			received.store(total, Ordering::Relaxed);
			on_event(FetchEvent::Received { received: total, size });
			if checked.elapsed() >= Duration::from_secs(1) {
				checked = Instant::now();
				if self.deadline_passed(needed_by) {
					return Err((
						FetchFailure::DeadlinePassed,
						format!("the job's deadline came after {total} of {size} bytes"),
					));
				}
			}
		}
		if total < size {
			return Err((
				FetchFailure::Truncated,
				format!("the stream ended after {total} of the registered {size} bytes"),
			));
		}
		let digest: [u8; 32] = hasher.finalize().into();
		if digest != source.sha256 {
			return Err((
				FetchFailure::HashMismatch,
				format!(
					"served SHA-256 0x{}, registered 0x{}",
					to_hex(&digest),
					to_hex(&source.sha256)
				),
			));
		}
		file.sync_all().map_err(io_failure)?;
		drop(file);
		let path = store.path_of(&source.sha256);
		fs::rename(&incoming.path, &path).map_err(io_failure)?;
		incoming.kept = true;
		if let Some(metrics) = &self.shared.metrics {
			metrics.record_bytes(total);
		}
		Ok(path)
	}

	/// Removes least recently used models until the store fits its budget, sparing `fetched`
	/// and every model a job needs until a block the chain tip has not reached.
	fn evict_over_budget(&self, fetched: &ModelHash) {
		let shared = &self.shared;
		let Some(budget) = shared.config.store_budget else { return };
		let tip = shared.tip.as_ref().map(|tip| tip.best_known());
		let needed = {
			let mut needed = lock(&shared.needed);
			needed.retain(|_, block| tip.is_none_or(|tip| *block > tip));
			needed.clone()
		};
		let evicted = shared
			.store
			.evict_to_budget(budget, |model| model == fetched || needed.contains_key(model));
		match evicted {
			Ok(evicted) => {
				for (model, size) in evicted {
					log::info!(
						target: LOG_TARGET,
						"evicted model 0x{} ({size} bytes) to keep the store within {budget} bytes",
						to_hex(&model)
					);
				}
			},
			Err(error) => log::warn!(target: LOG_TARGET, "model store eviction failed: {error}"),
		}
	}
}

fn log_event(model: &ModelHash, event: &FetchEvent<'_>) {
	let model = to_hex(model);
	match event {
		FetchEvent::Trying { url, round } => {
			log::info!(target: LOG_TARGET, "model 0x{model}: fetching from {url} (round {round})")
		},
		FetchEvent::Received { .. } => {},
		FetchEvent::SourceFailed { url, failure, detail } => log::warn!(
			target: LOG_TARGET,
			"model 0x{model}: {url} refused: {failure}: {detail}"
		),
		FetchEvent::Stored { path } => log::info!(
			target: LOG_TARGET,
			"model 0x{model}: fetched, verified and stored as {}",
			path.display()
		),
	}
}

/// When a stored model was last used (its file's modification time, which the engine sets on
/// every load); `None` when the store cannot say.
pub fn last_used(path: &Path) -> Option<SystemTime> {
	fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests;
