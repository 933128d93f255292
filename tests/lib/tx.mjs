// Transaction helpers for the end-to-end tests.

import { compactToU8a, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import { dispatchErrorName } from '../../examples/agent/codec.mjs';

export { dispatchErrorName };

/** The events of blocks `from + 1 ..= to`, in order, each with its block number. */
export async function eventsOfBlocks(api, from, to) {
  const all = [];
  for (let number = from + 1; number <= to; number += 1) {
    const hash = await api.rpc.chain.getBlockHash(number);
    for (const { event } of await (await api.at(hash)).query.system.events()) all.push({ event, block: number });
  }
  return all;
}

/** The transaction fees (with tips) `address` paid according to `events`. */
export function feesPaid(api, events, address) {
  return events
    .filter(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event) && event.data.who.toString() === address)
    .reduce((sum, { event }) => sum + event.data.actualFee.toBigInt() + event.data.tip.toBigInt(), 0n);
}

/** Signs and sends `tx`, resolving with the events of its block once it is finalized. */
export function sendAndFinalize(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, (result) => {
      if (result.dispatchError) {
        reject(new Error(`dispatch failed: ${dispatchErrorName(api, result.dispatchError)}`));
      } else if (result.status.isFinalized) {
        resolve({ events: result.events, blockHash: result.status.asFinalized });
      } else if (result.isError) {
        reject(new Error(`transaction failed: ${result.status.type}`));
      }
    }).catch(reject);
  });
}

/** The kinds of registration commitment (`RegistrationKind`), by their SCALE index. */
const REGISTRATION_KINDS = { Dataset: 0, Model: 1 };

/**
 * The digest `address` commits to before registering content `hash` (hex) as `kind` ('Dataset'
 * or 'Model'): BLAKE2-256 of SCALE `("cairn/register/v1", kind, account, hash)`.
 */
export function registrationDigest(kind, address, hash) {
  const domain = stringToU8a('cairn/register/v1');
  return u8aToHex(
    blake2AsU8a(
      u8aConcat(compactToU8a(domain.length), domain, [REGISTRATION_KINDS[kind]], decodeAddress(address), hexToU8a(hash)),
      256,
    ),
  );
}

/**
 * Commits `signer` to registering content `hash` as `kind` and waits until the commitment is
 * finalized, so that a registration sent next lands in a later block, as the chain requires.
 * Resolves with the commitment's block events and its digest.
 */
export async function commitRegistration(api, signer, kind, hash) {
  const digest = registrationDigest(kind, signer.address, hash);
  const result = await sendAndFinalize(api, api.tx.dataLicensing.commitRegistration(digest), signer);
  return { ...result, digest };
}
