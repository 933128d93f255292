#!/usr/bin/env node
// An autonomous agent on Cairn. Its key may spend only what its owner's on-chain policy allows
// (pallet `agents`): it acts for the owner through `agents.act`, and the chain refuses whatever
// the policy does not allow, by name.
//
//   node agent.mjs register --owner SURI --agent ADDRESS [policy options] [--fund CAIRN]
//       The owner registers the agent key under a policy and sends it money for transaction
//       fees (the owner pays for licenses and jobs; the agent pays only its own fees).
//   node agent.mjs run --key SURI --owner ADDRESS --model SHA256 [--input 1,2,3,4] [--max-fee CAIRN]
//                      [--inline]
//       The agent finds the model through the researcher RPC (`provenance_*`), buys the license
//       its terms require when the owner holds none, then requests inference jobs one after the
//       other, checks every receipt's output hash against the outputs it gets, and stops
//       cleanly when the chain refuses the next call (its budget, expiry, pause or revocation).
//       Jobs are sealed (docs/privacy.md): the agent seals each input with the client library,
//       uploads it to the node within its own blob quota (set from its own funds), requests the
//       job for its owner, delivers the content key to the assigned provider (and to an
//       auditor, should the job be drawn) through `agents.act` (call kind `DeliverJobKeys`), and
//       opens the sealed outputs; nothing of the data is on chain. `--inline` sends the input
//       in the request instead (at most 4 KiB, public).
//   node agent.mjs status --owner ADDRESS
//       The owner's agents, their policies and what they spent (runtime API `agentsApi`).
//
// Common options: --url ws://127.0.0.1:9944, --json (one JSON summary line on stdout at the end).
// Amounts are in CAIRN (12 decimals).

import { parseArgs } from 'node:util';
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress, sha256AsU8a } from '@polkadot/util-crypto';
import { modelHash, openOutputs, pendingEnvelopes, sealInput, serveAudit } from '../../client/jobs.mjs';
import { decodeTensorSet, dispatchErrorName, f32Tensors, f32Values } from './codec.mjs';

const DECIMALS = 12n;
const UNIT = 10n ** DECIMALS;

/** Why the chain may refuse an act for good: the agent stops when it sees one of them. */
const STOPPING_ERRORS = new Set([
  'agents.OverPeriodBudget',
  'agents.OverTotalBudget',
  'agents.PolicyExpired',
  'agents.AgentPaused',
  'agents.NotAgent',
  'agents.TooManyOpenJobs',
]);

const options = {
  url: { type: 'string', default: 'ws://127.0.0.1:9944' },
  json: { type: 'boolean', default: false },
  // register
  owner: { type: 'string' },
  agent: { type: 'string' },
  calls: { type: 'string', default: 'RequestInference,PurchaseLicense,DeliverJobKeys' },
  period: { type: 'string', default: '600' },
  'period-budget': { type: 'string', default: '10' },
  'total-budget': { type: 'string', default: '10' },
  models: { type: 'string' },
  datasets: { type: 'string' },
  'expires-at': { type: 'string' },
  fund: { type: 'string', default: '1' },
  // run
  key: { type: 'string' },
  model: { type: 'string' },
  input: { type: 'string', default: '1,2,3,4' },
  'max-fee': { type: 'string', default: '0.1' },
  'max-jobs': { type: 'string', default: '1000' },
  deadline: { type: 'string', default: '20' },
  'settle-timeout': { type: 'string', default: '120' },
  inline: { type: 'boolean', default: false },
  'blob-quota': { type: 'string', default: '65536' },
};

/** A CAIRN amount ("1.5") in units. */
export function parseCairn(text) {
  const match = /^(\d+)(?:\.(\d{1,12}))?$/.exec(String(text).trim());
  if (!match) throw new Error(`not an amount of CAIRN: ${text}`);
  return BigInt(match[1]) * UNIT + BigInt((match[2] ?? '').padEnd(Number(DECIMALS), '0'));
}

