//! The node's encryption keys for sealed jobs: Ed25519 keys of the keystore under
//! `cenc` ([`pallet_inference::encryption::ENCRYPTION_KEY_TYPE`]) used as X25519 keys. Their
//! secrets stay in the keystore; the offchain worker sees only public keys.

use cairn_inference::{
	host::SealKeys,
	seal::{public_key, secret_from_ed25519_seed, EncryptionPublicKey},
	InferenceError,
};
use pallet_inference::encryption::{app, ENCRYPTION_KEY_TYPE};
use sc_keystore::LocalKeystore;
use sp_core::crypto::ByteArray;
use sp_keystore::Keystore;
use std::sync::Arc;
use x25519_dalek::StaticSecret;

/// Encryption keys from the node's local keystore.
pub struct KeystoreSealKeys {
	keystore: Arc<LocalKeystore>,
}

impl KeystoreSealKeys {
	/// Serves the encryption keys of `keystore`.
	pub fn new(keystore: Arc<LocalKeystore>) -> Self {
		KeystoreSealKeys { keystore }
	}

	/// The X25519 secrets of every encryption key in the keystore.
	fn secrets(&self) -> Result<Vec<StaticSecret>, InferenceError> {
		let mut secrets = Vec::new();
		for public in self.keystore.ed25519_public_keys(ENCRYPTION_KEY_TYPE) {
			let public = app::Public::from_slice(public.as_slice())
				.map_err(|_| InferenceError::KeystoreUnavailable)?;
			let pair = self
				.keystore
				.key_pair::<app::Pair>(&public)
				.map_err(|_| InferenceError::KeystoreUnavailable)?;
			if let Some(pair) = pair {
				secrets.push(secret_from_ed25519_seed(&pair.into_inner().seed()));
			}
		}
		Ok(secrets)
	}
}

impl SealKeys for KeystoreSealKeys {
	fn public_keys(&self) -> Result<Vec<EncryptionPublicKey>, InferenceError> {
		Ok(self.secrets()?.iter().map(public_key).collect())
	}

	fn generate(&self) -> Result<EncryptionPublicKey, InferenceError> {
		let public = self
			.keystore
			.ed25519_generate_new(ENCRYPTION_KEY_TYPE, None)
			.map_err(|_| InferenceError::KeystoreUnavailable)?;
		let public = app::Public::from(public);
		let pair = self
			.keystore
			.key_pair::<app::Pair>(&public)
			.ok()
			.flatten()
			.ok_or(InferenceError::KeystoreUnavailable)?;
		Ok(public_key(&secret_from_ed25519_seed(&pair.into_inner().seed())))
	}

	fn secret(&self, public: &EncryptionPublicKey) -> Option<StaticSecret> {
		self.secrets().ok()?.into_iter().find(|secret| public_key(secret) == *public)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::Pair;

	#[test]
	fn generated_keys_are_listed_and_their_secrets_found() {
		let keys = KeystoreSealKeys::new(Arc::new(LocalKeystore::in_memory()));
		assert_eq!(keys.public_keys(), Ok(vec![]));
		let first = keys.generate().expect("a key");
		let second = keys.generate().expect("another key");
		assert_ne!(first, second);
		let mut listed = keys.public_keys().expect("keys");
		listed.sort();
		let mut expected = vec![first, second];
		expected.sort();
		assert_eq!(listed, expected);
		let secret = keys.secret(&first).expect("the first key's secret");
		assert_eq!(public_key(&secret), first);
		assert!(keys.secret(&[5; 32]).is_none());
	}

	#[test]
	fn a_key_inserted_by_seed_is_the_standard_conversion() {
		// What `author_insertKey` does on a node with a keystore on disk.
		let dir = std::env::temp_dir().join(format!("cairn-seal-keys-{}", std::process::id()));
		let keystore = Arc::new(LocalKeystore::open(&dir, None).expect("a keystore"));
		let seed = [3u8; 32];
		let pair = sp_core::ed25519::Pair::from_seed(&seed);
		keystore
			.insert(
				ENCRYPTION_KEY_TYPE,
				&crate::rpc::provenance::views::hex(&seed),
				pair.public().as_slice(),
			)
			.expect("inserted");
		let keys = KeystoreSealKeys::new(keystore);
		assert_eq!(keys.public_keys(), Ok(vec![public_key(&secret_from_ed25519_seed(&seed))]));
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn the_development_preset_holds_alices_development_key() {
		let keystore = Arc::new(LocalKeystore::in_memory());
		keystore.ed25519_generate_new(ENCRYPTION_KEY_TYPE, Some("//Alice")).expect("a key");
		let keys = KeystoreSealKeys::new(keystore);
		assert_eq!(
			keys.public_keys(),
			Ok(vec![cairn_runtime::genesis_config_presets::ALICE_ENCRYPTION_KEY])
		);
	}
}
