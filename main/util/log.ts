/**
 * The engine's one logger. Each subsystem takes a scoped logger (`createLogger('trainer')`) and
 * writes lines such as `2026-12-04T10:00:00.000Z info  [trainer] run 3f2a… fit in 12 epochs`.
 * Raw `console` calls are banned in `main/` and `db/` by the lint configuration.
 *
 * The level comes from FRAGILITY_LAB_LOG_LEVEL (debug, info, warn, error; default info). A host
 * that forwards a worker's lines elsewhere replaces the sink with `setLogSink`.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  time: string;
  level: LogLevel;
  scope: string;
  message: string;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function parseLevel(text: string | undefined): LogLevel {
  return text !== undefined && text in levelRank ? (text as LogLevel) : 'info';
}

let minimumLevel: LogLevel = parseLevel(process.env.FRAGILITY_LAB_LOG_LEVEL);

function writeToStderr(record: LogRecord): void {
  process.stderr.write(`${record.time} ${record.level.padEnd(5)} [${record.scope}] ${record.message}\n`);
}

let sink: LogSink = writeToStderr;

/** Replaces where log records go (for example, to a parent process); `undefined` restores stderr. */
export function setLogSink(next: LogSink | undefined): void {
  sink = next ?? writeToStderr;
}

export function setLogLevel(level: LogLevel): void {
  minimumLevel = level;
}

/** Writes a record made elsewhere (by a worker process, say) through this process's sink and level. */
export function writeLogRecord(record: LogRecord): void {
  if (levelRank[record.level] >= levelRank[minimumLevel]) sink(record);
}

export function createLogger(scope: string): Logger {
  const write = (level: LogLevel, message: string): void => {
    writeLogRecord({ time: new Date().toISOString(), level, scope, message });
  };
  return {
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
}
