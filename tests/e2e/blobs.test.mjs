// The data plane and sealed jobs on two real nodes: Alice's (`aliceNode`, the dev chain's provider)
// and a second node without provider keys (`secondNode`). A client uploads a blob to Alice's node
// within its on-chain quota (deposit reconciled to the unit), the second node fetches it from
// Alice's over the request-response protocol when asked for it, verified by hash; every refusal
// is named and both nodes keep running. No blob byte enters a block. Then sealed jobs through the
// client library: a requester talks only to the second node (its gateway);
// Alice's provider node fetches the sealed input from it, runs the model and serves the sealed
// outputs; the job settles with royalties, and neither the plaintext input nor the outputs appear
// in any block, event or storage value. A withheld key and a tampered blob end as documented.
// Last, the second node becomes Bob's provider node with an engine whose float outputs differ
// slightly from Alice's (the hidden `--inference-output-jitter-nano`, as another GPU's kernels
// would): a `k = 2` sealed job's outputs differ by hash, each node opens the other's sealed
// outputs with a key derived from the job's content key, compares them under the job's tolerance
// and attests; the job settles paying both, with no tensor on chain.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Keyring, WsProvider } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { BlobErrorCode, getBlob, putBlob, putPayload } from '../../client/blobs.mjs';
import { deliverKeys, encodeTensorSet, modelHash, openOutputs, runSealedJob, send } from '../../client/jobs.mjs';
import * as seal from '../../client/seal.mjs';
import { blobHash, bytesToHex } from '../../client/seal.mjs';
import {
  collectInferenceEvents,
  decodeTensorSet,
  demoLineage,
  f32Tensors,
  f32Values,
  jobSpec,
  tunedModelPath,
  UNIT,
} from '../lib/jobs.mjs';
import os from 'node:os';
import path from 'node:path';
import { CairnNode, peerIdOf, runToExit, tempDir, waitFor } from '../lib/node.mjs';
import { sendAndFinalize } from '../lib/tx.mjs';

// A fixed network key for Alice's node, so the second node can name it as its bootnode.
const NODE_KEY = '2c5e3f8a1b7d9e0f4a6c8b2d1e3f5a7c9b0d2e4f6a8c1b3d5e7f9a0c2b4d6e8f';
const MAX_KIB = 64;
// The second node's float outputs are Alice's plus 1e-5; the tolerance of the k = 2 job, 1e-4.
const JITTER_NANO = 10_000;
const TOLERANCE_NANO = 100_000;
const cache = process.env.CAIRN_CACHE ?? path.join(os.homedir(), '.cache/cairn');
const library = process.env.ORT_DYLIB_PATH ?? path.join(cache, 'onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1');

let aliceNode;
let secondNode;
let api;
// The second node's API: the requester of sealed jobs talks to this node only.
let peerApi;
// The builder's own connections to each node (`provider`: Alice's), for the `blob_*` methods.
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
  // Alice's node runs the sealed jobs: the demo fine-tune is in its model store.
  const store = tempDir('cairn-blobs-store-');
  const imported = await runToExit(['model', 'import', tunedModelPath, '--model-store', store, '--onnxruntime-lib', library]);
  assert.equal(imported.code, 0, imported.output);
  aliceNode = new CairnNode({
    args: [
      '--dev', '--sealing', '200', '--node-key', NODE_KEY, '--blob-max-kib', String(MAX_KIB),
      '--model-store', store, '--onnxruntime-lib', library,
    ],
  });
  await aliceNode.start();
  // No provider key until the last test makes it Bob's provider node; its engine then shifts
  // every float output by 1e-5.
  const secondStore = tempDir('cairn-blobs-second-store-');
  const secondImported = await runToExit(['model', 'import', tunedModelPath, '--model-store', secondStore, '--onnxruntime-lib', library]);
  assert.equal(secondImported.code, 0, secondImported.output);
  secondNode = new CairnNode({
    args: [
      '--chain', 'dev', '--sealing', '200', '--bootnodes', `/ip4/127.0.0.1/tcp/${aliceNode.p2pPort}/p2p/${peerId}`,
      '--offchain-worker', 'always', '--rpc-methods', 'unsafe', '--model-store', secondStore,
      '--onnxruntime-lib', library, '--inference-output-jitter-nano', String(JITTER_NANO),
    ],
  });
  await secondNode.start();
  api = await aliceNode.api();
  provider = new WsProvider(aliceNode.wsUrl);
  peerProvider = new WsProvider(secondNode.wsUrl);
  await Promise.all([provider.isReady, peerProvider.isReady]);
  peerApi = await secondNode.api();
  await waitFor(async () => (await peerApi.rpc.system.health()).peers.toNumber() > 0, {
    timeoutMs: 60_000,
    what: 'the two nodes to connect',
  });
});

