import { resolve } from 'node:path';
import { Store } from '../../../db/store.js';
import { formatFragilityTable, type StudyAnalysis, type TableFormat } from '../../analysis/index.js';
import { analyzeStoredStudy, loadStoredStudy, type StoredStudy } from '../../studies/results.js';
import { parseOptions } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';
import { parseFormat } from './run.js';

const usage = `Usage: fragility-lab table [--db FILE] [--study ID] [--format text|csv|json]

Prints the CMS and eCMS tables of a stored study, from the finished runs in the database.

Options:
  --db FILE        SQLite database (default: fragility-lab.sqlite)
  --study ID       study id (needed when the database holds several studies)
  --format FORMAT  text (default), csv or json`;

/** Writes a study's status counts and its CMS and eCMS tables to stdout. */
export function printStudyTables(store: Store, study: StoredStudy, analysis: StudyAnalysis, format: TableFormat): void {
  if (format === 'json') {
    process.stdout.write(formatFragilityTable(analysis, 'json'));
    return;
  }
  if (format === 'csv') {
    process.stdout.write(formatFragilityTable(analysis, 'csv'));
    return;
  }
  const counts = new Map<string, number>();
  for (const run of study.runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
  const statusText = [...counts.entries()].map(([status, count]) => `${count} ${status.replace(/_/g, ' ')}`).join(', ');
  process.stdout.write(`\nStudy ${study.record.id} in ${store.path}: ${study.runs.length} runs (${statusText}).\n\n`);
  process.stdout.write(`CMS (change in the measure's learning-curve exponent)\n${formatFragilityTable(analysis, 'text', { score: 'cms' })}\n`);
  process.stdout.write(`eCMS (the part of that change the test error does not share)\n${formatFragilityTable(analysis, 'text', { score: 'ecms' })}`);
}

export const command: CliCommand = {
  name: 'table',
  summary: 'Print the CMS/eCMS table of a stored study',
  usage,
  async run(args) {
    const { values } = parseOptions(args, { db: { type: 'string' }, study: { type: 'string' }, format: { type: 'string' } }, usage);
    const format = parseFormat(values.format);
    const store = Store.open(resolve(values.db ?? 'fragility-lab.sqlite'), { readonly: true });
    try {
      const study = loadStoredStudy(store, values.study);
      printStudyTables(store, study, analyzeStoredStudy(store, study), format);
      return exitCodes.ok;
    } finally {
      store.close();
    }
  },
};
