//! The chain specifications checked in under `chain-spec/` match what the node generates from
//! the runtime's genesis presets, and start the same chains as the built-in ones. The files keep
//! everything but the runtime code (the node adds its own); regenerate them with
//! `scripts/chain-specs.sh`.

use std::{path::PathBuf, process::Command};

use serde_json::Value;

fn spec_dir() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../chain-spec")
}

/// `cairn-node export-chain-spec --chain <chain> [--raw]`, parsed.
fn exported(chain: &str, raw: bool) -> Value {
	let mut command = Command::new(env!("CARGO_BIN_EXE_cairn-node"));
	command.args(["export-chain-spec", "--chain", chain]);
	if raw {
		command.arg("--raw");
	}
	let output = command.output().expect("cairn-node runs");
	assert!(
		output.status.success(),
		"export-chain-spec --chain {chain} failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	serde_json::from_slice(&output.stdout).expect("export-chain-spec prints JSON")
}

/// The checked-in specification `chain-spec/<file>`, parsed.
fn checked_in(file: &str) -> Value {
	let path = spec_dir().join(file);
	let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
		panic!("{} is missing ({e}): run scripts/chain-specs.sh", path.display())
	});
	serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A plain specification without its runtime code.
fn without_code(mut spec: Value) -> Value {
	let genesis = spec
		.pointer_mut("/genesis/runtimeGenesis")
		.and_then(Value::as_object_mut)
		.expect("a plain specification");
	let code = genesis.remove("code").expect("runtime code present");
	assert!(code.as_str().is_some_and(|c| c.starts_with("0x") && c.len() > 1000));
	spec
}

/// The checked-in file holds the built-in chain's plain specification, less the code.
fn assert_fresh(chain: &str, file: &str) {
	let spec = checked_in(file);
	assert!(
		spec.pointer("/genesis/runtimeGenesis/code").is_none(),
		"chain-spec/{file} carries runtime code: run scripts/chain-specs.sh"
	);
	assert!(
		without_code(exported(chain, false)) == spec,
		"chain-spec/{file} is stale against the runtime's presets: run scripts/chain-specs.sh"
	);
}

/// The checked-in file, loaded by `--chain <file>`, builds the same raw genesis as the built-in
/// chain: the node supplies its own runtime code.
fn assert_same_genesis(chain: &str, file: &str) {
	let path = spec_dir().join(file);
	let from_file = exported(path.to_str().expect("UTF-8 path"), true);
	assert!(
		from_file == exported(chain, true),
		"chain-spec/{file} starts a different chain than --chain {chain}"
	);
}

#[test]
fn dev_spec_is_fresh() {
	assert_fresh("dev", "dev.json");
}

#[test]
fn local_spec_is_fresh() {
	assert_fresh("local", "local.json");
}

#[test]
fn dev_spec_starts_the_dev_chain() {
	assert_same_genesis("dev", "dev.json");
}

#[test]
fn local_spec_starts_the_local_chain() {
	assert_same_genesis("local", "local.json");
}

#[test]
fn raw_spec_with_code_loads_as_it_is() {
	let dir = tempfile_dir();
	let raw = dir.join("local-raw.json");
	let spec = exported("local", true);
	std::fs::write(&raw, serde_json::to_vec(&spec).expect("JSON")).expect("writable");
	assert_eq!(exported(raw.to_str().expect("UTF-8 path"), true), spec);
	let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_spec_that_is_not_json_is_refused_by_name() {
	let dir = tempfile_dir();
	let bad = dir.join("bad.json");
	std::fs::write(&bad, b"{ not json").expect("writable");
	let output = Command::new(env!("CARGO_BIN_EXE_cairn-node"))
		.args(["export-chain-spec", "--chain"])
		.arg(&bad)
		.output()
		.expect("cairn-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("invalid chain specification file"), "{stderr}");
	let _ = std::fs::remove_dir_all(dir);
}

/// A fresh directory for one test.
fn tempfile_dir() -> PathBuf {
	let dir = std::env::temp_dir().join(format!(
		"cairn-chain-spec-{}-{:?}",
		std::process::id(),
		std::thread::current().id()
	));
	std::fs::create_dir_all(&dir).expect("temp dir");
	dir
}
