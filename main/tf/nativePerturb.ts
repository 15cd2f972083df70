/**
 * The sigma searches' perturbation, original + scale * N(0, 1) for every parameter entry, as one
 * `wasm` kernel on the native addon's `perturbGaussian`.
 *
 * In JavaScript the normal draws cost about 20 ns each. One perturbation of every parameter of
 * quick.json's FCN (664,000 entries) took 18 ms on the 2-core development machine, and the kernel,
 * which draws and adds in one pass over the wasm heap, takes 7 ms. Its values equal those of the JavaScript
 * path bit for bit (test/measures/nativePerturb.test.ts), because the addon runs the same
 * generator and rounds every operation to float32 as TensorFlow.js does.
 * NOTE: the rare rejection step uses the C library's exp and log in place of V8's. A draw can
 * differ only where the two differ in the last bit at an acceptance threshold or at a float32
 * rounding boundary; no test has found such a draw.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { defaultLinalgAddon, type LinalgAddon } from '../bounds/nativeLinalg.js';
import { heapBytes, heapOffset } from './wasmHeap.js';

/** The kernel's name; it is registered on `wasm` only, and only where the addon has the function. */
export const perturbKernelName = 'FragilityLabPerturbGaussian';

export type PerturbFunction = NonNullable<LinalgAddon['perturbGaussian']>;

/** A noise stream that can drive the addon's `perturbGaussian` (GaussianStream of main/measures/noise.ts). */
export interface NativeNoiseSource {
  perturbInto(perturb: PerturbFunction, heap: Uint8Array, outOffset: number, originalOffset: number, scalesOffset: number, scale: number, count: number): void;
}

/** Attributes of the kernel: the scale where there is no `scales` input, and the noise stream. */
export interface PerturbAttrs {
  scale: number;
  stream: NativeNoiseSource;
}

function makePerturbKernel(perturb: PerturbFunction): tf.KernelConfig['kernelFunc'] {
  return (args) => {
    const { original, scales } = args.inputs as { original: tf.TensorInfo; scales?: tf.TensorInfo };
    const { scale, stream } = args.attrs as unknown as PerturbAttrs;
    const scalesMatch = scales === undefined || (scales.dtype === 'float32' && tf.util.arraysEqual(scales.shape, original.shape));
    if (original.dtype !== 'float32' || !scalesMatch) {
      const scalesText = scales === undefined ? 'a scalar scale' : `scales of ${scales.dtype} [${scales.shape.join(', ')}]`;
      throw new Error(`${perturbKernelName} needs a float32 original and float32 scales of its shape, but got ${original.dtype} [${original.shape.join(', ')}] and ${scalesText}`);
    }
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(original.shape, 'float32');
    const count = tf.util.sizeFromShape(original.shape);
    if (count === 0) return out;
    // The heap is read after makeOutput, whose allocation may grow (and so replace) the memory.
    const heap = heapBytes(backend);
    stream.perturbInto(perturb, heap, heapOffset(backend, out), heapOffset(backend, original), scales === undefined ? -1 : heapOffset(backend, scales), scale, count);
    return out;
  };
}

/** Registers the kernel on `wasm` where the addon loads and has `perturbGaussian`; returns whether it did. */
export function registerNativePerturb(addon: LinalgAddon | undefined = defaultLinalgAddon().addon): boolean {
  if (addon?.perturbGaussian === undefined) return false;
  if (tf.getKernel(perturbKernelName, 'wasm') !== undefined) return true;
  tf.registerKernel({ kernelName: perturbKernelName, backendName: 'wasm', kernelFunc: makePerturbKernel(addon.perturbGaussian.bind(addon)) });
  return true;
}

/** Returns whether the active backend has the kernel. */
export function hasNativePerturb(): boolean {
  return tf.getKernel(perturbKernelName, tf.getBackend()) !== undefined;
}

/**
 * Returns original + scale * z (or scales * z) as a new float32 tensor, z drawn from `stream`.
 * Call it only where `hasNativePerturb()` is true.
 */
export function perturbNatively(original: tf.Tensor, scales: number | tf.Tensor, stream: NativeNoiseSource): tf.Tensor {
  const inputs: tf.NamedTensorMap = typeof scales === 'number' ? { original } : { original, scales };
  const attrs: PerturbAttrs = { scale: typeof scales === 'number' ? scales : 0, stream };
  return tf.engine().runKernel(perturbKernelName, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
