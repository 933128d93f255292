// Benchmark of `provenance_lineage` on a dev node holding many registered models: p50 / p99 of
// the RPC against a polkadot.js client that walks the same lineage through storage queries
// (`api.query.modelProvenance.models`, one parent at a time), and against one
// `api.call.provenanceApi.lineage` runtime call, all at the same block. Writes JSON to stdout.
//
// Usage: node bench/rpc-lineage.mjs --models N --depth D [--rpc-samples K] [--walk-samples W]
// (a node must be started by the caller: CAIRN_BENCH_WS / CAIRN_BENCH_HTTP name it).

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { keepAlivePoster, log, sendAndWait, summary } from '../lib/bench.mjs';
import { registrationDigest } from '../lib/tx.mjs';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: '100000' },
    depth: { type: 'string', default: '64' },
    'rpc-samples': { type: 'string', default: '1000' },
    'walk-samples': { type: 'string', default: '50' },
    'in-flight': { type: 'string', default: '4000' },
  },
});
const MODELS = Number(flags.models);
const DEPTH = Number(flags.depth);
const RPC_SAMPLES = Number(flags['rpc-samples']);
const WALK_SAMPLES = Number(flags['walk-samples']);
const IN_FLIGHT = Number(flags['in-flight']);
const httpUrl = process.env.CAIRN_BENCH_HTTP;
const wsUrl = process.env.CAIRN_BENCH_WS;
const UNIT = 10n ** 12n;

const post = keepAlivePoster(httpUrl);

const api = await ApiPromise.create({ provider: new WsProvider(wsUrl), noInitWarn: true, throwOnConnect: true });
const keyring = new Keyring({ type: 'sr25519' });
const bench = keyring.addFromUri('//CairnBench');

// Models come in chains of DEPTH + 1: a root and DEPTH fine-tunes, each of the one before, so
// each chain's tip has a lineage of depth DEPTH. One signer, so ids follow its nonces.
const chainLength = DEPTH + 1;
const chains = Math.max(1, Math.floor(MODELS / chainLength));
const total = chains * chainLength;
const firstId = (await api.query.modelProvenance.nextModelId()).toNumber();
const tip = (chain) => firstId + chain * chainLength + DEPTH;

const iface = (await api.query.modelProvenance.models(0)).unwrap().interface;
const terms = { priceFloor: 0, royaltyBps: 0, derivatives: 'Open', requiredLicense: null };

// Funds: each model holds a deposit of 10 CAIRN and 0.001 CAIRN a stored byte (its record and
// its upstream set, up to 3.4 kB at depth 64), under 14 CAIRN; fees are small.
const need = BigInt(total) * 14n * UNIT + 1000n * UNIT;
const funders = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'].map((u) => keyring.addFromUri(u));
const share = need / BigInt(funders.length) + UNIT;
log(`funding //CairnBench with ${need / UNIT} CAIRN for ${total} models (${chains} chains of ${chainLength})`);
await Promise.all(funders.map((f) => sendAndWait(api, api.tx.balances.transferKeepAlive(bench.address, share), f)));

const firstNonce = (await api.rpc.system.accountNextIndex(bench.address)).toNumber();
const started = performance.now();
// Progress: commitments included (the on-chain nonce) until all are in, then models registered.
const registered = async () => {
  const nonce = (await api.query.system.account(bench.address)).nonce.toNumber();
  const committed = Math.min(total, nonce - firstNonce);
  return committed < total ? committed : total + (await api.query.modelProvenance.nextModelId()).toNumber() - firstId;
};
const transactions = 2 * total;

/** The file of the `index`-th model of the run. */
const fileOf = (index) => ({ sha256: `0x${(0xbe000000 + index).toString(16).padStart(64, '0')}`, cid: null, sizeBytes: 1024 });

/**
 * Signs transaction `index` of the run (nonce `firstNonce + index`): the first `total` commit
 * to the models' files, the next `total` register them, a block or more later.
 */
async function signed(index) {
  if (index < total) {
    const digest = registrationDigest('Model', bench.address, fileOf(index).sha256);
    const tx = api.tx.dataLicensing.commitRegistration(digest);
    return (await tx.signAsync(bench, { nonce: firstNonce + index, era: 0 })).toHex();
  }
  const model = index - total;
  const position = model % chainLength;
  const id = firstId + model;
  const parents = position === 0 ? [] : [{ parent: id - 1, kind: 'FineTunedFrom' }];
  const tx = api.tx.modelProvenance.registerModel(fileOf(model), `bench ${model}`, iface, terms, parents, []);
  return (await tx.signAsync(bench, { nonce: firstNonce + index, era: 0 })).toHex();
}

/** The module error of the latest failed extrinsic in the last 100 blocks, if any. */
async function lastFailure() {
  let hash = await api.rpc.chain.getBlockHash();
  for (let i = 0; i < 100; i++) {
    const at = await api.at(hash);
    for (const { event } of await at.query.system.events()) {
      if (api.events.system.ExtrinsicFailed.is(event)) {
        const error = event.data.dispatchError;
        if (!error.isModule) return error.toString();
        const meta = api.registry.findMetaError(error.asModule);
        return `${meta.section}.${meta.name}`;
      }
    }
    hash = (await api.rpc.chain.getHeader(hash)).parentHash;
  }
  return 'no failed extrinsic in the last 100 blocks';
}

// Errors of a resubmission that only say the pool already holds that nonce (1012..1014) or
// that it was included meanwhile (1010, stale).
const ALREADY_POOLED = new Set([1012, 1013, 1014]);
const alreadyDone = (error) =>
  ALREADY_POOLED.has(error.code) || (error.code === 1010 && error.data === 'Transaction is outdated');

