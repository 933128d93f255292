//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (four validators).

use crate::{
	AccountId, BalancesConfig, ComputeRegistryConfig, DataLicensingConfig, ModelProvenanceConfig,
	RuntimeGenesisConfig, SudoConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use cairn_inference::{Dim, ElementType, ModelIo, TensorSpec};
use frame_support::build_struct_json_patch;
use pallet_compute_registry::{ExecutionProvider, ProviderProfile};
use pallet_data_licensing::{AllowedUses, LicenseTerms};
use pallet_model_provenance::{
	DataPurpose, DataUse, DerivativePolicy, EdgeKind, InferenceTerms, ModelFile, ModelFormat,
	ModelInterface, ParentEdge,
};
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

/// The bundled demo model (`offchain-workers/models/tiny_affine.onnx`): y = x · W + b.
pub const DEMO_MODEL: &[u8] = include_bytes!("../../offchain-workers/models/tiny_affine.onnx");

/// Its bundled fine-tune (`offchain-workers/models/tiny_affine_tuned.onnx`).
pub const DEMO_TUNED_MODEL: &[u8] =
	include_bytes!("../../offchain-workers/models/tiny_affine_tuned.onnx");

/// A distillation of the fine-tune (`offchain-workers/models/tiny_affine_distilled.onnx`), served
/// only to holders of an inference license of the demo dataset.
pub const DEMO_DISTILLED_MODEL: &[u8] =
	include_bytes!("../../offchain-workers/models/tiny_affine_distilled.onnx");

/// Content hash of the development chain's demo dataset.
pub const DEMO_DATASET_HASH: [u8; 32] = [0xc0; 32];

/// The interface of the demo models: `x` f32 `[batch, 4]` → `y` f32 `[batch, 3]`, opset 17.
fn demo_interface() -> ModelInterface {
	let spec = |name: &[u8], width: u64| TensorSpec {
		name: name.to_vec().try_into().unwrap_or_default(),
		element_type: ElementType::F32,
		shape: vec![Dim::Dynamic, Dim::Fixed(width)].try_into().unwrap_or_default(),
	};
	ModelInterface {
		format: ModelFormat::Onnx,
		opset: 17,
		io: ModelIo {
			inputs: vec![spec(b"x", 4)].try_into().unwrap_or_default(),
			outputs: vec![spec(b"y", 3)].try_into().unwrap_or_default(),
		},
	}
}

/// A model file record of `bytes`.
fn demo_file(bytes: &[u8]) -> ModelFile {
	ModelFile {
		sha256: sp_crypto_hashing::sha2_256(bytes),
		cid: None,
		size_bytes: bytes.len() as u64,
	}
}

/// The demo lineage of the development chain: Dave's dataset `cairn demo corpus` (dataset 0)
/// with one offer (1 CAIRN, training, fine-tuning, evaluation and inference, 2.5 % royalty,
/// revocable); Charlie's training license (license 0) and Eve's fine-tuning license (license 1),
/// granted by Dave; Charlie's tiny model trained on it (model 0, 5 % royalty), Eve's
/// fine-tune of it (model 1, 10 % royalty) and Bob's distillation of the fine-tune (model 2, 5 %
/// royalty), which requesters may run only with an inference license of the dataset.
fn demo_lineage() -> (DataLicensingConfig, ModelProvenanceConfig) {
	let (bob, charlie, dave, eve) = (
		Sr25519Keyring::Bob.to_account_id(),
		Sr25519Keyring::Charlie.to_account_id(),
		Sr25519Keyring::Dave.to_account_id(),
		Sr25519Keyring::Eve.to_account_id(),
	);
	let offer = LicenseTerms {
		price: UNIT,
		duration: None,
		allowed_uses: AllowedUses {
			training: true,
			fine_tuning: true,
			evaluation: true,
			inference: true,
			commercial: false,
		},
		royalty_bps: 250,
		transferable: false,
		revocable: true,
		max_licensees: None,
		spdx: b"CC-BY-4.0".to_vec().try_into().unwrap_or_default(),
	};
	let data = DataLicensingConfig {
		datasets: vec![(
			dave,
			DEMO_DATASET_HASH,
			b"cairn demo corpus".to_vec().try_into().unwrap_or_default(),
			1 << 20,
			vec![offer].try_into().unwrap_or_default(),
		)],
		licenses: vec![(0, 0, charlie.clone()), (0, 0, eve.clone())],
	};
	let licensed_terms = |royalty_bps, required_license| InferenceTerms {
		price_floor: 0,
		royalty_bps,
		derivatives: DerivativePolicy::Open,
		required_license,
	};
	let terms = |royalty_bps| licensed_terms(royalty_bps, None);
	let models = ModelProvenanceConfig {
		models: vec![
			(
				charlie,
				demo_file(DEMO_MODEL),
				b"cairn tiny affine".to_vec().try_into().unwrap_or_default(),
				demo_interface(),
				terms(500),
				Default::default(),
				vec![DataUse { dataset: 0, license: 0, purpose: DataPurpose::Training }]
					.try_into()
					.unwrap_or_default(),
			),
			(
				eve,
				demo_file(DEMO_TUNED_MODEL),
				b"cairn tiny affine, fine-tuned".to_vec().try_into().unwrap_or_default(),
				demo_interface(),
				terms(1_000),
				vec![ParentEdge { parent: 0, kind: EdgeKind::FineTunedFrom }]
					.try_into()
					.unwrap_or_default(),
				vec![DataUse { dataset: 0, license: 1, purpose: DataPurpose::FineTuning }]
					.try_into()
					.unwrap_or_default(),
			),
			(
				bob,
				demo_file(DEMO_DISTILLED_MODEL),
				b"cairn tiny affine, distilled".to_vec().try_into().unwrap_or_default(),
				demo_interface(),
				licensed_terms(500, Some(0)),
				vec![ParentEdge { parent: 1, kind: EdgeKind::DistilledFrom }]
					.try_into()
					.unwrap_or_default(),
				Default::default(),
			),
		],
	};
	(data, models)
}

/// The genesis state of a chain with the given validators, sudo key, prefunded accounts and
/// compute providers, and the demo lineage when `demo` is set.
fn testnet_genesis(
	initial_authorities: Vec<(AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
	providers: Vec<AccountId>,
	encryption_keys: Vec<(AccountId, pallet_compute_registry::EncryptionPublicKey)>,
	demo: bool,
) -> Value {
	let (data_licensing, model_provenance) =
		if demo { demo_lineage() } else { (Default::default(), Default::default()) };
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|k| (k, ENDOWMENT))
				.chain([(audit_pot(), AUDIT_POT_ENDOWMENT)])
				.collect::<Vec<_>>(),
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
			encryption_keys,
		},
		data_licensing,
		model_provenance,
	})
}

