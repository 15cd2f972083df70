/**
 * The tables of the HTML report: exponents, CMS and eCMS with intervals and verdicts, value
 * shifts, the summary per measure, the ranking statistics and the per-run tables. A study with
 * many perturbations or measures gets several tables of a few columns each, so every table fits
 * an A4 page when printed.
 */
import type { StudyAnalysis } from '../analysis/index.js';
import { chunk, code, escapeHtml, htmlInterval, htmlScore, htmlTable, htmlValue, missingMark, NoteList, type HtmlColumn } from './htmlParts.js';
import type { ReportRun, StudyReport } from './model.js';
import { formatDuration, formatTime, shortRunId } from './numbers.js';

/** Perturbation columns per table, so that a printed table fits the width of an A4 page. */
const perturbationsPerTable = 4;
const measuresPerTable = 4;

function quantityName(analysis: StudyAnalysis, quantity: string): string {
  if (quantity === analysis.target) return `${escapeHtml(quantity.replace('_', ' '))} (target)`;
  return code(quantity);
}

function verdictBadge(verdict: string): string {
  return `<span class="verdict ${verdict}">${verdict}</span>`;
}

function conditionHeader(analysis: StudyAnalysis, condition: string): string {
  return `${escapeHtml(condition)}<span class="sub">${analysis.kinds[condition]}</span>`;
}

/** Renders the exponents alpha of every quantity under every condition, with intervals. */
export function exponentTables(analysis: StudyAnalysis): string {
  const notes = new NoteList('alpha');
  const tables = chunk(analysis.conditions, perturbationsPerTable + 1).map((conditions) =>
    htmlTable(analysis.quantities, [
      { header: 'Quantity', cell: (quantity) => quantityName(analysis, quantity) },
      ...conditions.map((condition) => ({
        header: conditionHeader(analysis, condition),
        className: 'num',
        cell: (quantity: string) => {
          const alpha = analysis.alpha[quantity]![condition]!;
          if (alpha === null) return `${missingMark}${notes.reference(analysis.alpha_missing[quantity]?.[condition] ?? 'the exponent could not be computed')}`;
          const leftOut = analysis.left_out[quantity]![condition]!;
          const leftOutNote = leftOut > 0 ? notes.reference(`${leftOut} run${leftOut === 1 ? '' : 's'} of this condition left out (${quantity} missing or not positive)`) : '';
          return `<span class="cell-score">${htmlScore(alpha)}${leftOutNote}</span><br>${htmlInterval(analysis.intervals.alpha[quantity]![condition]!)}`;
        },
      })),
    ]),
  );
  return tables.join('\n') + notes.render();
}

/**
 * Renders the CMS or eCMS table: one row per measure and one column per perturbation. The first
 * row shows the target's exponent per condition, and the baseline column the measure's own exponent.
 */
