// Datasets and licenses with stock polkadot.js: an owner registers, a buyer pays exactly the
// price, validity holds until the expiry block, revocation changes the status.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { CairnNode, waitFor } from '../lib/node.mjs';
import { commitRegistration, sendAndFinalize } from '../lib/tx.mjs';

const nodes = [];
after(async () => Promise.all(nodes.map((n) => n.stop())));

const UNIT = 10n ** 12n;

function eventOf(api, events, check) {
  const found = events.find(({ event }) => check.is(event));
  assert.ok(found, `event ${check.meta.name}`);
  return found.event;
}

function feeOf(api, events) {
  const paid = eventOf(api, events, api.events.transactionPayment.TransactionFeePaid);
  return paid.data.actualFee.toBigInt() + paid.data.tip.toBigInt();
}

const terms = (overrides = {}) => ({
  price: 3n * UNIT,
  duration: 20,
  allowedUses: { training: true, fineTuning: true, evaluation: false, inference: false, commercial: false },
  royaltyBps: 250,
  transferable: true,
  revocable: true,
  maxLicensees: null,
  spdx: 'CC-BY-4.0',
  ...overrides,
});

test('register, purchase, expire and revoke licenses on a running node', { timeout: 180_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', '200'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const owner = keyring.addFromUri('//Ferdie');
  const buyer = keyring.addFromUri('//Bob');
  const account = async (who) => (await api.query.system.account(who.address)).data;

  const contentHash = `0x${'5a'.repeat(32)}`;
  const cid = `0x01551220${'5a'.repeat(32)}`;
  const ownerStart = await account(owner);
  // The registration uses a commitment made a block earlier (its deposit comes back).
  const committed = await commitRegistration(api, owner, 'Dataset', contentHash);
  let r = await sendAndFinalize(
    api,
    api.tx.dataLicensing.registerDataset(contentHash, cid, 'cairn demo corpus', 1_048_576, null, [
      terms(),
      terms({ price: 0n, duration: null, revocable: false, allowedUses: { training: false, fineTuning: false, evaluation: true, inference: false, commercial: false } }),
    ]),
    owner,
  );
  const ownerFees = feeOf(api, committed.events) + feeOf(api, r.events);
  const registered = eventOf(api, r.events, api.events.dataLicensing.DatasetRegistered);
  const dataset = registered.data.dataset.toNumber();
  assert.equal(registered.data.contentHash.toHex(), contentHash);
  const byHash = await api.call.dataLicensingApi.datasetByHash(contentHash);
  assert.equal(byHash.unwrap().toNumber(), dataset);
  const datasetDeposit = api.consts.dataLicensing.datasetDeposit.toBigInt();
  assert.equal((await account(owner)).reserved.toBigInt(), datasetDeposit);

  // Buying pays the owner exactly the price and holds the license deposit.
  const buyerStart = await account(buyer);
  const ownerBefore = await account(owner);
  r = await sendAndFinalize(api, api.tx.dataLicensing.purchaseLicense(dataset, 0, 3n * UNIT), buyer);
  const buyerFees = feeOf(api, r.events);
  const purchased = eventOf(api, r.events, api.events.dataLicensing.LicensePurchased);
  const license = purchased.data.license.toNumber();
  assert.equal(purchased.data.price.toBigInt(), 3n * UNIT);
  const bought = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
  const licenseDeposit = api.consts.dataLicensing.licenseDeposit.toBigInt();
  assert.equal((await account(owner)).free.toBigInt() - ownerBefore.free.toBigInt(), 3n * UNIT);
  assert.equal(buyerStart.free.toBigInt() - (await account(buyer)).free.toBigInt(), 3n * UNIT + licenseDeposit + buyerFees);

  const record = (await api.call.dataLicensingApi.license(license)).unwrap();
  assert.equal(record.expiry.unwrap().toNumber(), bought + 20);
  assert.equal(record.terms.royaltyBps.toNumber(), 250);
  const held = await api.call.dataLicensingApi.licensesOf(buyer.address, null, 10);
  assert.deepEqual(held.map((id) => id.toNumber()), [license]);
  let status = await api.call.dataLicensingApi.licenseStatus(license, bought + 19);
  assert.equal(status.isValid, true);
  status = await api.call.dataLicensingApi.licenseStatus(license, bought + 20);
  assert.equal(status.isExpired, true);

  // A free, perpetual, irrevocable evaluation license, granted by the owner.
  r = await sendAndFinalize(api, api.tx.dataLicensing.grantLicense(dataset, 1, buyer.address), owner);
  const granted = eventOf(api, r.events, api.events.dataLicensing.LicenseGranted).data.license.toNumber();
  const refused = await new Promise((resolve, reject) => {
    api.tx.dataLicensing.revokeLicense(granted, 'no reason').signAndSend(owner, (res) => res.status.isFinalized && resolve(res)).catch(reject);
  });
  const failed = eventOf(api, refused.events, api.events.system.ExtrinsicFailed);
  const meta = api.registry.findMetaError(failed.data.dispatchError.asModule);
  assert.equal(`${meta.section}.${meta.name}`, 'dataLicensing.NotRevocable');

  // Revoking the revocable license changes its status from that block on.
  r = await sendAndFinalize(api, api.tx.dataLicensing.revokeLicense(license, 'redistributed the data'), owner);
  const revokedAt = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
  const revoked = eventOf(api, r.events, api.events.dataLicensing.LicenseRevoked);
  assert.equal(revoked.data.reason.toUtf8(), 'redistributed the data');
  assert.equal((await api.call.dataLicensingApi.licenseStatus(license, revokedAt)).isRevoked, true);
  assert.equal((await api.call.dataLicensingApi.licenseStatus(license, revokedAt - 1)).isValid, true);

  // Anyone may clear it; the deposit goes back to the buyer.
  r = await sendAndFinalize(api, api.tx.dataLicensing.clearLicense(license), owner);
  eventOf(api, r.events, api.events.dataLicensing.LicenseCleared);
  const buyerEnd = await account(buyer);
  assert.equal(buyerEnd.reserved.toBigInt(), buyerStart.reserved.toBigInt(), 'the license deposit came back');
  assert.equal(buyerStart.free.toBigInt() - buyerEnd.free.toBigInt(), 3n * UNIT + buyerFees);
  assert.ok(ownerStart.free.toBigInt() - ownerFees > 0n);
});

