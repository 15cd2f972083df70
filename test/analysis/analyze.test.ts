import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeStudy } from '../../main/analysis/analyze.js';
import type { ConditionKind, RunRow, RunTable } from '../../main/analysis/table.js';
import { LabError } from '../../main/util/errors.js';

interface ConditionSpec {
  name: string;
  kind: ConditionKind;
  /** Exponent of the test error in m. */
  errorExponent: number;
  /** Exponent of the measure `mu` in m; `log_mu` stores ln of the same quantity. */
  measureExponent: number;
  sizes?: number[];
}

/** Builds a study whose quantities follow power laws in m, with a 1% spread over seeds. */
function powerLawTable(conditions: ConditionSpec[], sizes = [100, 1000, 10000], seeds = 3): RunTable {
  const runs: RunRow[] = [];
  for (const condition of conditions) {
    for (const m of condition.sizes ?? sizes) {
      for (let seed = 0; seed < seeds; seed++) {
        const noise = 1 + 0.01 * (seed - 1);
        const mu = 5 * m ** condition.measureExponent * noise;
        runs.push({
          condition: condition.name,
          kind: condition.kind,
          m,
          seed,
          testError: 0.5 * m ** condition.errorExponent * noise,
          trainError: 0.1 * m ** condition.errorExponent,
          measures: { mu, log_mu: Math.log(mu), empty: null },
        });
      }
    }
  }
  return { measures: ['mu', 'log_mu', 'empty'], runs };
}

const baseline: ConditionSpec = { name: 'baseline', kind: 'baseline', errorExponent: -0.3, measureExponent: -0.3 };
const options = { bootstrap: { resamples: 50 } };

describe('exponents and scores', () => {
  test('power laws give exact exponents', () => {
    const analysis = analyzeStudy(powerLawTable([baseline, { name: 'wide', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.5 }]), options);
    // The seed spread is the same factor at every size, so the slopes are the exponents.
    assert.ok(Math.abs(analysis.alpha.mu!.baseline! + 0.3) < 1e-12);
    assert.ok(Math.abs(analysis.alpha.log_mu!.wide! + 0.5) < 1e-12);
    assert.ok(Math.abs(analysis.ecms.mu!.wide! + 0.2) < 1e-12);
    assert.ok(Math.abs(analysis.ecms.log_mu!.wide! - analysis.ecms.mu!.wide!) < 1e-12, 'log_ and plain ids of one quantity agree');
    assert.equal(analysis.verdict.mu!.wide, 'fragile');
  });

  test('shared shift leaves eVS zero', () => {
    const table = powerLawTable([baseline, { name: 'noisy', kind: 'data', errorExponent: -0.3, measureExponent: -0.3 }]);
    for (const run of table.runs) {
      if (run.condition !== 'noisy') continue;
      run.testError = run.testError! * 10;
      run.measures.mu = run.measures.mu! * 10;
    }
    const analysis = analyzeStudy(table, options);
    assert.ok(Math.abs(analysis.vs_target.noisy! - 1) < 1e-12, 'a factor 10 is one decade');
    assert.ok(Math.abs(analysis.vs.mu!.noisy! - 1) < 1e-12);
    assert.ok(Math.abs(analysis.evs.mu!.noisy!) < 1e-12);
    assert.ok(Math.abs(analysis.evs.log_mu!.noisy! + 1) < 1e-12, 'log_mu did not move');
  });
});

