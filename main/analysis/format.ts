/**
 * Renderers of a study's fragility table and of ranking statistics, as text for terminals, as CSV
 * and as JSON.
 *
 * The fragility table has one row per measure and one column per perturbation. A cell shows the
 * score (eCMS by default, or CMS) with its bootstrap interval and the verdict. The first row shows
 * the target's exponent alpha for the baseline and for every perturbation. In the measure rows,
 * the baseline column shows the measure's own exponent at the baseline.
 */
import type { RankingReport, StudyAnalysis } from './analyze.js';
import type { Interval } from './statistics.js';
import { isLogMeasure } from './table.js';

export type TableFormat = 'text' | 'csv' | 'json';

export const tableFormats: readonly TableFormat[] = ['text', 'csv', 'json'];

export interface FragilityTableOptions {
  /** The score the cells show; eCMS by default. */
  score?: 'ecms' | 'cms';
  /** Digits after the decimal point in the text form; 3 by default. */
  digits?: number;
}

/** Renders the CMS/eCMS table of a study as text, CSV or JSON. */
export function formatFragilityTable(analysis: StudyAnalysis, format: TableFormat, options: FragilityTableOptions = {}): string {
  const score = options.score ?? 'ecms';
  switch (format) {
    case 'text':
      return formatText(analysis, score, options.digits ?? 3);
    case 'csv':
      return formatCsv(analysis);
    case 'json':
      return `${JSON.stringify(buildJsonTable(analysis, score), null, 2)}\n`;
  }
}

function fixed(value: number | null, digits: number): string {
  if (value === null) return 'n/a';
  const text = value.toFixed(digits);
  // toFixed keeps the sign of a value that rounds to zero ("-0.000"); drop it.
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

function withInterval(value: number | null, interval: Interval | null, digits: number): string {
  if (value === null) return 'n/a';
  if (interval === null) return fixed(value, digits);
  return `${fixed(value, digits)} [${fixed(interval[0], digits)}, ${fixed(interval[1], digits)}]`;
}

function scoreName(score: 'ecms' | 'cms'): string {
  return score === 'ecms' ? 'eCMS' : 'CMS';
}

function formatText(analysis: StudyAnalysis, score: 'ecms' | 'cms', digits: number): string {
  const { target, baseline, perturbations, measures, intervals } = analysis;
  const header = ['', `${baseline} (alpha)`, ...perturbations.map((name) => `${name} (${analysis.kinds[name]})`), 'worst |eCMS|', 'fragile'];
  const targetRow = [
    `alpha of ${target}`,
    withInterval(analysis.alpha[target]![baseline]!, intervals.alpha[target]![baseline]!, digits),
    ...perturbations.map((name) => withInterval(analysis.alpha[target]![name]!, intervals.alpha[target]![name]!, digits)),
    '',
    '',
  ];
  const measureRows = measures.map((measure) => [
    measure,
    withInterval(analysis.alpha[measure]![baseline]!, intervals.alpha[measure]![baseline]!, digits),
    ...perturbations.map((name) => {
      const value = withInterval(analysis[score][measure]![name]!, intervals[score][measure]![name]!, digits);
      const flip = analysis.trend_flip[measure]![name] === true ? ', trend flip' : '';
      return `${value} ${analysis.verdict[measure]![name]}${flip}`;
    }),
    // The summary columns are per measure and come from eCMS in both tables, as the verdicts do.
    fixed(analysis.summary[measure]!.worst_abs_ecms, digits),
    String(analysis.summary[measure]!.fragile_count),
  ]);

  const { resamples, confidence, seed } = analysis.bootstrap;
  const intervalNote =
    resamples > 0
      ? `Intervals: ${Math.round(confidence * 100)}% bootstrap percentile intervals over seeds, ${resamples} resamples, generator seed ${seed}.`
      : 'Intervals: none (no bootstrap resamples).';
  const lines = [
    `${scoreName(score)} per perturbation against baseline "${baseline}" (target ${target}, threshold ${analysis.threshold}).`,
    intervalNote,
    `Verdicts use eCMS: fragile when |eCMS| > ${analysis.threshold} or the trend flips; undetermined when eCMS is missing or its interval contains the threshold.`,
    '',
    ...alignColumns([header, targetRow, ...measureRows]),
    ...formatNotes(analysis),
  ];
  return `${lines.join('\n')}\n`;
}

/** Pads every column to its widest entry, with two spaces between columns. */
function alignColumns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((entry, index) => (widths[index] = Math.max(widths[index] ?? 0, entry.length)));
  return rows.map((row) =>
    row
      .map((entry, index) => entry.padEnd(widths[index]!))
      .join('  ')
      .trimEnd(),
  );
}

