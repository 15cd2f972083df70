// Measures that cannot be computed come back as missing with a readable reason, and invalid input
// raises a LabError that names the value.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { computeMeasures } from '../../main/measures/compute.js';
import { postTrainingMeasureIds } from '../../main/measures/registry.js';
import type { MeasureInput, MeasureReport } from '../../main/measures/types.js';
import { initBackend } from '../../main/tf/backend.js';
import { LabError } from '../../main/util/errors.js';
import type { MeasureCase } from './fixtureCases.js';
import { inputTensor, loadCaseModels, loadMeasureCase } from './fixtureCases.js';

const initIds = ['log_spec_init_main', 'fro_dist', 'dist_spec_init', 'pacbayes_init', 'pacbayes_mag_init', 'pacbayes_mag_orig'];
const options = { noise: 'stated', seed: 0, sigma: 0.05, sigmaMag: 0.2 } as const;

let measureCase: MeasureCase;
let x: tf.Tensor;

before(async () => {
  await initBackend('cpu');
  measureCase = loadMeasureCase('fcn_multiclass');
  x = inputTensor(measureCase);
});

after(() => x.dispose());

async function withModels<T>(run: (models: { model: tf.LayersModel; initModel: tf.LayersModel }) => Promise<T>): Promise<T> {
  const models = await loadCaseModels(measureCase);
  try {
    return await run(models);
  } finally {
    models.model.dispose();
    models.initModel.dispose();
  }
}

function input(model: tf.LayersModel, initModel: tf.LayersModel | undefined, ids: readonly string[] = postTrainingMeasureIds): MeasureInput {
  return { model, ...(initModel === undefined ? {} : { initModel }), x, y: measureCase.y, task: 'multiclass', ids, options };
}

function missingReason(report: MeasureReport, id: string): string {
  const value = report.values[id];
  assert.ok(value !== undefined, `${id} is absent from the report`);
  assert.ok('missing' in value, `${id} should be missing, got ${JSON.stringify(value)}`);
  return value.missing;
}

function assertPresent(report: MeasureReport, id: string): void {
  const value = report.values[id];
  assert.ok(value !== undefined, `${id} is absent from the report`);
  assert.ok('raw' in value, `${id} should be present, got ${JSON.stringify(value)}`);
  assert.ok(Number.isFinite(value.raw), `${id} raw value ${value.raw}`);
}

test('zero margin makes margin measures missing', async () => {
  await withModels(async ({ model, initModel }) => {
    // Identical kernel columns and equal biases give equal logits for every class: every margin is 0.
    const output = model.getLayer('logits');
    const [kernel, bias] = output.getWeights();
    const columns = tf.fill(kernel!.shape, 0.1);
    const equal = tf.fill(bias!.shape, 0.5);
    output.setWeights([columns, equal]);
    tf.dispose([columns, equal]);
    const report = await computeMeasures(input(model, initModel));
    assert.equal(report.margin.gamma, 0);
    const marginIds = ['inverse_margin', 'log_prod_of_spec_over_margin', 'log_spec_init_main', 'log_spec_orig_main', 'log_sum_of_spec_over_margin'];
    marginIds.push('log_prod_of_fro_over_margin', 'log_sum_of_fro_over_margin', 'path_norm_over_margin');
    for (const id of marginIds) {
      assert.match(missingReason(report, id), /margin is zero: the 60th smallest training margin \(k = max\(1, floor\(600 \/ 10\)\)\) is 0/, id);
    }
    for (const id of postTrainingMeasureIds.filter((id) => !marginIds.includes(id) && id !== 'epochs_to_fit')) assertPresent(report, id);
  });
});

test('NaN weight makes weight measures missing', async () => {
  await withModels(async ({ model, initModel }) => {
    const layer = model.getLayer('dense1');
    const [kernel, bias] = layer.getWeights();
    const values = kernel!.dataSync().slice();
    values[5] = NaN;
    const broken = tf.tensor(values, kernel!.shape);
    layer.setWeights([broken, bias!]);
    broken.dispose();
    const report = await computeMeasures({ ...input(model, initModel), options: { noise: 'stated', seed: 0 } });
    for (const id of ['log_prod_of_spec', 'fro_over_spec', 'param_norm', 'fro_dist', 'path_norm', 'pacbayes_mag_init']) {
      assert.match(missingReason(report, id), /layer dense1 has a non-finite kernel entry \(NaN at flat index 5\)/, id);
    }
    assert.match(missingReason(report, 'inverse_margin'), /outputs are not finite/);
    assert.match(missingReason(report, 'pacbayes_flatness'), /outputs are not finite/);
    assertPresent(report, 'params');
    assert.ok(Number.isNaN(report.trainAccuracy), 'train accuracy is NaN when the outputs are not finite');
    for (const value of Object.values(report.values)) {
      if ('raw' in value) assert.ok(Number.isFinite(value.raw) && Number.isFinite(value.adjusted));
    }
  });
});

