// The demo lineage and job helpers shared by `tests/demo/job.mjs` (what scripts/dev.sh runs) and
// the end-to-end suites: the development genesis's licensed dataset, the bundled tiny model
// trained on it, its fine-tune and the fine-tune's distillation, and inference jobs on them.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { u8aToHex } from '@polkadot/util';
import { sha256AsU8a } from '@polkadot/util-crypto';

/** The SHA-256 of `bytes` as 0x-hex: how the chain and the model store name a model file. */
export const sha256Hex = (bytes) => u8aToHex(sha256AsU8a(bytes));

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const tinyModelPath = path.join(repoRoot, 'offchain-workers/models/tiny_affine.onnx');
export const tinyModelHash = sha256Hex(readFileSync(tinyModelPath));
export const tunedModelPath = path.join(repoRoot, 'offchain-workers/models/tiny_affine_tuned.onnx');
export const tunedModelHash = sha256Hex(readFileSync(tunedModelPath));
export const distilledModelPath = path.join(repoRoot, 'offchain-workers/models/tiny_affine_distilled.onnx');
export const distilledModelHash = sha256Hex(readFileSync(distilledModelPath));
/** A two-layer perceptron with the tiny model's interface and five segments (audit tests). */
export const tinyMlpPath = path.join(repoRoot, 'offchain-workers/models/tiny_mlp.onnx');
export const tinyMlpHash = sha256Hex(readFileSync(tinyMlpPath));

export const UNIT = 10n ** 12n;

/** The tiny model's interface: x f32 [batch, 4] → y f32 [batch, 3], opset 17. */
export const tinyInterface = {
  format: 'Onnx',
  opset: 17,
  io: {
    inputs: [{ name: 'x', elementType: 'F32', shape: [{ Dynamic: null }, { Fixed: 4 }] }],
    outputs: [{ name: 'y', elementType: 'F32', shape: [{ Dynamic: null }, { Fixed: 3 }] }],
  },
};

export { decodeTensorSet, f32Tensors, f32Values } from '../../examples/agent/codec.mjs';

/** The event `check` among `events` (throws when absent). */
export function eventOf(events, check) {
  const found = events.find(({ event }) => check.is(event));
  if (!found) throw new Error(`no ${check.meta.name} event`);
  return found.event;
}

/** The fee an extrinsic's events say its signer paid. */
export function feeOf(api, events) {
  const paid = eventOf(events, api.events.transactionPayment.TransactionFeePaid);
  return paid.data.actualFee.toBigInt() + paid.data.tip.toBigInt();
}

/**
 * The development chain's genesis demo lineage (`runtime/src/genesis_config_presets.rs`): Dave's
 * dataset, Charlie's training license and tiny model trained on it (5 % royalty), Eve's
 * fine-tuning license and fine-tune of it (10 % royalty). Throws when the chain lacks it (not a
 * `--dev` chain, or one started by an older node: purge it).
 */
export async function demoLineage(api) {
  const [base, tuned] = await Promise.all([tinyModelHash, tunedModelHash].map((hash) => api.call.provenanceApi.modelByHash(hash)));
  if (base.isNone || tuned.isNone) {
    throw new Error('the demo lineage is not in this chain\'s genesis: start a fresh `cairn-node --dev` (purge-chain --dev)');
  }
  const license = async (model) => (await api.call.provenanceApi.model(model)).unwrap().data[0].license.toNumber();
  const [baseId, tunedId] = [base.unwrap().toNumber(), tuned.unwrap().toNumber()];
  return { base: baseId, tuned: tunedId, trainingLicense: await license(baseId), fineTuningLicense: await license(tunedId) };
}

/** A job spec: fee ceiling, redundancy, deadline, CPU, exact agreement. */
export function jobSpec({ maxFee = UNIT, redundancy = 1, deadline = 20 } = {}) {
  return {
    maxFee,
    redundancy,
    deadline,
    executionProvider: 'Cpu',
    tolerance: { absoluteNano: 0, relativeNano: 0 },
    usageLicense: null,
  };
}

/**
 * Starts collecting the inference pallet's events of every new block. `settled(job)` resolves
 * with the job's `JobSettled` event and all its events in block order (with the block numbers);
 * `stop()` ends the subscription. Start it before requesting the job: a receipt can land in the
 * very next block.
 */
export async function collectInferenceEvents(api) {
  const seen = [];
  const waiters = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const mine = seen.filter(({ event }) => event.data.job?.toNumber() === waiter.job);
      const settled = mine.find(({ event }) => event.method === 'JobSettled');
      if (settled) {
        waiters.splice(waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve({ settled: settled.event, block: settled.block, events: mine });
      }
    }
  };
  // New-head notifications can skip blocks imported in quick succession, so each notification
  // reads every block since the last one read, in order.
  let lastRead = (await api.rpc.chain.getHeader()).number.toNumber();
  let reading = Promise.resolve();
  const readUpTo = async (head) => {
    for (let number = lastRead + 1; number <= head; number += 1) {
      const hash = await api.rpc.chain.getBlockHash(number);
      const records = await (await api.at(hash)).query.system.events();
      for (const { event } of records) {
        if (event.section === 'inference') seen.push({ event, block: number });
      }
      lastRead = number;
    }
    check();
  };
  const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
    reading = reading.then(() => readUpTo(header.number.toNumber())).catch(() => {});
  });
  return {
    settled(job, { timeoutMs = 60_000 } = {}) {
      return new Promise((resolve, reject) => {
        const waiter = { job, resolve };
        waiter.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`job ${job} not settled within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
        check();
      });
    },
    stop: () => unsubscribe(),
  };
}
