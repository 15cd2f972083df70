import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choleskyUnblocked, matrixView } from '../../main/bounds/dense.js';
import { EpNotConvergedError, defaultEpOptions, runExpectationPropagation } from '../../main/bounds/ep.js';
import { closeExecutor, createExecutor, createInlineExecutor } from '../../main/bounds/executors.js';
import { computeMarginalLikelihoodBound, marginalLikelihoodBound, missingReasonForTask } from '../../main/bounds/marginalLikelihood.js';
import { LabError } from '../../main/util/errors.js';
import { Rng } from '../../main/util/rng.js';
import { backendCases } from './backends.js';
import { readEpFixture, readEpInputs, readEpLabels, readFcnBinaryCase, withinTolerance } from './fixtures.js';

const fixture = readEpFixture();
const inputs = readEpInputs();
const labels = readEpLabels();
const inputSize = 196;

for (const { linalg, skip } of backendCases) {
  for (const entry of fixture.results) {
    const name = `ep fixture m ${entry.m} depth ${entry.depth} (${entry.sigma_w2}, ${entry.sigma_b2}) ${linalg}`;
    test(name, { skip }, async () => {
      const result = await computeMarginalLikelihoodBound({
        x: inputs.subarray(0, entry.m * inputSize),
        inputShape: [14, 14, 1],
        labels: labels.subarray(0, entry.m),
        kernel: { kind: 'fc', depth: entry.depth, sigmaW2: entry.sigma_w2, sigmaB2: entry.sigma_b2 },
        schedule: 'sequential',
        linalg,
      });
      assert.equal(result.linalg, linalg);
      assert.ok(withinTolerance(result.logP, entry.log_p, 1e-5), `ln P(S) = ${result.logP}, expected ${entry.log_p}`);
      assert.ok(Math.abs(result.bound - entry.bound) <= 1e-6, `bound = ${result.bound}, expected ${entry.bound}`);
      assert.equal(result.epSweeps, entry.ep_sweeps);
      assert.equal(result.delta, fixture.delta);
    });
  }

  for (const entry of fixture.results.filter((candidate) => candidate.K !== undefined)) {
    test(`ep on fixture kernel m ${entry.m} ${linalg}`, { skip }, async () => {
      const m = entry.m;
      const kernel = Float64Array.from(entry.K!.flat());
      const executor = createExecutor(m, 2, linalg);
      try {
        assert.equal(executor.backend, linalg);
        const result = await runExpectationPropagation(kernel, labels.subarray(0, m), executor);
        assert.ok(withinTolerance(result.logP, entry.log_p, 1e-5), `ln P(S) = ${result.logP}, expected ${entry.log_p}`);
        assert.ok(Math.abs(marginalLikelihoodBound(result.logP, m) - entry.bound) <= 1e-6);
        assert.equal(result.sweeps, entry.ep_sweeps);
      } finally {
        await closeExecutor(executor);
      }
    });
  }

  // m = 128 only: at m = 512 the parallel schedule needs 52 sweeps (about 10 s on two loaded cores).
  for (const entry of fixture.results.filter((candidate) => candidate.m === 128)) {
    test(`parallel ep matches fixture m ${entry.m} depth ${entry.depth} ${linalg}`, { skip }, async () => {
      const result = await computeMarginalLikelihoodBound({
        x: inputs.subarray(0, entry.m * inputSize),
        inputShape: [14, 14, 1],
        labels: labels.subarray(0, entry.m),
        kernel: { kind: 'fc', depth: entry.depth, sigmaW2: entry.sigma_w2, sigmaB2: entry.sigma_b2 },
        schedule: 'parallel',
        linalg,
      });
      assert.equal(result.linalg, linalg);
      assert.ok(Math.abs(result.logP - entry.log_p) <= 1e-6, `ln P(S) = ${result.logP}, expected ${entry.log_p}`);
      assert.ok(Math.abs(result.bound - entry.bound) <= 1e-6, `bound = ${result.bound}, expected ${entry.bound}`);
    });
  }

  test(`bound of fcn_binary measures fixture ${linalg}`, { skip }, async () => {
    const { x, labels: caseLabels, expected } = readFcnBinaryCase();
    const result = await computeMarginalLikelihoodBound({
      x,
      inputShape: [14, 14, 1],
      labels: caseLabels,
      kernel: { kind: 'fc', depth: expected.hidden_layers, sigmaW2: expected.sigma_w2, sigmaB2: expected.sigma_b2 },
      linalg,
    });
    assert.equal(result.m, 400);
    assert.equal(result.linalg, linalg);
    assert.ok(withinTolerance(result.logP, expected.log_p, 1e-5), `ln P(S) = ${result.logP}, expected ${expected.log_p}`);
    assert.ok(Math.abs(result.bound - expected.bound) <= 1e-6, `bound = ${result.bound}, expected ${expected.bound}`);
    assert.equal(result.epSweeps, expected.ep_sweeps);
  });
}

