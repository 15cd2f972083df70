// The scale-invariance audit on scale-invariant networks trained by a tiny study: outputs stay
// the same, and each measure moves as the definitions predict, with BatchNorm left in place
// (after the ReLU) and folded (before the ReLU).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { Store } from '../../db/store.js';
import { createHandlers, handleApiCall } from '../../main/api/handlers.js';
import { LabHost } from '../../main/api/host.js';
import type { RescaleResult } from '../../main/api/types.js';
import { command } from '../../main/cli/commands/rescale.js';
import { rescaleStoredRun, type RescaleReport } from '../../main/rescale/audit.js';
import { runStudy } from '../../main/studies/runner.js';
import { validateStudySpec } from '../../main/studies/spec.js';
import { initBackend } from '../../main/tf/backend.js';
import { LabError } from '../../main/util/errors.js';
import { tempDir } from '../helpers/temp.js';

const factor = 3;
const measureIds = ['param_norm', 'log_prod_of_spec', 'log_sum_of_fro', 'fro_over_spec', 'fro_dist', 'inverse_margin', 'path_norm', 'params'];
let dbPath = '';
const runIds: Record<'baseline' | 'folded', string> = { baseline: '', folded: '' };

before(async () => {
  dbPath = join(tempDir(), 'lab.sqlite');
  const spec = validateStudySpec({
    name: 'rescale',
    data: { dataset: 'fashion-mnist', source: 'embedded', task: 'binary', testSize: 200 },
    // BatchNorm after the ReLU: not folded, so the rescaled kernels keep their scale.
    model: { kind: 'scale-invariant-fcn', hiddenWidths: [32, 32], batchNormPosition: 'after-activation' },
    training: { optimizer: 'sgd', learningRate: 0.1, momentum: 0.9, batchSize: 32, maxEpochs: 3, weightDecay: 5e-4 },
    trainSizes: [128],
    seeds: [0],
    perturbations: [{ name: 'folded', kind: 'hyperparameter', changes: { model: { batchNormPosition: 'before-activation' } } }],
    measures: { ids: measureIds },
  });
  const outcome = await runStudy({ dbPath, spec, backend: 'wasm', workers: 1 }).done;
  assert.equal(outcome.failed, 0);
  const store = Store.open(dbPath, { readonly: true });
  for (const run of store.studyRuns('rescale')) runIds[run.condition as 'baseline' | 'folded'] = run.id;
  store.close();
  await initBackend('wasm');
});

function row(report: RescaleReport, id: string) {
  const found = report.measures.find((entry) => entry.id === id);
  assert.ok(found !== undefined, `${id} is in the report`);
  assert.equal(found.missingReason, null, `${id} is not missing`);
  return found as typeof found & { before: number; after: number };
}

function assertRelative(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.abs(expected), `${what}: ${actual}, expected ${expected}`);
}

test('unfolded BatchNorm: outputs unchanged', async () => {
  const report = await rescaleStoredRun({ dbPath, runId: runIds.baseline, factor });
  assert.ok(report.maxRelativeLogitDifference < 1e-5, `largest relative logit difference ${report.maxRelativeLogitDifference}`);
  assert.equal(report.outputsUnchanged, true);
  assert.deepEqual(report.rescaled.map((layer) => [layer.name, layer.batchNorm, layer.folded]), [
    ['dense_1', 'bn_1', false],
    ['dense_2', 'bn_2', false],
  ]);
});

test('unfolded BatchNorm: norms scale as predicted', async () => {
  const report = await rescaleStoredRun({ dbPath, runId: runIds.baseline, factor });
  // The two hidden kernels scale by c, so their fro and spec by c^2; the frozen readout does not.
  const paramNorm = row(report, 'param_norm');
  assertRelative(paramNorm.after, paramNorm.predicted!, 1e-6, 'param_norm after rescaling');
  assert.ok(paramNorm.ratio! > 1, `param_norm ratio ${paramNorm.ratio}`);
  assert.ok(paramNorm.ratio! < factor ** 2, `param_norm ratio ${paramNorm.ratio} (the frozen readout keeps its norm)`);
  for (const layer of report.layers) {
    const expected = layer.name === 'logits' ? 1 : factor ** 2;
    assert.equal(layer.predictedScale ** 2, expected, `${layer.name} predicted factor`);
    assertRelative(layer.froAfter! / layer.froBefore, expected, 1e-5, `${layer.name} fro ratio`);
    assertRelative(layer.specAfter! / layer.specBefore!, expected, 1e-5, `${layer.name} spec ratio`);
  }
  const logProdOfSpec = row(report, 'log_prod_of_spec');
  assertRelative(logProdOfSpec.after - logProdOfSpec.before, 2 * 2 * Math.log(factor), 1e-5, 'log_prod_of_spec shift (2 k ln c, k = 2)');
  const logSumOfFro = row(report, 'log_sum_of_fro');
  assertRelative(logSumOfFro.after - logSumOfFro.before, (2 * 2 * Math.log(factor)) / 3, 1e-5, 'log_sum_of_fro shift (2 k ln c / d, d = 3)');
  const froDist = row(report, 'fro_dist');
  assertRelative(froDist.after, froDist.predicted!, 1e-5, 'fro_dist after rescaling');
});

