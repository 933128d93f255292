//! Sealed job data: the wire formats by which a job's tensors travel off chain, encrypted end to
//! end, with only hashes, sizes and wrapped keys on chain (see `docs/privacy.md`).
//!
//! Two layers, both ChaCha20-Poly1305 (RFC 8439):
//!
//! - A **sealed blob** holds a canonical [`crate::TensorSet`] encrypted under a random 32-byte
//!   [`ContentKey`]: `"CSB1" ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. Its associated data is
//!   [`BlobContext`] (input or output, the model's hash and the plaintext's hash), so a blob
//!   cannot pass for another model's or another tensor set's. The blob is addressed by the
//!   SHA-256 of its bytes.
//! - A **key envelope** ([`KeyEnvelope`]) carries a content key to one party's X25519 key:
//!   an ephemeral X25519 key pair, the shared secret through HKDF-SHA256 (salt: ephemeral public
//!   key ‖ recipient public key; info [`KEY_WRAP_INFO`]) to a one-time wrapping key, and the
//!   content key sealed under it with [`KeyContext`] as associated data: the job, the model, the
//!   recipient's account, the epoch of the recipient's key and the recipient's role. An envelope
//!   made for one job, party or key epoch does not open for any other.
//!
//! The types are `no_std` (they travel on chain); sealing and opening are native only (`std`):
//! the runtime never sees a content key or a plaintext.

use crate::types::{ModelHash, TensorSetHash};
use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An X25519 public key, as providers publish theirs in the compute registry.
pub type EncryptionPublicKey = [u8; 32];

/// The symmetric key a sealed blob is encrypted under.
pub type ContentKey = [u8; 32];

/// SHA-256 of a sealed blob's bytes: how blobs are addressed.
pub type BlobHash = [u8; 32];

/// The first bytes of every sealed blob (format version 1).
pub const BLOB_MAGIC: [u8; 4] = *b"CSB1";

/// Length of a ChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 12;

/// Length of a ChaCha20-Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// What a sealed blob adds to its plaintext: magic, nonce and tag.
pub const BLOB_OVERHEAD: usize = BLOB_MAGIC.len() + NONCE_LEN + TAG_LEN;

/// HKDF-SHA256 `info` of the key that wraps a content key in a [`KeyEnvelope`].
pub const KEY_WRAP_INFO: &[u8] = b"cairn/seal/v1/key-wrap";

/// Domain tag that starts the associated data of a key envelope.
pub const KEY_DOMAIN: &[u8] = b"cairn/seal/v1/key";

/// Domain tag that starts the associated data of a sealed blob.
pub const BLOB_DOMAIN: &[u8] = b"cairn/seal/v1/blob";

/// HKDF-SHA256 `info` prefix of the content key of a party's sealed outputs, derived from the
/// job's input content key (followed by the SCALE encoding of [`OutputKeyContext`]).
pub const OUTPUT_KEY_INFO: &[u8] = b"cairn/seal/v1/output-key";

/// Encoded u-coordinates of the points of small order on Curve25519 (and their non-canonical
/// encodings): an X25519 key agreement with any of them gives a secret an attacker knows.
/// Providers cannot publish them; key agreement refuses them anyway.
pub const SMALL_ORDER_KEYS: [EncryptionPublicKey; 7] = [
	[0; 32],
	{
		let mut key = [0u8; 32];
		key[0] = 1;
		key
	},
	[
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
		0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		0xb8, 0x00,
	],
	[
		0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
		0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
		0x11, 0x57,
	],
	high_key(0xec),
	high_key(0xed),
	high_key(0xee),
];

/// `b ‖ 0xff … 0xff ‖ 0x7f`: p - 1, p and p + 1 for b = 0xec, 0xed, 0xee.
const fn high_key(first: u8) -> EncryptionPublicKey {
	let mut key = [0xffu8; 32];
	key[0] = first;
	key[31] = 0x7f;
	key
}

