// The sealing wire formats against the shared test vector (offchain-workers/tests/seal.rs checks
// the same file on the Rust side), round trips and refusals.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import * as seal from '../seal.mjs';

const vector = JSON.parse(readFileSync(new URL('./seal-v1.json', import.meta.url), 'utf8'));
const bytes = (name) => seal.hexToBytes(vector[name]);
const keyContext = () => ({
  job: Number(vector.job),
  model: bytes('model'),
  recipient: bytes('recipient_account'),
  keyEpoch: Number(vector.key_epoch),
  role: seal.KeyRole[vector.role],
});
const blobContext = () => ({
  kind: seal.BlobKind[vector.blob_kind],
  model: bytes('model'),
  plaintextHash: bytes('plaintext_hash'),
});

test('the client computes the test vector byte for byte', { timeout: 10_000 }, () => {
  const secret = seal.secretFromEd25519Seed(bytes('recipient_ed25519_seed'));
  assert.equal(seal.bytesToHex(seal.publicKey(secret)), vector.recipient_x25519_public);
  // The Ed25519 public key in Montgomery form is the same key: what a provider node publishes.
  const edPublic = ed25519.getPublicKey(bytes('recipient_ed25519_seed'));
  assert.equal(seal.bytesToHex(ed25519.utils.toMontgomery(edPublic)), vector.recipient_x25519_public);
  assert.equal(seal.bytesToHex(seal.publicKeyFromEd25519(edPublic)), vector.recipient_x25519_public);
  assert.equal(seal.bytesToHex(seal.keyContextData(keyContext())), vector.key_context_data);
  assert.equal(seal.bytesToHex(seal.blobContextData(blobContext())), vector.blob_context_data);
  const envelope = seal.wrapKey(bytes('recipient_x25519_public'), bytes('content_key'), keyContext(), {
    ephemeralSecret: bytes('ephemeral_secret'),
    nonce: bytes('envelope_nonce'),
  });
  assert.equal(seal.bytesToHex(seal.encodeEnvelope(envelope)), vector.envelope);
  const blob = seal.sealBlob(bytes('content_key'), bytes('plaintext'), blobContext(), { nonce: bytes('blob_nonce') });
  assert.equal(seal.bytesToHex(blob), vector.blob);
  assert.equal(seal.bytesToHex(seal.blobHash(blob)), vector.blob_hash);
  const outputContext = { job: Number(vector.job), model: bytes('model'), party: bytes('recipient_account') };
  assert.equal(seal.bytesToHex(seal.outputKeyInfo(outputContext)), vector.output_key_info);
  assert.equal(seal.bytesToHex(seal.deriveOutputKey(bytes('content_key'), outputContext)), vector.output_key);
});

test('the test vector opens with the recipient secret', { timeout: 10_000 }, () => {
  const secret = seal.secretFromEd25519Seed(bytes('recipient_ed25519_seed'));
  const key = seal.unwrapKey(secret, vector.envelope, keyContext());
  assert.equal(seal.bytesToHex(key), vector.content_key);
  const plaintext = seal.openBlob(key, bytes('blob'), blobContext());
  assert.equal(seal.bytesToHex(plaintext), vector.plaintext);
});

test('an envelope opens only for its recipient, job, model, epoch and role', { timeout: 10_000 }, () => {
  const recipient = seal.newKeyPair();
  const contentKey = seal.newContentKey();
  const envelope = seal.encodeEnvelope(seal.wrapKey(recipient.publicKey, contentKey, keyContext()));
  assert.equal(envelope.length, seal.ENVELOPE_LEN);
  assert.deepEqual(seal.unwrapKey(recipient.secretKey, envelope, keyContext()), contentKey);
  assert.throws(() => seal.unwrapKey(seal.newKeyPair().secretKey, envelope, keyContext()), {
    name: 'Unauthentic',
  });
  const changes = [
    (c) => (c.job += 1),
    (c) => (c.model = new Uint8Array(32).fill(1)),
    (c) => (c.recipient = new Uint8Array(32).fill(1)),
    (c) => (c.keyEpoch += 1),
    (c) => (c.role = seal.KeyRole.Referee),
  ];
  for (const change of changes) {
    const replayed = keyContext();
    change(replayed);
    assert.throws(() => seal.unwrapKey(recipient.secretKey, envelope, replayed), { name: 'Unauthentic' });
  }
  const tampered = envelope.slice();
  tampered[60] ^= 1;
  assert.throws(() => seal.unwrapKey(recipient.secretKey, tampered, keyContext()), { name: 'Unauthentic' });
});

test('small-order keys are refused', { timeout: 10_000 }, () => {
  const zero = new Uint8Array(32);
  const one = new Uint8Array(32);
  one[0] = 1;
  for (const point of [zero, one]) {
    assert.equal(seal.isValidPublicKey(point), false);
    assert.throws(() => seal.wrapKey(point, seal.newContentKey(), keyContext()), { name: 'SmallOrderKey' });
  }
  assert.equal(seal.isValidPublicKey(seal.newKeyPair().publicKey), true);
});

test('a blob opens only with its key and context, untampered', { timeout: 10_000 }, () => {
  const key = seal.newContentKey();
  const plaintext = new Uint8Array(1000).fill(7);
  const blob = seal.sealBlob(key, plaintext, blobContext());
  assert.equal(blob.length, plaintext.length + 4 + seal.NONCE_LEN + seal.TAG_LEN);
  assert.deepEqual(seal.openBlob(key, blob, blobContext()), plaintext);
  assert.throws(() => seal.openBlob(seal.newContentKey(), blob, blobContext()), { name: 'Unauthentic' });
  assert.throws(() => seal.openBlob(key, blob, { ...blobContext(), kind: seal.BlobKind.Output }), {
    name: 'Unauthentic',
  });
  const tampered = blob.slice();
  tampered[blob.length - 1] ^= 1;
  assert.throws(() => seal.openBlob(key, tampered, blobContext()), { name: 'Unauthentic' });
  assert.throws(() => seal.openBlob(key, blob.slice(0, 20), blobContext()), { name: 'MalformedBlob' });
});
