// A provider registers, updates, heartbeats, unbonds and withdraws with stock polkadot.js; the
// held balance always equals the recorded bond and balances reconcile to the unit.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { xxhashAsHex } from '@polkadot/util-crypto';
import { CairnNode, waitFor } from '../lib/node.mjs';
import { sendAndFinalize } from '../lib/tx.mjs';

const nodes = [];
after(async () => Promise.all(nodes.map((n) => n.stop())));

const UNIT = 10n ** 12n;

const cudaProfile = {
  executionProviders: ['Cuda', 'Cpu'],
  gpu: { model: 'NVIDIA H100 80GB HBM3', memoryMib: 81_559, count: 1 },
  cpuCores: 16,
  ramMib: 131_072,
  onnxruntimeVersion: '1.31.1',
  minOpset: 7,
  maxOpset: 22,
  pricePerJob: UNIT / 10n,
  pricePerComputeUnit: UNIT / 10_000n,
  maxConcurrentJobs: 8,
  endpoint: 'https://bob.example/cairn',
};

/** The fee paid by the extrinsic whose events are `events`. */
function feeOf(api, events) {
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(paid, 'TransactionFeePaid');
  return paid.event.data.actualFee.toBigInt() + paid.event.data.tip.toBigInt();
}

function eventOf(api, events, check) {
  const found = events.find(({ event }) => check.is(event));
  assert.ok(found, `event ${check.meta.name}`);
  return found.event;
}

test('provider life cycle: register, update, heartbeat, unbond, withdraw', { timeout: 180_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', '200'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const balance = async () => (await api.query.system.account(bob.address)).data;

  // Alice is a CPU provider from genesis.
  const aliceView = await api.call.computeRegistryApi.provider(alice.address);
  assert.ok(aliceView.isSome);
  assert.deepEqual(aliceView.unwrap().info.profile.executionProviders.map((e) => e.toString()), ['Cpu']);

  const start = await balance();
  // What Bob holds already (the deposit of his genesis demo model) stays held throughout.
  const held = start.reserved.toBigInt();
  let fees = 0n;
  const bond = 500n * UNIT;

  // register
  let r = await sendAndFinalize(api, api.tx.computeRegistry.register(cudaProfile, bond), bob);
  fees += feeOf(api, r.events);
  const registered = eventOf(api, r.events, api.events.computeRegistry.Registered);
  assert.equal(registered.data.provider.toString(), bob.address);
  assert.equal(registered.data.bond.toBigInt(), bond);
  let info = (await api.query.computeRegistry.providers(bob.address)).unwrap();
  assert.equal(info.bond.toBigInt(), bond);
  assert.equal(info.status.toString(), 'Active');
  assert.equal(info.profile.gpu.unwrap().memoryMib.toNumber(), 81_559);
  assert.equal((await balance()).reserved.toBigInt(), held + bond);
  assert.equal(start.free.toBigInt() - (await balance()).free.toBigInt(), bond + fees);

  // indexed under both execution providers; the runtime API reports it live
  const cuda = await api.call.computeRegistryApi.liveProviders('Cuda', 0, 10);
  assert.deepEqual(cuda.items.map((a) => a.toString()), [bob.address]);
  assert.ok(cuda.next.isNone);
  const cpuIndex = (await api.query.computeRegistry.providersByExecutionProvider('Cpu')).map((a) => a.toString());
  assert.deepEqual(cpuIndex, [alice.address, bob.address]);
  let view = (await api.call.computeRegistryApi.provider(bob.address)).unwrap();
  assert.equal(view.isLive.isTrue, true);
  assert.equal(view.capacityLeft.toNumber(), 8);
  assert.equal(view.score.toNumber(), 500_000);

  // update the profile and add to the bond
  r = await sendAndFinalize(api, api.tx.computeRegistry.updateProfile({ ...cudaProfile, maxConcurrentJobs: 4 }), bob);
  fees += feeOf(api, r.events);
  eventOf(api, r.events, api.events.computeRegistry.ProfileUpdated);
  r = await sendAndFinalize(api, api.tx.computeRegistry.bondMore(25n * UNIT), bob);
  fees += feeOf(api, r.events);
  const increased = eventOf(api, r.events, api.events.computeRegistry.BondIncreased);
  assert.equal(increased.data.bond.toBigInt(), bond + 25n * UNIT);
  assert.equal((await balance()).reserved.toBigInt(), held + bond + 25n * UNIT);

  // heartbeat
  r = await sendAndFinalize(api, api.tx.computeRegistry.heartbeat(), bob);
  fees += feeOf(api, r.events);
  eventOf(api, r.events, api.events.computeRegistry.HeartbeatReceived);
  const heartbeatBlock = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
  info = (await api.query.computeRegistry.providers(bob.address)).unwrap();
  assert.equal(info.lastHeartbeat.toNumber(), heartbeatBlock);
  assert.equal(info.profile.maxConcurrentJobs.toNumber(), 4);

  // Root shortens the unbonding period to 25 blocks (5 s) (a storage parameter), then Bob unbonds.
  const periodKey = xxhashAsHex(':ProviderUnbondingPeriod:', 128);
  r = await sendAndFinalize(
    api,
    api.tx.sudo.sudo(api.tx.system.setStorage([[periodKey, u8aToHex(api.createType('u32', 25).toU8a())]])),
    alice,
  );
  eventOf(api, r.events, api.events.sudo.Sudid);
  r = await sendAndFinalize(api, api.tx.computeRegistry.unbond(), bob);
  fees += feeOf(api, r.events);
  const unbonding = eventOf(api, r.events, api.events.computeRegistry.UnbondingStarted);
  const unbondBlock = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
  const unlockAt = unbonding.data.unlockAt.toNumber();
  assert.equal(unlockAt, unbondBlock + 25);
  view = (await api.call.computeRegistryApi.provider(bob.address)).unwrap();
  assert.equal(view.isLive.isTrue, false);

  // Withdrawing early is refused with a named error (and costs only the fee).
  const early = await new Promise((resolve, reject) => {
    api.tx.computeRegistry.withdrawUnbonded().signAndSend(bob, (res) => {
      if (res.status.isFinalized) resolve(res);
    }).catch(reject);
  });
  const failed = early.events.find(({ event }) => api.events.system.ExtrinsicFailed.is(event));
  assert.ok(failed, 'early withdrawal fails');
  const meta = api.registry.findMetaError(failed.event.data.dispatchError.asModule);
  assert.equal(`${meta.section}.${meta.name}`, 'computeRegistry.UnbondingNotFinished');
  assert.ok(meta.docs.join(' ').length > 0);
  fees += feeOf(api, early.events);
  assert.equal((await balance()).reserved.toBigInt(), held + bond + 25n * UNIT);

  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() >= unlockAt, {
    timeoutMs: 30_000,
    what: `block ${unlockAt}`,
  });
  r = await sendAndFinalize(api, api.tx.computeRegistry.withdrawUnbonded(), bob);
  fees += feeOf(api, r.events);
  const withdrawn = eventOf(api, r.events, api.events.computeRegistry.Withdrawn);
  assert.equal(withdrawn.data.amount.toBigInt(), bond + 25n * UNIT);

  assert.ok((await api.query.computeRegistry.providers(bob.address)).isNone);
  const end = await balance();
  assert.equal(end.reserved.toBigInt(), held);
  // Everything came back except the fees, to the unit.
  assert.equal(start.free.toBigInt() - end.free.toBigInt(), fees);
  const cudaAfter = await api.call.computeRegistryApi.liveProviders('Cuda', 0, 10);
  assert.equal(cudaAfter.items.length, 0);
});

