/**
 * Executors and drivers that split the bound's O(m^3) work. An `Executor` runs a list of
 * independent tasks (named operations of `linalgOps.ts` on row ranges) inline, on a pool of
 * worker threads that share the matrices through SharedArrayBuffers, or with the native kernels
 * of `native/linalg` (see `nativeExecutor.ts`). Drivers such as the blocked Cholesky
 * factorisation below alternate between short serial steps on the calling thread and parallel
 * row-range steps.
 */
import { choleskyUnblocked, matrixView, solveBlock, subView } from './dense.js';
import type { linalgOps } from './linalgOps.js';
import { LabError } from '../util/errors.js';

export type LinalgOpName = keyof typeof linalgOps;

/** One call of a named operation; `args` are posted to a worker by structured cloning. */
export type LinalgTask = { [Name in LinalgOpName]: { op: Name; args: Readonly<Parameters<(typeof linalgOps)[Name]>> } }[LinalgOpName];

/** The kernels that run the tasks: the JavaScript ones of `dense.ts`, or the native addon's. */
export type LinalgBackend = 'js' | 'native';

export interface Executor {
  readonly backend: LinalgBackend;
  /** Number of tasks that run at the same time; drivers split work into this many row ranges. */
  readonly parallelism: number;
  /** Threads doing the work: 1 inline, the workers of a pool, or the native kernels' threads. */
  readonly threads: number;
  /** Runs independent tasks; resolves when all have finished, rejects on the first failure. */
  run(tasks: readonly LinalgTask[]): Promise<void>;
  /** A zero-filled float64 array that the tasks can read and write (shared memory for a pool). */
  allocate(length: number): Float64Array;
  /**
   * Factors the n x n matrix in the lower triangle of `a` as L L^T in place, with the contract of
   * `choleskyInPlace`. Present where the executor has its own factorisation (the native kernels).
   */
  factorCholesky?(a: Float64Array, n: number): Promise<number>;
}

/**
 * Splits rows [0, count) into at most `parts` non-empty ranges of about equal cost. With
 * `triangular`, row i costs i + 1 (a lower-triangle update); otherwise every row costs the same.
 * Boundaries fall on multiples of 4, the row tile of the product kernel.
 */
export function partitionRows(count: number, parts: number, triangular: boolean): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let part = 1; part <= parts && start < count; part++) {
    let end: number;
    if (part === parts) {
      end = count;
    } else {
      const fraction = part / parts;
      // Triangular cost up to row r is about r^2 / 2, so the boundary is count * sqrt(fraction).
      end = triangular ? Math.round(count * Math.sqrt(fraction)) : Math.round(count * fraction);
      end = Math.min(count, Math.max(start + 1, 4 * Math.round(end / 4)));
    }
    if (end > start) ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

/**
 * Factors the n x n symmetric positive definite matrix in the lower triangle of `a` (row-major) as
 * L L^T in place, by the right-looking blocked algorithm. For each block of `solveBlock` columns it
 * factors the diagonal block on this thread, solves the panel below it by row ranges, then
 * updates the trailing lower triangle by row ranges. Of the n^3 / 3 flops, nearly all are in the
 * trailing updates. An executor with its own `factorCholesky` (the native one) factors instead,
 * in one call that cannot be cancelled part-way.
 * The strict upper triangle is not read. Returns -1, or the index of the first non-positive pivot.
 */
export async function choleskyInPlace(a: Float64Array, n: number, executor: Executor, signal?: AbortSignal): Promise<number> {
  throwIfCancelled(signal);
  if (executor.factorCholesky !== undefined) return executor.factorCholesky(a, n);
  const view = matrixView(a, n);
  const packedData = executor.allocate(Math.max(0, n - solveBlock) * solveBlock);
  for (let k0 = 0; k0 < n; k0 += solveBlock) {
    throwIfCancelled(signal);
    const width = Math.min(solveBlock, n - k0);
    const diagonalBlock = subView(view, k0, k0);
    const failedPivot = choleskyUnblocked(diagonalBlock, width);
    if (failedPivot >= 0) return k0 + failedPivot;
    const below = n - k0 - width;
    if (below === 0) break;

    const panel = subView(view, k0 + width, k0);
    const packed = matrixView(packedData, width);
    await executor.run(
      partitionRows(below, executor.parallelism, false).map(([rowStart, rowEnd]) => ({
        op: 'solveAndPackPanelRows' as const,
        args: [panel, diagonalBlock, packed, rowStart, rowEnd, width] as const,
      })),
    );
    const trailing = subView(view, k0 + width, k0 + width);
    await executor.run(
      partitionRows(below, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
        op: 'addProductNT' as const,
        args: [trailing, packed, packed, rowStart, rowEnd, 0, rowEnd, width, -1, true] as const,
      })),
    );
  }
  return -1;
}

/** Raises a `cancelled` LabError when `signal` has been aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LabError('cancelled', 'The marginal-likelihood bound was cancelled', { cause: signal.reason });
}
