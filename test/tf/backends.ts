/**
 * Helpers for comparing the `wasm` kernels with the `cpu` backend inside one test file.
 *
 * tf.setBackend is process-global, so each comparison runs the same function once per backend.
 * Inputs travel as typed arrays and results come back as typed arrays, so no tensor made on one
 * backend is ever read by the other (tfjs would silently move its data).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { addonBuildCommand, defaultLinalgAddon, type LinalgAddon } from '../../main/bounds/nativeLinalg.js';
import { initBackend } from '../../main/tf/backend.js';
import { Rng } from '../../main/util/rng.js';

export type ComparedBackend = 'wasm' | 'cpu';

/** Initialises `wasm` with the lab's kernel fixes; later switches keep them registered. */
export async function initWasmWithFixes(): Promise<void> {
  await initBackend('wasm');
}

/** Switches to `backend` and runs `compute` there, inside tf.tidy. */
export async function runOn<T extends tf.TensorContainer>(backend: ComparedBackend, compute: () => T): Promise<T> {
  await tf.setBackend(backend);
  return tf.tidy(compute);
}

/** Values drawn from N(0, 1) with a fixed seed. */
export function normalValues(count: number, ...seed: (string | number)[]): Float32Array {
  const values = new Float32Array(count);
  new Rng('test/tf', ...seed).fillNormal(values);
  return values;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** Returns the largest absolute difference divided by the largest magnitude of `expected`. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let largestDifference = 0;
  let largestMagnitude = 0;
  for (let i = 0; i < expected.length; i++) {
    largestDifference = Math.max(largestDifference, Math.abs(actual[i]! - expected[i]!));
    largestMagnitude = Math.max(largestMagnitude, Math.abs(expected[i]!));
  }
  return largestMagnitude === 0 ? largestDifference : largestDifference / largestMagnitude;
}

/** Asserts equal lengths and a relative error (see `relativeError`) of at most `tolerance`. */
export function assertRelativelyClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: number of values`);
  for (let i = 0; i < actual.length; i++) assert.ok(Number.isFinite(actual[i]), `${label}: value ${i} is ${actual[i]}`);
  const error = relativeError(actual, expected);
  assert.ok(error <= tolerance, `${label}: relative error ${error.toExponential(2)} exceeds ${tolerance}`);
}

/** Live tensors (engine) and live data buffers (backend); kernel temporaries count only in the second. */
export function liveCounts(): { tensors: number; dataBuffers: number } {
  return { tensors: tf.memory().numTensors, dataBuffers: tf.engine().backend.numDataIds() };
}

/** A fused matMul compared across backends: shapes, transpose flags and the activation. */
export interface FusedCase {
  name: string;
  aShape: number[];
  bShape: number[];
  biasShape: number[];
  transposeA: boolean;
  transposeB: boolean;
  activation: tf.fused.Activation;
}

/** Computes `fusedCase` on `backend` from values drawn by its name, with a large bias and PReLU slopes per output column. */
export function fusedProduct(backend: ComparedBackend, fusedCase: FusedCase): Promise<Float32Array> {
  const aValues = normalValues(sizeOf(fusedCase.aShape), fusedCase.name, 'a');
  const bValues = normalValues(sizeOf(fusedCase.bShape), fusedCase.name, 'b');
  // A bias far from zero and different in every column makes a misplaced bias obvious.
  const biasValues = normalValues(sizeOf(fusedCase.biasShape), fusedCase.name, 'bias').map((value) => 10 * value);
  const bRank = fusedCase.bShape.length;
  const columns = fusedCase.transposeB ? fusedCase.bShape[bRank - 2]! : fusedCase.bShape[bRank - 1]!;
  const slopeValues = normalValues(columns, fusedCase.name, 'prelu');
  return runOn(backend, () =>
    tf.fused
      .matMul({
        a: tf.tensor(aValues, fusedCase.aShape),
        b: tf.tensor(bValues, fusedCase.bShape),
        transposeA: fusedCase.transposeA,
        transposeB: fusedCase.transposeB,
        bias: tf.tensor(biasValues, fusedCase.biasShape),
        activation: fusedCase.activation,
        ...(fusedCase.activation === 'prelu' ? { preluActivationWeights: tf.tensor1d(slopeValues) } : {}),
        ...(fusedCase.activation === 'leakyrelu' ? { leakyreluAlpha: 0.1 } : {}),
      })
      .dataSync() as Float32Array,
  );
}

/** Returns false where the native addon loads and has `functionName`, else the reason to skip a test that needs it. */
export function nativeAddonSkip(functionName: keyof LinalgAddon): false | string {
  const load = defaultLinalgAddon();
  if (load.addon === undefined) return `native addon unavailable: ${load.reason}`;
  if (load.addon[functionName] === undefined) return `native addon has no ${functionName}; rebuild it with "${addonBuildCommand}"`;
  return false;
}
