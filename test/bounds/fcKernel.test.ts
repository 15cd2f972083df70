import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeExecutor, createExecutor, createInlineExecutor, WorkerPool } from '../../main/bounds/executors.js';
import { computeFcKernel, validateFcKernelSpec } from '../../main/bounds/fcKernel.js';
import { LabError } from '../../main/util/errors.js';
import { backendCases } from './backends.js';
import { readKernelCases, readKernelInputs, withinTolerance } from './fixtures.js';

const inputs = readKernelInputs();

for (const { linalg, skip } of backendCases) {
  for (const kernelCase of readKernelCases()) {
    const name = `fc kernel ${kernelCase.inputs} depth ${kernelCase.depth} (${kernelCase.sigma_w2}, ${kernelCase.sigma_b2}) ${linalg}`;
    test(name, { skip }, async () => {
      const rows = inputs[kernelCase.inputs];
      const m = rows.length;
      const d = rows[0]!.length;
      const spec = { kind: 'fc', depth: kernelCase.depth, sigmaW2: kernelCase.sigma_w2, sigmaB2: kernelCase.sigma_b2 } as const;
      const executor = createExecutor(m, 2, linalg);
      try {
        const kernel = await computeFcKernel(rows.flat(), m, d, spec, executor);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < m; j++) {
            const expected = kernelCase.K[i]![j]!;
            const actual = kernel[i * m + j]!;
            assert.ok(withinTolerance(actual, expected, 1e-10), `K[${i}][${j}] = ${actual}, expected ${expected}`);
          }
        }
      } finally {
        await closeExecutor(executor);
      }
    });
  }
}

test('fc kernel pool matches inline', async () => {
  const m = 403;
  const d = 37;
  const x = Float64Array.from({ length: m * d }, (_, index) => Math.sin(index * 0.37) + 0.5);
  const spec = { kind: 'fc', depth: 3, sigmaW2: 2, sigmaB2: 0.01 } as const;
  const inline = await computeFcKernel(x, m, d, spec, createInlineExecutor());
  const pool = new WorkerPool(2);
  try {
    const pooled = await computeFcKernel(x, m, d, spec, pool);
    let largest = 0;
    for (let i = 0; i < m * m; i++) largest = Math.max(largest, Math.abs(pooled[i]! - inline[i]!));
    assert.ok(largest <= 1e-14, `largest difference ${largest}`);
    for (let i = 0; i < m; i++) assert.equal(inline[i * m + (i + 1) % m], inline[((i + 1) % m) * m + i], `K is not symmetric at row ${i}`);
  } finally {
    await pool.close();
  }
});

test('fc kernel rejects invalid settings', () => {
  assert.throws(() => validateFcKernelSpec({ kind: 'fc', depth: -1, sigmaW2: 2, sigmaB2: 0 }), (error: unknown) => error instanceof LabError && error.field === 'kernel.depth');
  assert.throws(() => validateFcKernelSpec({ kind: 'fc', depth: 2, sigmaW2: 0, sigmaB2: 0 }), (error: unknown) => error instanceof LabError && error.field === 'kernel.sigmaW2');
  assert.throws(() => validateFcKernelSpec({ kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: -1 }), (error: unknown) => error instanceof LabError && error.field === 'kernel.sigmaB2');
});
