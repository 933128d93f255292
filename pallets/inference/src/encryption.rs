//! Providers' encryption keys: what a provider node's offchain worker does so that requesters
//! can seal jobs to it.
//!
//! The node keeps X25519 encryption keys in its keystore under [`ENCRYPTION_KEY_TYPE`] (stored
//! as Ed25519 keys; their X25519 form is the standard conversion, see
//! `cairn_inference::seal::secret_from_ed25519_seed`); their secrets never leave the node. For
//! every provider key in the keystore whose provider is registered, the worker makes sure the
//! compute registry holds one of the node's encryption keys: it publishes one (generating the
//! first when the keystore has none) when the registry has none or one this node lacks.
//!
//! **Rotation**: an operator writes any value under [`ROTATE_REQUEST_KEY`] in the node's
//! persistent offchain storage (JSON-RPC `offchain_localStorageSet`, an unsafe method). The next
//! run takes the request, generates a new key and publishes it for every local provider; the
//! old keys stay in the keystore for the jobs sealed to them.

use super::*;
use alloc::vec::Vec;
use cairn_inference::seal::EncryptionPublicKey;
use codec::{Decode, Encode};
use frame_system::{
	offchain::{SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use pallet_compute_registry::{ProviderInspect, ProviderKeys};
use sp_core::hexdisplay::HexDisplay;
use sp_runtime::offchain::StorageKind;

/// The key type of encryption keys in a provider node's keystore.
pub const ENCRYPTION_KEY_TYPE: sp_runtime::KeyTypeId = sp_runtime::KeyTypeId(*b"cenc");

/// Encryption keys as the keystore holds them: Ed25519 under [`ENCRYPTION_KEY_TYPE`], used as
/// X25519 keys.
pub mod app {
	use sp_runtime::app_crypto::{app_crypto, ed25519};
	app_crypto!(ed25519, super::ENCRYPTION_KEY_TYPE);
}

/// Persistent offchain storage key an operator writes (any value) to ask for a key rotation.
pub const ROTATE_REQUEST_KEY: &[u8] = b"cairn::inference::rotate-encryption-key";

/// Persistent offchain storage key of the key a rotation generated, until every local provider
/// has it on chain.
pub const ROTATING_KEY: &[u8] = b"cairn::inference::rotating-encryption-key";

/// Prefix of the persistent offchain storage keys of claims to publish a key, by provider and
/// key (a publication that never lands is sent again after `RETRY_AFTER` blocks).
pub const PUBLISH_CLAIM_PREFIX: &[u8] = b"cairn::inference::publish-encryption-key::";

const LOG_TARGET: &str = "runtime::inference";

/// The key this node wants its providers to publish: a rotation's new key while one is going
/// (taking a new request first), else `None` to keep whatever local key the registry holds.
fn rotating_key() -> Option<EncryptionPublicKey> {
	let kind = StorageKind::PERSISTENT;
	let request = sp_io::offchain::local_storage_get(kind, ROTATE_REQUEST_KEY);
	if request.is_some()
		&& sp_io::offchain::local_storage_compare_and_set(kind, ROTATE_REQUEST_KEY, request, &[])
	{
		sp_io::offchain::local_storage_clear(kind, ROTATE_REQUEST_KEY);
		match cairn_inference::inference::new_encryption_key() {
			Ok(key) => {
				log::info!(target: LOG_TARGET, "encryption key rotation: new key 0x{}", HexDisplay::from(&key));
				sp_io::offchain::local_storage_set(kind, ROTATING_KEY, &key);
				return Some(key);
			},
			Err(error) => log::warn!(
				target: LOG_TARGET,
				"encryption key rotation: no new key ({})",
				error.name()
			),
		}
	}
	sp_io::offchain::local_storage_get(kind, ROTATING_KEY)
		.and_then(|bytes| EncryptionPublicKey::decode(&mut &bytes[..]).ok())
}

/// What one worker run publishes: this node's encryption keys and a rotation's key.
pub(crate) struct KeyPlan {
	/// The public keys of this node's encryption keys.
	local: Vec<EncryptionPublicKey>,
	/// The key of a rotation under way.
	rotating: Option<EncryptionPublicKey>,
	/// Whether every local provider has the rotation's key on chain.
	everyone_rotated: bool,
}

impl KeyPlan {
	/// This node's keys (the first generated when the keystore has none) and a rotation's key;
	/// `None` where the node offers no encryption keys.
	pub(crate) fn new() -> Option<Self> {
		let mut local = match cairn_inference::inference::encryption_keys() {
			Ok(keys) => keys,
			Err(error) => {
				log::debug!(target: LOG_TARGET, "no encryption keys: {}", error.name());
				return None;
			},
		};
		let rotating = rotating_key();
		if local.is_empty() && rotating.is_none() {
			local.push(cairn_inference::inference::new_encryption_key().ok()?);
		}
		Some(KeyPlan { local, rotating, everyone_rotated: true })
	}

	/// Makes sure provider `account` (of this node, signing with `signer`) has one of this
	/// node's encryption keys in the compute registry, as described in the
	/// [module docs](self); an unregistered account is skipped.
	pub(crate) fn publish<T: Config>(
		&mut self,
		now: BlockNumberFor<T>,
		account: &T::AccountId,
		signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
	) {
		if !T::Providers::is_registered(account) {
			return;
		}
		let published = T::Providers::encryption_key(account).map(|(key, _)| key);
		let wanted = match (self.rotating, published) {
			(Some(key), _) => key,
			(None, Some(key)) if self.local.contains(&key) => return,
			(None, _) => match self.local.first() {
				Some(key) => *key,
				None => return,
			},
		};
		if published == Some(wanted) {
			return;
		}
		self.everyone_rotated = false;
		if !worker::take_slot::<T>(&(PUBLISH_CLAIM_PREFIX, account, wanted).encode(), now) {
			return;
		}
		match signer.send_signed_transaction(|_| Call::publish_encryption_key { key: wanted }) {
			Some((_, Ok(()))) => log::info!(
				target: LOG_TARGET,
				"encryption key 0x{} submitted for publication",
				HexDisplay::from(&wanted)
			),
			_ => log::warn!(target: LOG_TARGET, "could not submit an encryption key"),
		}
	}

	/// Ends a rotation every local provider has on chain.
	pub(crate) fn finish(self) {
		if self.rotating.is_some() && self.everyone_rotated {
			sp_io::offchain::local_storage_clear(StorageKind::PERSISTENT, ROTATING_KEY);
		}
	}
}
