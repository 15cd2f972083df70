/**
 * `fragility-lab report`: writes a publishable report of a stored study in one format, and
 * optionally saves every plot as SVG and PNG.
 */
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Store } from '../../../db/store.js';
import { chromiumVariable, findChromium } from '../../reports/browser.js';
import { buildStudyReport } from '../../reports/build.js';
import { isReportFormat, renderReport, reportFormats, savePlots, type ReportFormat } from '../../reports/export.js';
import { buildReportPlots } from '../../reports/plots.js';
import { LabError } from '../../util/errors.js';
import { parseOptions } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

const usage = `Usage: fragility-lab report [--db FILE] [--study ID] [--format html|pdf|csv|json|latex] [--out FILE] [--plots-dir DIR]

Writes a report of a stored study: the spec and environment, the definitions of every measure
and score, the learning curves, the CMS and eCMS tables with bootstrap intervals and verdicts,
the ranking statistics and every run. Failed, pending or diverged runs and missing values are
stated in the report, never left out silently.

Formats:
  html    one self-contained file: inline plots (SVG) and styles, nothing loaded from elsewhere,
          with a print stylesheet
  pdf     the HTML report printed to A4 by headless Chromium, with page numbers (needs --out)
  csv     every run, one row each: identity, status, times, backend, errors, losses, and every
          measure raw, size-adjusted and the reason when missing
  latex   a standalone pdflatex document with booktabs tables (numbers aligned with dcolumn)
  json    the full report model, numbers at full precision

Options:
  --db FILE        SQLite database (default: fragility-lab.sqlite)
  --study ID       study id (needed when the database holds several studies)
  --format FORMAT  html (default), pdf, csv, json or latex
  --out FILE       file to write; standard output when absent (pdf always needs --out)
  --plots-dir DIR  also save every plot as DIR/<id>.svg and DIR/<id>.png (the folder is created);
                   the PNG files are rendered from the SVG by headless Chromium at 2x pixel density

PDF and PNG output run headless Chromium through playwright-core, offline. ${chromiumVariable}
names the executable; without it /usr/bin/chromium or an installed Chrome is used.`;

const options = {
  db: { type: 'string' },
  study: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'plots-dir': { type: 'string' },
} as const;

function parseReportFormat(value: string | undefined): ReportFormat {
  if (value === undefined) return 'html';
  if (isReportFormat(value)) return value;
  throw new LabError('invalid-input', `--format is "${value}"; use ${reportFormats.join(', ')}`, { field: '--format' });
}

/** Checks before any work that `path` can be written: its folder exists and it is not a folder itself. */
function checkOutputPath(path: string): void {
  const folder = dirname(path);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new LabError('not-found', `--out ${path}: the folder ${folder} does not exist; create it or pass another path`, { field: '--out' });
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new LabError('invalid-input', `--out ${path} is a folder; pass a file path such as ${resolve(path, 'report.html')}`, { field: '--out' });
  }
}

/** Writes through a temporary file in the same folder, so that a failed write leaves no half report. */
function writeOutput(path: string, data: string | Uint8Array): void {
  const temporary = resolve(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new LabError('storage', `Cannot write ${path} (${(error as Error).message}); check that the folder is writable and the disk has space`, { field: '--out', cause: error });
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export const command: CliCommand = {
  name: 'report',
  summary: 'Write a report of a stored study: HTML, PDF, CSV, LaTeX or JSON, and plots',
  usage,
  async run(args) {
    const { values, positionals } = parseOptions(args, options, usage);
    if (positionals.length > 0) throw new LabError('invalid-input', `Unexpected argument "${positionals[0]}"; report takes options only.\n\n${usage}`);
    const format = parseReportFormat(values.format);
    const out = values.out === undefined ? undefined : resolve(values.out);
    if (format === 'pdf' && out === undefined) throw new LabError('invalid-input', '--format pdf writes binary data; pass --out FILE.pdf', { field: '--out' });
    if (out !== undefined) checkOutputPath(out);
    const plotsDir = values['plots-dir'] === undefined ? undefined : resolve(values['plots-dir']);
    // Find the browser before the work that needs it, so that a missing one fails at once.
    if (format === 'pdf' || plotsDir !== undefined) findChromium();

    const store = Store.open(resolve(values.db ?? 'fragility-lab.sqlite'), { readonly: true });
    let report;
    try {
      report = buildStudyReport(store, values.study === undefined ? {} : { studyId: values.study });
    } finally {
      store.close();
    }

    const plots = buildReportPlots(report);
    const data = await renderReport(report, format, { plots });
    if (out === undefined) {
      process.stdout.write(data);
    } else {
      writeOutput(out, data);
      process.stderr.write(`Wrote the ${format} report of study ${report.study.id} to ${out} (${formatSize(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength)}).\n`);
    }
    if (plotsDir !== undefined) {
      const saved = await savePlots(report, plotsDir, plots);
      process.stderr.write(`Saved ${saved.length} plots as SVG and PNG in ${plotsDir}.\n`);
    }
    if (report.gaps.length > 0) {
      const count = report.gaps.length === 1 ? '1 gap or caveat applies' : `${report.gaps.length} gaps or caveats apply`;
      process.stderr.write(`${count} (missing runs or values, runs that did not fit); the HTML, PDF and LaTeX reports list them, and the JSON report under "gaps".\n`);
    }
    return exitCodes.ok;
  },
};
