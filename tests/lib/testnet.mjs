// A local multi-validator network for the network suite, run by `scripts/testnet.sh`: the script
// starts, kills, restarts and stops the nodes; this reads the layout it writes and talks to the
// nodes over JSON-RPC and polkadot.js.

import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { chainHeads, repoRoot, rpc, tempDir, waitFor } from './node.mjs';

const script = path.join(repoRoot, 'scripts/testnet.sh');

/** Whether TCP `port` on loopback can be listened on now. */
function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Runs `scripts/testnet.sh` with `args`; resolves with its output, rejects when it fails. */
function runScript(args, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`scripts/testnet.sh ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

/** Whether process `pid` exists and is not a zombie (a detached node may never be reaped). */
export function processRuns(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Sleeps `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A network of `validators` validators (Alice, Bob, Charlie, Dave) and `providers` provider nodes
 * (Eve, Ferdie) in a temporary directory, on ports no other process holds.
 */
export class Testnet {
  constructor({ validators = 4, providers = 0 } = {}) {
    this.validators = validators;
    this.providers = providers;
    this.dir = tempDir('cairn-testnet-');
    this.apis = new Map();
  }

  /** Starts every node (detached) and reads the layout; waits for their JSON-RPC. */
  async start() {
    const count = this.validators + this.providers;
    let offset;
    for (let attempt = 0; attempt < 20 && offset === undefined; attempt += 1) {
      const candidate = 1000 + 10 * Math.floor(Math.random() * 2000);
      const ports = [];
      for (let i = 0; i < Math.max(count, 6); i += 1) ports.push(30333 + candidate + i, 9944 + candidate + i, 9615 + candidate + i);
      if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) offset = candidate;
    }
    if (offset === undefined) throw new Error('no free range of ports for the testnet');
    this.startOutput = await runScript([
      'start', '--detach', '--dir', this.dir, '--port-offset', String(offset),
      '--validators', String(this.validators), '--providers', String(this.providers),
    ]);
    const layout = JSON.parse(readFileSync(path.join(this.dir, 'testnet.json'), 'utf8'));
    this.nodes = new Map(layout.nodes.map((n) => [n.name, n]));
    return this;
  }

  /** The names of the nodes, validators first. */
  get names() {
    return [...this.nodes.keys()];
  }

  /** Node `name`'s layout entry. */
  node(name) {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name} in the testnet (${this.names.join(', ')})`);
    return node;
  }

  /** The pid of node `name` (from the script's pid file), or undefined when it is not running. */
  pid(name) {
    try {
      return parseInt(readFileSync(path.join(this.node(name).basePath, 'pid'), 'utf8'), 10);
    } catch {
      return undefined;
    }
  }

  /** A connected `ApiPromise` for node `name` (cached; dropped when the node is killed or stopped). */
  async api(name) {
    if (!this.apis.has(name)) {
      const provider = new WsProvider(`ws://127.0.0.1:${this.node(name).rpcPort}`);
      this.apis.set(name, await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true }));
    }
    return this.apis.get(name);
  }

  async dropApi(name) {
    const api = this.apis.get(name);
    this.apis.delete(name);
    if (api) await api.disconnect().catch(() => {});
  }

  /** One JSON-RPC call to node `name`; throws on an error response. */
  async rpc(name, method, params = []) {
    const response = await rpc(this.node(name).rpcPort, method, params);
    if (response.error) throw new Error(`${name} ${method}: ${JSON.stringify(response.error)}`);
    return response.result;
  }

  /** Best and finalized block numbers of node `name`. */
  heads(name) {
    return chainHeads(this.node(name).rpcPort);
  }

  /** SIGKILLs node `name` (a crash). */
  async kill(name) {
    await this.dropApi(name);
    await runScript(['kill', name, '--dir', this.dir]);
  }

  /** Freezes node `name` (SIGSTOP): it keeps its connections but does nothing until killed. */
  pause(name) {
    process.kill(this.pid(name), 'SIGSTOP');
  }

  /** Starts node `name` again on its base path, with its arguments. */
  async restart(name) {
    await runScript(['restart', name, '--dir', this.dir]);
  }

  /** The log of node `name` so far. */
  log(name) {
    return readFileSync(this.node(name).log, 'utf8');
  }

  /**
   * Waits until every node in `names` has finalized block `atLeast`, then checks that they all
   * have the same hash at the lowest block any of them finalized; returns that block number.
   */
  async agreeOnFinalized(names, { atLeast, timeoutMs = 120_000 }) {
    const heads = await waitFor(
      async () => {
        const all = await Promise.all(names.map((n) => this.heads(n)));
        return all.every((h) => h.finalized >= atLeast) && all;
      },
      { timeoutMs, intervalMs: 1000, what: `${names.join(', ')} to finalize block ${atLeast}` },
    );
    const common = Math.min(...heads.map((h) => h.finalized));
    const hashes = await Promise.all(names.map((n) => this.rpc(n, 'chain_getBlockHash', [common])));
    for (const [i, hash] of hashes.entries()) {
      if (hash !== hashes[0]) {
        throw new Error(`finalized block ${common}: ${names[0]} has ${hashes[0]}, ${names[i]} has ${hash}`);
      }
    }
    return common;
  }

  /** Stops every node with `scripts/testnet.sh stop`. */
  async stop() {
    await Promise.all([...this.apis.keys()].map((n) => this.dropApi(n)));
    await runScript(['stop', '--dir', this.dir]);
  }

  /** Stops every node and deletes the network's directory. */
  async remove() {
    await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
