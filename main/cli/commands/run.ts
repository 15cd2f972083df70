import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Store } from '../../../db/store.js';
import { tableFormats, type TableFormat } from '../../analysis/index.js';
import { analyzeStoredStudy, loadStoredStudy } from '../../studies/results.js';
import { checkStudyData } from '../../studies/preflight.js';
import { runStudy } from '../../studies/runner.js';
import { parseStudySpec } from '../../studies/spec.js';
import { backendNames, type BackendRequest } from '../../tf/backend.js';
import { LabError } from '../../util/errors.js';
import { setLogSink } from '../../util/log.js';
import { numberOption, parseOptions } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';
import { ProgressDisplay } from '../progress.js';
import { printStudyTables } from './table.js';

const usage = `Usage: fragility-lab run STUDY.json [--db FILE] [--workers N] [--backend auto|${backendNames.join('|')}] [--format text|csv|json]

Trains every run of the study that the database does not hold yet (an interrupted study resumes
where it stopped), computes its measures, and prints the CMS/eCMS table.

Options:
  --db FILE        SQLite database to store the study in (default: fragility-lab.sqlite)
  --workers N      worker processes training runs in parallel (default: one per CPU core,
                   or one per GPU with the native GPU backend)
  --backend NAME   TensorFlow.js backend (default: auto, or FRAGILITY_LAB_BACKEND)
  --format FORMAT  format of the final table: text (default), csv or json

Ctrl-C stops after cancelling the runs in progress; they are trained again on the next run.`;

export function parseBackend(value: string | undefined): BackendRequest | undefined {
  if (value === undefined) return undefined;
  if (value === 'auto' || (backendNames as readonly string[]).includes(value)) return value as BackendRequest;
  throw new LabError('invalid-input', `--backend is "${value}"; use auto, ${backendNames.join(', ')}`, { field: '--backend' });
}

export function parseFormat(value: string | undefined): TableFormat {
  if (value === undefined) return 'text';
  if ((tableFormats as readonly string[]).includes(value)) return value as TableFormat;
  throw new LabError('invalid-input', `--format is "${value}"; use ${tableFormats.join(', ')}`, { field: '--format' });
}

function readSpec(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LabError('not-found', `Cannot read study spec ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseStudySpec(text, path);
}

export const command: CliCommand = {
  name: 'run',
  summary: 'Train and measure every run of a study, then print its CMS/eCMS table',
  usage,
  async run(args) {
    const { values, positionals } = parseOptions(args, { db: { type: 'string' }, workers: { type: 'string' }, backend: { type: 'string' }, format: { type: 'string' } }, usage);
    if (positionals.length !== 1) throw new LabError('invalid-input', `run takes one study spec file, received ${positionals.length}.\n\n${usage}`);
    const spec = readSpec(positionals[0]!);
    const dbPath = resolve(values.db ?? 'fragility-lab.sqlite');
    const workers = numberOption(values.workers, '--workers', { min: 1, max: 256, integer: true });
    const backend = parseBackend(values.backend);
    const format = parseFormat(values.format);

    // Check the data and the database before starting workers, so that a bad file fails at once.
    checkStudyData(spec);
    Store.open(dbPath).close();

    const display = new ProgressDisplay();
    setLogSink((record) => display.log(record));
    const execution = runStudy({ dbPath, spec, ...(workers === undefined ? {} : { workers }), ...(backend === undefined ? {} : { backend }), onEvent: (event) => display.handle(event) });

    let interrupts = 0;
    const onInterrupt = () => {
      interrupts++;
      if (interrupts === 1) {
        process.stderr.write('\nStopping: cancelling the runs in progress (press Ctrl-C again to stop at once)...\n');
        execution.cancel();
      } else {
        execution.kill();
      }
    };
    process.on('SIGINT', onInterrupt);
    try {
      const outcome = await execution.done;
      setLogSink(undefined);
      const store = Store.open(dbPath, { readonly: true });
      try {
        const study = loadStoredStudy(store, outcome.studyId);
        if (study.runs.some((run) => run.status === 'fit' || run.status === 'did_not_fit' || run.status === 'diverged')) {
          printStudyTables(store, study, analyzeStoredStudy(store, study), format);
        }
      } finally {
        store.close();
      }
      process.stderr.write(`Results are in ${dbPath}; print the table again with: fragility-lab table --db ${dbPath} --study ${outcome.studyId}\n`);
      return outcome.cancelled || outcome.failed > 0 ? exitCodes.failure : exitCodes.ok;
    } finally {
      process.off('SIGINT', onInterrupt);
      setLogSink(undefined);
    }
  },
};
