import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeMarginalLikelihoodBound } from '../../main/bounds/marginalLikelihood.js';
import { checkBoundMemory, estimateBoundMemory, largestFittingM } from '../../main/bounds/memory.js';
import { LabError } from '../../main/util/errors.js';
import { readEpInputs, readEpLabels } from './fixtures.js';

const plan = { schedule: 'sequential', kernelKind: 'fc', inputSize: 784, workers: 2 } as const;

test('memory estimate at m 10000', () => {
  const estimate = estimateBoundMemory({ ...plan, m: 10_000 });
  assert.equal(estimate.parts.kernel, 8e8);
  assert.equal(estimate.parts.ep, 1.6e9 + 2 * 8 * 10_000 * 128);
  assert.equal(estimate.parts.inputs, 8 * 10_000 * 784);
  const parallel = estimateBoundMemory({ ...plan, schedule: 'parallel', m: 10_000 });
  assert.ok(parallel.bytes < estimate.bytes - 7e8, 'the parallel schedule needs one m x m matrix less');
});

test('largest fitting m is exact', () => {
  for (const limit of [1e6, 5e7, 3.3e9, 2.4e10]) {
    const largest = largestFittingM(plan, limit);
    assert.ok(estimateBoundMemory({ ...plan, m: largest }).bytes <= limit, `m = ${largest} does not fit in ${limit}`);
    assert.ok(estimateBoundMemory({ ...plan, m: largest + 1 }).bytes > limit, `m = ${largest + 1} also fits in ${limit}`);
  }
});

test('memory refusal names largest m', () => {
  const limit = 2e9;
  const largest = largestFittingM(plan, limit);
  assert.throws(
    () => checkBoundMemory({ ...plan, m: 20_000 }, limit),
    (error: unknown) => {
      assert.ok(error instanceof LabError);
      assert.equal(error.kind, 'resource');
      assert.match(error.message, /m = 20,000 needs about 9\.\d\d GB/);
      assert.ok(error.message.includes(`The largest m that fits is ${largest.toLocaleString('en-US')}`), error.message);
      assert.match(error.message, /parallel EP schedule needs one m x m matrix less/);
      return true;
    },
  );
});

test('bound raises before allocating', async () => {
  const m = 3000;
  const request = {
    x: new Float32Array(m * 4),
    inputShape: [4],
    labels: new Uint8Array(m),
    kernel: { kind: 'fc', depth: 1, sigmaW2: 2, sigmaB2: 0.01 } as const,
    memoryLimitBytes: 1e8,
  };
  const largest = largestFittingM({ schedule: 'sequential', kernelKind: 'fc', inputSize: 4, workers: 2 }, 1e8);
  await assert.rejects(computeMarginalLikelihoodBound({ ...request, schedule: 'sequential' }), (error: unknown) => {
    assert.ok(error instanceof LabError);
    assert.equal(error.kind, 'resource');
    assert.ok(error.message.includes(`The largest m that fits is ${largest.toLocaleString('en-US')};`), error.message);
    return true;
  });
});

test('auto schedule falls back to parallel', async () => {
  const m = 128;
  const x = readEpInputs().subarray(0, m * 196);
  const labels = readEpLabels().subarray(0, m);
  const kernel = { kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: 0.01 } as const;
  const sequentialBytes = estimateBoundMemory({ ...plan, inputSize: 196, workers: 1, m }).bytes;
  const parallelBytes = estimateBoundMemory({ ...plan, inputSize: 196, workers: 1, schedule: 'parallel', m }).bytes;
  const result = await computeMarginalLikelihoodBound({ x, inputShape: [196], labels, kernel, memoryLimitBytes: (sequentialBytes + parallelBytes) / 2 });
  assert.equal(result.schedule, 'parallel');
  assert.equal(result.expectedMemoryBytes, parallelBytes);
  const sequential = await computeMarginalLikelihoodBound({ x, inputShape: [196], labels, kernel });
  assert.equal(sequential.schedule, 'sequential');
  assert.equal(sequential.expectedMemoryBytes, sequentialBytes);
  assert.ok(Math.abs(sequential.logP - result.logP) <= 1e-6, `sequential ${sequential.logP}, parallel ${result.logP}`);
});
