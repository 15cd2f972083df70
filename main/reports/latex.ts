/**
 * The LaTeX report: a standalone document that compiles with pdflatex and whose tables can be
 * pasted into a paper. It contains the CMS and eCMS tables with intervals and verdicts, grouped by
 * perturbation, the summary per measure, the definitions in brief and the gaps.
 *
 * Tables follow booktabs (no vertical rules) and align numbers on the decimal point with dcolumn,
 * which every TeX Live has (siunitx is missing from some minimal installs). Every text that comes
 * from the study is escaped.
 */
import type { StudyAnalysis } from '../analysis/index.js';
import type { StudyReport } from './model.js';
import { fixed, formatTime } from './numbers.js';

/** Body rows per table; longer tables are split into several, each of which fits a page. */
const maxRowsPerTable = 36;

const replacements: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '|': '\\textbar{}',
  '\u2013': '--',
  '\u2014': '---',
  '\u2018': '`',
  '\u2019': "'",
  '\u201c': '``',
  '\u201d': "''",
  '\u2212': '-',
  '\u00d7': '$\\times$',
  '\u2264': '$\\le$',
  '\u2265': '$\\ge$',
  '\u2026': '\\ldots{}',
};

/**
 * Escapes text for LaTeX. Characters that plain pdflatex cannot typeset without extra packages
 * become "?", so that a stray symbol in a stored reason cannot stop the document from compiling.
 */
export function escapeLatex(text: string): string {
  let escaped = '';
  for (const character of text) {
    const replacement = replacements[character];
    if (replacement !== undefined) escaped += replacement;
    else if (/^[\x20-\x7e]$/.test(character) || character === '\n') escaped += character;
    else escaped += '?';
  }
  // Straight double quotes around a phrase become TeX's opening and closing quotes.
  return escaped.replace(/"([^"\n]*)"/g, "``$1''");
}

function texttt(text: string): string {
  return `\\texttt{${escapeLatex(text)}}`;
}

/** Formats a number for a dcolumn column, or a centred dash when it is missing. */
function number(value: number | null, digits = 3): string {
  return value === null ? '\\multicolumn{1}{c}{---}' : fixed(value, digits);
}

function centred(text: string): string {
  return `\\multicolumn{1}{c}{${text}}`;
}

function conditionLabel(analysis: StudyAnalysis, perturbation: string): string {
  return `\\emph{${escapeLatex(perturbation)}} (${analysis.kinds[perturbation]})`;
}

function alphaText(value: number | null): string {
  return value === null ? 'missing' : `$${fixed(value, 3)}$`;
}

/** Splits the perturbations into groups whose rows fit one table. */
function perturbationGroups(analysis: StudyAnalysis): string[][] {
  const perGroup = Math.max(1, Math.floor(maxRowsPerTable / (analysis.measures.length + 1)));
  const groups: string[][] = [];
  for (let start = 0; start < analysis.perturbations.length; start += perGroup) groups.push(analysis.perturbations.slice(start, start + perGroup));
  return groups;
}

function groupHeader(analysis: StudyAnalysis, perturbation: string, columns: number): string {
  const { target, baseline } = analysis;
  const targetSymbol = '\\alpha_\\varepsilon';
  return (
    `\\multicolumn{${columns}}{@{}l}{${conditionLabel(analysis, perturbation)}: ` +
    `$${targetSymbol}(B)$ = ${alphaText(analysis.alpha[target]![baseline]!)}, $${targetSymbol}(P)$ = ${alphaText(analysis.alpha[target]![perturbation]!)}} \\\\`
  );
}

function tableEnvironment(label: string, caption: string, columnSpec: string, header: string[], body: string[]): string {
  return [
    '\\begin{table}[htbp]',
    '\\centering',
    '\\small',
    `\\caption{${caption}}`,
    `\\label{${label}}`,
    `\\begin{tabular}{${columnSpec}}`,
    '\\toprule',
    ...header,
    '\\midrule',
    ...body,
    '\\bottomrule',
    '\\end{tabular}',
    '\\end{table}',
  ].join('\n');
}

function intervalOf(analysis: StudyAnalysis, score: 'cms' | 'ecms', measure: string, perturbation: string): [string, string] {
  const interval = analysis.intervals[score][measure]![perturbation]!;
  return interval === null ? [number(null), number(null)] : [number(interval[0]), number(interval[1])];
}

function intervalHeading(analysis: StudyAnalysis): string {
  return `${Math.round(analysis.bootstrap.confidence * 100)}\\% interval`;
}

