import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeStudy } from '../../main/analysis/analyze.js';
import type { StudyAnalysis } from '../../main/analysis/analyze.js';
import { collectCellSamples } from '../../main/analysis/cells.js';
import { drawResampledMeans } from '../../main/analysis/bootstrap.js';
import { parseRunTableCsv } from '../../main/analysis/csv.js';
import { describeStudy } from '../../main/analysis/design.js';
import { decideVerdict, straddlesThreshold } from '../../main/analysis/fragility.js';
import type { TargetKind } from '../../main/analysis/table.js';
import { Rng } from '../../main/util/rng.js';
import { assertContains, readExpected, readFragilityFixture } from './expectations.js';

const expected = readExpected();

function analyzeFixture(study: string, options: Parameters<typeof analyzeStudy>[1] = {}): StudyAnalysis {
  const { file, target } = expected.studies[study] as { file: string; target: TargetKind };
  return analyzeStudy(parseRunTableCsv(readFragilityFixture(file), { source: file }), { target, ...options });
}

describe('bootstrap intervals', () => {
  for (const study of Object.keys(expected.studies)) {
    test(`${study} intervals contain point estimates`, async (t) => {
      const analysis = analyzeFixture(study);
      for (const statistic of ['alpha', 'cms', 'ecms', 'vs', 'evs'] as const) {
        for (const [first, row] of Object.entries(analysis[statistic])) {
          for (const [second, value] of Object.entries(row)) {
            await t.test(`${statistic} ${first} ${second}`, () => {
              const interval = analysis.intervals[statistic][first]![second]!;
              if (value === null) assert.equal(interval, null, 'a missing point value has no interval');
              else assertContains(interval, value, `${statistic} ${first} ${second}`);
            });
          }
        }
      }
      for (const [quantity, byCondition] of Object.entries(analysis.cells)) {
        for (const [condition, cells] of Object.entries(byCondition)) {
          await t.test(`cells ${quantity} ${condition}`, () => {
            cells.forEach((cell, index) => {
              const interval = analysis.intervals.cells[quantity]![condition]![index]!;
              if (cell.x === null) assert.equal(interval, null, `m=${cell.m}: a cell without a valid run has no interval`);
              else assertContains(interval, cell.x, `m=${cell.m}`);
            });
          });
        }
      }
    });
  }

  test('same seed reproduces intervals', () => {
    const first = analyzeFixture('study_a', { bootstrap: { seed: 7, resamples: 200 } });
    const second = analyzeFixture('study_a', { bootstrap: { seed: 7, resamples: 200 } });
    assert.deepEqual(first.intervals, second.intervals);
    assert.deepEqual(first.bootstrap, { seed: 7, resamples: 200, confidence: 0.95 });
  });

  test('other seed changes intervals', () => {
    const first = analyzeFixture('study_a', { bootstrap: { seed: 7, resamples: 200 } });
    const second = analyzeFixture('study_a', { bootstrap: { seed: 8, resamples: 200 } });
    assert.notDeepEqual(first.intervals.ecms, second.intervals.ecms);
  });

  test('defaults are 1000 resamples at 95%', () => {
    const analysis = analyzeFixture('study_b');
    assert.deepEqual(analysis.bootstrap, { resamples: 1000, seed: 0, confidence: 0.95 });
  });

  test('zero resamples gives no intervals', () => {
    const analysis = analyzeFixture('study_b', { bootstrap: { resamples: 0 } });
    assert.equal(analysis.intervals.ecms.fro_dist!.momentum_on, null);
    assert.equal(analysis.intervals.alpha.test_error!.baseline, null);
    assert.deepEqual(analysis.verdict, (expected.studies.study_b as { verdict: unknown }).verdict);
  });

  test('single valid run gives degenerate cell interval', () => {
    // Dropping two of the three baseline runs at m = 800 leaves a cell with one valid run, so every
    // resample draws that run and the interval of the cell mean has zero width.
    const { file } = expected.studies.study_c as { file: string };
    const table = parseRunTableCsv(readFragilityFixture(file), { source: file });
    const remaining = table.runs.filter((run) => !(run.condition === 'baseline' && run.m === 800 && run.seed > 0));
    const analysis = analyzeStudy({ measures: table.measures, runs: remaining }, { target: 'gap', bootstrap: { resamples: 100 } });
    const cell = analysis.cells.gap!.baseline![1]!;
    assert.equal(cell.n_valid, 1);
    assert.deepEqual(analysis.intervals.cells.gap!.baseline![1], [cell.x, cell.x]);
  });

  test('resamples never empty a cell', () => {
    const { file } = expected.studies.study_a as { file: string };
    const table = parseRunTableCsv(readFragilityFixture(file), { source: file });
    const design = describeStudy(table, 'test_error');
    const samples = collectCellSamples(table, design);
    const rng = new Rng('test', 1);
    for (let resample = 0; resample < 50; resample++) {
      const means = drawResampledMeans(samples, design, rng);
      for (const quantity of design.quantities) {
        for (const condition of design.conditions) {
          means[quantity]![condition]!.forEach((x, index) => {
            const hasValid = samples.values[quantity]![condition]![index]!.length > 0;
            assert.equal(x !== null, hasValid, `${quantity} ${condition} size ${design.sizes[index]}`);
          });
        }
      }
    }
  });

  test('straddling interval gives undetermined', () => {
    // study_c read with the test error as target: one run of other_dataset at m = 3200 has a test
    // error of 0.011 against 0.19 for its other seeds, which spreads the resampled eCMS across the threshold.
    const analysis = analyzeFixture('study_c', { target: 'test_error' });
    const interval = analysis.intervals.ecms.path_norm_over_margin!.other_dataset!;
    assert.ok(interval !== null, 'the point eCMS exists, so it has an interval');
    assert.ok(straddlesThreshold(interval, 0.1), `interval ${JSON.stringify(interval)}`);
    assert.equal(analysis.verdict.path_norm_over_margin!.other_dataset, 'undetermined');
    assert.match(analysis.undetermined_reasons.path_norm_over_margin!.other_dataset!, /contains the threshold 0\.1/);
  });
});

describe('verdict rule', () => {
  test('missing eCMS is undetermined', () => {
    assert.equal(decideVerdict(null, null, null, 0.1), 'undetermined');
  });

  test('interval across threshold is undetermined', () => {
    assert.equal(decideVerdict(0.12, [0.05, 0.2], false, 0.1), 'undetermined');
    assert.equal(decideVerdict(-0.12, [-0.2, -0.05], false, 0.1), 'undetermined');
  });

  test('large eCMS is fragile', () => {
    assert.equal(decideVerdict(0.2, [0.15, 0.25], false, 0.1), 'fragile');
    assert.equal(decideVerdict(-0.2, null, false, 0.1), 'fragile');
  });

  test('trend flip is fragile', () => {
    assert.equal(decideVerdict(0.01, [-0.02, 0.03], true, 0.1), 'fragile');
  });

  test('small eCMS is robust', () => {
    assert.equal(decideVerdict(0.01, [-0.02, 0.03], false, 0.1), 'robust');
  });

  test('threshold is per study', () => {
    const strict = analyzeFixture('study_a', { threshold: 0.3, bootstrap: { resamples: 100 } });
    assert.equal(strict.threshold, 0.3);
    assert.equal(strict.verdict.path_norm!.lr_x10, 'robust');
    assert.equal(strict.summary.path_norm!.fragile_count, 0);
  });
});