test('missing initial network', async () => {
  await withModels(async ({ model }) => {
    const report = await computeMeasures(input(model, undefined));
    for (const id of initIds) assert.match(missingReason(report, id), /needs the initial network/, id);
    for (const id of postTrainingMeasureIds.filter((id) => !initIds.includes(id) && id !== 'epochs_to_fit')) assertPresent(report, id);
  });
});

test('initial network of another shape', async () => {
  await withModels(async ({ model }) => {
    const other = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [14, 14, 1] }),
        tf.layers.dense({ units: 32, activation: 'relu', name: 'dense1' }),
        tf.layers.dense({ units: 32, activation: 'relu', name: 'dense2' }),
        tf.layers.dense({ units: 10, name: 'logits' }),
      ],
    });
    try {
      const report = await computeMeasures(input(model, other, ['fro_dist']));
      assert.match(missingReason(report, 'fro_dist'), /initial network does not match.*\[196, 64\].*\[196, 32\]/);
    } finally {
      other.dispose();
    }
  });
});

test('functional model has every measure', async () => {
  const inputLayer = tf.input({ shape: [14, 14, 1] });
  const flat = tf.layers.flatten().apply(inputLayer) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(flat) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 10 }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inputLayer, outputs: logits });
  try {
    const report = await computeMeasures({ model, x, y: measureCase.y, task: 'multiclass', ids: ['params', 'path_norm', 'inverse_margin', 'pacbayes_flatness'], options });
    // Functional models fold and measure like Sequential ones: 196 x 16 + 16 x 10 kernel entries.
    assert.equal((report.values.params as { raw: number }).raw, 3296);
    assertPresent(report, 'path_norm');
    assertPresent(report, 'inverse_margin');
    assertPresent(report, 'pacbayes_flatness');
    assert.equal(report.layers?.length, 2);
  } finally {
    model.dispose();
  }
});

test('epochs_to_fit and the marginal-likelihood bound', async () => {
  await withModels(async ({ model, initModel }) => {
    const ids = ['epochs_to_fit', 'marginal_likelihood_bound'];
    const withEpochs = await computeMeasures({ ...input(model, initModel, ids), epochsToFit: 12 });
    assert.deepEqual(withEpochs.values.epochs_to_fit, { raw: 12, adjusted: 12 });
    assert.match(missingReason(withEpochs, 'marginal_likelihood_bound'), /bounds module/);
    const withoutEpochs = await computeMeasures(input(model, initModel, ids));
    assert.match(missingReason(withoutEpochs, 'epochs_to_fit'), /runs trained by the lab/);
  });
});

test('invalid input raises LabError', async () => {
  await withModels(async ({ model, initModel }) => {
    const base = input(model, initModel, ['params']);
    const cases: [string, MeasureInput, RegExp][] = [
      ['unknown id', { ...base, ids: ['params', 'sharpness'] }, /Unknown measure id "sharpness"/],
      ['label count', { ...base, y: measureCase.y.subarray(1) }, /x has 600 examples .* but y has 599 labels/],
      ['label range', { ...base, y: Int32Array.from(measureCase.y, (label, i) => (i === 7 ? 10 : label)) }, /Label y\[7\] is 10; class indices must lie in 0..9/],
      ['task', { ...base, task: 'binary' }, /binary, which needs one output logit, but the model has 10; use the multiclass task/],
      ['sigma', { ...base, options: { ...options, sigma: 0 } }, /options.sigma is 0; give a positive noise level/],
    ];
    for (const [label, bad, message] of cases) {
      await assert.rejects(computeMeasures(bad), (error: unknown) => error instanceof LabError && message.test(error.message), label);
    }
    const wrongShape = tf.zeros([600, 196]);
    try {
      await assert.rejects(computeMeasures({ ...base, x: wrongShape }), /x has shape \[600, 196\] but the model takes inputs of shape \[null, 14, 14, 1\]/);
    } finally {
      wrongShape.dispose();
    }
  });
});

test('softmax output is rejected', async () => {
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [14, 14, 1] }), tf.layers.dense({ units: 10, activation: 'softmax', name: 'probabilities' })] });
  try {
    await assert.rejects(computeMeasures({ model, x, y: measureCase.y, task: 'multiclass', ids: ['params'], options }), /output layer probabilities applies softmax; the margins need logits/);
  } finally {
    model.dispose();
  }
});
