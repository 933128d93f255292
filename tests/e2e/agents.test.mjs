// Agent accounts on a real node, through the example agent (examples/agent/agent.mjs): Ferdie
// registers an agent key under a policy (inference and license purchases, the distilled demo
// model and its dataset only, a total budget); the agent finds the model through the researcher
// RPC, buys the inference license its terms require, runs sealed jobs (inputs and outputs off
// chain, the content key delivered through `agents.act`) that Alice's offchain worker answers
// with ONNX Runtime, opens every receipt's outputs against its hash, and stops when the total budget
// refuses the next job. Ferdie's balance moved by exactly what the agent's events say was spent.
// A model outside the allow-list and a paused agent are refused by name.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { CairnNode, repoRoot, runToExit, tempDir } from '../lib/node.mjs';
import { distilledModelHash, distilledModelPath, tinyModelHash, tinyModelPath, tunedModelPath, UNIT } from '../lib/jobs.mjs';
import { eventsOfBlocks, feesPaid, sendAndFinalize } from '../lib/tx.mjs';

const cache = process.env.CAIRN_CACHE ?? path.join(os.homedir(), '.cache/cairn');
const library = process.env.ORT_DYLIB_PATH ?? path.join(cache, 'onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1');
const agentScript = path.join(repoRoot, 'examples/agent/agent.mjs');

let node;
let api;
const keyring = new Keyring({ type: 'sr25519' });
const ferdie = keyring.addFromUri('//Ferdie');
const agentKey = '//CairnExampleAgent';
const agent = keyring.addFromUri(agentKey);

before(async () => {
  const store = tempDir('cairn-agents-store-');
  for (const model of [tinyModelPath, tunedModelPath, distilledModelPath]) {
    const imported = await runToExit(['model', 'import', model, '--model-store', store, '--onnxruntime-lib', library]);
    assert.equal(imported.code, 0, imported.output);
  }
  node = new CairnNode({ args: ['--dev', '--sealing', '500', '--model-store', store, '--onnxruntime-lib', library] });
  await node.start();
  api = await node.api();
});

after(async () => {
  await node?.stop();
});

/** Runs the example agent with `args`; resolves with its exit code, JSON summary and output. */
function example(args, { timeoutMs = 240_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [agentScript, ...args, '--url', node.wsUrl, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop();
      let summary = null;
      try {
        summary = last ? JSON.parse(last) : null;
      } catch {
        summary = null;
      }
      resolve({ code, summary, log: stderr });
    });
  });
}

/** The finalized block's number and Ferdie's whole balance (free and held) in it. */
async function ownerSnapshot() {
  const hash = await api.rpc.chain.getFinalizedHead();
  const at = await api.at(hash);
  const number = (await at.query.system.number()).toNumber();
  const { free, reserved } = (await at.query.system.account(ferdie.address)).data;
  return { number, total: free.toBigInt() + reserved.toBigInt() };
}

