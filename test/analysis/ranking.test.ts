import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRankingCsv } from '../../main/analysis/csv.js';
import { kendallOverRuns, kendallTauA, rankingStatistics } from '../../main/analysis/ranking.js';
import type { RunValues } from '../../main/analysis/table.js';
import { LabError } from '../../main/util/errors.js';
import { readFragilityFixture } from './expectations.js';

/** Reference tau-b (tie-corrected), used only to show that the lab's tau-a differs from it. */
function kendallTauB(x: readonly number[], y: readonly number[]): number {
  let concordance = 0;
  let pairsUntiedX = 0;
  let pairsUntiedY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      concordance += dx * dy;
      pairsUntiedX += dx === 0 ? 0 : 1;
      pairsUntiedY += dy === 0 ? 0 : 1;
    }
  }
  return concordance / Math.sqrt(pairsUntiedX * pairsUntiedY);
}

function run(testError: number | null, trainError: number | null, measure: number | null, settings?: RunValues['settings']): RunValues {
  return settings === undefined ? { testError, trainError, measures: { mu: measure } } : { testError, trainError, measures: { mu: measure }, settings };
}

describe('Kendall tau-a', () => {
  test('concordant and reversed orders', () => {
    assert.equal(kendallTauA([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(kendallTauA([1, 2, 3, 4], [40, 30, 20, 10]), -1);
  });

  test('ties count as zero', () => {
    assert.equal(kendallTauA([1, 1, 1], [1, 2, 3]), 0);
    // Three pairs: (1,2) tied in x, (1,3) and (2,3) concordant, so tau-a = 2 * 2 / (3 * 2).
    assert.equal(kendallTauA([1, 1, 2], [1, 2, 3]), 2 / 3);
  });

  test('fewer than two pairs', () => {
    assert.equal(kendallTauA([], []), null);
    assert.equal(kendallTauA([1], [2]), null);
  });

  test('tau-a differs from tau-b on ties', () => {
    const grid = parseRankingCsv(readFragilityFixture('ranking.csv'), { axes: ['lr', 'batch_size'] });
    const testErrors = grid.runs.map((entry) => entry.testError!);
    const tauBReference = { inverse_margin: 0.971, path_norm: 0.8375, pacbayes_flatness: 0.1818 };
    for (const [measure, tauB] of Object.entries(tauBReference)) {
      const values = grid.runs.map((entry) => entry.measures[measure]!);
      const tauA = kendallTauA(values, testErrors)!;
      assert.ok(Math.abs(kendallTauB(values, testErrors) - tauB) < 1e-4, `${measure}: the reference tau-b is ${tauB}`);
      assert.ok(Math.abs(tauA - tauB) > 0.01, `${measure}: tau-a ${tauA} should differ from tau-b ${tauB}`);
    }
  });

  test('runs without both values skipped', () => {
    const runs = [run(0.1, 0, 1), run(0.2, 0, 2), run(null, 0, 3), run(0.4, 0, null), run(0.3, 0, -1)];
    const result = kendallOverRuns(runs, 'mu', 'test_error');
    assert.equal(result.n_runs, 3);
    // Pairs among (1, 0.1), (2, 0.2), (-1, 0.3): one concordant, two discordant.
    assert.equal(result.tau, (2 * (1 - 2)) / (3 * 2));
  });

  test('gap keeps negative values', () => {
    const runs = [run(0.1, 0.2, 1), run(0.2, 0.1, 2), run(0.3, 0.1, 3)];
    assert.deepEqual(kendallOverRuns(runs, 'mu', 'gap'), { tau: 1, n_runs: 3 });
  });
});

describe('granulated Kendall and sign error', () => {
  test('groups of one run skipped', () => {
    // For lr the batch-32 group has two runs and the batch-64 group one; for batch only lr = 0.2
    // has two runs. Without the third run no group has two runs, so psi and Psi are null.
    const runs = [run(0.1, 0, 1, { lr: 0.1, batch: 32 }), run(0.2, 0, 2, { lr: 0.2, batch: 64 }), run(0.3, 0, 4, { lr: 0.2, batch: 32 })];
    const statistics = rankingStatistics(runs, ['lr', 'batch'], ['mu'], ['test_error']).test_error!.mu!;
    assert.equal(statistics.psi.lr, 1);
    assert.equal(statistics.psi.batch, 1);
    assert.equal(statistics.Psi, 1);
    assert.deepEqual(statistics.sign_error.lr, { mean: 0, worst: 0, pairs: 1 });

    const lonely = rankingStatistics([runs[0]!, runs[1]!], ['lr', 'batch'], ['mu'], ['test_error']).test_error!.mu!;
    assert.equal(lonely.psi.lr, null);
    assert.equal(lonely.psi.batch, null);
    assert.equal(lonely.Psi, null);
    assert.deepEqual(lonely.sign_error.lr, { mean: null, worst: null, pairs: 0 });
    assert.equal(lonely.kendall_tau_a, 1);
  });

  test('wrong order gives sign error one', () => {
    const runs = [run(0.1, 0, 2, { lr: 0.1 }), run(0.2, 0, 1, { lr: 0.2 })];
    const statistics = rankingStatistics(runs, ['lr'], ['mu'], ['test_error']).test_error!.mu!;
    assert.deepEqual(statistics.sign_error.lr, { mean: 1, worst: 1, pairs: 1 });
    assert.equal(statistics.psi.lr, -1);
  });

  test('tie gives sign error one half', () => {
    const runs = [run(0.1, 0, 1, { lr: 0.1 }), run(0.2, 0, 1, { lr: 0.2 })];
    assert.deepEqual(rankingStatistics(runs, ['lr'], ['mu'], ['test_error']).test_error!.mu!.sign_error.lr, { mean: 0.5, worst: 0.5, pairs: 1 });
  });

  test('string settings group runs', () => {
    const runs = [run(0.1, 0, 1, { optimizer: 'sgd', lr: 0.1 }), run(0.2, 0, 2, { optimizer: 'adam', lr: 0.1 })];
    assert.equal(rankingStatistics(runs, ['optimizer', 'lr'], ['mu'], ['test_error']).test_error!.mu!.sign_error.optimizer!.pairs, 1);
  });

  test('missing setting raises', () => {
    const runs = [run(0.1, 0, 1, { lr: 0.1 }), run(0.2, 0, 2, {})];
    assert.throws(() => rankingStatistics(runs, ['lr'], ['mu']), (error: unknown) => error instanceof LabError && /axis "lr"/.test(error.message));
  });

  test('no axis raises', () => {
    assert.throws(() => rankingStatistics([], [], ['mu']), LabError);
  });
});
