import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MatrixView } from '../../main/bounds/dense.js';
import { addProductNT, matrixView, solveRowsLowerTransposedBlocked } from '../../main/bounds/dense.js';
import { choleskyInPlace } from '../../main/bounds/linalg.js';
import { createExecutor, createInlineExecutor } from '../../main/bounds/executors.js';
import { linalgOps } from '../../main/bounds/linalgOps.js';
import { createNativeOps } from '../../main/bounds/nativeExecutor.js';
import { addonBuildCommand, loadLinalgAddon, parseLinalgChoice, selectLinalg } from '../../main/bounds/nativeLinalg.js';
import { LabError } from '../../main/util/errors.js';
import { Rng } from '../../main/util/rng.js';
import { nativeAddon, nativeSkip } from './backends.js';

const sizes = [1, 7, 129, 300];
const threadCounts = [1, 3];
const tolerance = 1e-12;

function randomArray(length: number, rng: Rng): Float64Array {
  const data = new Float64Array(length);
  for (let i = 0; i < length; i++) data[i] = rng.nextNormal();
  return data;
}

/** max |actual - expected| / max |expected| over the entries that `include` selects. */
function relativeDifference(actual: Float64Array, expected: Float64Array, include: (index: number) => boolean = () => true): number {
  let largestDifference = 0;
  let largestValue = 0;
  for (let index = 0; index < expected.length; index++) {
    if (!include(index)) continue;
    largestDifference = Math.max(largestDifference, Math.abs(actual[index]! - expected[index]!));
    largestValue = Math.max(largestValue, Math.abs(expected[index]!));
  }
  return largestValue === 0 ? largestDifference : largestDifference / largestValue;
}

/** Returns the index of the first entry where the two arrays differ outside `include`, or -1. */
function firstChangeOutside(actual: Float64Array, before: Float64Array, include: (index: number) => boolean): number {
  for (let index = 0; index < before.length; index++) {
    if (include(index)) continue;
    if (!Object.is(actual[index], before[index])) return index;
  }
  return -1;
}

/** Returns a symmetric positive definite n x n matrix A A^T / n + I, row-major, full. */
function randomSpd(n: number, rng: Rng): Float64Array {
  const a = randomArray(n * n, rng);
  const spd = new Float64Array(n * n);
  addProductNT(matrixView(spd, n), matrixView(a, n), matrixView(a, n), 0, n, 0, n, n, 1 / n, false);
  for (let i = 0; i < n; i++) spd[i * n + i] = spd[i * n + i]! + 1;
  return spd;
}

/** Embeds an n-row view with `columns` columns at (2, 3) of a larger matrix (stride columns + 5). */
function paddedView(rows: number, columns: number, rng: Rng): { view: MatrixView; inside: (index: number) => boolean; width: number } {
  const stride = columns + 5;
  const data = randomArray((rows + 4) * stride, rng);
  const view = { data, offset: 2 * stride + 3, stride };
  const inside = (index: number): boolean => {
    const row = Math.floor(index / stride) - 2;
    const column = (index % stride) - 3;
    return row >= 0 && row < rows && column >= 0 && column < columns;
  };
  return { view, inside, width: stride };
}

