import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Store, type StudyRunRecord } from '../../db/store.js';
import { plottedLog10 } from '../../main/analysis/index.js';
import { getMeasureDefinition, measureIds, sizeAdjust } from '../../main/measures/registry.js';
import { sizeAdjustmentRule } from '../../main/reports/definitions.js';
import { buildStudyReport, renderCsvReport, renderJsonReport, renderReport, runCsvColumns, type GapKind, type StudyReport } from '../../main/reports/index.js';
import type { StudySpecInput } from '../../main/studies/spec.js';
import { LabError } from '../../main/util/errors.js';
import { tempDir } from '../helpers/temp.js';
import { parseRfc4180 } from './csvText.js';
import { tinySpec } from '../helpers/studies.js';
import { trainTinyStudy, writeGapTargetStudy, writePendingStudy, writeStudy, type RunFate } from './studies.js';

const folder = tempDir('fragility-report-model-');
const generatedAt = new Date('2026-01-02T03:04:05.000Z');
let dbPath: string;
let report: StudyReport;

function reportOf(path: string, studyId?: string): StudyReport {
  const store = Store.open(path, { readonly: true });
  try {
    return buildStudyReport(store, { generatedAt, ...(studyId === undefined ? {} : { studyId }) });
  } finally {
    store.close();
  }
}

before(async () => {
  dbPath = await trainTinyStudy(folder);
  report = reportOf(dbPath);
});

describe('report model of a trained study', () => {
  test('study and conditions', () => {
    assert.equal(report.format_version, 1);
    assert.equal(report.generated_at, '2026-01-02T03:04:05.000Z');
    assert.equal(report.study.id, 'tiny');
    assert.deepEqual(report.study.sizes, [64, 128, 256]);
    assert.deepEqual(report.study.seeds, [0, 1]);
    assert.deepEqual(
      report.study.conditions.map((condition) => [condition.name, condition.kind, condition.planned_runs, condition.finished_runs]),
      [
        ['baseline', 'baseline', 6, 6],
        ['noise', 'data', 6, 6],
      ],
    );
    assert.deepEqual(report.study.conditions[1]!.changes, { data: { labelNoise: 0.2 } });
    assert.match(report.study.conditions[1]!.description ?? '', /20%/);
  });

  test('environment from the runs', () => {
    const { environment } = report;
    assert.equal(environment.database, 'tiny.sqlite');
    assert.deepEqual(environment.backends, [{ value: 'wasm', runs: 12 }]);
    assert.equal(environment.devices.length, 1);
    assert.ok(environment.versions.some((entry) => entry.library === 'tfjs' && entry.runs === 12), JSON.stringify(environment.versions));
    assert.equal(environment.total_runs, 12);
    assert.equal(Object.values(environment.status_counts).reduce((sum, count) => sum + count, 0), 12);
    assert.equal(environment.status_counts.failed, 0);
    assert.ok(environment.first_started_at !== null, 'first start');
    assert.ok(environment.last_finished_at !== null, 'last finish');
    assert.ok(environment.first_started_at < environment.last_finished_at);
    assert.ok(environment.total_duration_ms > 0);
    assert.deepEqual(environment.engine_versions, [environment.current_engine_version]);
  });

  test('measure definitions from the registry', () => {
    assert.deepEqual(
      report.definitions.measures.map((measure) => measure.id),
      report.study.measures,
    );
    for (const measure of report.definitions.measures) {
      const registered = getMeasureDefinition(measure.id);
      assert.equal(measure.definition, registered.definition);
      assert.equal(measure.title, registered.title);
      assert.equal(measure.equation, registered.equation);
      assert.equal(measure.is_log, registered.isLog);
    }
    const terms = report.definitions.terms.map((term) => term.term);
    for (const expected of ['CMS_mu(P)', 'eCMS_mu(P)', 'Verdict', 'Kendall tau-a', 'Intervals']) assert.ok(terms.includes(expected), expected);
    assert.match(report.definitions.terms.find((term) => term.term === 'Verdict')!.definition, /\|eCMS\| > 0\.1/);
    assert.match(report.definitions.size_adjustment, /sqrt\(value \/ m\)/);
  });

  test('analysis present with its intervals', () => {
    assert.ok(report.analysis !== null, report.analysis_missing_reason ?? '');
    assert.equal(report.analysis_missing_reason, null);
    assert.deepEqual(report.analysis.perturbations, ['noise']);
    assert.equal(report.analysis.bootstrap.resamples, 1000);
    assert.ok(report.analysis.ranking !== undefined);
  });

  test('curves equal the analysis cells', () => {
    const analysis = report.analysis!;
    for (const curve of [report.curves.test_error, ...report.curves.measures]) {
      assert.equal(curve.empty_reason, null, curve.quantity);
      assert.deepEqual(
        curve.series.map((series) => series.condition),
        ['baseline', 'noise'],
      );
      for (const series of curve.series) {
        assert.equal(series.alpha, analysis.alpha[curve.quantity]![series.condition]);
        series.points.forEach((point, index) => {
          const cell = analysis.cells[curve.quantity]![series.condition]![index]!;
          assert.equal(point.m, cell.m);
          assert.equal(point.log10_m, Math.log10(cell.m));
          assert.equal(point.log10_value, cell.x);
          assert.deepEqual(point.interval, analysis.intervals.cells[curve.quantity]![series.condition]![index]);
        });
      }
    }
  });

  test('curve points are means of log10 over seeds', () => {
    for (const curve of report.curves.measures) {
      for (const series of curve.series) {
        for (const point of series.points) {
          const runs = report.runs.filter((run) => run.condition === series.condition && run.m === point.m);
          const logs = runs.map((run) => plottedLog10(curve.quantity, run.measures[curve.quantity]!.adjusted)).filter((value): value is number => value !== null);
          const mean = logs.reduce((sum, value) => sum + value, 0) / logs.length;
          assert.ok(Math.abs(point.log10_value! - mean) < 1e-12, `${curve.quantity} ${series.condition} m=${point.m}`);
          assert.ok(point.interval![0] <= point.log10_value! + 1e-12, 'interval starts below the mean');
          assert.ok(point.log10_value! <= point.interval![1] + 1e-12, 'interval ends above the mean');
        }
      }
    }
  });

  test('runs carry every measure raw and adjusted', () => {
    assert.equal(report.runs.length, 12);
    for (const run of report.runs) {
      assert.ok(run.status === 'fit' || run.status === 'did_not_fit', run.status);
      assert.equal(run.backend, 'wasm');
      for (const key of ['test_error', 'train_error', 'test_loss', 'train_loss'] as const) assert.ok(run[key] !== null, `${key} of ${run.id}`);
      assert.deepEqual(Object.keys(run.measures), report.study.measures);
      for (const [id, value] of Object.entries(run.measures)) {
        assert.equal(value.missing_reason, null, `${id}: ${value.missing_reason}`);
        assert.ok(Math.abs(value.adjusted! - sizeAdjust(id, value.raw!, run.m)) < 1e-9 * Math.max(1, Math.abs(value.adjusted!)), id);
      }
    }
  });

  test('no gap but the stopping-rule caveat', () => {
    const kinds = new Set(report.gaps.map((gap) => gap.kind));
    for (const kind of kinds) assert.equal(kind, 'did-not-fit', `unexpected gap: ${report.gaps.map((gap) => gap.message).join(' | ')}`);
  });
});