test('a license expires exactly at its expiry block on a running chain', { timeout: 120_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', '200'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const owner = keyring.addFromUri('//Ferdie');
  const buyer = keyring.addFromUri('//Charlie');
  await commitRegistration(api, owner, 'Dataset', `0x${'6b'.repeat(32)}`);
  let r = await sendAndFinalize(
    api,
    api.tx.dataLicensing.registerDataset(`0x${'6b'.repeat(32)}`, null, 'short-lived', 1, null, [terms({ duration: 10, price: UNIT })]),
    owner,
  );
  const dataset = eventOf(api, r.events, api.events.dataLicensing.DatasetRegistered).data.dataset;
  r = await sendAndFinalize(api, api.tx.dataLicensing.purchaseLicense(dataset, 0, UNIT), buyer);
  const license = eventOf(api, r.events, api.events.dataLicensing.LicensePurchased).data.license;
  const expiry = (await api.query.dataLicensing.licenses(license)).unwrap().expiry.unwrap().toNumber();
  assert.equal((await api.call.dataLicensingApi.licenseStatus(license, expiry - 1)).isValid, true);
  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() >= expiry, {
    timeoutMs: 30_000,
    what: `block ${expiry}`,
  });
  // Read at the chain's own head, as of the expiry block.
  const atExpiry = await api.at(await api.rpc.chain.getBlockHash(expiry));
  const best = (await atExpiry.query.system.number()).toNumber();
  assert.equal(best, expiry);
  assert.equal((await api.call.dataLicensingApi.licenseStatus(license, expiry)).isExpired, true);
  // A transfer of the expired license is refused.
  const result = await new Promise((resolve, reject) => {
    api.tx.dataLicensing.transferLicense(license, owner.address).signAndSend(buyer, (res) => res.status.isFinalized && resolve(res)).catch(reject);
  });
  const failed = eventOf(api, result.events, api.events.system.ExtrinsicFailed);
  const meta = api.registry.findMetaError(failed.data.dispatchError.asModule);
  assert.equal(`${meta.section}.${meta.name}`, 'dataLicensing.LicenseNotValid');
});
