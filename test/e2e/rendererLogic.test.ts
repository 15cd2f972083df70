/**
 * The renderer's pure logic, run in Node against the engine's own definitions: the designer's
 * draft must carry every template through unchanged, problems must land on the right field, and
 * routes and axis ticks must read as intended.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { studyId } from '../../main/studies/plan.js';
import { validateStudySpec } from '../../main/studies/spec.js';
import { studyTemplates } from '../../main/studies/templates.js';
import { logTicks, sizeTicks } from '../../renderer/src/lib/plotAxes.js';
import { parseHash, routeHref, type Route } from '../../renderer/src/lib/routes.js';
import { assignProblems, draftFromSpec, fieldId, fieldPaths, logSpacedSizes, parseList, specFromDraft, studyIdFromName } from '../../renderer/src/lib/specDraft.js';

test('draft round trip keeps templates', () => {
  for (const template of studyTemplates) {
    const expected = validateStudySpec(template.spec);
    const roundTrip = validateStudySpec(specFromDraft(draftFromSpec(template.spec)));
    assert.deepEqual(roundTrip, expected, `template ${template.id}`);
  }
});

test('draft round trip keeps stored specs', () => {
  const stored = validateStudySpec({
    name: 'cnn folder',
    description: 'a CNN read from a folder',
    data: { dataset: 'mnist', source: { folder: '/data/mnist' }, task: 'multiclass', labelNoise: 0.1, testSize: 500 },
    model: { kind: 'cnn', filters: [8, 16], denseWidths: [32] },
    training: { optimizer: 'adam', learningRate: 0.001, stopAtTrainLoss: 0.01 },
    trainSizes: [100, 200, 400],
    seeds: [3, 4],
    perturbations: [{ name: 'wide', kind: 'hyperparameter', description: 'wider', changes: { model: { filters: [16, 32] }, training: { batchSize: 64 } } }],
    measures: { ids: ['param_norm'], noise: 'reference' },
    analysis: { threshold: 0.2, target: 'gap' },
  });
  assert.deepEqual(validateStudySpec(specFromDraft(draftFromSpec(stored))), stored);
});

test('empty required number becomes null', () => {
  const draft = draftFromSpec(studyTemplates[0]!.spec);
  draft.training.learningRate = null;
  const spec = specFromDraft(draft) as { training: { learningRate: unknown } };
  assert.equal(spec.training.learningRate, null);
});

test('list parsing keeps bad tokens', () => {
  assert.deepEqual(parseList('64, 128 256;512'), [64, 128, 256, 512]);
  assert.deepEqual(parseList('512, abc'), [512, 'abc']);
  assert.deepEqual(parseList('  '), []);
});

test('log-spaced sizes', () => {
  assert.deepEqual(logSpacedSizes(100, 1000, 5), [100, 178, 316, 562, 1000]);
  assert.deepEqual(logSpacedSizes(1, 3, 10), [1, 2, 3], 'repeats after rounding are dropped');
  assert.deepEqual(logSpacedSizes(50, 50, 1), [50]);
  assert.deepEqual(logSpacedSizes(0, 100, 3), []);
  assert.deepEqual(logSpacedSizes(10, 100, 0), []);
});

test('study id matches the engine', () => {
  for (const name of ['quick audit', 'Paper FCN v2', '  spaced--name  ', 'a.b_c-d']) {
    assert.equal(studyIdFromName(name), studyId(validateStudySpec({ ...(studyTemplates[0]!.spec as object), name: name.trim() })), name);
  }
});

test('problems go to the closest field', () => {
  const draft = draftFromSpec(studyTemplates[0]!.spec);
  const paths = fieldPaths(draft);
  const assigned = assignProblems(
    [
      { field: 'training.learningRate', message: 'rate' },
      { field: 'model.hiddenWidths[1]', message: 'width' },
      { field: 'perturbations[2].changes.data.labelNoise', message: 'noise' },
      { field: 'perturbations[0].changes.training.momentum', message: 'unknown change' },
      { field: 'perturbations[0].changes', message: 'changes' },
      { field: '', message: 'whole spec' },
      { field: 'unknownKey', message: 'unknown key' },
    ],
    paths,
  );
  assert.deepEqual(assigned.get('training.learningRate'), ['rate']);
  assert.deepEqual(assigned.get('model.hiddenWidths'), ['width']);
  assert.deepEqual(assigned.get('perturbations[2].changes.data.labelNoise'), ['noise']);
  assert.deepEqual(assigned.get('perturbations[0].changes'), ['unknown change', 'changes']);
  assert.deepEqual(assigned.get(''), ['whole spec', 'unknown key']);
  assert.equal(fieldId('perturbations[2].changes.data.labelNoise'), 'field-perturbations-2-changes-data-labelNoise');
});

test('routes round trip', () => {
  const routes: Route[] = [
    { name: 'studies' },
    { name: 'studies', newStudy: true },
    { name: 'designer', studyId: null, template: null },
    { name: 'designer', studyId: null, template: 'quick-audit' },
    { name: 'designer', studyId: 'my study', template: null },
    { name: 'monitor', studyId: 'quick-audit' },
    { name: 'results', studyId: 'quick-audit' },
    { name: 'results', studyId: 'quick-audit', showExport: true },
    { name: 'compare', studyIds: ['a', 'b c'] },
    { name: 'audit' },
    { name: 'settings' },
  ];
  for (const route of routes) assert.deepEqual(parseHash(routeHref(route)), route, routeHref(route));
  assert.deepEqual(parseHash(''), { name: 'studies' });
  assert.deepEqual(parseHash('#/nowhere/else'), { name: 'not-found', path: '/nowhere/else' });
});

test('log ticks label decades or multiples', () => {
  assert.deepEqual(
    logTicks(-2.1, 1.2).map((tick) => tick.text),
    ['0.01', '0.1', '1', '10'],
  );
  const wide = logTicks(-9, 9);
  assert.ok(wide.length <= 7, `at most about six decades are labelled, got ${wide.length}`);
  assert.deepEqual(
    wide.map((tick) => [tick.text, tick.exponent]).slice(0, 1),
    [['10', '\u22129']],
  );
  assert.deepEqual(
    logTicks(-0.35, 0.05).map((tick) => tick.text),
    ['0.5', '1'],
  );
  assert.ok(logTicks(0.01, 0.05).length >= 2, 'a narrow domain still gets two labels');
  assert.deepEqual(
    sizeTicks([64, 128], 1.7, 2.2).map((tick) => tick.text),
    ['64', '128'],
  );
});