after(async () => {
  await Promise.all([provider, peerProvider].filter(Boolean).map((p) => p.disconnect()));
  await Promise.all([aliceNode, secondNode].filter(Boolean).map((n) => n.stop()));
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
  // Larger than Alice's node takes.
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
  assert.ok(aliceNode.running && secondNode.running);
  assert.equal((await api.rpc.system.health()).peers.toNumber(), 1);
});

/** Every hex-encoded storage value of the chain at its best block. */
async function storageValues(chainApi) {
  const values = [];
  let startKey;
  for (;;) {
    const keys = await chainApi.rpc.state.getKeysPaged('0x', 1000, startKey);
    if (keys.length === 0) break;
    const changes = await chainApi.rpc.state.queryStorageAt(keys);
    for (const value of changes) if (value.isSome) values.push(value.unwrap().toHex());
    startKey = keys[keys.length - 1];
    if (keys.length < 1000) break;
  }
  return values;
}

/** `pair` holds a blob quota of at least `bytes`. */
async function quotaFor(pair, bytes) {
  const current = await api.query.inference.blobQuotas(pair.address);
  if (current.isNone || current.unwrap().bytes.toNumber() < bytes) {
    await sendAndFinalize(api, api.tx.inference.setBlobQuota(bytes), pair);
  }
}

const ferdie = keyring.addFromUri('//Ferdie');
const alice = keyring.addFromUri('//Alice');

