// The measure registry: every id of the definitions, with consistent entries and size adjustment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMeasureDefinition, getMeasureDefinition, measureDefinitions, measureIds, postTrainingMeasureIds, sizeAdjust } from '../../main/measures/registry.js';
import { LabError } from '../../main/util/errors.js';

const equations: Record<string, number | null> = {
  params: 20,
  inverse_margin: 22,
  log_prod_of_spec: 32,
  log_prod_of_spec_over_margin: 31,
  log_spec_init_main: 29,
  log_spec_orig_main: 30,
  fro_over_spec: 33,
  log_sum_of_spec_over_margin: 34,
  log_sum_of_spec: 35,
  log_prod_of_fro_over_margin: 36,
  log_prod_of_fro: 37,
  log_sum_of_fro_over_margin: 38,
  log_sum_of_fro: 39,
  fro_dist: 40,
  dist_spec_init: 41,
  param_norm: 42,
  path_norm_over_margin: 43,
  path_norm: 44,
  pacbayes_init: 48,
  pacbayes_orig: 49,
  pacbayes_flatness: 53,
  pacbayes_mag_init: 56,
  pacbayes_mag_orig: 57,
  pacbayes_mag_flatness: 61,
  epochs_to_fit: null,
  marginal_likelihood_bound: null,
};

test('registry lists every measure once', () => {
  assert.deepEqual(measureDefinitions.map((definition) => definition.id), Object.keys(equations));
  assert.deepEqual([...measureIds], Object.keys(equations));
  assert.equal(new Set(measureIds).size, measureIds.length);
  assert.deepEqual(postTrainingMeasureIds, measureIds.filter((id) => id !== 'marginal_likelihood_bound'));
});

test('registry entries are consistent', () => {
  for (const definition of measureDefinitions) {
    assert.equal(definition.equation, equations[definition.id], `${definition.id} equation`);
    assert.equal(definition.isLog, definition.id.startsWith('log_'), `${definition.id} isLog`);
    assert.ok(definition.title.length > 0, `${definition.id} title`);
    assert.ok(definition.definition.length > 0, `${definition.id} definition`);
    assert.ok(definition.source.length > 0, `${definition.id} source`);
    const usesMargin = definition.id.includes('margin') && definition.id !== 'marginal_likelihood_bound';
    if (usesMargin || definition.family === 'pac-bayes') assert.equal(definition.needs.data, true, `${definition.id} needs data`);
    const usesInit = /init/.test(definition.id) || definition.id === 'fro_dist' || definition.id === 'pacbayes_mag_orig';
    assert.equal(definition.needs.initialWeights, usesInit, `${definition.id} needs the initial network`);
  }
  const bound = getMeasureDefinition('marginal_likelihood_bound');
  assert.equal(bound.family, 'marginal-likelihood');
  assert.equal(bound.cost, 'kernel');
  assert.match(bound.source, /Valle-Perez and Louis 2020/);
});

test('lookup of unknown id', () => {
  assert.equal(findMeasureDefinition('sharpness'), undefined);
  assert.throws(() => getMeasureDefinition('sharpness'), (error: unknown) => error instanceof LabError && error.kind === 'invalid-input' && /Unknown measure id "sharpness"/.test(error.message));
});

test('size adjustment by id', () => {
  const m = 600;
  assert.equal(sizeAdjust('log_prod_of_spec', 7.712646926963503, m), 0.5 * (7.712646926963503 - Math.log(m)));
  assert.equal(sizeAdjust('params', 14912, m), Math.sqrt(14912 / m));
  assert.equal(sizeAdjust('pacbayes_flatness', 400, m), Math.sqrt(400 / m));
  assert.equal(sizeAdjust('epochs_to_fit', 17, m), 17);
  assert.equal(sizeAdjust('marginal_likelihood_bound', 0.3, m), 0.3);
  assert.ok(Number.isNaN(sizeAdjust('param_norm', -1, m)), 'a negative value has no square root');
  assert.throws(() => sizeAdjust('params', 1, 0), RangeError);
});
