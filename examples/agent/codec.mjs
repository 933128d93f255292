// Decoding and encoding helpers of the example agent that need only the API's metadata, so that
// any client (the end-to-end suite re-exports them from tests/lib) reads Cairn's types one way.

/** The name of a dispatch error: `pallet.Error` for a module error, else its text. */
export function dispatchErrorName(api, error) {
  if (!error.isModule) return error.toString();
  const meta = api.registry.findMetaError(error.asModule);
  return `${meta.section}.${meta.name}`;
}

/** A tensor set with one f32 tensor `name` of `shape` holding `values`. */
export function f32Tensors(name, shape, values) {
  const data = Buffer.from(new Float32Array(values).buffer);
  return { tensors: [{ name, elementType: 'F32', shape, data: `0x${data.toString('hex')}` }] };
}

/** Decodes SCALE-encoded tensor-set bytes (a receipt's outputs) with the metadata's own type. */
export function decodeTensorSet(api, bytes) {
  const entry = api.registry.lookup.types.find((t) => t.type.path.map(String).join('::') === 'cairn_inference::types::TensorSet');
  if (!entry) throw new Error('the metadata has no cairn_inference::types::TensorSet');
  return api.createType(api.registry.createLookupType(entry.id), bytes);
}

/** The f32 values of tensor `name` in a decoded tensor set (throws when it has none). */
export function f32Values(set, name) {
  const tensor = set.tensors.find((t) => t.name.toUtf8() === name);
  if (!tensor) throw new Error(`the tensor set has no tensor ${name}`);
  const bytes = tensor.data.toU8a(true);
  return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
}