test('a sealed job through a gateway settles with royalties and leaves no plaintext on chain', { timeout: 300_000 }, async () => {
  await quotaFor(ferdie, 64 * 1024);
  const { tuned: model } = await demoLineage(peerApi);
  const x = [1.25, -2.5, 3.75, 0.125];
  const input = f32Tensors('x', [1, 4], x);
  const from = (await api.rpc.chain.getHeader()).number.toNumber();
  const aliceBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();

  // The requester's whole flow, against the second node only: seal, upload, request, deliver
  // the key, wait, fetch and open the outputs, check every hash.
  const result = await runSealedJob(peerApi, peerProvider, ferdie, {
    model,
    input,
    spec: jobSpec({ maxFee: UNIT / 10n, deadline: 100 }),
    timeoutMs: 180_000,
  });
  assert.equal(result.status, 'Completed');
  const record = (await api.query.inference.jobs(result.job)).unwrap();
  assert.equal(record.inputHash.toHex(), bytesToHex(result.plaintextHash));
  assert.equal(record.assigned[0].provider.toString(), alice.address);
  const sealedInput = (await api.query.inference.sealedInputs(result.job)).unwrap();
  // Nodes keep both blobs while the job is unpruned (then collect them after a grace period).
  const sealedOutput = (await api.query.inference.sealedOutputs(result.receipt)).unwrap();
  for (const blob of [sealedInput.blob, sealedOutput.blob]) {
    assert.equal((await api.call.inferenceApi.blobInUse(blob.sha256)).isTrue, true);
  }
  assert.equal((await api.call.inferenceApi.blobInUse(bytesToHex(new Uint8Array(32).fill(9)))).isTrue, false);
  assert.ok((await api.query.inference.jobInputs(result.job)).isNone, 'a sealed job has no input on chain');

  // Settled with pay and royalties, as an inline job is.
  const to = (await api.rpc.chain.getHeader()).number.toNumber();
  const events = [];
  for (let n = from + 1; n <= to; n += 1) {
    for (const { event } of await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events()) {
      events.push(event);
    }
  }
  const mine = events.filter((e) => e.section === 'inference' && e.data.job?.toNumber() === result.job);
  const settled = mine.find((e) => e.method === 'JobSettled');
  assert.ok(settled, 'the job settled');
  assert.equal(settled.data.outputHash.unwrap().toHex(), bytesToHex(result.outputHash));
  const paid = mine.filter((e) => e.method === 'ProviderPaid').reduce((sum, e) => sum + e.data.amount.toBigInt(), 0n);
  const royalties = mine.filter((e) => e.method === 'RoyaltyPaid');
  assert.ok(paid > 0n);
  assert.ok(royalties.length >= 2, 'royalties up the lineage');
  assert.equal(settled.data.royalties.toBigInt(), royalties.reduce((sum, e) => sum + e.data.amount.toBigInt(), 0n));
  assert.ok((await api.query.system.account(alice.address)).data.free.toBigInt() > aliceBefore);

  // Neither the plaintext input nor the plaintext outputs are in any block, event or storage
  // value: only their hashes.
  const plaintextInput = Buffer.from(encodeTensorSet(peerApi, input)).toString('hex');
  const plaintextOutputs = Buffer.from(result.bytes).toString('hex');
  const xBytes = Buffer.from(new Float32Array(x).buffer).toString('hex');
  const needles = [plaintextInput, plaintextOutputs, xBytes, plaintextOutputs.slice(-24)];
  for (let n = 0; n <= to; n += 1) {
    const block = (await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(n))).toHex();
    for (const needle of needles) assert.ok(!block.includes(needle), `block ${n} holds plaintext job data`);
  }
  for (const event of events) {
    const hex = event.toHex();
    for (const needle of needles) assert.ok(!hex.includes(needle), `an event holds plaintext job data: ${event.method}`);
  }
  for (const value of await storageValues(api)) {
    for (const needle of needles) assert.ok(!value.includes(needle), 'a storage value holds plaintext job data');
  }

  // The requester's gateway (the second node) holds only ciphertext, and a party without the
  // key cannot open it: not with another X25519 key, nor the provider's envelope for anyone else.
  const ciphertext = await getBlob(peerProvider, sealedInput.blob.sha256.toHex());
  assert.ok(!Buffer.from(ciphertext).toString('hex').includes(xBytes));
  const grant = (await api.query.inference.keyGrants(result.job, alice.address)).unwrap();
  const envelope = grant.envelope.unwrap();
  const stranger = seal.newKeyPair();
  assert.throws(
    () => seal.unwrapKey(stranger.secretKey, {
      ephemeral: envelope.ephemeral.toU8a(),
      nonce: envelope.nonce.toU8a(),
      sealedKey: envelope.sealedKey.toU8a(),
    }, { job: result.job, model: record.modelHash.toU8a(), recipient: alice.publicKey, keyEpoch: grant.epoch.toNumber(), role: seal.KeyRole.Provider }),
    seal.SealError,
  );

  // The same input run inline gives the same outputs the requester decrypted.
  const inline = await collectInferenceEvents(api);
  const r = await sendAndFinalize(api, api.tx.inference.requestJob(model, { Inline: input }, jobSpec({ maxFee: UNIT / 10n })), ferdie);
  const job = r.events.find(({ event }) => api.events.inference.JobRequested.is(event)).event.data.job.toNumber();
  const { events: inlineEvents } = await inline.settled(job, { timeoutMs: 120_000 }).finally(() => inline.stop());
  const receiptId = inlineEvents.find(({ event }) => event.method === 'ReceiptSubmitted').event.data.receipt;
  const [, outputs] = (await api.call.inferenceApi.receipt(receiptId)).unwrap();
  assert.deepEqual(f32Values(decodeTensorSet(api, outputs), 'y'), f32Values(result.outputs, 'y'));
});

