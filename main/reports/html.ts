/**
 * The HTML report: one self-contained file with the study and its environment, the definitions,
 * the learning curves as inline SVG, the CMS and eCMS tables with intervals and verdicts, the
 * ranking statistics and the per-run tables, and a print stylesheet. The file references nothing
 * outside itself (no link, script, image or font URL), so it opens the same offline, and the PDF
 * report is this document printed.
 */
import type { StudyAnalysis } from '../analysis/index.js';
import { code, escapeHtml, htmlTable, missingMark } from './htmlParts.js';
import { reportStylesheet } from './htmlStyle.js';
import { exponentTables, fragilityTables, measureValueTables, rankingTables, runTable, summaryTable, valueShiftTables, verdictCounts } from './htmlTables.js';
import type { ReportGap, StudyReport } from './model.js';
import { formatDuration, formatTime, joinWords } from './numbers.js';
import { buildReportPlots, type ReportPlot } from './plots.js';

export interface HtmlReportOptions {
  /** Plots drawn beforehand (by `buildReportPlots`); drawn here when absent. */
  plots?: readonly ReportPlot[];
}

const sections = [
  ['summary', 'Results at a glance'],
  ['gaps', 'Gaps and caveats'],
  ['study', 'Study and environment'],
  ['definitions', 'Definitions'],
  ['curves', 'Learning curves'],
  ['fragility', 'CMS and eCMS'],
  ['ranking', 'Ranking statistics'],
  ['runs', 'Runs'],
] as const;

