// Cairn's core loop on a real node with the real ONNX Runtime: a job is requested, the provider
// node's offchain worker runs the bundled tiny model and submits a signed receipt within two
// blocks, settlement pays the provider and the royalties up the lineage, and every balance
// changes exactly; the same with two providers; a job on a model whose training license was
// revoked is refused by name.

import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { CairnNode, runToExit, tempDir } from '../lib/node.mjs';
import { eventsOfBlocks, feesPaid, sendAndFinalize } from '../lib/tx.mjs';
import {
  collectInferenceEvents,
  decodeTensorSet,
  demoLineage,
  eventOf,
  f32Tensors,
  f32Values,
  feeOf,
  jobSpec,
  tinyModelPath,
  UNIT,
} from '../lib/jobs.mjs';

const cache = process.env.CAIRN_CACHE ?? path.join(os.homedir(), '.cache/cairn');
const library = process.env.ORT_DYLIB_PATH ?? path.join(cache, 'onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1');

let node;
let api;
let lineage;
const keyring = new Keyring({ type: 'sr25519' });
const [alice, bob, charlie, dave, eve] = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve'].map((u) => keyring.addFromUri(u));

before(async () => {
  const store = tempDir('cairn-jobs-store-');
  const imported = await runToExit(['model', 'import', tinyModelPath, '--model-store', store, '--onnxruntime-lib', library]);
  assert.equal(imported.code, 0, imported.output);
  node = new CairnNode({
    // Interval sealing: blocks keep coming, so a dropped receipt is retried by the offchain
    // worker (after 10 blocks) and deadlines pass.
    args: ['--dev', '--sealing', '500', '--rpc-methods', 'unsafe', '--model-store', store, '--onnxruntime-lib', library],
  });
  await node.start();
  api = await node.api();
  // The genesis demo lineage: jobs run on Charlie's tiny model, trained under Dave's license.
  const demo = await demoLineage(api);
  lineage = { model: demo.base, license: demo.trainingLicense };
});

after(async () => {
  await node?.stop();
});

/** The best block's number and the free balances of `accounts` in it. */
async function snapshot(accounts) {
  const hash = await api.rpc.chain.getBlockHash();
  const at = await api.at(hash);
  const number = (await at.query.system.number()).toNumber();
  const free = await Promise.all(accounts.map(async (who) => (await at.query.system.account(who.address)).data.free.toBigInt()));
  return { number, free };
}

/** The transaction fees `who` paid in blocks `from + 1 ..= to` (receipts, and any heartbeat). */
async function feesPaidBy(who, from, to) {
  return feesPaid(api, await eventsOfBlocks(api, from, to), who.address);
}

/** Requests a job from `requester` and waits for its settlement; returns what happened. */
async function runJob(requester, spec) {
  const collector = await collectInferenceEvents(api);
  try {
    const r = await sendAndFinalize(api, api.tx.inference.requestJob(lineage.model, { Inline: f32Tensors('x', [1, 4], [1, 2, 3, 4]) }, spec), requester);
    const requested = eventOf(r.events, api.events.inference.JobRequested);
    const requestBlock = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
    const job = requested.data.job.toNumber();
    const outcome = await collector.settled(job, { timeoutMs: 60_000 });
    return { job, requested, requestBlock, requestFee: feeOf(api, r.events), ...outcome };
  } finally {
    collector.stop();
  }
}

