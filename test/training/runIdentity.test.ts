// New spec settings at their defaults leave run ids as they were; other values make new runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineVersion, identitySettings, planStudy } from '../../main/studies/plan.js';
import { validateStudySpec } from '../../main/studies/spec.js';
import { hashSettings } from '../../main/util/hash.js';
import { LabError } from '../../main/util/errors.js';
import { tinySpec } from '../helpers/studies.js';

test('defaults keep the run ids', () => {
  const spec = validateStudySpec(tinySpec({ trainSizes: [64], seeds: [0] }));
  const [run] = planStudy(spec);
  // The settings as the first engine version wrote them, without the settings added since.
  const { pixelShuffle: _shuffle, ...data } = run!.settings.data;
  const { schedule: _schedule, weightDecay: _decay, weightDecayMode: _mode, ...training } = run!.settings.training;
  assert.equal(run!.runId, hashSettings({ engineVersion, data, model: run!.settings.model, training, trainSize: 64, seed: 0 }));
  assert.equal(engineVersion, 1);
});

test('non-default settings change the run id', () => {
  const base = planStudy(validateStudySpec(tinySpec({ trainSizes: [64], seeds: [0] })))[0]!.runId;
  const changed = [
    tinySpec({ trainSizes: [64], seeds: [0], data: { pixelShuffle: 'fixed' } }),
    tinySpec({ trainSizes: [64], seeds: [0], training: { learningRate: 0.1, weightDecay: 1e-4 } }),
    tinySpec({ trainSizes: [64], seeds: [0], training: { learningRate: 0.1, schedule: { kind: 'step', everyEpochs: 2, factor: 0.1 } } }),
  ].map((spec) => planStudy(validateStudySpec(spec))[0]!.runId);
  assert.equal(new Set([base, ...changed]).size, 4);
});

test('CNN defaults are left out of the identity', () => {
  const cnn = { kind: 'cnn', filters: [4], denseWidths: [], kernelSize: 3, padding: 'same', pooling: 'max', weightVariance: 2, biasStd: 0.1 };
  assert.deepEqual(identitySettings({ model: cnn }).model, { kind: 'cnn', filters: [4], denseWidths: [], weightVariance: 2, biasStd: 0.1 });
  assert.deepEqual(identitySettings({ model: { ...cnn, pooling: 'none' } }).model, { kind: 'cnn', filters: [4], denseWidths: [], pooling: 'none', weightVariance: 2, biasStd: 0.1 });
});

test('spec accepts the new architectures with defaults', () => {
  const spec = validateStudySpec(tinySpec({ model: { kind: 'resnet18' }, data: { dataset: 'cifar10', source: 'installed' } }));
  assert.deepEqual(spec.model, { kind: 'resnet18', baseWidth: 64, weightVariance: 2, biasStd: 0, batchNormEpsilon: 1e-5, batchNormMomentum: 0.9 });
  const scaleInvariant = validateStudySpec(tinySpec({ model: { kind: 'scale-invariant-fcn' } }));
  assert.equal(scaleInvariant.model.kind === 'scale-invariant-fcn' && scaleInvariant.model.batchNormPosition, 'before-activation');
});

test('equivalent schedule needs SGD and weight decay', () => {
  assert.throws(
    () => validateStudySpec(tinySpec({ training: { learningRate: 0.1, optimizer: 'adam', schedule: { kind: 'exponential-equivalent' } } })),
    (error: unknown) => error instanceof LabError && /optimizer "sgd"/.test(error.message) && /weightDecay > 0/.test(error.message),
  );
  const perturbed = tinySpec({
    training: { learningRate: 0.1, schedule: { kind: 'step', everyEpochs: 2, factor: 0.5 } },
    perturbations: [{ name: 'exp', kind: 'hyperparameter', changes: { training: { schedule: { kind: 'exponential', factorPerEpoch: 0.9 } } } }],
  });
  const runs = planStudy(validateStudySpec(perturbed));
  assert.deepEqual(runs.at(-1)!.settings.training.schedule, { kind: 'exponential', factorPerEpoch: 0.9 });
});
