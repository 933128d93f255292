// A balance transfer decodes from metadata alone and changes both balances exactly.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Keyring } from '@polkadot/api';
import { CairnNode } from '../lib/node.mjs';
import { sendAndFinalize } from '../lib/tx.mjs';

const nodes = [];
after(async () => Promise.all(nodes.map((n) => n.stop())));

test('balances.transferKeepAlive moves exactly the amount and charges exactly the fee', { timeout: 90_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', 'instant'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const amount = 12_345_678_901_234n;

  const aliceBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();
  const bobBefore = (await api.query.system.account(bob.address)).data.free.toBigInt();

  const { events, blockHash } = await sendAndFinalize(api, api.tx.balances.transferKeepAlive(bob.address, amount), alice);

  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, 'a balances.Transfer event');
  const [from, to, value] = transfer.event.data;
  assert.equal(from.toString(), alice.address);
  assert.equal(to.toString(), bob.address);
  assert.equal(value.toBigInt(), amount);

  const feePaid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(feePaid, 'a transactionPayment.TransactionFeePaid event');
  const [payer, actualFee, tip] = feePaid.event.data;
  assert.equal(payer.toString(), alice.address);
  const fee = actualFee.toBigInt() + tip.toBigInt();
  assert.ok(fee > 0n);
  assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)));

  const at = await api.at(blockHash);
  const aliceAfter = (await at.query.system.account(alice.address)).data.free.toBigInt();
  const bobAfter = (await at.query.system.account(bob.address)).data.free.toBigInt();
  assert.equal(aliceBefore - aliceAfter, amount + fee);
  assert.equal(bobAfter - bobBefore, amount);
});
