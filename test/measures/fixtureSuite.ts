/**
 * The fixture tests, defined once and run on one backend per test file (tf.setBackend is
 * process-global). Every value of every case's expected.json is checked with the tolerance its
 * README states. Each case and each measure is its own subtest, so a failure names both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { computeMeasures } from '../../main/measures/compute.js';
import { buildFoldedModel } from '../../main/measures/foldedModel.js';
import { TrainingBatches, predictLogits } from '../../main/measures/forward.js';
import { computeMargins } from '../../main/measures/margin.js';
import { squaredNorm } from '../../main/measures/norms.js';
import { largestSingularValueSquared } from '../../main/measures/spectral.js';
import type { MeasureReport } from '../../main/measures/types.js';
import { Unavailable } from '../../main/measures/unavailable.js';
import { extractFoldedNetwork, kernelMatrixShape } from '../../main/measures/weights.js';
import type { FoldedNetwork } from '../../main/measures/weights.js';
import type { BackendName } from '../../main/tf/backend.js';
import { initBackend } from '../../main/tf/backend.js';
import type { MeasureCase } from './fixtureCases.js';
import {
  assertClose,
  deterministicIds,
  inputTensor,
  listMeasureCases,
  loadCaseModels,
  loadMeasureCase,
  measureTolerance,
  outputTolerance,
  pacBayesIds,
} from './fixtureCases.js';

function sum(values: Float64Array): number {
  return values.reduce((total, value) => total + value, 0);
}

function checkMeasure(report: MeasureReport, id: string, expected: { raw: number; adjusted: number }): void {
  const value = report.values[id];
  assert.ok(value !== undefined, `${id} is absent from the report`);
  assert.ok(!('missing' in value), `${id} is missing: ${'missing' in value ? value.missing : ''}`);
  if (id === 'params') {
    assert.equal(value.raw, expected.raw, 'params raw');
    assertClose(value.adjusted, expected.adjusted, { relative: 2e-4 }, 'params adjusted');
    return;
  }
  assertClose(value.raw, expected.raw, measureTolerance(id), `${id} raw`);
  assertClose(value.adjusted, expected.adjusted, measureTolerance(id), `${id} adjusted`);
}

async function logitsOf(model: tf.LayersModel, x: tf.Tensor): Promise<number[][]> {
  const output = tf.tidy(() => model.predict(x) as tf.Tensor);
  const rows = (await output.array()) as number[][];
  output.dispose();
  return rows;
}

function checkRows(actual: number[][], expected: number[][], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: number of rows`);
  expected.forEach((row, i) => row.forEach((value, j) => assertClose(actual[i]![j], value, outputTolerance(value), `${label}[${i}][${j}]`)));
}

async function runCase(t: test.TestContext, measureCase: MeasureCase): Promise<void> {
  const { expected } = measureCase;
  const { model, initModel } = await loadCaseModels(measureCase);
  const x = inputTensor(measureCase);
  const [first, second] = expected.pacbayes_fixed_sigma;
  try {
    const base = { model, initModel, x, y: measureCase.y, task: expected.task };
    const report = await computeMeasures({
      ...base,
      ids: [...deterministicIds, ...pacBayesIds],
      options: { noise: 'stated', seed: 0, sigma: first!.sigma, sigmaMag: first!.sigma_prime },
    });
    const secondReport = await computeMeasures({
      ...base,
      ids: [...pacBayesIds],
      options: { noise: 'stated', seed: 0, sigma: second!.sigma, sigmaMag: second!.sigma_prime },
    });

    await t.test('train accuracy and margin', () => {
      assertClose(report.trainAccuracy, expected.train_accuracy, { absolute: 1e-12 }, 'train accuracy');
      assert.equal(report.m, expected.m, 'm');
      assert.equal(report.margin.k, expected.margin.k, 'k');
      assertClose(report.margin.kthSmallest, expected.margin.kth_smallest_margin, outputTolerance(expected.margin.kth_smallest_margin), 'k-th smallest margin');
      assertClose(report.margin.gamma, expected.margin.gamma, outputTolerance(expected.margin.gamma), 'gamma');
    });

    for (const id of deterministicIds) {
      await t.test(id, () => checkMeasure(report, id, expected.measures[id]!));
    }
    for (const [fixedReport, fixed] of [[report, first!], [secondReport, second!]] as const) {
      for (const id of pacBayesIds) {
        await t.test(`${id} at sigma ${fixed.sigma}, sigma' ${fixed.sigma_prime}`, () => {
          checkMeasure(fixedReport, id, fixed.measures[id]!);
          const details = (fixedReport.values[id] as { details?: Record<string, unknown> }).details;
          assert.equal(details?.searched, false, `${id} must use the given sigma`);
        });
      }
    }

    await t.test('folding', () => {
      assert.deepEqual(report.folding?.folded, expected.bn_folded.map((fold) => ({ batchNorm: fold.bn, into: fold.into })));
      assert.deepEqual(report.folding?.leftInPlace, expected.bn_left_in_place);
      assert.equal(report.layers?.length, expected.d, 'd');
    });

    const trained = extractFoldedNetwork(model);
    const initial = extractFoldedNetwork(initModel);
    assert.ok(!(trained instanceof Unavailable), 'the trained network folds');
    assert.ok(!(initial instanceof Unavailable), 'the initial network folds');
    for (const [index, layer] of expected.layers.entries()) {
      await t.test(`layer ${layer.name}`, () => checkLayer(report, trained as FoldedNetwork, initial as FoldedNetwork, index, layer));
    }

    await t.test('w norms', () => {
      assertClose(report.values.param_norm && 'raw' in report.values.param_norm ? report.values.param_norm.raw : null, expected.w_sq_norm, { relative: 1e-4 }, '||w||^2');
      assertClose(report.values.fro_dist && 'raw' in report.values.fro_dist ? report.values.fro_dist.raw : null, expected.w_minus_w0_sq_norm, { relative: 1e-4 }, '||w - w0||^2');
    });

    await t.test('outputs of the first five examples', async () => {
      const firstFive = x.slice(0, 5);
      const folded = await buildFoldedModel(trained as FoldedNetwork);
      try {
        checkRows(await logitsOf(model, firstFive), expected.outputs_first5, 'outputs');
        checkRows(await logitsOf(folded, firstFive), expected.folded_outputs_first5, 'folded outputs');
      } finally {
        folded.dispose();
        firstFive.dispose();
      }
    });

    await t.test('margins of every example', async () => {
      const batches = new TrainingBatches(x, measureCase.y);
      try {
        const { logits, outputs } = await predictLogits(model, batches);
        const margins = computeMargins(logits, outputs, measureCase.y, expected.task);
        assert.equal(margins.length, expected.margins.length, 'number of margins');
        expected.margins.forEach((value, i) => assertClose(margins[i], value, outputTolerance(value), `margin ${i}`));
      } finally {
        batches.dispose();
      }
    });
  } finally {
    x.dispose();
    model.dispose();
    initModel.dispose();
  }
}

function checkLayer(report: MeasureReport, trained: FoldedNetwork, initial: FoldedNetwork, index: number, layer: MeasureCase['expected']['layers'][number]): void {
  const summary = report.layers![index]!;
  const weights = trained.weightLayers[index]!;
  const initialWeights = initial.weightLayers[index]!;
  assert.equal(summary.name, layer.name, 'name');
  assert.equal(summary.kind, layer.kind, 'kind');
  assert.equal(summary.foldedBatchNorm, layer.folded_bn, 'folded BatchNorm');
  assert.deepEqual(summary.kernelShape, layer.kernel_shape, 'kernel shape');
  assert.deepEqual(summary.matrixShape, layer.matrix_view_shape, 'matrix view shape');
  assert.equal(summary.numWeights, layer.num_weights, 'number of weights');
  assertClose(summary.fro, layer.fro, { relative: 1e-4 }, 'fro');
  assertClose(summary.spec, layer.spec, { relative: 1e-4 }, 'spec');
  assertClose(summary.distFro, layer.dist_fro, { relative: 1e-4 }, 'dist_fro');
  assertClose(summary.distSpec, layer.dist_spec, { relative: 1e-4 }, 'dist_spec');
  assertClose(squaredNorm(initialWeights.kernel), layer.init_fro, { relative: 1e-4 }, 'init_fro');
  const [rows, cols] = kernelMatrixShape(initialWeights);
  assertClose(largestSingularValueSquared(initialWeights.kernel, rows, cols).value, layer.init_spec, { relative: 1e-4 }, 'init_spec');
  assertClose(sum(weights.kernel), layer.folded_kernel_sum, outputTolerance(layer.folded_kernel_sum), 'folded kernel sum');
  assertClose(sum(initialWeights.kernel), layer.init_folded_kernel_sum, outputTolerance(layer.init_folded_kernel_sum), 'initial folded kernel sum');
  if (layer.folded_bias_sum === null) {
    assert.equal(weights.bias, null, 'a layer without bias stays without bias');
  } else {
    assert.ok(weights.bias !== null, 'folded bias present');
    assertClose(sum(weights.bias), layer.folded_bias_sum, outputTolerance(layer.folded_bias_sum), 'folded bias sum');
    assertClose(squaredNorm(weights.bias), layer.folded_bias_sumsq!, outputTolerance(layer.folded_bias_sumsq!), 'folded bias sum of squares');
  }
}

/** Registers one test per fixture case on `backend`. */
export function defineFixtureTests(backend: BackendName): void {
  test(`measure fixtures on the ${backend} backend`, async (t) => {
    const info = await initBackend(backend);
    assert.equal(info.name, backend, `the ${backend} backend must start`);
    for (const name of listMeasureCases()) {
      await t.test(name, (caseTest) => runCase(caseTest, loadMeasureCase(name)));
    }
  });
}
