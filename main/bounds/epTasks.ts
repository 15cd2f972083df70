/**
 * The row-parallel steps of expectation propagation (EP), as single-threaded functions over row
 * ranges that `ep.ts` hands to the worker pool. Notation of Rasmussen and Williams (2006),
 * "Gaussian Processes for Machine Learning", section 3.6: K is the m x m prior covariance,
 * S~ = diag(tau~) the site precisions, s = sqrt(tau~), B = I + S~^1/2 K S~^1/2 = L L^T (eq. 3.67),
 * Sigma = K - K S~^1/2 B^-1 S~^1/2 K the posterior covariance (eq. 3.68).
 */
import type { MatrixView } from './dense.js';
import { addProductNT, solveRowsLowerTransposedBlocked, subView } from './dense.js';

/** Writes the lower triangle of B = I + S~^1/2 K S~^1/2 into `b`, rows [rowStart, rowEnd). */
export function formBRows(b: MatrixView, k: MatrixView, s: Float64Array, rowStart: number, rowEnd: number): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const bRow = b.offset + i * b.stride;
    const kRow = k.offset + i * k.stride;
    const si = s[i]!;
    for (let j = 0; j < i; j++) b.data[bRow + j] = si * k.data[kRow + j]! * s[j]!;
    b.data[bRow + i] = 1 + si * k.data[kRow + i]! * si;
  }
}

/**
 * Writes rows [rowStart, rowEnd) of V^T = K S~^1/2 L^-T into `x` (m x m), where L is the Cholesky
 * factor of B in `l`. With it, Sigma = K - V^T V (R&W Algorithm 3.5, the recomputation step).
 */
export function solveCovarianceFactorRows(x: MatrixView, k: MatrixView, l: MatrixView, s: Float64Array, rowStart: number, rowEnd: number, m: number): void {
  scaleColumnsRows(x, k, s, rowStart, rowEnd, m);
  solveRowsLowerTransposedBlocked(x, l, rowStart, rowEnd, m);
}

/** Writes X[i][j] = K[i][j] s_j (that is, K S~^1/2) into `x` for rows [rowStart, rowEnd) and j < m. */
export function scaleColumnsRows(x: MatrixView, k: MatrixView, s: Float64Array, rowStart: number, rowEnd: number, m: number): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const xRow = x.offset + i * x.stride;
    const kRow = k.offset + i * k.stride;
    for (let j = 0; j < m; j++) x.data[xRow + j] = k.data[kRow + j]! * s[j]!;
  }
}

/** Writes the lower triangle of Sigma = K - V^T V into `sigma`, rows [rowStart, rowEnd), with V^T in `x`. */
export function covarianceRows(sigma: MatrixView, k: MatrixView, x: MatrixView, rowStart: number, rowEnd: number, m: number): void {
  copyLowerRows(sigma, k, rowStart, rowEnd);
  addProductNT(sigma, x, x, rowStart, rowEnd, 0, rowEnd, m, -1, true);
}

/** Copies the lower triangle (diagonal included) of `source` into `target`, rows [rowStart, rowEnd). */
export function copyLowerRows(target: MatrixView, source: MatrixView, rowStart: number, rowEnd: number): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const targetRow = target.offset + i * target.stride;
    const sourceRow = source.offset + i * source.stride;
    for (let j = 0; j <= i; j++) target.data[targetRow + j] = source.data[sourceRow + j]!;
  }
}

/** Rows of V^T computed at once by `posteriorVarianceRows`; 64 rows x m columns of scratch memory. */
export const varianceRowsPerPanel = 64;

/**
 * Writes diag(Sigma)_i = K_ii - |V^T[i, :]|^2 for i in [rowStart, rowEnd) into `diagonal`, computing
 * V^T = K S~^1/2 L^-T panel by panel so that only `varianceRowsPerPanel` x m doubles of scratch
 * memory are needed, not a second m x m matrix. Used by the parallel EP schedule.
 */
