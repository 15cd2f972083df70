/**
 * Access to the `wasm` backend's linear memory, for the lab's kernels that read and write tensor
 * data directly in it (row copies, native products, perturbations and updates).
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Returns the byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: BackendWasm, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

/** Returns the wasm heap. Read it after any allocation, because growing the memory replaces it. */
export function heapBytes(backend: BackendWasm): Uint8Array {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
}
