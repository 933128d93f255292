// A sampled audit catches a cheating provider on running nodes. Two nodes share a development
// chain: the honest one seals blocks and holds the provider keys of Alice and Charlie; the other
// follows it, holds Bob's provider key, and its engine is made dishonest (the hidden
// `--inference-fault-segment 1`: every checkpointed run corrupts the output of segment 1 of the
// model's graph, with a commitment consistent with the corruption). Bob is the only provider
// cheap enough for a single-provider job on the five-segment `tiny_mlp` model. With the audit
// rate raised to 100 % (root sets the `:AuditRate:` storage parameter), the job is audited by
// Alice or Charlie; the outputs disagree; both sides reveal their checkpoints; the chain finds the
// first diverging one (1); the agreed checkpoint 0 is posted; the referee (the other honest key)
// re-runs segment 1 alone and sides with the auditor; Bob's bond is slashed to the audit pot.
// The same cheat on a sealed job is caught without a tensor on chain: the requester's client
// delivers the content key to the auditor and then to the referee, who runs the model from the
// opened input.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Keyring, WsProvider } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { xxhashAsHex } from '@polkadot/util-crypto';
import { runSealedJob } from '../../client/jobs.mjs';
import { CairnNode, peerIdOf, runToExit, tempDir, waitFor } from '../lib/node.mjs';
import { eventOf, f32Tensors, jobSpec, tinyInterface, tinyMlpHash, tinyMlpPath, UNIT } from '../lib/jobs.mjs';
import { commitRegistration, eventsOfBlocks, sendAndFinalize } from '../lib/tx.mjs';

const cache = process.env.CAIRN_CACHE ?? path.join(os.homedir(), '.cache/cairn');
const library = process.env.ORT_DYLIB_PATH ?? path.join(cache, 'onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1');

const keyring = new Keyring({ type: 'sr25519' });
const [alice, bob, charlie, dave, eve] = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve'].map((u) => keyring.addFromUri(u));

// The honest node's libp2p key, so that the follower can name it as its bootnode.
const NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000a0d';
// The fee ceiling of the audited jobs: room for Bob's price only (UNIT / 250 at most), and the
// audit fee at a 100 % rate (the auditor's and a referee's rewards, 0.02 CAIRN each).
const AUDITED_FEE = UNIT / 250n + UNIT / 25n;

let honest;
let faulty;
let api;
let model;

/** A model store holding `tiny_mlp`. */
async function storeWithMlp(prefix) {
  const store = tempDir(prefix);
  const imported = await runToExit(['model', 'import', tinyMlpPath, '--model-store', store, '--onnxruntime-lib', library]);
  assert.equal(imported.code, 0, imported.output);
  return store;
}

before(async () => {
  const peerId = await peerIdOf(NODE_KEY);

  honest = new CairnNode({
    args: [
      '--dev', '--sealing', '500', '--rpc-methods', 'unsafe', '--node-key', NODE_KEY,
      '--model-store', await storeWithMlp('cairn-audit-honest-'), '--onnxruntime-lib', library,
    ],
  });
  await honest.start();
  faulty = new CairnNode({
    args: [
      '--chain', 'dev', '--sealing', '500', '--offchain-worker', 'always', '--rpc-methods', 'unsafe',
      '--bootnodes', `/ip4/127.0.0.1/tcp/${honest.p2pPort}/p2p/${peerId}`,
      '--model-store', await storeWithMlp('cairn-audit-faulty-'), '--onnxruntime-lib', library,
      '--inference-fault-segment', '1',
    ],
  });
  await faulty.start();
  api = await honest.api();

  // Providers: Alice (genesis) and Charlie at the dev price on the honest node; Bob ten times
  // cheaper, his key only on the faulty node.
  const profile = (await api.query.computeRegistry.providers(alice.address)).unwrap().profile.toJSON();
  await sendAndFinalize(api, api.tx.computeRegistry.register(profile, 1_000n * UNIT), charlie);
  await sendAndFinalize(api, api.tx.computeRegistry.register({ ...profile, pricePerJob: UNIT / 1000n }, 1_000n * UNIT), bob);
  await api.rpc.author.insertKey('cinf', '//Charlie', u8aToHex(charlie.publicKey));
  const faultyApi = await faulty.api();
  await faultyApi.rpc.author.insertKey('cinf', '//Bob', u8aToHex(bob.publicKey));

  // Every single-provider job is audited.
  const rateKey = xxhashAsHex(':AuditRate:', 128);
  const everything = u8aToHex(api.createType('Perbill', 1_000_000_000).toU8a());
  await sendAndFinalize(api, api.tx.sudo.sudo(api.tx.system.setStorage([[rateKey, everything]])), alice);

  await commitRegistration(api, dave, 'Model', tinyMlpHash);
  const registered = await sendAndFinalize(
    api,
    api.tx.modelProvenance.registerModel(
      { sha256: tinyMlpHash, cid: null, sizeBytes: statSync(tinyMlpPath).size },
      'tiny-mlp',
      tinyInterface,
      { priceFloor: 0, royaltyBps: 0, derivatives: 'Open', requiredLicense: null },
      [],
      [],
    ),
    dave,
  );
  model = eventOf(registered.events, api.events.modelProvenance.ModelRegistered).data.model.toNumber();
  // The follower has imported the registrations before the job is posted.
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitFor(async () => (await faultyApi.rpc.chain.getHeader()).number.toNumber() >= head, { what: 'the follower to sync' })
    .catch((error) => {
      throw new Error(`${error.message}; the follower's log:\n${faulty.output.slice(-3000)}`);
    });
});

