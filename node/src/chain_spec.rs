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
			Box::new(
				ChainSpec::from_json_file(file).map_err(|error| {
					format!("invalid chain specification file '{path}': {error}")
				})?,
			)
		},
	})
}
