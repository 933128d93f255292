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
//   --mode ocw: the offchain-worker path of sealed jobs on two real nodes: rounds of one sealed
//     job on each light model (`light_squeezenet`, `light_resnet50`, from CAIRN_TEST_MODELS;
//     registered here, in the provider node's store already), one at a time. The requester seals
//     a 588 KiB image and uploads it to a gateway node this script starts (peered with the
//     provider node over loopback: CAIRN_BENCH_P2P_PORT, CAIRN_BENCH_NODE_KEY); the provider node
//     fetches it from the gateway over the blob protocol. Its log (CAIRN_BENCH_NODE_LOG) gives,
//     per job, the fetch, the opening (key unwrap, decryption, decoding, hash check), the model
//     run, the sealing of the outputs and the worker's path (from reading the job to submitting
//     the receipt); with the wall-clock seconds from the request's block to the receipt's, and
//     the bytes each job's extrinsics (request, key delivery, sealed receipt) take in blocks.
//   --mode blockspace: image-sized jobs per block. A burst of sealed requests for
//     `light_squeezenet` (one 588 KiB sealed input, uploaded once, named by every request) from
//     many signers; the most any block took, and what filled it (its weight and length against
//     the runtime's limits for normal extrinsics). Against it, how many inline requests of the
//     same image the same block length holds (what the runtime took before inline inputs were
//     limited to 4 KiB; it refuses them now).
//
// Usage: node bench/jobs.mjs --mode latency|throughput|ocw|blockspace [--jobs N] [--transfers N] [--rounds N]
// (a node must be started by the caller: CAIRN_BENCH_WS / CAIRN_BENCH_HTTP name it).

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { u8aToHex } from '@polkadot/util';
import { deliverKeys, modelHash, sealInput } from '../../client/jobs.mjs';
import { keepAlivePoster, log, sendAndWait, summary } from '../lib/bench.mjs';
import { collectInferenceEvents, demoLineage, eventOf, f32Tensors, jobSpec, sha256Hex, UNIT } from '../lib/jobs.mjs';
import { CairnNode, peerIdOf, waitFor } from '../lib/node.mjs';
import { registrationDigest } from '../lib/tx.mjs';

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
const wsProvider = new WsProvider(process.env.CAIRN_BENCH_WS);
const api = await ApiPromise.create({ provider: wsProvider, noInitWarn: true, throwOnConnect: true });
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
  const charlie = keyring.addFromUri('//Charlie');
  // A registration uses a commitment from an earlier block: commit, then register once it is in.
  await sendAndWait(api, api.tx.dataLicensing.commitRegistration(registrationDigest('Model', charlie.address, sha256)), charlie);
  const { events } = await sendAndWait(api, api.tx.modelProvenance.registerModel(file, light.name, iface, terms, [], []), charlie);
  return eventOf(events, api.events.modelProvenance.ModelRegistered).data.model.toNumber();
}

/** Lowercase hex without `0x`, as the node logs hashes. */
const bareHex = (hex) => hex.replace(/^0x/, '').toLowerCase();

/** What the provider node at CAIRN_BENCH_NODE_LOG logged of its sealed jobs: per job, the input's
 * opening and the outputs' sealing (µs), the engine's run (µs) and the worker's path (ms); per
 * input blob (bare hex hash), its fetch from a peer (µs). */
function workerTimes() {
  const text = readFileSync(process.env.CAIRN_BENCH_NODE_LOG, 'utf8');
  const jobs = new Map();
  const job = (id) => jobs.get(id) ?? jobs.set(id, {}).get(id);
  for (const [, id, runMicros, workerMs] of text.matchAll(/job (\d+): sealed receipt submitted \((\d+) µs on \w+, (\d+) ms in the worker\)/g)) {
    Object.assign(job(Number(id)), { runMs: Number(runMicros) / 1000, workerMs: Number(workerMs) });
  }
  for (const [, id, openMicros, sealMicros] of text.matchAll(/job (\d+): sealed input of \d+ bytes opened in (\d+) µs, outputs sealed in (\d+) µs/g)) {
    Object.assign(job(Number(id)), { openMs: Number(openMicros) / 1000, sealMs: Number(sealMicros) / 1000 });
  }
  const fetches = new Map();
  for (const [, hash, micros] of text.matchAll(/sealed input ([0-9a-f]{64}): fetched \d+ bytes in (\d+) µs/g)) {
    fetches.set(hash, Number(micros) / 1000);
  }
  return { jobs, fetches };
}

/** The gateway node the requester of sealed jobs talks to, peered with the provider node. */
async function startGateway() {
  const peerId = await peerIdOf(process.env.CAIRN_BENCH_NODE_KEY);
  const gateway = new CairnNode({
    args: ['--chain', 'dev', '--sealing', '200', '--bootnodes', `/ip4/127.0.0.1/tcp/${process.env.CAIRN_BENCH_P2P_PORT}/p2p/${peerId}`],
  });
  await gateway.start();
  const gatewayProvider = new WsProvider(gateway.wsUrl);
  const gatewayApi = await ApiPromise.create({ provider: gatewayProvider, noInitWarn: true, throwOnConnect: true });
  await waitFor(async () => (await gatewayApi.rpc.system.health()).peers.toNumber() > 0, { timeoutMs: 60_000, what: 'the gateway to reach the provider node' });
  return { gateway, gatewayApi, gatewayProvider };
}

