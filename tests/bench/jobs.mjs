// Benchmarks of the core loop on a provider node (the dev chain's Alice, with the bundled tiny
// model in its store), writing JSON to stdout:
//   --mode latency: jobs one at a time; for each, the blocks and seconds (wall clock, as this
//     client hears of blocks) from the block holding the request to the one holding the receipt.
//   --mode throughput: a burst of balance transfers, then a burst of jobs, each from many
//     signers and submitted at once so the pool stays full; per second (wall clock), transfers
//     included against jobs whose receipts were included (each job is a request and a receipt).
//     Then receipts alone: jobs posted for a provider whose key the node does not hold yet; once
//     they are all in, the key goes into the keystore and the offchain worker answers them at
//     once, so receipts fill the pool by themselves.
//
//   --mode ocw: the offchain-worker path on a real node: rounds of one job on each light model
//     (`light_squeezenet`, `light_resnet50`, from CAIRN_TEST_MODELS; registered here, in the
//     node's store already), one at a time. The worker logs each receipt with the engine's run
//     time and its own path's (from reading the job's input to submitting the receipt: the chain's
//     latency left out); they are read from the node's log (CAIRN_BENCH_NODE_LOG), with the
//     wall-clock seconds from the request's block to the receipt's as this client hears them.
//
// Usage: node bench/jobs.mjs --mode latency|throughput|ocw [--jobs N] [--transfers N] [--rounds N]
// (a node must be started by the caller: CAIRN_BENCH_WS / CAIRN_BENCH_HTTP name it).

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { u8aToHex } from '@polkadot/util';
import { keepAlivePoster, log, sendAndWait, summary } from '../lib/bench.mjs';
import { collectInferenceEvents, demoLineage, eventOf, f32Tensors, jobSpec, sha256Hex, UNIT } from '../lib/jobs.mjs';

const { values: flags } = parseArgs({
  options: {
    mode: { type: 'string', default: 'latency' },
    jobs: { type: 'string', default: '20' },
    transfers: { type: 'string', default: '2000' },
    signers: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '15' },
  },
});
const JOBS = Number(flags.jobs);
const TRANSFERS = Number(flags.transfers);
const SIGNERS = Number(flags.signers);
const post = keepAlivePoster(process.env.CAIRN_BENCH_HTTP);
const api = await ApiPromise.create({ provider: new WsProvider(process.env.CAIRN_BENCH_WS), noInitWarn: true, throwOnConnect: true });
const keyring = new Keyring({ type: 'sr25519' });
const alice = keyring.addFromUri('//Alice');
const { base: model } = await demoLineage(api);
const input = f32Tensors('x', [1, 4], [1, 2, 3, 4]);

// When this client first heard of each block (wall clock, ms). Block timestamps are no clock
// here: under interval sealing the node stamps each block one 6 s slot after its parent.
const heardAt = new Map();
const unsubscribeHeads = await api.rpc.chain.subscribeNewHeads((header) => {
  const number = header.number.toNumber();
  if (!heardAt.has(number)) heardAt.set(number, performance.now());
});

/** Block number of block `hash` and when it was heard of (a skipped notification counts as
 * the next one heard). */
