import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planStudy, studyConditions } from '../../main/studies/plan.js';
import { parseStudySpec, validateStudySpec } from '../../main/studies/spec.js';
import { repoRoot } from '../helpers/paths.js';

const minimal = { name: 'minimal', model: { kind: 'fcn' }, training: { learningRate: 0.1 }, trainSizes: [100, 200, 400], seeds: [0, 1] };

function messageOf(input: unknown): string {
  try {
    validateStudySpec(input);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the spec was accepted');
}

test('spec defaults fill a minimal spec', () => {
  const spec = validateStudySpec(minimal);
  assert.deepEqual(spec.data, { dataset: 'fashion-mnist', source: 'embedded', task: 'binary', labelNoise: 0, pixelShuffle: 'none' });
  assert.deepEqual(spec.model, { kind: 'fcn', hiddenWidths: [1024, 1024], weightVariance: 2, biasStd: 0.1 });
  assert.equal(spec.training.optimizer, 'sgd');
  assert.equal(spec.measures.noise, 'stated');
  assert.equal(spec.analysis.threshold, 0.1);
});

test('spec error names field, value and rule', () => {
  const message = messageOf({ ...minimal, training: { learningRate: -0.5 } });
  assert.match(message, /training\.learningRate is -0\.5; it must be > 0/);
});

test('spec error lists every problem', () => {
  const message = messageOf({ ...minimal, trainSizes: [100, 100], seeds: 'all', training: { learningRate: 0.1, momentun: 0.9 } });
  assert.match(message, /trainSizes is \[100,100\]; it must not repeat a size/);
  assert.match(message, /seeds is "all"; it must be an array/);
  assert.match(message, /training has unknown key "momentun"; remove it or check the spelling/);
});

test('spec requires the learning rate', () => {
  assert.match(messageOf({ ...minimal, training: {} }), /training\.learningRate is required/);
});

test('spec rejects an unknown measure id', () => {
  assert.match(messageOf({ ...minimal, measures: { ids: ['path_norm', 'sharpness'] } }), /measures\.ids\[1\] is "sharpness"; it is not a measure id/);
});

test('spec rejects an unknown model kind', () => {
  assert.match(messageOf({ ...minimal, model: { kind: 'transformer' } }), /model\.kind is "transformer"; it must be one of "fcn", "cnn"/);
});

test('spec rejects invalid JSON with the parser message', () => {
  assert.throws(() => parseStudySpec('{"name": ', 'broken.json'), /broken\.json is not valid JSON/);
});

test('spec rejects deep nesting', () => {
  let nested: unknown = 1;
  for (let level = 0; level < 50; level++) nested = { nested };
  assert.match(messageOf({ ...minimal, description: nested }), /nested more than 12 levels deep/);
});

test('spec rejects huge arrays', () => {
  assert.match(messageOf({ ...minimal, seeds: Array.from({ length: 5000 }, (_, index) => index) }), /seeds is \[0,1,2,.*\.\.\.; it must have at most 1000 items/);
});

test('spec rejects a perturbation that changes nothing', () => {
  assert.match(messageOf({ ...minimal, perturbations: [{ name: 'same', kind: 'data', changes: {} }] }), /perturbations\[0\]\.changes is \{\}; it changes nothing/);
});

test('spec rejects a perturbation value out of range', () => {
  const message = messageOf({ ...minimal, perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 1.5 } } }] });
  assert.match(message, /perturbations\[0\]\.changes\.data\.labelNoise is 1\.5; it must be <= 1/);
});

test('plan merges perturbations into the baseline', () => {
  const spec = validateStudySpec({
    ...minimal,
    perturbations: [
      { name: 'lr_x10', kind: 'hyperparameter', changes: { training: { learningRate: 1 } } },
      { name: 'adam', kind: 'hyperparameter', changes: { training: { optimizer: 'adam', learningRate: 0.001 } } },
      { name: 'cnn', kind: 'hyperparameter', changes: { model: { kind: 'cnn', filters: [8] } } },
    ],
  });
  const conditions = studyConditions(spec);
  assert.deepEqual(conditions.map((condition) => condition.name), ['baseline', 'lr_x10', 'adam', 'cnn']);
  assert.equal(conditions[1]!.settings.training.learningRate, 1);
  assert.equal(conditions[1]!.settings.training.batchSize, 32);
  assert.equal(conditions[2]!.settings.training.optimizer, 'adam');
  assert.deepEqual(conditions[3]!.settings.model, { kind: 'cnn', filters: [8], denseWidths: [], kernelSize: 3, padding: 'same', pooling: 'max', weightVariance: 2, biasStd: 0.1 });
});

test('plan gives one run per condition, size and seed', () => {
  const spec = validateStudySpec({ ...minimal, perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } }] });
  const runs = planStudy(spec);
  assert.equal(runs.length, 2 * 3 * 2);
  assert.equal(new Set(runs.map((run) => run.runId)).size, runs.length);
});

test('run ids ignore key order and display settings', () => {
  const first = planStudy(validateStudySpec(minimal));
  const reordered = planStudy(validateStudySpec({ seeds: [0, 1], trainSizes: [400, 200, 100], training: { learningRate: 0.1 }, model: { kind: 'fcn' }, name: 'renamed', description: 'x' }));
  assert.deepEqual(new Set(first.map((run) => run.runId)), new Set(reordered.map((run) => run.runId)));
});

test('run ids change with every result-changing setting', () => {
  const base = planStudy(validateStudySpec(minimal))[0]!.runId;
  const variants = [
    { ...minimal, training: { learningRate: 0.2 } },
    { ...minimal, model: { kind: 'fcn', hiddenWidths: [512, 512] } },
    { ...minimal, data: { labelNoise: 0.1 } },
    { ...minimal, data: { task: 'multiclass' } },
    { ...minimal, training: { learningRate: 0.1, batchSize: 64 } },
  ];
  for (const variant of variants) assert.notEqual(planStudy(validateStudySpec(variant))[0]!.runId, base, JSON.stringify(variant));
});

test('example studies in assets are valid', () => {
  const folder = join(repoRoot, 'assets', 'studies');
  const files = readdirSync(folder).filter((name) => name.endsWith('.json'));
  assert.ok(files.includes('quick.json'));
  assert.ok(files.includes('paper-fcn.json'));
  for (const name of files) {
    const spec = parseStudySpec(readFileSync(join(folder, name), 'utf8'), name);
    assert.ok(planStudy(spec).length > 0, name);
  }
});