test('registration errors are named and cost only the fee', { timeout: 60_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', 'instant'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const charlie = new Keyring({ type: 'sr25519' }).addFromUri('//Charlie');
  const before = (await api.query.system.account(charlie.address)).data;
  const cases = [
    [api.tx.computeRegistry.register(cudaProfile, 1n), 'computeRegistry.BondTooLow'],
    [api.tx.computeRegistry.register({ ...cudaProfile, gpu: null }, 500n * UNIT), 'computeRegistry.GpuRequired'],
    [api.tx.computeRegistry.register({ ...cudaProfile, executionProviders: [] }, 500n * UNIT), 'computeRegistry.NoExecutionProvider'],
    [api.tx.computeRegistry.heartbeat(), 'computeRegistry.NotRegistered'],
  ];
  let fees = 0n;
  for (const [tx, expected] of cases) {
    const result = await new Promise((resolve, reject) => {
      tx.signAndSend(charlie, (res) => res.status.isFinalized && resolve(res)).catch(reject);
    });
    const failed = result.events.find(({ event }) => api.events.system.ExtrinsicFailed.is(event));
    assert.ok(failed, `${expected} fails`);
    const meta = api.registry.findMetaError(failed.event.data.dispatchError.asModule);
    assert.equal(`${meta.section}.${meta.name}`, expected);
    fees += feeOf(api, result.events);
  }
  const after = (await api.query.system.account(charlie.address)).data;
  assert.equal(after.reserved.toBigInt(), before.reserved.toBigInt(), 'nothing was held');
  assert.equal(before.free.toBigInt() - after.free.toBigInt(), fees);
});
