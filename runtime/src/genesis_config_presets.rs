//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (four validators).

use crate::{
	AccountId, BalancesConfig, ComputeRegistryConfig, RuntimeGenesisConfig, SudoConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_compute_registry::{ExecutionProvider, ProviderProfile};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Free balance of each prefunded development account: one million `CAIRN`.
pub const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// Bond of each compute provider registered at genesis: 1,000 CAIRN.
pub const GENESIS_PROVIDER_BOND: crate::Balance = 1_000 * UNIT;

/// The profile of a development compute provider: ONNX Runtime's CPU execution provider.
pub fn dev_cpu_provider_profile() -> ProviderProfile<crate::Balance> {
	ProviderProfile {
		execution_providers: vec![ExecutionProvider::Cpu].try_into().unwrap_or_default(),
		gpu: None,
		cpu_cores: 2,
		ram_mib: 4096,
		onnxruntime_version: b"1.31.1".to_vec().try_into().unwrap_or_default(),
		min_opset: 7,
		max_opset: 22,
		price_per_job: UNIT / 100,
		price_per_compute_unit: UNIT / 100_000,
		max_concurrent_jobs: 4,
		endpoint: None,
	}
}

/// The genesis state of a chain with the given validators, sudo key, prefunded accounts and
/// compute providers.
fn testnet_genesis(
	initial_authorities: Vec<(AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
	providers: Vec<AccountId>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.iter().cloned().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		compute_registry: ComputeRegistryConfig {
			providers: providers
				.into_iter()
				.map(|who| (who, GENESIS_PROVIDER_BOND, dev_cpu_provider_profile()))
				.collect::<Vec<_>>(),
		},
	})
}

/// The Aura (sr25519) and GRANDPA (ed25519) keys of a development keyring identity.
fn authority_keys(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
}

/// The prefunded development accounts: the well-known keyring accounts and their stashes.
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// `development`: Alice authors, finalizes, holds the sudo key and is a CPU compute provider.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		vec![Sr25519Keyring::Alice.to_account_id()],
	)
}

/// `local_testnet`: Alice, Bob, Charlie and Dave validate; Alice holds the sudo key.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority_keys(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		Vec::new(),
	)
}

/// The preset with the given id, serialized to JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	serde_json::to_vec(&patch).ok()
}

/// The ids of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