async function blockAt(hash) {
  const number = (await api.rpc.chain.getHeader(hash)).number.toNumber();
  for (;;) {
    const heard = [...heardAt.keys()].filter((n) => n >= number);
    if (heard.length) return { number, ms: heardAt.get(Math.min(...heard)) };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The module errors of extrinsics of `addresses` that failed among a block's `events`. */
function failuresOf(events, extrinsics, addresses) {
  return events
    .filter(({ event, phase }) => api.events.system.ExtrinsicFailed.is(event) && phase.isApplyExtrinsic)
    .filter(({ phase }) => {
      const xt = extrinsics[phase.asApplyExtrinsic.toNumber()];
      return xt?.isSigned && addresses.has(xt.signer.toString());
    })
    .map(({ event }) => {
      const error = event.data.dispatchError;
      if (!error.isModule) return error.toString();
      const meta = api.registry.findMetaError(error.asModule);
      return `${meta.section}.${meta.name}`;
    });
}

const requester = keyring.addFromUri('//Ferdie');

/** Posts one job on `jobModel` with `jobInput` and waits for its receipt; the job, and the blocks
 * and seconds from the block holding the request to the one holding the receipt. */
async function timeJob(jobModel, jobInput) {
  const collector = await collectInferenceEvents(api);
  try {
    const spec = jobSpec({ maxFee: UNIT / 10n, deadline: 50 });
    const { blockHash, events } = await sendAndWait(api, api.tx.inference.requestJob(jobModel, { Inline: jobInput }, spec), requester);
    const job = eventOf(events, api.events.inference.JobRequested).data.job.toNumber();
    const requested = await blockAt(blockHash);
    const { events: jobEvents } = await collector.settled(job, { timeoutMs: 120_000 });
    const receipt = jobEvents.find(({ event }) => event.method === 'ReceiptSubmitted');
    if (!receipt) throw new Error(`job ${job} settled without a receipt`);
    const included = await blockAt(await api.rpc.chain.getBlockHash(receipt.block));
    return { job, blocks: included.number - requested.number, seconds: (included.ms - requested.ms) / 1000 };
  } finally {
    collector.stop();
  }
}

async function latency() {
  const samples = [];
  for (let i = 0; i < JOBS; i++) {
    const sample = await timeJob(model, input);
    samples.push(sample);
    log(`job ${sample.job}: receipt ${sample.blocks} block(s) after the request`);
  }
  const blocks = samples.map((s) => s.blocks);
  return {
    mode: 'latency',
    jobs: samples.length,
    blocks: { min: Math.min(...blocks), max: Math.max(...blocks), nextBlockShare: blocks.filter((b) => b === 1).length / blocks.length },
    seconds: summary(samples.map((s) => s.seconds * 1000)),
    samples,
  };
}

/** `count` funded signers `//CairnLoad//i`. */
async function fundedSigners(count) {
  const signers = Array.from({ length: count }, (_, i) => keyring.addFromUri(`//CairnLoad//${i}`));
  // One at a time, each sent again once if the pool drops it: the dev node's pool dropped one of
  // a burst of these from one account once, and a dropped nonce would hold up all after it.
  for (const signer of signers) {
    const fund = () => sendAndWait(api, api.tx.balances.transferKeepAlive(signer.address, 10_000n * UNIT), alice);
    await fund().catch((error) => {
      log(`funding ${signer.address}: ${error.message}; sending it again`);
      return fund();
    });
  }
  return signers;
}

/** Submits signed extrinsics (hex) in batches of JSON-RPC calls; throws on a refusal. */
async function submitAll(extrinsics) {
  for (let i = 0; i < extrinsics.length; i += 500) {
    const batch = extrinsics.slice(i, i + 500).map((xt, j) => ({ jsonrpc: '2.0', id: i + j, method: 'author_submitExtrinsic', params: [xt] }));
    const refused = (await post(JSON.stringify(batch))).filter((a) => a.error);
    if (refused.length) throw new Error(`submission refused: ${JSON.stringify(refused[0].error)}`);
  }
}

/**
 * Signs `perSigner` calls from each signer (`make(signer, k)`), submits them all (or, with
 * `begin`, calls it instead), then reads each new block until `count(block events, block
 * extrinsics)` has counted `expected`; returns the count per second of wall clock from the block
 * before the first counted one to the last, and the count of each block (the timeline).
 */
async function burst(signers, perSigner, make, count, expected, begin = null) {
  const addresses = new Set(signers.map((s) => s.address));
  const extrinsics = [];
  for (const signer of signers) {
    const first = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
    for (let k = 0; k < perSigner; k++) {
      extrinsics.push((await make(signer, k).signAsync(signer, { nonce: first + k, era: 0 })).toHex());
    }
  }
  let read = (await api.rpc.chain.getHeader()).number.toNumber();
  await (begin ? begin() : submitAll(extrinsics));
  let counted = 0;
  let start = null;
  let end = null;
  const perBlock = [];
  const timeline = [];
  // Stops early when nothing more is counted for 60 s (what never came is reported as missing).
  let progressed = Date.now();
  while (counted < expected && Date.now() - progressed < 60_000) {
    const head = (await api.rpc.chain.getHeader()).number.toNumber();
    for (let number = read + 1; number <= head; number++) {
      const hash = await api.rpc.chain.getBlockHash(number);
      const [events, block] = await Promise.all([(await api.at(hash)).query.system.events(), api.rpc.chain.getBlock(hash)]);
      const failed = failuresOf(events, block.block.extrinsics, addresses);
      if (failed.length) throw new Error(`${failed.length} extrinsic(s) failed in block ${number}: ${failed[0]}`);
      const here = count(events, block.block.extrinsics);
      if (here > 0) {
        start ??= await blockAt(await api.rpc.chain.getBlockHash(number - 1));
        end = await blockAt(hash);
        perBlock.push(here);
        timeline.push({ block: number, seconds: (end.ms - start.ms) / 1000, count: here });
      }
      counted += here;
      if (here > 0) progressed = Date.now();
      read = number;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (end.ms - start.ms) / 1000;
  if (counted < expected) log(`${expected - counted} of ${expected} never counted`);
  return {
    count: counted,
    missing: expected - counted,
    blocks: end.number - start.number,
    seconds,
    perSecond: counted / seconds,
    maxPerBlock: Math.max(...perBlock),
    timeline,
  };
}

/**
 * Receipts alone: `count` jobs for a new provider whose key the node lacks (Alice priced out of
 * them), all included first; then its key is inserted and its receipts counted per second.
 */
async function receiptsAlone(signers, count) {
  const provider = keyring.addFromUri('//CairnLoadProvider');
  const profile = (await api.query.computeRegistry.providers(alice.address)).unwrap().profile.toJSON();
  let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await sendAndWait(api, api.tx.balances.transferKeepAlive(provider.address, 10_000n * UNIT), alice, { nonce: nonce++ });
  await sendAndWait(api, api.tx.computeRegistry.register({ ...profile, maxConcurrentJobs: 65_535 }, 1_000n * UNIT), provider);
  await sendAndWait(api, api.tx.computeRegistry.updateProfile({ ...profile, pricePerJob: UNIT }), alice, { nonce: nonce++ });
  const perSigner = Math.ceil(count / signers.length);
  // Deadlines over 40..100 blocks: time to post them all before the first is due.
  let made = 0;
  const addresses = new Set(signers.map((s) => s.address));
  const posted = await burst(
    signers,
    perSigner,
    () => api.tx.inference.requestJob(model, { Inline: input }, jobSpec({ maxFee: UNIT / 10n, deadline: 40 + (made++ % 61) })),
    (events, extrinsics) => extrinsics.filter((xt) => xt.isSigned && addresses.has(xt.signer.toString()) && xt.method.section === 'inference').length,
    perSigner * signers.length,
  );
  log(`receipts alone: ${posted.count} jobs posted, inserting the provider's key`);
  const receipts = await burst(
    [],
    0,
    null,
    (events) => events.filter(({ event }) => api.events.inference.ReceiptSubmitted.is(event)).length,
    posted.count,
    () => api.rpc.author.insertKey('cinf', '//CairnLoadProvider', u8aToHex(provider.publicKey)),
  );
  await sendAndWait(api, api.tx.computeRegistry.updateProfile(profile), alice);
  return receipts;
}

async function throughput() {
  const signers = await fundedSigners(SIGNERS);
  const addresses = new Set(signers.map((s) => s.address));
  const sink = keyring.addFromUri('//CairnSink').address;
  log(`transfers: ${TRANSFERS} from ${SIGNERS} signers`);
  const perSignerTransfers = Math.ceil(TRANSFERS / SIGNERS);
  const transfers = await burst(
    signers,
    perSignerTransfers,
    () => api.tx.balances.transferKeepAlive(sink, UNIT),
    (_, extrinsics) => extrinsics.filter((xt) => xt.isSigned && addresses.has(xt.signer.toString()) && xt.method.section === 'balances').length,
    perSignerTransfers * SIGNERS,
  );
  log(`transfers: ${transfers.perSecond.toFixed(1)} per second`);
  // The genesis provider takes 4 jobs at a time; the burst needs room for all of them.
  const profile = (await api.query.computeRegistry.providers(alice.address)).unwrap().profile.toJSON();
  await sendAndWait(api, api.tx.computeRegistry.updateProfile({ ...profile, maxConcurrentJobs: 65_535 }), alice);
  log(`jobs: ${JOBS} from ${SIGNERS} signers`);
  const perSignerJobs = Math.ceil(JOBS / SIGNERS);
  // Deadlines spread over 20..100 blocks: a block holds a bounded number of deadlines.
  let made = 0;
  const receipts = await burst(
    signers,
    perSignerJobs,
    () => api.tx.inference.requestJob(model, { Inline: input }, jobSpec({ maxFee: UNIT / 10n, deadline: 20 + (made++ % 81) })),
    (events) => events.filter(({ event }) => api.events.inference.ReceiptSubmitted.is(event)).length,
    perSignerJobs * SIGNERS,
  );
  log(`receipts: ${receipts.perSecond.toFixed(1)} per second`);
  const alone = await receiptsAlone(signers, JOBS);
  log(`receipts alone: ${alone.perSecond.toFixed(1)} per second`);
  return {
    mode: 'throughput',
    signers: SIGNERS,
    transfers,
    receipts,
    ratio: receipts.perSecond / transfers.perSecond,
    receiptsAlone: alone,
    ratioAlone: alone.perSecond / transfers.perSecond,
  };
}

/** The light models' input shape: one 224 × 224 RGB image. */
const LIGHT_SHAPE = [1, 3, 224, 224];

/** The light models the ocw mode runs: their files' interfaces (opset, input and output). */
const LIGHT_MODELS = [
  { name: 'light_squeezenet', opset: 9, input: 'data_0', output: 'softmaxout_1', outputShape: [1, 1000, 1, 1] },
  { name: 'light_resnet50', opset: 9, input: 'gpu_0/data_0', output: 'gpu_0/softmax_1', outputShape: [1, 1000] },
];

/** Registers light model `light` (Charlie, no royalty) unless the chain has it; its id. */
async function registerLight(light) {
  const bytes = readFileSync(path.join(process.env.CAIRN_TEST_MODELS, `${light.name}.onnx`));
  const sha256 = sha256Hex(bytes);
  const known = await api.call.provenanceApi.modelByHash(sha256);
  if (known.isSome) return known.unwrap().toNumber();
  const fixed = (shape) => shape.map((n) => ({ Fixed: n }));
  const iface = {
    format: 'Onnx',
    opset: light.opset,
    io: {
      inputs: [{ name: light.input, elementType: 'F32', shape: fixed(LIGHT_SHAPE) }],
      outputs: [{ name: light.output, elementType: 'F32', shape: fixed(light.outputShape) }],
    },
  };
  const terms = { priceFloor: 0, royaltyBps: 0, derivatives: 'Open', requiredLicense: null };
  const file = { sha256, cid: null, sizeBytes: bytes.length };
  const { events } = await sendAndWait(api, api.tx.modelProvenance.registerModel(file, light.name, iface, terms, [], []), keyring.addFromUri('//Charlie'));
  return eventOf(events, api.events.modelProvenance.ModelRegistered).data.model.toNumber();
}

/** The engine's run (µs) and the worker's path (ms) of each receipt the node at
 * CAIRN_BENCH_NODE_LOG submitted, by job. */
function workerTimes() {
  const times = new Map();
  const line = /job (\d+): receipt submitted \((\d+) µs on \w+, (\d+) ms in the worker\)/g;
  for (const [, job, runMicros, workerMs] of readFileSync(process.env.CAIRN_BENCH_NODE_LOG, 'utf8').matchAll(line)) {
    times.set(Number(job), { runMs: Number(runMicros) / 1000, workerMs: Number(workerMs) });
  }
  return times;
}

async function ocwPath() {
  const ROUNDS = Number(flags.rounds);
  const count = LIGHT_SHAPE.reduce((a, b) => a * b, 1);
  // The input the host-path benchmark (offchain-workers/benches/host_path.rs) runs: i / count.
  const values = Float32Array.from({ length: count }, (_, i) => i / count);
  const cases = [];
  for (const light of LIGHT_MODELS) {
    cases.push({ ...light, model: await registerLight(light), input: f32Tensors(light.input, LIGHT_SHAPE, values), jobs: [] });
  }
  // Round 0 warms the sessions up (each model's first run loads it) and is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    const line = [`round ${round}:`];
    for (const light of cases) {
      const sample = await timeJob(light.model, light.input);
      line.push(`${light.name} job ${sample.job} ${(sample.seconds * 1000).toFixed(1)} ms`);
      if (round > 0) light.jobs.push(sample);
    }
    log(line.join(' '));
  }
  const times = workerTimes();
  return {
    mode: 'ocw',
    rounds: ROUNDS,
    inputBytes: count * 4,
    models: cases.map((light) => {
      const logged = light.jobs.map(({ job }) => {
        if (!times.has(job)) throw new Error(`the node's log has no receipt line for job ${job}`);
        return times.get(job);
      });
      return {
        model: light.name,
        run: summary(logged.map((t) => t.runMs)),
        workerPath: summary(logged.map((t) => t.workerMs)),
        jobToReceipt: summary(light.jobs.map((s) => s.seconds * 1000)),
        blocks: { min: Math.min(...light.jobs.map((s) => s.blocks)), max: Math.max(...light.jobs.map((s) => s.blocks)) },
      };
    }),
  };
}

const modes = { latency, throughput, ocw: ocwPath };
try {
  if (!modes[flags.mode]) throw new Error(`unknown mode ${flags.mode} (expected ${Object.keys(modes).join(', ')})`);
  const result = await modes[flags.mode]();
  console.log(JSON.stringify(result, null, 1));
} finally {
  await unsubscribeHeads();
  await api.disconnect();
}