/// SHA-256 of a blob's bytes: its address.
pub fn blob_hash(blob: &[u8]) -> BlobHash {
	sp_crypto_hashing::sha2_256(blob)
}

/// Whether `key` can serve as an X25519 public key: not a point of small order (X25519 ignores
/// the top bit, so neither does this).
pub fn is_valid_public_key(key: &EncryptionPublicKey) -> bool {
	let mut masked = *key;
	masked[31] &= 0x7f;
	!SMALL_ORDER_KEYS.contains(&masked)
}

/// A content key sealed to one party's X25519 key (92 bytes encoded).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct KeyEnvelope {
	/// The ephemeral X25519 public key of the sender.
	pub ephemeral: EncryptionPublicKey,
	/// The ChaCha20-Poly1305 nonce.
	pub nonce: [u8; NONCE_LEN],
	/// The content key, encrypted, with its tag.
	pub sealed_key: [u8; 32 + TAG_LEN],
}

/// Whom a key envelope is for.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum KeyRole {
	/// An assigned provider, for the job's input.
	#[codec(index = 0)]
	Provider,
	/// The auditor of a job, for its input.
	#[codec(index = 1)]
	Auditor,
	/// A referee of a job's dispute, for its input.
	#[codec(index = 2)]
	Referee,
	/// The requester, for a provider's outputs.
	#[codec(index = 3)]
	Requester,
}

/// What a key envelope is bound to: its associated data is [`KEY_DOMAIN`] followed by this,
/// SCALE-encoded.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct KeyContext {
	/// The job.
	pub job: u64,
	/// SHA-256 of the model file.
	pub model: ModelHash,
	/// The recipient's account (32 bytes).
	pub recipient: [u8; 32],
	/// The epoch of the recipient's encryption key in the compute registry (zero for a
	/// requester's key, which is not registered).
	pub key_epoch: u32,
	/// The recipient's role.
	pub role: KeyRole,
}

impl KeyContext {
	/// The associated data of an envelope bound to this context.
	pub fn associated_data(&self) -> alloc::vec::Vec<u8> {
		(KEY_DOMAIN, self).encode()
	}
}

/// Which tensors of a job a sealed blob holds.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum BlobKind {
	/// The job's input.
	#[codec(index = 0)]
	Input,
	/// A provider's outputs.
	#[codec(index = 1)]
	Output,
}

/// What a sealed blob is bound to: its associated data is [`BLOB_DOMAIN`] followed by this,
/// SCALE-encoded.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct BlobContext {
	/// Input or outputs.
	pub kind: BlobKind,
	/// SHA-256 of the model file.
	pub model: ModelHash,
	/// SHA-256 of the canonical plaintext tensor set.
	pub plaintext_hash: TensorSetHash,
}

impl BlobContext {
	/// The associated data of a blob bound to this context.
	pub fn associated_data(&self) -> alloc::vec::Vec<u8> {
		(BLOB_DOMAIN, self).encode()
	}
}

/// Why sealed data could not be opened or made.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum SealError {
	/// The public key is a point of small order: key agreement would give a known secret.
	#[codec(index = 0)]
	SmallOrderKey,
	/// The envelope or blob does not open with this key and context: wrong key, wrong
	/// context (another job, party, epoch, model or tensor set), or tampered bytes.
	#[codec(index = 1)]
	Unauthentic,
	/// The blob is not a version-1 sealed blob (too short, or another magic).
	#[codec(index = 2)]
	MalformedBlob,
	/// The system's random number generator failed.
	#[codec(index = 3)]
	NoRandomness,
}

/// A sealed blob as the chain names it: the SHA-256 of its bytes and its size.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct BlobRef {
	/// SHA-256 of the blob's bytes.
	pub sha256: BlobHash,
	/// Its size in bytes.
	pub size_bytes: u32,
}

/// The most URLs a blob location names.
pub const MAX_BLOB_URIS: u32 = 2;

