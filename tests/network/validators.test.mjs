// Four validators of `--chain local` started by scripts/testnet.sh: they agree on finalized
// blocks; finality survives one crashed validator, which catches up after a restart; with two
// crashed, blocks go on while finality stalls, and it resumes when one returns; a runtime upgrade
// applied with sudo keeps blocks, finality and storage; `stop` ends every node.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { waitFor } from '../lib/node.mjs';
import { processRuns, sleep, Testnet } from '../lib/testnet.mjs';
import { dispatchErrorName, sendAndFinalize } from '../lib/tx.mjs';

const UNIT = 10n ** 12n;
const all = ['alice', 'bob', 'charlie', 'dave'];
const testnet = new Testnet({ validators: 4 });

before(async () => {
  await testnet.start();
});

after(async () => {
  await testnet.remove();
});

/** Waits until node `name` has imported `count` blocks more than it has now; returns its heads. */
async function blocksGoOn(name, count, timeoutMs = 120_000) {
  const start = await testnet.heads(name);
  return waitFor(async () => {
    const now = await testnet.heads(name);
    return now.best >= start.best + count && now;
  }, { timeoutMs, intervalMs: 1000, what: `${count} new blocks on ${name}` });
}

test('four validators agree on finalized blocks', { timeout: 180_000 }, async () => {
  for (const name of all) {
    await waitFor(async () => (await testnet.rpc(name, 'system_health')).peers >= 3, {
      timeoutMs: 60_000,
      what: `${name} to connect to the other three`,
    });
  }
  const common = await testnet.agreeOnFinalized(all, { atLeast: 3 });
  assert.ok(common >= 3);
  // More than one validator authors: Aura's author of a block is the authority of its slot.
  const api = await testnet.api('alice');
  const authorities = (await api.query.aura.authorities()).length;
  const authors = new Set();
  for (let n = 1; n <= common; n += 1) {
    const header = await api.rpc.chain.getHeader(await api.rpc.chain.getBlockHash(n));
    const preRuntime = header.digest.logs.find((log) => log.isPreRuntime && log.asPreRuntime[0].toString() === 'aura');
    const slot = api.createType('u64', preRuntime.asPreRuntime[1]).toBigInt();
    authors.add(Number(slot % BigInt(authorities)));
  }
  assert.equal(authorities, 4);
  assert.ok(authors.size >= 2, `blocks 1..${common} all by authority ${[...authors]}`);
});

test('one validator killed: finality continues on three; restarted, it catches up and agrees', { timeout: 300_000 }, async () => {
  await testnet.kill('dave');
  const survivors = ['alice', 'bob', 'charlie'];
  const before = await testnet.heads('alice');
  await testnet.agreeOnFinalized(survivors, { atLeast: before.finalized + 3 });

  await testnet.restart('dave');
  const target = (await testnet.heads('alice')).finalized;
  const common = await testnet.agreeOnFinalized(all, { atLeast: target + 1 });
  assert.ok(common > target);
});

test('two validators killed: blocks go on, finality stalls, and resumes when one returns', { timeout: 420_000 }, async () => {
  await testnet.kill('charlie');
  await testnet.kill('dave');
  // Votes cast before the crash may still finalize a block; after a new block, nothing can.
  await blocksGoOn('alice', 1);
  const stalled = await testnet.heads('alice');
  const later = await blocksGoOn('alice', 3);
  assert.equal(later.finalized, stalled.finalized, 'finality must stall with two of four validators');
  assert.equal((await testnet.heads('bob')).finalized, stalled.finalized);

  await testnet.restart('charlie');
  await testnet.agreeOnFinalized(['alice', 'bob', 'charlie'], { atLeast: later.best });
  await testnet.restart('dave');
  await testnet.agreeOnFinalized(all, { atLeast: later.best + 1 });
});