export function fragilityTables(analysis: StudyAnalysis, score: 'cms' | 'ecms'): string {
  if (analysis.perturbations.length === 0) return '<p>The study has no perturbation, so there is no CMS or eCMS to show.</p>';
  const notes = new NoteList(score);
  const { target, baseline } = analysis;
  type Row = { kind: 'target' } | { kind: 'measure'; measure: string };
  const rows: Row[] = [{ kind: 'target' }, ...analysis.measures.map((measure) => ({ kind: 'measure' as const, measure }))];

  const baselineColumn: HtmlColumn<Row> = {
    header: `${escapeHtml(baseline)}<span class="sub">alpha (exponent)</span>`,
    className: 'num',
    cell: (row) => {
      const quantity = row.kind === 'target' ? target : row.measure;
      const alpha = analysis.alpha[quantity]![baseline]!;
      if (alpha === null) return `${missingMark}${notes.reference(analysis.alpha_missing[quantity]?.[baseline] ?? 'missing')}`;
      return `${htmlScore(alpha)}<br>${htmlInterval(analysis.intervals.alpha[quantity]![baseline]!)}`;
    },
  };
  const perturbationColumn = (perturbation: string): HtmlColumn<Row> => ({
    header: conditionHeader(analysis, perturbation),
    className: 'num',
    cell: (row) => {
      if (row.kind === 'target') {
        const alpha = analysis.alpha[target]![perturbation]!;
        if (alpha === null) return `${missingMark}${notes.reference(analysis.alpha_missing[target]?.[perturbation] ?? 'missing')}`;
        return `${htmlScore(alpha)}<br>${htmlInterval(analysis.intervals.alpha[target]![perturbation]!)}`;
      }
      const { measure } = row;
      const value = analysis[score][measure]![perturbation]!;
      const verdict = analysis.verdict[measure]![perturbation]!;
      const reason = analysis.undetermined_reasons[measure]?.[perturbation];
      const valueText = value === null ? missingMark : `<span class="cell-score">${htmlScore(value)}</span>`;
      const flip = analysis.trend_flip[measure]![perturbation] === true ? ' <span class="flip">trend flip</span>' : '';
      return `${valueText}<br>${htmlInterval(analysis.intervals[score][measure]![perturbation]!)}<br>${verdictBadge(verdict)}${reason === undefined ? '' : notes.reference(reason)}${flip}`;
    },
  });
  const measureColumn: HtmlColumn<Row> = {
    header: 'Measure',
    cell: (row) => (row.kind === 'target' ? `alpha of ${escapeHtml(target.replace('_', ' '))} (target)` : code(row.measure)),
  };
  const summaryColumns: HtmlColumn<Row>[] = [
    { header: 'worst |eCMS|', className: 'num', cell: (row) => (row.kind === 'target' ? '' : htmlScore(analysis.summary[row.measure]!.worst_abs_ecms)) },
    {
      header: 'fragile<span class="sub">cells</span>',
      className: 'num',
      cell: (row) => (row.kind === 'target' ? '' : `${analysis.summary[row.measure]!.fragile_count} of ${analysis.perturbations.length}`),
    },
  ];

  const groups = chunk(analysis.perturbations, perturbationsPerTable);
  const tables = groups.map((perturbations, index) => {
    const last = index === groups.length - 1;
    const columns = [measureColumn, baselineColumn, ...perturbations.map(perturbationColumn), ...(last ? summaryColumns : [])];
    const caption = groups.length > 1 ? `Perturbations ${index * perturbationsPerTable + 1} to ${index * perturbationsPerTable + perturbations.length} of ${analysis.perturbations.length}` : undefined;
    return htmlTable(rows, columns, { className: 'fragility', ...(caption === undefined ? {} : { caption }) }).replace('<tbody>\n<tr>', '<tbody>\n<tr class="target-row">');
  });
  return tables.join('\n') + notes.render();
}

/** Renders VS and eVS per measure and perturbation, in decades, with intervals. */
export function valueShiftTables(analysis: StudyAnalysis): string {
  if (analysis.perturbations.length === 0) return '';
  const tables = chunk(analysis.perturbations, perturbationsPerTable).map((perturbations) =>
    htmlTable(
      [analysis.target, ...analysis.measures],
      [
        { header: 'Quantity', cell: (quantity) => quantityName(analysis, quantity) },
        ...perturbations.map((perturbation) => ({
          header: `${conditionHeader(analysis, perturbation)}`,
          className: 'num',
          cell: (quantity: string) => {
            if (quantity === analysis.target) return `VS ${htmlScore(analysis.vs_target[perturbation]!)} ${htmlInterval(analysis.intervals.vs_target[perturbation]!)}`;
            const vs = `VS ${htmlScore(analysis.vs[quantity]![perturbation]!)} ${htmlInterval(analysis.intervals.vs[quantity]![perturbation]!)}`;
            const evs = `eVS ${htmlScore(analysis.evs[quantity]![perturbation]!)} ${htmlInterval(analysis.intervals.evs[quantity]![perturbation]!)}`;
            return `${vs}<br>${evs}`;
          },
        })),
      ],
    ),
  );
  return tables.join('\n');
}

