/**
 * Storage faults: a full disk and a read-only database. Both need root to set up (a small tmpfs,
 * chattr +i); the tests say so and skip elsewhere.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Store, type RunResult } from '../../db/store.js';
import { tempDir } from '../helpers/temp.js';

function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const isRoot = process.getuid?.() === 0;

function result(weightBytes: number): RunResult {
  return {
    status: 'fit',
    backend: 'cpu',
    device: 'CPU',
    versions: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    epochs: 1,
    divergedEpoch: null,
    trainLoss: 0.1,
    trainError: 0,
    testLoss: 0.2,
    testError: 0.1,
    noisyLabelCount: 0,
    curve: [{ epoch: 1, trainLoss: 0.1, trainAccuracy: 1, durationMs: 5 }],
    optionsKey: 'noise=stated',
    measures: [{ measureId: 'param_norm', raw: 4, adjusted: 2, missingReason: null, details: null }],
    weights: { modelJson: '{}', weightData: new Uint8Array(weightBytes).fill(7) },
  };
}

const plan = [0, 1].map((index) => ({ runId: `run-${index}`, settingsJson: '{}', condition: 'baseline', kind: 'baseline' as const, trainSize: 10, seed: index }));

test('full disk fails the write and keeps earlier runs', { skip: !isRoot && 'mounting a small tmpfs needs root' }, () => {
  const mountPoint = join(tempDir(), 'small-disk');
  mkdirSync(mountPoint);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
  try {
    fillDisk(mountPoint);
  } finally {
    spawnSync('umount', [mountPoint]);
  }
});

function fillDisk(mountPoint: string): void {
  const dbPath = join(mountPoint, 'lab.sqlite');
  const store = Store.open(dbPath);
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plan);
  store.claimNextRun('s', 'me');
  assert.equal(store.saveRunResult('run-0', 'me', result(100_000)), true);

  store.claimNextRun('s', 'me');
  assert.throws(
    () => store.saveRunResult('run-1', 'me', result(2_000_000)),
    (error: Error & { kind?: string }) => error.kind === 'resource' && /disk is full: saving run run-1 .* failed and nothing of it was written/.test(error.message),
  );
  assert.equal(store.integrityCheck(), 'ok');
  assert.equal(store.getRun('run-0')?.status, 'fit');
  assert.equal(store.weights('run-0')?.weightData.length, 100_000);
  assert.equal(store.getRun('run-1')?.status, 'running');
  assert.equal(store.curve('run-1').length, 0);
  store.close();
}

test('read-only database is refused for writing and never changed', { skip: !hasCommand('chattr') && 'chattr is not available' }, () => {
  const dbPath = join(tempDir(), 'lab.sqlite');
  const store = Store.open(dbPath);
  store.saveStudy({ id: 's', name: 's', specJson: '{}', specHash: 'h' }, plan);
  store.close();
  const changed = spawnSync('chattr', ['+i', dbPath]);
  assert.equal(changed.status, 0, `chattr +i failed: ${changed.stderr}`);
  try {
    assert.throws(() => Store.open(dbPath), /is read-only; make it writable \(chmod u\+w\) or copy it to a writable place/);
    const reader = Store.open(dbPath, { readonly: true });
    assert.equal(reader.studyRuns('s').length, 2);
    reader.close();
  } finally {
    spawnSync('chattr', ['-i', dbPath]);
  }
});
