/**
 * Dense float64 kernels on row-major matrices, written for V8: every loop reads rows contiguously,
 * and the one product kernel, C += alpha A B^T ("NT"), works on 4 x 4 register tiles inside
 * cache blocks. Cholesky factors, triangular solves, Gram matrices and the EP updates are all built
 * from it, so that one tuned loop carries the O(m^3) work.
 *
 * Why hand-written code and not a library: on the development machine (AMD EPYC, 2 cores, Node
 * 20.20) the 4 x 4 tile loop below ran at 2.3 to 2.5 GFLOP/s on one core in a microbenchmark
 * (n = 240, depth 256). ml-matrix 6.15.1, the most used npm matrix library, stores arrays of rows
 * and factors without blocking: its CholeskyDecomposition took 5.5 s at n = 1,000 and 46 s at
 * n = 2,000, against 1.0-1.5 s and 6.7 s for the blocked factorisation here on one thread, in the
 * same run (a throwaway script; both slowed by other processes, load average 9 on 2 cores).
 * @stdlib/lapack 0.2.1 has no Cholesky routine, and no npm package offers a multithreaded float64
 * BLAS without native binaries.
 *
 * The functions here are single-threaded and take index ranges, so that a worker pool can split
 * one operation by rows (see `linalg.ts`). Matrices are `MatrixView`s: element (i, j) is
 * `data[offset + i * stride + j]`; `data` may live in a SharedArrayBuffer.
 */

/** A row-major matrix region: element (i, j) is `data[offset + i * stride + j]`. */
export interface MatrixView {
  data: Float64Array;
  offset: number;
  stride: number;
}

export function matrixView(data: Float64Array, stride: number, row = 0, column = 0): MatrixView {
  return { data, offset: row * stride + column, stride };
}

/** Returns the sub-matrix of `view` that starts at (row, column), sharing its data. */
export function subView(view: MatrixView, row: number, column: number): MatrixView {
  return { data: view.data, offset: view.offset + row * view.stride + column, stride: view.stride };
}

/** Depth (p) block of the product kernel: 4 rows of A and 64 rows of B stay in L1/L2 cache. */
const depthBlock = 256;
/** Rows of B (columns of C) per cache block. */
const columnBlock = 64;

/**
 * C[i][j] += alpha * sum_{p < depth} A[i][p] * B[j][p] for i in [rowStart, rowEnd) and j in
 * [columnStart, columnEnd); with `lower`, only the entries with j <= i. Rows of A and of B are read
 * along p, so A B^T needs no transposed copy. Cost: 2 * depth flops per entry updated.
 */
export function addProductNT(
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
): void {
  const cData = c.data;
  const aData = a.data;
  const bData = b.data;
  const cStride = c.stride;
  const aStride = a.stride;
  const bStride = b.stride;
  const columnLimit = lower ? Math.min(columnEnd, rowEnd) : columnEnd;

  for (let p0 = 0; p0 < depth; p0 += depthBlock) {
    const p1 = Math.min(depth, p0 + depthBlock);
    for (let j0 = columnStart; j0 < columnLimit; j0 += columnBlock) {
      const j1 = Math.min(columnLimit, j0 + columnBlock);
      // With `lower`, a tile of rows it..it+3 has entries in this column block only when it + 3 >= j0.
      let firstTile = rowStart;
      if (lower && j0 > rowStart + 3) firstTile = rowStart + 4 * Math.floor((j0 - 3 - rowStart) / 4);
      for (let it = firstTile; it < rowEnd; it += 4) {
        const tileRows = Math.min(4, rowEnd - it);
        const tileColumnEnd = lower ? Math.min(j1, it + 4) : j1;
        const a0 = a.offset + it * aStride;
        for (let jt = j0; jt < tileColumnEnd; jt += 4) {
          const fullTile = tileRows === 4 && jt + 4 <= tileColumnEnd && (!lower || jt + 3 <= it);
          if (!fullTile) {
            addProductScalarTile(c, a, b, it, Math.min(it + 4, rowEnd), jt, Math.min(jt + 4, tileColumnEnd), p0, p1, alpha, lower);
            continue;
          }
          const b0 = b.offset + jt * bStride;
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
          let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
          let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          const ra0 = a0, ra1 = a0 + aStride, ra2 = ra1 + aStride, ra3 = ra2 + aStride;
          const rb0 = b0, rb1 = b0 + bStride, rb2 = rb1 + bStride, rb3 = rb2 + bStride;
          for (let p = p0; p < p1; p++) {
            const x0 = aData[ra0 + p]!, x1 = aData[ra1 + p]!, x2 = aData[ra2 + p]!, x3 = aData[ra3 + p]!;
            const y0 = bData[rb0 + p]!, y1 = bData[rb1 + p]!, y2 = bData[rb2 + p]!, y3 = bData[rb3 + p]!;
            c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
            c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
            c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
            c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
          }
          // Add the tile to C, one row of four entries at a time.
          let o = c.offset + it * cStride + jt;
          cData[o] = cData[o]! + alpha * c00;
          cData[o + 1] = cData[o + 1]! + alpha * c01;
          cData[o + 2] = cData[o + 2]! + alpha * c02;
          cData[o + 3] = cData[o + 3]! + alpha * c03;
          o += cStride;
          cData[o] = cData[o]! + alpha * c10;
          cData[o + 1] = cData[o + 1]! + alpha * c11;
          cData[o + 2] = cData[o + 2]! + alpha * c12;
          cData[o + 3] = cData[o + 3]! + alpha * c13;
          o += cStride;
          cData[o] = cData[o]! + alpha * c20;
          cData[o + 1] = cData[o + 1]! + alpha * c21;
          cData[o + 2] = cData[o + 2]! + alpha * c22;
          cData[o + 3] = cData[o + 3]! + alpha * c23;
          o += cStride;
          cData[o] = cData[o]! + alpha * c30;
          cData[o + 1] = cData[o + 1]! + alpha * c31;
          cData[o + 2] = cData[o + 2]! + alpha * c32;
          cData[o + 3] = cData[o + 3]! + alpha * c33;
        }
      }
    }
  }
}

