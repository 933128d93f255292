// ONNX models run in a real node's offchain worker through the cairn-inference host functions:
// models imported with `cairn-node model import`, requests through the node probe (offchain
// storage over JSON-RPC), outputs checked exactly (tiny model) and against the onnx package's
// reference outputs (light models); bad input and a node without ONNX Runtime give named errors.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TypeRegistry } from '@polkadot/types';
import { u8aToHex, stringToHex } from '@polkadot/util';
import { sha256AsU8a } from '@polkadot/util-crypto';
import { CairnNode, runToExit, tempDir, waitFor } from '../lib/node.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = process.env.CAIRN_CACHE ?? path.join(os.homedir(), '.cache/cairn');
const library = process.env.ORT_DYLIB_PATH ?? path.join(cache, 'onnxruntime/1.31.1-cpu/libonnxruntime.so.1.31.1');
const testModels = process.env.CAIRN_TEST_MODELS ?? path.join(cache, 'onnx-models/1.23.2');
const tinyModel = path.join(repoRoot, 'offchain-workers/models/tiny_affine.onnx');

const REQUEST_KEY = stringToHex('cairn::inference::probe::request');
const RESPONSE_KEY = stringToHex('cairn::inference::probe::response');

// The probe's SCALE types (pallets/inference/src/probe.rs, offchain-workers/src/types.rs).
const registry = new TypeRegistry();
registry.register({
  CairnElementType: { _enum: ['F32', 'F16', 'I64', 'I32', 'U8', 'Bool'] },
  CairnTensor: { name: 'Bytes', elementType: 'CairnElementType', shape: 'Vec<u64>', data: 'Bytes' },
  CairnTensorSet: { tensors: 'Vec<CairnTensor>' },
  CairnExecutionProvider: { _enum: ['Cpu', 'Cuda', 'TensorRt', 'Rocm', 'MiGraphX', 'OpenVino', 'DirectMl', 'CoreMl'] },
  CairnInferenceError: {
    _enum: [
      'NoInferenceContext', 'RuntimeUnavailable', 'UnknownModel', 'ModelHashMismatch', 'ModelTooLarge',
      'InvalidModel', 'MalformedTensor', 'InputTooLarge', 'UnknownInput', 'MissingInput',
      'InputTypeMismatch', 'InputShapeMismatch', 'UnsupportedModelIo', 'OutputTooLarge', 'TimedOut',
      'ExecutionFailed', 'StoreUnavailable', 'ExecutionProviderUnavailable', 'NoSuchSegment',
    ],
  },
  CairnInferenceOutput: {
    outputs: 'CairnTensorSet',
    outputHash: '[u8; 32]',
    executionProvider: 'CairnExecutionProvider',
    runtimeVersion: 'Bytes',
    elapsedMicros: 'u64',
  },
  CairnCapabilities: {
    available: 'bool',
    runtimeVersion: 'Bytes',
    executionProviders: 'Vec<CairnExecutionProvider>',
    models: 'Vec<[u8; 32]>',
  },
  CairnProbeRequest: {
    _enum: {
      Capabilities: { id: 'u64' },
      Run: { id: 'u64', model: '[u8; 32]', input: 'CairnTensorSet' },
    },
  },
  CairnProbeAnswer: {
    _enum: {
      Capabilities: 'Result<CairnCapabilities, CairnInferenceError>',
      Run: 'Result<CairnInferenceOutput, CairnInferenceError>',
      MalformedRequest: 'Null',
    },
  },
  CairnProbeResponse: { id: 'u64', answer: 'CairnProbeAnswer' },
});

/** A float32 tensor; `values` is a Float32Array. (Bytes take hex: a Uint8Array would be read as
 * already SCALE-encoded, length prefix included.) */
function f32Tensor(name, shape, values) {
  return { name: stringToHex(name), elementType: 'F32', shape, data: u8aToHex(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)) };
}

/** The input the onnx backend tests feed the light models: arange(n) / n in float32. */
function lightInput(name) {
  const shape = [1, 3, 224, 224];
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = i / count;
  return { tensors: [f32Tensor(name, shape, values)] };
}

function floats(tensor) {
  const bytes = tensor.data.toU8a(true);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Reads the dims and float data of an ONNX TensorProto (`<model>_output_0.pb`). */
function readTensorProto(file) {
  const bytes = readFileSync(file);
  let offset = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  };
  const dims = [];
  let raw;
  while (offset < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) {
      const value = varint();
      if (field === 1) dims.push(Number(value));
    } else if (wire === 2) {
      const length = Number(varint());
      if (field === 9) raw = bytes.subarray(offset, offset + length);
      offset += length;
    } else if (wire === 5) offset += 4;
    else if (wire === 1) offset += 8;
    else throw new Error(`unexpected wire type ${wire}`);
  }
  return { dims, values: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
}