/** The encoded bytes of the extrinsics of sealed job `job` (its request, key deliveries and
 * receipts) in blocks `from` to `to` of the provider node. */
async function jobExtrinsicBytes(job, from, to) {
  let bytes = 0;
  for (let number = from; number <= to; number++) {
    const hash = await api.rpc.chain.getBlockHash(number);
    const [block, events] = await Promise.all([api.rpc.chain.getBlock(hash), (await api.at(hash)).query.system.events()]);
    block.block.extrinsics.forEach((xt, index) => {
      const { section, method, args } = xt.method;
      if (section !== 'inference') return;
      const requested = method === 'requestJob' && events.some(({ event, phase }) =>
        phase.isApplyExtrinsic && phase.asApplyExtrinsic.toNumber() === index
        && api.events.inference.JobRequested.is(event) && event.data.job.toNumber() === job);
      const names = ['deliverKeys', 'submitSealedReceipt', 'reportUnusable'].includes(method) && args[0].toNumber() === job;
      if (requested || names) bytes += xt.encodedLength;
    });
  }
  return bytes;
}

/** Posts one sealed job on `light` through the gateway and waits for its receipt: the job, its
 * input blob, the blocks and seconds from the request's block to the receipt's (as the provider
 * node's client hears them) and its extrinsics' bytes. */
async function timeSealedJob(light, { gatewayApi, gatewayProvider }) {
  const collector = await collectInferenceEvents(api);
  try {
    const { sealed, contentKey } = await sealInput(gatewayApi, gatewayProvider, requester, { model: light.file, input: light.input });
    const spec = jobSpec({ maxFee: UNIT / 10n, deadline: 50 });
    const { blockHash, events } = await sendAndWait(gatewayApi, gatewayApi.tx.inference.requestJob(light.model, { Sealed: sealed }, spec), requester);
    const job = eventOf(events, gatewayApi.events.inference.JobRequested).data.job.toNumber();
    await deliverKeys(gatewayApi, requester, job, light.file, contentKey);
    const requested = await blockAt(blockHash);
    const { events: jobEvents } = await collector.settled(job, { timeoutMs: 120_000 });
    const receipt = jobEvents.find(({ event }) => event.method === 'ReceiptSubmitted');
    if (!receipt) throw new Error(`job ${job} settled without a receipt: ${jobEvents.map(({ event }) => event.method).join(', ')}`);
    const included = await blockAt(await api.rpc.chain.getBlockHash(receipt.block));
    const chainBytes = await jobExtrinsicBytes(job, requested.number, included.number);
    return { job, blob: bareHex(sealed.blob.sha256), blocks: included.number - requested.number, seconds: (included.ms - requested.ms) / 1000, chainBytes };
  } finally {
    collector.stop();
  }
}

/** The input the host-path benchmark (offchain-workers/benches/host_path.rs) runs: i / count. */
function lightInput(light) {
  const count = LIGHT_SHAPE.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: count }, (_, i) => i / count);
  return f32Tensors(light.input, LIGHT_SHAPE, values);
}

async function ocwPath() {
  const ROUNDS = Number(flags.rounds);
  const gateway = await startGateway();
  try {
    // Ferdie's blob quota: every round's input, kept until its job is pruned.
    await sendAndWait(api, api.tx.inference.setBlobQuota(64 * 1024 * 1024), requester);
    const cases = [];
    for (const light of LIGHT_MODELS) {
      const model = await registerLight(light);
      cases.push({ ...light, model, file: await modelHash(api, model), input: lightInput(light), jobs: [] });
    }
    // Round 0 warms the sessions up (each model's first run loads it) and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const line = [`round ${round}:`];
      for (const light of cases) {
        const sample = await timeSealedJob(light, gateway);
        line.push(`${light.name} job ${sample.job} ${(sample.seconds * 1000).toFixed(1)} ms`);
        if (round > 0) light.jobs.push(sample);
      }
      log(line.join(' '));
    }
    const { jobs, fetches } = workerTimes();
    return {
      mode: 'ocw',
      sealed: true,
      rounds: ROUNDS,
      inputBytes: LIGHT_SHAPE.reduce((a, b) => a * b, 1) * 4,
      models: cases.map((light) => {
        const logged = light.jobs.map(({ job, blob }) => {
          const times = jobs.get(job);
          if (!times?.runMs || times.openMs === undefined) throw new Error(`the node's log lacks the sealed run or receipt of job ${job}`);
          if (!fetches.has(blob)) throw new Error(`the node's log has no fetch of job ${job}'s input ${blob}`);
          return { ...times, fetchMs: fetches.get(blob) };
        });
        return {
          model: light.name,
          run: summary(logged.map((t) => t.runMs)),
          fetch: summary(logged.map((t) => t.fetchMs)),
          open: summary(logged.map((t) => t.openMs)),
          fetchAndOpen: summary(logged.map((t) => t.fetchMs + t.openMs)),
          sealOutputs: summary(logged.map((t) => t.sealMs)),
          workerPath: summary(logged.map((t) => t.workerMs)),
          jobToReceipt: summary(light.jobs.map((s) => s.seconds * 1000)),
          blocks: { min: Math.min(...light.jobs.map((s) => s.blocks)), max: Math.max(...light.jobs.map((s) => s.blocks)) },
          chainBytesPerJob: Math.max(...light.jobs.map((s) => s.chainBytes)),
        };
      }),
    };
  } finally {
    await gateway.gatewayApi.disconnect();
    await gateway.gateway.stop();
  }
}