test('unfolded BatchNorm: invariant measures stay', async () => {
  const report = await rescaleStoredRun({ dbPath, runId: runIds.baseline, factor });
  assertRelative(row(report, 'fro_over_spec').after, row(report, 'fro_over_spec').before, 1e-6, 'fro_over_spec');
  assertRelative(row(report, 'inverse_margin').after, row(report, 'inverse_margin').before, 1e-4, 'inverse_margin');
  assert.equal(row(report, 'params').after, row(report, 'params').before);
  const pathNorm = row(report, 'path_norm');
  assert.equal(pathNorm.predicted, null, 'the path norm with BatchNorm left in place has no prediction');
  assert.ok(pathNorm.after > pathNorm.before, `path norm ${pathNorm.before} -> ${pathNorm.after}`);
});

test('folded BatchNorm absorbs the factor', async () => {
  const report = await rescaleStoredRun({ dbPath, runId: runIds.folded, factor });
  assert.ok(report.maxRelativeLogitDifference < 1e-5, `largest relative logit difference ${report.maxRelativeLogitDifference}`);
  assert.ok(report.rescaled.every((layer) => layer.folded));
  for (const id of ['param_norm', 'log_prod_of_spec', 'log_sum_of_fro', 'fro_dist', 'path_norm']) {
    const entry = row(report, id);
    assertRelative(entry.predicted!, entry.before, 1e-9, `${id} prediction`);
    assertRelative(entry.after, entry.before, 1e-5, `${id} after rescaling`);
  }
});

test('run prefix, factor and weights are checked', async () => {
  const prefixed = await rescaleStoredRun({ dbPath, runId: runIds.baseline.slice(0, 10), factor: 0.5, measureIds: ['param_norm'] });
  assert.equal(prefixed.runId, runIds.baseline);
  assert.deepEqual(prefixed.measures.map((entry) => entry.id), ['param_norm']);
  await assert.rejects(rescaleStoredRun({ dbPath, runId: runIds.baseline, factor: -2 }), (error: unknown) => error instanceof LabError && /factor is -2/.test(error.message));
  await assert.rejects(rescaleStoredRun({ dbPath, runId: 'abc', factor }), /8 to 64 hexadecimal digits/);
  await assert.rejects(rescaleStoredRun({ dbPath, runId: '0'.repeat(64), factor }), /does not exist/);
});

test('rescale command prints JSON', async () => {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    chunks.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await command.run(['--db', dbPath, '--run', runIds.baseline.slice(0, 12), '--factor', '2', '--measures', 'param_norm,log_prod_of_spec', '--json']);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0);
  const printed = JSON.parse(chunks.join('')) as RescaleReport;
  assert.equal(printed.factor, 2);
  assert.deepEqual(printed.measures.map((entry) => entry.id), ['param_norm', 'log_prod_of_spec']);
  await assert.rejects(command.run(['--db', dbPath, '--run', runIds.baseline, '--factor', '0']), /--factor is "0"/);
});

test('run-rescale API call runs in a worker', async () => {
  const folder = tempDir();
  const host = new LabHost({ dbPath, settingsPath: join(folder, 'settings.json'), workers: 1 });
  host.updateSettings({ backend: 'wasm' });
  const result = await handleApiCall(host, createHandlers(), 'run-rescale', { runId: runIds.baseline, factor: 2, measures: ['param_norm'] });
  assert.ok(result.ok, JSON.stringify(result));
  const value = result.value as RescaleResult;
  assert.equal(value.outputsUnchanged, true);
  assert.equal(value.backend.name, 'wasm');
  const invalid = await handleApiCall(host, createHandlers(), 'run-rescale', { runId: runIds.baseline, factor: 0 });
  assert.equal(invalid.ok, false);
  assert.equal(!invalid.ok && invalid.error.kind, 'invalid-input');
  await host.close();
});