test('a withheld key compensates the provider; a tampered blob is reported and refunded', { timeout: 240_000 }, async () => {
  await quotaFor(ferdie, 64 * 1024);
  const collector = await collectInferenceEvents(api);
  try {
    await withheldAndTampered(collector);
  } finally {
    collector.stop();
  }
});

/** The two sealed jobs of the test above, watched by `collector`. */
async function withheldAndTampered(collector) {
  const { tuned: model } = await demoLineage(peerApi);
  const modelFile = await modelHash(peerApi, model);
  const input = f32Tensors('x', [1, 4], [1, 2, 3, 4]);
  const plaintext = encodeTensorSet(peerApi, input);
  const plaintextHash = seal.bytesToHex(seal.blobHash(plaintext));
  const outputKey = seal.bytesToHex(seal.newKeyPair().publicKey);
  const genesis = peerApi.genesisHash.toU8a();

  // Withheld: a sealed job whose key never reaches its provider.
  const contentKey = seal.newContentKey();
  const blob = seal.sealBlob(contentKey, plaintext, { kind: seal.BlobKind.Input, model: modelFile, plaintextHash: seal.hexToBytes(plaintextHash) });
  const stored = await putBlob(peerProvider, genesis, ferdie, blob);
  const aliceBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();
  const withheld = await send(peerApi, peerApi.tx.inference.requestJob(model, {
    Sealed: { plaintextHash, blob: { sha256: stored.hash, sizeBytes: blob.length }, outputKey },
  }, jobSpec({ maxFee: UNIT / 10n, deadline: 5 })), ferdie);
  const withheldJob = withheld.events.find(({ event }) => peerApi.events.inference.JobRequested.is(event)).event.data.job.toNumber();
  const { settled, events } = await collector.settled(withheldJob, { timeoutMs: 120_000 });
  assert.equal(settled.data.status.type, 'Withheld');
  const compensated = events.find(({ event }) => event.method === 'ProviderCompensated');
  assert.ok(compensated, 'the provider was compensated');
  assert.equal(compensated.event.data.provider.toString(), alice.address);
  assert.ok(!events.some(({ event }) => event.method === 'RoyaltyPaid'), 'no royalties for a model that did not run');
  assert.ok((await api.query.system.account(alice.address)).data.free.toBigInt() > aliceBefore);

  // Tampered: the blob's bytes are not what the key opens (one bit flipped before upload).
  const tampered = Uint8Array.from(blob);
  tampered[tampered.length - 1] ^= 1;
  const tamperedStored = await putBlob(peerProvider, genesis, ferdie, tampered);
  const request = await send(peerApi, peerApi.tx.inference.requestJob(model, {
    Sealed: { plaintextHash, blob: { sha256: tamperedStored.hash, sizeBytes: tampered.length }, outputKey },
  }, jobSpec({ maxFee: UNIT / 10n, deadline: 100 })), ferdie);
  const tamperedJob = request.events.find(({ event }) => peerApi.events.inference.JobRequested.is(event)).event.data.job.toNumber();
  assert.equal(await deliverKeys(peerApi, ferdie, tamperedJob, modelFile, contentKey), 1);
  const outcome = await collector.settled(tamperedJob, { timeoutMs: 120_000 });
  assert.equal(outcome.settled.data.status.type, 'Unusable');
  const report = outcome.events.find(({ event }) => event.method === 'InputUnusable');
  assert.equal(report.event.data.reason.type, 'CannotDecrypt');
  assert.equal(outcome.settled.data.paid.toBigInt(), 0n);
  assert.equal(outcome.settled.data.refunded.toBigInt(), UNIT / 10n);
  assert.ok(aliceNode.running && secondNode.running);
}

