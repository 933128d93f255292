// Sealed inference jobs from a requester, on @polkadot/api: seal a tensor set and upload it to a
// gateway node, request the job with only hashes on chain, deliver the content key wrapped to
// each party the chain granted it to (providers, and referees should a dispute open), wait for
// settlement, then fetch the sealed outputs, open them with the requester's output key and check
// every hash. Wire formats: docs/privacy.md.
//
// `api` is an ApiPromise, `provider` the WsProvider it was made with (the blob methods are the
// node's own JSON-RPC), `pair` the requester's sr25519 keyring pair.

import { sha256 } from '@noble/hashes/sha2.js';
import { getBlob, putBlob } from './blobs.mjs';
import * as seal from './seal.mjs';

/** The metadata's type named by its Rust path, e.g. `cairn_inference::types::TensorSet`. */
function lookupType(api, path) {
  const entry = api.registry.lookup.types.find((t) => t.type.path.map(String).join('::') === path);
  if (!entry) throw new Error(`the metadata has no ${path}`);
  return api.registry.createLookupType(entry.id);
}

/** The canonical SCALE encoding of a tensor set (as `{ tensors: [...] }` takes it). */
export function encodeTensorSet(api, tensors) {
  return api.createType(lookupType(api, 'cairn_inference::types::TensorSet'), tensors).toU8a();
}

/** Decodes a canonical tensor set's bytes with the metadata's own type. */
export function decodeTensorSet(api, bytes) {
  return api.createType(lookupType(api, 'cairn_inference::types::TensorSet'), bytes);
}

/** SHA-256 of a tensor set's canonical encoding: what the chain and receipts bind to. */
export const tensorSetHash = (encoded) => sha256(encoded);

/** The name of a dispatch error: `pallet.Error` for a module error, else its text. */
export function dispatchErrorName(api, error) {
  if (!error.isModule) return error.toString();
  const meta = api.registry.findMetaError(error.asModule);
  return `${meta.section}.${meta.name}`;
}

/**
 * Signs and sends `tx` with `pair`; resolves with `{ blockHash, events }` once it is in a block
 * (or final), rejects with the dispatch error's name.
 */
export function send(api, tx, pair) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(pair, (result) => {
      if (result.dispatchError) reject(new Error(`dispatch failed: ${dispatchErrorName(api, result.dispatchError)}`));
      else if (result.status.isInBlock) resolve({ blockHash: result.status.asInBlock, events: result.events });
      // Some sealing modes report the block only once it is final.
      else if (result.status.isFinalized) resolve({ blockHash: result.status.asFinalized, events: result.events });
      else if (result.isError) reject(new Error(`transaction failed: ${result.status.type}`));
    }).catch(reject);
  });
}

/** The SHA-256 of model `model`'s registered file. */
export async function modelHash(api, model) {
  const record = await api.query.modelProvenance.models(model);
  if (record.isNone) throw new Error(`no model ${model}`);
  return record.unwrap().file.sha256.toU8a();
}

/**
 * Seals tensor set `input` for the model with file hash `model` under a fresh content key and
 * uploads the blob to the node behind `provider`, owned by `pair` (within its blob quota), or,
 * with `publish`, hands it to `publish(blob, hash)` instead, which puts it anywhere public and
 * resolves with its location (`{ cid, uris }`), registered on chain with `setBlobSource`.
 * Returns the request's `Sealed` input and what only the requester keeps: the content key and
 * the output key pair.
 */
export async function sealInput(api, provider, pair, { model, input, publish }) {
  const plaintext = encodeTensorSet(api, input);
  const plaintextHash = tensorSetHash(plaintext);
  const contentKey = seal.newContentKey();
  const blob = seal.sealBlob(contentKey, plaintext, { kind: seal.BlobKind.Input, model, plaintextHash });
  const hash = seal.bytesToHex(seal.blobHash(blob));
  if (publish) {
    await setBlobSource(api, pair, hash, await publish(blob, hash));
  } else {
    await putBlob(provider, api.genesisHash.toU8a(), pair, blob);
  }
  const outputKeys = seal.newKeyPair();
  return {
    sealed: {
      plaintextHash: seal.bytesToHex(plaintextHash),
      blob: { sha256: hash, sizeBytes: blob.length },
      outputKey: seal.bytesToHex(outputKeys.publicKey),
    },
    contentKey,
    outputKeys,
    plaintextHash,
    blob,
  };
}

/**
 * Registers `location` (`{ cid, uris }`: an IPFS CID, `https://`, `http://` or `ipfs://` URLs)
 * as where blob `hash` can be fetched besides nodes' blob stores, for `pair` (a deposit is held
 * until it is removed with a null location). Nodes fetching a job's blob use its requester's.
 */
