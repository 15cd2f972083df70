/**
 * The CSV report: every run of a study, finished or not, one row each, with its identity, status,
 * times, environment, errors and losses, and every measure raw, size-adjusted and the reason when
 * missing (`<id>_raw`, `<id>_adjusted`, `<id>_missing`). Numbers are written at full precision and
 * a missing number is an empty field.
 *
 * The text follows RFC 4180: CRLF line ends, and a field is quoted (with inner quotes doubled)
 * when it contains a comma, a double quote, CR or LF.
 */
import type { ReportRun, StudyReport } from './model.js';

type Field = string | number | null;

/** Columns before the measure columns, with how each reads its value from a run. */
const runColumns: readonly [string, (run: ReportRun) => Field][] = [
  ['run_id', (run) => run.id],
  ['condition', (run) => run.condition],
  ['kind', (run) => run.kind],
  ['m', (run) => run.m],
  ['seed', (run) => run.seed],
  ['status', (run) => run.status],
  ['attempts', (run) => run.attempts],
  ['started_at', (run) => run.started_at],
  ['finished_at', (run) => run.finished_at],
  ['duration_ms', (run) => run.duration_ms],
  ['backend', (run) => run.backend],
  ['device', (run) => run.device],
  ['versions', (run) => (run.versions === null ? null : Object.entries(run.versions).map(([library, version]) => `${library}=${version}`).join(' '))],
  ['epochs', (run) => run.epochs],
  ['diverged_epoch', (run) => run.diverged_epoch],
  ['train_error', (run) => run.train_error],
  ['test_error', (run) => run.test_error],
  ['train_loss', (run) => run.train_loss],
  ['test_loss', (run) => run.test_loss],
  ['noisy_label_count', (run) => run.noisy_label_count],
  ['error_message', (run) => run.error_message],
];

/** Writes one field, quoted only when RFC 4180 requires it. */
export function csvField(value: Field): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Returns the header of the runs CSV of a study with these measures. */
export function runCsvColumns(measures: readonly string[]): string[] {
  return [...runColumns.map(([name]) => name), ...measures.flatMap((id) => [`${id}_raw`, `${id}_adjusted`, `${id}_missing`])];
}

/** Renders every run of the report as CSV. */
export function renderCsvReport(report: StudyReport): string {
  const { measures } = report.study;
  const lines = [runCsvColumns(measures).map(csvField).join(',')];
  for (const run of report.runs) {
    const fields: Field[] = runColumns.map(([, read]) => read(run));
    for (const id of measures) {
      const value = run.measures[id]!;
      fields.push(value.raw, value.adjusted, value.missing_reason);
    }
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