test('the dev demo (scripts/dev.sh) runs a sealed job end to end', { timeout: 120_000 }, async () => {
  const { execFile } = await import('node:child_process');
  const demo = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'demo', 'job.mjs');
  const output = await new Promise((resolve, reject) => {
    execFile(process.execPath, [demo, aliceNode.wsUrl], { timeout: 100_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the demo failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
  assert.match(output, /sealed receipt \d+ signed by Alice/);
  assert.match(output, /Ferdie opened them with his key, checked their hash: y = \[27\.5, -6, 12\.5\]/);
  assert.match(output, /royalty .* to Dave/);
  assert.match(output, /job \d+ Completed/);
  // Sealed jobs pay the audit fee; a drawn audit would need a second provider here.
  assert.match(output, /audit fee 0\.002000 CAIRN to the audit pot/);
  assert.match(output, /not audited|audit closed: \w+/);
});

test('a sealed input published at a registered URL, on no node, is fetched from there and verified by hash', { timeout: 240_000 }, async () => {
  const { createServer } = await import('node:http');
  const served = new Map();
  const requested = [];
  const server = createServer((request, response) => {
    requested.push(request.url);
    const bytes = served.get(request.url);
    if (!bytes) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-length': bytes.length }).end(Buffer.from(bytes));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const { tuned: model } = await demoLineage(peerApi);
    const spec = jobSpec({ maxFee: UNIT / 10n, deadline: 100 });
    // The requester publishes the ciphertext on its own web server, not on any node.
    const published = await runSealedJob(peerApi, peerProvider, ferdie, {
      model,
      input: f32Tensors('x', [1, 4], [2, 4, 6, 8]),
      spec,
      timeoutMs: 150_000,
      publish: async (blob, hash) => {
        served.set(`/blobs/${hash}`, blob);
        return { uris: [`${base}/blobs/${hash}`] };
      },
    });
    assert.equal(published.status, 'Completed');
    const input = (await api.query.inference.sealedInputs(published.job)).unwrap().blob.sha256.toHex();
    assert.ok(requested.includes(`/blobs/${input}`), 'the provider node fetched the blob from the URL');
    assert.match(aliceNode.output, new RegExp(`blob ${input.slice(2)}: fetched \\d+ bytes from a registered location`));
    const source = (await api.query.inference.blobSources(input, ferdie.address)).unwrap();
    assert.ok(source.deposit.toBigInt() > 0n);
    // What nodes are told: the requester's location of the blob its job names.
    const locations = await api.call.inferenceApi.blobSources(input);
    assert.deepEqual(locations.map((l) => l.uris.map((uri) => Buffer.from(uri.toU8a(true)).toString())), [[`${base}/blobs/${input}`]]);
    assert.equal(f32Values(published.outputs, 'y').length, 3);

    // Bytes that do not hash to the blob's hash are refused by name: the job ends Unusable.
    const tampered = await runSealedJob(peerApi, peerProvider, ferdie, {
      model,
      input: f32Tensors('x', [1, 4], [1, 3, 5, 7]),
      spec,
      timeoutMs: 150_000,
      publish: async (blob, hash) => {
        const wrong = Uint8Array.from(blob);
        wrong[wrong.length - 1] ^= 1;
        served.set(`/blobs/${hash}`, wrong);
        return { uris: [`${base}/blobs/${hash}`] };
      },
    });
    assert.equal(tampered.status, 'Unusable');
    const report = await api.query.inference.unusableReports(tampered.job, alice.address);
    assert.equal(report.unwrap().type, 'BlobHashMismatch');

    // Removing a source releases its deposit.
    const reserved = (await api.query.system.account(ferdie.address)).data.reserved.toBigInt();
    await sendAndFinalize(api, api.tx.inference.setBlobSource(input, null), ferdie);
    assert.ok((await api.query.inference.blobSources(input, ferdie.address)).isNone);
    const released = reserved - (await api.query.system.account(ferdie.address)).data.reserved.toBigInt();
    assert.equal(released, source.deposit.toBigInt());
    assert.ok(aliceNode.running && secondNode.running);
  } finally {
    server.close();
  }
});

test('k = 2 sealed jobs agree under a float tolerance: outputs differing by hash are compared off chain and attested', { timeout: 240_000 }, async () => {
  // Bob becomes a provider at Alice's price, his key on the second node, which publishes his
  // encryption key.
  const profile = (await api.query.computeRegistry.providers(alice.address)).unwrap().profile.toJSON();
  await sendAndFinalize(api, api.tx.computeRegistry.register(profile, 1_000n * UNIT), bob);
  await peerApi.rpc.author.insertKey('cinf', '//Bob', u8aToHex(bob.publicKey));
  await waitFor(async () => (await api.query.computeRegistry.encryptionKeys(bob.address)).isSome, {
    timeoutMs: 60_000,
    what: "Bob's encryption key",
  });
  await quotaFor(ferdie, 64 * 1024);
  const { tuned: model } = await demoLineage(peerApi);
  const input = f32Tensors('x', [1, 4], [0.5, 1.5, -2.25, 3]);
  const spec = {
    ...jobSpec({ maxFee: UNIT / 2n, redundancy: 2, deadline: 100 }),
    tolerance: { absoluteNano: TOLERANCE_NANO, relativeNano: 0 },
  };
  const collector = await collectInferenceEvents(api);
  const result = await runSealedJob(peerApi, peerProvider, ferdie, { model, input, spec, timeoutMs: 180_000 });
  const { settled, events } = await collector.settled(result.job, { timeoutMs: 30_000 }).finally(() => collector.stop());
  assert.equal(result.status, 'Completed');
  assert.equal(settled.data.status.type, 'Completed');
  const record = (await api.query.inference.jobs(result.job)).unwrap();
  const parties = record.assigned.map((a) => a.provider.toString());
  assert.deepEqual([...parties].sort(), [alice.address, bob.address].sort());
  assert.equal(record.referees.length, 0, 'no dispute');

  // The two receipts carry different output hashes...
  const receipts = record.assigned.map((a) => a.receipt.unwrap().toNumber());
  const hashes = await Promise.all(receipts.map(async (r) => (await api.query.inference.receipts(r)).unwrap().outputHash.toHex()));
  assert.notEqual(hashes[0], hashes[1]);
  // ...each provider attested the other's sealed outputs agree with its own, and both were paid.
  const named = (method) => events.filter(({ event }) => event.method === method).map(({ event }) => event);
  const attested = new Map(named('AgreementAttested').map((e) => [e.data.party.toString(), e.data.agreeing.map(String)]));
  assert.deepEqual(attested.get(alice.address), [bob.address]);
  assert.deepEqual(attested.get(bob.address), [alice.address]);
  assert.deepEqual(named('ProviderPaid').map((e) => e.data.provider.toString()).sort(), [...parties].sort());
  assert.equal(named('ProviderOutvoted').length, 0);
  assert.match(aliceNode.output, new RegExp(`job ${result.job}: attested that 1 other answers agree`));
  assert.match(secondNode.output, new RegExp(`job ${result.job}: attested that 1 other answers agree`));

  // The requester opens both providers' outputs: they differ, by less than the tolerance.
  const modelFile = record.modelHash.toU8a();
  const opened = [];
  for (const receipt of receipts) {
    try {
      opened.push(f32Values((await openOutputs(peerApi, peerProvider, {
        job: result.job,
        receipt,
        model: modelFile,
        requester: ferdie.publicKey,
        outputSecret: result.outputSecret,
      })).outputs, 'y'));
    } catch (error) {
      assert.fail(`receipt ${receipt}: ${error.message}`);
    }
  }
  const gaps = opened[0].map((v, i) => Math.abs(v - opened[1][i]));
  assert.ok(gaps.some((gap) => gap > 0), 'the outputs differ');
  assert.ok(gaps.every((gap) => gap <= TOLERANCE_NANO * 1e-9), `within the tolerance: ${gaps}`);

  // No tensor on chain: the attestations name accounts, the receipts hashes.
  const plaintextOutputs = Buffer.from(result.bytes).toString('hex');
  for (const { event } of events) assert.ok(!event.toHex().includes(plaintextOutputs), event.method);
  assert.ok(aliceNode.running && secondNode.running);
});
