import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeStudy } from '../../main/analysis/analyze.js';
import { parseCsvText, parseRankingCsv, parseRunTableCsv } from '../../main/analysis/csv.js';
import { formatFragilityTable, formatRankingTable } from '../../main/analysis/format.js';
import type { FragilityTableJson } from '../../main/analysis/format.js';
import { rankingStatistics } from '../../main/analysis/ranking.js';
import { readFragilityFixture } from './expectations.js';

const studyA = analyzeStudy(parseRunTableCsv(readFragilityFixture('study_a.csv')), { bootstrap: { resamples: 200 } });
const studyC = analyzeStudy(parseRunTableCsv(readFragilityFixture('study_c.csv')), { target: 'gap', bootstrap: { resamples: 200 } });

describe('fragility table text', () => {
  const text = formatFragilityTable(studyA, 'text');
  const lines = text.split('\n');

  test('header names perturbations', () => {
    const header = lines.find((line) => line.includes('lr_x10 (hyperparameter)'));
    assert.ok(header !== undefined, text);
    assert.match(header, /baseline \(alpha\)/);
    assert.match(header, /sgd_to_adam \(hyperparameter\)/);
    assert.match(header, /label_noise_20 \(data\)/);
    assert.match(header, /worst \|eCMS\|/);
  });

  test('target row shows alpha', () => {
    const row = lines.find((line) => line.startsWith('alpha of test_error'));
    assert.ok(row !== undefined, text);
    assert.match(row, /-0\.299 \[/);
    assert.match(row, /-0\.119 \[/);
  });

  test('measure rows show eCMS and verdict', () => {
    const row = lines.find((line) => line.startsWith('path_norm '));
    assert.ok(row !== undefined, text);
    assert.match(row, /-0\.270 \[-0\.\d{3}, -0\.\d{3}\] fragile/);
    assert.match(row, /0\.000 \[-0\.\d{3}, 0\.\d{3}\] robust/, 'a value that rounds to zero has no minus sign');
  });

  test('notes list left-out runs', () => {
    assert.match(text, /path_norm: runs left out \(missing or not positive\): 1 of baseline/);
  });

  test('missing exponent shown as n/a', () => {
    const textC = formatFragilityTable(studyC, 'text');
    const row = textC.split('\n').find((line) => line.startsWith('inverse_margin'));
    assert.ok(row !== undefined, textC);
    assert.match(row, /n\/a undetermined/);
    assert.match(textC, /alpha of inverse_margin for weight_decay is missing: every run of "weight_decay" at m = 800/);
    assert.match(textC, /fragile, trend flip/);
  });

  test('CMS score option', () => {
    const cmsText = formatFragilityTable(studyA, 'text', { score: 'cms' });
    assert.match(cmsText, /^CMS per perturbation/);
    assert.match(cmsText, /-0\.252 \[/, 'CMS of path_norm for lr_x10');
    assert.match(cmsText, /worst \|eCMS\|/, 'the summary column is eCMS in both tables');
    assert.doesNotMatch(cmsText, /worst \|CMS\|/);
  });
});

describe('fragility table CSV', () => {
  const { header, records } = parseCsvText(formatFragilityTable(studyC, 'csv'));

  test('one row per measure and perturbation', () => {
    assert.equal(records.length, studyC.measures.length * studyC.perturbations.length);
    assert.deepEqual(header.slice(0, 3), ['measure', 'perturbation', 'kind']);
  });

  test('values round-trip', () => {
    const column = (name: string): number => header.indexOf(name);
    for (const { fields } of records) {
      const [measure, perturbation] = [fields[0]!, fields[1]!];
      const ecms = studyC.ecms[measure]![perturbation]!;
      assert.equal(fields[column('ecms')], ecms === null ? '' : String(ecms), `${measure} ${perturbation}`);
      assert.equal(fields[column('verdict')], studyC.verdict[measure]![perturbation]);
      assert.equal(fields[column('trend_flip')], String(studyC.trend_flip[measure]![perturbation] ?? ''));
    }
  });
});

describe('fragility table JSON', () => {
  const table = JSON.parse(formatFragilityTable(studyA, 'json')) as FragilityTableJson;

  test('header and rows', () => {
    assert.equal(table.baseline.name, 'baseline');
    assert.equal(table.baseline.alpha_target, studyA.alpha.test_error!.baseline);
    assert.deepEqual(
      table.perturbations.map((entry) => entry.name),
      studyA.perturbations,
    );
    assert.equal(table.rows.length, studyA.measures.length);
  });

  test('cells carry value and verdict', () => {
    const cell = table.rows.find((row) => row.measure === 'path_norm')!.cells.find((entry) => entry.perturbation === 'lr_x10')!;
    assert.equal(cell.value, studyA.ecms.path_norm!.lr_x10);
    assert.deepEqual(cell.interval, studyA.intervals.ecms.path_norm!.lr_x10);
    assert.equal(cell.verdict, 'fragile');
  });
});

describe('ranking table', () => {
  const grid = parseRankingCsv(readFragilityFixture('ranking.csv'), { axes: ['lr', 'batch_size'] });
  const report = { axes: grid.axes, measures: grid.measures, targets: rankingStatistics(grid.runs, grid.axes, grid.measures) };

  test('text has both targets', () => {
    const text = formatRankingTable(report, 'text');
    assert.match(text, /Target test_error:/);
    assert.match(text, /Target gap:/);
    assert.match(text, /inverse_margin\s+0\.917\s+0\.889\s+1\.000\s+0\.944/);
  });

  test('CSV has one row per target and measure', () => {
    const { header, records } = parseCsvText(formatRankingTable(report, 'csv'));
    assert.equal(records.length, 6);
    assert.ok(header.includes('sign_error_pairs_batch_size'));
  });
});