export async function setBlobSource(api, pair, hash, location) {
  const encoded = location && { cid: location.cid ?? null, uris: (location.uris ?? []).map((uri) => seal.bytesToHex(new TextEncoder().encode(uri))) };
  return send(api, api.tx.inference.setBlobSource(hash, encoded), pair);
}

/**
 * The content key of `job` (on the model with file hash `model`) wrapped to each party the
 * chain granted it to and that has not got it yet: `[account, envelope]` pairs for
 * `inference.deliverKeys`. Each envelope is bound to the job, the model, the party, its key's
 * epoch and its role.
 */
export async function pendingEnvelopes(api, job, model, contentKey) {
  const grants = await api.query.inference.keyGrants.entries(job);
  const pending = [];
  for (const [key, value] of grants) {
    const grant = value.unwrap();
    if (grant.envelope.isSome) continue;
    const party = key.args[1];
    const envelope = seal.wrapKey(grant.key.toU8a(), contentKey, {
      job,
      model,
      recipient: party.toU8a(),
      keyEpoch: grant.epoch.toNumber(),
      role: seal.KeyRole[grant.role.type],
    });
    pending.push([party.toString(), {
      ephemeral: seal.bytesToHex(envelope.ephemeral),
      nonce: seal.bytesToHex(envelope.nonce),
      sealedKey: seal.bytesToHex(envelope.sealedKey),
    }]);
  }
  return pending;
}

/** Delivers the content key of `job` to every party granted it that lacks it; how many. */
export async function deliverKeys(api, pair, job, model, contentKey) {
  const pending = await pendingEnvelopes(api, job, model, contentKey);
  if (pending.length > 0) await send(api, api.tx.inference.deliverKeys(job, pending), pair);
  return pending.length;
}

/**
 * Opens the sealed outputs of receipt `receipt` of `job`: fetches the blob through the node
 * behind `provider` (which asks its peers), checks its hash and size, unwraps the content key
 * with the requester's output secret, opens the blob and checks the plaintext against the
 * receipt's output hash. Returns `{ outputs (decoded), outputHash, bytes }`.
 */
export async function openOutputs(api, provider, { job, receipt, model, requester, outputSecret }) {
  const [record, sealedOutput] = await Promise.all([
    api.query.inference.receipts(receipt),
    api.query.inference.sealedOutputs(receipt),
  ]);
  if (record.isNone || sealedOutput.isNone) throw new Error(`receipt ${receipt} has no sealed outputs`);
  const outputHash = record.unwrap().outputHash.toU8a();
  const { blob, envelope } = sealedOutput.unwrap();
  const bytes = await getBlob(provider, blob.sha256.toHex());
  if (bytes.length !== blob.sizeBytes.toNumber()) throw new Error(`output blob of receipt ${receipt}: ${bytes.length} bytes, not ${blob.sizeBytes}`);
  const contentKey = seal.unwrapKey(outputSecret, {
    ephemeral: envelope.ephemeral.toU8a(),
    nonce: envelope.nonce.toU8a(),
    sealedKey: envelope.sealedKey.toU8a(),
  }, { job, model, recipient: requester, keyEpoch: 0, role: seal.KeyRole.Requester });
  const plaintext = seal.openBlob(contentKey, bytes, { kind: seal.BlobKind.Output, model, plaintextHash: outputHash });
  if (seal.bytesToHex(tensorSetHash(plaintext)) !== seal.bytesToHex(outputHash)) {
    throw new Error(`outputs of receipt ${receipt} do not hash to the receipt's output hash`);
  }
  return { outputs: decodeTensorSet(api, plaintext), outputHash, bytes: plaintext };
}

/** Resolves with the first non-null value `check()` returns at a new block, calling `onBlock`
 * at each block before that; rejects after `timeoutMs` (naming `what`). */
function atBlock(api, check, { onBlock, timeoutMs, what }) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    let busy = false;
    const timer = setTimeout(() => { unsubscribe(); reject(new Error(`${what} not within ${timeoutMs} ms`)); }, timeoutMs);
    const finish = (error, value) => { clearTimeout(timer); unsubscribe(); if (error) reject(error); else resolve(value); };
    api.rpc.chain.subscribeNewHeads(async () => {
      if (busy) return;
      busy = true;
      try {
        const value = await check();
        if (value !== null) finish(null, value);
        else await onBlock();
      } catch (error) {
        finish(error);
      } finally {
        busy = false;
      }
    }).then((u) => { unsubscribe = u; }, (error) => finish(error));
  });
}

/** The output hash job `job` settled with (its `JobSettled` event, in the block its record
 * names), or null. */
async function settledOutputHash(api, job, record) {
  if (record.settledAt.isNone) return null;
  const at = await api.at(await api.rpc.chain.getBlockHash(record.settledAt.unwrap()));
  const found = (await at.query.system.events()).find(({ event }) =>
    api.events.inference.JobSettled.is(event) && event.data.job.toNumber() === job);
  return found?.event.data.outputHash.isSome ? found.event.data.outputHash.unwrap().toHex() : null;
}