describe('missing data', () => {
  test('study with one size only', () => {
    const table = powerLawTable([baseline, { name: 'adam', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.3 }], [500]);
    const analysis = analyzeStudy(table, options);
    assert.deepEqual(analysis.sizes, [500]);
    assert.equal(analysis.alpha.test_error!.baseline, null);
    assert.equal(analysis.alpha.mu!.adam, null);
    assert.match(analysis.alpha_missing.mu!.adam!, /one training-set size \(m = 500\)/);
    assert.equal(analysis.ecms.mu!.adam, null);
    assert.equal(analysis.trend_flip.mu!.adam, null);
    assert.equal(analysis.verdict.mu!.adam, 'undetermined');
    assert.match(analysis.undetermined_reasons.mu!.adam!, /eCMS is missing/);
    assert.ok(analysis.vs.mu!.adam !== null, 'value shifts need one size only');
    assert.equal(analysis.summary.mu!.worst_abs_ecms, null);
    assert.equal(analysis.intervals.ecms.mu!.adam, null);
  });

  test('perturbation at one size only', () => {
    const table = powerLawTable([
      baseline,
      { name: 'adam', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.3 },
      { name: 'late', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.3, sizes: [1000] },
    ]);
    const analysis = analyzeStudy(table, options);
    assert.equal(analysis.alpha.mu!.late, null);
    assert.match(analysis.alpha_missing.mu!.late!, /"late" was run at one size only \(m = 1000\)/);
    assert.match(analysis.alpha_missing.test_error!.late!, /one size only/);
    assert.deepEqual(
      analysis.cells.mu!.late!.map((cell) => [cell.m, cell.n_valid, cell.n_left_out]),
      [
        [100, 0, 0],
        [1000, 3, 0],
        [10000, 0, 0],
      ],
    );
    assert.equal(analysis.verdict.mu!.late, 'undetermined');
    assert.equal(analysis.vs.mu!.late, null);
    assert.equal(analysis.verdict.mu!.adam, 'robust');
  });

  test('condition missing one size', () => {
    const table = powerLawTable([baseline, { name: 'gap', kind: 'data', errorExponent: -0.2, measureExponent: -0.3, sizes: [100, 10000] }]);
    const analysis = analyzeStudy(table, options);
    assert.match(analysis.alpha_missing.mu!.gap!, /"gap" has no run at m = 1000/);
  });

  test('all-missing measure reported', () => {
    const analysis = analyzeStudy(powerLawTable([baseline, { name: 'adam', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.3 }]), options);
    assert.deepEqual(analysis.empty_measures, ['empty']);
    assert.equal(analysis.alpha.empty!.baseline, null);
    assert.equal(analysis.left_out.empty!.baseline, 9);
    assert.equal(analysis.verdict.empty!.adam, 'undetermined');
    assert.deepEqual(analysis.kendall_tau_a.empty, { tau: null, n_runs: 0 });
    assert.deepEqual(analysis.summary.empty, { worst_abs_ecms: null, fragile_count: 0 });
  });

  test('non-positive values left out', () => {
    const table = powerLawTable([baseline, { name: 'adam', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.3 }]);
    table.runs[0]!.measures.mu = 0;
    table.runs[1]!.measures.mu = -2;
    table.runs[0]!.measures.log_mu = -2;
    const analysis = analyzeStudy(table, options);
    assert.equal(analysis.cells.mu!.baseline![0]!.n_left_out, 2);
    assert.equal(analysis.cells.mu!.baseline![0]!.n_valid, 1);
    assert.equal(analysis.cells.log_mu!.baseline![0]!.n_left_out, 0, 'a log_ value may be negative');
    assert.equal(analysis.kendall_tau_a.mu!.n_runs, 18, 'Kendall keeps zero and negative values');
  });

  test('missing test error left out', () => {
    const table = powerLawTable([baseline, { name: 'adam', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.3 }]);
    table.runs[4]!.testError = null;
    const analysis = analyzeStudy(table, { ...options, target: 'gap' });
    assert.equal(analysis.left_out.gap!.baseline, 1);
    assert.equal(analysis.kendall_tau_a.mu!.n_runs, 17);
  });
});

describe('study structure', () => {
  const adam: ConditionSpec = { name: 'adam', kind: 'hyperparameter', errorExponent: -0.3, measureExponent: -0.3 };

  test('no baseline raises', () => {
    assert.throws(() => analyzeStudy(powerLawTable([adam]), options), (error: unknown) => error instanceof LabError && /No condition has kind "baseline"/.test(error.message));
  });

  test('two baselines raise', () => {
    const table = powerLawTable([baseline, { ...adam, kind: 'baseline' }]);
    assert.throws(() => analyzeStudy(table, options), (error: unknown) => error instanceof LabError && /baseline, adam|baseline and adam/.test(error.message));
    assert.equal(analyzeStudy(table, { ...options, baseline: 'adam' }).baseline, 'adam');
  });

  test('unknown baseline raises', () => {
    assert.throws(() => analyzeStudy(powerLawTable([baseline, adam]), { ...options, baseline: 'sgd' }), (error: unknown) => error instanceof LabError && /"sgd" is not a condition/.test(error.message));
  });

  test('empty table raises', () => {
    assert.throws(() => analyzeStudy({ measures: [], runs: [] }), (error: unknown) => error instanceof LabError && /no runs/.test(error.message));
  });

  test('non-finite value raises', () => {
    const table = powerLawTable([baseline, adam]);
    table.runs[2]!.measures.mu = Number.NaN;
    assert.throws(() => analyzeStudy(table, options), (error: unknown) => error instanceof LabError && /measure "mu" is NaN/.test(error.message));
  });

  test('invalid options raise', () => {
    const table = powerLawTable([baseline, adam]);
    for (const bad of [{ threshold: 0 }, { threshold: Number.NaN }, { bootstrap: { resamples: -1 } }, { bootstrap: { seed: 0.5 } }, { bootstrap: { confidence: 1 } }]) {
      assert.throws(() => analyzeStudy(table, bad), LabError, JSON.stringify(bad));
    }
  });

  test('axes add ranking statistics', () => {
    const table = powerLawTable([baseline, adam]);
    for (const run of table.runs) run.settings = { optimizer: run.condition, m: run.m };
    const analysis = analyzeStudy(table, { ...options, axes: ['optimizer', 'm'] });
    assert.deepEqual(analysis.ranking?.axes, ['optimizer', 'm']);
    assert.equal(typeof analysis.ranking?.targets.test_error?.mu?.Psi, 'number');
    assert.equal(analysis.ranking?.targets.gap?.empty?.kendall_tau_a, null);
  });
});
