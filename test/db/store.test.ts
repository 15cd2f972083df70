import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { latestSchemaVersion, migrations } from '../../db/migrations/index.js';
import { applicationId, Store, type PlannedRun, type RunResult } from '../../db/store.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

function plannedRuns(count: number): PlannedRun[] {
  return Array.from({ length: count }, (_, index) => ({ runId: `run-${index}`, settingsJson: '{}', condition: 'baseline', kind: 'baseline' as const, trainSize: 100 * (index + 1), seed: 0 }));
}

function result(overrides: Partial<RunResult> = {}): RunResult {
  return {
    status: 'fit',
    backend: 'cpu',
    device: 'CPU (JavaScript)',
    versions: { tfjs: '4.22.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    durationMs: 60_000,
    epochs: 3,
    divergedEpoch: null,
    trainLoss: 0.01,
    trainError: 0,
    testLoss: 0.3,
    testError: 0.1,
    noisyLabelCount: 0,
    curve: [
      { epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, durationMs: 10 },
      { epoch: 2, trainLoss: 0.1, trainAccuracy: 0.95, durationMs: 10 },
      { epoch: 3, trainLoss: 0.01, trainAccuracy: 1, durationMs: 10 },
    ],
    optionsKey: 'noise=stated',
    measures: [
      { measureId: 'param_norm', raw: 400, adjusted: 2, missingReason: null, details: null },
      { measureId: 'inverse_margin', raw: null, adjusted: null, missingReason: 'margin is zero', details: null },
      { measureId: 'path_norm', raw: Number.POSITIVE_INFINITY, adjusted: Number.POSITIVE_INFINITY, missingReason: null, details: null },
    ],
    weights: { modelJson: '{}', weightData: new Uint8Array([1, 2, 3]) },
    ...overrides,
  };
}

function freshStore(): Store {
  return Store.open(join(tempDir(), 'lab.sqlite'));
}

test('migrations are numbered from 1 without gaps', () => {
  migrations.forEach((migration, index) => assert.equal(migration.version, index + 1, migration.name));
  assert.equal(latestSchemaVersion, migrations.length);
});

test('each migration applies on top of the previous ones', () => {
  for (let count = 1; count <= migrations.length; count++) {
    const db = new Database(':memory:');
    for (const migration of migrations.slice(0, count)) db.exec(migration.sql);
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
    assert.ok(tables.length > 0, `after migration ${count}`);
    db.close();
  }
});

test('schema matches the committed snapshot', () => {
  const store = freshStore();
  const path = store.path;
  store.close();
  const db = new Database(path, { readonly: true });
  const schema = (db.prepare(`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name`).all() as { sql: string }[]).map((row) => `${row.sql.replace(/\s+/g, ' ').trim()};`).join('\n');
  db.close();
  const snapshotPath = join(repoRoot, 'test', 'db', 'schema.snapshot.sql');
  if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(snapshotPath, `${schema}\n`);
  assert.equal(`${schema}\n`, readFileSync(snapshotPath, 'utf8'), 'the schema changed; add a migration and run with UPDATE_SCHEMA_SNAPSHOT=1');
});

test('store opens in WAL mode with its application id', () => {
  const store = freshStore();
  store.close();
  const db = new Database(store.path);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('application_id', { simple: true }), applicationId);
  assert.equal(db.pragma('user_version', { simple: true }), latestSchemaVersion);
  db.close();
});

test('store rejects a file that is not SQLite and leaves it untouched', () => {
  const path = join(tempDir(), 'notes.sqlite');
  writeFileSync(path, 'these are my notes, not a database\n');
  assert.throws(() => Store.open(path), /notes\.sqlite is not a SQLite database; it was left untouched/);
  assert.equal(readFileSync(path, 'utf8'), 'these are my notes, not a database\n');
});

test('store rejects a database of another application', () => {
  const path = join(tempDir(), 'other.sqlite');
  const db = new Database(path);
  db.exec('CREATE TABLE contacts (name TEXT)');
  db.close();
  assert.throws(() => Store.open(path), /SQLite database of another application; it was left untouched/);
  const reopened = new Database(path);
  assert.deepEqual(reopened.prepare(`SELECT name FROM sqlite_master`).all(), [{ name: 'contacts' }]);
  reopened.close();
});

test('store rejects a newer schema without writing', () => {
  const store = freshStore();
  store.close();
  const db = new Database(store.path);
  db.pragma(`user_version = ${latestSchemaVersion + 5}`);
  db.close();
  assert.throws(() => Store.open(store.path), new RegExp(`schema version ${latestSchemaVersion + 5}, newer than the ${latestSchemaVersion}.*Update Fragility Lab`));
});

