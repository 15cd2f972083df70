/**
 * A log sink for the desktop app: every record goes to stderr, as in the engine, and to a log file
 * in the user data folder, because a packaged app started from a desktop launcher has no terminal.
 * The file is moved aside to `<name>.1` when it is over `maxBytes` at start-up, so at most two
 * files are kept.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { LogRecord, LogSink } from '../main/util/log.js';

export const defaultMaxLogBytes = 5 * 1024 * 1024;

export function formatLogRecord(record: LogRecord): string {
  return `${record.time} ${record.level.padEnd(5)} [${record.scope}] ${record.message}\n`;
}

export function createFileLogSink(path: string, options: { maxBytes?: number; stderr?: (line: string) => void } = {}): { sink: LogSink; close(): Promise<void> } {
  const maxBytes = options.maxBytes ?? defaultMaxLogBytes;
  const stderr = options.stderr ?? ((line: string) => process.stderr.write(line));
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path) && statSync(path).size > maxBytes) renameSync(path, `${path}.1`);

  let stream: WriteStream | undefined = createWriteStream(path, { flags: 'a' });
  // A failing log file (disk full, folder removed) must not take the app down; stderr still works.
  stream.on('error', (error) => {
    stderr(`the log file ${path} failed and is no longer written: ${error.message}\n`);
    stream = undefined;
  });

  return {
    sink: (record) => {
      const line = formatLogRecord(record);
      stderr(line);
      stream?.write(line);
    },
    close: () =>
      new Promise((resolveClose) => {
        if (stream === undefined) return resolveClose();
        stream.end(() => resolveClose());
        stream = undefined;
      }),
  };
}
