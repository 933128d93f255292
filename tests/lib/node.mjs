// Starts and stops real cairn-node processes for the end-to-end tests.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The node binary: $CAIRN_NODE_BIN, else the release build in the shared target directory. */
export const nodeBinary =
  process.env.CAIRN_NODE_BIN ??
  path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/cairn/target'), 'release/cairn-node');

/** A TCP port that was free a moment ago. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** This process's environment with `overrides` applied (`undefined` removes a variable). */
function processEnv(overrides) {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** A new temporary directory, for a node's base path. */
export function tempDir(prefix = 'cairn-e2e-') {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Sends one JSON-RPC request over HTTP. */
export async function rpc(port, method, params = []) {
  const response = await fetch(`http://127.0.0.1:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return response.json();
}

/**
 * Waits until `predicate()` is truthy, polling every `intervalMs`; throws after `timeoutMs`, or
 * as soon as `giveUp()` returns true.
 */
export async function waitFor(predicate, { timeoutMs = 60_000, intervalMs = 250, what = 'condition', giveUp = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline && !giveUp()) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

/**
 * Runs `cairn-node` with `args` until it exits; resolves with its exit code and output.
 * For commands that are expected to stop by themselves (bad flags, subcommands).
 */
export function runToExit(args, { timeoutMs = 60_000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: processEnv(env) });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn-node ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** The libp2p peer id of a network key (64 hex digits), as `cairn-node key inspect-node-key` says. */
export async function peerIdOf(nodeKey) {
  const keyFile = path.join(tempDir('cairn-node-key-'), 'node-key');
  writeFileSync(keyFile, nodeKey);
  const inspected = await runToExit(['key', 'inspect-node-key', '--file', keyFile]);
  rmSync(path.dirname(keyFile), { recursive: true, force: true });
  if (inspected.code !== 0) throw new Error(`inspect-node-key failed:\n${inspected.output}`);
  return inspected.output.trim().split('\n').pop().trim();
}

/**
 * A running cairn-node on free ports. `start()` waits for RPC readiness; `stop()` ends the process
 * (and removes its temporary base path unless `keepBasePath`).
 */
export class CairnNode {
  /**
   * `env`: variables to set for the process (a value of `undefined` removes the variable).
   */
  constructor({ args = ['--dev'], basePath, keepBasePath = false, env = {} } = {}) {
    this.extraArgs = args;
    this.env = env;
    this.basePath = basePath ?? tempDir();
    this.ownsBasePath = !basePath && !keepBasePath;
    this.output = '';
  }

  async start({ readyTimeoutMs = 120_000 } = {}) {
    this.rpcPort = await freePort();
    this.p2pPort = await freePort();
    this.prometheusPort = await freePort();
    const args = [
      ...this.extraArgs,
      '--base-path', this.basePath,
      '--rpc-port', String(this.rpcPort),
      '--port', String(this.p2pPort),
      '--prometheus-port', String(this.prometheusPort),
      '--no-mdns',
      '--no-telemetry',
    ];
    this.child = spawn(nodeBinary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: processEnv(this.env) });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    const capture = (d) => {
      this.output += d;
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    };
    this.child.stdout.on('data', capture);
    this.child.stderr.on('data', capture);
    try {
      await waitFor(async () => (await rpc(this.rpcPort, 'system_health')).result !== undefined, {
        timeoutMs: readyTimeoutMs,
        what: 'JSON-RPC readiness',
        giveUp: () => !this.running,
      });
    } catch (error) {
      if (!this.running) {
        const { code, signal } = await this.exited;
        throw new Error(`cairn-node exited during start-up (code ${code}, signal ${signal}):\n${this.output.slice(-4000)}`);
      }
      throw error;
    }
    return this;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.rpcPort}`;
  }

  /** A connected `ApiPromise` (disconnected by `stop()`). */
  async api() {
    this.apiInstance = await ApiPromise.create({ provider: new WsProvider(this.wsUrl), noInitWarn: true, throwOnConnect: true });
    return this.apiInstance;
  }

  /** True while the process runs. */
  get running() {
    return this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop() {
    if (this.apiInstance) {
      await this.apiInstance.disconnect().catch(() => {});
      this.apiInstance = undefined;
    }
    if (this.running) {
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsBasePath) rmSync(this.basePath, { recursive: true, force: true });
  }
}

/** Best and finalized block numbers, read over JSON-RPC. */
export async function chainHeads(port) {
  const best = await rpc(port, 'chain_getHeader');
  const finalizedHash = await rpc(port, 'chain_getFinalizedHead');
  const finalized = await rpc(port, 'chain_getHeader', [finalizedHash.result]);
  return { best: parseInt(best.result.number, 16), finalized: parseInt(finalized.result.number, 16) };
}

export { repoRoot };
