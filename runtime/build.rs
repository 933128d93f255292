//! Builds the runtime to WebAssembly (skipped with `SKIP_WASM_BUILD=1`).
//!
//! With `CAIRN_BUILD_UPGRADE_TEST_RUNTIME` set it also builds the runtime with the `upgrade-test`
//! feature (`spec_version` one higher) into `cairn_runtime_upgrade_test.compact.compressed.wasm`
//! next to the node's blob, for the network suite's runtime-upgrade test. The two builds run one
//! after the other in this script, so they never race for the Wasm project; the node embeds only
//! the first.

/// The variable that asks for the upgrade-test blob.
#[cfg(feature = "std")]
const UPGRADE_TEST_RUNTIME: &str = "CAIRN_BUILD_UPGRADE_TEST_RUNTIME";

#[cfg(feature = "std")]
fn main() {
	let builder = substrate_wasm_builder::WasmBuilder::init_with_defaults();
	#[cfg(feature = "metadata-hash")]
	let builder = builder.enable_metadata_hash("CAIRN", 12);
	builder.build();

	println!("cargo:rerun-if-env-changed={UPGRADE_TEST_RUNTIME}");
	if std::env::var_os(UPGRADE_TEST_RUNTIME).is_some() {
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("upgrade-test")
			.set_file_name("cairn_runtime_upgrade_test")
			.build();
	}
}

#[cfg(not(feature = "std"))]
fn main() {}