/** Resolves with the job record once `job` is no longer open or disputed, calling `onBlock`
 * at each new block meanwhile; rejects after `timeoutMs`. */
function settled(api, job, { onBlock, timeoutMs }) {
  return atBlock(api, async () => {
    const record = (await api.query.inference.jobs(job)).unwrap();
    return record.status.isOpen || record.status.isDisputed ? null : record;
  }, { onBlock, timeoutMs, what: `job ${job} settled` });
}

/**
 * Serves the audit of settled sealed job `job` until it closes, calling `deliver()` at each
 * block meanwhile to hand its content key to the auditor (and the referee of a dispute) the
 * chain grants it to: `() => deliverKeys(api, pair, job, model, contentKey)` for a requester
 * that signs itself, or a delivery through `agents.act` for an agent. Resolves with the verdict
 * (`'Passed'`, `'ProviderCaught'`, ...), or null when the job was not drawn for audit. A
 * requester that does not serve its audit leaves it closed `KeyWithheld`.
 */
export function serveAudit(api, job, deliver, { timeoutMs = 300_000 } = {}) {
  return atBlock(api, async () => {
    const audit = await api.query.inference.audits(job);
    if (audit.isNone) return 'none';
    const { stage } = audit.unwrap();
    return stage.isClosed ? stage.asClosed.type : null;
  }, {
    onBlock: deliver,
    timeoutMs,
    what: `the audit of job ${job} closed`,
  }).then((verdict) => (verdict === 'none' ? null : verdict));
}

/**
 * Runs a sealed job end to end for `pair`: seals and uploads `input` through the node behind
 * `provider` (or publishes it with `publish`, see `sealInput`), requests the job on `model` with `spec`, delivers the content key to every party
 * granted it (again when a dispute grants referees), waits for settlement and opens the
 * accepted outputs. Resolves with `{ job, status, outputs, outputHash, plaintextHash, receipt,
 * events, audit, outputSecret }` (`outputs` null unless the job completed); `audit()` serves the
 * job's audit (see `serveAudit`) and resolves with its verdict; `outputSecret` is the job's
 * output secret key, which opens every provider's sealed outputs (`openOutputs`).
 */
export async function runSealedJob(api, provider, pair, { model, input, spec, publish, timeoutMs = 120_000 }) {
  const modelFile = await modelHash(api, model);
  const { sealed, contentKey, outputKeys, plaintextHash } = await sealInput(api, provider, pair, { model: modelFile, input, publish });
  const { events } = await send(api, api.tx.inference.requestJob(model, { Sealed: sealed }, spec), pair);
  const requested = events.find(({ event }) => api.events.inference.JobRequested.is(event));
  if (!requested) throw new Error('no JobRequested event');
  const job = requested.event.data.job.toNumber();
  await deliverKeys(api, pair, job, modelFile, contentKey);
  const record = await settled(api, job, {
    timeoutMs,
    onBlock: () => deliverKeys(api, pair, job, modelFile, contentKey),
  });
  const status = record.status.type;
  // A completed single-provider job may be drawn for audit: its auditor needs the key.
  const audit = () => serveAudit(api, job, () => deliverKeys(api, pair, job, modelFile, contentKey), { timeoutMs });
  if (status !== 'Completed') return { job, status, outputs: null, outputHash: null, plaintextHash, receipt: null, events, audit, outputSecret: outputKeys.secretKey };
  // The accepted outputs: the receipts carrying the output hash the job settled with first (the
  // referees' when a dispute decided), then those most receipts carry; receipts agreeing only
  // within the job's float tolerance carry other hashes, and each opens to its own outputs.
  const ids = (assignments) => assignments.map((a) => a.receipt).filter((r) => r.isSome).map((r) => r.unwrap().toNumber());
  const candidates = record.referees.length > 0 ? ids(record.referees) : ids(record.assigned);
  const accepted = await settledOutputHash(api, job, record);
  const hashes = new Map();
  for (const receipt of candidates) hashes.set(receipt, (await api.query.inference.receipts(receipt)).unwrap().outputHash.toHex());
  const rank = (hash) => (hash === accepted ? candidates.length + 1 : [...hashes.values()].filter((h) => h === hash).length);
  const receipts = [...candidates].sort((a, b) => rank(hashes.get(b)) - rank(hashes.get(a)));
  let lastError;
  for (const receipt of receipts) {
    try {
      const opened = await openOutputs(api, provider, { job, receipt, model: modelFile, requester: pair.publicKey, outputSecret: outputKeys.secretKey });
      return { job, status, ...opened, plaintextHash, receipt, events, audit, outputSecret: outputKeys.secretKey };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError ?? new Error(`job ${job} completed without receipts`);
}
