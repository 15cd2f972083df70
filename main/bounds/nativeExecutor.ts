/**
 * The executor of the native kernels: it runs every `linalgOps` task on the calling thread's
 * event loop, handing the O(m^3) part of each (products, triangular solves, the Cholesky
 * factorisation) to the addon, which splits it over `threads` threads itself. Its parallelism is
 * 1, so drivers pass each step as one task over all rows. The O(m^2) parts of the tasks (scaling,
 * copies, the kernel's arc-cosine updates) stay in JavaScript on the calling thread.
 */
import type { MatrixView } from './dense.js';
import { copyRows, mirrorLowerRows, subView } from './dense.js';
import { applyBlockCoefficientsRows, copyLowerRows, formBRows, scaleColumnsRows, varianceRowsPerPanel, writeVarianceRows } from './epTasks.js';
import { fcKernelRows } from './fcKernel.js';
import type { Executor, LinalgOpName, LinalgTask } from './linalg.js';
import type { linalgOps } from './linalgOps.js';
import type { LinalgAddon } from './nativeLinalg.js';

/** An implementation of every `linalgOps` operation, with the same arguments, that may be asynchronous. */
export type AsyncLinalgOps = { [Name in LinalgOpName]: (...args: Parameters<(typeof linalgOps)[Name]>) => void | Promise<void> };

/** Returns the `linalgOps` operations built on the addon's kernels, each using `threads` threads. */
export function createNativeOps(addon: LinalgAddon, threads: number): AsyncLinalgOps {
  const solveRows = (x: MatrixView, l: MatrixView, rowStart: number, rowEnd: number, n: number): Promise<void> =>
    addon.solveRowsLowerTransposed(x, l, rowStart, rowEnd, n, threads);

  return {
    addProductNT: (c, a, b, rowStart, rowEnd, columnStart, columnEnd, depth, alpha, lower) =>
      addon.addProductNT(c, a, b, rowStart, rowEnd, columnStart, columnEnd, depth, alpha, lower, threads),
    mirrorLowerRows,
    solveRowsLowerTransposed: solveRows,
    solveAndPackPanelRows: async (panel, diagonalBlock, packed, rowStart, rowEnd, width) => {
      await solveRows(panel, diagonalBlock, rowStart, rowEnd, width);
      copyRows(panel, packed, rowStart, rowEnd, width);
    },
    solveRowsLowerTransposedBlocked: solveRows,
    formBRows,
    solveCovarianceFactorRows: async (x, k, l, s, rowStart, rowEnd, m) => {
      scaleColumnsRows(x, k, s, rowStart, rowEnd, m);
      await solveRows(x, l, rowStart, rowEnd, m);
    },
    covarianceRows: async (sigma, k, x, rowStart, rowEnd, m) => {
      copyLowerRows(sigma, k, rowStart, rowEnd);
      await addon.addProductNT(sigma, x, x, rowStart, rowEnd, 0, rowEnd, m, -1, true, threads);
    },
    posteriorVarianceRows: async (k, l, s, diagonal, rowStart, rowEnd, m) => {
      const panelRows = Math.min(varianceRowsPerPanel, rowEnd - rowStart);
      const panel: MatrixView = { data: new Float64Array(panelRows * m), offset: 0, stride: m };
      for (let first = rowStart; first < rowEnd; first += panelRows) {
        const count = Math.min(panelRows, rowEnd - first);
        scaleColumnsRows(panel, subView(k, first, 0), s, 0, count, m);
        await solveRows(panel, l, 0, count, m);
        writeVarianceRows(panel, k, diagonal, first, count, m);
      }
    },
    epColumnsBelowBlock: async (sigmaBelow, gt, columns, scaledColumns, mu, muOffset, meanCoefficients, rankOneCoefficients, rowStart, rowEnd, blockWidth) => {
      for (let r = rowStart; r < rowEnd; r++) columns.data.fill(0, columns.offset + r * columns.stride, columns.offset + r * columns.stride + blockWidth);
      await addon.addProductNT(columns, sigmaBelow, gt, rowStart, rowEnd, 0, blockWidth, blockWidth, 1, false, threads);
      applyBlockCoefficientsRows(columns, scaledColumns, mu, muOffset, meanCoefficients, rankOneCoefficients, rowStart, rowEnd, blockWidth);
    },
    epTrailingUpdateRows: (sigmaTrailing, columns, scaledColumns, rowStart, rowEnd, blockWidth) =>
      addon.addProductNT(sigmaTrailing, columns, scaledColumns, rowStart, rowEnd, 0, rowEnd, blockWidth, -1, true, threads),
    fcKernelRows,
  };
}

/**
 * Creates the executor of the native kernels with `threads` threads. Its tasks run one after
 * another; each native call runs off the event loop, which stays free meanwhile.
 */
export function createNativeExecutor(addon: LinalgAddon, threads: number): Executor {
  const ops = createNativeOps(addon, threads);
  return {
    backend: 'native',
    parallelism: 1,
    threads,
    async run(tasks: readonly LinalgTask[]) {
      for (const task of tasks) {
        const operation = ops[task.op] as (...args: readonly unknown[]) => void | Promise<void>;
        await operation(...task.args);
      }
    },
    allocate: (length) => new Float64Array(length),
    factorCholesky: (a, n) => addon.choleskyLower({ data: a, offset: 0, stride: n }, n, threads),
  };
}
