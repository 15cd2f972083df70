// The sigma searches' native perturbation kernel (main/tf/nativePerturb.ts) against the
// JavaScript path: the same float32 bits, the same noise stream afterwards, the same searches.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { defaultLinalgAddon } from '../../main/bounds/nativeLinalg.js';
import { nativeAddonSkip } from '../tf/backends.js';
import { GaussianStream } from '../../main/measures/noise.js';
import { ParameterPerturbation, searchSigma } from '../../main/measures/sigmaSearch.js';
import { TrainingBatches } from '../../main/measures/forward.js';
import { buildModel } from '../../main/models/build.js';
import { initBackend } from '../../main/tf/backend.js';
import { hasNativePerturb, perturbKernelName, perturbNatively, registerNativePerturb } from '../../main/tf/nativePerturb.js';
import { Rng } from '../../main/util/rng.js';

const load = defaultLinalgAddon();
const perturbGaussian = load.addon?.perturbGaussian;
const nativeSkip = nativeAddonSkip('perturbGaussian');

before(async () => {
  await initBackend('wasm');
});

function streamFor(...seed: (string | number)[]): GaussianStream {
  return new GaussianStream(new Rng('test/nativePerturb', ...seed));
}

/** Runs `compute` with the native kernel unregistered, then registers it again. */
function withoutNativeKernel<T>(compute: () => T): T {
  tf.unregisterKernel(perturbKernelName, 'wasm');
  try {
    return compute();
  } finally {
    registerNativePerturb();
  }
}

/** Returns the next 1,000 draws of `stream`. */
function nextDraws(stream: GaussianStream): number[] {
  const draws = new Float32Array(1000);
  stream.fill(draws);
  return Array.from(draws);
}

/** Returns the float32 bits of a tensor, for exact comparison. */
function bitsOf(tensor: tf.Tensor): number[] {
  return Array.from(new Uint32Array((tensor.dataSync() as Float32Array).slice().buffer));
}

test('native kernel is registered on wasm', { skip: nativeSkip }, () => {
  assert.equal(hasNativePerturb(), true);
});

for (const scaleKind of ['scalar', 'per entry'] as const) {
  test(`native perturbation equals tfjs: ${scaleKind} scale`, { skip: nativeSkip }, () => {
    // 300,000 entries include thousands of draws that need the rejection step.
    const shape = [600, 500];
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 500, inputShape: [600], useBias: false })] });
    const perturbation = new ParameterPerturbation(model);
    const scales = scaleKind === 'scalar' ? [0.37] : [tf.abs(tf.randomNormal(shape, 0, 0.5, 'float32', 4))];
    const results: { bits: number[]; nextDraws: number[] }[] = [];
    for (const native of [true, false]) {
      const stream = streamFor('perturb', scaleKind);
      perturbation.perturb(scales, stream, native);
      results.push({ bits: bitsOf(model.weights[0]!.read()), nextDraws: nextDraws(stream) });
      perturbation.restore();
    }
    assert.equal(results[0]!.bits.length, 300_000);
    const firstDifference = results[0]!.bits.findIndex((bits, index) => bits !== results[1]!.bits[index]);
    assert.equal(firstDifference, -1, `entry ${firstDifference} differs`);
    assert.deepEqual(results[0]!.nextDraws, results[1]!.nextDraws, 'the streams continue alike');
    perturbation.dispose();
    tf.dispose(scales.filter((scale): scale is tf.Tensor => typeof scale !== 'number'));
    model.dispose();
  });
}

test('sigma search identical with native kernel', { skip: nativeSkip }, async () => {
  const model = buildModel({ kind: 'fcn', hiddenWidths: [64, 32], weightVariance: 2, biasStd: 0.1 }, [28, 28, 1], 1, 3);
  const x = tf.randomNormal([200, 28, 28, 1], 0, 1, 'float32', 5);
  const y = Int32Array.from({ length: 200 }, (_, index) => index % 2);
  const data = new TrainingBatches(x, y);
  const settings = { kind: 'magnitude' as const, convention: 'stated' as const, magnitudeEpsilon: 1e-3 };
  const native = await searchSigma(model, data, 'binary', 0.9, settings, 11);
  const javascript = await withoutNativeKernel(() => searchSigma(model, data, 'binary', 0.9, settings, 11));
  assert.deepEqual(native, javascript);
  data.dispose();
  x.dispose();
  model.dispose();
});

test('perturbGaussian rejects bad arguments', { skip: nativeSkip }, () => {
  const memory = new ArrayBuffer(4096);
  const state = new Int32Array([1, 2, 3, 4]);
  const tables = new Float64Array(258);
  const call = (...args: unknown[]) => () => (perturbGaussian as (...values: unknown[]) => void)(...args);
  assert.throws(call(memory, 0, 1024, -1, 1, 600, state, tables), /out overlaps original/);
  assert.throws(call(memory, 0, 2048, -1, 1, 100, new Int32Array(3), tables), /state has 3 elements; it must have 4/);
  assert.throws(call(memory, 0, 2048, -1, 1, 100, state, new Float32Array(258)), /tables must be a Float64Array/);
  assert.throws(call(memory, 0, 2048, -1, 1, 100, state, new Float64Array(129)), /tables has 129 elements; it must have 258/);
  assert.throws(call(memory, 2, 2048, -1, 1, 100, state, tables), /outOffset is 2; it must be a multiple of 4/);
  assert.throws(call(memory, 0, 3900, -1, 1, 100, state, tables), /original spans bytes 3900 to 4300, past the end of the 4096-byte memory/);
  assert.throws(call(memory, 0, 1024, 200, 1, 100, state, tables), /out overlaps scales/);
  assert.throws(call(memory, 0, 2048, -1, 1, 100, state), /perturbGaussian/);
});

test('large native perturbation equals tfjs', { skip: nativeSkip }, () => {
  const backend = tf.backend() as BackendWasm;
  const before = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.byteLength;
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2000, inputShape: [2000], useBias: false })] });
  const perturbation = new ParameterPerturbation(model);
  const results: number[][] = [];
  for (const native of [true, false]) {
    perturbation.perturb([0.01], streamFor('grow'), native);
    results.push(bitsOf(model.weights[0]!.read()).slice(-1000));
    perturbation.restore();
  }
  assert.deepEqual(results[0], results[1]);
  assert.ok((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.byteLength >= before);
  perturbation.dispose();
  model.dispose();
});

test('native perturbation rejects mismatched scales', { skip: nativeSkip }, () => {
  const original = tf.zeros([4, 3]);
  const scales = tf.ones([3, 4]);
  assert.throws(
    () => perturbNatively(original, scales, streamFor('mismatch')).dispose(),
    /FragilityLabPerturbGaussian needs a float32 original and float32 scales of its shape, but got float32 \[4, 3\] and scales of float32 \[3, 4\]/,
  );
  tf.dispose([original, scales]);
});