test('a runtime upgrade with sudo(system.setCode) keeps blocks, finality and storage', { timeout: 300_000 }, async () => {
  const wasmPath =
    process.env.CAIRN_UPGRADE_TEST_WASM ??
    path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/cairn/target'),
      'release/wbuild/cairn-runtime/cairn_runtime_upgrade_test.compact.compressed.wasm');
  assert.ok(existsSync(wasmPath), `${wasmPath} is missing: build the node with CAIRN_BUILD_UPGRADE_TEST_RUNTIME=1 (scripts/common.sh sets it)`);
  const code = readFileSync(wasmPath);

  const api = await testnet.api('alice');
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const saver = keyring.addFromUri('//CairnUpgradeTest');
  const oldVersion = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();
  await sendAndFinalize(api, api.tx.balances.transferKeepAlive(saver.address, 7n * UNIT), alice);
  const issuance = (await api.query.balances.totalIssuance()).toBigInt();

  const upgrade = api.tx.sudo.sudoUncheckedWeight(api.tx.system.setCode(u8aToHex(code)), { refTime: 0, proofSize: 0 });
  const { blockHash } = await sendAndFinalize(api, upgrade, alice);
  // The upgrade's events, read from the finalized block itself by the extrinsic's index.
  const block = await api.rpc.chain.getBlock(blockHash);
  const index = block.block.extrinsics.findIndex((xt) => xt.hash.eq(upgrade.hash));
  assert.ok(index >= 0, `the upgrade extrinsic is in its finalized block ${blockHash}`);
  // The block ran the old code, so its events are read as raw storage and decoded with the old
  // runtime's types (those of its parent block). The connection's own registry switches to the
  // new runtime's as soon as it hears of the upgrade, at a moment of its own; decoding the block's
  // events with whichever it holds then failed once (V15 and V16 metadata number types apart).
  const old = await api.at(block.block.header.parentHash);
  const raw = await api.rpc.state.getStorage(api.query.system.events.key(), blockHash);
  const events = old.registry
    .createType('Vec<FrameSystemEventRecord>', raw.toU8a(true))
    .filter(({ phase }) => phase.isApplyExtrinsic && phase.asApplyExtrinsic.eq(index));
  const named = (section, method) => events.find(({ event }) => event.section === section && event.method === method);
  const result = named('sudo', 'Sudid')?.event.data[0];
  assert.ok(result?.isOk, `sudo result: ${result?.isErr ? dispatchErrorName(old, result.asErr) : result}`);
  assert.ok(named('system', 'CodeUpdated'), 'a CodeUpdated event');
  const upgradeBlock = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();

  // Every node reports the new version, and runs it: Core_version is executed by the new code.
  for (const name of all) {
    await waitFor(async () => (await testnet.rpc(name, 'state_getRuntimeVersion')).specVersion === oldVersion + 1, {
      timeoutMs: 60_000,
      what: `${name} to report spec_version ${oldVersion + 1}`,
    });
  }
  const upgraded = await testnet.api('bob');
  assert.equal((await upgraded.call.core.version()).specVersion.toNumber(), oldVersion + 1);
  const last = (await upgraded.query.system.lastRuntimeUpgrade()).unwrap();
  assert.equal(last.specVersion.toNumber(), oldVersion + 1);
  assert.equal(last.specName.toString(), 'cairn');

  // Blocks and finality go on past the upgrade on all four.
  await testnet.agreeOnFinalized(all, { atLeast: upgradeBlock + 2 });
  // Storage survived: the balance, and the issuance but for the fees since (burnt or paid out,
  // never minted).
  assert.equal((await upgraded.query.system.account(saver.address)).data.free.toBigInt(), 7n * UNIT);
  assert.ok((await upgraded.query.balances.totalIssuance()).toBigInt() <= issuance);
  // And the upgraded chain takes transactions signed for its version.
  const fresh = await testnet.api('charlie');
  await sendAndFinalize(fresh, fresh.tx.balances.transferKeepAlive(saver.address, UNIT), alice);
  assert.equal((await fresh.query.system.account(saver.address)).data.free.toBigInt(), 8n * UNIT);
});

test('scripts/testnet.sh stop ends every node', { timeout: 120_000 }, async () => {
  const pids = all.map((name) => testnet.pid(name));
  assert.ok(pids.every((pid) => Number.isInteger(pid)), `pids: ${pids}`);
  await testnet.stop();
  await sleep(200);
  for (const [i, pid] of pids.entries()) {
    assert.equal(processRuns(pid), false, `${all[i]} (pid ${pid}) still runs`);
    assert.equal(testnet.pid(all[i]), undefined, `${all[i]}'s pid file removed`);
  }
});
