// A node restarted on the same base path keeps its chain: best block and balances survive.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { rmSync } from 'node:fs';
import { Keyring } from '@polkadot/api';
import { CairnNode, chainHeads, tempDir, waitFor } from '../lib/node.mjs';
import { sendAndFinalize } from '../lib/tx.mjs';

const basePath = tempDir();
const nodes = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(basePath, { recursive: true, force: true });
});

test('state survives a restart on the same base path', { timeout: 120_000 }, async () => {
  const args = ['--dev', '--sealing', '200'];
  const first = new CairnNode({ args, basePath });
  nodes.push(first);
  await first.start();
  const api = await first.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const fresh = keyring.addFromUri('//CairnRestartTest');
  const amount = 5_000_000_000_000n;
  await sendAndFinalize(api, api.tx.balances.transferKeepAlive(fresh.address, amount), alice);
  const before = await chainHeads(first.rpcPort);
  const genesis = (await api.rpc.chain.getBlockHash(0)).toHex();
  await first.stop();
  assert.equal(first.running, false);

  const second = new CairnNode({ args, basePath });
  nodes.push(second);
  await second.start();
  const resumed = await chainHeads(second.rpcPort);
  assert.ok(resumed.best >= before.best, `best ${resumed.best} after restart, ${before.best} before`);
  const api2 = await second.api();
  assert.equal((await api2.rpc.chain.getBlockHash(0)).toHex(), genesis);
  assert.equal((await api2.query.system.account(fresh.address)).data.free.toBigInt(), amount);
  // And the chain goes on from where it was.
  await waitFor(async () => (await chainHeads(second.rpcPort)).best >= resumed.best + 3, {
    timeoutMs: 30_000,
    what: 'three new blocks after the restart',
  });
});
