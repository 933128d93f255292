// The researcher RPC (provenance_*) on a real node: the same lineage read over plain HTTP
// JSON-RPC (what curl sends) and through polkadot.js `api.call.provenanceApi` agrees; `at`
// queries before and after a license revocation; the OpenLineage export loads into the
// openlineage-python event classes; malformed requests get named errors and the node keeps
// serving; a pruned block's state is reported as pruned.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { CairnNode, repoRoot, rpc, tempDir, waitFor } from '../lib/node.mjs';
import { eventOf } from '../lib/jobs.mjs';
import { commitRegistration, sendAndFinalize } from '../lib/tx.mjs';

const nodes = [];
after(async () => Promise.all(nodes.map((n) => n.stop())));

/** The Python with openlineage-python that scripts/test.sh prepares. */
const python =
  process.env.CAIRN_OPENLINEAGE_PYTHON ?? path.join(os.homedir(), '.cache/cairn/openlineage-venv/bin/python');

/** Posts a raw body (not necessarily valid JSON) and returns the parsed answer. */
async function post(port, body) {
  const response = await fetch(`http://127.0.0.1:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return response.json();
}

/** The result of a provenance call over HTTP, failing the test on an error answer. */
async function result(port, method, params) {
  const answer = await rpc(port, method, params);
  assert.equal(answer.error, undefined, `${method} ${JSON.stringify(params)}: ${JSON.stringify(answer.error)}`);
  return answer.result;
}

/** The error code of a provenance call over HTTP. */
async function errorCode(port, method, params) {
  const answer = await rpc(port, method, params);
  assert.ok(answer.error, `${method} ${JSON.stringify(params)} was expected to fail: ${JSON.stringify(answer.result)}`);
  return answer.error.code;
}

const lowerFirst = (name) => name[0].toLowerCase() + name.slice(1);

test('provenance RPC over HTTP agrees with api.call, as of any block', { timeout: 300_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', 'instant'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const port = node.rpcPort;
  const keyring = new Keyring({ type: 'sr25519' });
  const [dave, ferdie] = ['//Dave', '//Ferdie'].map((u) => keyring.addFromUri(u));

  // Ferdie quantizes the genesis fine-tune (model 1), two steps from model 0 (after the genesis
  // distillation of the fine-tune, model 2).
  const tuned = (await api.call.provenanceApi.model(1)).unwrap();
  await commitRegistration(api, ferdie, 'Model', `0x${'42'.repeat(32)}`);
  const registered = await sendAndFinalize(
    api,
    api.tx.modelProvenance.registerModel(
      { sha256: `0x${'42'.repeat(32)}`, cid: null, sizeBytes: 99 },
      'tiny affine, int8',
      tuned.interface,
      { priceFloor: 0, royaltyBps: 100, derivatives: 'Open', requiredLicense: null },
      [{ parent: 1, kind: 'QuantizedFrom' }],
      [],
    ),
    ferdie,
  );
  const quantized = eventOf(registered.events, api.events.modelProvenance.ModelRegistered).data.model.toNumber();
  assert.equal(quantized, 3);
  const beforeRevocation = registered.blockHash.toHex();

  // The model, by id and by hash, over HTTP and through the runtime API.
  const model = await result(port, 'provenance_model', [quantized]);
  const record = (await api.call.provenanceApi.model(quantized)).unwrap();
  assert.equal(model.owner, record.owner.toString());
  assert.equal(model.file.sha256, record.file.sha256.toHex());
  assert.equal(model.name, record.name.toUtf8());
  assert.equal(model.terms.royaltyBps, record.terms.royaltyBps.toNumber());
  assert.equal(model.depth, record.depth.toNumber());
  assert.deepEqual(await result(port, 'provenance_modelByHash', { sha256: model.file.sha256 }), model);

  // The lineage: the same edges both ways.
  const lineage = await result(port, 'provenance_lineage', { model: quantized, direction: 'ancestors' });
  const edges = await api.call.provenanceApi.lineage(quantized, 'Ancestors', 64, 0, 100);
  assert.deepEqual(
    lineage.edges,
    edges.map((e) => ({
      child: e.child.toNumber(),
      parent: e.parent.toNumber(),
      kind: lowerFirst(e.kind.type),
      distance: e.distance.toNumber(),
    })),
  );
  assert.deepEqual(lineage.edges.map((e) => [e.child, e.parent, e.kind]), [
    [quantized, 1, 'quantizedFrom'],
    [1, 0, 'fineTunedFrom'],
  ]);
  assert.deepEqual(lineage.status, { clean: true, problems: [] });
  assert.equal((await api.call.provenanceApi.lineageStatus(quantized, null)).type, 'Clean');
  const down = await result(port, 'provenance_lineage', [0, 'descendants', 64, 1]);
  assert.equal(down.edges.length, 1);
  const rest = await result(port, 'provenance_lineage', { model: 0, direction: 'descendants', pageSize: 2, cursor: down.nextCursor });
  assert.equal(rest.nextCursor, null);
  assert.equal(rest.at.hash, down.at.hash, 'later pages read the first page\'s block');
  assert.deepEqual([...down.edges, ...rest.edges].map((e) => e.child).sort(), [1, 2, quantized]);

  // Dave revokes Eve's fine-tuning license (license 1), upstream of models 1, 2 and 3.
  await sendAndFinalize(api, api.tx.dataLicensing.revokeLicense(1, 'terms breached'), dave);

  const now = await result(port, 'provenance_lineage', [quantized]);
  assert.deepEqual(now.status, { clean: false, problems: [{ problem: 'licenseInvalid', license: 1 }] });
  const then = await result(port, 'provenance_lineage', { model: quantized, at: beforeRevocation });
  assert.deepEqual(then.status, { clean: true, problems: [] });
  assert.equal(then.at.hash, beforeRevocation);
  // polkadot.js at the same blocks says the same.
  const statusNow = await api.call.provenanceApi.lineageStatus(quantized, null);
  assert.deepEqual(statusNow.asProblems.map((p) => [p.type, p.value.toNumber()]), [['LicenseInvalid', 1]]);
  const apiThen = await api.at(beforeRevocation);
  assert.equal((await apiThen.call.provenanceApi.lineageStatus(quantized, null)).type, 'Clean');

  const datasetsNow = await result(port, 'provenance_datasets', [quantized]);
  const datasetsThen = await result(port, 'provenance_datasets', [quantized, beforeRevocation]);
  const statusOf = (answer) => Object.fromEntries(answer.datasets.map((d) => [d.licenseId, d.status]));
  assert.deepEqual(statusOf(datasetsNow), { 0: 'valid', 1: 'revoked' });
  assert.deepEqual(statusOf(datasetsThen), { 0: 'valid', 1: 'valid' });
  const upstream = (await api.call.provenanceApi.upstreamDatasets(quantized, null)).unwrap();
  assert.deepEqual(
    upstream.map((u) => [u.license.toNumber(), u.status.type]).sort(),
    [[0, 'Valid'], [1, 'Revoked']],
  );
  assert.equal(datasetsNow.datasets.find((d) => d.licenseId === 1).license.revoked.reason, 'terms breached');

  // The OpenLineage export of the quantized model, loaded into openlineage-python's classes.
  const events = await result(port, 'provenance_exportOpenLineage', [quantized]);
  assert.deepEqual(events.map((e) => `${e.eventType} ${e.job.name}`), [
    'START model/0/training',
    'COMPLETE model/0/training',
    'START model/1/fine_tune',
    'COMPLETE model/1/fine_tune',
    'START model/3/quantize',
    'COMPLETE model/3/quantize',
  ]);
  const revokedInput = events[3].inputs.find((i) => i.name === 'dataset/0');
  assert.equal(revokedInput.inputFacets.cairn_license.status, 'revoked');
  const exportThen = await result(port, 'provenance_exportOpenLineage', { model: quantized, at: beforeRevocation });
  assert.equal(exportThen[3].inputs.find((i) => i.name === 'dataset/0').inputFacets.cairn_license.status, 'valid');
  const file = path.join(tempDir('cairn-openlineage-'), 'export.json');
  writeFileSync(file, JSON.stringify(events));
  const check = spawnSync(python, [path.join(repoRoot, 'tests/openlineage/validate.py'), file], { encoding: 'utf8' });
  assert.equal(check.status, 0, `openlineage-python check failed (${python}):\n${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /^ok: 6 events of 3 runs/);

  // Malformed requests: named errors, and the node keeps serving.
  const unknownBlock = `0x${'ee'.repeat(32)}`;
  const cases = [
    ['provenance_model', [99], -32030],
    ['provenance_modelByHash', ['0x1234'], -32020],
    ['provenance_model', [1, 'yesterday'], -32020],
    ['provenance_model', [1, unknownBlock], -32010],
    ['provenance_lineage', { model: 2, maxDepth: 65 }, -32022],
    ['provenance_receipts', { model: 1, pageSize: 1000 }, -32023],
    ['provenance_evaluations', { model: 1, cursor: '0xdeadbeef' }, -32021],
    ['provenance_lineage', { model: 'two' }, -32602],
    ['provenance_lineage', { model: 2, sideways: true }, -32602],
  ];
  for (const [method, params, code] of cases) {
    assert.equal(await errorCode(port, method, params), code, `${method} ${JSON.stringify(params)}`);
  }
  assert.equal((await post(port, '{"jsonrpc": "2.0", "id": 1, "method": "provenance_model", "params": [')).error.code, -32700);
  // In a batch, a bad call fails alone.
  const batch = await post(
    port,
    JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'provenance_model', params: [1] },
      { jsonrpc: '2.0', id: 2, method: 'provenance_model', params: ['one'] },
    ]),
  );
  const byId = Object.fromEntries(batch.map((a) => [a.id, a]));
  assert.equal(byId[1].result.id, 1);
  assert.equal(byId[2].error.code, -32602);
  assert.equal((await result(port, 'provenance_model', [2])).id, 2, 'still serving');
  assert.ok(node.running);
});

test('a pruned block is reported as pruned, a kept one still answers', { timeout: 180_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', '100', '--state-pruning', '4'] });
  nodes.push(node);
  await node.start();
  const port = node.rpcPort;
  const first = await waitFor(async () => (await rpc(port, 'chain_getBlockHash', [1])).result, { what: 'block 1' });
  await waitFor(async () => (await result(port, 'provenance_model', [1])).at.number > 12, { what: 'block 13' });
  assert.equal(await errorCode(port, 'provenance_lineage', { model: 1, at: first }), -32011);
  const answer = await rpc(port, 'provenance_model', [1, first]);
  assert.match(answer.error.message, /state of block 1 .* is pruned/);
  assert.equal(answer.error.data.at.number, 1);
  const best = await result(port, 'provenance_lineage', [1]);
  assert.equal(best.edges.length, 1);
});
