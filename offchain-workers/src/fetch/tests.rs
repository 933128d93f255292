//! The fetcher against a loopback HTTP server shaped like an IPFS gateway.

use super::*;
use crate::types::ModelCid;
use std::{
	io::BufRead,
	net::{TcpListener, TcpStream},
};
use substrate_prometheus_endpoint::Registry;

/// How the loopback server answers one path.
#[derive(Clone)]
enum Reply {
	/// 200 with these bytes and their `Content-Length`.
	Bytes(Vec<u8>),
	/// 200 with these bytes and no length: the stream ends when the connection closes.
	Unsized(Vec<u8>),
	/// 200 announcing this `Content-Length`, then these bytes.
	Announcing(u64, Vec<u8>),
	/// These bytes after a pause.
	Slow(Duration, Vec<u8>),
}

/// A loopback HTTP/1.1 server answering GETs from a fixed table (404 elsewhere), counting hits.
struct Server {
	base: String,
	hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Server {
	fn start(routes: Vec<(&str, Reply)>) -> Server {
		let listener = TcpListener::bind("127.0.0.1:0").unwrap();
		let base = format!("http://{}", listener.local_addr().unwrap());
		let routes: HashMap<String, Reply> =
			routes.into_iter().map(|(path, reply)| (path.to_string(), reply)).collect();
		let hits = Arc::new(Mutex::new(HashMap::new()));
		let counted = hits.clone();
		std::thread::spawn(move || {
			for stream in listener.incoming().flatten() {
				let (routes, hits) = (routes.clone(), counted.clone());
				std::thread::spawn(move || answer(stream, &routes, &hits));
			}
		});
		Server { base, hits }
	}

	fn hits(&self, path: &str) -> usize {
		lock(&self.hits).get(path).copied().unwrap_or(0)
	}
}

fn answer(
	stream: TcpStream,
	routes: &HashMap<String, Reply>,
	hits: &Mutex<HashMap<String, usize>>,
) {
	let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
	let mut request_line = String::new();
	if reader.read_line(&mut request_line).is_err() {
		return;
	}
	loop {
		let mut header = String::new();
		if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
			break;
		}
	}
	let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
	*lock(hits).entry(path.clone()).or_default() += 1;
	let mut stream = stream;
	let ok = |length: Option<u64>| match length {
		Some(length) => {
			format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n")
		},
		None => "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string(),
	};
	let _ = match routes.get(&path) {
		Some(Reply::Bytes(bytes)) => stream
			.write_all(ok(Some(bytes.len() as u64)).as_bytes())
			.and_then(|_| stream.write_all(bytes)),
		Some(Reply::Unsized(bytes)) => {
			stream.write_all(ok(None).as_bytes()).and_then(|_| stream.write_all(bytes))
		},
		Some(Reply::Announcing(length, bytes)) => {
			stream.write_all(ok(Some(*length)).as_bytes()).and_then(|_| stream.write_all(bytes))
		},
		Some(Reply::Slow(pause, bytes)) => {
			std::thread::sleep(*pause);
			stream
				.write_all(ok(Some(bytes.len() as u64)).as_bytes())
				.and_then(|_| stream.write_all(bytes))
		},
		None => stream
			.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
	};
}

/// A URL on loopback where nothing listens.
fn closed_port_url() -> String {
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	format!("http://{}", listener.local_addr().unwrap())
}

/// The raw-codec SHA-256 CIDv1 of bytes.
fn raw_cid(bytes: &[u8]) -> ModelCid {
	let mut cid = vec![0x01, 0x55, 0x12, 0x20];
	cid.extend_from_slice(&crate::store::sha256(bytes));
	cid.try_into().unwrap()
}

fn model_bytes(seed: u8, len: usize) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn source_of(bytes: &[u8]) -> ModelSource {
	ModelSource {
		sha256: crate::store::sha256(bytes),
		size_bytes: bytes.len() as u64,
		cid: Some(raw_cid(bytes)),
		uris: Default::default(),
		needed_by: None,
	}
}

fn gateway_path(bytes: &[u8]) -> String {
	format!("/ipfs/{}", cid_text(&raw_cid(bytes)))
}

fn quick_config(gateways: Vec<String>) -> FetchConfig {
	FetchConfig {
		gateways,
		rounds: 2,
		backoff: Duration::from_millis(10),
		connect_timeout: Duration::from_secs(2),
		stall_timeout: Duration::from_secs(2),
		max_duration: Duration::from_secs(10),
		retry_after_failure: Duration::from_secs(60),
		..Default::default()
	}
}