/** Counts the verdicts of the whole study. */
export function verdictCounts(analysis: StudyAnalysis): Record<'fragile' | 'robust' | 'undetermined', number> {
  const counts = { fragile: 0, robust: 0, undetermined: 0 };
  for (const measure of analysis.measures) for (const perturbation of analysis.perturbations) counts[analysis.verdict[measure]![perturbation]!] += 1;
  return counts;
}

/** Renders the summary per measure beside Kendall's tau-a against the target over all finished runs. */
export function summaryTable(analysis: StudyAnalysis): string {
  return htmlTable(analysis.measures, [
    { header: 'Measure', cell: (measure) => code(measure) },
    { header: 'worst |eCMS|<span class="sub">decades per decade</span>', className: 'num', cell: (measure) => htmlScore(analysis.summary[measure]!.worst_abs_ecms) },
    {
      header: 'Verdicts<span class="sub">fragile / robust / undetermined</span>',
      className: 'num',
      cell: (measure) => {
        const verdicts = analysis.perturbations.map((perturbation) => analysis.verdict[measure]![perturbation]!);
        return ['fragile', 'robust', 'undetermined'].map((verdict) => verdicts.filter((value) => value === verdict).length).join(' / ');
      },
    },
    { header: `Kendall tau-a<span class="sub">vs ${escapeHtml(analysis.target.replace('_', ' '))}</span>`, className: 'num', cell: (measure) => htmlScore(analysis.kendall_tau_a[measure]!.tau) },
    { header: 'Runs<span class="sub">with both values</span>', className: 'num', cell: (measure) => String(analysis.kendall_tau_a[measure]!.n_runs) },
  ]);
}

/** Renders the granulated Kendall coefficients and sign errors per target over the study's varied settings. */
export function rankingTables(analysis: StudyAnalysis): string {
  const ranking = analysis.ranking;
  if (ranking === undefined) return '<p>No setting varies between the finished runs, so there is no axis for the granulated Kendall coefficient or the sign error.</p>';
  const parts: string[] = [`<p>Axes (settings that differ between conditions): ${ranking.axes.map(code).join(', ')}.</p>`];
  for (const [target, byMeasure] of Object.entries(ranking.targets)) {
    const measures = ranking.measures.filter((measure) => byMeasure[measure] !== undefined);
    parts.push(`<h3>Target: ${escapeHtml(target.replace('_', ' '))}</h3>`);
    parts.push(
      htmlTable(measures, [
        { header: 'Measure', cell: (measure) => code(measure) },
        { header: 'tau-a', className: 'num', cell: (measure) => htmlScore(byMeasure[measure]!.kendall_tau_a) },
        ...ranking.axes.map((axis) => ({ header: `psi<span class="sub">${escapeHtml(axis)}</span>`, className: 'num', cell: (measure: string) => htmlScore(byMeasure[measure]!.psi[axis]!) })),
        { header: 'Psi', className: 'num', cell: (measure) => htmlScore(byMeasure[measure]!.Psi) },
        ...ranking.axes.map((axis) => ({
          header: `sign error<span class="sub">${escapeHtml(axis)}: mean, worst (pairs)</span>`,
          className: 'num',
          cell: (measure: string) => {
            const error = byMeasure[measure]!.sign_error[axis]!;
            return error.pairs === 0 ? `${missingMark} (0)` : `${htmlScore(error.mean)}, ${htmlScore(error.worst)} (${error.pairs})`;
          },
        })),
      ]),
    );
  }
  return parts.join('\n');
}