/** Computes the edge and diagonal tiles of `addProductNT`, one dot product per entry. */
function addProductScalarTile(
  c: MatrixView,
  a: MatrixView,
  b: MatrixView,
  rowStart: number,
  rowEnd: number,
  columnStart: number,
  columnEnd: number,
  p0: number,
  p1: number,
  alpha: number,
  lower: boolean,
): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const aRow = a.offset + i * a.stride;
    const end = lower ? Math.min(columnEnd, i + 1) : columnEnd;
    for (let j = columnStart; j < end; j++) {
      const bRow = b.offset + j * b.stride;
      let sum = 0;
      for (let p = p0; p < p1; p++) sum += a.data[aRow + p]! * b.data[bRow + p]!;
      c.data[c.offset + i * c.stride + j] = c.data[c.offset + i * c.stride + j]! + alpha * sum;
    }
  }
}

/**
 * Factors the n x n symmetric positive definite matrix in the lower triangle of `a` as L L^T, in
 * place (the strict upper triangle is neither read nor written). Returns -1 on success, or the
 * index of the first pivot that is not positive, where the factorisation stopped.
 */
export function choleskyUnblocked(a: MatrixView, n: number): number {
  const data = a.data;
  for (let j = 0; j < n; j++) {
    const rowJ = a.offset + j * a.stride;
    let pivot = data[rowJ + j]!;
    for (let p = 0; p < j; p++) pivot -= data[rowJ + p]! * data[rowJ + p]!;
    if (!(pivot > 0)) return j;
    const diagonal = Math.sqrt(pivot);
    data[rowJ + j] = diagonal;
    for (let i = j + 1; i < n; i++) {
      const rowI = a.offset + i * a.stride;
      let sum = data[rowI + j]!;
      for (let p = 0; p < j; p++) sum -= data[rowI + p]! * data[rowJ + p]!;
      data[rowI + j] = sum / diagonal;
    }
  }
  return -1;
}

/**
 * Replaces each row x of X[rowStart..rowEnd) (its first n entries) with the solution y of
 * y L^T = x, where L is n x n lower triangular: y_j = (x_j - sum_{q < j} y_q L[j][q]) / L[j][j].
 * This is forward substitution with L, applied to every row independently. Four rows go together,
 * so that their sums run as independent dependency chains and share the loads of L.
 */
export function solveRowsLowerTransposed(x: MatrixView, l: MatrixView, rowStart: number, rowEnd: number, n: number): void {
  const xData = x.data;
  const lData = l.data;
  let i = rowStart;
  for (; i + 4 <= rowEnd; i += 4) {
    const row0 = x.offset + i * x.stride;
    const row1 = row0 + x.stride;
    const row2 = row1 + x.stride;
    const row3 = row2 + x.stride;
    for (let j = 0; j < n; j++) {
      const lRow = l.offset + j * l.stride;
      let sum0 = xData[row0 + j]!;
      let sum1 = xData[row1 + j]!;
      let sum2 = xData[row2 + j]!;
      let sum3 = xData[row3 + j]!;
      for (let q = 0; q < j; q++) {
        const value = lData[lRow + q]!;
        sum0 -= xData[row0 + q]! * value;
        sum1 -= xData[row1 + q]! * value;
        sum2 -= xData[row2 + q]! * value;
        sum3 -= xData[row3 + q]! * value;
      }
      const diagonal = lData[lRow + j]!;
      xData[row0 + j] = sum0 / diagonal;
      xData[row1 + j] = sum1 / diagonal;
      xData[row2 + j] = sum2 / diagonal;
      xData[row3 + j] = sum3 / diagonal;
    }
  }
  for (; i < rowEnd; i++) {
    const row = x.offset + i * x.stride;
    for (let j = 0; j < n; j++) {
      const lRow = l.offset + j * l.stride;
      let sum = xData[row + j]!;
      for (let q = 0; q < j; q++) sum -= xData[row + q]! * lData[lRow + q]!;
      xData[row + j] = sum / lData[lRow + j]!;
    }
  }
}