test('store rejects a read-only file for writing but reads it', { skip: process.getuid?.() === 0 && 'root ignores file permissions' }, () => {
  const store = freshStore();
  store.close();
  chmodSync(store.path, 0o444);
  assert.throws(() => Store.open(store.path), /is read-only; make it writable/);
  Store.open(store.path, { readonly: true }).close();
});

test('store reports a corrupt database as corrupt', () => {
  const store = freshStore();
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plannedRuns(50));
  store.close();
  // Overwrite pages after the header with garbage.
  const bytes = readFileSync(store.path);
  for (let offset = 4096; offset < bytes.length; offset++) bytes[offset] = 0xa5;
  writeFileSync(store.path, bytes);
  assert.throws(() => {
    const damaged = Store.open(store.path);
    try {
      damaged.studyRuns('s');
    } finally {
      damaged.close();
    }
  }, /is corrupt|malformed/);
});

test('readonly open of a missing file says so', () => {
  assert.throws(() => Store.open(join(tempDir(), 'missing.sqlite'), { readonly: true }), /does not exist; run a study first/);
});

test('claims hand out each run once', () => {
  const store = freshStore();
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plannedRuns(3));
  const first = store.claimNextRun('s', 'a');
  const second = store.claimNextRun('s', 'b');
  const third = store.claimNextRun('s', 'a');
  assert.deepEqual([first?.id, second?.id, third?.id], ['run-2', 'run-1', 'run-0'], 'largest training set first');
  assert.equal(store.claimNextRun('s', 'c'), undefined);
  assert.equal(store.getRun('run-0')?.attempts, 1);
});

test('claims keep plan order within a size', () => {
  const store = freshStore();
  const runs = [100, 1000, 100, 1000].map((trainSize, index) => ({ ...plannedRuns(1)[0]!, runId: `run-${index}`, trainSize, seed: index }));
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, runs);
  const claimed = [0, 1, 2, 3].map(() => store.claimNextRun('s', 'a')?.id);
  assert.deepEqual(claimed, ['run-1', 'run-3', 'run-0', 'run-2']);
});

test('saving a result needs the claim', () => {
  const store = freshStore();
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plannedRuns(1));
  store.claimNextRun('s', 'owner');
  assert.equal(store.saveRunResult('run-0', 'somebody-else', result()), false);
  assert.equal(store.getRun('run-0')?.status, 'running');
  assert.equal(store.saveRunResult('run-0', 'owner', result()), true);
  const run = store.getRun('run-0')!;
  assert.equal(run.status, 'fit');
  assert.equal(run.testError, 0.1);
  assert.equal(store.curve('run-0').length, 3);
  assert.deepEqual([...store.weights('run-0')!.weightData], [1, 2, 3]);
});

test('non-finite measure values are stored as missing', () => {
  const store = freshStore();
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plannedRuns(1));
  store.claimNextRun('s', 'owner');
  store.saveRunResult('run-0', 'owner', result());
  const values = store.measuresFor(['run-0'], 'noise=stated').get('run-0')!;
  assert.equal(values.get('param_norm')?.adjusted, 2);
  assert.equal(values.get('inverse_margin')?.missingReason, 'margin is zero');
  assert.equal(values.get('path_norm')?.raw, null);
  assert.match(values.get('path_norm')?.missingReason ?? '', /not finite/);
});

test('abandoned claims are released as interrupted', () => {
  const store = freshStore();
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plannedRuns(2));
  store.claimNextRun('s', 'dead');
  store.claimNextRun('s', 'alive');
  assert.equal(
    store.releaseAbandonedClaims((claimant) => claimant === 'alive'),
    1,
  );
  assert.equal(store.getRun('run-1')?.status, 'interrupted');
  assert.equal(store.getRun('run-0')?.status, 'running');
  assert.equal(store.claimNextRun('s', 'next')?.id, 'run-1');
});

test('re-saving a study keeps stored runs', () => {
  const store = freshStore();
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plannedRuns(2));
  store.claimNextRun('s', 'owner');
  store.saveRunResult('run-1', 'owner', result());
  const again = store.saveStudy({ id: 's', name: 's', specJson: '{"more":1}', specHash: 'h2' }, plannedRuns(3));
  assert.deepEqual(again, { created: false, newRuns: 1 });
  assert.equal(store.getRun('run-1')?.status, 'fit');
  assert.equal(store.studyRuns('s').length, 3);
});

test('deleting a study removes runs no other study uses', () => {
  const store = freshStore();
  store.saveStudy({ id: 'a', name: 'a', specJson: '{}', specHash: 'h' }, plannedRuns(2));
  store.saveStudy({ id: 'b', name: 'b', specJson: '{}', specHash: 'h' }, plannedRuns(1));
  store.deleteStudy('a');
  assert.equal(store.getRun('run-0')?.id, 'run-0');
  assert.equal(store.getRun('run-1'), undefined);
  assert.equal(store.integrityCheck(), 'ok');
});