test('the example agent buys a license and inference within its budget, and the books balance', { timeout: 420_000 }, async () => {
  const maxFee = UNIT / 10n;
  const totalBudget = UNIT + maxFee + (4n * UNIT) / 100n; // the license, a job's ceiling and a margin
  const registered = await example([
    'register', '--owner', '//Ferdie', '--agent', agent.address,
    '--calls', 'RequestInference,PurchaseLicense,DeliverJobKeys', '--period', '1000', '--period-budget', '5', '--total-budget', '1.14',
    '--models', '2', '--datasets', '0', '--fund', '1',
  ]);
  assert.equal(registered.code, 0, registered.log);
  assert.equal(registered.summary.agent, agent.address);
  const start = await ownerSnapshot();

  const ran = await example(['run', '--key', agentKey, '--owner', ferdie.address, '--model', distilledModelHash, '--max-fee', '0.1']);
  assert.equal(ran.code, 0, ran.log);
  const summary = ran.summary;
  assert.equal(summary.stoppedBy, 'agents.OverTotalBudget', ran.log);
  assert.equal(summary.model, 2);
  assert.equal(summary.license.bought.dataset, 0);
  assert.equal(BigInt(summary.license.bought.price), UNIT);
  assert.ok(summary.jobs.length >= 1, ran.log);
  for (const job of summary.jobs) {
    assert.equal(job.status, 'Completed');
    assert.equal(job.receipts.length, 1);
    assert.deepEqual(job.receipts[0].outputs.y, [27.5, -6, 11.5]);
  }
  // Nothing of the data in the requests: they carry the sealed input's hashes only.
  for (const job of summary.jobs) assert.ok((await api.query.inference.sealedInputs(job.job)).isSome);
  const end = await ownerSnapshot();

  // What the events say: Acted charges less BudgetRefunded returns, for this agent.
  const events = await eventsOfBlocks(api, start.number, end.number);
  const mine = (kind) => events.filter(({ event }) => kind.is(event) && event.data.agent.toString() === agent.address).map(({ event }) => event);
  const charged = mine(api.events.agents.Acted).reduce((sum, e) => sum + e.data.charged.toBigInt(), 0n);
  const returned = mine(api.events.agents.BudgetRefunded).reduce((sum, e) => sum + e.data.amount.toBigInt(), 0n);
  const spent = charged - returned;
  const acts = (kind) => mine(api.events.agents.Acted).filter((e) => e.data.kind.type === kind);
  assert.equal(acts('PurchaseLicense').length, 1, 'one purchase');
  assert.equal(acts('RequestInference').length, summary.jobs.length, 'one request per job');
  // Sealed jobs: each job's key delivered to its provider (and to an auditor, if drawn), free.
  const audited = summary.jobs.filter((job) => Boolean(job.audit)).length;
  assert.equal(acts('DeliverJobKeys').length, summary.jobs.length + audited);
  assert.ok(acts('DeliverJobKeys').every((e) => e.data.charged.isZero()));
  assert.equal(spent.toString(), summary.spent);
  // The owner's balance (free and held: job and license deposits stay the owner's) moved by
  // exactly that, to the unit: the license price and each job's pay, royalties and audit fee.
  assert.equal(start.total - end.total, spent, 'owner balance change = spent per the events');
  const settled = events
    .map(({ event }) => event)
    .filter((event) => api.events.inference.JobSettled.is(event) && summary.jobs.some((j) => j.job === event.data.job.toNumber()));
  assert.equal(settled.length, summary.jobs.length);
  // Each job's provider pay and royalties, and the audit fee of a single-provider job.
  const auditFees = events
    .map(({ event }) => event)
    .filter((event) => api.events.inference.AuditFeeCharged.is(event) && summary.jobs.some((j) => j.job === event.data.job.toNumber()))
    .reduce((sum, e) => sum + e.data.amount.toBigInt(), 0n);
  assert.equal(auditFees, BigInt(settled.length) * api.consts.inference.auditFee.toBigInt());
  const jobsCost = settled.reduce((sum, e) => sum + e.data.paid.toBigInt() + e.data.royalties.toBigInt(), 0n) + auditFees;
  assert.equal(spent, UNIT + jobsCost);

  // The budget stopped it exactly where the next job's fee ceiling no longer fits.
  const [[, record]] = (await api.call.agentsApi.agentsOf(ferdie.address)).filter(([who]) => who.toString() === agent.address);
  assert.equal(record.spent.total.toBigInt(), spent);
  assert.equal(record.openJobs.toNumber(), 0);
  assert.equal(record.policy.totalBudget.toBigInt(), totalBudget);
  assert.ok(totalBudget - spent < maxFee, 'the next job did not fit');
  assert.ok(totalBudget - (spent - jobsCost / BigInt(settled.length)) >= maxFee, 'the last job did');
});

test('calls outside the policy and a paused agent are refused by name', { timeout: 240_000 }, async () => {
  // Model 0 is not on the allow-list: the chain refuses the job, nothing is charged.
  const before = await ownerSnapshot();
  const outside = await example(['run', '--key', agentKey, '--owner', ferdie.address, '--model', tinyModelHash]);
  assert.equal(outside.code, 1);
  assert.match(outside.log, /job refused: agents\.ModelNotAllowed/);
  // The owner pauses the agent: it stops at its first call. The license it bought is reused.
  await sendAndFinalize(api, api.tx.agents.pauseAgent(agent.address), ferdie);
  const paused = await example(['run', '--key', agentKey, '--owner', ferdie.address, '--model', distilledModelHash]);
  assert.equal(paused.code, 0, paused.log);
  assert.equal(paused.summary.stoppedBy, 'agents.AgentPaused');
  assert.equal(paused.summary.license.bought, null);
  assert.equal(paused.summary.jobs.length, 0);
  const after = await ownerSnapshot();
  const fees = feesPaid(api, await eventsOfBlocks(api, before.number, after.number), ferdie.address);
  assert.equal(before.total - after.total, fees, 'the owner paid only the fee of pausing');
});