function formatNotes(analysis: StudyAnalysis): string[] {
  const notes: string[] = [];
  for (const measure of analysis.empty_measures) notes.push(`${measure} has no valid value in any run.`);
  for (const [quantity, byCondition] of Object.entries(analysis.alpha_missing)) {
    if (analysis.empty_measures.includes(quantity)) continue;
    for (const [condition, reason] of Object.entries(byCondition)) notes.push(`alpha of ${quantity} for ${condition} is missing: ${reason}.`);
  }
  // Cells undetermined only because their interval contains the threshold are counted, not listed:
  // the table shows each interval already.
  let straddling = 0;
  for (const [measure, byPerturbation] of Object.entries(analysis.undetermined_reasons)) {
    for (const [perturbation, reason] of Object.entries(byPerturbation)) {
      if (reason.startsWith('eCMS is missing')) continue; // The missing exponent is listed above.
      if (reason.startsWith('the interval')) straddling++;
      else notes.push(`${measure} / ${perturbation} is undetermined: ${reason}.`);
    }
  }
  if (straddling > 0) {
    notes.push(
      `${straddling} cell${straddling === 1 ? ' is' : 's are'} undetermined because the eCMS interval contains ${analysis.threshold} or -${analysis.threshold}; more seeds narrow the intervals.`,
    );
  }
  for (const quantity of analysis.quantities) {
    const counts = Object.entries(analysis.left_out[quantity]!).filter(([, count]) => count > 0);
    if (counts.length === 0 || analysis.empty_measures.includes(quantity)) continue;
    const listed = counts.map(([condition, count]) => `${count} of ${condition}`).join(', ');
    notes.push(`${quantity}: runs left out (missing${isLogMeasure(quantity) ? '' : ' or not positive'}): ${listed}.`);
  }
  return notes.length === 0 ? [] : ['', 'Notes:', ...notes.map((note) => `- ${note}`)];
}

const csvColumns = [
  'measure',
  'perturbation',
  'kind',
  'alpha_measure_baseline',
  'alpha_measure_perturbation',
  'alpha_target_baseline',
  'alpha_target_perturbation',
  'cms',
  'cms_low',
  'cms_high',
  'ecms',
  'ecms_low',
  'ecms_high',
  'vs',
  'evs',
  'trend_flip',
  'verdict',
] as const;