function section(id: (typeof sections)[number][0], body: string, options: { newPage?: boolean } = {}): string {
  const title = sections.find(([name]) => name === id)![1];
  return `<section id="${id}"><h2${options.newPage === true ? ' class="new-page"' : ''}>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

function keyFacts(report: StudyReport): string {
  const { environment, analysis } = report;
  const finished = environment.status_counts.fit + environment.status_counts.did_not_fit + environment.status_counts.diverged;
  const facts: [string, string][] = [
    [`${finished} of ${environment.total_runs}`, 'runs finished'],
    [String(report.study.conditions.length), `conditions (${report.study.conditions.length - 1} perturbation${report.study.conditions.length === 2 ? '' : 's'})`],
    [String(report.study.measures.length), 'measures'],
    [String(report.gaps.length), report.gaps.length === 1 ? 'gap or caveat stated below' : 'gaps and caveats stated below'],
  ];
  if (analysis !== null && analysis.perturbations.length > 0) {
    const counts = verdictCounts(analysis);
    facts.push([String(counts.fragile), 'fragile cells'], [String(counts.robust), 'robust cells'], [String(counts.undetermined), 'undetermined cells']);
  }
  return `<div class="key-facts">${facts.map(([figure, label]) => `<div><span class="figure">${escapeHtml(figure)}</span><span class="label">${escapeHtml(label)}</span></div>`).join('')}</div>`;
}

function summarySection(report: StudyReport): string {
  const { analysis } = report;
  const parts = [keyFacts(report)];
  if (analysis === null) {
    parts.push(`<p class="missing">No analysis: ${escapeHtml(report.analysis_missing_reason ?? 'it could not be computed')}.</p>`);
    return section('summary', parts.join('\n'));
  }
  const fragile = analysis.measures.filter((measure) => analysis.summary[measure]!.fragile_count > 0);
  const cells = analysis.measures.length * analysis.perturbations.length;
  const sentence =
    analysis.perturbations.length === 0
      ? 'The study has no perturbation, so no measure can be judged fragile or robust.'
      : `Of ${cells} (measure, perturbation) cells, ${verdictCounts(analysis).fragile} are fragile at the threshold |eCMS| > ${analysis.threshold}` +
        (fragile.length > 0 ? `; the measures with a fragile cell are ${joinWords(fragile.map((measure) => code(measure)))}.` : '; no measure has a fragile cell.');
  parts.push(`<p>${sentence} Verdicts are decided on eCMS against the ${escapeHtml(analysis.target.replace('_', ' '))}, with ${analysisIntervalText(analysis)}.</p>`);
  parts.push(summaryTable(analysis));
  return section('summary', parts.join('\n'));
}

function analysisIntervalText(analysis: StudyAnalysis): string {
  const { resamples, confidence, seed } = analysis.bootstrap;
  if (resamples === 0) return 'no bootstrap interval';
  return `${Math.round(confidence * 100)}% bootstrap percentile intervals (${resamples} resamples, generator seed ${seed})`;
}

function gapsSection(gaps: readonly ReportGap[]): string {
  if (gaps.length === 0) {
    return section('gaps', '<p class="no-gaps">None: every planned run finished, and every measure value and exponent is present.</p>');
  }
  const items = gaps.map((gap) => `<li data-gap="${gap.kind}">${escapeHtml(gap.message)}</li>`).join('\n');
  return section('gaps', `<div class="gaps"><p>This report states everything it lacks; the numbers below rest on the runs and values that exist.</p><ul>\n${items}\n</ul></div>`);
}

/** Flattens nested settings into `path = value` rows. */
function flattenSettings(value: unknown, prefix: string, rows: [string, string][]): void {
  if (Array.isArray(value)) {
    rows.push([prefix, value.join(', ')]);
    return;
  }
  if (value === null || value === undefined || typeof value !== 'object') {
    // JSON text shows null and numbers as a reader expects; strings lose their quotes.
    rows.push([prefix, value === undefined ? '' : JSON.stringify(value).replace(/^"|"$/g, '')]);
    return;
  }
  for (const [key, member] of Object.entries(value)) flattenSettings(member, prefix === '' ? key : `${prefix}.${key}`, rows);
}

function settingsTable(report: StudyReport): string {
  const { spec } = report.study;
  const rows: [string, string][] = [];
  flattenSettings({ data: spec.data, model: spec.model, training: spec.training }, '', rows);
  rows.push(
    ['trainSizes (m, examples)', report.study.sizes.join(', ')],
    ['seeds', report.study.seeds.join(', ')],
    ['measures.ids', report.study.measures.join(', ')],
    ['measures.noise', spec.measures.noise],
    ['analysis.target', spec.analysis.target],
    ['analysis.threshold (|eCMS|)', String(spec.analysis.threshold)],
  );
  return htmlTable(rows, [
    { header: 'Setting (baseline)', cell: ([name]) => code(name) },
    { header: 'Value', cell: ([, value]) => escapeHtml(value) },
  ]);
}

function conditionsTable(report: StudyReport): string {
  return htmlTable(report.study.conditions, [
    { header: 'Condition', cell: (condition) => escapeHtml(condition.name) },
    { header: 'Kind', cell: (condition) => condition.kind },
    {
      header: 'Changes from the baseline',
      cell: (condition) => {
        if (condition.changes === null) return '—';
        const rows: [string, string][] = [];
        flattenSettings(condition.changes, '', rows);
        return rows.map(([name, value]) => `${code(name)} = ${escapeHtml(value)}`).join('<br>');
      },
    },
    { header: 'Description', cell: (condition) => (condition.description === null ? '' : escapeHtml(condition.description)) },
    { header: 'Runs<span class="sub">finished / planned</span>', className: 'num', cell: (condition) => `${condition.finished_runs} / ${condition.planned_runs}` },
  ]);
}

function countedList(values: readonly { value: string; runs: number }[]): string {
  if (values.length === 0) return missingMark;
  return values.map((entry) => `${escapeHtml(entry.value)} (${entry.runs} run${entry.runs === 1 ? '' : 's'})`).join('; ');
}

function environmentFacts(report: StudyReport): string {
  const { environment: env, study } = report;
  const statuses = Object.entries(env.status_counts)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status.replace(/_/g, ' ')}`)
    .join(', ');
  const versions = env.versions.map((entry) => `${escapeHtml(entry.library)} ${escapeHtml(entry.version)} (${entry.runs} run${entry.runs === 1 ? '' : 's'})`).join('; ');
  const facts: [string, string][] = [
    ['Study', `${escapeHtml(study.name)} (id ${code(study.id)})`],
    ['Spec hash', code(study.spec_hash)],
    ['Created', escapeHtml(formatTime(study.created_at))],
    ['Last changed', escapeHtml(formatTime(study.updated_at))],
    ['Database', code(env.database)],
    ['Runs', `${env.total_runs} (${escapeHtml(statuses || 'none')})`],
    ['Backend', countedList(env.backends)],
    ['Device', countedList(env.devices)],
    ['Library versions', versions === '' ? missingMark : versions],
    ['Engine version', `${env.engine_versions.join(', ') || 'unknown'} (this lab: ${env.current_engine_version})`],
    ['First run started', env.first_started_at === null ? missingMark : escapeHtml(formatTime(env.first_started_at))],
    ['Last run finished', env.last_finished_at === null ? missingMark : escapeHtml(formatTime(env.last_finished_at))],
    ['Compute time', `${formatDuration(env.total_duration_ms)} (sum over runs)`],
    ['Report generated', escapeHtml(formatTime(report.generated_at))],
  ];
  return `<dl class="facts">${facts.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function studySection(report: StudyReport): string {
  const { study } = report;
  const parts = [
    study.description === null ? '' : `<p>${escapeHtml(study.description)}</p>`,
    environmentFacts(report),
    '<h3>Settings</h3>',
    settingsTable(report),
    '<h3>Conditions</h3>',
    conditionsTable(report),
    '<h3>The spec as stored</h3>',
    '<p>Every default applied; running this spec again reproduces the study, and runs already stored are reused.</p>',
    `<pre>${escapeHtml(JSON.stringify(study.spec, null, 2))}</pre>`,
  ];
  return section('study', parts.filter((part) => part !== '').join('\n'));
}

const greekLetters: Record<string, string> = { alpha: '\u03b1', mu: '\u03bc', eps: '\u03b5', tau: '\u03c4', psi: '\u03c8', Psi: '\u03a8' };

/** Writes a term name such as `Exponent alpha_X(C)` with Greek letters and subscripts: α<sub>X</sub>(C). */
function mathTerm(term: string): string {
  return escapeHtml(term)
    .replace(/(?<![A-Za-z])(alpha|mu|eps|tau|psi|Psi)(?![A-Za-z])/g, (word) => greekLetters[word]!)
    .replace(/_([A-Za-z\u03b1-\u03c9]+)/g, '<sub>$1</sub>');
}

function definitionsSection(report: StudyReport): string {
  const { definitions } = report;
  const terms = definitions.terms.map((term) => `<dt>${mathTerm(term.term)}</dt><dd>${escapeHtml(term.definition)}</dd>`).join('\n');
  const measures = definitions.measures
    .map((measure) => {
      const equation = measure.equation === null ? '' : `, eq. ${measure.equation}`;
      return (
        `<dt>${code(measure.id)}: ${escapeHtml(measure.title)}</dt>` +
        `<dd>${escapeHtml(measure.definition)}<br>Source: ${escapeHtml(measure.source)}${equation}. ` +
        `Size adjustment: ${escapeHtml(measure.size_adjustment)}. Plotted: ${escapeHtml(measure.plotted)}.</dd>`
      );
    })
    .join('\n');
  const body = [
    `<p>${escapeHtml(definitions.target)}</p>`,
    `<p>${escapeHtml(definitions.size_adjustment)}</p>`,
    '<h3>Analysis</h3>',
    `<dl class="definitions">${terms}</dl>`,
    '<h3>Measures</h3>',
    `<dl class="definitions">${measures}</dl>`,
  ];
  return section('definitions', body.join('\n'));
}

function figure(plot: ReportPlot, number: number, caption: string): string {
  return `<figure id="figure-${plot.id}">${plot.svg}<figcaption>Figure ${number}. ${escapeHtml(caption)}</figcaption></figure>`;
}

function curvesSection(report: StudyReport, plots: readonly ReportPlot[]): string {
  const bootstrap = report.analysis?.bootstrap ?? report.definitions.bootstrap;
  const bandText =
    bootstrap.resamples > 0 ? `the shaded band is the ${Math.round(bootstrap.confidence * 100)}% bootstrap percentile interval of that mean` : 'no band is drawn, because the analysis drew no bootstrap resample';
  const parts = [
    '<p>Each panel plots the learning-curve cells x<sub>C</sub>(m), the mean over seeds of log10 of the quantity, against log10 of the training-set size m, ' +
      `one line per condition, and ${bandText}. ` +
      'A line has a gap where a cell has no valid run. Each measure is shown beside the test error of the same conditions.</p>',
  ];
  let number = 1;
  const overview = plots.find((plot) => plot.id === 'small-multiples');
  if (overview !== undefined) parts.push(figure(overview, number++, `${overview.title}: every quantity of the study on one page.`));
  const gapPlot = plots.find((plot) => plot.id === 'curves-gap');
  if (gapPlot !== undefined) parts.push(figure(gapPlot, number++, 'Learning curves of the generalization gap, the target of this study.'));
  for (const curve of report.curves.measures) {
    const plot = plots.find((candidate) => candidate.id === `curves-${curve.quantity}`);
    if (plot === undefined) continue;
    const alphas = curve.series.map((series) => `${series.condition} ${series.alpha === null ? 'missing' : series.alpha.toFixed(3).replace('-', '\u2212')}`).join(', ');
    parts.push(figure(plot, number++, `${plot.title}. Exponents alpha of ${curve.quantity}: ${alphas || 'none'}.`));
  }
  return section('curves', parts.join('\n'));
}

function fragilitySection(analysis: StudyAnalysis | null, reason: string | null): string {
  if (analysis === null) return section('fragility', `<p class="missing">No table: ${escapeHtml(reason ?? 'the analysis could not be computed')}.</p>`);
  const target = escapeHtml(analysis.target.replace('_', ' '));
  const parts = [
    `<p>Exponents are in decades of the quantity per decade of m. Intervals: ${analysisIntervalText(analysis)}. ` +
      `Verdicts use eCMS with threshold ${analysis.threshold}; the CMS table shows the same verdicts beside CMS.</p>`,
    '<h3>Learning-curve exponents</h3>',
    exponentTables(analysis),
    '<h3>CMS: change in the measure’s exponent</h3>',
    `<p>Baseline column: the measure’s own exponent alpha at the baseline. First row: the exponent of the ${target} per condition.</p>`,
    fragilityTables(analysis, 'cms'),
    `<h3>eCMS: the part of that change the ${target} does not share</h3>`,
    fragilityTables(analysis, 'ecms'),
    '<h3>Value shifts</h3>',
    '<p>VS: mean over m of x_P(m) − x_B(m), in decades; eVS: VS of the measure minus VS of the target.</p>',
    valueShiftTables(analysis),
  ];
  return section('fragility', parts.join('\n'));
}

function rankingSection(analysis: StudyAnalysis | null, reason: string | null): string {
  if (analysis === null) return section('ranking', `<p class="missing">No ranking statistics: ${escapeHtml(reason ?? 'the analysis could not be computed')}.</p>`);
  const body = [
    `<p>Kendall tau-a between each size-adjusted measure and the ${escapeHtml(analysis.target.replace('_', ' '))} over all finished runs is in the table of results at a glance. Below: the statistics over the study's varied settings, for each target.</p>`,
    rankingTables(analysis),
  ];
  return section('ranking', body.join('\n'));
}

