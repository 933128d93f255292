//! Built-in chain specifications, built from the runtime's genesis presets.

use cairn_runtime::{TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};
use sc_service::ChainType;

/// The chain specification type of Cairn (no node-side extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token properties shown by wallets and polkadot.js.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

/// The runtime code, or an error when the node was built without it (`SKIP_WASM_BUILD`).
fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime Wasm binary is not available: this node was built with SKIP_WASM_BUILD; \
		 rebuild it without that variable"
			.to_string()
	})
}

/// `dev`: a single-validator development chain (Alice), from the `development` preset.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Cairn Development")
		.with_id("cairn_dev")
		.with_protocol_id("cairn")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `local`: a four-validator local testnet (Alice, Bob, Charlie, Dave), from the
/// `local_testnet` preset.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Cairn Local Testnet")
		.with_id("cairn_local")
		.with_protocol_id("cairn")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// The chain specification named by `--chain`: `dev`, `local` (or empty) or a JSON file.
///
/// A plain specification file without runtime code (`genesis.runtimeGenesis` holding only the
/// preset or patch, as the checked-in files under `chain-spec/` do) gets this node's built-in
/// runtime, so a reviewed text file of a few kilobytes starts a chain. Raw specifications carry
/// their code and are used as they are.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" => Box::new(development_chain_spec()?),
		"" | "local" => Box::new(local_chain_spec()?),
		path => {
			let file = std::path::PathBuf::from(path);
			if !file.is_file() {
				return Err(format!(
					"unknown chain '{path}': expected 'dev', 'local' or the path of a chain \
					 specification JSON file"
				));
			}
			let invalid =
				|error: String| format!("invalid chain specification file '{path}': {error}");
			let bytes = std::fs::read(&file).map_err(|e| invalid(e.to_string()))?;
			let bytes = with_builtin_code(bytes).map_err(invalid)?;
			Box::new(ChainSpec::from_json_bytes(bytes).map_err(invalid)?)
		},
	})
}

/// `spec` with this node's runtime code added when it is a plain specification without code;
/// otherwise `spec` unchanged.
fn with_builtin_code(spec: Vec<u8>) -> Result<Vec<u8>, String> {
	let mut json: serde_json::Value =
		serde_json::from_slice(&spec).map_err(|e| format!("not JSON: {e}"))?;
	let Some(runtime_genesis) =
		json.pointer_mut("/genesis/runtimeGenesis").and_then(serde_json::Value::as_object_mut)
	else {
		return Ok(spec);
	};
	if runtime_genesis.contains_key("code") {
		return Ok(spec);
	}
	let code = sp_core::bytes::to_hex(wasm_binary()?, false);
	runtime_genesis.insert("code".into(), code.into());
	serde_json::to_vec(&json).map_err(|e| e.to_string())
}