// Submits in batches, at most IN_FLIGHT ahead of what is registered. The pool may drop
// transactions under this load (then every later nonce waits): when nothing is registered for
// 15 s, everything from the first missing nonce is signed again (new signatures, so not the
// dropped ones' hashes) and resubmitted.
const BATCH = 500;
let submitted = 0;
let done = 0;
let resubmitting = false;
let lastProgress = Date.now();
while (done < transactions) {
  const fresh = await registered();
  if (fresh > done) {
    done = fresh;
    lastProgress = Date.now();
  } else if (Date.now() - lastProgress > 15_000) {
    // A registration that was included but failed used its nonce: the ids of every later one
    // would be off, so stop and say why.
    const used = (await api.rpc.system.accountNextIndex(bench.address)).toNumber() - firstNonce;
    if (used > done) {
      const failure = await lastFailure();
      throw new Error(`${used - done} registration(s) failed after ${done}: ${failure}`);
    }
    log(`nothing registered for 15 s at ${done}: signing again from there`);
    submitted = done;
    resubmitting = true;
    lastProgress = Date.now();
  }
  // Registrations wait until every commitment is in a block.
  const limit = done < total ? total : transactions;
  if (submitted >= limit || submitted - done >= IN_FLIGHT) {
    await new Promise((r) => setTimeout(r, 500));
    continue;
  }
  const batch = [];
  for (let i = 0; i < BATCH && submitted < limit; i++, submitted++) {
    batch.push({ jsonrpc: '2.0', id: submitted, method: 'author_submitExtrinsic', params: [await signed(submitted)] });
  }
  const answers = await post(JSON.stringify(batch));
  const failed = answers.filter((a) => a.error && !(resubmitting && alreadyDone(a.error)));
  if (failed.length) throw new Error(`submission refused: ${JSON.stringify(failed[0].error)}`);
  if (submitted % 10_000 < BATCH) log(`submitted ${submitted} / ${transactions}, included ${done}`);
}
const loadSeconds = (performance.now() - started) / 1000;
log(`registered ${total} models in ${loadSeconds.toFixed(0)} s`);

const head = (await api.rpc.chain.getHeader());
const at = head.hash.toHex();
const apiAt = await api.at(at);
const sampleChain = (i) => (i * 7919) % chains;

// Every sampled tip really has a DEPTH-deep lineage (a failed registration would break it).
const check = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'provenance_lineage', params: { model: tip(sampleChain(1)), at } }));
if (check.result.edges.length !== DEPTH) throw new Error(`tip lineage has ${check.result.edges.length} edges, not ${DEPTH}`);

// The transport's floor: the cheapest call there is, on the same connection.
const floorTimes = [];
const health = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] });
for (let i = 0; i < 50 + RPC_SAMPLES; i++) {
  const t0 = performance.now();
  await post(health);
  if (i >= 50) floorTimes.push(performance.now() - t0);
}

// Warm-up, then the RPC over HTTP (what curl does), keep-alive.
for (let i = 0; i < 50; i++) {
  await post(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'provenance_lineage', params: { model: tip(sampleChain(i)), at } }));
}
const rpcTimes = [];
for (let i = 0; i < RPC_SAMPLES; i++) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'provenance_lineage', params: { model: tip(sampleChain(i)), maxDepth: DEPTH, at } });
  const t0 = performance.now();
  const answer = await post(body);
  rpcTimes.push(performance.now() - t0);
  if (answer.result.edges.length !== DEPTH) throw new Error('short lineage');
}

// The same lineage through one runtime API call with polkadot.js.
const callTimes = [];
for (let i = 0; i < Math.min(RPC_SAMPLES, 300); i++) {
  const t0 = performance.now();
  const edges = await apiAt.call.provenanceApi.lineage(tip(sampleChain(i)), 'Ancestors', DEPTH, 0, 256);
  callTimes.push(performance.now() - t0);
  if (edges.length !== DEPTH) throw new Error('short lineage');
}

// A polkadot.js client walking the lineage through storage, one model record a step.
async function walk(model) {
  const edges = [];
  let frontier = [model];
  for (let distance = 1; distance <= DEPTH && frontier.length; distance++) {
    const next = [];
    for (const id of frontier) {
      const record = (await apiAt.query.modelProvenance.models(id)).unwrap();
      for (const edge of record.parents) {
        edges.push({ child: id, parent: edge.parent.toNumber(), kind: edge.kind.type, distance });
        next.push(edge.parent.toNumber());
      }
    }
    frontier = next;
  }
  return edges;
}
const walkTimes = [];
for (let i = 0; i < WALK_SAMPLES; i++) {
  const t0 = performance.now();
  const edges = await walk(tip(sampleChain(i)));
  walkTimes.push(performance.now() - t0);
  if (edges.length !== DEPTH) throw new Error('short walk');
}

const rpcSummary = summary(rpcTimes);
const walkSummary = summary(walkTimes);
console.log(JSON.stringify({
  models: (await api.query.modelProvenance.nextModelId()).toNumber(),
  registeredHere: total,
  depth: DEPTH,
  loadSeconds,
  block: { hash: at, number: head.number.toNumber() },
  transportFloor: summary(floorTimes),
  rpc: rpcSummary,
  runtimeCall: summary(callTimes),
  storageWalk: walkSummary,
  speedupP50: walkSummary.p50Ms / rpcSummary.p50Ms,
}, null, 1));
await api.disconnect();
