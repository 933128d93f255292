// Sealed job data in Cairn's wire formats (docs/privacy.md; the Rust side is
// cairn_inference::seal): a blob holds a canonical tensor set under a random content key
// (ChaCha20-Poly1305, "CSB1" ‖ nonce ‖ ciphertext ‖ tag), and a key envelope carries a content key
// to one party's X25519 key (ephemeral X25519, HKDF-SHA256, ChaCha20-Poly1305), bound to the job,
// model, recipient, key epoch and role.

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';

const utf8 = (text) => new TextEncoder().encode(text);

/** The first bytes of every sealed blob (format version 1). */
export const BLOB_MAGIC = utf8('CSB1');
/** HKDF-SHA256 `info` of the key that wraps a content key. */
export const KEY_WRAP_INFO = utf8('cairn/seal/v1/key-wrap');
/** Domain tag that starts a key envelope's associated data. */
export const KEY_DOMAIN = utf8('cairn/seal/v1/key');
/** Domain tag that starts a sealed blob's associated data. */
export const BLOB_DOMAIN = utf8('cairn/seal/v1/blob');
/** HKDF-SHA256 `info` prefix of the content key of a party's sealed outputs. */
export const OUTPUT_KEY_INFO = utf8('cairn/seal/v1/output-key');
/** Length of a nonce and of a tag. */
export const NONCE_LEN = 12;
export const TAG_LEN = 16;
/** Length of an encoded key envelope: ephemeral key, nonce, sealed key and tag. */
export const ENVELOPE_LEN = 32 + NONCE_LEN + 32 + TAG_LEN;

/** The recipient roles of a key envelope, by their SCALE index. */
export const KeyRole = Object.freeze({ Provider: 0, Auditor: 1, Referee: 2, Requester: 3 });
/** The kinds of a sealed blob, by their SCALE index. */
export const BlobKind = Object.freeze({ Input: 0, Output: 1 });

/** Thrown when sealed data does not open: wrong key, wrong context or altered bytes. */
export class SealError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

const bytes32 = (value, what) => {
  const out = value instanceof Uint8Array ? value : hexToBytes(value);
  if (out.length !== 32) throw new SealError('InvalidLength', `${what} must be 32 bytes`);
  return out;
};

