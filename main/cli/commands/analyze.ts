/**
 * `fragility-lab analyze`: the fragility analysis of a run table in CSV, for results computed
 * outside the lab or exported from it. A study table gives the CMS/eCMS table; a table without
 * the study columns is read as a ranking grid over the axes named by --axes.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { analyzeStudy } from '../../analysis/analyze.js';
import { isStudyHeader, parseCsvText, parseRankingCsv, parseRunTableCsv } from '../../analysis/csv.js';
import { formatFragilityTable, formatRankingTable } from '../../analysis/format.js';
import { rankingStatistics } from '../../analysis/ranking.js';
import { targetKinds } from '../../analysis/table.js';
import type { TargetKind } from '../../analysis/table.js';
import { LabError } from '../../util/errors.js';
import { numberOption, parseOptions, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

const usage = `Usage: fragility-lab analyze --table FILE.csv [OPTIONS]

Analyses a CSV table of runs: learning-curve exponents, CMS and eCMS of every measure and
perturbation with bootstrap intervals and verdicts, and Kendall's tau-a against the target.

A study table has the columns condition, kind (baseline, hyperparameter or data), m, seed,
test_error, train_error, then one column per measure holding its size-adjusted value (ids that
start with log_ hold ln of the quantity). An empty field is a missing value. A table without the
study columns is read as a ranking grid: one run per row, a column per axis, test_error,
train_error and the measures; it needs --axes.

Options:
  --table FILE.csv   the run table (required)
  --threshold T      |eCMS| above which a measure is fragile (default 0.1)
  --target NAME      test_error (default) or gap (test error - train error of each run)
  --bootstrap N      bootstrap resamples for the 95% intervals (default 1000; 0 computes none)
  --seed N           seed of the bootstrap generator (default 0)
  --axes A,B         columns holding hyperparameter settings; adds granulated Kendall (psi, Psi)
                     and the sign error per axis
  --json             print one JSON object instead of the text table`;

const options = {
  table: { type: 'string' },
  threshold: { type: 'string' },
  target: { type: 'string' },
  bootstrap: { type: 'string' },
  seed: { type: 'string' },
  axes: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function parseTarget(value: string | undefined): TargetKind | undefined {
  if (value === undefined) return undefined;
  if (!(targetKinds as readonly string[]).includes(value)) {
    throw new LabError('invalid-input', `--target is "${value}"; it must be test_error or gap`, { field: '--target' });
  }
  return value as TargetKind;
}

function parseAxes(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const axes = value
    .split(',')
    .map((axis) => axis.trim())
    .filter((axis) => axis !== '');
  if (axes.length === 0) throw new LabError('invalid-input', `--axes is "${value}"; list the axis columns separated by commas, such as lr,batch_size`, { field: '--axes' });
  return axes;
}

function readTable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LabError('not-found', `--table ${path}: file not found; check the path`, { field: '--table', cause: error });
    if (code === 'EISDIR') throw new LabError('invalid-file', `--table ${path} is a folder; give the path of a CSV file`, { field: '--table', cause: error });
    throw new LabError('invalid-file', `--table ${path} cannot be read (${(error as Error).message}); check its permissions`, { field: '--table', cause: error });
  }
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export const command: CliCommand = {
  name: 'analyze',
  summary: 'Analyse a CSV table of runs computed anywhere',
  usage,
  async run(args) {
    const { values, positionals } = parseOptions(args, options, usage);
    if (positionals.length > 0) {
      throw new LabError('invalid-input', `Unexpected argument "${positionals[0]}"; pass the table with --table FILE.csv\n\n${usage}`);
    }
    const path = requireOption(values.table, '--table', usage);
    const threshold = numberOption(values.threshold, '--threshold', { min: 0 });
    if (threshold === 0) throw new LabError('invalid-input', '--threshold is "0"; it must be a number > 0, such as 0.1', { field: '--threshold' });
    const target = parseTarget(values.target);
    const resamples = numberOption(values.bootstrap, '--bootstrap', { min: 0, integer: true });
    const seed = numberOption(values.seed, '--seed', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
    const axes = parseAxes(values.axes);

    const text = readTable(path);
    const source = basename(path);
    const { header } = parseCsvText(text, source);

    if (!isStudyHeader(header)) {
      if (axes === undefined) {
        throw new LabError(
          'invalid-file',
          `${source} is not a study table (it lacks one of the columns condition, kind, m, seed, test_error, train_error); ` +
            'add them, or pass --axes to read it as a ranking grid',
        );
      }
      for (const [flag, value] of [['--threshold', values.threshold], ['--bootstrap', values.bootstrap], ['--seed', values.seed]] as const) {
        if (value !== undefined) throw new LabError('invalid-input', `${flag} applies to study tables only, and ${source} is a ranking grid; drop ${flag}`, { field: flag });
      }
      const grid = parseRankingCsv(text, { source, axes });
      const targets = target === undefined ? undefined : [target];
      const report = { axes: grid.axes, measures: grid.measures, targets: rankingStatistics(grid.runs, grid.axes, grid.measures, targets) };
      write(values.json === true ? JSON.stringify({ file: source, ...report }, null, 2) : formatRankingTable(report, 'text'));
      return exitCodes.ok;
    }

    const table = parseRunTableCsv(text, { source, axes: axes ?? [] });
    const bootstrap = { ...(resamples === undefined ? {} : { resamples }), ...(seed === undefined ? {} : { seed }) };
    const analysis = analyzeStudy(table, {
      ...(target === undefined ? {} : { target }),
      ...(threshold === undefined ? {} : { threshold }),
      ...(axes === undefined ? {} : { axes }),
      bootstrap,
    });
    if (values.json === true) {
      write(JSON.stringify({ file: source, ...analysis }, null, 2));
      return exitCodes.ok;
    }

    const overview =
      `${source}: ${table.runs.length} runs, ${analysis.conditions.length} conditions, ` +
      `${analysis.measures.length} measures, sizes m = ${analysis.sizes.join(', ')}.`;
    const parts = [overview, formatFragilityTable(analysis, 'text')];
    if (analysis.ranking !== undefined) parts.push(formatRankingTable(analysis.ranking, 'text'));
    write(parts.map((part) => part.trimEnd()).join('\n\n'));
    return exitCodes.ok;
  },
};
