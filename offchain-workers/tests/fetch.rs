//! A provider's engine with an empty model store fetches a real light model from a loopback
//! server shaped like an IPFS gateway, verifies it and runs it to its reference output.

mod common;

use cairn_inference::{
	engine::{EngineConfig, OrtEngine},
	fetch::{cid_text, FetchConfig, Fetcher},
	host::Engine,
	outputs_agree, FetchFailure, FetchStatus, InferenceError, ModelSource, Tolerance,
};
use common::*;
use std::{
	io::{BufRead, BufReader, Write},
	net::TcpListener,
	time::{Duration, Instant},
};

/// Serves `files` (path, bytes) over HTTP/1.1 on loopback until the test ends; 404 elsewhere.
fn serve(files: Vec<(String, Vec<u8>)>) -> String {
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	let base = format!("http://{}", listener.local_addr().unwrap());
	std::thread::spawn(move || {
		for mut stream in listener.incoming().flatten() {
			let mut reader = BufReader::new(stream.try_clone().unwrap());
			let mut request = String::new();
			let _ = reader.read_line(&mut request);
			let mut header = String::new();
			while reader.read_line(&mut header).unwrap_or(0) > 2 {
				header.clear();
			}
			let path = request.split_whitespace().nth(1).unwrap_or("/");
			let _ = match files.iter().find(|(served, _)| served == path) {
				Some((_, bytes)) => stream
					.write_all(
						format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", bytes.len())
							.as_bytes(),
					)
					.and_then(|_| stream.write_all(bytes)),
				None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
			};
		}
	});
	base
}

/// The raw-codec SHA-256 CIDv1 of `bytes`.
fn raw_cid(bytes: &[u8]) -> Vec<u8> {
	[&[0x01, 0x55, 0x12, 0x20][..], &cairn_inference::store::sha256(bytes)].concat()
}

/// What a registration says about `bytes`: hash, size and CID, no URIs.
fn registered(bytes: &[u8]) -> ModelSource {
	ModelSource {
		sha256: cairn_inference::store::sha256(bytes),
		size_bytes: bytes.len() as u64,
		cid: Some(raw_cid(bytes).try_into().unwrap()),
		uris: Default::default(),
		needed_by: None,
	}
}

/// Asks until the fetch settles (the offchain worker asks once a block).
fn settled(engine: &OrtEngine, source: &ModelSource) -> FetchStatus {
	let started = Instant::now();
	loop {
		match engine.request_model(source) {
			FetchStatus::Fetching { .. } if started.elapsed() < Duration::from_secs(60) => {
				std::thread::sleep(Duration::from_millis(20))
			},
			status => return status,
		}
	}
}

#[test]
fn a_light_model_the_store_lacks_is_fetched_verified_and_runs_to_its_reference_output() {
	let squeezenet = light_model("light_squeezenet");
	let resnet50 = light_model("light_resnet50");
	let mut forged = resnet50.clone();
	let middle = forged.len() / 2;
	forged[middle] ^= 0x40;
	let gateway = serve(vec![
		(format!("/ipfs/{}", cid_text(&raw_cid(&squeezenet))), squeezenet.clone()),
		// A gateway that serves other bytes under resnet50's CID.
		(format!("/ipfs/{}", cid_text(&raw_cid(&resnet50))), forged),
	]);
	let dir = tempfile::tempdir().unwrap();
	let mut config = EngineConfig::new(Some(library()), dir.path().join("models"));
	config.intra_threads = 2;
	let engine = OrtEngine::new(config).unwrap();
	let fetch = FetchConfig {
		gateways: vec![gateway],
		rounds: 1,
		max_duration: Duration::from_secs(60),
		..Default::default()
	};
	let store = engine.store().clone();
	let engine = engine.with_fetcher(Fetcher::new(fetch, store));
	let source = registered(&squeezenet);
	let input = light_input("data_0", &[1, 3, 224, 224]);

	// Not there yet: a run is refused by name, and a request starts the download.
	assert_eq!(engine.run(&source.sha256, &input).unwrap_err(), InferenceError::UnknownModel);
	assert!(matches!(engine.request_model(&source), FetchStatus::Fetching { .. }));
	assert_eq!(settled(&engine, &source), FetchStatus::Stored);
	assert_eq!(engine.store().read_verified(&source.sha256, u64::MAX).unwrap(), squeezenet);

	// Runs, and agrees with the onnx backend tests' reference output.
	let output = engine.run(&source.sha256, &input).unwrap();
	let tolerance = Tolerance { absolute_nano: 1_000, relative_nano: 1_000_000 };
	assert_eq!(
		outputs_agree(
			&output.outputs,
			&reference_output("light_squeezenet", "softmaxout_1"),
			&tolerance
		),
		Ok(())
	);

	// The forged file never reaches the store, and the refusal names the reason.
	let forged_source = registered(&resnet50);
	assert_eq!(settled(&engine, &forged_source), FetchStatus::Failed(FetchFailure::HashMismatch));
	assert!(!engine.store().contains(&forged_source.sha256));
	assert_eq!(engine.store().list().unwrap().len(), 1);
}
