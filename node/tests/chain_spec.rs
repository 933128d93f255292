//! The chain specifications checked in under `chain-spec/` match what the node generates from
//! the runtime's genesis presets. Regenerate them with `scripts/chain-specs.sh`.

use std::{path::PathBuf, process::Command};

use serde_json::Value;

/// The storage key of the runtime code (`:code`) in a raw chain specification.
const CODE_KEY: &str = "0x3a636f6465";

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
		"export-chain-spec failed: {}",
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

/// The specification without its runtime code, whose bytes depend on the build (features,
/// toolchain); everything else (name, id, properties, genesis state) must match exactly.
fn without_code(mut spec: Value) -> Value {
	let genesis = spec.get_mut("genesis").expect("a genesis section");
	if let Some(code) = genesis.pointer_mut("/runtimeGenesis/code") {
		assert!(
			code.as_str().is_some_and(|c| c.starts_with("0x") && c.len() > 1000),
			"runtime code present"
		);
		*code = Value::Null;
	}
	if let Some(top) = genesis.pointer_mut("/raw/top").and_then(Value::as_object_mut) {
		assert!(top.remove(CODE_KEY).is_some(), "raw genesis holds :code");
	}
	spec
}

fn assert_fresh(chain: &str, file: &str, raw: bool) {
	assert!(
		without_code(exported(chain, raw)) == without_code(checked_in(file)),
		"chain-spec/{file} is stale against the runtime's presets: run scripts/chain-specs.sh"
	);
}

#[test]
fn dev_spec_is_fresh() {
	assert_fresh("dev", "dev.json", false);
}

#[test]
fn dev_raw_spec_is_fresh() {
	assert_fresh("dev", "dev-raw.json", true);
}

#[test]
fn local_spec_is_fresh() {
	assert_fresh("local", "local.json", false);
}

#[test]
fn local_raw_spec_is_fresh() {
	assert_fresh("local", "local-raw.json", true);
}

#[test]
fn checked_in_raw_spec_starts_a_chain_config() {
	// The raw local spec loads as a chain spec (the same path `--chain <file>` takes).
	let output = Command::new(env!("CARGO_BIN_EXE_cairn-node"))
		.args(["export-chain-spec", "--chain"])
		.arg(spec_dir().join("local-raw.json"))
		.arg("--raw")
		.output()
		.expect("cairn-node runs");
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let reexported: Value = serde_json::from_slice(&output.stdout).expect("JSON");
	assert_eq!(reexported, checked_in("local-raw.json"));
}
