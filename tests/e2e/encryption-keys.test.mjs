// Provider encryption keys for sealed jobs: the dev chain registers Alice with her development key,
// which her node holds, so it publishes nothing; a provider registered later gets a key of its
// node published by the node itself; an operator's rotation request gives every provider of the
// node a new key at the next epoch; a restart keeps the keys (the secrets stay in the node's
// keystore); a requester wraps a content key to a published key with the client library.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { stringToHex, u8aToHex } from '@polkadot/util';
import * as seal from '../../client/seal.mjs';
import { CairnNode, tempDir, waitFor } from '../lib/node.mjs';
import { eventsOfBlocks, sendAndFinalize } from '../lib/tx.mjs';

const ROTATE_REQUEST_KEY = stringToHex('cairn::inference::rotate-encryption-key');
const ROTATING_KEY = stringToHex('cairn::inference::rotating-encryption-key');
const UNIT = 10n ** 12n;

const nodes = [];
const basePath = tempDir();
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(basePath, { recursive: true, force: true });
});

/** The key record of `address` once its epoch is at least `epoch`. */
async function keyOfEpoch(api, address, epoch) {
  return waitFor(
    async () => {
      const record = await api.query.computeRegistry.encryptionKeys(address);
      return record.isSome && record.unwrap().epoch.toNumber() >= epoch ? record.unwrap() : undefined;
    },
    { timeoutMs: 60_000, what: `an encryption key of epoch ${epoch}` },
  );
}

/** Waits for `count` more blocks; returns the best block number then. */
async function blocks(api, count) {
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  return waitFor(
    async () => {
      const now = (await api.rpc.chain.getHeader()).number.toNumber();
      return now >= start + count ? now : undefined;
    },
    { timeoutMs: 60_000, what: `${count} blocks` },
  );
}

/** The `EncryptionKeySet` events of blocks `from` to `to`. */
async function keyEvents(api, from, to) {
  return (await eventsOfBlocks(api, from - 1, to))
    .filter(({ event }) => api.events.computeRegistry.EncryptionKeySet.is(event))
    .map(({ event, block }) => {
      const { provider, key, epoch } = event.data;
      return { block, provider: provider.toString(), key: key.toHex(), epoch: epoch.toNumber() };
    });
}

test('provider nodes publish, rotate and keep their encryption keys', { timeout: 240_000 }, async () => {
  let node = new CairnNode({ args: ['--dev', '--sealing', '200'], basePath });
  nodes.push(node);
  await node.start();
  let api = await node.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const charlie = keyring.addFromUri('//Charlie');

  // Alice's genesis key is the Montgomery form of her development Ed25519 key, which her node
  // holds: it publishes nothing.
  const aliceEd = new Keyring({ type: 'ed25519' }).addFromUri('//Alice').publicKey;
  const genesisKey = (await api.query.computeRegistry.encryptionKeys(alice.address)).unwrap();
  assert.equal(genesisKey.key.toHex(), u8aToHex(seal.publicKeyFromEd25519(aliceEd)));
  assert.equal(genesisKey.epoch.toNumber(), 1);
  assert.equal(genesisKey.setAt.toNumber(), 0);
  const quiet = await blocks(api, 10);
  assert.deepEqual(await keyEvents(api, 1, quiet), []);

  // A requester seals a content key to it, bound to a job and Alice's key epoch.
  const context = { job: 0, model: new Uint8Array(32).fill(1), recipient: alice.publicKey, keyEpoch: 1, role: seal.KeyRole.Provider };
  const envelope = seal.encodeEnvelope(seal.wrapKey(genesisKey.key.toU8a(), seal.newContentKey(), context));
  assert.equal(envelope.length, seal.ENVELOPE_LEN);

  // Charlie registers as a provider and hands his provider key to the same node: the node
  // publishes one of its encryption keys for him, signed by his account.
  const profile = (await api.query.computeRegistry.providers(alice.address)).unwrap().profile.toJSON();
  await sendAndFinalize(api, api.tx.computeRegistry.register(profile, 1_000n * UNIT), charlie);
  await api.rpc.author.insertKey('cinf', '//Charlie', u8aToHex(charlie.publicKey));
  const charlieKey = await keyOfEpoch(api, charlie.address, 1);
  assert.equal(charlieKey.key.toHex(), genesisKey.key.toHex(), 'the node has one encryption key');
  const published = await keyEvents(api, quiet + 1, charlieKey.setAt.toNumber());
  assert.deepEqual(published.map((e) => [e.provider, e.epoch]), [[charlie.address, 1]]);

  // The operator asks for a rotation through the node's offchain storage: both providers of the
  // node move to a new key.
  await api.rpc.offchain.localStorageSet('PERSISTENT', ROTATE_REQUEST_KEY, '0x01');
  const [aliceRotated, charlieRotated] = await Promise.all([keyOfEpoch(api, alice.address, 2), keyOfEpoch(api, charlie.address, 2)]);
  assert.equal(aliceRotated.key.toHex(), charlieRotated.key.toHex());
  assert.notEqual(aliceRotated.key.toHex(), genesisKey.key.toHex());
  assert.ok(seal.isValidPublicKey(aliceRotated.key.toU8a()));
  await waitFor(async () => (await api.rpc.offchain.localStorageGet('PERSISTENT', ROTATING_KEY)).isNone, {
    timeoutMs: 30_000,
    what: 'the rotation to end',
  });
  assert.ok((await api.rpc.offchain.localStorageGet('PERSISTENT', ROTATE_REQUEST_KEY)).isNone);

  // A restart finds the keys in the node's keystore: nothing is published again.
  await node.stop();
  node = new CairnNode({ args: ['--dev', '--sealing', '200'], basePath });
  nodes.push(node);
  await node.start();
  api = await node.api();
  const from = (await api.rpc.chain.getHeader()).number.toNumber();
  const to = await blocks(api, 15);
  assert.deepEqual(await keyEvents(api, from + 1, to), []);
  for (const who of [alice, charlie]) {
    const now = (await api.query.computeRegistry.encryptionKeys(who.address)).unwrap();
    assert.equal(now.epoch.toNumber(), 2);
    assert.equal(now.key.toHex(), aliceRotated.key.toHex());
  }
});