for (const n of sizes) {
  for (const lower of [false, true]) {
    test(`native product ${lower ? 'lower ' : ''}n ${n}`, { skip: nativeSkip }, async () => {
      const rng = new Rng('native-product', n, String(lower));
      const rows = n;
      const columns = lower ? n : n + 5;
      const depth = n + 2;
      const c = paddedView(rows, columns, rng);
      const a = matrixView(randomArray(rows * depth, rng), depth);
      const b = matrixView(randomArray(columns * depth, rng), depth);
      const rowStart = n > 2 ? 2 : 0;
      const columnStart = n > 2 ? 1 : 0;
      // Entries the call may write: rows [rowStart, rows), columns [columnStart, columns), j <= i with `lower`.
      const written = (index: number): boolean => {
        if (!c.inside(index)) return false;
        const row = Math.floor(index / c.width) - 2;
        const column = (index % c.width) - 3;
        return row >= rowStart && column >= columnStart && (!lower || column <= row);
      };
      const expected = Float64Array.from(c.view.data);
      addProductNT({ ...c.view, data: expected }, a, b, rowStart, rows, columnStart, columns, depth, -0.7, lower);
      for (const threads of threadCounts) {
        const actual = Float64Array.from(c.view.data);
        await nativeAddon!.addProductNT({ ...c.view, data: actual }, a, b, rowStart, rows, columnStart, columns, depth, -0.7, lower, threads);
        const difference = relativeDifference(actual, expected, written);
        assert.ok(difference <= tolerance, `threads ${threads}: relative difference ${difference}`);
        assert.equal(firstChangeOutside(actual, c.view.data, written), -1, `threads ${threads}: an entry outside the updated region changed`);
      }
    });
  }

  test(`native triangular solve n ${n}`, { skip: nativeSkip }, async () => {
    const rng = new Rng('native-solve', n);
    const factor = randomSpd(n, rng);
    assert.equal(await choleskyInPlace(factor, n, createInlineExecutor()), -1);
    // NaN in the strict upper triangle: a kernel that read it would return NaN.
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) factor[i * n + j] = Number.NaN;
    const rows = n + 3;
    const x = paddedView(rows, n, rng);
    const solved = (index: number): boolean => x.inside(index) && Math.floor(index / x.width) - 2 >= 1;
    const expected = Float64Array.from(x.view.data);
    solveRowsLowerTransposedBlocked({ ...x.view, data: expected }, matrixView(factor, n), 1, rows, n);
    for (const threads of threadCounts) {
      const actual = Float64Array.from(x.view.data);
      await nativeAddon!.solveRowsLowerTransposed({ ...x.view, data: actual }, matrixView(factor, n), 1, rows, n, threads);
      const difference = relativeDifference(actual, expected, solved);
      assert.ok(difference <= tolerance, `threads ${threads}: relative difference ${difference}`);
      assert.equal(firstChangeOutside(actual, x.view.data, solved), -1, `threads ${threads}: an entry outside rows 1..${rows - 1} changed`);
    }
  });

  test(`native cholesky n ${n}`, { skip: nativeSkip }, async () => {
    const rng = new Rng('native-cholesky', n);
    const matrix = randomSpd(n, rng);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) matrix[i * n + j] = Number.NaN;
    const lowerEntry = (index: number): boolean => index % n <= Math.floor(index / n);
    const expected = Float64Array.from(matrix);
    assert.equal(await choleskyInPlace(expected, n, createInlineExecutor()), -1);
    for (const threads of threadCounts) {
      const actual = Float64Array.from(matrix);
      assert.equal(await nativeAddon!.choleskyLower(matrixView(actual, n), n, threads), -1);
      const difference = relativeDifference(actual, expected, lowerEntry);
      assert.ok(difference <= tolerance, `threads ${threads}: relative difference ${difference}`);
      assert.equal(firstChangeOutside(actual, matrix, lowerEntry), -1, `threads ${threads}: the strict upper triangle changed`);
    }
  });
}

test('native cholesky reports failed pivot', { skip: nativeSkip }, async () => {
  const n = 300;
  for (const [pivot, value] of [[0, -1], [150, 0], [299, Number.NaN]] as const) {
    const matrix = randomSpd(n, new Rng('native-pivot', pivot));
    // Row and column `pivot` become zero apart from the diagonal, so that pivot is exactly `value`.
    for (let j = 0; j < n; j++) {
      matrix[pivot * n + j] = 0;
      matrix[j * n + pivot] = 0;
    }
    matrix[pivot * n + pivot] = value;
    const expected = await choleskyInPlace(Float64Array.from(matrix), n, createInlineExecutor());
    assert.equal(expected, pivot);
    assert.equal(await nativeAddon!.choleskyLower(matrixView(matrix, n), n, 2), pivot, `pivot ${pivot} (value ${value})`);
  }
});

test('native ep tasks match js tasks', { skip: nativeSkip }, async () => {
  const m = 129;
  const width = 20;
  const rng = new Rng('native-ep-tasks', m);
  const kernel = randomSpd(m, rng);
  const rootTau = Float64Array.from({ length: m }, () => 0.2 + rng.nextFloat());
  const factor = new Float64Array(m * m);
  linalgOps.formBRows(matrixView(factor, m), matrixView(kernel, m), rootTau, 0, m);
  assert.equal(await choleskyInPlace(factor, m, createInlineExecutor()), -1);
  const native = createNativeOps(nativeAddon!, 2);

  const jsSolve = new Float64Array(m * m);
  const nativeSolve = new Float64Array(m * m);
  linalgOps.solveCovarianceFactorRows(matrixView(jsSolve, m), matrixView(kernel, m), matrixView(factor, m), rootTau, 0, m, m);
  await native.solveCovarianceFactorRows(matrixView(nativeSolve, m), matrixView(kernel, m), matrixView(factor, m), rootTau, 0, m, m);
  assert.ok(relativeDifference(nativeSolve, jsSolve) <= tolerance, 'solveCovarianceFactorRows');

  const jsSigma = new Float64Array(m * m);
  const nativeSigma = new Float64Array(m * m);
  linalgOps.covarianceRows(matrixView(jsSigma, m), matrixView(kernel, m), matrixView(jsSolve, m), 0, m, m);
  await native.covarianceRows(matrixView(nativeSigma, m), matrixView(kernel, m), matrixView(jsSolve, m), 0, m, m);
  assert.ok(relativeDifference(nativeSigma, jsSigma) <= tolerance, 'covarianceRows');

  const jsVariance = new Float64Array(m);
  const nativeVariance = new Float64Array(m);
  linalgOps.posteriorVarianceRows(matrixView(kernel, m), matrixView(factor, m), rootTau, jsVariance, 3, m, m);
  await native.posteriorVarianceRows(matrixView(kernel, m), matrixView(factor, m), rootTau, nativeVariance, 3, m, m);
  assert.ok(relativeDifference(nativeVariance, jsVariance) <= tolerance, 'posteriorVarianceRows');

  const gt = matrixView(randomArray(width * width, rng), width);
  const meanCoefficients = randomArray(width, rng);
  const rankOneCoefficients = randomArray(width, rng);
  const below = m - width;
  const results = [];
  for (const ops of [linalgOps, native]) {
    const columns = matrixView(randomArray(below * width, rng), width);
    const scaledColumns = matrixView(new Float64Array(below * width), width);
    const mu = Float64Array.from({ length: m }, (_, i) => i / m);
    await ops.epColumnsBelowBlock(matrixView(jsSigma, m, width, 0), gt, columns, scaledColumns, mu, width, meanCoefficients, rankOneCoefficients, 0, below, width);
    const trailing = Float64Array.from(jsSigma);
    await ops.epTrailingUpdateRows(matrixView(trailing, m, width, width), columns, scaledColumns, 0, below, width);
    results.push({ columns: columns.data, scaled: scaledColumns.data, mu, trailing });
  }
  const [fromJs, fromNative] = results as [(typeof results)[0], (typeof results)[0]];
  assert.ok(relativeDifference(fromNative.columns, fromJs.columns) <= tolerance, 'epColumnsBelowBlock columns');
  assert.ok(relativeDifference(fromNative.scaled, fromJs.scaled) <= tolerance, 'epColumnsBelowBlock scaled columns');
  assert.ok(relativeDifference(fromNative.mu, fromJs.mu) <= tolerance, 'epColumnsBelowBlock mean');
  assert.ok(relativeDifference(fromNative.trailing, fromJs.trailing) <= tolerance, 'epTrailingUpdateRows');
});

