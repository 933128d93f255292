// Blocks are produced and finalized: with Aura + GRANDPA, and with interval sealing.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CairnNode, chainHeads, waitFor } from '../lib/node.mjs';

const nodes = [];
after(async () => Promise.all(nodes.map((n) => n.stop())));

test('aura sealing produces blocks and GRANDPA finalizes them', { timeout: 120_000 }, async () => {
  const node = new CairnNode({ args: ['--dev'] });
  nodes.push(node);
  await node.start();
  const heads = await waitFor(async () => {
    const h = await chainHeads(node.rpcPort);
    return h.finalized >= 2 ? h : null;
  }, { timeoutMs: 90_000, what: 'finalized block #2 under aura' });
  assert.ok(heads.best >= heads.finalized);
  const api = await node.api();
  // The node reports the chain's properties from the spec: CAIRN with 12 decimals.
  const props = api.registry.getChainProperties();
  assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'CAIRN');
  assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
  // Prometheus metrics are served.
  const metrics = await (await fetch(`http://127.0.0.1:${node.prometheusPort}/metrics`)).text();
  assert.match(metrics, /substrate_block_height\{status="finalized"/);
  await node.stop();
});

test('interval sealing produces and finalizes a block per interval', { timeout: 60_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', '300'] });
  nodes.push(node);
  await node.start();
  const heads = await waitFor(async () => {
    const h = await chainHeads(node.rpcPort);
    return h.finalized >= 5 ? h : null;
  }, { timeoutMs: 30_000, what: 'finalized block #5 under 300 ms interval sealing' });
  // Each sealed block is finalized at once.
  assert.ok(heads.best - heads.finalized <= 1, `best ${heads.best}, finalized ${heads.finalized}`);
  await node.stop();
});
