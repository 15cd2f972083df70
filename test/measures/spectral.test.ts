// Largest singular values by Lanczos iteration against known values and a long power iteration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { largestSingularValueSquared } from '../../main/measures/spectral.js';
import { Rng } from '../../main/util/rng.js';
import { assertClose } from './fixtureCases.js';

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Rng('spectral test', seed);
  return Float64Array.from({ length: rows * cols }, () => rng.nextNormal());
}

/** sigma_max^2 by plain power iteration on A^T A, run long enough for these small matrices. */
function powerIteration(a: Float64Array, rows: number, cols: number, steps: number): number {
  let v = new Float64Array(cols).fill(1);
  let value = 0;
  for (let step = 0; step < steps; step++) {
    const u = new Float64Array(rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) u[i] = u[i]! + a[i * cols + j]! * v[j]!;
    const w = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[j] = w[j]! + a[i * cols + j]! * u[i]!;
    const norm = Math.sqrt(w.reduce((total, x) => total + x * x, 0));
    value = w.reduce((total, x, j) => total + x * v[j]!, 0);
    v = w.map((x) => x / norm);
  }
  return value;
}

test('diagonal matrix gives its largest entry squared', () => {
  const a = new Float64Array(16);
  [3, -7, 2, 5].forEach((value, i) => (a[i * 4 + i] = value));
  assert.equal(largestSingularValueSquared(a, 4, 4).value, 49);
});

test('rank-one matrix gives the product of norms', () => {
  const u = [1, 2, -2];
  const v = [3, 0, 4, 1, 1];
  const a = Float64Array.from(u.flatMap((x) => v.map((y) => x * y)));
  assertClose(largestSingularValueSquared(a, 3, 5).value, 9 * 27, { relative: 1e-13 }, 'rank one');
});

test('close top singular values agree with long power iteration', () => {
  // Two singular values 1 and 0.999 on an orthogonal basis: power iteration needs thousands of steps.
  const n = 40;
  const a = new Float64Array(n * n);
  for (let i = 2; i < n; i++) a[i * n + i] = 0.5 * Math.cos(i);
  a[0] = 1;
  a[n + 1] = 0.999;
  const result = largestSingularValueSquared(a, n, n);
  assertClose(result.value, 1, { relative: 1e-12 }, 'sigma_max^2');
  assert.ok(result.converged);
});

for (const [rows, cols] of [[64, 196], [196, 64], [10, 32], [1, 24], [24, 1], [72, 16]] as const) {
  test(`random ${rows}x${cols} matrix`, () => {
    const a = randomMatrix(rows, cols, rows * 1000 + cols);
    const result = largestSingularValueSquared(a, rows, cols);
    assert.ok(result.converged, `converged in ${result.steps} steps`);
    assert.ok(result.steps <= Math.min(rows, cols));
    assertClose(result.value, powerIteration(a, rows, cols, 3000), { relative: 1e-9 }, 'against power iteration');
  });
}

test('zero matrix gives zero', () => {
  const result = largestSingularValueSquared(new Float64Array(12), 3, 4);
  assert.equal(result.value, 0);
  assert.ok(result.converged);
});

test('rows that sum to zero do not hide the top value', () => {
  // Every row sums to 0, so an all-ones start vector is in the null space; numpy's SVD gives 21.
  const a = Float64Array.from([1, -1, 0, 2, 0, -2, 0, 3, -3]);
  assert.ok(!(powerIteration(a, 3, 3, 10) > 0), 'power iteration from all ones finds no direction');
  assertClose(largestSingularValueSquared(a, 3, 3).value, 21, { relative: 1e-12 }, 'sigma_max^2');
});

test('shape mismatch throws', () => {
  assert.throws(() => largestSingularValueSquared(new Float64Array(5), 2, 3), RangeError);
});