/** Units as CAIRN, with all 12 decimals. */
export function formatCairn(units) {
  const value = BigInt(units);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / UNIT}.${(abs % UNIT).toString().padStart(Number(DECIMALS), '0')} CAIRN`;
}

/** A comma-separated list of non-negative integers. */
function parseIds(text, what) {
  return text.split(',').map((part) => {
    if (!/^\d+$/.test(part.trim())) throw new Error(`${what}: not a list of ids: ${text}`);
    return Number(part.trim());
  });
}

/**
 * Signs and submits `tx`; resolves once its block is finalized with `{ ok, error, events,
 * blockHash }`: `error` names the dispatch error of a failed call (the fee was still paid).
 */
function submit(api, tx, signer) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    tx.signAndSend(signer, ({ status, events, dispatchError, isError }) => {
      if (isError) {
        unsubscribe();
        reject(new Error(`transaction ${status.type}`));
      } else if (status.isFinalized) {
        unsubscribe();
        const error = dispatchError ? dispatchErrorName(api, dispatchError) : null;
        resolve({ ok: !dispatchError, error, events, blockHash: status.asFinalized });
      }
    })
      .then((stop) => {
        unsubscribe = stop;
      })
      .catch(reject);
  });
}

/** The first event `kind` (e.g. `api.events.agents.Acted`) among `events`. */
function findEvent(events, kind) {
  return events.map(({ event }) => event).find((event) => kind.is(event));
}

/** The connection to the node: also carries the researcher RPC calls. */
let provider = null;

/** Calls a researcher RPC method (`provenance_*`, which polkadot.js does not decorate). */
function research(method, params) {
  return provider.send(method, params);
}

/**
 * Waits for job `job` to settle in a finalized block; resolves with its `JobSettled` event, the
 * receipts submitted for it and what its settlement returned to the agent's budget.
 */
function settlement(api, job, timeoutMs) {
  return new Promise((resolve, reject) => {
    let last = null;
    let done = false;
    let unsubscribe = () => {};
    const timer = setTimeout(() => finish(new Error(`job ${job} not settled within ${timeoutMs / 1000} s`)), timeoutMs);
    const finish = (error, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      if (error) reject(error);
      else resolve(value);
    };
    const receipts = [];
    const read = async (number) => {
      const hash = await api.rpc.chain.getBlockHash(number);
      let settled = null;
      let budgetRefund = 0n;
      for (const { event } of await (await api.at(hash)).query.system.events()) {
        if (event.data.job?.toNumber() !== job) continue;
        if (api.events.inference.ReceiptSubmitted.is(event)) receipts.push(event.data.receipt.toNumber());
        if (api.events.inference.JobSettled.is(event)) settled = event;
        if (api.events.agents.BudgetRefunded.is(event)) budgetRefund += event.data.amount.toBigInt();
      }
      if (settled) finish(null, { settled, receipts, budgetRefund });
    };
    let reading = Promise.resolve();
    api.rpc.chain
      .subscribeFinalizedHeads((header) => {
        const head = header.number.toNumber();
        reading = reading
          .then(async () => {
            // Finalized-head notifications can skip blocks: read every one since the last.
            const from = last === null ? head : last + 1;
            for (let number = from; number <= head && !done; number += 1) await read(number);
            last = head;
          })
          .catch((error) => finish(error));
      })
      .then((stop) => {
        unsubscribe = stop;
        if (done) stop();
      })
      .catch((error) => finish(error));
  });
}

/** Connects to the node at `url`. */
async function connect(url) {
  await cryptoWaitReady();
  provider = new WsProvider(url);
  return ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true }).catch(() => {
    throw new Error(`cannot reach a Cairn node at ${url}`);
  });
}

/** `agent`'s record among `owner`'s agents (runtime API), or `null`. */
async function agentRecord(api, owner, agent) {
  const agents = await api.call.agentsApi.agentsOf(owner);
  const found = agents.find(([account]) => account.toString() === agent);
  return found ? found[1] : null;
}

/** The owner's side: registers the agent under a policy and funds its transaction fees. */
async function register(api, args, say) {
  if (!args.owner || !args.agent) throw new Error('register needs --owner SURI and --agent ADDRESS');
  const owner = new Keyring({ type: 'sr25519' }).addFromUri(args.owner);
  const policy = {
    allowedCalls: args.calls.split(',').map((kind) => kind.trim()),
    period: Number(args.period),
    periodBudget: parseCairn(args['period-budget']),
    totalBudget: parseCairn(args['total-budget']),
    models: args.models ? parseIds(args.models, '--models') : null,
    datasets: args.datasets ? parseIds(args.datasets, '--datasets') : null,
    expiresAt: args['expires-at'] ? Number(args['expires-at']) : null,
  };
  const fund = parseCairn(args.fund);
  const result = await submit(api, api.tx.agents.registerAgent(args.agent, policy), owner);
  if (!result.ok) throw new Error(`registration refused: ${result.error}`);
  if (fund > 0n) {
    const funded = await submit(api, api.tx.balances.transferKeepAlive(args.agent, fund), owner);
    if (!funded.ok) throw new Error(`funding refused: ${funded.error}`);
  }
  const registered = findEvent(result.events, api.events.agents.AgentRegistered);
  say(`agent ${args.agent} registered by ${owner.address} (deposit ${formatCairn(registered.data.deposit.toBigInt())})`);
  say(`policy: ${policy.allowedCalls.join(', ')}; ${formatCairn(policy.periodBudget)} per ${policy.period} blocks, ${formatCairn(policy.totalBudget)} in all`);
  if (fund > 0n) say(`sent the agent ${formatCairn(fund)} for its transaction fees`);
  return { owner: owner.address, agent: args.agent, deposit: registered.data.deposit.toString() };
}

/** The owner's agents, as the runtime API reports them. */
async function status(api, args, say) {
  if (!args.owner) throw new Error('status needs --owner ADDRESS');
  const agents = await api.call.agentsApi.agentsOf(args.owner);
  for (const [account, record] of agents) {
    const { policy, spent } = record;
    say(
      `${account}: ${record.paused.isTrue ? 'paused' : 'active'}, spent ${formatCairn(spent.total.toBigInt())} of ${formatCairn(policy.totalBudget.toBigInt())}` +
        ` (${formatCairn(spent.inPeriod.toBigInt())} of ${formatCairn(policy.periodBudget.toBigInt())} this period), ${record.openJobs.toNumber()} open jobs`,
    );
  }
  return { owner: args.owner, agents: agents.map(([account, record]) => ({ agent: account.toString(), ...record.toJSON() })) };
}

/**
 * The license `owner` needs to run `model`: `null` when its terms require none, else an
 * inference license of the required dataset the owner holds, or one the agent buys.
 */
async function usageLicense(api, owner, model, say, act) {
  const dataset = model.terms.requiredLicense;
  if (dataset === null || dataset === undefined) return { license: null, bought: null };
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  let cursor = null;
  for (;;) {
    const page = await api.call.dataLicensingApi.licensesOf(owner, cursor, 100);
    for (const id of page) {
      const license = (await api.call.dataLicensingApi.license(id)).unwrap();
      const usable = (await api.call.dataLicensingApi.licenseStatus(id, head)).isValid;
      const terms = (await api.call.dataLicensingApi.dataset(license.dataset)).unwrap().offers[license.offer.toNumber()]?.terms;
      if (license.dataset.toNumber() === dataset && usable && terms?.allowedUses.inference.isTrue) {
        say(`the owner holds license ${id} of dataset ${dataset}, which allows inference`);
        return { license: id.toNumber(), bought: null };
      }
    }
    if (page.length < 100) break;
    cursor = page[page.length - 1];
  }
  const record = (await api.call.dataLicensingApi.dataset(dataset)).unwrap();
  const offers = record.offers
    .map((offer, index) => ({ index, terms: offer.terms }))
    .filter(({ terms }) => terms.allowedUses.inference.isTrue)
    .sort((a, b) => (a.terms.price.toBigInt() < b.terms.price.toBigInt() ? -1 : 1));
  if (offers.length === 0) throw new Error(`dataset ${dataset} offers no license that allows inference`);
  const { index, terms } = offers[0];
  const price = terms.price.toBigInt();
  say(`model terms require an inference license of dataset ${dataset}: buying offer ${index} for ${formatCairn(price)}`);
  const result = await act(api.tx.dataLicensing.purchaseLicense(dataset, index, price));
  if (!result.ok) return { license: null, bought: null, refused: result.error };
  const purchased = findEvent(result.events, api.events.dataLicensing.LicensePurchased);
  const license = purchased.data.license.toNumber();
  say(`bought license ${license} (${formatCairn(purchased.data.price.toBigInt())})`);
  return { license, bought: { license, dataset, price: purchased.data.price.toString() } };
}

/** Sets the agent's own blob quota (a deposit from its funds) to at least `bytes`, for the
 * sealed inputs it uploads. */
async function ensureBlobQuota(api, agent, bytes, say) {
  const quota = await api.query.inference.blobQuotas(agent.address);
  if (quota.isSome && quota.unwrap().bytes.toNumber() >= bytes) return;
  const result = await submit(api, api.tx.inference.setBlobQuota(bytes), agent);
  if (!result.ok) throw new Error(`blob quota refused: ${result.error}`);
  say(`blob quota of ${bytes} bytes set for sealed inputs`);
}

/** The f32 values of every tensor of SCALE-encoded tensor-set `bytes`, by name. */
function outputValues(api, bytes) {
  const set = decodeTensorSet(api, bytes);
  return Object.fromEntries(set.tensors.map((tensor) => [tensor.name.toUtf8(), f32Values(set, tensor.name.toUtf8())]));
}

/** The agent's side: finds the model, buys the license it needs, runs jobs until refused. */
async function run(api, args, say) {
  if (!args.key || !args.owner || !args.model) throw new Error('run needs --key SURI, --owner ADDRESS and --model SHA256');
  const agent = new Keyring({ type: 'sr25519' }).addFromUri(args.key);
  const summary = { agent: agent.address, owner: args.owner, model: null, license: null, jobs: [], charged: '0', refunded: '0', stoppedBy: null };
  let charged = 0n;
  let refunded = 0n;
  const record = await agentRecord(api, args.owner, agent.address);
  if (!record) throw new Error(`${agent.address} is not an agent of ${args.owner}`);
  say(`agent ${agent.address} of ${args.owner}: ${formatCairn(record.policy.totalBudget.toBigInt() - record.spent.total.toBigInt())} left of its total budget`);

  // The model, through the researcher RPC: registered, active, with a clean lineage.
  const model = await research('provenance_modelByHash', [args.model]);
  if (model.status.state !== 'active') throw new Error(`model ${model.id} is ${model.status.state}`);
  const lineage = await research('provenance_lineage', [model.id, 'ancestors']);
  if (!lineage.status.clean) throw new Error(`model ${model.id} has lineage problems: ${JSON.stringify(lineage.status.problems)}`);
  summary.model = model.id;
  say(`model ${model.id} "${model.name}" (owner ${model.owner}), ${lineage.edges.length} ancestor edges, lineage clean`);

  const act = async (call) => {
    const result = await submit(api, api.tx.agents.act(call), agent);
    if (result.ok) {
      const acted = findEvent(result.events, api.events.agents.Acted);
      charged += acted.data.charged.toBigInt();
      say(`  charged ${formatCairn(acted.data.charged.toBigInt())}; left: ${formatCairn(acted.data.periodLeft.toBigInt())} this period, ${formatCairn(acted.data.totalLeft.toBigInt())} in all`);
    }
    return result;
  };
  const finish = (stoppedBy) => {
    summary.stoppedBy = stoppedBy;
    summary.charged = charged.toString();
    summary.refunded = refunded.toString();
    summary.spent = (charged - refunded).toString();
    say(`stopped: ${stoppedBy}; spent ${formatCairn(charged - refunded)} of the owner's funds on ${summary.jobs.length} jobs${summary.license?.bought ? ' and a license' : ''}`);
    return summary;
  };

  const license = await usageLicense(api, args.owner, model, say, act);
  summary.license = license;
  if (license.refused) return finish(license.refused);

  const values = args.input.split(',').map(Number);
  if (values.some(Number.isNaN)) throw new Error(`--input: not numbers: ${args.input}`);
  const spec = {
    maxFee: parseCairn(args['max-fee']),
    redundancy: 1,
    deadline: Number(args.deadline),
    executionProvider: 'Cpu',
    tolerance: { absoluteNano: 0, relativeNano: 0 },
    usageLicense: license.license,
  };
  const input = f32Tensors('x', [1, values.length], values);
  const sealed = !args.inline;
  const modelFile = await modelHash(api, model.id);
  if (sealed) await ensureBlobQuota(api, agent, Number(args['blob-quota']), say);
  // Delivers the content key of sealed `job` to every party granted it that lacks it, acting
  // for the owner (the job's requester); the act's result, or null when nobody waits for one.
  const deliver = async (job, contentKey) => {
    const pending = await pendingEnvelopes(api, job, modelFile, contentKey);
    if (pending.length === 0) return null;
    say(`  delivering job ${job}'s content key to ${pending.map(([party]) => party).join(', ')}`);
    const result = await act(api.tx.inference.deliverKeys(job, pending));
    if (!result.ok) throw new Error(`job ${job}: key delivery refused: ${result.error}`);
    return result;
  };
  for (let n = 0; n < Number(args['max-jobs']); n += 1) {
    say(`job ${n + 1}: x = [${values.join(', ')}], fee ceiling ${formatCairn(spec.maxFee)}${sealed ? ', sealed' : ''}`);
    // A sealed input: the blob goes to the node, the request carries its hashes.
    const seal = sealed ? await sealInput(api, provider, agent, { model: modelFile, input }) : null;
    const result = await act(api.tx.inference.requestJob(model.id, sealed ? { Sealed: seal.sealed } : { Inline: input }, spec));
    if (!result.ok) {
      if (STOPPING_ERRORS.has(result.error)) return finish(result.error);
      throw new Error(`job refused: ${result.error}`);
    }
    const job = findEvent(result.events, api.events.inference.JobRequested).data.job.toNumber();
    if (sealed) await deliver(job, seal.contentKey);
    const { settled, receipts, budgetRefund } = await settlement(api, job, Number(args['settle-timeout']) * 1000);
    const refund = settled.data.refunded.toBigInt();
    // The unspent fee returns to the owner and, in full, to the agent's budget.
    if (budgetRefund !== refund) throw new Error(`job ${job}: refunded ${refund}, the budget got back ${budgetRefund}`);
    refunded += refund;
    const entry = { job, status: settled.data.status.type, paid: settled.data.paid.toString(), royalties: settled.data.royalties.toString(), refunded: refund.toString(), receipts: [] };
    // Every receipt's output hash is the SHA-256 of the outputs it carries, and the settled
    // hash is one of them.
    for (const id of receipts) {
      if (sealed) {
        // Fetched from the provider's node through this one, opened with the output key,
        // checked against the receipt's output hash (openOutputs throws otherwise).
        const receipt = (await api.query.inference.receipts(id)).unwrap();
        const opened = await openOutputs(api, provider, { job, receipt: id, model: modelFile, requester: decodeAddress(args.owner), outputSecret: seal.outputKeys.secretKey });
        const hash = u8aToHex(opened.outputHash);
        entry.receipts.push({ receipt: id, outputHash: hash, outputs: outputValues(api, opened.bytes), provider: receipt.provider.toString() });
        continue;
      }
      const [receipt, outputs] = (await api.call.inferenceApi.receipt(id)).unwrap();
      const hash = u8aToHex(sha256AsU8a(outputs.toU8a(true)));
      if (hash !== receipt.outputHash.toHex()) throw new Error(`receipt ${id}: outputs hash to ${hash}, the receipt says ${receipt.outputHash.toHex()}`);
      entry.receipts.push({ receipt: id, outputHash: hash, outputs: outputValues(api, outputs), provider: receipt.provider.toString() });
    }
    // A completed single-provider job may be drawn for audit: its auditor needs the key too.
    if (sealed && entry.status === 'Completed') {
      entry.audit = await serveAudit(api, job, () => deliver(job, seal.contentKey), { timeoutMs: 600_000 });
      if (entry.audit) say(`  job ${job}'s audit closed: ${entry.audit}`);
    }
    if (settled.data.outputHash.isSome && !entry.receipts.some((r) => r.outputHash === settled.data.outputHash.unwrap().toHex())) {
      throw new Error(`job ${job}: no receipt carries the settled output hash`);
    }
    summary.jobs.push(entry);
    const y = entry.receipts[0]?.outputs?.y;
    say(`  job ${job} ${entry.status}: y = [${y?.join(', ') ?? '-'}], output hash checked; ${formatCairn(refund)} back to the budget`);
  }
  return finish('max-jobs');
}

async function main() {
  const { values: args, positionals } = parseArgs({ options, allowPositionals: true });
  const command = positionals[0];
  const commands = { register, run, status };
  if (!commands[command]) {
    console.error('usage: node agent.mjs register|run|status [options] (see the top of agent.mjs)');
    process.exit(2);
  }
  const say = args.json ? (line) => console.error(`[agent] ${line}`) : (line) => console.log(`[agent] ${line}`);
  const api = await connect(args.url);
  try {
    const result = await commands[command](api, args, say);
    if (args.json) console.log(JSON.stringify(result));
  } finally {
    await api.disconnect();
  }
}

main().catch((error) => {
  console.error(`[agent] error: ${error.message}`);
  process.exit(1);
});
