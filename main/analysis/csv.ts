/**
 * Readers of run tables written as CSV: one header row, comma-separated fields, no quoting, `\n`
 * or `\r\n` line ends. An empty field is a missing value. Spaces around a field are ignored.
 *
 * Two layouts are read:
 * - a study table: `condition`, `kind`, `m`, `seed`, `test_error`, `train_error`, then one column
 *   per measure id holding the size-adjusted value (optional axis columns become run settings);
 * - a ranking grid: an optional `run` id, one column per hyperparameter axis, `test_error`,
 *   `train_error`, then one column per measure.
 *
 * Every malformed input raises a LabError of kind `invalid-file` that names the source, the line,
 * the column and the fix.
 */
import { LabError } from '../util/errors.js';
import type { RankingRun, RankingTable } from './ranking.js';
import { conditionKinds } from './table.js';
import type { ConditionKind, RunRow, RunTable, SettingValue } from './table.js';

/** A data row of a CSV text with its 1-based line number in the file. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export interface CsvText {
  header: string[];
  records: CsvRecord[];
}

export interface CsvReadOptions {
  /** Name of the file or stream in error messages; defaults to "the CSV table". */
  source?: string;
  /** Columns that hold hyperparameter settings rather than measures. */
  axes?: readonly string[];
}

const studyColumns = ['condition', 'kind', 'm', 'seed', 'test_error', 'train_error'] as const;
const rankingColumns = ['test_error', 'train_error'] as const;
const decimalPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function invalid(source: string, message: string, column?: string): LabError {
  return new LabError('invalid-file', `${source}: ${message}`, column === undefined ? {} : { field: column });
}

/** Splits CSV text into a header and data rows, checking the shape only (not the values). */
export function parseCsvText(text: string, source = 'the CSV table'): CsvText {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw invalid(source, 'the file is empty; write a header row and one row per run');

  const headerLine = lines[headerIndex]!;
  rejectQuotes(source, headerLine, headerIndex + 1);
  const header = headerLine.split(',').map((name) => name.trim());
  const seen = new Map<string, number>();
  header.forEach((name, index) => {
    if (name === '') {
      throw invalid(source, `line ${headerIndex + 1}, column ${index + 1} of the header is empty; give every column a name`);
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw invalid(source, `line ${headerIndex + 1}: column "${name}" appears twice (columns ${earlier + 1} and ${index + 1}); keep one`, name);
    }
    seen.set(name, index);
  });

  const records: CsvRecord[] = [];
  for (let index = headerIndex + 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    rejectQuotes(source, line, index + 1);
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length !== header.length) {
      throw invalid(
        source,
        `line ${index + 1} has ${fields.length} fields but the header has ${header.length} columns; ` +
          'write one field per column, leaving a field empty for a missing value',
      );
    }
    records.push({ line: index + 1, fields });
  }
  if (records.length === 0) throw invalid(source, 'the table has a header but no rows; add one row per run');
  return { header, records };
}

function rejectQuotes(source: string, line: string, lineNumber: number): void {
  if (line.includes('"')) {
    throw invalid(source, `line ${lineNumber} contains a quote character; quoted fields are not supported, so remove the quotes`);
  }
}

/** Tells whether a CSV header has the columns of a study table (as opposed to a ranking grid). */
export function isStudyHeader(header: readonly string[]): boolean {
  return studyColumns.every((column) => header.includes(column));
}

/** Accessor for the fields of one record by column name, with errors that name the line and column. */
class RecordReader {
  constructor(
    private readonly source: string,
    private readonly columnIndex: ReadonlyMap<string, number>,
    private readonly record: CsvRecord,
  ) {}

  get line(): number {
    return this.record.line;
  }

  text(column: string): string {
    return this.record.fields[this.columnIndex.get(column)!]!;
  }

  requiredText(column: string, fix: string): string {
    const value = this.text(column);
    if (value === '') throw this.error(column, `is empty; ${fix}`);
    return value;
  }

  /** Reads a decimal number, or null for an empty field. */
  optionalNumber(column: string): number | null {
    const value = this.text(column);
    if (value === '') return null;
    if (!decimalPattern.test(value)) {
      throw this.error(column, `"${value}" is not a number; write a decimal number such as 0.25, or leave the field empty for a missing value`);
    }
    return Number(value);
  }

  integer(column: string, check: { positive: boolean }, fix: string): number {
    const value = this.requiredText(column, fix);
    const number = Number(value);
    if (!/^[+-]?\d+$/.test(value) || !Number.isSafeInteger(number) || (check.positive && number <= 0)) {
      throw this.error(column, `"${value}" is not ${check.positive ? 'a positive integer' : 'an integer'}; ${fix}`);
    }
    return number;
  }

  setting(column: string): SettingValue {
    const value = this.requiredText(column, 'give every run a value for each axis');
    return decimalPattern.test(value) ? Number(value) : value;
  }

  error(column: string, message: string): LabError {
    return invalid(this.source, `line ${this.line}, column "${column}": ${message}`, column);
  }
}

function indexColumns(header: readonly string[]): Map<string, number> {
  return new Map(header.map((name, index) => [name, index]));
}