test('ep with diagonal kernel gives -m ln 2', async () => {
  const m = 37;
  const kernel = new Float64Array(m * m);
  for (let i = 0; i < m; i++) kernel[i * m + i] = 0.5 + (i % 5);
  const siteLabels = Int32Array.from({ length: m }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  for (const schedule of ['sequential', 'parallel'] as const) {
    const result = await runExpectationPropagation(Float64Array.from(kernel), siteLabels, createInlineExecutor(), { ...defaultEpOptions, schedule });
    assert.ok(Math.abs(result.logP + m * Math.LN2) <= 1e-12, `${schedule}: ln P(S) = ${result.logP}, expected ${-m * Math.LN2}`);
  }
});

test('ep with one example gives -ln 2', async () => {
  for (const label of [0, 1]) {
    const result = await runExpectationPropagation(Float64Array.of(2.7), [label], createInlineExecutor());
    assert.ok(Math.abs(result.logP + Math.LN2) <= 1e-14, `label ${label}: ln P(S) = ${result.logP}`);
  }
});

test('ep non-convergence is an error with the sweep count', async () => {
  const entry = fixture.results.find((candidate) => candidate.K !== undefined && candidate.m === 8)!;
  const run = runExpectationPropagation(Float64Array.from(entry.K!.flat()), labels.subarray(0, 8), createInlineExecutor(), { ...defaultEpOptions, maxSweeps: 3 });
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof EpNotConvergedError);
    assert.equal(error.kind, 'unsupported');
    assert.equal(error.sweeps, 3);
    assert.match(error.message, /did not converge in 3 sweeps/);
    return true;
  });
});

test('ep matches Monte Carlo P(S)', async () => {
  // Draws f ~ N(0, K) with K the jittered m = 8 fixture kernel and counts the draws whose signs
  // match t = 2y - 1, or -t (the same probability by symmetry): P = count / (2 N).
  const validation = fixture.monte_carlo_validation.find((entry) => entry.m === 8)!;
  const entry = fixture.results.find((candidate) => candidate.K !== undefined && candidate.m === 8)!;
  const m = 8;
  const kernel = Float64Array.from(entry.K!.flat());
  let trace = 0;
  for (let i = 0; i < m; i++) trace += kernel[i * m + i]!;
  const factor = Float64Array.from(kernel);
  for (let i = 0; i < m; i++) factor[i * m + i] = factor[i * m + i]! + (fixture.jitter_times_mean_diag * trace) / m;
  assert.equal(choleskyUnblocked(matrixView(factor, m), m), -1);

  const signs = validation.labels.map((label) => 2 * label - 1);
  const rng = new Rng(2024, 'ep-monte-carlo');
  const draws = 1_000_000;
  const normal = new Float64Array(m);
  let matches = 0;
  for (let draw = 0; draw < draws; draw++) {
    for (let i = 0; i < m; i++) normal[i] = rng.nextNormal();
    let same = true;
    let opposite = true;
    for (let i = 0; i < m && (same || opposite); i++) {
      let f = 0;
      for (let j = 0; j <= i; j++) f += factor[i * m + j]! * normal[j]!;
      if (f * signs[i]! <= 0) same = false;
      if (f * signs[i]! >= 0) opposite = false;
    }
    if (same || opposite) matches++;
  }
  const probability = matches / (2 * draws);
  const standardError = Math.sqrt((probability * (1 - 2 * probability)) / (2 * draws));
  // The sampler agrees with the reference Monte Carlo (4e7 draws) within 4 standard errors.
  assert.ok(Math.abs(probability - validation.p_mc) <= 4 * Math.hypot(standardError, validation.p_mc_se), `P(S) by Monte Carlo = ${probability} +- ${standardError}, reference ${validation.p_mc}`);
  // EP underestimates P(S) by about 0.8% here (its approximation error); allow 3% plus 4 standard errors.
  const result = await runExpectationPropagation(Float64Array.from(kernel), validation.labels, createInlineExecutor());
  const epProbability = Math.exp(result.logP);
  assert.ok(Math.abs(epProbability / probability - 1) <= 0.03 + (4 * standardError) / probability, `P(S) by EP = ${epProbability}, by Monte Carlo ${probability}`);
  assert.ok(Math.abs(result.logP - validation.log_p_ep) <= 1e-5);
});

test('ep cancelled by abort signal', async () => {
  const controller = new AbortController();
  controller.abort();
  const run = computeMarginalLikelihoodBound({
    x: inputs.subarray(0, 32 * inputSize),
    inputShape: [196],
    labels: labels.subarray(0, 32),
    kernel: { kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: 0.01 },
    signal: controller.signal,
  });
  await assert.rejects(run, (error: unknown) => error instanceof LabError && error.kind === 'cancelled');
});

test('bound rejects multiclass labels', async () => {
  const run = computeMarginalLikelihoodBound({ x: new Float32Array(4 * 2), inputShape: [2], labels: Int32Array.of(0, 1, 2, 1), kernel: { kind: 'fc', depth: 1, sigmaW2: 2, sigmaB2: 0 } });
  await assert.rejects(run, (error: unknown) => error instanceof LabError && error.kind === 'unsupported' && /label 2 at index 2 .* defined for binary tasks only/.test(error.message));
  assert.equal(missingReasonForTask('multiclass'), 'defined for binary tasks only');
  assert.equal(missingReasonForTask('binary'), undefined);
});