/** Copies rows [rowStart, rowEnd) of the `width` leading columns of `source` into `target`. */
export function copyRows(source: MatrixView, target: MatrixView, rowStart: number, rowEnd: number, width: number): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const from = source.offset + i * source.stride;
    target.data.set(source.data.subarray(from, from + width), target.offset + i * target.stride);
  }
}

/**
 * Solves rows [rowStart, rowEnd) of the panel of the blocked Cholesky factorisation against the
 * factored diagonal block, then copies them into `packed` (stride = width). The trailing update
 * then reads rows `width` doubles apart instead of a whole matrix row apart, which keeps its
 * 64 + 4 rows in a few pages (fewer TLB misses).
 */
export function solveAndPackPanelRows(panel: MatrixView, diagonalBlock: MatrixView, packed: MatrixView, rowStart: number, rowEnd: number, width: number): void {
  solveRowsLowerTransposed(panel, diagonalBlock, rowStart, rowEnd, width);
  copyRows(panel, packed, rowStart, rowEnd, width);
}

/** Block width of the blocked triangular solve and of the blocked Cholesky factorisation. */
export const solveBlock = 128;

/**
 * Replaces rows [rowStart, rowEnd) of the m-column matrix X with X L^-T, where L is the m x m
 * lower-triangular factor in `l`. Blocked by columns: X[:, J] -= X[:, <J] L[J, <J]^T, then a
 * small solve with L[J, J]. Cost: m^2 flops per row. Rows are independent, so workers can take
 * disjoint row ranges without synchronising.
 */
export function solveRowsLowerTransposedBlocked(x: MatrixView, l: MatrixView, rowStart: number, rowEnd: number, m: number): void {
  for (let j0 = 0; j0 < m; j0 += solveBlock) {
    const width = Math.min(solveBlock, m - j0);
    const xBlock = subView(x, 0, j0);
    if (j0 > 0) addProductNT(xBlock, x, subView(l, j0, 0), rowStart, rowEnd, 0, width, j0, -1, false);
    solveRowsLowerTransposed(xBlock, subView(l, j0, j0), rowStart, rowEnd, width);
  }
}

/** Copies the lower triangle of the n x n matrix in `a` into its upper triangle, rows [rowStart, rowEnd). */
export function mirrorLowerRows(a: MatrixView, rowStart: number, rowEnd: number): void {
  const data = a.data;
  for (let i = rowStart; i < rowEnd; i++) {
    const row = a.offset + i * a.stride;
    for (let j = 0; j < i; j++) data[a.offset + j * a.stride + i] = data[row + j]!;
  }
}

/**
 * y = A x for the n x n symmetric matrix whose lower triangle is in `a` (the upper triangle is not
 * read). Cost: 2 n^2 flops.
 */
export function symmetricLowerTimesVector(a: MatrixView, n: number, x: Float64Array, y: Float64Array): void {
  const data = a.data;
  y.fill(0, 0, n);
  for (let i = 0; i < n; i++) {
    const row = a.offset + i * a.stride;
    const xi = x[i]!;
    let sum = 0;
    for (let j = 0; j < i; j++) {
      const value = data[row + j]!;
      sum += value * x[j]!;
      y[j] = y[j]! + value * xi;
    }
    y[i] = y[i]! + sum + data[row + i]! * xi;
  }
}

/** Solves L u = y in place (u overwrites y) for the n x n lower-triangular L in `l`. */
export function forwardSubstitute(l: MatrixView, n: number, y: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const row = l.offset + i * l.stride;
    let sum = y[i]!;
    for (let j = 0; j < i; j++) sum -= l.data[row + j]! * y[j]!;
    y[i] = sum / l.data[row + i]!;
  }
}

/** Solves L^T w = u in place (w overwrites u) for the n x n lower-triangular L in `l`, reading L by rows. */
export function backSubstituteTransposed(l: MatrixView, n: number, u: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    const row = l.offset + i * l.stride;
    const wi = u[i]! / l.data[row + i]!;
    u[i] = wi;
    for (let j = 0; j < i; j++) u[j] = u[j]! - l.data[row + j]! * wi;
  }
}
