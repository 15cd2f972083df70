// The native float32 products (sgemm of native/linalg) behind the wasm matMul kernels. They are
// compared with the cpu backend for every transpose combination, batches, odd sizes, fused bias
// and activations. The file also tests the addon's argument checks, the selection rules, and an
// FCN trained with native and with wasm products. The native tests are skipped, with the
// loader's reason, when the addon is not built.
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadDataset } from '../../main/data/datasets.js';
import { buildTaskData } from '../../main/data/tasks.js';
import { defaultLinalgAddon } from '../../main/bounds/nativeLinalg.js';
import { buildModel } from '../../main/models/build.js';
import { currentBackend } from '../../main/tf/backend.js';
import { planWorkers } from '../../main/tf/devices.js';
import type { MatMulSelection } from '../../main/tf/nativeMatMul.js';
import { describeMatMul, multiplyNatively, parseMatMulChoice, parseMatMulThreads, selectMatMul } from '../../main/tf/nativeMatMul.js';
import { currentMatMulSelection, setMatMulSelection } from '../../main/tf/wasmKernels.js';
import { train } from '../../main/training/train.js';
import { LabError } from '../../main/util/errors.js';
import { assertRelativelyClose, type FusedCase, fusedProduct, initWasmWithFixes, nativeAddonSkip, normalValues, relativeError, runOn, sizeOf } from './backends.js';

type NativeSelection = Extract<MatMulSelection, { kind: 'native' }>;

const tolerance = 1e-4;
const load = defaultLinalgAddon();
const sgemm = load.addon?.sgemm;
const nativeSkip = nativeAddonSkip('sgemm');

let selectionAtStart: MatMulSelection;

before(async () => {
  await initWasmWithFixes();
  selectionAtStart = currentMatMulSelection();
});

after(() => {
  setMatMulSelection(selectionAtStart);
});

/** Returns a native selection that takes every product and counts its sgemm calls. */
function countingSelection(threads: number): { selection: NativeSelection; calls: () => number } {
  let count = 0;
  const selection: NativeSelection = {
    kind: 'native',
    sgemm: (...args) => {
      count++;
      sgemm!(...args);
    },
    threads,
    narrowOnWasm: false,
    instructionSet: load.addon!.instructionSet,
  };
  return { selection, calls: () => count };
}

interface ProductCase {
  name: string;
  aShape: number[];
  bShape: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** Shapes of a and b for op(a) [..., m, k] and op(b) [..., k, n]. */
function operandShapes(aOuter: number[], bOuter: number[], m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): { aShape: number[]; bShape: number[] } {
  return {
    aShape: [...aOuter, ...(transposeA ? [k, m] : [m, k])],
    bShape: [...bOuter, ...(transposeB ? [n, k] : [k, n])],
  };
}

const sizes: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 129],
  [17, 129, 3],
  [129, 3, 17],
  [1, 300, 1],
  [37, 257, 65],
];
const batches: { label: string; aOuter: number[]; bOuter: number[] }[] = [
  { label: 'single', aOuter: [], bOuter: [] },
  { label: 'batch 3', aOuter: [3], bOuter: [3] },
  { label: 'batch 2 x 3', aOuter: [2, 3], bOuter: [2, 3] },
  { label: 'a broadcast', aOuter: [1], bOuter: [3] },
  { label: 'b broadcast', aOuter: [2, 3], bOuter: [] },
];

const productCases: ProductCase[] = [];
for (const transposeA of [false, true]) {
  for (const transposeB of [false, true]) {
    for (const [m, k, n] of sizes) {
      for (const batch of batches) {
        const shapes = operandShapes(batch.aOuter, batch.bOuter, m, k, n, transposeA, transposeB);
        productCases.push({ name: `transposeA ${transposeA}, transposeB ${transposeB}, ${m}x${k}x${n}, ${batch.label}`, ...shapes, transposeA, transposeB });
      }
    }
  }
}

function product(backend: 'wasm' | 'cpu', productCase: ProductCase): Promise<Float32Array> {
  const aValues = normalValues(sizeOf(productCase.aShape), productCase.name, 'a');
  const bValues = normalValues(sizeOf(productCase.bShape), productCase.name, 'b');
  return runOn(backend, () =>
    tf.matMul(tf.tensor(aValues, productCase.aShape), tf.tensor(bValues, productCase.bShape), productCase.transposeA, productCase.transposeB).dataSync() as Float32Array,
  );
}