test('native kernels reject bad arguments', { skip: nativeSkip }, async () => {
  const addon = nativeAddon!;
  const data = new Float64Array(16);
  const view = matrixView(data, 4);
  assert.throws(() => addon.choleskyLower({ data, offset: 0, stride: 5 }, 4, 1), (error: unknown) => error instanceof RangeError && /a reaches element 18 of a Float64Array of length 16/.test(error.message));
  assert.throws(() => addon.addProductNT(view, view, { data: new Float32Array(16) as unknown as Float64Array, offset: 0, stride: 4 }, 0, 4, 0, 4, 4, 1, false, 1), /b\.data must be a Float64Array/);
  assert.throws(() => addon.solveRowsLowerTransposed(view, view, 0, 4, 4, 0), /threads is 0/);
  assert.throws(() => addon.solveRowsLowerTransposed({ data, offset: 0, stride: 2 }, view, 0, 2, 4, 1), /x\.stride is 2/);
  assert.throws(() => addon.addProductNT(view, view, view, 0, 4, 0, 4, 4.5, 1, false, 1), /depth is 4\.5/);
  // Empty ranges touch nothing and check no bounds.
  await addon.addProductNT(view, view, view, 3, 3, 0, 100, 100, 1, false, 1);
  assert.deepEqual(data, new Float64Array(16));
});

test('addon loader reports missing build', () => {
  const load = loadLinalgAddon(['/nonexistent/native/linalg/build/Release/linalg.node']);
  assert.equal(load.addon, undefined);
  const reason = 'reason' in load ? load.reason : '';
  assert.ok(reason.includes(addonBuildCommand), `reason "${reason}" does not name the build command`);
});

test('linalg selection falls back to js', () => {
  const missing = () => loadLinalgAddon(['/nonexistent/linalg.node']);
  assert.deepEqual(selectLinalg('auto', missing), { backend: 'js' });
  assert.deepEqual(selectLinalg('js', missing), { backend: 'js' });
  assert.throws(
    () => selectLinalg('native', missing),
    (error: unknown) => error instanceof LabError && error.kind === 'unsupported' && error.message.includes(addonBuildCommand),
  );
});

test('FRAGILITY_LAB_LINALG value parsing', () => {
  assert.equal(parseLinalgChoice(undefined), 'auto');
  assert.equal(parseLinalgChoice(''), 'auto');
  assert.equal(parseLinalgChoice('auto'), 'auto');
  assert.equal(parseLinalgChoice('js'), 'js');
  assert.equal(parseLinalgChoice('native'), 'native');
  assert.throws(() => parseLinalgChoice('blas'), (error: unknown) => error instanceof LabError && error.kind === 'invalid-input' && /FRAGILITY_LAB_LINALG is "blas"/.test(error.message));
});

test('executor backend follows choice', { skip: nativeSkip }, () => {
  assert.equal(createExecutor(100, 2, 'js').backend, 'js');
  const native = createExecutor(100, 2, 'native');
  assert.equal(native.backend, 'native');
  assert.equal(native.threads, 2);
  assert.equal(createExecutor(100, 2, 'auto').backend, 'native');
});
