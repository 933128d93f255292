// Transaction helpers for the end-to-end tests.

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
