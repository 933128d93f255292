// Decoding and encoding helpers of the example agent that need only the API's metadata, so that
// any client (the end-to-end suite re-exports them from tests/lib) reads Cairn's types one way.
// Decoding a tensor set and naming a dispatch error are the client library's (client/jobs.mjs).

export { decodeTensorSet, dispatchErrorName } from '../../client/jobs.mjs';

/** A tensor set with one f32 tensor `name` of `shape` holding `values`. */
export function f32Tensors(name, shape, values) {
  const data = Buffer.from(new Float32Array(values).buffer);
  return { tensors: [{ name, elementType: 'F32', shape, data: `0x${data.toString('hex')}` }] };
}

/** The f32 values of tensor `name` in a decoded tensor set (throws when it has none). */
export function f32Values(set, name) {
  const tensor = set.tensors.find((t) => t.name.toUtf8() === name);
  if (!tensor) throw new Error(`the tensor set has no tensor ${name}`);
  const bytes = tensor.data.toU8a(true);
  return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
}
