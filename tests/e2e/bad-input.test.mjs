// Bad input gets a clear error and loses nothing: malformed extrinsics, unknown chains,
// corrupt chain specs.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CairnNode, chainHeads, rpc, runToExit, tempDir, waitFor } from '../lib/node.mjs';

const nodes = [];
const dirs = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

test('a malformed extrinsic gets a JSON-RPC error and the node keeps producing blocks', { timeout: 60_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', '300'] });
  nodes.push(node);
  await node.start();
  for (const garbage of ['0xdeadbeef', '0x', '0x00', `0x${'ff'.repeat(300)}`]) {
    const response = await rpc(node.rpcPort, 'author_submitExtrinsic', [garbage]);
    assert.equal(response.result, undefined, `accepted ${garbage}`);
    assert.ok(response.error, `no error for ${garbage}`);
    assert.equal(typeof response.error.code, 'number');
    assert.ok(response.error.message.length > 0);
  }
  const notHex = await rpc(node.rpcPort, 'author_submitExtrinsic', ['not hex']);
  assert.ok(notHex.error);
  const { best } = await chainHeads(node.rpcPort);
  await waitFor(async () => (await chainHeads(node.rpcPort)).best >= best + 3, {
    timeoutMs: 20_000,
    what: 'blocks after the malformed submissions',
  });
  assert.ok(node.running);
});

test('an unknown --chain value stops the node with a message naming it', { timeout: 60_000 }, async () => {
  const { code, output } = await runToExit(['--chain', 'no-such-chain', '--tmp']);
  assert.notEqual(code, 0);
  assert.match(output, /unknown chain 'no-such-chain'/);
});

test('a corrupt chain spec file stops the node with a message naming the file', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  dirs.push(dir);
  const spec = path.join(dir, 'corrupt-spec.json');
  writeFileSync(spec, '{ "name": "Cairn", "id": ');
  const { code, output } = await runToExit(['--chain', spec, '--tmp']);
  assert.notEqual(code, 0);
  assert.match(output, /invalid chain specification file/);
  assert.ok(output.includes(spec), output);
});

test('an invalid --sealing value is refused with the accepted forms', { timeout: 60_000 }, async () => {
  const { code, output } = await runToExit(['--dev', '--tmp', '--sealing', 'fast']);
  assert.notEqual(code, 0);
  assert.match(output, /unknown sealing mode 'fast'/);
});
