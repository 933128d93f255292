// Four validators and a compute-provider node (Eve, real ONNX Runtime) started by
// scripts/testnet.sh. Load: several accounts submit a burst of transfers and jobs spread over the
// validators; every extrinsic is included or refused with a reason, and counts and balances
// reconcile to the unit. A provider node killed after a job was assigned to it: the job expires
// at its deadline and the requester gets the fee back; restarted, the node sends no stale receipt.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { waitFor } from '../lib/node.mjs';
import { Testnet } from '../lib/testnet.mjs';
import { commitRegistration, dispatchErrorName, eventsOfBlocks, feesPaid, sendAndFinalize } from '../lib/tx.mjs';
import { eventOf, f32Tensors, jobSpec, tinyInterface, tinyModelHash, tinyModelPath, UNIT } from '../lib/jobs.mjs';

const validators = ['alice', 'bob', 'charlie', 'dave'];
const testnet = new Testnet({ validators: 4, providers: 1 });
const keyring = new Keyring({ type: 'sr25519' });
const [eve, charlie, ferdie] = ['//Eve', '//Charlie', '//Ferdie'].map((uri) => keyring.addFromUri(uri));
let api;
let model;

before(async () => {
  await testnet.start();
  api = await testnet.api('alice');
  // Eve's node holds her provider key; she registers as a CPU provider, and Charlie registers
  // the bundled tiny model, so jobs on it go to her node.
  const profile = {
    executionProviders: ['Cpu'],
    gpu: null,
    cpuCores: 2,
    ramMib: 4096,
    onnxruntimeVersion: '1.31.1',
    minOpset: 7,
    maxOpset: 22,
    pricePerJob: UNIT / 100n,
    pricePerComputeUnit: UNIT / 100_000n,
    maxConcurrentJobs: 4,
    endpoint: null,
  };
  await sendAndFinalize(api, api.tx.computeRegistry.register(profile, 1_000n * UNIT), eve);
  const file = { sha256: tinyModelHash, cid: null, sizeBytes: statSync(tinyModelPath).size };
  const terms = { priceFloor: 0, royaltyBps: 500, derivatives: 'Open', requiredLicense: null };
  await commitRegistration(api, charlie, 'Model', tinyModelHash);
  const registered = await sendAndFinalize(
    api,
    api.tx.modelProvenance.registerModel(file, 'cairn tiny affine', tinyInterface, terms, [], []),
    charlie,
  );
  model = eventOf(registered.events, api.events.modelProvenance.ModelRegistered).data.model.toNumber();
});

after(async () => {
  await testnet.remove();
});

/**
 * Signs `tx` with `signer` at `nonce` and sends it through `api`; resolves with what became of it:
 * `included` (finalized; `error` is the dispatch error's name when it failed), `refused` (the
 * pool refused it at submission, with the reason) or `lost` (accepted, then dropped, usurped or
 * invalidated: a silent drop).
 */
function submit(api, tx, signer, nonce) {
  return new Promise((resolve) => {
    tx.signAndSend(signer, { nonce }, (result) => {
      const { status } = result;
      if (status.isFinalized) {
        resolve({
          outcome: 'included',
          error: result.dispatchError ? dispatchErrorName(api, result.dispatchError) : null,
          blockHash: status.asFinalized.toHex(),
          events: result.events,
        });
      } else if (status.isDropped || status.isUsurped || status.isInvalid || status.isFinalityTimeout) {
        resolve({ outcome: 'lost', reason: status.type });
      }
    }).catch((error) => resolve({ outcome: 'refused', reason: error.message }));
  });
}

/** The free balances of `addresses` at block `hash`. */
async function freeAt(api, hash, addresses) {
  const at = await api.at(hash);
  return Promise.all(addresses.map(async (a) => (await at.query.system.account(a)).data.free.toBigInt()));
}

/** The fees `address` paid according to `events`. */
const feesOf = (events, address) => feesPaid(api, events, address);