function cmsTables(report: StudyReport, analysis: StudyAnalysis): string[] {
  const groups = perturbationGroups(analysis);
  return groups.map((perturbations, index) => {
    const body: string[] = [];
    perturbations.forEach((perturbation, position) => {
      if (position > 0) body.push('\\addlinespace');
      body.push(groupHeader(analysis, perturbation, 7));
      for (const measure of analysis.measures) {
        const [low, high] = intervalOf(analysis, 'cms', measure, perturbation);
        const cells = [
          texttt(measure),
          number(analysis.alpha[measure]![analysis.baseline]!),
          number(analysis.alpha[measure]![perturbation]!),
          number(analysis.cms[measure]![perturbation]!),
          low,
          high,
          analysis.verdict[measure]![perturbation]!,
        ];
        body.push(`\\quad ${cells.join(' & ')} \\\\`);
      }
    });
    const header = [
      `Measure & ${centred('$\\alpha_\\mu(B)$')} & ${centred('$\\alpha_\\mu(P)$')} & ${centred('CMS')} & \\multicolumn{2}{c}{${intervalHeading(analysis)}} & Verdict \\\\`,
      '\\cmidrule(lr){5-6}',
      ` & ${centred('(dec/dec)')} & ${centred('(dec/dec)')} & ${centred('(dec/dec)')} & ${centred('low')} & ${centred('high')} & \\\\`,
    ];
    const continued = groups.length > 1 ? ` (part ${index + 1} of ${groups.length})` : '';
    const caption =
      `CMS of study ${texttt(report.study.id)}${continued}: change in each measure's learning-curve exponent under a perturbation $P$ against the baseline $B$, ` +
      `$\\mathrm{CMS}_\\mu(P) = \\alpha_\\mu(P) - \\alpha_\\mu(B)$, in decades of the size-adjusted measure per decade of $m$ (dec/dec). ` +
      `Intervals: ${escapeLatex(intervalSentence(analysis))} Verdicts are decided on eCMS (Table~\\ref{tab:${report.study.id}-ecms}).`;
    return tableEnvironment(`tab:${report.study.id}-cms${index === 0 ? '' : `-${index + 1}`}`, caption, '@{}l d{-1} d{-1} d{-1} d{-1} d{-1} l@{}', header, body);
  });
}

function ecmsTables(report: StudyReport, analysis: StudyAnalysis): string[] {
  const groups = perturbationGroups(analysis);
  return groups.map((perturbations, index) => {
    const body: string[] = [];
    perturbations.forEach((perturbation, position) => {
      if (position > 0) body.push('\\addlinespace');
      body.push(groupHeader(analysis, perturbation, 6));
      for (const measure of analysis.measures) {
        const [low, high] = intervalOf(analysis, 'ecms', measure, perturbation);
        const flip = analysis.trend_flip[measure]![perturbation];
        let flipText = '---';
        if (flip !== null) flipText = flip ? 'yes' : 'no';
        const cells = [texttt(measure), number(analysis.ecms[measure]![perturbation]!), low, high, flipText, analysis.verdict[measure]![perturbation]!];
        body.push(`\\quad ${cells.join(' & ')} \\\\`);
      }
    });
    const header = [
      `Measure & ${centred('eCMS')} & \\multicolumn{2}{c}{${intervalHeading(analysis)}} & Trend flip & Verdict \\\\`,
      '\\cmidrule(lr){3-4}',
      ` & ${centred('(dec/dec)')} & ${centred('low')} & ${centred('high')} & & \\\\`,
    ];
    const continued = groups.length > 1 ? ` (part ${index + 1} of ${groups.length})` : '';
    const target = analysis.target === 'gap' ? 'generalization gap' : 'test error';
    const caption =
      `eCMS of study ${texttt(report.study.id)}${continued}: the part of the change in a measure's exponent that the ${target} $\\varepsilon$ does not share, ` +
      `$\\mathrm{eCMS}_\\mu(P) = \\mathrm{CMS}_\\mu(P) - (\\alpha_\\varepsilon(P) - \\alpha_\\varepsilon(B))$, in dec/dec. ` +
      `Verdict: undetermined when eCMS is missing or its interval contains $\\pm${analysis.threshold}$; otherwise fragile when $|\\mathrm{eCMS}| > ${analysis.threshold}$ or the trend flips, else robust.`;
    return tableEnvironment(`tab:${report.study.id}-ecms${index === 0 ? '' : `-${index + 1}`}`, caption, '@{}l d{-1} d{-1} d{-1} c l@{}', header, body);
  });
}