after(async () => {
  await faulty?.stop();
  await honest?.stop();
});

/** The audit of `job` with the leaves revealed, read through the runtime API. */
async function auditOf(job) {
  const found = await api.call.inferenceApi.audit(job);
  return found.isSome ? found.unwrap() : undefined;
}

test('a provider corrupting one operator is caught by bisection and slashed; only that segment is re-run', { timeout: 240_000 }, async () => {
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  const bondBefore = (await api.query.computeRegistry.providers(bob.address)).unwrap().bond.toBigInt();
  // A fee ceiling only Bob's price fits: price, no royalties, and the audit fee, which at a
  // 100 % rate is the auditor's and a referee's rewards.
  const r = await sendAndFinalize(
    api,
    api.tx.inference.requestJob(model, { Inline: f32Tensors('x', [1, 4], [1, 2, 3, 4]) }, jobSpec({ maxFee: AUDITED_FEE })),
    eve,
  );
  const requested = eventOf(r.events, api.events.inference.JobRequested);
  const job = requested.data.job.toNumber();
  assert.deepEqual(requested.data.providers.map(String), [bob.address]);

  await waitFor(async () => (await auditOf(job))?.[0].stage.isClosed, {
    timeoutMs: 180_000,
    what: `the audit of job ${job} to close`,
  });
  const [audit, providerLeaves, auditorLeaves] = await auditOf(job);
  assert.equal(audit.stage.asClosed.type, 'ProviderCaught');
  assert.equal(audit.provider.toString(), bob.address);
  const auditor = audit.auditor.unwrap().toString();
  assert.ok([alice.address, charlie.address].includes(auditor), auditor);
  assert.equal(audit.divergence.unwrap().toNumber(), 1, 'the corrupted segment is named');
  // Revealed leaves are removed at closing; the receipt keeps its commitment.
  assert.ok(providerLeaves.isNone && auditorLeaves.isNone);

  const end = (await api.rpc.chain.getHeader()).number.toNumber();
  const events = (await eventsOfBlocks(api, start, end))
    .map(({ event }) => event)
    .filter((event) => event.section === 'inference' && event.data.job?.toNumber() === job);
  const named = (method) => events.filter((event) => event.method === method);
  const [receipt] = named('ReceiptSubmitted');
  const commitment = (await api.call.inferenceApi.receiptCheckpoints(receipt.data.receipt)).unwrap();
  assert.equal(commitment.leaves.toNumber(), 5, 'tiny_mlp runs as five segments');
  assert.equal(named('AuditDrawn')[0].data.audited.isTrue, true);
  assert.equal(named('AuditOpened')[0].data.auditor.toString(), auditor);
  assert.equal(named('AuditAnswered')[0].data.agrees.isTrue, false);
  assert.equal(named('AuditDisputed').length, 1);
  assert.deepEqual(named('CheckpointsRevealed').map((e) => e.data.party.type).sort(), ['Auditor', 'Provider']);
  const [diverged] = named('CheckpointDiverged');
  assert.equal(diverged.data.task.asSegment.toNumber(), 1);
  const referee = diverged.data.referee.toString();
  assert.deepEqual([auditor, referee].sort(), [alice.address, charlie.address].sort());
  assert.equal(named('SegmentInputPosted')[0].data.checkpoint.toNumber(), 0);
  assert.equal(named('RefereeAnswered')[0].data.referee.toString(), referee);
  const [closed] = named('AuditClosed');
  const [slashedWho, slashed] = closed.data.slashed.unwrap();
  assert.equal(slashedWho.toString(), bob.address);
  assert.equal(slashed.toBigInt(), api.consts.inference.auditSlash.toBigInt());
  const rewarded = named('AuditRewardPaid').map((e) => e.data.recipient.toString()).sort();
  assert.deepEqual(rewarded, [auditor, referee].sort());

  // The bond paid for it, and the referee's node ran the one diverging segment, not the model.
  const bondAfter = (await api.query.computeRegistry.providers(bob.address)).unwrap().bond.toBigInt();
  assert.equal(bondBefore - bondAfter, slashed.toBigInt());
  assert.match(honest.output, new RegExp(`job ${job}: referee ran segment 1 alone`));
  assert.doesNotMatch(honest.output, new RegExp(`job ${job}: referee ran the model`));
});