describe('size adjustment rule', () => {
  test('matches sizeAdjust for every measure', () => {
    const raw = 4;
    const m = 16;
    for (const id of measureIds) {
      const expected = { none: raw, sqrt: Math.sqrt(raw / m), log: 0.5 * (raw - Math.log(m)) }[sizeAdjustmentRule(id)];
      assert.equal(sizeAdjust(id, raw, m), expected, id);
    }
  });
});

describe('JSON and CSV reports', () => {
  test('JSON round-trips the model', () => {
    const text = renderJsonReport(report);
    assert.doesNotMatch(text, /NaN|Infinity/);
    assert.deepEqual(JSON.parse(text), report);
  });

  test('CSV has one row per run and every column', () => {
    const rows = parseRfc4180(renderCsvReport(report));
    const [header, ...records] = rows;
    assert.deepEqual(header, runCsvColumns(report.study.measures));
    for (const id of report.study.measures) {
      for (const suffix of ['raw', 'adjusted', 'missing']) assert.ok(header!.includes(`${id}_${suffix}`), `${id}_${suffix}`);
    }
    for (const column of ['run_id', 'condition', 'kind', 'm', 'seed', 'status', 'started_at', 'finished_at', 'duration_ms', 'backend', 'device', 'epochs', 'train_error', 'test_error', 'train_loss', 'test_loss']) {
      assert.ok(header!.includes(column), column);
    }
    assert.equal(records.length, report.runs.length);
    const column = (name: string) => header!.indexOf(name);
    records.forEach((record, index) => {
      const run = report.runs[index]!;
      assert.equal(record.length, header!.length);
      assert.equal(record[column('run_id')], run.id);
      assert.equal(Number(record[column('m')]), run.m);
      assert.equal(record[column('device')], run.device);
      assert.equal(Number(record[column('test_error')]), run.test_error);
      for (const id of report.study.measures) {
        assert.equal(Number(record[column(`${id}_raw`)]), run.measures[id]!.raw);
        assert.equal(Number(record[column(`${id}_adjusted`)]), run.measures[id]!.adjusted);
        assert.equal(record[column(`${id}_missing`)], '');
      }
    });
  });

  test('CSV quotes commas and quotes', () => {
    // The device name of wasm runs contains commas, e.g. "CPU (WebAssembly, SIMD; matrix products: ...)".
    const text = renderCsvReport(report);
    assert.match(text, /,"CPU \(WebAssembly, SIMD[^"]*\)",/);
    assert.ok(text.endsWith('\r\n'));
  });
});