function requireColumns(source: string, header: readonly string[], columns: readonly string[], layout: string): void {
  for (const column of columns) {
    if (!header.includes(column)) {
      throw invalid(source, `column "${column}" is missing from the header; a ${layout} needs the columns ${columns.join(', ')}`, column);
    }
  }
}

function requireAxisColumns(source: string, header: readonly string[], axes: readonly string[]): void {
  for (const axis of axes) {
    if (!header.includes(axis)) {
      throw invalid(source, `axis "${axis}" has no column in the header (columns: ${header.join(', ')}); name an existing column as the axis`, axis);
    }
  }
}

function readMeasures(reader: RecordReader, measures: readonly string[]): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  for (const id of measures) values[id] = reader.optionalNumber(id);
  return values;
}

function readSettings(reader: RecordReader, axes: readonly string[]): Record<string, SettingValue> {
  const settings: Record<string, SettingValue> = {};
  for (const axis of axes) settings[axis] = reader.setting(axis);
  return settings;
}

/**
 * Parses a study table. Columns other than the six fixed ones and the `axes` are measures, in
 * header order. Rejects a repeated (condition, m, seed) and a condition given two kinds.
 */
export function parseRunTableCsv(text: string, options: CsvReadOptions = {}): RunTable {
  const source = options.source ?? 'the CSV table';
  const axes = options.axes ?? [];
  const { header, records } = parseCsvText(text, source);
  requireColumns(source, header, studyColumns, 'study table');
  requireAxisColumns(source, header, axes);
  const reserved = new Set<string>([...studyColumns, ...axes]);
  const measures = header.filter((name) => !reserved.has(name));
  const columnIndex = indexColumns(header);

  const runs: RunRow[] = [];
  const lineOfRun = new Map<string, number>();
  const kindOf = new Map<string, { kind: ConditionKind; line: number }>();
  for (const record of records) {
    const reader = new RecordReader(source, columnIndex, record);
    const condition = reader.requiredText('condition', 'name the condition of every run');
    const kindText = reader.requiredText('kind', 'write baseline, hyperparameter or data');
    if (!(conditionKinds as readonly string[]).includes(kindText)) {
      throw reader.error('kind', `"${kindText}" is not a condition kind; write baseline, hyperparameter or data`);
    }
    const kind = kindText as ConditionKind;
    const earlier = kindOf.get(condition);
    if (earlier !== undefined && earlier.kind !== kind) {
      throw reader.error('kind', `"${kind}" differs from the kind "${earlier.kind}" given to "${condition}" on line ${earlier.line}; give a condition one kind`);
    }
    kindOf.set(condition, earlier ?? { kind, line: record.line });

    const m = reader.integer('m', { positive: true }, 'write the training-set size as a whole number of examples');
    const seed = reader.integer('seed', { positive: false }, 'write the seed as a whole number');
    const key = `${condition}\u0000${m}\u0000${seed}`;
    const duplicate = lineOfRun.get(key);
    if (duplicate !== undefined) {
      throw invalid(
        source,
        `line ${record.line} repeats the run of line ${duplicate} (condition "${condition}", m = ${m}, seed ${seed}); keep one row per run`,
      );
    }
    lineOfRun.set(key, record.line);

    const run: RunRow = {
      condition,
      kind,
      m,
      seed,
      testError: reader.optionalNumber('test_error'),
      trainError: reader.optionalNumber('train_error'),
      measures: readMeasures(reader, measures),
    };
    if (axes.length > 0) run.settings = readSettings(reader, axes);
    runs.push(run);
  }
  return { measures, runs };
}

/**
 * Parses a ranking grid: one run per row with its setting on every axis. The optional `run`
 * column gives run ids (the line number otherwise); every other column is a measure.
 */
export function parseRankingCsv(text: string, options: CsvReadOptions & { axes: readonly string[] }): RankingTable {
  const source = options.source ?? 'the CSV table';
  const axes = options.axes;
  if (axes.length === 0) throw new LabError('invalid-input', 'A ranking grid needs at least one axis; name the columns that hold hyperparameter settings');
  const { header, records } = parseCsvText(text, source);
  requireColumns(source, header, rankingColumns, 'ranking grid');
  requireAxisColumns(source, header, axes);
  const reserved = new Set<string>(['run', ...axes, ...rankingColumns]);
  const measures = header.filter((name) => !reserved.has(name));
  const columnIndex = indexColumns(header);

  const runs: RankingRun[] = [];
  const lineOfId = new Map<string, number>();
  for (const record of records) {
    const reader = new RecordReader(source, columnIndex, record);
    const id = header.includes('run') ? reader.requiredText('run', 'give every run an id') : `line ${record.line}`;
    const duplicate = lineOfId.get(id);
    if (duplicate !== undefined) throw reader.error('run', `run id "${id}" is also used on line ${duplicate}; give every run its own id`);
    lineOfId.set(id, record.line);
    runs.push({
      id,
      settings: readSettings(reader, axes),
      testError: reader.optionalNumber('test_error'),
      trainError: reader.optionalNumber('train_error'),
      measures: readMeasures(reader, measures),
    });
  }
  return { axes: [...axes], measures, runs };
}
