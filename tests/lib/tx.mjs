// Transaction helpers for the end-to-end tests.

/** Signs and sends `tx`, resolving with the events of its block once it is finalized. */
export function sendAndFinalize(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, (result) => {
      if (result.dispatchError) {
        let message = result.dispatchError.toString();
        if (result.dispatchError.isModule) {
          const meta = api.registry.findMetaError(result.dispatchError.asModule);
          message = `${meta.section}.${meta.name}`;
        }
        reject(new Error(`dispatch failed: ${message}`));
      } else if (result.status.isFinalized) {
        resolve({ events: result.events, blockHash: result.status.asFinalized });
      } else if (result.isError) {
        reject(new Error(`transaction failed: ${result.status.type}`));
      }
    }).catch(reject);
  });
}
