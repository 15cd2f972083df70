import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFileLogSink, formatLogRecord } from '../../electron/logFile.js';
import { chooseDatabase, defaultDatabaseName, documentationFolder, parseShellArguments, readShellState, writeShellState } from '../../electron/options.js';
import { tempDir } from '../helpers/temp.js';

test('--db names the database', () => {
  assert.deepEqual(parseShellArguments(['.', '--db', 'studies/lab.sqlite'], '/home/ana'), { dbPath: '/home/ana/studies/lab.sqlite' });
  assert.deepEqual(parseShellArguments(['--db=/data/lab.sqlite'], '/home/ana'), { dbPath: '/data/lab.sqlite' });
  assert.deepEqual(parseShellArguments(['--no-sandbox', '--enable-logging', '.'], '/home/ana'), { dbPath: null });
  assert.deepEqual(parseShellArguments(['--db', 'a.sqlite', '--db', 'b.sqlite'], '/w'), { dbPath: '/w/b.sqlite' });
});

test('--db without a file is rejected', () => {
  for (const argv of [['--db'], ['--db='], ['--db', '--enable-logging']]) {
    assert.throws(
      () => parseShellArguments(argv, '/w'),
      (error: Error & { kind?: string }) => {
        assert.equal(error.kind, 'invalid-input');
        assert.match(error.message, /The --db option needs a database file after it/);
        return true;
      },
      argv.join(' '),
    );
  }
});

test('database choice order', () => {
  const exists = (path: string) => path === '/data/last.sqlite';
  assert.deepEqual(chooseDatabase({ argument: '/x/arg.sqlite', lastOpened: '/data/last.sqlite', userDataDir: '/u', exists }), { path: '/x/arg.sqlite', source: 'argument' });
  assert.deepEqual(chooseDatabase({ argument: null, lastOpened: '/data/last.sqlite', userDataDir: '/u', exists }), { path: '/data/last.sqlite', source: 'last-opened' });
  assert.deepEqual(chooseDatabase({ argument: null, lastOpened: '/data/removed.sqlite', userDataDir: '/u', exists }), { path: join('/u', defaultDatabaseName), source: 'default' });
  assert.deepEqual(chooseDatabase({ argument: null, lastOpened: null, userDataDir: '/u', exists }), { path: join('/u', defaultDatabaseName), source: 'default' });
});

test('shell state round trip', () => {
  const path = join(tempDir(), 'state', 'desktop-state.json');
  const warnings: string[] = [];
  assert.deepEqual(readShellState(path, (message) => warnings.push(message)), { lastDatabase: null });
  writeShellState(path, { lastDatabase: '/data/lab.sqlite' });
  assert.deepEqual(readShellState(path, (message) => warnings.push(message)), { lastDatabase: '/data/lab.sqlite' });
  assert.deepEqual(warnings, []);
});

test('unreadable shell state is ignored', () => {
  const folder = tempDir();
  const broken = join(folder, 'broken.json');
  writeFileSync(broken, '{ "lastDatabase": ');
  const warnings: string[] = [];
  assert.deepEqual(readShellState(broken, (message) => warnings.push(message)), { lastDatabase: null });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /ignoring the unreadable shell state file/);
  const wrongType = join(folder, 'wrong.json');
  writeFileSync(wrongType, '{ "lastDatabase": 42 }');
  assert.deepEqual(readShellState(wrongType, () => undefined), { lastDatabase: null });
});

test('documentation folder', () => {
  assert.equal(documentationFolder({ isPackaged: true, resourcesPath: '/opt/Fragility Lab/resources', appPath: '/opt/x/app.asar' }), join('/opt/Fragility Lab/resources', 'docs'));
  assert.equal(documentationFolder({ isPackaged: false, resourcesPath: '/n/a', appPath: '/work/main' }), '/work/main');
});

test('log file keeps every record', async () => {
  const path = join(tempDir(), 'logs', 'fragility-lab.log');
  const stderr: string[] = [];
  const log = createFileLogSink(path, { stderr: (line) => stderr.push(line) });
  const record = { time: '2026-12-04T10:00:00.000Z', level: 'info' as const, scope: 'electron', message: 'opened the database /data/lab.sqlite' };
  log.sink(record);
  await log.close();
  assert.equal(formatLogRecord(record), '2026-12-04T10:00:00.000Z info  [electron] opened the database /data/lab.sqlite\n');
  assert.equal(readFileSync(path, 'utf8'), formatLogRecord(record));
  assert.deepEqual(stderr, [formatLogRecord(record)]);
});

test('large log file is moved aside', async () => {
  const folder = tempDir();
  const path = join(folder, 'fragility-lab.log');
  writeFileSync(path, 'x'.repeat(2_000));
  const log = createFileLogSink(path, { maxBytes: 1_000, stderr: () => undefined });
  log.sink({ time: '2026-12-04T10:00:00.000Z', level: 'warn', scope: 'electron', message: 'new session' });
  await log.close();
  assert.equal(readFileSync(`${path}.1`, 'utf8').length, 2_000);
  assert.match(readFileSync(path, 'utf8'), /new session/);
});
