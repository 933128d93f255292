// Every pallet, call, event, error and storage item in the metadata is documented.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CairnNode } from '../lib/node.mjs';

const nodes = [];
after(async () => Promise.all(nodes.map((n) => n.stop())));

// polkadot-sdk's own pallets have no module-level docs (their `pub mod pallet` carries none), so
// their metadata `docs` field is empty; everything inside them is documented. Any other pallet,
// Cairn's included, must document itself.
const UPSTREAM_WITHOUT_MODULE_DOCS = new Set(['System', 'Timestamp', 'Aura', 'Grandpa', 'Balances', 'TransactionPayment', 'Sudo']);
// The two storage items of pallet-transaction-payment 50 that carry no docs upstream.
const UPSTREAM_UNDOCUMENTED_ITEMS = new Set([
  'storage TransactionPayment.NextFeeMultiplier',
  'storage TransactionPayment.StorageVersion',
]);

const documented = (docs) => docs.map((d) => d.toString()).join('').trim().length > 0;

test('metadata documents every pallet, call, event, error and storage item', { timeout: 60_000 }, async () => {
  const node = new CairnNode({ args: ['--dev', '--sealing', 'instant'] });
  nodes.push(node);
  await node.start();
  const api = await node.api();
  const metadata = api.runtimeMetadata;
  assert.ok(metadata.version >= 15, `metadata v${metadata.version}`);
  const latest = metadata.asLatest;
  const missing = [];
  let items = 0;

  const variantsOf = (typeId) => api.registry.lookup.getSiType(typeId).def.asVariant.variants;
  for (const pallet of latest.pallets) {
    const name = pallet.name.toString();
    items += 1;
    if (!documented(pallet.docs) && !UPSTREAM_WITHOUT_MODULE_DOCS.has(name)) missing.push(`pallet ${name}`);
    for (const [kind, field] of [['call', 'calls'], ['event', 'events'], ['error', 'errors']]) {
      if (pallet[field].isNone) continue;
      for (const variant of variantsOf(pallet[field].unwrap().type)) {
        items += 1;
        if (!documented(variant.docs)) missing.push(`${kind} ${name}.${variant.name}`);
      }
    }
    if (pallet.storage.isSome) {
      for (const entry of pallet.storage.unwrap().items) {
        items += 1;
        if (!documented(entry.docs)) missing.push(`storage ${name}.${entry.name}`);
      }
    }
  }
  assert.ok(items > 50, `only ${items} items found`);
  const names = latest.pallets.map((p) => p.name.toString());
  for (const pallet of ['ComputeRegistry', 'DataLicensing', 'Inference']) assert.ok(names.includes(pallet), names.join(', '));
  const ours = missing.filter((item) => !UPSTREAM_UNDOCUMENTED_ITEMS.has(item));
  assert.deepEqual(ours, [], `undocumented: ${ours.join(', ')}`);
});
