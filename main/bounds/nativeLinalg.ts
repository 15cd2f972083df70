/**
 * Loading of the optional native linear-algebra addon (`native/linalg`, package
 * `@fragility-lab/linalg`) and the choice between its kernels and the JavaScript ones.
 *
 * Policy: the bound uses the native kernels whenever the addon loads, and the JavaScript kernels
 * of `dense.ts` otherwise. FRAGILITY_LAB_LINALG=js or =native forces one; a request's `linalg`
 * field overrides the variable. Forcing `native` when the addon does not load is an error, never
 * a silent fallback.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MatrixView } from './dense.js';
import type { LinalgBackend } from './linalg.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';

const log = createLogger('bounds');
const require = createRequire(import.meta.url);

/**
 * The addon's functions (contracts in native/linalg/src/addon.cc and kernels.h). Each runs on a
 * libuv thread plus up to `threads - 1` threads of its own, and settles once the memory is
 * written. The caller must not touch the arrays until then.
 */
export interface LinalgAddon {
  /** C[i][j] += alpha sum_p A[i][p] B[j][p], the contract of `addProductNT` in dense.ts. */
  addProductNT(
    c: MatrixView,
    a: MatrixView,
    b: MatrixView,
    rowStart: number,
    rowEnd: number,
    columnStart: number,
    columnEnd: number,
    depth: number,
    alpha: number,
    lower: boolean,
    threads: number,
  ): Promise<void>;
  /** X[rowStart..rowEnd, 0..n) <- X L^-T for the n x n lower triangle L of `l`. */
  solveRowsLowerTransposed(x: MatrixView, l: MatrixView, rowStart: number, rowEnd: number, n: number, threads: number): Promise<void>;
  /** L L^T of the lower triangle of `a`, in place; resolves to -1 or the first non-positive pivot. */
  choleskyLower(a: MatrixView, n: number, threads: number): Promise<number>;
  /**
   * C_t = op(A_t) op(B_t) in float32, synchronously, for the tfjs `wasm` matMul kernels
   * (main/tf/nativeMatMul.ts). The operands are row-major matrices at byte offsets (multiples of
   * 4) into `memory`: batches of m x k (k x m with transposeA), k x n (n x k with transposeB) and
   * m x n. A batch of 1 is broadcast. C must not overlap A or B. Raises a TypeError or RangeError
   * naming the invalid argument. Absent from addons built before it was added.
   */
  sgemm?(
    memory: ArrayBuffer | ArrayBufferView,
    aOffset: number,
    bOffset: number,
    cOffset: number,
    aBatch: number,
    bBatch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    threads: number,
  ): void;
  /**
   * Writes out[i] = original[i] + scale_i z_i in float32, synchronously, for the sigma searches'
   * perturbations (main/measures/noise.ts). z_i are the draws of a GaussianStream: its 4 words
   * are `state` (read and written back), its ziggurat tables (129 edges, then 129 densities) are
   * `tables`. scale_i is the float32 at `scalesOffset` + 4 i, or `scale` where scalesOffset is -1.
   * Absent from addons built before it was added.
   */
  perturbGaussian?(
    memory: ArrayBuffer | ArrayBufferView,
    outOffset: number,
    originalOffset: number,
    scalesOffset: number,
    scale: number,
    count: number,
    state: Int32Array | Uint32Array,
    tables: Float64Array,
  ): void;
  /**
   * Writes out = x + alpha y for `count` float32 values at byte offsets into `memory`,
   * synchronously, rounding the product and the sum to float32 as TensorFlow.js does (the update
   * of SGD and momentum, main/tf/nativeUpdate.ts). Absent from addons built before it was added.
   */
  scaledAdd?(memory: ArrayBuffer | ArrayBufferView, outOffset: number, xOffset: number, yOffset: number, alpha: number, count: number): void;
  /** The instruction set the product kernels run with on this CPU, e.g. "x86-64-v3 (AVX2, FMA)". */
  instructionSet: string;
}

/** The addon's path inside the repository, as `node-gyp rebuild` in native/linalg writes it. */
export const addonRelativePath = 'native/linalg/build/Release/linalg.node';