/// Where a sealed blob can be fetched from besides nodes' blob stores: an IPFS CID (through a
/// node's gateways) and URLs (`https://`, `http://` or `ipfs://`). A blob is ciphertext, safe on
/// any public host; a node verifies what it fetches by hash and size.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct BlobLocation {
	/// The blob's IPFS CID (binary), if pinned there.
	pub cid: Option<crate::types::ModelCid>,
	/// URLs serving the blob's bytes, tried in order.
	pub uris: BoundedVec<crate::types::ModelUri, ConstU32<MAX_BLOB_URIS>>,
}

impl BlobLocation {
	/// Whether the location names something to fetch: a non-empty CID or at least one URL, and
	/// every URL of a scheme nodes fetch (`https://`, `http://`, `ipfs://`) with more after it.
	pub fn is_valid(&self) -> bool {
		let fetchable = |uri: &crate::types::ModelUri| {
			[&b"https://"[..], b"http://", b"ipfs://"]
				.iter()
				.any(|scheme| uri.starts_with(scheme) && uri.len() > scheme.len())
		};
		let has_cid = self.cid.as_ref().is_some_and(|cid| !cid.is_empty());
		(has_cid || !self.uris.is_empty()) && self.uris.iter().all(fetchable)
	}
}

/// The largest sealed input blob a job may name, in bytes (64 MiB): a batch of images.
pub const MAX_SEALED_INPUT_BYTES: u32 = 64 * 1024 * 1024;

/// The input of a sealed job, as the request names it: only hashes, a size and the requester's
/// key for the outputs reach the chain.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct SealedInput {
	/// SHA-256 of the canonical plaintext input tensor set: what receipts bind to.
	pub plaintext_hash: TensorSetHash,
	/// The sealed input blob (kind [`BlobKind::Input`]).
	pub blob: BlobRef,
	/// The requester's X25519 key: providers seal the outputs to it (role
	/// [`KeyRole::Requester`], epoch 0).
	pub output_key: EncryptionPublicKey,
}

/// A provider's outputs of a sealed job, as its receipt names them: the sealed output blob (kind
/// [`BlobKind::Output`], served by the provider's node) and its content key wrapped to the
/// requester's output key.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct SealedOutput {
	/// The sealed output blob.
	pub blob: BlobRef,
	/// Its content key, wrapped to the requester.
	pub envelope: KeyEnvelope,
}

/// What the content key of one party's sealed outputs is derived for: every holder of the job's
/// input content key (the parties that could compute the outputs themselves) derives it, so they
/// can compare each other's outputs under the job's float tolerance.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct OutputKeyContext {
	/// The job.
	pub job: u64,
	/// SHA-256 of the model file.
	pub model: ModelHash,
	/// The account (32 bytes) of the party whose outputs the key seals.
	pub party: [u8; 32],
}

/// One party's answer to a sealed job, as its receipt names it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct SealedAnswer {
	/// The party's account (32 bytes).
	pub party: [u8; 32],
	/// SHA-256 of its canonical plaintext outputs.
	pub output_hash: TensorSetHash,
	/// Its sealed output blob.
	pub blob: BlobRef,
}

/// What a node needs to compare its own outputs of a sealed job with other parties': the
/// content key as delivered to this party, its answer and theirs, and the job's tolerance.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct SealedComparison {
	/// The job.
	pub job: u64,
	/// SHA-256 of the model file.
	pub model: ModelHash,
	/// The encryption key (public) the content key was wrapped to: one of this node's.
	pub key: EncryptionPublicKey,
	/// The content key, wrapped to `key`.
	pub envelope: KeyEnvelope,
	/// What the envelope is bound to.
	pub context: KeyContext,
	/// This party's answer.
	pub own: SealedAnswer,
	/// The answers to compare with.
	pub peers: alloc::vec::Vec<SealedAnswer>,
	/// The job's float tolerance.
	pub tolerance: crate::Tolerance,
}

