/**
 * Float32 matrix products of the `wasm` backend on the native addon's multi-threaded `sgemm`
 * (native/linalg), and the choice between those and the wasm kernels.
 *
 * Policy: FRAGILITY_LAB_MATMUL=native or =wasm forces one side; unset or `auto` takes the native
 * products when the addon loads and has `sgemm`, else the wasm ones (and logs why once). Forcing
 * `native` when the addon does not load is an error, never a silent fallback.
 * Threads: FRAGILITY_LAB_MATMUL_THREADS, else the worker's thread budget (FRAGILITY_LAB_THREADS,
 * which the study runner sets to floor(cores / workers), else every core).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addonBuildCommand, defaultLinalgAddon, type AddonLoad, type LinalgAddon } from '../bounds/nativeLinalg.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { threadBudget } from './devices.js';
import { heapBytes, heapOffset } from './wasmHeap.js';

const log = createLogger('backend');

/** The environment variable that forces the native or the wasm products. */
export const matMulEnvVariable = 'FRAGILITY_LAB_MATMUL';

/** The environment variable that sets the native products' thread count. */
export const matMulThreadsEnvVariable = 'FRAGILITY_LAB_MATMUL_THREADS';

/**
 * Returns whether a product is narrow enough to stay on wasm: a depth k below 8, or fewer than 16
 * output columns without a transpose flag (wasm transposes explicitly otherwise). sgemm's 6 x 16
 * register tile is then mostly padding. No size threshold is needed: sgemm was faster for every
 * square size from 8 x 8 x 8 on.
 * NOTE: measured with bench/matmul/shapes.ts on one 2-core AMD EPYC (Zen 1) machine only.
 */
export function isNarrowProduct(n: number, k: number, transposeA: boolean, transposeB: boolean): boolean {
  return k < 8 || (n < 16 && !transposeA && !transposeB);
}

export type MatMulChoice = 'native' | 'wasm' | 'auto';

type SgemmFunction = NonNullable<LinalgAddon['sgemm']>;

/**
 * The products in use: native (with its function, thread count and whether narrow products stay
 * on wasm, see `isNarrowProduct`), or wasm and why.
 */
export type MatMulSelection =
  | { kind: 'native'; sgemm: SgemmFunction; threads: number; narrowOnWasm: boolean; instructionSet: string }
  | { kind: 'wasm'; reason: string };

/** Parses a value of FRAGILITY_LAB_MATMUL: native, wasm, auto, or unset (auto). */
export function parseMatMulChoice(value: string | undefined): MatMulChoice {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'native' || value === 'wasm') return value;
  throw new LabError('invalid-input', `${matMulEnvVariable} is "${value}"; set it to native, wasm or auto, or unset it`, { field: matMulEnvVariable });
}

/** Parses a value of FRAGILITY_LAB_MATMUL_THREADS (an integer from 1 to 1024); unset gives `fallback`. */
export function parseMatMulThreads(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new LabError('invalid-input', `${matMulThreadsEnvVariable} is "${value}"; set it to an integer from 1 to 1024, or unset it to use ${fallback}`, {
      field: matMulThreadsEnvVariable,
    });
  }
  return threads;
}

let fallbackLogged = false;

/**
 * Resolves `choice` to the products to use. `native` raises an `unsupported` LabError when the
 * addon does not load or lacks `sgemm`; `auto` then falls back to wasm.
 */
export function selectMatMul(
  choice: MatMulChoice = parseMatMulChoice(process.env[matMulEnvVariable]),
  threads: number = parseMatMulThreads(process.env[matMulThreadsEnvVariable], threadBudget()),
  load: () => AddonLoad = defaultLinalgAddon,
): MatMulSelection {
  if (choice === 'wasm') return { kind: 'wasm', reason: `${matMulEnvVariable}=wasm` };
  const loaded = load();
  let reason: string;
  if (loaded.addon === undefined) {
    reason = loaded.reason;
  } else if (typeof loaded.addon.sgemm !== 'function') {
    reason = `${loaded.path} has no sgemm function (it was built from older sources); rebuild it with "${addonBuildCommand}"`;
  } else {
    return { kind: 'native', sgemm: loaded.addon.sgemm.bind(loaded.addon), threads, narrowOnWasm: true, instructionSet: loaded.addon.instructionSet };
  }
  if (choice === 'native') {
    throw new LabError('unsupported', `The native matrix products were requested (${matMulEnvVariable}=native), but ${reason}. Set ${matMulEnvVariable}=wasm or unset it to use the wasm products.`);
  }
  if (!fallbackLogged) {
    fallbackLogged = true;
    log.info(`using the wasm matrix products: ${reason}`);
  }
  return { kind: 'wasm', reason };
}

/** Describes `selection` for the backend's device string, e.g. "native sgemm, x86-64-v3 (AVX2, FMA), 2 threads". */
export function describeMatMul(selection: MatMulSelection): string {
  if (selection.kind === 'wasm') return 'wasm (XNNPACK)';
  return `native sgemm, ${selection.instructionSet}, ${selection.threads} thread${selection.threads === 1 ? '' : 's'}`;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

function leftPadded(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/**
 * Returns whether the batch dimensions `outerA` and `outerB` map onto sgemm's batches: equal
 * (after padding with leading 1s), or one side a single matrix that is broadcast. Other
 * broadcasts, such as [2, 1] against [1, 2], are left to the wasm kernel.
 */
function batchesMatch(outerA: readonly number[], outerB: readonly number[]): boolean {
  if (sizeOf(outerA) === 1 || sizeOf(outerB) === 1) return true;
  const rank = Math.max(outerA.length, outerB.length);
  const paddedA = leftPadded(outerA, rank);
  const paddedB = leftPadded(outerB, rank);
  return paddedA.every((size, axis) => size === paddedB[axis]);
}

/**
 * Computes `BatchMatMul` (op(a) op(b) with tfjs's shape rules) with `sgemm` into a new wasm
 * tensor. Returns undefined, and computes nothing, when the product should stay on wasm. These
 * cases are inputs other than float32, ranks below 2, and mismatched inner sizes (so that wasm
 * raises its usual error). They also include batch broadcasts other than equal or single, and
 * narrow products (`isNarrowProduct`) when `selection.narrowOnWasm` is set.
 */
export function multiplyNatively(
  selection: Extract<MatMulSelection, { kind: 'native' }>,
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) return undefined;
  const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const k = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const kB = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  if (k !== kB) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  if (!batchesMatch(outerA, outerB)) return undefined;
  const outerShape = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  if (selection.narrowOnWasm && isNarrowProduct(n, k, transposeA, transposeB)) return undefined;

  const out = backend.makeOutput([...outerShape, m, n], 'float32');
  if (sizeOf(out.shape) === 0) return out;
  try {
    // The heap is read after makeOutput, whose allocation may grow (and so replace) the memory.
    selection.sgemm(
      heapBytes(backend),
      heapOffset(backend, a),
      heapOffset(backend, b),
      heapOffset(backend, out),
      sizeOf(outerA),
      sizeOf(outerB),
      m,
      n,
      k,
      transposeA,
      transposeB,
      selection.threads,
    );
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}