test('a burst of transfers and jobs over four validators: nothing silently dropped, everything reconciles', { timeout: 400_000 }, async () => {
  const senders = ['//Alice//stash', '//Bob//stash', '//Charlie//stash', '//Dave//stash', '//Eve//stash', '//Ferdie//stash']
    .map((uri) => keyring.addFromUri(uri));
  const requesters = [ferdie, keyring.addFromUri('//Ferdie//stash//jobs')];
  const recipients = [0, 1, 2, 3].map((i) => keyring.addFromUri(`//CairnLoad//${i}`));
  const transfersEach = 20;
  const jobsEach = 3;
  // The second requester starts with a transfer of its own, before the burst.
  await sendAndFinalize(api, api.tx.balances.transferKeepAlive(requesters[1].address, 100n * UNIT), ferdie);

  const startHash = await api.rpc.chain.getFinalizedHead();
  const start = (await api.rpc.chain.getHeader(startHash)).number.toNumber();
  const watched = [...senders, ...requesters, ...recipients, eve, charlie].map((k) => k.address);
  const before = await freeAt(api, startHash, watched);
  const apis = await Promise.all(validators.map((name) => testnet.api(name)));

  const sent = [];
  for (const [i, sender] of senders.entries()) {
    const node = apis[i % apis.length];
    const nonce = (await node.rpc.system.accountNextIndex(sender.address)).toNumber();
    for (let k = 0; k < transfersEach; k += 1) {
      const to = recipients[(i + k) % recipients.length];
      const amount = UNIT + BigInt(i * transfersEach + k);
      sent.push({ kind: 'transfer', from: sender.address, to: to.address, amount, result: submit(node, node.tx.balances.transferKeepAlive(to.address, amount), sender, nonce + k) });
    }
  }
  for (const [i, requester] of requesters.entries()) {
    const node = apis[(i + 1) % apis.length];
    const nonce = (await node.rpc.system.accountNextIndex(requester.address)).toNumber();
    for (let k = 0; k < jobsEach; k += 1) {
      const input = f32Tensors('x', [1, 4], [k, i, 1, 2]);
      sent.push({ kind: 'job', from: requester.address, result: submit(node, node.tx.inference.requestJob(model, { Inline: input }, jobSpec({ maxFee: UNIT / 10n })), requester, nonce + k) });
    }
  }

  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('extrinsics of the burst neither included nor refused within 240 s')), 240_000);
  });
  const outcomes = await Promise.race([Promise.all(sent.map((s) => s.result)), deadline]);
  clearTimeout(timer);
  const lost = outcomes.filter((o) => o.outcome === 'lost');
  assert.deepEqual(lost, [], 'accepted extrinsics that were then dropped');
  for (const o of outcomes.filter((o) => o.outcome === 'refused')) assert.ok(o.reason.length > 0, 'a refusal says why');
  const transfers = sent.map((s, i) => ({ ...s, ...outcomes[i] })).filter((s) => s.kind === 'transfer');
  const jobs = sent.map((s, i) => ({ ...s, ...outcomes[i] })).filter((s) => s.kind === 'job');
  // Transfers from funded accounts at consecutive nonces are all valid: all included and done.
  assert.equal(transfers.filter((t) => t.outcome === 'included' && t.error === null).length, transfers.length);
  for (const job of jobs) {
    assert.ok(job.outcome === 'refused' || job.outcome === 'included', job.outcome);
    if (job.error) assert.match(job.error, /^inference\./, 'a failed job request names its error');
  }
  const requested = jobs
    .filter((j) => j.outcome === 'included' && j.error === null)
    .map((j) => eventOf(j.events, api.events.inference.JobRequested).data.job.toNumber());
  assert.ok(requested.length > 0, 'some jobs were taken');

  // Every job taken settles; then the books are read at one finalized block.
  const settled = await waitFor(async () => {
    const head = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
    const events = await eventsOfBlocks(api, start, head);
    const done = events.filter(({ event }) => api.events.inference.JobSettled.is(event) && requested.includes(event.data.job.toNumber()));
    return done.length === requested.length && { head, events };
  }, { timeoutMs: 120_000, intervalMs: 3000, what: `${requested.length} jobs to settle` });
  const { head, events } = settled;
  const after = await freeAt(api, await api.rpc.chain.getBlockHash(head), watched);
  const delta = (address) => after[watched.indexOf(address)] - before[watched.indexOf(address)];

  // Counts: one Transfer event per included transfer, one JobRequested per job taken.
  const transferEvents = events.filter(({ event }) => api.events.balances.Transfer.is(event) && recipients.some((r) => r.address === event.data.to.toString()));
  assert.equal(transferEvents.length, transfers.length);
  const jobEvents = events.filter(({ event }) => api.events.inference.JobRequested.is(event) && requesters.some((r) => r.address === event.data.requester.toString()));
  assert.equal(jobEvents.length, requested.length);

  // Balances, to the unit.
  for (const recipient of recipients) {
    const received = transfers.filter((t) => t.to === recipient.address).reduce((sum, t) => sum + t.amount, 0n);
    assert.equal(delta(recipient.address), received, `recipient ${recipient.address}`);
  }
  for (const sender of senders) {
    const out = transfers.filter((t) => t.from === sender.address).reduce((sum, t) => sum + t.amount, 0n);
    assert.equal(-delta(sender.address), out + feesOf(events, sender.address), `sender ${sender.address}`);
  }
  const settledEvents = events.filter(({ event }) => api.events.inference.JobSettled.is(event) && requested.includes(event.data.job.toNumber()));
  for (const requester of requesters) {
    const mine = jobEvents.filter(({ event }) => event.data.requester.toString() === requester.address);
    const ids = mine.map(({ event }) => event.data.job.toNumber());
    const deposits = mine.reduce((sum, { event }) => sum + event.data.deposit.toBigInt(), 0n);
    // Paid to providers and in royalties, and the audit fee of each single-provider job.
    const spent = settledEvents
      .filter(({ event }) => ids.includes(event.data.job.toNumber()))
      .reduce((sum, { event }) => sum + event.data.paid.toBigInt() + event.data.royalties.toBigInt(), 0n)
      + events
        .filter(({ event }) => api.events.inference.AuditFeeCharged.is(event) && ids.includes(event.data.job.toNumber()))
        .reduce((sum, { event }) => sum + event.data.amount.toBigInt(), 0n);
    assert.equal(-delta(requester.address), spent + deposits + feesOf(events, requester.address), `requester ${requester.address}`);
  }
  const sumOf = (check, field, who) => events
    .filter(({ event }) => check.is(event) && requested.includes(event.data.job.toNumber()) && event.data[field].toString() === who)
    .reduce((sum, { event }) => sum + event.data.amount.toBigInt(), 0n);
  const paidToEve = sumOf(api.events.inference.ProviderPaid, 'provider', eve.address);
  assert.ok(paidToEve > 0n, 'the provider was paid');
  assert.equal(delta(eve.address), paidToEve - feesOf(events, eve.address), 'provider');
  assert.equal(delta(charlie.address), sumOf(api.events.inference.RoyaltyPaid, 'recipient', charlie.address), 'model owner');
});

