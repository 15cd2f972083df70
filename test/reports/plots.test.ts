import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Store } from '../../db/store.js';
import { conditionStyles, logAxisTicks } from '../../main/reports/axes.js';
import { buildReportPlots, buildStudyReport, type ReportPlot, type StudyReport } from '../../main/reports/index.js';
import { tempDir } from '../helpers/temp.js';
import { writeGapStudy } from './studies.js';

const folder = tempDir('fragility-report-plots-');
let report: StudyReport;
let plots: ReportPlot[];

before(() => {
  const dbPath = join(folder, 'gaps.sqlite');
  writeGapStudy(dbPath);
  const store = Store.open(dbPath, { readonly: true });
  try {
    report = buildStudyReport(store);
  } finally {
    store.close();
  }
  plots = buildReportPlots(report);
});

/** Returns the labelled ticks of a log axis, in ascending order. */
function labelled(low: number, high: number, gap = 0) {
  return logAxisTicks(low, high, gap)
    .filter((tick) => tick.label !== null)
    .sort((a, b) => a.value - b.value);
}

/** Asserts that an SVG contains a piece of markup, without printing the whole SVG on failure. */
function assertContains(svg: string, pattern: RegExp, plotId: string): void {
  assert.ok(pattern.test(svg), `${plotId}: ${pattern} not found in the SVG`);
}

describe('log axis ticks', () => {
  test('decades over a wide domain', () => {
    const ticks = labelled(-2.3, 1.4);
    assert.deepEqual(
      ticks.map((tick) => tick.value),
      [-2, -1, 0, 1],
    );
    assert.deepEqual(
      ticks.map((tick) => `${tick.label}^${tick.exponent}`),
      ['10^\u22122', '10^\u22121', '10^0', '10^1'],
    );
    assert.ok(logAxisTicks(-2.3, 1.4).some((tick) => tick.label === null), 'minor ticks between decades');
  });

  test('2x and 5x inside one decade', () => {
    const ticks = labelled(1.75, 2.45);
    assert.deepEqual(
      ticks.map((tick) => tick.label),
      ['100', '200'],
    );
  });

  test('narrow domain still has two labels', () => {
    for (const [low, high] of [
      [-0.06, -0.04],
      [3.001, 3.003],
      [-12.5, -12.45],
    ] as const) {
      const ticks = labelled(low, high);
      assert.ok(ticks.length >= 2, `${low}..${high}: ${JSON.stringify(ticks)}`);
      for (const tick of ticks) assert.ok(tick.value >= low - 1e-9 && tick.value <= high + 1e-9, `${tick.value} outside ${low}..${high}`);
    }
  });

  test('many decades are thinned', () => {
    assert.ok(labelled(-30, 30).length <= 8);
  });

  test('crowded labels are spaced', () => {
    const ticks = labelled(-1.2, -0.75, 0.06);
    for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i]!.value - ticks[i - 1]!.value >= 0.06 - 1e-9);
    assert.ok(ticks.length >= 2);
  });

  test('empty or reversed domain has no tick', () => {
    assert.deepEqual(logAxisTicks(1, 1), []);
    assert.deepEqual(logAxisTicks(2, 1), []);
  });
});

describe('condition styles', () => {
  test('colours, dashes and markers differ', () => {
    const styles = [...conditionStyles(['a', 'b', 'c', 'd', 'e', 'f', 'g']).values()];
    assert.equal(new Set(styles.map((style) => style.color)).size, 7);
    assert.equal(new Set(styles.map((style) => style.dash)).size, 7);
    assert.equal(new Set(styles.map((style) => style.symbol)).size, 7);
  });
});

describe('report plots', () => {
  test('one figure per measure, test error and overview', () => {
    assert.deepEqual(
      plots.map((plot) => plot.id),
      ['curves-param_norm', 'curves-log_prod_of_spec', 'curves-inverse_margin', 'curves-path_norm', 'curves-test_error', 'small-multiples'],
    );
  });

  test('every plot has title and desc', () => {
    for (const plot of plots) {
      assertContains(plot.svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, plot.id);
      assertContains(plot.svg, new RegExp(`aria-labelledby="${plot.id}-title ${plot.id}-desc"`), plot.id);
      assertContains(plot.svg, new RegExp(`<title id="${plot.id}-title">[^<]+</title>`), plot.id);
      assertContains(plot.svg, new RegExp(`<desc id="${plot.id}-desc">[^<]+</desc>`), plot.id);
      assertContains(plot.svg, new RegExp(`width="${plot.width}" height="${plot.height}" viewBox="0 0 ${plot.width} ${plot.height}"`), plot.id);
    }
  });

  test('measure plot has both panels and a legend', () => {
    const plot = plots.find((candidate) => candidate.id === 'curves-path_norm')!;
    assertContains(plot.svg, /data-quantity="path_norm"/, plot.id);
    assertContains(plot.svg, /data-quantity="test_error"/, plot.id);
    for (const condition of ['baseline', 'lr_huge', 'noise']) assertContains(plot.svg, new RegExp(`class="legend-entry" data-condition="${condition}"`), plot.id);
    assert.ok(!plot.svg.includes('data-condition="adam"'), 'a condition without finished runs has no series');
    assertContains(plot.svg, /training-set size m \(examples, log scale\)/, plot.id);
    assertContains(plot.svg, /sqrt\(path_norm \/ m\), log scale/, plot.id);
  });

  test('markers match the valid points', () => {
    const plot = plots.find((candidate) => candidate.id === 'curves-path_norm')!;
    const measureCurve = report.curves.measures.find((curve) => curve.quantity === 'path_norm')!;
    const validPoints = [measureCurve, report.curves.test_error]
      .flatMap((curve) => curve.series)
      .flatMap((series) => series.points)
      .filter((point) => point.log10_value !== null).length;
    assert.equal(plot.svg.match(/class="series-marker"/g)?.length, validPoints);
    assert.ok((plot.svg.match(/class="series-band"/g)?.length ?? 0) >= 2);
  });

  test('one-size condition gets a whisker', () => {
    const plot = plots.find((candidate) => candidate.id === 'curves-param_norm')!;
    assertContains(plot.svg, /class="series-whisker" data-condition="noise"/, plot.id);
  });

  test('empty measure states why', () => {
    const plot = plots.find((candidate) => candidate.id === 'curves-inverse_margin')!;
    assertContains(plot.svg, /class="empty-message"/, plot.id);
    assertContains(plot.svg, /No valid value: no finished run has a positive value/, plot.id);
    assert.match(plot.description, /inverse_margin|Inverse squared margin: no valid value/);
  });

  test('desc states exponents and missing ones', () => {
    const plot = plots.find((candidate) => candidate.id === 'curves-param_norm')!;
    assert.match(plot.description, /Exponents alpha: baseline: -?\d\.\d{3}/);
    assert.match(plot.description, /noise: missing \(condition "noise" was run at one size only/);
  });
});