function statusCell(run: ReportRun, notes: NoteList): string {
  const text = run.status.replace(/_/g, ' ');
  const detail = run.status === 'diverged' && run.diverged_epoch !== null ? ` at epoch ${run.diverged_epoch}` : '';
  const note = run.error_message !== null && run.status !== 'fit' && run.status !== 'did_not_fit' ? notes.reference(run.error_message) : '';
  return `<span class="status status-${run.status}">${escapeHtml(text)}${detail}</span>${note}`;
}

function percentCell(value: number | null): string {
  return value === null ? missingMark : `<span class="num">${(value * 100).toFixed(1)}</span>`;
}

/** Renders every run with its status, times, backend, errors, losses and epochs. */
export function runTable(report: StudyReport): string {
  const notes = new NoteList('runs');
  const table = htmlTable(report.runs, [
    { header: 'Run', cell: (run) => `<code title="${escapeHtml(run.id)}">${escapeHtml(shortRunId(run.id))}</code>` },
    { header: 'Condition', cell: (run) => escapeHtml(run.condition) },
    { header: 'm<span class="sub">examples</span>', className: 'num', cell: (run) => String(run.m) },
    { header: 'Seed', className: 'num', cell: (run) => String(run.seed) },
    { header: 'Status', cell: (run) => statusCell(run, notes) },
    { header: 'Started<span class="sub">UTC</span>', cell: (run) => (run.started_at === null ? missingMark : `<span class="time">${escapeHtml(formatTime(run.started_at).replace(' UTC', ''))}</span>`) },
    { header: 'Duration', className: 'num', cell: (run) => (run.duration_ms === null ? missingMark : formatDuration(run.duration_ms)) },
    { header: 'Backend', cell: (run) => (run.backend === null ? missingMark : escapeHtml(run.backend)) },
    { header: 'Epochs', className: 'num', cell: (run) => (run.epochs === null ? missingMark : String(run.epochs)) },
    { header: 'Train error<span class="sub">%</span>', className: 'num', cell: (run) => percentCell(run.train_error) },
    { header: 'Test error<span class="sub">%</span>', className: 'num', cell: (run) => percentCell(run.test_error) },
    { header: 'Train loss<span class="sub">nats</span>', className: 'num', cell: (run) => htmlValue(run.train_loss) },
    { header: 'Test loss<span class="sub">nats</span>', className: 'num', cell: (run) => htmlValue(run.test_loss) },
  ]);
  return table + notes.render();
}

/** Renders the raw and size-adjusted value of every measure for every run, with the reason of each missing value. */
export function measureValueTables(report: StudyReport): string {
  const notes = new NoteList('values');
  const valueCell = (run: ReportRun, measure: string, column: 'raw' | 'adjusted'): string => {
    const value = run.measures[measure]!;
    // The reason is linked from the raw column only, so that each missing value has one note mark.
    if (value.missing_reason !== null) return column === 'raw' ? `${missingMark}${notes.reference(value.missing_reason)}` : missingMark;
    return htmlValue(value[column]);
  };
  const tables = chunk(report.study.measures, measuresPerTable).map((measures) =>
    htmlTable(report.runs, [
      { header: 'Run', cell: (run) => `<code title="${escapeHtml(run.id)}">${escapeHtml(shortRunId(run.id))}</code>` },
      { header: 'Condition', cell: (run) => escapeHtml(run.condition) },
      { header: 'm', className: 'num', cell: (run) => String(run.m) },
      { header: 'Seed', className: 'num', cell: (run) => String(run.seed) },
      ...measures.flatMap((measure): HtmlColumn<ReportRun>[] => [
        { header: `${code(measure)}<span class="sub">raw</span>`, className: 'num', cell: (run) => valueCell(run, measure, 'raw') },
        { header: `${code(measure)}<span class="sub">adjusted</span>`, className: 'num', cell: (run) => valueCell(run, measure, 'adjusted') },
      ]),
    ]),
  );
  return tables.join('\n') + notes.render();
}
