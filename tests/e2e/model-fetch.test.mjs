// Model distribution on a real node. The provider node starts with an empty model store and a
// loopback HTTP server shaped like an IPFS gateway (`/ipfs/<cid>`) as its `--ipfs-gateway`; the
// demo model's owner registers its CID as an `ipfs://` URI. Wrong bytes served are refused by
// SHA-256 and a gateway that is down gets nothing: in both cases nothing reaches the store, the
// failure is logged and counted by name, the job runs out its deadline and is refunded, and the
// node keeps working. Served right, two jobs for the missing model share one download and both
// are answered within their deadline. `cairn-node model fetch` and `model list` do the same by
// hand from a registered HTTP URI.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { sha256AsU8a } from '@polkadot/util-crypto';
import { CairnNode, runToExit, tempDir, waitFor } from '../lib/node.mjs';
import {
  collectInferenceEvents,
  demoLineage,
  distilledModelHash,
  distilledModelPath,
  eventOf,
  f32Tensors,
  jobSpec,
  sha256Hex,
  tinyModelHash,
  tinyModelPath,
  tunedModelHash,
} from '../lib/jobs.mjs';
import { sendAndFinalize } from '../lib/tx.mjs';

const cache = process.env.CAIRN_CACHE ?? path.join(os.homedir(), '.cache/cairn');
const library = process.env.ORT_DYLIB_PATH ?? path.join(cache, 'onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1');

const keyring = new Keyring({ type: 'sr25519' });
const [bob, charlie, eve, ferdie] = ['//Bob', '//Charlie', '//Eve', '//Ferdie'].map((u) => keyring.addFromUri(u));

/** The base32 multibase text of the raw-codec SHA-256 CIDv1 of `bytes`. */
function rawCid(bytes) {
  const cid = Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...sha256AsU8a(bytes)]);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let [out, buffer, bits] = ['b', 0, 0];
  for (const byte of cid) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

/** A loopback server of fixed files; `mode` 'wrong' flips a byte of each; hits are counted. */
class Gateway {
  constructor(files) {
    this.files = files;
    this.mode = 'right';
    this.hits = new Map();
  }