test('a provider node killed after a job was assigned to it: expiry refunds the requester; restarted, no stale receipt', { timeout: 300_000 }, async () => {
  // Eve's node freezes (alive, connected, registered), the job is assigned to her, then it dies.
  testnet.pause('eve');
  const requester = keyring.addFromUri('//Ferdie');
  const startHash = await api.rpc.chain.getFinalizedHead();
  const start = (await api.rpc.chain.getHeader(startHash)).number.toNumber();
  const [before] = await freeAt(api, startHash, [requester.address]);
  const request = await sendAndFinalize(
    api,
    api.tx.inference.requestJob(model, { Inline: f32Tensors('x', [1, 4], [9, 9, 9, 9]) }, jobSpec({ maxFee: UNIT / 10n, deadline: 3 })),
    requester,
  );
  const requestedEvent = eventOf(request.events, api.events.inference.JobRequested);
  const job = requestedEvent.data.job.toNumber();
  assert.deepEqual(requestedEvent.data.providers.map(String), [eve.address]);
  await testnet.kill('eve');

  const settled = await waitFor(async () => {
    const head = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
    const events = await eventsOfBlocks(api, start, head);
    const found = events.find(({ event }) => api.events.inference.JobSettled.is(event) && event.data.job.toNumber() === job);
    return found && { head, events, found };
  }, { timeoutMs: 120_000, intervalMs: 3000, what: `job ${job} to expire` });
  const { status, paid, royalties, refunded } = settled.found.event.data;
  assert.equal(status.type, 'Expired');
  assert.equal(paid.toBigInt() + royalties.toBigInt(), 0n);
  assert.equal(refunded.toBigInt(), requestedEvent.data.feeHeld.toBigInt());
  const [after] = await freeAt(api, await api.rpc.chain.getBlockHash(settled.head), [requester.address]);
  // All the requester lost: the request's fee, and the job's deposit (held until it is pruned).
  assert.equal(before - after, feesOf(settled.events, requester.address) + requestedEvent.data.deposit.toBigInt());

  // Restarted, Eve's node catches up past the job's blocks and submits nothing for it.
  const logBefore = testnet.log('eve').length;
  const restartedAt = (await api.rpc.chain.getHeader()).number.toNumber();
  await testnet.restart('eve');
  await waitFor(async () => (await testnet.heads('eve')).best >= restartedAt + 3, { timeoutMs: 90_000, what: 'eve to catch up' });
  const end = (await testnet.heads('alice')).best;
  const since = await eventsOfBlocks(api, restartedAt, end);
  assert.ok(!since.some(({ event }) => api.events.inference.ReceiptSubmitted.is(event) && event.data.job.toNumber() === job), 'a receipt for the expired job');
  assert.ok(!since.some(({ event }) => api.events.system.ExtrinsicFailed.is(event)), 'a failed extrinsic after the restart');
  const eveApi = await testnet.api('eve');
  const pendingReceipts = (await eveApi.rpc.author.pendingExtrinsics())
    .filter((xt) => xt.method.section === 'inference' && xt.method.method === 'submitReceipt');
  assert.deepEqual(pendingReceipts.map((xt) => xt.method.toHuman()), [], 'receipts waiting in the restarted node\'s pool');
  const restartedLog = testnet.log('eve').slice(logBefore);
  assert.ok(!restartedLog.includes(`job ${job}: receipt submitted`), `the restarted node ran job ${job}:\n${restartedLog.slice(-3000)}`);
});