/// What the audit pot holds at genesis, so that the first audits' rewards are paid before fees
/// have built it up: 10 CAIRN.
pub const AUDIT_POT_ENDOWMENT: crate::Balance = 10 * crate::UNIT;

/// The account of the inference pallet's audit pot.
pub fn audit_pot() -> AccountId {
	use sp_runtime::traits::AccountIdConversion;
	<crate::configs::AuditPotId as frame_support::traits::Get<frame_support::PalletId>>::get()
		.into_account_truncating()
}

/// The Aura (sr25519) and GRANDPA (ed25519) keys of a development keyring identity.
fn authority_keys(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
}

/// The prefunded development accounts: the well-known keyring accounts and their stashes.
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// The X25519 encryption key of the development identity `//Alice`: the Montgomery form of the
/// Ed25519 key `//Alice`, which `--dev` and `--alice` nodes insert under the `cenc` key type
/// (`cairn-node`'s tests check the two agree).
pub const ALICE_ENCRYPTION_KEY: pallet_compute_registry::EncryptionPublicKey = [
	0x1d, 0xae, 0x5e, 0x12, 0x54, 0x4c, 0x5c, 0xda, 0xc5, 0x20, 0x46, 0x1a, 0xa8, 0xc6, 0x75, 0xfb,
	0xb5, 0x1f, 0x73, 0x1f, 0xc7, 0x42, 0x31, 0xb0, 0xb3, 0x3b, 0xee, 0x31, 0x1d, 0xce, 0x4e, 0x16,
];

/// `development`: Alice authors, finalizes, holds the sudo key and is a CPU compute provider
/// with her development encryption key; the demo lineage (a licensed dataset, the bundled tiny
/// model and its fine-tune) is registered.
pub fn development_config_genesis() -> Value {
	let alice = Sr25519Keyring::Alice.to_account_id();
	testnet_genesis(
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		alice.clone(),
		vec![alice.clone()],
		vec![(alice, ALICE_ENCRYPTION_KEY)],
		true,
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
		Vec::new(),
		false,
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