/// How another party's sealed outputs compare with this party's.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum PeerAgreement {
	/// They agree under the job's tolerance.
	#[codec(index = 0)]
	Agrees,
	/// They do not, or their blob does not open to outputs hashing to their receipt's hash.
	#[codec(index = 1)]
	Disagrees,
	/// Their blob is being fetched.
	#[codec(index = 2)]
	Pending,
	/// No peer served their blob.
	#[codec(index = 3)]
	Unavailable,
}

/// Why a party assigned to a sealed job cannot run it: what it reports on chain.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum UnusableReason {
	/// No peer served the input blob.
	#[codec(index = 0)]
	BlobUnavailable,
	/// A peer served bytes that do not hash to the blob's hash, or of another size.
	#[codec(index = 1)]
	BlobHashMismatch,
	/// The key envelope or the blob does not open with this party's key (wrong key, wrong
	/// context, tampered bytes).
	#[codec(index = 2)]
	CannotDecrypt,
	/// The plaintext is not a canonical tensor set hashing to the request's plaintext hash, or
	/// does not fit the model's inputs.
	#[codec(index = 3)]
	InputMismatch,
}

/// Where a sealed input blob stands on a node.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum BlobState {
	/// In the node's store, verified by hash.
	#[codec(index = 0)]
	Stored,
	/// Being fetched from peers.
	#[codec(index = 1)]
	Fetching,
	/// It could not be had, for this reason.
	#[codec(index = 2)]
	Failed(UnusableReason),
}

/// What a node needs to run one sealed job for one party: the job, the sealed input, the
/// party's key envelope and whom to seal the outputs to.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct SealedRunRequest {
	/// The job.
	pub job: u64,
	/// SHA-256 of the model file.
	pub model: ModelHash,
	/// The sealed input.
	pub input: SealedInput,
	/// The encryption key (public) the content key was wrapped to: one of this node's.
	pub key: EncryptionPublicKey,
	/// The content key, wrapped to `key`.
	pub envelope: KeyEnvelope,
	/// What the envelope is bound to: this party's account, key epoch and role.
	pub context: KeyContext,
	/// The requester's account (32 bytes): what the output envelope is bound to.
	pub requester: [u8; 32],
	/// The execution provider to run on, exactly.
	pub execution_provider: crate::types::ExecutionProvider,
}

/// What a sealed run produced: the checkpointed run's hashes and how it ran (its plaintext
/// outputs stay in the node), and the sealed outputs it stored for the requester.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct SealedRunOutput {
	/// SHA-256 of the canonical plaintext outputs.
	pub output_hash: TensorSetHash,
	/// Each segment's output hash (the last is `output_hash`).
	pub leaves: crate::checkpoints::Leaves,
	/// The execution provider that ran the model.
	pub execution_provider: crate::types::ExecutionProvider,
	/// The ONNX Runtime version that ran it.
	pub runtime_version: crate::types::RuntimeVersion,
	/// Wall-clock time of the model run, in microseconds.
	pub elapsed_micros: u64,
	/// The sealed outputs, stored in this node's blob store.
	pub sealed: SealedOutput,
}

/// How a sealed run ended.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum SealedRunStatus {
	/// The job ran; its outputs are sealed and stored.
	#[codec(index = 0)]
	Done(alloc::boxed::Box<SealedRunOutput>),
	/// The job cannot run, for a reason the party reports on chain.
	#[codec(index = 1)]
	Unusable(UnusableReason),
}

#[cfg(feature = "std")]
pub use native::*;

#[cfg(feature = "std")]
mod native {
	use super::*;
	use chacha20poly1305::{
		aead::{Aead, KeyInit, Payload},
		ChaCha20Poly1305, Key, Nonce,
	};
	use x25519_dalek::{PublicKey, StaticSecret};
	use zeroize::Zeroizing;

	/// Fills `bytes` from the operating system's random number generator.
	pub fn random_bytes<const N: usize>() -> Result<[u8; N], SealError> {
		let mut bytes = [0u8; N];
		getrandom::getrandom(&mut bytes).map_err(|_| SealError::NoRandomness)?;
		Ok(bytes)
	}

