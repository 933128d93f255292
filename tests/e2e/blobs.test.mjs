// The data plane for sealed jobs on two real nodes: a client uploads a blob to a gateway node within
// its on-chain quota (deposit reconciled to the unit), a second node fetches it from the gateway
// over the request-response protocol when asked for it, verified by hash; every refusal is named
// and both nodes keep running. No blob byte enters a block.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Keyring, WsProvider } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { BlobErrorCode, getBlob, putBlob, putPayload } from '../../client/blobs.mjs';
import { blobHash, bytesToHex } from '../../client/seal.mjs';
import { CairnNode, peerIdOf, waitFor } from '../lib/node.mjs';
import { sendAndFinalize } from '../lib/tx.mjs';

// A fixed network key for the gateway, so the second node can name it as its bootnode.
const NODE_KEY = '2c5e3f8a1b7d9e0f4a6c8b2d1e3f5a7c9b0d2e4f6a8c1b3d5e7f9a0c2b4d6e8f';
const MAX_KIB = 64;

let gateway;
let peer;
let api;
// The builder's own connections to each node, for the node's `blob_*` methods.
let provider;
let peerProvider;
const keyring = new Keyring({ type: 'sr25519' });
const bob = keyring.addFromUri('//Bob');
const charlie = keyring.addFromUri('//Charlie');

/** The JSON-RPC error a call rejects with. */
async function rpcError(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded');
}

before(async () => {
  const peerId = await peerIdOf(NODE_KEY);
  gateway = new CairnNode({
    args: ['--dev', '--sealing', '200', '--node-key', NODE_KEY, '--blob-max-kib', String(MAX_KIB)],
  });
  await gateway.start();
  peer = new CairnNode({
    args: ['--chain', 'dev', '--sealing', '200', '--bootnodes', `/ip4/127.0.0.1/tcp/${gateway.p2pPort}/p2p/${peerId}`],
  });
  await peer.start();
  api = await gateway.api();
  provider = new WsProvider(gateway.wsUrl);
  peerProvider = new WsProvider(peer.wsUrl);
  await Promise.all([provider.isReady, peerProvider.isReady]);
  const peerApi = await peer.api();
  await waitFor(async () => (await peerApi.rpc.system.health()).peers.toNumber() > 0, {
    timeoutMs: 60_000,
    what: 'the two nodes to connect',
  });
});

after(async () => {
  await Promise.all([provider, peerProvider].filter(Boolean).map((p) => p.disconnect()));
  await Promise.all([gateway, peer].filter(Boolean).map((n) => n.stop()));
});

test('a blob is uploaded within the quota and fetched by another node', { timeout: 180_000 }, async () => {
  const genesis = api.genesisHash.toU8a();

  // Bob holds a deposit for 100 KiB of sealed data, exactly JobDepositPerByte per byte.
  const before = (await api.query.system.account(bob.address)).data;
  const quota = 100 * 1024;
  await sendAndFinalize(api, api.tx.inference.setBlobQuota(quota), bob);
  const record = (await api.query.inference.blobQuotas(bob.address)).unwrap();
  assert.equal(record.bytes.toNumber(), quota);
  const perByte = api.consts.inference.jobDepositPerByte.toBigInt();
  assert.equal(record.deposit.toBigInt(), perByte * BigInt(quota));
  const held = (await api.query.system.account(bob.address)).data.reserved.toBigInt() - before.reserved.toBigInt();
  assert.equal(held, perByte * BigInt(quota));
  assert.equal(
    (await api.call.inferenceApi.blobQuota(bob.address)).toNumber(),
    quota,
    'the runtime API the node checks uploads against',
  );

  const blob = new Uint8Array(randomBytes(40 * 1024));
  const stored = await putBlob(provider, genesis, bob, blob);
  assert.equal(stored.hash, bytesToHex(blobHash(blob)));
  assert.equal(stored.size, blob.length);
  // Storing the same bytes again changes nothing.
  assert.deepEqual(await putBlob(provider, genesis, bob, blob), stored);

  // The second node does not hold it: it asks its peers, verifies the hash, and keeps it.
  const fetched = await getBlob(peerProvider, stored.hash);
  assert.deepEqual(fetched, blob);
  assert.deepEqual(await getBlob(peerProvider, stored.hash), blob);
  assert.deepEqual(await getBlob(provider, stored.hash), blob);

  // No byte of the blob is in any block: the chain only saw the quota call.
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const needle = Buffer.from(blob.subarray(0, 64)).toString('hex');
  for (let n = 0; n <= best; n += 1) {
    const block = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(n));
    assert.ok(!block.toHex().includes(needle), `block ${n} holds blob bytes`);
  }
});

test('uploads and reads are refused by name, and the nodes keep running', { timeout: 120_000 }, async () => {
  const genesis = api.genesisHash.toU8a();

  // Past Bob's quota (100 KiB, 40 KiB used).
  const overQuota = await rpcError(putBlob(provider, genesis, bob, new Uint8Array(randomBytes(61 * 1024))));
  assert.equal(overQuota.code, BlobErrorCode.OverQuota, overQuota.message);
  // Charlie has no quota at all.
  const noQuota = await rpcError(putBlob(provider, genesis, charlie, new Uint8Array(16)));
  assert.equal(noQuota.code, BlobErrorCode.OverQuota, noQuota.message);
  // Larger than the gateway takes.
  const tooLarge = await rpcError(putBlob(provider, genesis, bob, new Uint8Array(MAX_KIB * 1024 + 1)));
  assert.equal(tooLarge.code, BlobErrorCode.TooLarge, tooLarge.message);
  // Signed by someone else, or over other bytes, or for another chain.
  const bytes = new Uint8Array(randomBytes(1024));
  const forged = charlie.sign(putPayload(genesis, blobHash(bytes)));
  const badSignature = await rpcError(
    provider.send('blob_put', [bytesToHex(bytes), bob.address, u8aToHex(forged)]),
  );
  assert.equal(badSignature.code, BlobErrorCode.BadSignature, badSignature.message);
  const otherChain = bob.sign(putPayload(new Uint8Array(32), blobHash(bytes)));
  const wrongChain = await rpcError(provider.send('blob_put', [bytesToHex(bytes), bob.address, u8aToHex(otherChain)]));
  assert.equal(wrongChain.code, BlobErrorCode.BadSignature, wrongChain.message);
  // Not hex, or not a hash.
  const notHex = await rpcError(provider.send('blob_put', ['hello', bob.address, '0x00']));
  assert.equal(notHex.code, BlobErrorCode.InvalidParams, notHex.message);
  const shortHash = await rpcError(provider.send('blob_get', ['0x1234']));
  assert.equal(shortHash.code, BlobErrorCode.InvalidParams, shortHash.message);
  // A blob nobody holds.
  const missing = await rpcError(peerProvider.send('blob_get', [bytesToHex(new Uint8Array(32).fill(7))]));
  assert.equal(missing.code, BlobErrorCode.NotFound, missing.message);

  // Lowering the quota to zero releases the whole deposit; the nodes still answer.
  await sendAndFinalize(api, api.tx.inference.setBlobQuota(0), bob);
  assert.ok((await api.query.inference.blobQuotas(bob.address)).isNone);
  assert.ok(gateway.running && peer.running);
  assert.equal((await api.rpc.system.health()).peers.toNumber(), 1);
});