test('a job runs in the provider node and settles exactly, with royalties', { timeout: 120_000 }, async () => {
  const accounts = [eve, alice, charlie, dave];
  const start = await snapshot(accounts);
  const before = start.free;
  const { job, requested, requestBlock, requestFee, settled, events } = await runJob(eve, jobSpec({ maxFee: UNIT / 10n }));
  assert.deepEqual(requested.data.providers.map(String), [alice.address]);

  // The signed receipt lands within the two blocks after the request.
  const receiptEvent = events.find(({ event }) => event.method === 'ReceiptSubmitted');
  assert.ok(receiptEvent, 'a receipt');
  assert.ok(receiptEvent.block <= requestBlock + 2, `receipt in block ${receiptEvent.block}, request in ${requestBlock}`);
  assert.equal(receiptEvent.event.data.provider.toString(), alice.address);
  const [receipt, outputs] = (await api.call.inferenceApi.receipt(receiptEvent.event.data.receipt)).unwrap();
  assert.deepEqual(f32Values(decodeTensorSet(api, outputs), 'y'), [27, -7.5, 11.5]);
  assert.equal(receipt.executionProvider.type, 'Cpu');
  assert.equal(receipt.runtimeVersion.toUtf8(), '1.31.1');
  assert.equal(receipt.inputHash.toHex(), requested.data.inputHash.toHex());
  const receiptIds = await api.call.inferenceApi.receiptsOfJob(job);
  assert.deepEqual(receiptIds.map((id) => id.toNumber()), [receiptEvent.event.data.receipt.toNumber()]);

  // Settlement: the provider's price, 5 % to the model owner, 2.5 % to the dataset owner.
  assert.equal(settled.data.status.type, 'Completed');
  const price = UNIT / 100n;
  const paid = settled.data.paid.toBigInt();
  const royalties = settled.data.royalties.toBigInt();
  const refunded = settled.data.refunded.toBigInt();
  assert.equal(paid, price);
  assert.equal(royalties, (price * 500n) / 10_000n + (price * 250n) / 10_000n);
  // A single-provider job also pays the audit fee into the audit pot (docs/verification.md).
  const auditFee = eventOf(events.map(({ event }) => ({ event })), api.events.inference.AuditFeeCharged).data.amount.toBigInt();
  assert.equal(auditFee, 2n * (UNIT / 1000n));
  assert.equal(paid + royalties + auditFee + refunded, requested.data.feeHeld.toBigInt());
  const royaltyTo = (who) =>
    events
      .filter(({ event }) => event.method === 'RoyaltyPaid' && event.data.recipient.toString() === who.address)
      .reduce((sum, { event }) => sum + event.data.amount.toBigInt(), 0n);
  assert.equal(royaltyTo(charlie), (price * 500n) / 10_000n);
  assert.equal(royaltyTo(dave), (price * 250n) / 10_000n);

  // Balances, to the unit. The provider paid the fee of its signed receipt transaction.
  const end = await snapshot(accounts);
  const after = end.free;
  // The job's storage deposit stays held until the job is pruned (after the retention period).
  const deposit = requested.data.deposit.toBigInt();
  assert.ok(deposit > 0n, 'a storage deposit is held');
  assert.equal(before[0] - after[0], paid + royalties + auditFee + requestFee + deposit, 'requester');
  assert.equal(after[2] - before[2], royaltyTo(charlie), 'model owner');
  assert.equal(after[3] - before[3], royaltyTo(dave), 'dataset owner');
  const aliceFees = await feesPaidBy(alice, start.number, end.number);
  assert.ok(aliceFees > 0n, 'the receipt was a signed, fee-paying transaction');
  assert.equal(after[1] - before[1], paid - aliceFees, 'provider');
});

test('a two-provider job is paid to both when their outputs agree', { timeout: 120_000 }, async () => {
  // Bob becomes a CPU provider; his provider key goes into the node's keystore over RPC.
  const profile = (await api.query.computeRegistry.providers(alice.address)).unwrap().profile;
  await sendAndFinalize(api, api.tx.computeRegistry.register(profile, 1_000n * UNIT), bob);
  const inserted = await api.rpc.author.insertKey('cinf', '//Bob', u8aToHex(bob.publicKey));
  assert.equal(inserted.isEmpty ?? true, true);
  const start = await snapshot([alice, bob]);
  const { requested, settled, events } = await runJob(eve, jobSpec({ maxFee: UNIT / 10n, redundancy: 2 }));
  assert.deepEqual(requested.data.providers.map(String).sort(), [alice.address, bob.address].sort());
  assert.equal(settled.data.status.type, 'Completed');
  const paidTo = events.filter(({ event }) => event.method === 'ProviderPaid').map(({ event }) => event.data.provider.toString());
  assert.deepEqual(paidTo.sort(), [alice.address, bob.address].sort());
  assert.equal(settled.data.paid.toBigInt(), 2n * (UNIT / 100n));
  const end = await snapshot([alice, bob]);
  // Each was paid the price and paid the fees of its own transactions (its receipt).
  for (const [i, who] of [alice, bob].entries()) {
    const fees = await feesPaidBy(who, start.number, end.number);
    assert.equal(end.free[i] - start.free[i], UNIT / 100n - fees, who.address);
  }
});

test('a job on a model whose training license was revoked is refused', { timeout: 60_000 }, async () => {
  assert.ok(lineage.license !== null);
  await sendAndFinalize(api, api.tx.dataLicensing.revokeLicense(lineage.license, 'redistributed the data'), dave);
  await assert.rejects(
    sendAndFinalize(api, api.tx.inference.requestJob(lineage.model, { Inline: f32Tensors('x', [1, 4], [1, 2, 3, 4]) }, jobSpec({ maxFee: UNIT / 10n })), eve),
    /inference\.UpstreamLicenseInvalid/,
  );
  const status = await api.call.provenanceApi.lineageStatus(lineage.model, null);
  assert.equal(status.type, 'Problems');
});