describe('report model of unusual studies', () => {
  test('study targeting the gap has both curves', () => {
    const path = join(folder, 'gap-target.sqlite');
    writeGapTargetStudy(path);
    const gapReport = reportOf(path);
    assert.equal(gapReport.analysis?.target, 'gap');
    assert.ok(gapReport.curves.gap !== null);
    assert.equal(gapReport.curves.gap.empty_reason, null);
    assert.equal(gapReport.curves.test_error.empty_reason, null);
    assert.notDeepEqual(gapReport.curves.gap.series[0]!.points, gapReport.curves.test_error.series[0]!.points);
    assert.match(gapReport.definitions.target, /generalization gap/);
  });

  test('study without a finished run', async () => {
    const path = join(folder, 'pending.sqlite');
    writePendingStudy(path);
    const pending = reportOf(path);
    assert.equal(pending.analysis, null);
    assert.match(pending.analysis_missing_reason ?? '', /no finished run/);
    assert.equal(pending.gaps[0]!.kind, 'no-analysis');
    assert.ok(pending.gaps.some((gap) => gap.kind === 'unfinished-runs'));
    assert.equal(pending.curves.measures.length, 4);
    for (const curve of pending.curves.measures) assert.match(curve.empty_reason ?? '', /no finished run/);
    for (const format of ['html', 'csv', 'json', 'latex'] as const) {
      const output = await renderReport(pending, format);
      assert.equal(typeof output, 'string', format);
      assert.ok(output.length > 0, format);
    }
    const records = parseRfc4180(renderCsvReport(pending));
    assert.equal(records.length, 1 + pending.runs.length);
    assert.match(records[1]!.at(-1)!, /not been trained yet/);
  });

  const edgeCases: { name: string; spec: StudySpecInput; fate: (run: StudyRunRecord) => RunFate; analysis: boolean; gapKinds: GapKind[] }[] = [
    {
      name: 'baseline-failed',
      spec: tinySpec({ name: 'baseline failed', perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } }] }),
      fate: (run) => (run.condition === 'baseline' ? { status: 'failed', reason: 'out of memory' } : { status: 'fit' }),
      analysis: false,
      gapKinds: ['no-analysis', 'failed-runs', 'condition-without-runs'],
    },
    {
      name: 'one-size',
      spec: tinySpec({ name: 'one size', trainSizes: [64], perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } }] }),
      fate: () => ({ status: 'fit' }),
      analysis: true,
      gapKinds: ['one-size'],
    },
    { name: 'no-perturbation', spec: tinySpec({ name: 'no perturbation' }), fate: () => ({ status: 'fit' }), analysis: true, gapKinds: [] },
    {
      name: 'all-diverged',
      spec: tinySpec({ name: 'all diverged', perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } }] }),
      fate: (run) => (run.condition === 'noise' ? { status: 'diverged' } : { status: 'fit' }),
      analysis: true,
      gapKinds: ['diverged-runs', 'missing-exponent'],
    },
  ];
  for (const edge of edgeCases) {
    test(`${edge.name} study gives a report`, async () => {
      const path = join(folder, `${edge.name}.sqlite`);
      writeStudy(path, edge.spec, edge.fate);
      const edgeReport = reportOf(path);
      assert.equal(edgeReport.analysis !== null, edge.analysis, edgeReport.analysis_missing_reason ?? 'analysis present');
      assert.deepEqual([...new Set(edgeReport.gaps.map((gap) => gap.kind))], edge.gapKinds);
      for (const format of ['html', 'csv', 'json', 'latex'] as const) {
        const output = await renderReport(edgeReport, format);
        assert.ok(output.length > 0, format);
      }
    });
  }

  test('unknown study id raises not-found', () => {
    assert.throws(
      () => reportOf(dbPath, 'nope'),
      (error: unknown) => error instanceof LabError && error.kind === 'not-found' && /Study "nope" is not in/.test(error.message),
    );
  });
});