export function posteriorVarianceRows(k: MatrixView, l: MatrixView, s: Float64Array, diagonal: Float64Array, rowStart: number, rowEnd: number, m: number): void {
  const panelRows = Math.min(varianceRowsPerPanel, rowEnd - rowStart);
  const panel: MatrixView = { data: new Float64Array(panelRows * m), offset: 0, stride: m };
  for (let first = rowStart; first < rowEnd; first += panelRows) {
    const count = Math.min(panelRows, rowEnd - first);
    solveCovarianceFactorRows(panel, subView(k, first, 0), l, s, 0, count, m);
    writeVarianceRows(panel, k, diagonal, first, count, m);
  }
}

/** Writes diagonal[first + r] = K_ii - |panel row r|^2 (i = first + r) for r < count; the panel has stride m. */
export function writeVarianceRows(panel: MatrixView, k: MatrixView, diagonal: Float64Array, first: number, count: number, m: number): void {
  for (let r = 0; r < count; r++) {
    let squaredNorm = 0;
    for (let j = 0; j < m; j++) {
      const value = panel.data[r * m + j]!;
      squaredNorm += value * value;
    }
    const i = first + r;
    diagonal[i] = k.data[k.offset + i * k.stride + i]! - squaredNorm;
  }
}

/**
 * Runs the first half of a block step of the sequential EP sweep, for the rows below the block
 * (rows [rowStart, rowEnd) of `columns`, counted from the first row after the block).
 *
 * The b rank-one updates Sigma <- Sigma - c_p s_p s_p^T of the block's sites p = 0..b-1 have columns
 * s_p = Sigma0[:, block] g_p, where Sigma0 is Sigma before the block and g_p (row p of `gt`, b x b)
 * comes from the sites' own recurrence. This writes U = Sigma0[below, block] G^T into `columns`,
 * U diag(c) into `scaledColumns` (both (m - blockEnd) x b), and adds U a to mu[below], where
 * a_p is the coefficient of s_p in the update of the posterior mean.
 */
export function epColumnsBelowBlock(
  sigmaBelow: MatrixView,
  gt: MatrixView,
  columns: MatrixView,
  scaledColumns: MatrixView,
  mu: Float64Array,
  muOffset: number,
  meanCoefficients: Float64Array,
  rankOneCoefficients: Float64Array,
  rowStart: number,
  rowEnd: number,
  blockWidth: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) columns.data.fill(0, columns.offset + r * columns.stride, columns.offset + r * columns.stride + blockWidth);
  addProductNT(columns, sigmaBelow, gt, rowStart, rowEnd, 0, blockWidth, blockWidth, 1, false);
  applyBlockCoefficientsRows(columns, scaledColumns, mu, muOffset, meanCoefficients, rankOneCoefficients, rowStart, rowEnd, blockWidth);
}

/**
 * Writes U diag(c) into `scaledColumns` and adds U a to mu[muOffset + r] for rows
 * [rowStart, rowEnd) of U in `columns`: the part of `epColumnsBelowBlock` after the product.
 */
export function applyBlockCoefficientsRows(
  columns: MatrixView,
  scaledColumns: MatrixView,
  mu: Float64Array,
  muOffset: number,
  meanCoefficients: Float64Array,
  rankOneCoefficients: Float64Array,
  rowStart: number,
  rowEnd: number,
  blockWidth: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const row = columns.offset + r * columns.stride;
    const scaledRow = scaledColumns.offset + r * scaledColumns.stride;
    let shift = 0;
    for (let p = 0; p < blockWidth; p++) {
      const value = columns.data[row + p]!;
      shift += value * meanCoefficients[p]!;
      scaledColumns.data[scaledRow + p] = value * rankOneCoefficients[p]!;
    }
    mu[muOffset + r] = mu[muOffset + r]! + shift;
  }
}

/**
 * Runs the second half of a block step: Sigma[below, below] -= U diag(c) U^T on the lower
 * triangle, rows [rowStart, rowEnd) of the trailing matrix.
 */
export function epTrailingUpdateRows(sigmaTrailing: MatrixView, columns: MatrixView, scaledColumns: MatrixView, rowStart: number, rowEnd: number, blockWidth: number): void {
  addProductNT(sigmaTrailing, columns, scaledColumns, rowStart, rowEnd, 0, rowEnd, blockWidth, -1, true);
}