function runsSection(report: StudyReport): string {
  const body = [
    `<p>All ${report.runs.length} runs of the study in plan order, finished or not. Errors are percentages of the training or test set; losses are the mean cross-entropy in nats.</p>`,
    runTable(report),
    '<h3>Measure values per run</h3>',
    '<p>Raw values as computed and size-adjusted values as the curves and tables use them. A missing value links to its reason.</p>',
    measureValueTables(report),
  ];
  return section('runs', body.join('\n'), { newPage: true });
}

/** Renders the HTML report of a study as one self-contained document. */
export function renderHtmlReport(report: StudyReport, options: HtmlReportOptions = {}): string {
  const plots = options.plots ?? buildReportPlots(report);
  const { study } = report;
  const contents = sections.map(([id, title]) => `<li><a href="#${id}">${escapeHtml(title)}</a></li>`).join('');
  const body = [
    '<header>',
    `<h1>Fragility report: ${escapeHtml(study.name)}</h1>`,
    `<p class="lede">Study ${code(study.id)}, ${report.runs.length} runs, target ${escapeHtml(study.target.replace('_', ' '))}, threshold |eCMS| &gt; ${study.threshold}. Generated ${escapeHtml(formatTime(report.generated_at))}.</p>`,
    `<nav class="contents" aria-label="Contents"><ol>${contents}</ol></nav>`,
    '</header>',
    '<main>',
    summarySection(report),
    gapsSection(report.gaps),
    studySection(report),
    definitionsSection(report),
    curvesSection(report, plots),
    fragilitySection(report.analysis, report.analysis_missing_reason),
    rankingSection(report.analysis, report.analysis_missing_reason),
    runsSection(report),
    '</main>',
    `<footer>Generated by Fragility Lab from ${code(report.environment.database)} on ${escapeHtml(formatTime(report.generated_at))}; report format version ${report.format_version}. The JSON format of the report holds every number shown here at full precision.</footer>`,
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="Fragility Lab">',
    `<title>Fragility report: ${escapeHtml(study.name)}</title>`,
    `<style>${reportStylesheet}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