	/// A fresh random content key.
	pub fn new_content_key() -> Result<Zeroizing<ContentKey>, SealError> {
		random_bytes().map(Zeroizing::new)
	}

	/// The X25519 secret of an Ed25519 key's 32-byte seed (the standard conversion: the
	/// clamped first half of SHA-512 of the seed). Its public key is the Montgomery form of the
	/// Ed25519 public key.
	pub fn secret_from_ed25519_seed(seed: &[u8; 32]) -> StaticSecret {
		let signing = ed25519_dalek::SigningKey::from_bytes(seed);
		StaticSecret::from(signing.to_scalar_bytes())
	}

	/// The public key of an X25519 secret.
	pub fn public_key(secret: &StaticSecret) -> EncryptionPublicKey {
		PublicKey::from(secret).to_bytes()
	}

	/// The wrapping key of an envelope from the shared secret of the ephemeral and the
	/// recipient's key.
	fn wrapping_key(
		shared: &x25519_dalek::SharedSecret,
		ephemeral: &EncryptionPublicKey,
		recipient: &EncryptionPublicKey,
	) -> Result<Zeroizing<[u8; 32]>, SealError> {
		if !shared.was_contributory() {
			return Err(SealError::SmallOrderKey);
		}
		let mut salt = [0u8; 64];
		salt[..32].copy_from_slice(ephemeral);
		salt[32..].copy_from_slice(recipient);
		let mut key = Zeroizing::new([0u8; 32]);
		hkdf::Hkdf::<sha2::Sha256>::new(Some(&salt), shared.as_bytes())
			.expand(KEY_WRAP_INFO, key.as_mut())
			.map_err(|_| SealError::Unauthentic)?;
		Ok(key)
	}

	/// Seals `content_key` to `recipient` for `context`, with a fresh ephemeral key and nonce.
	///
	/// # Errors
	/// [`SealError::SmallOrderKey`] for a recipient key of small order;
	/// [`SealError::NoRandomness`] when the system has no randomness.
	pub fn wrap_key(
		recipient: &EncryptionPublicKey,
		content_key: &ContentKey,
		context: &KeyContext,
	) -> Result<KeyEnvelope, SealError> {
		let ephemeral = Zeroizing::new(random_bytes::<32>()?);
		wrap_key_with(&ephemeral, random_bytes()?, recipient, content_key, context)
	}

	/// [`wrap_key`] with a given ephemeral secret and nonce: for test vectors only (reusing
	/// either breaks confidentiality).
	pub fn wrap_key_with(
		ephemeral_secret: &[u8; 32],
		nonce: [u8; NONCE_LEN],
		recipient: &EncryptionPublicKey,
		content_key: &ContentKey,
		context: &KeyContext,
	) -> Result<KeyEnvelope, SealError> {
		if !is_valid_public_key(recipient) {
			return Err(SealError::SmallOrderKey);
		}
		let ephemeral_secret = StaticSecret::from(*ephemeral_secret);
		let ephemeral = public_key(&ephemeral_secret);
		let shared = ephemeral_secret.diffie_hellman(&PublicKey::from(*recipient));
		let key = wrapping_key(&shared, &ephemeral, recipient)?;
		let aad = context.associated_data();
		let sealed = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
			.encrypt(Nonce::from_slice(&nonce), Payload { msg: content_key, aad: &aad })
			.map_err(|_| SealError::Unauthentic)?;
		let sealed_key = sealed.try_into().map_err(|_| SealError::Unauthentic)?;
		Ok(KeyEnvelope { ephemeral, nonce, sealed_key })
	}

