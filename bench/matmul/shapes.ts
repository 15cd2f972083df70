/**
 * Times single products on the `wasm` backend: the lab's wasm matMul kernel against the native
 * sgemm (1 and 2 threads). The square and narrow shapes place the rule `isNarrowProduct` of
 * main/tf/nativeMatMul.ts, and the last shapes are the products of one FCN training step at batch
 * 128.
 *
 * Usage: npx tsx bench/matmul/shapes.ts
 */
import * as tf from '@tensorflow/tfjs';
import { defaultLinalgAddon } from '../../main/bounds/nativeLinalg.js';
import { initBackend } from '../../main/tf/backend.js';
import type { MatMulSelection } from '../../main/tf/nativeMatMul.js';
import { setMatMulSelection } from '../../main/tf/wasmKernels.js';
import { setLogLevel } from '../../main/util/log.js';

setLogLevel('warn');
await initBackend('wasm');
const load = defaultLinalgAddon();
if (load.addon?.sgemm === undefined) throw new Error(`the native sgemm is unavailable: ${load.addon === undefined ? load.reason : 'rebuild the addon'}`);
const sgemm = load.addon.sgemm;

function nativeSelection(threads: number): MatMulSelection {
  return { kind: 'native', sgemm, threads, narrowOnWasm: false, instructionSet: load.addon!.instructionSet };
}

const selections: { label: string; selection: MatMulSelection }[] = [
  { label: 'wasm', selection: { kind: 'wasm', reason: 'benchmark' } },
  { label: 'native 1', selection: nativeSelection(1) },
  { label: 'native 2', selection: nativeSelection(2) },
];

/** Returns the mean microseconds of one matMul with `selection`, over at least 100 ms. */
function timeProduct(selection: MatMulSelection, a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): number {
  setMatMulSelection(selection);
  const once = () => tf.matMul(a, b, transposeA, transposeB).dispose();
  for (let warmUp = 0; warmUp < 3; warmUp++) once();
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < 100) {
    once();
    calls++;
  }
  return ((performance.now() - started) * 1000) / calls;
}

interface Shape {
  label: string;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

const shapes: Shape[] = [];
for (const size of [4, 8, 16, 24, 32, 48, 64, 128]) shapes.push({ label: `${size}^3`, m: size, k: size, n: size, transposeA: false, transposeB: false });
// Narrow products, where a 6 x 16 register tile is mostly padding.
for (const narrow of [1, 2, 4, 8, 16]) {
  shapes.push({ label: `narrow n`, m: 128, k: 1024, n: narrow, transposeA: false, transposeB: false });
  shapes.push({ label: `narrow k`, m: 128, k: narrow, n: 1024, transposeA: false, transposeB: false });
}
// One step of FCN 784-1024-1024-1 at batch 128: the forward products, then the gradients of the
// weights (transposeA) and of the layer inputs (transposeB).
shapes.push(
  { label: 'dense_1 forward', m: 128, k: 784, n: 1024, transposeA: false, transposeB: false },
  { label: 'dense_2 forward', m: 128, k: 1024, n: 1024, transposeA: false, transposeB: false },
  { label: 'logits forward', m: 128, k: 1024, n: 1, transposeA: false, transposeB: false },
  { label: 'logits dW', m: 1024, k: 128, n: 1, transposeA: true, transposeB: false },
  { label: 'logits dX', m: 128, k: 1, n: 1024, transposeA: false, transposeB: true },
  { label: 'dense_2 dW', m: 1024, k: 128, n: 1024, transposeA: true, transposeB: false },
  { label: 'dense_2 dX', m: 128, k: 1024, n: 1024, transposeA: false, transposeB: true },
  { label: 'dense_1 dW', m: 784, k: 128, n: 1024, transposeA: true, transposeB: false },
);

const row = (cells: string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(30) : cell.padStart(11))).join('  ');
process.stdout.write(`${row(['product (m x k x n)', ...selections.map((entry) => `${entry.label} us`), 'wasm/nat 1'])}\n`);
for (const shape of shapes) {
  const a = tf.randomNormal(shape.transposeA ? [shape.k, shape.m] : [shape.m, shape.k]);
  const b = tf.randomNormal(shape.transposeB ? [shape.n, shape.k] : [shape.k, shape.n]);
  const times = selections.map((entry) => timeProduct(entry.selection, a, b, shape.transposeA, shape.transposeB));
  const flags = `${shape.transposeA ? 'T' : 'N'}${shape.transposeB ? 'T' : 'N'}`;
  process.stdout.write(`${row([`${shape.label} ${shape.m}x${shape.k}x${shape.n} ${flags}`, ...times.map((time) => time.toFixed(1)), (times[0]! / times[1]!).toFixed(2)])}\n`);
  tf.dispose([a, b]);
}