/** Writes one CSV field, quoting it only when it contains a comma, a quote or a line break. */
function csvField(value: number | string | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function formatCsv(analysis: StudyAnalysis): string {
  const { target, baseline, intervals } = analysis;
  const rows: string[] = [csvColumns.join(',')];
  for (const measure of analysis.measures) {
    for (const perturbation of analysis.perturbations) {
      const cmsInterval = intervals.cms[measure]![perturbation]!;
      const ecmsInterval = intervals.ecms[measure]![perturbation]!;
      const values: Record<(typeof csvColumns)[number], number | string | boolean | null> = {
        measure,
        perturbation,
        kind: analysis.kinds[perturbation]!,
        alpha_measure_baseline: analysis.alpha[measure]![baseline]!,
        alpha_measure_perturbation: analysis.alpha[measure]![perturbation]!,
        alpha_target_baseline: analysis.alpha[target]![baseline]!,
        alpha_target_perturbation: analysis.alpha[target]![perturbation]!,
        cms: analysis.cms[measure]![perturbation]!,
        cms_low: cmsInterval?.[0] ?? null,
        cms_high: cmsInterval?.[1] ?? null,
        ecms: analysis.ecms[measure]![perturbation]!,
        ecms_low: ecmsInterval?.[0] ?? null,
        ecms_high: ecmsInterval?.[1] ?? null,
        vs: analysis.vs[measure]![perturbation]!,
        evs: analysis.evs[measure]![perturbation]!,
        trend_flip: analysis.trend_flip[measure]![perturbation]!,
        verdict: analysis.verdict[measure]![perturbation]!,
      };
      rows.push(csvColumns.map((column) => csvField(values[column])).join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}

/** The fragility table as a JSON document: the header row, then one row per measure. */
export interface FragilityTableJson {
  target: string;
  threshold: number;
  score: 'ecms' | 'cms';
  baseline: { name: string; alpha_target: number | null; alpha_target_interval: Interval | null };
  perturbations: { name: string; kind: string; alpha_target: number | null; alpha_target_interval: Interval | null }[];
  rows: {
    measure: string;
    alpha_baseline: number | null;
    cells: { perturbation: string; value: number | null; interval: Interval | null; trend_flip: boolean | null; verdict: string }[];
    worst_abs_ecms: number | null;
    fragile_count: number;
  }[];
}

function buildJsonTable(analysis: StudyAnalysis, score: 'ecms' | 'cms'): FragilityTableJson {
  const { target, baseline, intervals } = analysis;
  return {
    target,
    threshold: analysis.threshold,
    score,
    baseline: { name: baseline, alpha_target: analysis.alpha[target]![baseline]!, alpha_target_interval: intervals.alpha[target]![baseline]! },
    perturbations: analysis.perturbations.map((name) => ({
      name,
      kind: analysis.kinds[name]!,
      alpha_target: analysis.alpha[target]![name]!,
      alpha_target_interval: intervals.alpha[target]![name]!,
    })),
    rows: analysis.measures.map((measure) => ({
      measure,
      alpha_baseline: analysis.alpha[measure]![baseline]!,
      cells: analysis.perturbations.map((perturbation) => ({
        perturbation,
        value: analysis[score][measure]![perturbation]!,
        interval: intervals[score][measure]![perturbation]!,
        trend_flip: analysis.trend_flip[measure]![perturbation]!,
        verdict: analysis.verdict[measure]![perturbation]!,
      })),
      worst_abs_ecms: analysis.summary[measure]!.worst_abs_ecms,
      fragile_count: analysis.summary[measure]!.fragile_count,
    })),
  };
}

/** Renders ranking statistics (tau-a, psi per axis, Psi, sign error per axis) per target and measure. */
export function formatRankingTable(report: RankingReport, format: TableFormat, options: { digits?: number } = {}): string {
  const digits = options.digits ?? 3;
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;

  const { axes } = report;
  const csvHeader = [
    'target',
    'measure',
    'kendall_tau_a',
    ...axes.map((axis) => `psi_${axis}`),
    'Psi',
    ...axes.flatMap((axis) => [`sign_error_mean_${axis}`, `sign_error_worst_${axis}`, `sign_error_pairs_${axis}`]),
  ];
  const textHeader = [
    'measure',
    'tau-a',
    ...axes.map((axis) => `psi(${axis})`),
    'Psi',
    ...axes.map((axis) => `sign error ${axis} (mean, worst, pairs)`),
  ];

  const csvRows: string[] = [csvHeader.map(csvField).join(',')];
  const textBlocks: string[] = [];
  for (const [target, byMeasure] of Object.entries(report.targets)) {
    const textRows: string[][] = [textHeader];
    for (const measure of report.measures) {
      const ranking = byMeasure[measure];
      if (ranking === undefined) continue;
      const signErrors = axes.map((axis) => ranking.sign_error[axis]!);
      csvRows.push(
        [
          target,
          measure,
          ranking.kendall_tau_a,
          ...axes.map((axis) => ranking.psi[axis]!),
          ranking.Psi,
          ...signErrors.flatMap((error) => [error.mean, error.worst, error.pairs]),
        ]
          .map(csvField)
          .join(','),
      );
      textRows.push([
        measure,
        fixed(ranking.kendall_tau_a, digits),
        ...axes.map((axis) => fixed(ranking.psi[axis]!, digits)),
        fixed(ranking.Psi, digits),
        ...signErrors.map((error) => `${fixed(error.mean, digits)}, ${fixed(error.worst, digits)}, ${error.pairs}`),
      ]);
    }
    textBlocks.push(`Target ${target}:`, ...alignColumns(textRows), '');
  }
  if (format === 'csv') return `${csvRows.join('\n')}\n`;
  return [`Ranking statistics over the axes ${axes.join(', ')} (Kendall tau-a, granulated Kendall psi and Psi, sign error).`, '', ...textBlocks].join('\n');
}