	/// Opens an envelope with the recipient's secret, for `context`.
	///
	/// # Errors
	/// [`SealError::SmallOrderKey`] for an ephemeral key of small order;
	/// [`SealError::Unauthentic`] for another recipient, another context or altered bytes.
	pub fn unwrap_key(
		secret: &StaticSecret,
		envelope: &KeyEnvelope,
		context: &KeyContext,
	) -> Result<Zeroizing<ContentKey>, SealError> {
		if !is_valid_public_key(&envelope.ephemeral) {
			return Err(SealError::SmallOrderKey);
		}
		let recipient = public_key(secret);
		let shared = secret.diffie_hellman(&PublicKey::from(envelope.ephemeral));
		let key = wrapping_key(&shared, &envelope.ephemeral, &recipient)?;
		let aad = context.associated_data();
		let opened = Zeroizing::new(
			ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
				.decrypt(
					Nonce::from_slice(&envelope.nonce),
					Payload { msg: &envelope.sealed_key, aad: &aad },
				)
				.map_err(|_| SealError::Unauthentic)?,
		);
		let mut content_key = Zeroizing::new([0u8; 32]);
		content_key.copy_from_slice(&opened);
		Ok(content_key)
	}

	/// The content key of a party's sealed outputs, derived from the job's input content key:
	/// HKDF-SHA256 (no salt, `ikm` the input content key, `info` [`OUTPUT_KEY_INFO`] followed by
	/// the SCALE encoding of `context`).
	pub fn derive_output_key(
		input_key: &ContentKey,
		context: &OutputKeyContext,
	) -> Zeroizing<ContentKey> {
		let mut info = OUTPUT_KEY_INFO.to_vec();
		info.extend_from_slice(&context.encode());
		let mut key = Zeroizing::new([0u8; 32]);
		// 32 bytes are always within HKDF-SHA256's output length.
		let _ = hkdf::Hkdf::<sha2::Sha256>::new(None, input_key).expand(&info, key.as_mut());
		key
	}

	/// Seals `plaintext` (a canonical tensor set's encoding) under `key` for `context`, with a
	/// fresh nonce.
	///
	/// # Errors
	/// [`SealError::NoRandomness`] when the system has no randomness.
	pub fn seal_blob(
		key: &ContentKey,
		plaintext: &[u8],
		context: &BlobContext,
	) -> Result<Vec<u8>, SealError> {
		seal_blob_with(key, random_bytes()?, plaintext, context)
	}

	/// [`seal_blob`] with a given nonce: for test vectors only.
	pub fn seal_blob_with(
		key: &ContentKey,
		nonce: [u8; NONCE_LEN],
		plaintext: &[u8],
		context: &BlobContext,
	) -> Result<Vec<u8>, SealError> {
		let aad = context.associated_data();
		let sealed = ChaCha20Poly1305::new(Key::from_slice(key))
			.encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
			.map_err(|_| SealError::Unauthentic)?;
		let mut blob = Vec::with_capacity(BLOB_OVERHEAD + plaintext.len());
		blob.extend_from_slice(&BLOB_MAGIC);
		blob.extend_from_slice(&nonce);
		blob.extend_from_slice(&sealed);
		Ok(blob)
	}

	/// Opens a sealed blob with its content key, for `context`; the plaintext is not yet checked
	/// against `context.plaintext_hash` beyond the tag (the caller decodes and hashes it).
	///
	/// # Errors
	/// [`SealError::MalformedBlob`] for bytes that are not a version-1 blob;
	/// [`SealError::Unauthentic`] for another key, another context or altered bytes.
	pub fn open_blob(
		key: &ContentKey,
		blob: &[u8],
		context: &BlobContext,
	) -> Result<Vec<u8>, SealError> {
		if blob.len() < BLOB_OVERHEAD || blob[..BLOB_MAGIC.len()] != BLOB_MAGIC {
			return Err(SealError::MalformedBlob);
		}
		let (nonce, sealed) = blob[BLOB_MAGIC.len()..].split_at(NONCE_LEN);
		let aad = context.associated_data();
		ChaCha20Poly1305::new(Key::from_slice(key))
			.decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
			.map_err(|_| SealError::Unauthentic)
	}
}