test('native matMul matches cpu', { skip: nativeSkip }, async (t) => {
  for (const threads of [1, 3]) {
    const { selection, calls } = countingSelection(threads);
    for (const productCase of productCases) {
      await t.test(`${productCase.name}, ${threads} thread(s)`, async () => {
        const expected = await product('cpu', productCase);
        setMatMulSelection(selection);
        const before = calls();
        try {
          const actual = await product('wasm', productCase);
          assert.equal(calls() - before, 1, 'sgemm calls');
          assertRelativelyClose(actual, expected, tolerance, 'product');
        } finally {
          setMatMulSelection(selectionAtStart);
        }
      });
    }
  }
});

test('native matMul skips other broadcasts', { skip: nativeSkip }, async () => {
  const { selection, calls } = countingSelection(1);
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const a = tf.ones([2, 1, 4, 5]);
  const b = tf.ones([1, 2, 5, 3]);
  try {
    assert.equal(multiplyNatively(selection, backend, a, b, false, false), undefined);
    assert.equal(calls(), 0, 'sgemm calls');
  } finally {
    tf.dispose([a, b]);
  }
});

test('native matMul skips narrow products', { skip: nativeSkip }, async () => {
  const { selection, calls } = countingSelection(1);
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const a = tf.ones([40, 50]);
  const b = tf.ones([50, 3]);
  try {
    assert.equal(multiplyNatively({ ...selection, narrowOnWasm: true }, backend, a, b, false, false), undefined);
    assert.equal(calls(), 0, 'sgemm calls');
  } finally {
    tf.dispose([a, b]);
  }
});