let node;
let api;
let store;
const hashes = {};
let nextId = 1;

/** Leaves a probe request and waits for the offchain worker's response to it. */
async function probe(request) {
  const id = nextId++;
  const body = 'Capabilities' in request ? { Capabilities: { id } } : { Run: { id, ...request.Run } };
  const encoded = registry.createType('CairnProbeRequest', body).toU8a();
  return probeRaw(encoded, id);
}

/** Leaves encoded request bytes with the node behind `onApi` and waits for response `id`. */
async function probeRaw(encoded, id, onApi = api) {
  await onApi.rpc.offchain.localStorageSet('PERSISTENT', REQUEST_KEY, u8aToHex(encoded));
  return waitFor(
    async () => {
      const stored = await onApi.rpc.offchain.localStorageGet('PERSISTENT', RESPONSE_KEY);
      if (stored.isNone) return undefined;
      const response = registry.createType('CairnProbeResponse', stored.unwrap());
      return response.id.toNumber() === id ? response.answer : undefined;
    },
    { timeoutMs: 60_000, what: `probe response ${id}` },
  );
}

function runOutput(answer) {
  assert.ok(answer.isRun, `a run answer, got ${answer.type}`);
  assert.ok(answer.asRun.isOk, `run failed: ${answer.asRun.isErr ? answer.asRun.asErr.type : ''}`);
  return answer.asRun.asOk;
}

function runError(answer) {
  assert.ok(answer.isRun && answer.asRun.isErr, `a run error, got ${answer.toString()}`);
  return answer.asRun.asErr.type;
}

after(async () => {
  await node?.stop();
});

before(async () => {
  store = tempDir('cairn-models-');
  for (const [name, file] of [
    ['tiny', tinyModel],
    ['squeezenet', path.join(testModels, 'light_squeezenet.onnx')],
    ['resnet50', path.join(testModels, 'light_resnet50.onnx')],
  ]) {
    const { code, output } = await runToExit(['model', 'import', file, '--model-store', store, '--onnxruntime-lib', library]);
    assert.equal(code, 0, output);
    const imported = output.match(/imported (0x[0-9a-f]{64})/);
    assert.ok(imported, output);
    hashes[name] = imported[1];
  }
  node = await new CairnNode({
    args: ['--dev', '--sealing', '500', '--rpc-methods', 'unsafe', '--model-store', store, '--onnxruntime-lib', library, '--inference-threads', '2'],
  }).start();
  api = await node.api();
});

test('model import prints the hash and io spec; list shows the store', async () => {
  assert.equal(hashes.tiny, `0x${Buffer.from(sha256AsU8a(readFileSync(tinyModel))).toString('hex')}`);
  const { code, output } = await runToExit(['model', 'import', tinyModel, '--model-store', store, '--onnxruntime-lib', library]);
  assert.equal(code, 0, output);
  assert.match(output, /input {4}x: f32 \[\?, 4\]/);
  assert.match(output, /output {3}y: f32 \[\?, 3\]/);
  const list = await runToExit(['model', 'list', '--model-store', store, '--onnxruntime-lib', library]);
  assert.equal(list.code, 0, list.output);
  assert.match(list.output, /3 model\(s\)/);
  for (const hash of Object.values(hashes)) assert.ok(list.output.includes(hash), `${hash} listed`);
});

test('model import refuses a corrupt file and a missing one with clear errors', async () => {
  const corrupt = path.join(tempDir('cairn-bad-model-'), 'corrupt.onnx');
  writeFileSync(corrupt, Buffer.from('this is not an ONNX model'));
  const refused = await runToExit(['model', 'import', corrupt, '--model-store', store, '--onnxruntime-lib', library]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.output, /was refused \(InvalidModel\)/);
  const missing = await runToExit(['model', 'import', '/nonexistent/model.onnx', '--model-store', store]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.output, /cannot read \/nonexistent\/model.onnx/);
});

test('the offchain worker reports capabilities from the node engine', async () => {
  const answer = await probe({ Capabilities: {} });
  assert.ok(answer.isCapabilities && answer.asCapabilities.isOk, answer.toString());
  const capabilities = answer.asCapabilities.asOk;
  assert.equal(capabilities.available.isTrue, true);
  assert.equal(capabilities.runtimeVersion.toUtf8(), '1.31.1');
  assert.deepEqual(capabilities.executionProviders.map((p) => p.type), ['Cpu']);
  const listed = capabilities.models.map((m) => m.toHex());
  for (const hash of Object.values(hashes)) assert.ok(listed.includes(hash), `${hash} in capabilities`);
});

