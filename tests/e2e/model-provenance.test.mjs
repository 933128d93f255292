// Model provenance with stock polkadot.js: a dataset and a training license, a base model and a
// fine-tune of it trained on licensed data, an evaluation, the lineage read back through the
// ProvenanceApi runtime API, invalid licenses refused by name, and a revocation seen downstream.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { CairnNode } from '../lib/node.mjs';
import { commitRegistration, sendAndFinalize } from '../lib/tx.mjs';

const nodes = [];
after(async () => Promise.all(nodes.map((n) => n.stop())));

const UNIT = 10n ** 12n;

function eventOf(events, check) {
  const found = events.find(({ event }) => check.is(event));
  assert.ok(found, `event ${check.meta.name}`);
  return found.event;
}

/** Sends `tx` and resolves with the `section.Name` of the module error it failed with. */
function failureOf(api, tx, signer) {
  return sendAndFinalize(api, tx, signer).then(
    () => assert.fail('the call was expected to fail'),
    (error) => error.message.replace('dispatch failed: ', ''),
  );
}

const uses = (overrides = {}) => ({
  training: false,
  fineTuning: false,
  evaluation: false,
  inference: false,
  commercial: false,
  ...overrides,
});

const terms = (allowedUses, overrides = {}) => ({
  price: UNIT,
  duration: null,
  allowedUses,
  royaltyBps: 250,
  transferable: false,
  revocable: true,
  maxLicensees: null,
  spdx: 'CC-BY-4.0',
  ...overrides,
});

const spec = (name) => ({ name, elementType: 'F32', shape: [{ Dynamic: null }, { Fixed: 4 }] });
const iface = { format: 'Onnx', opset: 13, io: { inputs: [spec('x')], outputs: [spec('y')] } };
const file = (byte) => ({ sha256: `0x${byte.repeat(32)}`, cid: `0x01551220${byte.repeat(32)}`, sizeBytes: 4096 });
const modelTerms = (royaltyBps) => ({ priceFloor: UNIT / 100n, royaltyBps, derivatives: 'Open', requiredLicense: null });

