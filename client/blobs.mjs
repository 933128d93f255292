// The node's data plane from a client: upload sealed blobs to any node (`blob_put`, within the
// owner's on-chain blob quota, `inference.setBlobQuota`) and read them back from any node
// (`blob_get`, which fetches from the node's peers when it lacks the blob). Nothing of it goes
// through blocks. `provider` is a polkadot.js provider (e.g. the `WsProvider` an `ApiPromise` was
// created with): these methods are the node's own, outside polkadot.js's decorated `api.rpc`.

import { blobHash, bytesToHex, hexToBytes } from './seal.mjs';

/** Domain tag of the message an uploader signs. */
export const PUT_DOMAIN = new TextEncoder().encode('cairn/blob-put/v1');

/** The JSON-RPC error codes of the blob methods. */
export const BlobErrorCode = Object.freeze({
  InvalidParams: -32602,
  TooLarge: -32060,
  OverBudget: -32061,
  OverQuota: -32062,
  BadSignature: -32063,
  NotFound: -32064,
  NodeFailed: -32065,
});

/**
 * The message an upload's owner signs: SCALE of ("cairn/blob-put/v1", genesis hash, blob hash).
 */
export function putPayload(genesisHash, blobHash) {
  const genesis = typeof genesisHash === 'string' ? hexToBytes(genesisHash) : genesisHash;
  const out = new Uint8Array(1 + PUT_DOMAIN.length + 64);
  out[0] = PUT_DOMAIN.length << 2;
  out.set(PUT_DOMAIN, 1);
  out.set(genesis, 1 + PUT_DOMAIN.length);
  out.set(blobHash, 1 + PUT_DOMAIN.length + 32);
  return out;
}

/**
 * Uploads `bytes` as a blob owned by `pair` (an sr25519 keyring pair) on the node behind
 * `provider`, for the chain with `genesisHash`. Resolves with `{ hash, size }`; rejects with the
 * node's error (its `code` is one of BlobErrorCode).
 */
export async function putBlob(provider, genesisHash, pair, bytes) {
  const signature = pair.sign(putPayload(genesisHash, blobHash(bytes)));
  return provider.send('blob_put', [bytesToHex(bytes), bytesToHex(pair.publicKey), bytesToHex(signature)]);
}

/**
 * The blob with `hash` from the node behind `provider` (which asks its peers when it lacks it),
 * checked against its hash here too.
 */
export async function getBlob(provider, hash) {
  const wanted = typeof hash === 'string' ? hash : bytesToHex(hash);
  const { data } = await provider.send('blob_get', [wanted]);
  const bytes = hexToBytes(data);
  if (bytesToHex(blobHash(bytes)) !== wanted) throw new Error(`blob ${wanted}: the node sent bytes of another hash`);
  return bytes;
}