  async listen(port = 0) {
    this.server = http.createServer((request, response) => {
      this.hits.set(request.url, (this.hits.get(request.url) ?? 0) + 1);
      const file = this.files.get(request.url);
      if (!file) return response.writeHead(404).end();
      const body = Buffer.from(file);
      if (this.mode === 'wrong') body[body.length >> 1] ^= 1;
      response.writeHead(200, { 'Content-Length': body.length }).end(body);
    });
    await new Promise((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    return this;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
}

const tinyBytes = readFileSync(tinyModelPath);
const tinyPath = `/ipfs/${rawCid(tinyBytes)}`;
const distilledPath = '/files/tiny_affine_distilled.onnx';
const gateway = new Gateway(new Map([[tinyPath, tinyBytes], [distilledPath, readFileSync(distilledModelPath)]]));

let node;
let api;
let model;
let store;

before(async () => {
  await gateway.listen();
  store = tempDir('cairn-fetch-store-');
  node = new CairnNode({
    args: [
      '--dev', '--sealing', '500', '--model-store', store, '--onnxruntime-lib', library,
      '--ipfs-gateway', gateway.url, '--model-fetch-retry-secs', '1',
    ],
  });
  await node.start();
  api = await node.api();
  model = (await demoLineage(api)).base;
  const uris = [`ipfs://${rawCid(tinyBytes)}`];
  const set = await sendAndFinalize(api, api.tx.modelProvenance.setModelSources(model, uris), charlie);
  const event = eventOf(set.events, api.events.modelProvenance.ModelSourcesSet);
  assert.deepEqual(event.data.uris.map((uri) => uri.toUtf8()), uris);
});

after(async () => {
  await node?.stop();
  await gateway.close().catch(() => {});
});

/** The stored models (`<hash>.onnx`) of the node's store. */
const storedModels = () => readdirSync(store).filter((name) => name.endsWith('.onnx'));

/** The sum of a Prometheus counter's samples whose labels contain `labels`. */
async function metric(name, labels = '') {
  const text = await (await fetch(`http://127.0.0.1:${node.prometheusPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** Requests a job on the demo model from `requester`; resolves with its id and settlement. */
async function job(requester, collector, deadline) {
  const r = await sendAndFinalize(api, api.tx.inference.requestJob(model, { Inline: f32Tensors('x', [1, 4], [1, 2, 3, 4]) }, jobSpec({ deadline })), requester);
  const id = eventOf(r.events, api.events.inference.JobRequested).data.job.toNumber();
  const block = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
  return { id, block, outcome: await collector.settled(id, { timeoutMs: 90_000 }) };
}

test('wrong bytes are refused by hash: nothing stored, counted, and the job is refunded', { timeout: 120_000 }, async () => {
  gateway.mode = 'wrong';
  const collector = await collectInferenceEvents(api);
  try {
    const { outcome } = await job(eve, collector, 8);
    assert.equal(outcome.settled.data.status.toString(), 'Expired');
    assert.equal(outcome.settled.data.paid.toBigInt(), 0n);
    assert.ok(outcome.settled.data.refunded.toBigInt() > 0n);
  } finally {
    collector.stop();
  }
  assert.ok(gateway.hits.get(tinyPath) >= 1, 'the gateway was asked');
  assert.deepEqual(storedModels(), [], 'no unverified byte reached the store');
  assert.deepEqual(readdirSync(path.join(store, '.incoming')), [], 'no partial download left');
  assert.ok(await metric('cairn_model_fetch_source_failures_total', 'reason="HashMismatch"') >= 1);
  assert.match(node.output, /refused: HashMismatch: served SHA-256/);
});

test('a gateway that is down: the job runs out its deadline, is refunded, and the node keeps working', { timeout: 120_000 }, async () => {
  await gateway.close();
  const before = await metric('cairn_model_fetch_source_failures_total', 'reason="Unreachable"');
  const collector = await collectInferenceEvents(api);
  try {
    const { outcome } = await job(eve, collector, 8);
    assert.equal(outcome.settled.data.status.toString(), 'Expired');
  } finally {
    collector.stop();
  }
  assert.ok(await metric('cairn_model_fetch_source_failures_total', 'reason="Unreachable"') > before);
  assert.deepEqual(storedModels(), []);
  // Still producing blocks and answering RPC.
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() > head + 2, { what: 'blocks after the failures' });
});

test('a fresh provider answers jobs for a model it has never seen: one verified download for two jobs', { timeout: 180_000 }, async () => {
  gateway.mode = 'right';
  gateway.hits.clear();
  await gateway.listen(gateway.port);
  const collector = await collectInferenceEvents(api);
  let jobs;
  try {
    jobs = await Promise.all([job(eve, collector, 30), job(ferdie, collector, 30)]);
  } finally {
    collector.stop();
  }
  for (const { block, outcome } of jobs) {
    assert.equal(outcome.settled.data.status.toString(), 'Completed');
    assert.ok(outcome.block <= block + 30, `settled in block ${outcome.block}, deadline ${block + 30}`);
  }
  assert.equal(gateway.hits.get(tinyPath), 1, 'one download for both jobs');
  assert.deepEqual(storedModels(), [`${tinyModelHash.slice(2)}.onnx`]);
  assert.equal(sha256Hex(readFileSync(path.join(store, storedModels()[0]))), tinyModelHash);
  assert.equal(await metric('cairn_model_fetches_total', 'result="stored"'), 1);
  assert.equal(await metric('cairn_model_fetch_bytes_total'), tinyBytes.length);
  assert.equal(await metric('cairn_model_fetch_first_run_seconds_count'), 1);
});

test('`model fetch` fetches a registered model by id from its URI; `model list` names the registration', { timeout: 120_000 }, async () => {
  const distilled = (await api.call.provenanceApi.modelByHash(distilledModelHash)).unwrap().toNumber();
  const uri = `${gateway.url}${distilledPath}`;
  await sendAndFinalize(api, api.tx.modelProvenance.setModelSources(distilled, [uri]), bob);
  const handStore = tempDir('cairn-fetch-cli-');
  const common = ['--model-store', handStore, '--onnxruntime-lib', library];
  const fetched = await runToExit(['model', 'fetch', String(distilled), '--rpc-url', node.wsUrl, ...common]);
  assert.equal(fetched.code, 0, fetched.output);
  assert.match(fetched.output, new RegExp(`fetching model ${distilled} \\(${distilledModelHash}`));
  assert.match(fetched.output, /stored .*\.onnx \(\d+ bytes in [\d.]+ s/);
  assert.match(fetched.output, /input +x: f32 \[\?, 4\]/);
  // Again: already there, nothing downloaded.
  const hits = gateway.hits.get(distilledPath);
  const again = await runToExit(['model', 'fetch', distilledModelHash, '--rpc-url', node.wsUrl, ...common]);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /in the store already/);
  assert.equal(gateway.hits.get(distilledPath), hits);
  const listed = await runToExit(['model', 'list', '--rpc-url', node.wsUrl, ...common]);
  assert.equal(listed.code, 0, listed.output);
  assert.match(listed.output, new RegExp(`${distilledModelHash}  \\d+ bytes  last used \\d+ s ago`));
  assert.match(listed.output, new RegExp(`registered model ${distilled} `));
  // A model with no CID, no URI: refused by name. An unknown model: refused plainly.
  const nowhere = await runToExit(['model', 'fetch', tunedModelHash, '--rpc-url', node.wsUrl, ...common]);
  assert.notEqual(nowhere.code, 0);
  assert.match(nowhere.output, /was not fetched: NoSource/);
  const unknown = await runToExit(['model', 'fetch', '999', '--rpc-url', node.wsUrl, ...common]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.output, /has no model 999/);
});