/** Bytes of a `0x`-prefixed (or bare) hex string. */
export function hexToBytes(hex) {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new SealError('InvalidHex', `not hex: ${hex.slice(0, 20)}`);
  }
  return Uint8Array.from(clean.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

/** `0x`-prefixed lower-case hex of bytes. */
export function bytesToHex(bytes) {
  return `0x${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

// SCALE: a byte slice with its compact length (these domain tags are shorter than 64 bytes).
const scaleBytes = (data) => {
  if (data.length >= 64) throw new SealError('InvalidLength', 'domain tag too long');
  return concat(Uint8Array.of(data.length << 2), data);
};
const u32le = (n) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
};
const u64le = (n) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
};

/**
 * The associated data of a key envelope: SCALE of (KEY_DOMAIN, KeyContext { job: u64, model,
 * recipient (32-byte account), key_epoch: u32, role }).
 */
export function keyContextData({ job, model, recipient, keyEpoch, role }) {
  return concat(
    scaleBytes(KEY_DOMAIN),
    u64le(job),
    bytes32(model, 'model hash'),
    bytes32(recipient, 'recipient account'),
    u32le(keyEpoch),
    Uint8Array.of(role),
  );
}

/**
 * The associated data of a sealed blob: SCALE of (BLOB_DOMAIN, BlobContext { kind, model,
 * plaintext_hash }).
 */
export function blobContextData({ kind, model, plaintextHash }) {
  return concat(
    scaleBytes(BLOB_DOMAIN),
    Uint8Array.of(kind),
    bytes32(model, 'model hash'),
    bytes32(plaintextHash, 'plaintext hash'),
  );
}

/** Whether a 32-byte key can serve as an X25519 public key (not a point of small order). */
export function isValidPublicKey(key) {
  try {
    // Key agreement with a small-order point gives the all-zero secret, which noble refuses.
    x25519.getSharedSecret(x25519.utils.randomSecretKey(), bytes32(key, 'public key'));
    return true;
  } catch {
    return false;
  }
}

/** A fresh X25519 key pair: `{ secretKey, publicKey }`. */
export function newKeyPair() {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/** The X25519 public key of a secret key. */
export function publicKey(secretKey) {
  return x25519.getPublicKey(bytes32(secretKey, 'secret key'));
}

/** The X25519 secret of an Ed25519 seed (the standard conversion a provider node's keystore uses). */
export function secretFromEd25519Seed(seed) {
  return ed25519.utils.toMontgomerySecret(bytes32(seed, 'seed'));
}

/** The X25519 public key of an Ed25519 public key (its Montgomery form): a provider node's key. */
export function publicKeyFromEd25519(edPublicKey) {
  return ed25519.utils.toMontgomery(bytes32(edPublicKey, 'Ed25519 public key'));
}

/**
 * The `info` of a party's output key: OUTPUT_KEY_INFO followed by SCALE of OutputKeyContext
 * { job: u64, model, party (32-byte account) }.
 */
export function outputKeyInfo({ job, model, party }) {
  return concat(OUTPUT_KEY_INFO, u64le(job), bytes32(model, 'model hash'), bytes32(party, 'party account'));
}

/**
 * The content key of `party`'s sealed outputs of a job, derived from the job's input content key
 * (HKDF-SHA256, no salt): every holder of the input key (the requester, the assigned providers,
 * auditors and referees) can open every party's outputs, to compare them under a tolerance.
 */
export function deriveOutputKey(inputKey, context) {
  return hkdf(sha256, bytes32(inputKey, 'content key'), undefined, outputKeyInfo(context), 32);
}

/** A fresh random content key. */
export function newContentKey() {
  return randomBytes(32);
}

const wrappingKey = (shared, ephemeral, recipient) =>
  hkdf(sha256, shared, concat(ephemeral, recipient), KEY_WRAP_INFO, 32);

/**
 * Seals `contentKey` to `recipientPublicKey` for `context` (see keyContextData). Returns the
 * envelope `{ ephemeral, nonce, sealedKey }`; `encodeEnvelope` gives its 92 bytes. `options` fixes
 * the ephemeral secret and nonce, for test vectors only.
 */
export function wrapKey(recipientPublicKey, contentKey, context, options = {}) {
  const recipient = bytes32(recipientPublicKey, 'recipient key');
  const ephemeralSecret = options.ephemeralSecret ?? x25519.utils.randomSecretKey();
  const nonce = options.nonce ?? randomBytes(NONCE_LEN);
  const ephemeral = x25519.getPublicKey(ephemeralSecret);
  let shared;
  try {
    shared = x25519.getSharedSecret(ephemeralSecret, recipient);
  } catch {
    throw new SealError('SmallOrderKey', 'the recipient key is of small order');
  }
  const key = wrappingKey(shared, ephemeral, recipient);
  const sealedKey = chacha20poly1305(key, nonce, keyContextData(context)).encrypt(
    bytes32(contentKey, 'content key'),
  );
  return { ephemeral, nonce, sealedKey };
}

/** Opens an envelope with the recipient's X25519 secret, for `context`; returns the content key. */
export function unwrapKey(secretKey, envelope, context) {
  const { ephemeral, nonce, sealedKey } =
    envelope instanceof Uint8Array || typeof envelope === 'string' ? decodeEnvelope(envelope) : envelope;
  const recipient = publicKey(secretKey);
  let shared;
  try {
    shared = x25519.getSharedSecret(secretKey, ephemeral);
  } catch {
    throw new SealError('SmallOrderKey', 'the ephemeral key is of small order');
  }
  try {
    return chacha20poly1305(wrappingKey(shared, ephemeral, recipient), nonce, keyContextData(context)).decrypt(
      sealedKey,
    );
  } catch {
    throw new SealError('Unauthentic', 'the envelope does not open with this key and context');
  }
}

/** The 92-byte SCALE encoding of an envelope (three fixed-size arrays). */
export function encodeEnvelope({ ephemeral, nonce, sealedKey }) {
  return concat(ephemeral, nonce, sealedKey);
}

/** An envelope from its 92 bytes (or their hex). */
export function decodeEnvelope(encoded) {
  const raw = typeof encoded === 'string' ? hexToBytes(encoded) : encoded;
  if (raw.length !== ENVELOPE_LEN) throw new SealError('InvalidLength', `an envelope is ${ENVELOPE_LEN} bytes`);
  return { ephemeral: raw.slice(0, 32), nonce: raw.slice(32, 44), sealedKey: raw.slice(44) };
}

/**
 * Seals `plaintext` (a canonical tensor set's SCALE encoding) under `contentKey` for `context`
 * (see blobContextData). `options.nonce` is for test vectors only.
 */
export function sealBlob(contentKey, plaintext, context, options = {}) {
  const nonce = options.nonce ?? randomBytes(NONCE_LEN);
  const sealed = chacha20poly1305(bytes32(contentKey, 'content key'), nonce, blobContextData(context)).encrypt(
    plaintext,
  );
  return concat(BLOB_MAGIC, nonce, sealed);
}

/** Opens a sealed blob with its content key, for `context`; returns the plaintext. */
export function openBlob(contentKey, blob, context) {
  if (blob.length < BLOB_MAGIC.length + NONCE_LEN + TAG_LEN || !BLOB_MAGIC.every((b, i) => blob[i] === b)) {
    throw new SealError('MalformedBlob', 'not a version-1 sealed blob');
  }
  const nonce = blob.slice(4, 4 + NONCE_LEN);
  try {
    return chacha20poly1305(bytes32(contentKey, 'content key'), nonce, blobContextData(context)).decrypt(
      blob.slice(4 + NONCE_LEN),
    );
  } catch {
    throw new SealError('Unauthentic', 'the blob does not open with this key and context');
  }
}

/** SHA-256 of a blob's bytes: its address. */
export function blobHash(blob) {
  return sha256(blob);
}