function summaryTable(report: StudyReport, analysis: StudyAnalysis): string {
  const body = analysis.measures.map((measure) => {
    const summary = analysis.summary[measure]!;
    const kendall = analysis.kendall_tau_a[measure]!;
    return `${texttt(measure)} & ${number(summary.worst_abs_ecms)} & ${summary.fragile_count} of ${analysis.perturbations.length} & ${number(kendall.tau)} & ${kendall.n_runs} \\\\`;
  });
  const header = [
    `Measure & ${centred('worst $|\\mathrm{eCMS}|$')} & Fragile & ${centred('Kendall $\\tau_a$')} & Runs \\\\`,
    ` & ${centred('(dec/dec)')} & (cells) & & (count) \\\\`,
  ];
  const target = analysis.target === 'gap' ? 'generalization gap' : 'test error';
  const caption =
    `Summary per measure for study ${texttt(report.study.id)}: the largest $|\\mathrm{eCMS}|$ over the perturbations, the number of fragile cells, ` +
    `and Kendall's $\\tau_a$ between the size-adjusted measure and the ${target} over the finished runs that have both.`;
  return tableEnvironment(`tab:${report.study.id}-summary`, caption, '@{}l d{-1} c d{-1} r@{}', header, body);
}

function intervalSentence(analysis: StudyAnalysis): string {
  const { resamples, confidence, seed } = analysis.bootstrap;
  if (resamples === 0) return 'none (no bootstrap resample).';
  return `${Math.round(confidence * 100)}% percentile bootstrap over seeds, ${resamples} resamples, generator seed ${seed}.`;
}

function studyParagraph(report: StudyReport): string {
  const { study, environment } = report;
  const perturbations = study.conditions.filter((condition) => condition.kind !== 'baseline');
  const listed = perturbations.map((condition) => `\\emph{${escapeLatex(condition.name)}} (${condition.kind})`).join(', ');
  const finished = environment.status_counts.fit + environment.status_counts.did_not_fit + environment.status_counts.diverged;
  const backends = environment.backends.map((entry) => escapeLatex(entry.value)).join(', ') || 'none recorded';
  return (
    `Study ${texttt(study.id)} trains a baseline and ${perturbations.length} perturbation${perturbations.length === 1 ? '' : 's'}` +
    `${listed === '' ? '' : ` (${listed})`} at training-set sizes $m \\in \\{${study.sizes.join(', ')}\\}$ with ${study.seeds.length} seed${study.seeds.length === 1 ? '' : 's'} each; ` +
    `${finished} of ${environment.total_runs} runs finished (backend: ${backends}). ` +
    `Measures are size-adjusted: $\\tfrac{1}{2}(v - \\ln m)$ for ids starting with \\texttt{log\\_}, none for \\texttt{epochs\\_to\\_fit}, $\\sqrt{v/m}$ otherwise. ` +
    `The exponent $\\alpha_X(C)$ is the least-squares slope of the mean over seeds of $\\log_{10} X$ against $\\log_{10} m$.`
  );
}

function gapsList(report: StudyReport): string {
  if (report.gaps.length === 0) return '';
  return ['\\paragraph{Gaps.}', '\\begin{itemize}', ...report.gaps.map((gap) => `\\item ${escapeLatex(gap.message)}`), '\\end{itemize}'].join('\n');
}

/** Renders the LaTeX report of a study as a standalone document. */
export function renderLatexReport(report: StudyReport): string {
  const { analysis } = report;
  const parts = [
    `% Fragility report of study ${report.study.id}, generated by Fragility Lab on ${formatTime(report.generated_at)}.`,
    '% Compile with pdflatex. The tables need booktabs and dcolumn; copy the \\newcolumntype line with them.',
    '\\documentclass[10pt]{article}',
    '\\usepackage[T1]{fontenc}',
    '\\usepackage{lmodern}',
    '\\usepackage[a4paper,margin=2cm]{geometry}',
    '\\usepackage{amsmath}',
    '\\usepackage{booktabs}',
    '\\usepackage{dcolumn}',
    '\\newcolumntype{d}[1]{D{.}{.}{#1}}',
    '\\begin{document}',
    `\\section*{Fragility of generalization measures: ${escapeLatex(report.study.name)}}`,
    studyParagraph(report),
  ];
  if (analysis === null) {
    parts.push(`\\paragraph{No analysis.} ${escapeLatex(report.analysis_missing_reason ?? 'The analysis could not be computed.')}`);
  } else if (analysis.perturbations.length === 0) {
    parts.push('\\paragraph{No perturbation.} The study has no perturbation, so it has no CMS or eCMS.', summaryTable(report, analysis));
  } else {
    parts.push(...cmsTables(report, analysis), ...ecmsTables(report, analysis), summaryTable(report, analysis));
  }
  parts.push(gapsList(report), '\\end{document}');
  return `${parts.filter((part) => part !== '').join('\n\n')}\n`;
}
