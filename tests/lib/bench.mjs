// Helpers shared by the benchmark scripts under tests/bench: progress lines, a keep-alive
// JSON-RPC poster, latency summaries, and a send that waits for inclusion.

import http from 'node:http';

/** A progress line on stderr (stdout carries the benchmark's JSON). */
export const log = (...args) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...args);

/**
 * A function posting a JSON-RPC body to `url` over one keep-alive HTTP connection, as curl or
 * Python `requests.Session` use (Node's `fetch` alone adds about a millisecond per call);
 * resolves with the parsed answer.
 */
export function keepAlivePoster(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  return (body) =>
    new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks)));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

/** The `p`-th percentile of ascending `sorted`. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Count, p50, p99 and mean of millisecond `samples`. */
export function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** Signs and sends `tx` (`options` as `signAndSend` takes them); resolves with the block hash
 * and the extrinsic's events once it is in a block. */
export function sendAndWait(api, tx, signer, options = {}) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, options, (result) => {
      if (result.dispatchError) reject(new Error(result.dispatchError.toString()));
      else if (result.status.isInBlock) resolve({ blockHash: result.status.asInBlock, events: result.events });
      else if (result.status.isFinalized) resolve({ blockHash: result.status.asFinalized, events: result.events });
      else if (result.isError) reject(new Error(`transaction failed: ${result.status.type}`));
    }).catch(reject);
  });
}