test('a fine-tune lineage with licensed training data, read back with polkadot.js', { timeout: 240_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', 'instant'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const [dataOwner, baseOwner, tuner, evaluator] = ['//Dave', '//Charlie', '//Eve', '//Ferdie'].map((u) => keyring.addFromUri(u));

  // Dave's dataset: a training and fine-tuning offer (index 0) and an evaluation offer (index 1),
  // registered under a commitment made a block earlier.
  await commitRegistration(api, dataOwner, 'Dataset', `0x${'d1'.repeat(32)}`);
  let r = await sendAndFinalize(
    api,
    api.tx.dataLicensing.registerDataset(`0x${'d1'.repeat(32)}`, null, 'provenance corpus', 1 << 20, null, [
      terms(uses({ training: true, fineTuning: true, inference: true })),
      terms(uses({ evaluation: true }), { price: 0n, royaltyBps: 0 }),
    ]),
    dataOwner,
  );
  const dataset = eventOf(r.events, api.events.dataLicensing.DatasetRegistered).data.dataset.toNumber();
  const buy = async (who, offer) => {
    const res = await sendAndFinalize(api, api.tx.dataLicensing.purchaseLicense(dataset, offer, UNIT), who);
    return eventOf(res.events, api.events.dataLicensing.LicensePurchased).data.license.toNumber();
  };
  const baseLicense = await buy(baseOwner, 0);
  const tuneLicense = await buy(tuner, 0);
  const evalLicense = await buy(evaluator, 1);

  // Charlie's base model, trained on the dataset; the deposit is held exactly.
  const reservedBefore = (await api.query.system.account(baseOwner.address)).data.reserved.toBigInt();
  // Without a commitment the file cannot be registered: one made a block earlier is needed.
  const baseFile = file('b1');
  assert.equal(
    await failureOf(api, api.tx.modelProvenance.registerModel(baseFile, 'cairn-base', iface, modelTerms(500), [], []), baseOwner),
    'modelProvenance.NotCommitted',
  );
  await commitRegistration(api, baseOwner, 'Model', baseFile.sha256);
  r = await sendAndFinalize(
    api,
    api.tx.modelProvenance.registerModel(file('b1'), 'cairn-base', iface, modelTerms(500), [], [
      { dataset, license: baseLicense, purpose: 'Training' },
    ]),
    baseOwner,
  );
  const registered = eventOf(r.events, api.events.modelProvenance.ModelRegistered);
  const base = registered.data.model.toNumber();
  const deposit = registered.data.deposit.toBigInt();
  assert.ok(deposit > api.consts.modelProvenance.modelDepositBase.toBigInt());
  const reservedAfter = (await api.query.system.account(baseOwner.address)).data.reserved.toBigInt();
  assert.equal(reservedAfter - reservedBefore, deposit);

  // Eve's fine-tune of it, on her own fine-tuning license.
  await commitRegistration(api, tuner, 'Model', file('f1').sha256);
  r = await sendAndFinalize(
    api,
    api.tx.modelProvenance.registerModel(file('f1'), 'cairn-base-ft', iface, modelTerms(100), [{ parent: base, kind: 'FineTunedFrom' }], [
      { dataset, license: tuneLicense, purpose: 'FineTuning' },
    ]),
    tuner,
  );
  const tuned = eventOf(r.events, api.events.modelProvenance.ModelRegistered).data.model.toNumber();

  // Ferdie's evaluation of the fine-tune.
  r = await sendAndFinalize(
    api,
    api.tx.modelProvenance.attestEvaluation(tuned, dataset, evalLicense, 'top1_accuracy', 931_200, []),
    evaluator,
  );
  eventOf(r.events, api.events.modelProvenance.EvaluationAttested);

  // The lineage, read back through the runtime API.
  const byHash = await api.call.provenanceApi.modelByHash(`0x${'f1'.repeat(32)}`);
  assert.equal(byHash.unwrap().toNumber(), tuned);
  const record = (await api.call.provenanceApi.model(tuned)).unwrap();
  assert.equal(record.name.toUtf8(), 'cairn-base-ft');
  assert.equal(record.parents[0].kind.type, 'FineTunedFrom');
  assert.equal(record.data[0].purpose.type, 'FineTuning');
  const edges = await api.call.provenanceApi.lineage(tuned, 'Ancestors', 10, 0, 100);
  assert.deepEqual(
    edges.map((e) => [e.child.toNumber(), e.parent.toNumber(), e.kind.type, e.distance.toNumber()]),
    [[tuned, base, 'FineTunedFrom', 1]],
  );
  const down = await api.call.provenanceApi.lineage(base, 'Descendants', 10, 0, 100);
  assert.deepEqual(down.map((e) => e.child.toNumber()), [tuned]);
  const children = await api.call.provenanceApi.children(base, null, 10);
  assert.deepEqual(children.map(([id, kind]) => [id.toNumber(), kind.type]), [[tuned, 'FineTunedFrom']]);
  const upstream = (await api.call.provenanceApi.upstreamDatasets(tuned, null)).unwrap();
  assert.deepEqual(
    upstream.map((u) => [u.dataset.toNumber(), u.license.toNumber(), u.status.type]),
    [[dataset, tuneLicense, 'Valid'], [dataset, baseLicense, 'Valid']],
  );
  assert.equal((await api.call.provenanceApi.lineageStatus(tuned, null)).type, 'Clean');
  const royalties = await api.call.provenanceApi.royaltyRecipients(tuned);
  assert.deepEqual(
    royalties.map((x) => [x.account.toString(), x.bps.toNumber()]),
    [[tuner.address, 100], [baseOwner.address, 500], [dataOwner.address, 250]],
  );
  const evaluations = await api.call.provenanceApi.evaluations(tuned, null, 10);
  assert.equal(evaluations.length, 1);
  assert.equal(evaluations[0][1].metric.toUtf8(), 'top1_accuracy');
  assert.equal(evaluations[0][1].valueMicro.toNumber(), 931_200);
  assert.equal(evaluations[0][1].evaluator.toString(), evaluator.address);

  // Invalid training licenses are refused by name.
  const register = (byte, license, purpose = 'Training') =>
    api.tx.modelProvenance.registerModel(file(byte), 'refused', iface, modelTerms(0), [], [{ dataset, license, purpose }]);
  assert.equal(await failureOf(api, register('e1', evalLicense), evaluator), 'modelProvenance.LicenseUseNotAllowed');
  assert.equal(await failureOf(api, register('e2', baseLicense), tuner), 'modelProvenance.NotLicenseHolder');
  const revokedLicense = await buy(tuner, 0);
  await sendAndFinalize(api, api.tx.dataLicensing.revokeLicense(revokedLicense, 'breach of terms'), dataOwner);
  assert.equal(await failureOf(api, register('e3', revokedLicense), tuner), 'modelProvenance.LicenseRevoked');
  assert.equal(await failureOf(api, register('b1', tuneLicense, 'FineTuning'), tuner), 'modelProvenance.DuplicateModelHash');

  // Revoking the base: the fine-tune reports it upstream; before that block it was clean.
  r = await sendAndFinalize(api, api.tx.modelProvenance.revokeModel(base, 'trained on leaked data'), baseOwner);
  const revokedAt = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
  const status = await api.call.provenanceApi.lineageStatus(tuned, null);
  assert.equal(status.type, 'Problems');
  assert.deepEqual(status.asProblems.map((p) => [p.type, p.value.toNumber()]), [['AncestorRevoked', base]]);
  assert.equal((await api.call.provenanceApi.lineageStatus(tuned, revokedAt - 1)).type, 'Clean');
  assert.equal(
    await failureOf(api, api.tx.modelProvenance.registerModel(file('c1'), 'child', iface, modelTerms(0), [{ parent: base, kind: 'QuantizedFrom' }], []), tuner),
    'modelProvenance.ParentRevoked',
  );
});