const fusedCases: FusedCase[] = [];
for (const transposeA of [false, true]) {
  for (const transposeB of [false, true]) {
    const flags = `transposeA ${transposeA}, transposeB ${transposeB}`;
    // op(a) is 17 x 129 and op(b) is 129 x 33, so the product is 17 x 33.
    const { aShape, bShape } = operandShapes([], [], 17, 129, 33, transposeA, transposeB);
    fusedCases.push({ name: `${flags}, 1-D bias, relu`, aShape, bShape, biasShape: [33], transposeA, transposeB, activation: 'relu' });
    fusedCases.push({ name: `${flags}, 2-D bias`, aShape, bShape, biasShape: [17, 33], transposeA, transposeB, activation: 'linear' });
    fusedCases.push({ name: `${flags}, batched, 1-D bias, relu`, aShape: [3, ...aShape], bShape: [3, ...bShape], biasShape: [33], transposeA, transposeB, activation: 'relu' });
  }
}
for (const activation of ['linear', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
  fusedCases.push({ name: `1-D bias, ${activation}`, aShape: [17, 129], bShape: [129, 33], biasShape: [33], transposeA: false, transposeB: false, activation });
}


test('native fused matMul matches cpu', { skip: nativeSkip }, async (t) => {
  const { selection, calls } = countingSelection(2);
  for (const fusedCase of fusedCases) {
    await t.test(fusedCase.name, async () => {
      const expected = await fusedProduct('cpu', fusedCase);
      setMatMulSelection(selection);
      const before = calls();
      try {
        const actual = await fusedProduct('wasm', fusedCase);
        assert.equal(calls() - before, 1, 'sgemm calls');
        assertRelativelyClose(actual, expected, tolerance, 'fused product');
      } finally {
        setMatMulSelection(selectionAtStart);
      }
    });
  }
});

test('native fused matMul frees intermediates', { skip: nativeSkip }, async () => {
  const { selection } = countingSelection(1);
  await tf.setBackend('wasm');
  setMatMulSelection(selection);
  try {
    const run = () =>
      tf.tidy(() => tf.fused.matMul({ a: tf.ones([8, 16]), b: tf.ones([16, 4]), bias: tf.ones([4]), activation: 'relu' }).dataSync());
    run();
    const before = tf.engine().backend.numDataIds();
    run();
    assert.equal(tf.engine().backend.numDataIds(), before, 'live data buffers');
  } finally {
    setMatMulSelection(selectionAtStart);
  }
});

test('sgemm rejects bad arguments', { skip: nativeSkip }, () => {
  const memory = new ArrayBuffer(256);
  // A valid call: a 2 x 3 at byte 0, b 3 x 4 at byte 64, c 2 x 4 at byte 128.
  const valid = [memory, 0, 64, 128, 1, 1, 2, 4, 3, false, false, 1] as const;
  assert.doesNotThrow(() => sgemm!(...valid));
  const call = (index: number, value: unknown) => () => {
    const args: unknown[] = [...valid];
    args[index] = value;
    (sgemm as (...values: unknown[]) => void)(...args);
  };
  assert.throws(call(0, [1, 2, 3]), { name: 'TypeError', message: /^memory must be an ArrayBuffer/ });
  assert.throws(call(1, 2), { name: 'RangeError', message: /^aOffset is 2; it must be a multiple of 4/ });
  assert.throws(call(2, -4), { name: 'RangeError', message: /^bOffset is -4/ });
  assert.throws(call(3, '128'), { name: 'TypeError', message: /^cOffset must be a number/ });
  assert.throws(call(3, 240), { name: 'RangeError', message: /^c spans bytes 240 to 272, past the end of the 256-byte memory/ });
  assert.throws(call(2, 224), { name: 'RangeError', message: /^b spans bytes 224/ });
  assert.throws(call(3, 16), { name: 'RangeError', message: /^c overlaps a/ });
  assert.throws(call(3, 80), { name: 'RangeError', message: /^c overlaps b/ });
  assert.throws(call(4, 0), { name: 'RangeError', message: /^aBatch is 0 and bBatch is 1; both must be at least 1/ });
  assert.throws(
    () => sgemm!(new ArrayBuffer(4096), 0, 512, 1024, 2, 3, 2, 4, 3, false, false, 1),
    { name: 'RangeError', message: /^aBatch is 2 and bBatch is 3; they must be equal, or one of them 1/ },
  );
  assert.throws(call(6, 1.5), { name: 'RangeError', message: /^m is 1\.5/ });
  assert.throws(call(9, 1), { name: 'TypeError', message: /^transposeA must be a boolean/ });
  assert.throws(call(11, 0), { name: 'RangeError', message: /^threads is 0/ });
  assert.throws(() => (sgemm as (...values: unknown[]) => void)(memory, 0, 64), { name: 'TypeError', message: /^sgemm takes 12 arguments; it received 3/ });
  assert.throws(call(0, new Uint8Array(memory, 2, 200)), { name: 'RangeError', message: /^memory starts at an address that is not a multiple of 4 bytes/ });
});

test('sgemm reads typed array memory', { skip: nativeSkip }, () => {
  // [1 2; 3 4] times [5 6; 7 8], inside a Float32Array that starts 8 bytes into its buffer.
  const values = new Float32Array(new ArrayBuffer(72), 8, 16);
  values.set([1, 2, 3, 4, 5, 6, 7, 8]);
  sgemm!(values, 0, 16, 32, 1, 1, 2, 2, 2, false, false, 1);
  assert.deepEqual(Array.from(values.subarray(8, 12)), [19, 22, 43, 50]);
});

test('sgemm zeroes output when k is 0', { skip: nativeSkip }, () => {
  const values = new Float32Array(6).fill(7);
  sgemm!(values.buffer, 0, 0, 0, 1, 1, 2, 3, 0, false, false, 1);
  assert.deepEqual(Array.from(values), [0, 0, 0, 0, 0, 0]);
});

test('matmul choice parsing', () => {
  assert.equal(parseMatMulChoice(undefined), 'auto');
  assert.equal(parseMatMulChoice(''), 'auto');
  assert.equal(parseMatMulChoice('native'), 'native');
  assert.equal(parseMatMulChoice('wasm'), 'wasm');
  assert.throws(() => parseMatMulChoice('gpu'), (error: unknown) => error instanceof LabError && error.kind === 'invalid-input' && /FRAGILITY_LAB_MATMUL is "gpu"/.test(error.message));
  assert.equal(parseMatMulThreads(undefined, 2), 2);
  assert.equal(parseMatMulThreads('3', 2), 3);
  for (const bad of ['0', '1.5', 'two', '2000']) {
    assert.throws(() => parseMatMulThreads(bad, 2), (error: unknown) => error instanceof LabError && /FRAGILITY_LAB_MATMUL_THREADS/.test(error.message), bad);
  }
});

test('matmul selection without addon', () => {
  const missing = () => ({ addon: undefined, reason: 'the native addon is not built' });
  assert.deepEqual(selectMatMul('auto', 1, missing), { kind: 'wasm', reason: 'the native addon is not built' });
  assert.equal(selectMatMul('wasm', 1, missing).kind, 'wasm');
  assert.throws(() => selectMatMul('native', 1, missing), (error: unknown) => error instanceof LabError && error.kind === 'unsupported' && /not built/.test(error.message));
});

test('matmul threads follow worker plan', { skip: nativeSkip }, () => {
  const saved = { threads: process.env.FRAGILITY_LAB_THREADS, matMulThreads: process.env.FRAGILITY_LAB_MATMUL_THREADS };
  try {
    delete process.env.FRAGILITY_LAB_MATMUL_THREADS;
    // Two workers split the cores, as the study runner's plan sets it in each worker's environment.
    Object.assign(process.env, planWorkers('wasm', 2).envFor(0));
    const selection = selectMatMul('native');
    assert.equal(selection.kind, 'native');
    assert.equal((selection as NativeSelection).threads, Math.max(1, Math.floor(cpus().length / 2)));
    process.env.FRAGILITY_LAB_MATMUL_THREADS = '3';
    assert.equal((selectMatMul('native') as NativeSelection).threads, 3);
  } finally {
    for (const [name, value] of [['FRAGILITY_LAB_THREADS', saved.threads], ['FRAGILITY_LAB_MATMUL_THREADS', saved.matMulThreads]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('backend info names matmul', () => {
  const device = currentBackend().device;
  assert.match(device, /; matrix products: /);
  assert.ok(device.endsWith(`${describeMatMul(selectionAtStart)})`), device);
  if (process.env.FRAGILITY_LAB_MATMUL === undefined && nativeSkip === false) assert.equal(selectionAtStart.kind, 'native');
});

/** Trains a small FCN for 3 epochs on wasm with `selection`; returns the trained weights. */
async function trainFcn(selection: MatMulSelection): Promise<{ initial: Float32Array[]; trained: Float32Array[] }> {
  await tf.setBackend('wasm');
  setMatMulSelection(selection);
  const data = buildTaskData(loadDataset('fashion-mnist', 'embedded'), { task: 'binary', trainSize: 96, dataSeed: 2, labelNoise: 0 });
  const x = tf.tensor(data.train.x, [96, ...data.inputShape]);
  const model = buildModel({ kind: 'fcn', hiddenWidths: [64, 48], weightVariance: 2, biasStd: 0.1 }, data.inputShape, 1, 5);
  const copyWeights = () => model.getWeights().map((weight) => (weight.dataSync() as Float32Array).slice());
  try {
    const initial = copyWeights();
    const settings = { optimizer: 'sgd' as const, learningRate: 0.05, momentum: 0.9, batchSize: 16, maxEpochs: 3, stopAtTrainAccuracy: 2, stopAtTrainLoss: null };
    await train(model, { x, y: data.train.y, task: 'binary', outputCount: 1 }, settings, 7);
    return { initial, trained: copyWeights() };
  } finally {
    setMatMulSelection(selectionAtStart);
    model.dispose();
    x.dispose();
  }
}

test('FCN trains alike with native products', { skip: nativeSkip }, async () => {
  const { selection, calls } = countingSelection(2);
  const native = await trainFcn(selection);
  assert.ok(calls() > 0, 'sgemm calls');
  const wasm = await trainFcn({ kind: 'wasm', reason: 'the comparison' });
  assert.equal(native.trained.length, wasm.trained.length, 'weight count');
  native.trained.forEach((weights, index) => {
    assert.deepEqual(native.initial[index], wasm.initial[index], `weight ${index}: initial values`);
    assert.ok(relativeError(weights, native.initial[index]!) > 1e-3, `weight ${index}: training changed it`);
    assertRelativelyClose(weights, wasm.trained[index]!, tolerance, `weight ${index} after 3 epochs`);
  });
});
