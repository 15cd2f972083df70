import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeStudy } from '../../main/analysis/analyze.js';
import { compareStudies } from '../../main/analysis/compare.js';
import { parseRunTableCsv } from '../../main/analysis/csv.js';
import { LabError } from '../../main/util/errors.js';
import { readFragilityFixture } from './expectations.js';

const options = { bootstrap: { resamples: 100 } };
const studyA = analyzeStudy(parseRunTableCsv(readFragilityFixture('study_a.csv')), options);
const studyB = analyzeStudy(parseRunTableCsv(readFragilityFixture('study_b.csv')), options);
const studyC = analyzeStudy(parseRunTableCsv(readFragilityFixture('study_c.csv')), { ...options, target: 'gap' });

describe('study comparison', () => {
  test('measures and perturbations united', () => {
    const comparison = compareStudies([
      { name: 'a', analysis: studyA },
      { name: 'b', analysis: studyB },
    ]);
    assert.deepEqual(comparison.studies, ['a', 'b']);
    assert.deepEqual(comparison.measures, [
      'inverse_margin',
      'path_norm',
      'log_prod_of_spec_over_margin',
      'pacbayes_flatness',
      'param_norm',
      'fro_dist',
      'log_sum_of_spec_over_margin',
    ]);
    assert.deepEqual(comparison.perturbations, ['lr_x10', 'sgd_to_adam', 'label_noise_20', 'batch_x4', 'momentum_on', 'five_classes']);
  });

  test('absent entries reported', () => {
    const comparison = compareStudies([
      { name: 'a', analysis: studyA },
      { name: 'b', analysis: studyB },
    ]);
    assert.deepEqual(comparison.missing.measures.path_norm, ['b']);
    assert.deepEqual(comparison.missing.measures.fro_dist, ['a']);
    assert.equal(comparison.missing.measures.inverse_margin, undefined);
    assert.deepEqual(comparison.missing.perturbations.lr_x10, ['b']);
    assert.deepEqual(Object.keys(comparison.cells.path_norm!.batch_x4!), []);
    assert.equal(comparison.verdicts_agree.inverse_margin!.lr_x10, null, 'one study has the cell');
  });

  test('aliases align perturbations', () => {
    const comparison = compareStudies([
      { name: 'a', analysis: studyA, aliases: { label_noise_20: 'data_change' } },
      { name: 'b', analysis: studyB, aliases: { five_classes: 'data_change' } },
    ]);
    assert.deepEqual(comparison.kinds.data_change, { a: 'data', b: 'data' });
    const cells = comparison.cells.inverse_margin!.data_change!;
    assert.equal(cells.a!.condition, 'label_noise_20');
    assert.equal(cells.a!.ecms, studyA.ecms.inverse_margin!.label_noise_20);
    assert.equal(cells.b!.verdict, studyB.verdict.inverse_margin!.five_classes);
    // label_noise_20 is fragile for inverse_margin in study a, five_classes robust in study b.
    assert.equal(comparison.verdicts_agree.inverse_margin!.data_change, false);
    assert.equal(comparison.verdicts_agree.pacbayes_flatness!.data_change, true);
    assert.equal(comparison.alpha_target.data_change!.b, studyB.alpha.test_error!.five_classes);
  });

  test('different targets noted', () => {
    const comparison = compareStudies([
      { name: 'a', analysis: studyA },
      { name: 'c', analysis: studyC },
    ]);
    assert.deepEqual(comparison.targets, { a: 'test_error', c: 'gap' });
    assert.match(comparison.notes.join('\n'), /different targets \(a: test_error, c: gap\)/);
  });

  test('kind conflict noted', () => {
    const comparison = compareStudies([
      { name: 'a', analysis: studyA, aliases: { lr_x10: 'change' } },
      { name: 'b', analysis: studyB, aliases: { five_classes: 'change' } },
    ]);
    assert.deepEqual(comparison.kind_conflicts.change, { a: 'hyperparameter', b: 'data' });
    assert.match(comparison.notes.join('\n'), /"change" has different kinds/);
  });

  test('invalid requests raise', () => {
    assert.throws(() => compareStudies([{ name: 'a', analysis: studyA }]), LabError);
    assert.throws(
      () =>
        compareStudies([
          { name: 'a', analysis: studyA },
          { name: 'a', analysis: studyB },
        ]),
      (error: unknown) => error instanceof LabError && /"a" is used twice/.test(error.message),
    );
    assert.throws(
      () =>
        compareStudies([
          { name: 'a', analysis: studyA, aliases: { nothing: 'x' } },
          { name: 'b', analysis: studyB },
        ]),
      (error: unknown) => error instanceof LabError && /no perturbation "nothing"/.test(error.message),
    );
    assert.throws(
      () =>
        compareStudies([
          { name: 'a', analysis: studyA, aliases: { lr_x10: 'sgd_to_adam' } },
          { name: 'b', analysis: studyB },
        ]),
      (error: unknown) => error instanceof LabError && /maps both/.test(error.message),
    );
  });
});