/** The command that builds the addon, for messages. */
export const addonBuildCommand = 'npm rebuild @fragility-lab/linalg';

/** The environment variable that forces a backend. */
export const linalgEnvVariable = 'FRAGILITY_LAB_LINALG';

export type LinalgChoice = LinalgBackend | 'auto';

export type AddonLoad = { addon: LinalgAddon; path: string } | { addon: undefined; reason: string };

/**
 * Returns the paths to try, in order: the build folder of the repository (from main/bounds in the
 * sources, or dist/main/bounds once compiled), then the installed optional dependency.
 */
export function addonCandidatePaths(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const paths = [resolve(here, '..', '..', addonRelativePath), resolve(here, '..', '..', '..', addonRelativePath)];
  try {
    paths.push(require.resolve('@fragility-lab/linalg'));
  } catch {
    // Not installed as a dependency; the repository paths above are the only candidates.
  }
  return paths;
}

function isLinalgAddon(value: unknown): value is LinalgAddon {
  const candidate = value as Partial<LinalgAddon> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.addProductNT === 'function' &&
    typeof candidate.solveRowsLowerTransposed === 'function' &&
    typeof candidate.choleskyLower === 'function' &&
    typeof candidate.instructionSet === 'string'
  );
}

/** Loads the addon from the first of `paths` that exists; returns why not when none loads. */
export function loadLinalgAddon(paths: readonly string[] = addonCandidatePaths()): AddonLoad {
  const path = paths.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    return { addon: undefined, reason: `the native addon is not built (${addonRelativePath} not found); build it with "${addonBuildCommand}"` };
  }
  try {
    const addon: unknown = require(path);
    if (!isLinalgAddon(addon)) return { addon: undefined, reason: `${path} is not the linear-algebra addon (a function is missing); rebuild it with "${addonBuildCommand}"` };
    return { addon, path };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { addon: undefined, reason: `${path} failed to load (${text.split('\n', 1)[0]}); rebuild it with "${addonBuildCommand}"` };
  }
}

let defaultLoad: AddonLoad | undefined;
let fallbackLogged = false;

/** Loads the addon from the default paths once per thread (each worker thread has its own module instance) and keeps the outcome. */
export function defaultLinalgAddon(): AddonLoad {
  if (defaultLoad === undefined) {
    defaultLoad = loadLinalgAddon();
    if (defaultLoad.addon !== undefined) log.debug(`loaded the native linear-algebra addon from ${defaultLoad.path} (${defaultLoad.addon.instructionSet})`);
  }
  return defaultLoad;
}

/** Parses a value of FRAGILITY_LAB_LINALG: js, native, auto, or unset (auto). */
export function parseLinalgChoice(value: string | undefined): LinalgChoice {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'js' || value === 'native') return value;
  throw new LabError('invalid-input', `${linalgEnvVariable} is "${value}"; set it to js, native or auto, or unset it`, { field: linalgEnvVariable });
}

/** Returns the choice that FRAGILITY_LAB_LINALG sets in this process's environment. */
export function readLinalgChoice(): LinalgChoice {
  return parseLinalgChoice(process.env[linalgEnvVariable]);
}

export type LinalgSelection = { backend: 'js' } | { backend: 'native'; addon: LinalgAddon };

/**
 * Resolves `choice` to a backend. `auto` takes the native kernels when the addon loads, else the
 * JavaScript ones, and then logs why once. `native` raises an `unsupported` LabError when the
 * addon does not load.
 */
export function selectLinalg(choice: LinalgChoice, load: () => AddonLoad = defaultLinalgAddon): LinalgSelection {
  if (choice === 'js') return { backend: 'js' };
  const loaded = load();
  if (loaded.addon !== undefined) return { backend: 'native', addon: loaded.addon };
  if (choice === 'native') {
    throw new LabError('unsupported', `The native linear-algebra kernels were requested (${linalgEnvVariable}=native or linalg: "native"), but ${loaded.reason}. Choose js or auto to run with the JavaScript kernels instead.`);
  }
  if (!fallbackLogged) {
    fallbackLogged = true;
    log.info(`using the JavaScript linear-algebra kernels: ${loaded.reason}`);
  }
  return { backend: 'js' };
}