test('the tiny model runs in the offchain worker with exact, hashed outputs', async () => {
  const input = { tensors: [f32Tensor('x', [2, 4], new Float32Array([1, 2, 3, 4, 0, 0, 0, 0]))] };
  const output = runOutput(await probe({ Run: { model: hashes.tiny, input } }));
  const y = output.outputs.tensors[0];
  assert.equal(y.name.toUtf8(), 'y');
  assert.deepEqual(y.shape.map((d) => d.toNumber()), [2, 3]);
  assert.deepEqual([...floats(y)], [27, -7.5, 11.5, 1, 0.5, 0]);
  assert.equal(output.executionProvider.type, 'Cpu');
  assert.equal(output.runtimeVersion.toUtf8(), '1.31.1');
  assert.equal(output.outputHash.toHex(), u8aToHex(sha256AsU8a(output.outputs.toU8a())));
  // The same input gives the same output hash.
  const again = runOutput(await probe({ Run: { model: hashes.tiny, input } }));
  assert.equal(again.outputHash.toHex(), output.outputHash.toHex());
});

test('light models run in the offchain worker and match their reference outputs', async () => {
  for (const [name, model, inputName] of [
    ['light_squeezenet', hashes.squeezenet, 'data_0'],
    ['light_resnet50', hashes.resnet50, 'gpu_0/data_0'],
  ]) {
    const output = runOutput(await probe({ Run: { model, input: lightInput(inputName) } }));
    const reference = readTensorProto(path.join(testModels, `${name}_output_0.pb`));
    const tensor = output.outputs.tensors[0];
    assert.deepEqual(tensor.shape.map((d) => d.toNumber()), reference.dims, `${name} shape`);
    const values = floats(tensor);
    assert.equal(values.length, reference.values.length);
    for (let i = 0; i < values.length; i++) {
      const tolerance = 1e-6 + 1e-3 * Math.max(Math.abs(values[i]), Math.abs(reference.values[i]));
      assert.ok(Math.abs(values[i] - reference.values[i]) <= tolerance, `${name}[${i}]: ${values[i]} vs ${reference.values[i]}`);
    }
  }
});

test('bad probe requests get named errors and the node keeps producing blocks', async () => {
  const x = (shape, values) => ({ tensors: [f32Tensor('x', shape, new Float32Array(values))] });
  assert.equal(runError(await probe({ Run: { model: `0x${'11'.repeat(32)}`, input: x([1, 4], [1, 2, 3, 4]) } })), 'UnknownModel');
  assert.equal(runError(await probe({ Run: { model: hashes.tiny, input: x([1, 5], [1, 2, 3, 4, 5]) } })), 'InputShapeMismatch');
  const wrongName = { tensors: [f32Tensor('input', [1, 4], new Float32Array([1, 2, 3, 4]))] };
  assert.equal(runError(await probe({ Run: { model: hashes.tiny, input: wrongName } })), 'UnknownInput');
  const i64 = { tensors: [{ name: stringToHex('x'), elementType: 'I64', shape: [1, 4], data: u8aToHex(new Uint8Array(32)) }] };
  assert.equal(runError(await probe({ Run: { model: hashes.tiny, input: i64 } })), 'InputTypeMismatch');
  const badLength = { tensors: [{ name: stringToHex('x'), elementType: 'F32', shape: [1, 4], data: u8aToHex(new Uint8Array(3)) }] };
  assert.equal(runError(await probe({ Run: { model: hashes.tiny, input: badLength } })), 'MalformedTensor');
  const malformed = await probeRaw(new Uint8Array([9, 9, 9]), 0);
  assert.ok(malformed.isMalformedRequest, malformed.toString());

  const before = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() > before + 1, { what: 'blocks after bad requests' });
});

test('a node without ONNX Runtime runs and reports inference as unavailable', async () => {
  const plain = await new CairnNode({
    args: ['--dev', '--sealing', '500', '--rpc-methods', 'unsafe', '--model-store', store],
    env: { ORT_DYLIB_PATH: undefined },
  }).start();
  try {
    const plainApi = await plain.api();
    const id = 4242;
    const encoded = registry.createType('CairnProbeRequest', { Capabilities: { id } }).toU8a();
    const answer = await probeRaw(encoded, id, plainApi);
    const capabilities = answer.asCapabilities.asOk;
    assert.equal(capabilities.available.isTrue, false);
    assert.equal(capabilities.models.length, 3);
    assert.match(plain.output, /inference unavailable on this node: no ONNX Runtime library configured/);
    const height = (await plainApi.rpc.chain.getHeader()).number.toNumber();
    assert.ok(height > 0, 'blocks produced');
  } finally {
    await plain.stop();
  }
});