struct Setup {
	_dir: tempfile::TempDir,
	store: ModelStore,
	fetcher: Fetcher,
	registry: Registry,
}

fn setup(config: FetchConfig) -> Setup {
	let dir = tempfile::tempdir().unwrap();
	let store = ModelStore::open(dir.path().join("models")).unwrap();
	let registry = Registry::new();
	let fetcher = Fetcher::new(config, store.clone())
		.with_metrics(FetchMetrics::register(&registry).unwrap());
	Setup { _dir: dir, store, fetcher, registry }
}

impl Setup {
	/// The value of counter `name` with label value `label` (0 when never counted).
	fn counted(&self, name: &str, label: &str) -> u64 {
		self.registry
			.gather()
			.iter()
			.filter(|family| family.get_name() == name)
			.flat_map(|family| family.get_metric().iter())
			.filter(|metric| {
				label.is_empty() || metric.get_label().iter().any(|l| l.get_value() == label)
			})
			.map(|metric| metric.get_counter().get_value() as u64)
			.sum()
	}

	/// Nothing but verified models in the store: no partial download left either.
	fn assert_nothing_unverified(&self) {
		for (hash, _) in self.store.list().unwrap() {
			assert!(self.store.read_verified(&hash, u64::MAX).is_ok());
		}
		let incoming = self.store.dir().join(INCOMING_DIR);
		let left = fs::read_dir(&incoming).map(|entries| entries.count()).unwrap_or(0);
		assert_eq!(left, 0, "partial downloads left in {}", incoming.display());
	}

	fn wait_until_settled(&self, source: &ModelSource) -> FetchStatus {
		let started = Instant::now();
		loop {
			match self.fetcher.request(source) {
				FetchStatus::Fetching { .. } if started.elapsed() < Duration::from_secs(20) => {
					std::thread::sleep(Duration::from_millis(10))
				},
				status => return status,
			}
		}
	}
}