async function blockSpace() {
  const light = LIGHT_MODELS[0];
  const lightModel = await registerLight(light);
  const file = await modelHash(api, lightModel);
  const image = lightInput(light);
  // Alice takes every job at once; her node has published her encryption key.
  const profile = (await api.query.computeRegistry.providers(alice.address)).unwrap().profile.toJSON();
  await sendAndWait(api, api.tx.computeRegistry.updateProfile({ ...profile, maxConcurrentJobs: 65_535 }), alice);
  await waitFor(async () => (await api.query.computeRegistry.encryptionKeys(alice.address)).isSome, { timeoutMs: 60_000, what: "Alice's encryption key" });
  await sendAndWait(api, api.tx.inference.setBlobQuota(1024 * 1024), requester);
  const { sealed } = await sealInput(api, wsProvider, requester, { model: file, input: image });
  const signers = await fundedSigners(SIGNERS);
  const addresses = new Set(signers.map((s) => s.address));
  const perSigner = Math.ceil(JOBS / SIGNERS);
  log(`blockspace: ${perSigner * SIGNERS} sealed requests of a ${sealed.blob.sizeBytes}-byte input from ${SIGNERS} signers`);
  // Deadlines spread over 40..100 blocks, as requesters' would be.
  let made = 0;
  const sealedSpec = () => jobSpec({ maxFee: UNIT / 10n, deadline: 40 + (made++ % 61) });
  const requests = (events) => events.filter(({ event }) => api.events.inference.JobRequested.is(event)).length;
  const burstResult = await burst(signers, perSigner, () => api.tx.inference.requestJob(lightModel, { Sealed: sealed }, sealedSpec()), requests, perSigner * SIGNERS);
  // The fullest block: what its requests took of the limits for normal extrinsics.
  const fullest = burstResult.timeline.reduce((a, b) => (b.count > a.count ? b : a));
  const hash = await api.rpc.chain.getBlockHash(fullest.block);
  const [block, weight] = await Promise.all([api.rpc.chain.getBlock(hash), (await api.at(hash)).query.system.blockWeight()]);
  const ours = block.block.extrinsics.filter((xt) => xt.isSigned && addresses.has(xt.signer.toString()));
  const requestBytes = ours.reduce((sum, xt) => sum + xt.encodedLength, 0);
  const maxLength = api.consts.system.blockLength.max.normal.toNumber();
  const maxWeight = api.consts.system.blockWeights.perClass.normal.maxTotal.unwrap();
  // The same image inline, signed as a requester would: how many the normal block length holds.
  const inline = await api.tx.inference.requestJob(lightModel, { Inline: image }, jobSpec({ maxFee: UNIT / 10n })).signAsync(requester, { era: 0 });
  const sealedRequest = ours[0].encodedLength;
  return {
    mode: 'blockspace',
    inputBytes: LIGHT_SHAPE.reduce((a, b) => a * b, 1) * 4,
    blobBytes: sealed.blob.sizeBytes,
    requests: burstResult.count,
    sealed: {
      maxPerBlock: fullest.count,
      block: fullest.block,
      requestBytes: sealedRequest,
      blockLengthShare: requestBytes / maxLength,
      // A solo chain bounds no proof size (u64::MAX): the bytes the block's requests read.
      blockWeightShare: { refTime: weight.normal.refTime.toNumber() / maxWeight.refTime.toNumber() },
      proofSizeBytes: weight.normal.proofSize.toNumber(),
      perBlockTimeline: burstResult.timeline.map(({ block: number, count }) => ({ block: number, count })),
    },
    inline: { requestBytes: inline.encodedLength, perBlock: Math.floor(maxLength / inline.encodedLength), maxNormalLength: maxLength },
  };
}

const modes = { latency, throughput, ocw: ocwPath, blockspace: blockSpace };
try {
  if (!modes[flags.mode]) throw new Error(`unknown mode ${flags.mode} (expected ${Object.keys(modes).join(', ')})`);
  const result = await modes[flags.mode]();
  console.log(JSON.stringify(result, null, 1));
} finally {
  await unsubscribeHeads();
  await api.disconnect();
}