test('a sealed job\'s cheat is caught with keys delivered to the auditor and referee; no tensor goes on chain', { timeout: 240_000 }, async () => {
  // Bob's and Charlie's nodes publish their encryption keys (Alice's is in the genesis state).
  await waitFor(async () => {
    const keys = await Promise.all([bob, charlie].map((p) => api.query.computeRegistry.encryptionKeys(p.address)));
    return keys.every((key) => key.isSome);
  }, { timeoutMs: 60_000, what: "Bob's and Charlie's encryption keys" });
  await sendAndFinalize(api, api.tx.inference.setBlobQuota(64 * 1024), eve);
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  const bondBefore = (await api.query.computeRegistry.providers(bob.address)).unwrap().bond.toBigInt();
  const provider = new WsProvider(honest.wsUrl);
  try {
    // The blob upload is the first call on this connection: wait until it is open.
    await provider.isReady;
    // The requester's client: seal, upload to the honest node, request (only Bob's price fits),
    // deliver Bob's key, open his (corrupted) outputs; then serve the audit's keys.
    const result = await runSealedJob(api, provider, eve, {
      model,
      input: f32Tensors('x', [1, 4], [1, 2, 3, 4]),
      spec: jobSpec({ maxFee: AUDITED_FEE }),
      timeoutMs: 120_000,
    });
    assert.equal(result.status, 'Completed');
    const { job } = result;
    assert.equal((await api.query.inference.jobs(job)).unwrap().assigned[0].provider.toString(), bob.address);
    assert.equal(await result.audit(), 'ProviderCaught');

    const end = (await api.rpc.chain.getHeader()).number.toNumber();
    const events = (await eventsOfBlocks(api, start, end))
      .map(({ event }) => event)
      .filter((event) => event.section === 'inference' && event.data.job?.toNumber() === job);
    const named = (method) => events.filter((event) => event.method === method);
    const auditor = named('AuditOpened')[0].data.auditor.toString();
    const [diverged] = named('CheckpointDiverged');
    assert.equal(diverged.data.task.asSegment.toNumber(), 1, 'the corrupted segment is named');
    const referee = diverged.data.referee.toString();
    assert.deepEqual([auditor, referee].sort(), [alice.address, charlie.address].sort());
    // The key reached Bob, then the auditor, then the referee, each granted in its role.
    const delivered = named('KeysDelivered').map((e) => e.data.recipients.map(String));
    assert.deepEqual(delivered, [[bob.address], [auditor], [referee]]);
    for (const [who, role] of [[auditor, 'Auditor'], [referee, 'Referee']]) {
      assert.equal((await api.query.inference.keyGrants(job, who)).unwrap().role.type, role);
    }
    // Hashes only: the auditor answered with a hash, nothing was posted for the referee.
    assert.equal(named('AuditAnswered')[0].data.agrees.isTrue, false);
    assert.equal(named('SegmentInputPosted').length, 0);
    const [closed] = named('AuditClosed');
    const [slashedWho, slashed] = closed.data.slashed.unwrap();
    assert.equal(slashedWho.toString(), bob.address);
    const bondAfter = (await api.query.computeRegistry.providers(bob.address)).unwrap().bond.toBigInt();
    assert.equal(bondBefore - bondAfter, slashed.toBigInt());
    assert.match(honest.output, new RegExp(`job ${job}: audited sealed`));
    assert.match(honest.output, new RegExp(`job ${job}: referee ran the sealed job`));
    for (let n = start; n <= end; n += 1) {
      const block = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(n));
      const calls = block.block.extrinsics.map((xt) => `${xt.method.section}.${xt.method.method}`);
      assert.ok(!calls.includes('inference.postSegmentInput') && !calls.includes('inference.submitAudit'), `block ${n}: ${calls}`);
    }
  } finally {
    await provider.disconnect();
  }
});