#[test]
fn cids_print_as_gateways_expect_and_parse_back() {
	// The CIDv1 (raw, SHA-256) of the empty file.
	let empty = raw_cid(b"");
	assert_eq!(cid_text(&empty), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
	assert_eq!(cid_from_text(&cid_text(&empty)).as_deref(), Some(&empty[..]));
	assert_eq!(cid_from_text("Qmabc"), None);
	assert_eq!(cid_from_text("b0189"), None);
}

#[test]
fn sources_are_the_gateways_then_the_uris_in_order() {
	let bytes = b"model";
	let cid = cid_text(&raw_cid(bytes));
	let mut source = source_of(bytes);
	// The last URI names the registered CID again: its gateway URLs are not repeated.
	source.uris = vec![
		b"https://models.example/m.onnx".to_vec().try_into().unwrap(),
		b"ipfs://bafyother/".to_vec().try_into().unwrap(),
		b"ftp://old.example/m.onnx".to_vec().try_into().unwrap(),
		format!("ipfs://{cid}").into_bytes().try_into().unwrap(),
	]
	.try_into()
	.unwrap();
	let gateways = vec!["http://127.0.0.1:8080/".to_string(), "https://ipfs.example".to_string()];
	assert_eq!(
		source_urls(&gateways, &source),
		vec![
			format!("http://127.0.0.1:8080/ipfs/{cid}"),
			format!("https://ipfs.example/ipfs/{cid}"),
			"https://models.example/m.onnx".to_string(),
			"http://127.0.0.1:8080/ipfs/bafyother".to_string(),
			"https://ipfs.example/ipfs/bafyother".to_string(),
		]
	);
	source.cid = None;
	source.uris = Default::default();
	assert!(source_urls(&gateways, &source).is_empty());
}

#[test]
fn a_missing_model_is_fetched_through_a_gateway_verified_and_stored() {
	let bytes = model_bytes(1, 300_000);
	let server = Server::start(vec![(&gateway_path(&bytes), Reply::Bytes(bytes.clone()))]);
	let setup = setup(quick_config(vec![server.base.clone()]));
	let source = source_of(&bytes);
	assert!(matches!(setup.fetcher.request(&source), FetchStatus::Fetching { size: 300_000, .. }));
	assert_eq!(setup.wait_until_settled(&source), FetchStatus::Stored);
	assert_eq!(setup.store.read_verified(&source.sha256, u64::MAX).unwrap(), bytes);
	assert_eq!(server.hits(&gateway_path(&bytes)), 1);
	assert_eq!(setup.counted("cairn_model_fetches_total", "stored"), 1);
	assert_eq!(setup.counted("cairn_model_fetch_bytes_total", ""), 300_000);
	setup.assert_nothing_unverified();
	// Its first run is timed once.
	setup.fetcher.note_run(&source.sha256);
	setup.fetcher.note_run(&source.sha256);
	let first_runs = setup
		.registry
		.gather()
		.into_iter()
		.find(|family| family.get_name() == "cairn_model_fetch_first_run_seconds")
		.map(|family| family.get_metric()[0].get_histogram().get_sample_count());
	assert_eq!(first_runs, Some(1));
}

#[test]
fn wrong_bytes_are_refused_and_nothing_reaches_the_store() {
	let bytes = model_bytes(2, 50_000);
	let mut wrong = bytes.clone();
	wrong[25_000] ^= 1;
	let server = Server::start(vec![(&gateway_path(&bytes), Reply::Bytes(wrong))]);
	let setup = setup(quick_config(vec![server.base.clone()]));
	let mut failures = Vec::new();
	let result = setup.fetcher.fetch(&source_of(&bytes), &mut |event| {
		if let FetchEvent::SourceFailed { failure, .. } = event {
			failures.push(failure);
		}
	});
	assert_eq!(result, Err(FetchFailure::HashMismatch));
	// A source that served the wrong file is not asked again in the next round.
	assert_eq!(failures, vec![FetchFailure::HashMismatch]);
	assert_eq!(server.hits(&gateway_path(&bytes)), 1);
	assert!(setup.store.list().unwrap().is_empty());
	assert_eq!(setup.counted("cairn_model_fetch_source_failures_total", "HashMismatch"), 1);
	assert_eq!(setup.counted("cairn_model_fetches_total", "HashMismatch"), 1);
	setup.assert_nothing_unverified();
}

#[test]
fn oversize_downloads_are_cut_off() {
	let bytes = model_bytes(3, 10_000);
	let mut longer = bytes.clone();
	longer.extend(model_bytes(4, 1 << 20));
	let unsized_path = "/unsized.onnx";
	let announced_path = "/announced.onnx";
	let server = Server::start(vec![
		(unsized_path, Reply::Unsized(longer.clone())),
		(announced_path, Reply::Announcing(longer.len() as u64, longer)),
	]);
	let setup = setup(quick_config(vec![]));
	for path in [unsized_path, announced_path] {
		let mut source = source_of(&bytes);
		source.cid = None;
		source.uris = vec![format!("{}{path}", server.base).into_bytes().try_into().unwrap()]
			.try_into()
			.unwrap();
		let mut largest = 0;
		let result = setup.fetcher.fetch(&source, &mut |event| {
			if let FetchEvent::Received { received, .. } = event {
				largest = largest.max(received);
			}
		});
		assert_eq!(result, Err(FetchFailure::TooLarge), "{path}");
		// Mid-stream: never more than one read past the registered size.
		assert!(largest <= 10_000, "{path}: read {largest} bytes");
	}
	// A registration over the node's own limit is not even asked for.
	let setup = setup_with_limit(&server, 1_000);
	assert_eq!(setup.fetcher.fetch(&source_of(&bytes), &mut |_| {}), Err(FetchFailure::TooLarge));
	assert!(setup.store.list().unwrap().is_empty());
	setup.assert_nothing_unverified();
}

fn setup_with_limit(server: &Server, max_model_bytes: u64) -> Setup {
	setup(FetchConfig { max_model_bytes, ..quick_config(vec![server.base.clone()]) })
}

#[test]
fn a_short_stream_is_truncated() {
	let bytes = model_bytes(5, 20_000);
	let server =
		Server::start(vec![(&gateway_path(&bytes), Reply::Unsized(bytes[..19_000].to_vec()))]);
	let setup = setup(quick_config(vec![server.base.clone()]));
	assert_eq!(setup.fetcher.fetch(&source_of(&bytes), &mut |_| {}), Err(FetchFailure::Truncated));
	// Retried in the second round: a short read may be the network's fault.
	assert_eq!(server.hits(&gateway_path(&bytes)), 2);
	setup.assert_nothing_unverified();
}

#[test]
fn a_down_gateway_falls_back_to_the_registered_uri() {
	let bytes = model_bytes(6, 4_000);
	let server = Server::start(vec![("/m.onnx", Reply::Bytes(bytes.clone()))]);
	let setup = setup(quick_config(vec![closed_port_url()]));
	let mut source = source_of(&bytes);
	source.uris = vec![format!("{}/m.onnx", server.base).into_bytes().try_into().unwrap()]
		.try_into()
		.unwrap();
	let mut failures = Vec::new();
	let result = setup.fetcher.fetch(&source, &mut |event| {
		if let FetchEvent::SourceFailed { failure, .. } = event {
			failures.push(failure);
		}
	});
	assert_eq!(result, Ok(()));
	assert_eq!(failures, vec![FetchFailure::Unreachable]);
	assert!(setup.store.contains(&source.sha256));
}

#[test]
fn every_source_down_fails_unreachable_and_is_retried_only_after_the_cool_down() {
	let bytes = model_bytes(7, 1_000);
	let gateway = closed_port_url();
	let setup = setup(FetchConfig {
		retry_after_failure: Duration::from_millis(300),
		..quick_config(vec![gateway.clone()])
	});
	let source = source_of(&bytes);
	assert!(matches!(setup.fetcher.request(&source), FetchStatus::Fetching { .. }));
	assert_eq!(setup.wait_until_settled(&source), FetchStatus::Failed(FetchFailure::Unreachable));
	// Both rounds asked the gateway.
	assert_eq!(setup.counted("cairn_model_fetch_source_failures_total", "Unreachable"), 2);
	assert_eq!(setup.fetcher.request(&source), FetchStatus::Failed(FetchFailure::Unreachable));
	std::thread::sleep(Duration::from_millis(350));
	assert!(matches!(setup.fetcher.request(&source), FetchStatus::Fetching { .. }));
	assert_eq!(setup.wait_until_settled(&source), FetchStatus::Failed(FetchFailure::Unreachable));
	assert_eq!(setup.counted("cairn_model_fetches_total", "Unreachable"), 2);
}

#[test]
fn concurrent_requests_for_one_model_share_one_download() {
	let bytes = model_bytes(8, 100_000);
	let path = gateway_path(&bytes);
	let server =
		Server::start(vec![(&path, Reply::Slow(Duration::from_millis(300), bytes.clone()))]);
	let setup = setup(quick_config(vec![server.base.clone()]));
	let source = source_of(&bytes);
	let statuses: Vec<FetchStatus> = std::thread::scope(|scope| {
		let handles: Vec<_> =
			(0..6).map(|_| scope.spawn(|| setup.fetcher.request(&source))).collect();
		handles.into_iter().map(|handle| handle.join().unwrap()).collect()
	});
	assert!(statuses.iter().all(|status| matches!(status, FetchStatus::Fetching { .. })));
	assert_eq!(setup.wait_until_settled(&source), FetchStatus::Stored);
	assert_eq!(server.hits(&path), 1);
	assert_eq!(setup.counted("cairn_model_fetches_total", ""), 1);
}

#[test]
fn disabled_fetching_reports_disabled_but_stored_models_stay_usable() {
	let setup = setup(FetchConfig { enabled: false, ..quick_config(vec![closed_port_url()]) });
	let stored = setup.store.import_bytes(b"stored model").unwrap();
	assert_eq!(setup.fetcher.request(&source_of(b"stored model")), FetchStatus::Stored);
	assert!(setup.store.contains(&stored));
	assert_eq!(setup.fetcher.request(&source_of(b"missing model")), FetchStatus::Disabled);
	let mut source = source_of(b"missing model");
	source.cid = None;
	let setup = self::setup(quick_config(vec![]));
	assert_eq!(setup.fetcher.fetch(&source, &mut |_| {}), Err(FetchFailure::NoSource));
}

/// A chain tip fixed at one block.
struct FixedTip(u64);

impl ChainTip for FixedTip {
	fn best_known(&self) -> u64 {
		self.0
	}
}

#[test]
fn a_fetch_gives_up_once_the_block_it_was_needed_by_has_come() {
	let bytes = model_bytes(9, 1_000);
	let path = gateway_path(&bytes);
	let server = Server::start(vec![(&path, Reply::Bytes(bytes.clone()))]);
	let dir = tempfile::tempdir().unwrap();
	let store = ModelStore::open(dir.path()).unwrap();
	let fetcher = Fetcher::new(quick_config(vec![server.base.clone()]), store.clone())
		.with_chain_tip(Arc::new(FixedTip(50)));
	let mut source = source_of(&bytes);
	source.needed_by = Some(50);
	assert_eq!(fetcher.fetch(&source, &mut |_| {}), Err(FetchFailure::DeadlinePassed));
	assert_eq!(server.hits(&path), 0);
	source.needed_by = Some(51);
	assert_eq!(fetcher.fetch(&source, &mut |_| {}), Ok(()));
	assert!(store.contains(&source.sha256));
}

#[test]
fn a_fetch_over_the_store_budget_evicts_the_least_recently_used_model_no_job_needs() {
	let fetched = model_bytes(10, 1_000);
	let server = Server::start(vec![(&gateway_path(&fetched), Reply::Bytes(fetched.clone()))]);
	let dir = tempfile::tempdir().unwrap();
	let store = ModelStore::open(dir.path()).unwrap();
	let fetcher = Fetcher::new(
		FetchConfig { store_budget: Some(2_000), ..quick_config(vec![server.base.clone()]) },
		store.clone(),
	)
	.with_chain_tip(Arc::new(FixedTip(100)));
	let needed = store.import_bytes(&model_bytes(11, 1_000)).unwrap();
	let idle = store.import_bytes(&model_bytes(12, 1_000)).unwrap();
	let stale = store.import_bytes(&model_bytes(13, 1_000)).unwrap();
	let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
	for (model, secs) in [(needed, 1_000), (stale, 1_500), (idle, 2_000)] {
		store.set_last_used(&model, at(secs)).unwrap();
	}
	// `needed` has a job open until block 120; `stale`'s job ended at block 90.
	let ask = |bytes: &[u8], block| {
		fetcher.request(&ModelSource { needed_by: Some(block), ..source_of(bytes) })
	};
	assert_eq!(ask(&model_bytes(11, 1_000), 120), FetchStatus::Stored);
	assert_eq!(ask(&model_bytes(13, 1_000), 90), FetchStatus::Stored);
	assert_eq!(fetcher.fetch(&source_of(&fetched), &mut |_| {}), Ok(()));
	let left: Vec<ModelHash> = store.list().unwrap().into_iter().map(|(hash, _)| hash).collect();
	let mut expected = vec![needed, crate::store::sha256(&fetched)];
	expected.sort();
	assert_eq!(left, expected, "the two oldest models no job needs go; the needed one stays");
	assert!(!store.contains(&idle) && !store.contains(&stale));
}

#[test]
fn a_blob_comes_from_its_registered_locations_only_with_its_hash_and_within_its_size() {
	let blob = model_bytes(9, 3000);
	let tampered: Vec<u8> = blob.iter().map(|b| b ^ 1).collect();
	let server = Server::start(vec![
		(&gateway_path(&blob), Reply::Bytes(blob.clone())),
		("/wrong", Reply::Bytes(tampered)),
		("/right", Reply::Bytes(blob.clone())),
	]);
	let downloader = BlobDownloader::new(&quick_config(vec![server.base.clone()]));
	let sha256 = crate::store::sha256(&blob);
	let uri = |path: &str| -> crate::types::ModelUri {
		format!("{}{path}", server.base).into_bytes().try_into().unwrap()
	};
	// The CID through the gateway first, then the URLs in order.
	let location = crate::seal::BlobLocation {
		cid: Some(raw_cid(&blob)),
		uris: vec![uri("/wrong"), uri("/right")].try_into().unwrap(),
	};
	let urls = downloader.urls(&location);
	assert_eq!(
		urls,
		vec![
			format!("{}{}", server.base, gateway_path(&blob)),
			format!("{}/wrong", server.base),
			format!("{}/right", server.base)
		]
	);
	assert_eq!(downloader.download_blob(&urls, &sha256, 3000), Ok(blob.clone()));
	// Wrong bytes are passed over for the next URL, and named when no URL serves the blob.
	assert_eq!(downloader.download_blob(&urls[1..], &sha256, 3000), Ok(blob));
	assert_eq!(
		downloader.download_blob(&urls[1..2], &sha256, 3000),
		Err(FetchFailure::HashMismatch)
	);
	// More than the blob may be is cut off.
	assert_eq!(downloader.download_blob(&urls[2..], &sha256, 2999), Err(FetchFailure::TooLarge));
	assert_eq!(
		downloader.download_blob(&[closed_port_url()], &sha256, 3000),
		Err(FetchFailure::Unreachable)
	);
	assert_eq!(downloader.download_blob(&[], &sha256, 3000), Err(FetchFailure::NoSource));
	assert_eq!(server.hits("/right"), 2);
}
