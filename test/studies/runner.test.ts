import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store } from '../../db/store.js';
import { isClaimantAlive, runStudy, type StudyEvent } from '../../main/studies/runner.js';
import { validateStudySpec } from '../../main/studies/spec.js';
import { repoRoot } from '../helpers/paths.js';
import { tinySpec, writeSpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';

function snapshot(dbPath: string) {
  const store = Store.open(dbPath, { readonly: true });
  try {
    return { runs: store.studyRuns('tiny'), integrity: store.integrityCheck() };
  } finally {
    store.close();
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const finished = new Set(['fit', 'did_not_fit', 'diverged']);

test('study runs, stores results and skips them on a re-run', async () => {
  const dbPath = join(tempDir(), 'lab.sqlite');
  const spec = validateStudySpec(tinySpec({ perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } }] }));
  const events: StudyEvent[] = [];
  const outcome = await runStudy({ dbPath, spec, backend: 'wasm', onEvent: (event) => events.push(event) }).done;
  assert.deepEqual({ total: outcome.total, finished: outcome.finished, failed: outcome.failed }, { total: 8, finished: 8, failed: 0 });
  assert.equal(events.filter((event) => event.type === 'run-finished').length, 8);
  assert.ok(events.some((event) => event.type === 'epoch'));

  const { runs, integrity } = snapshot(dbPath);
  assert.equal(integrity, 'ok');
  for (const run of runs) {
    assert.ok(finished.has(run.status), `${run.condition} m=${run.trainSize}: ${run.status}`);
    assert.equal(run.backend, 'wasm');
    assert.ok(run.testError !== null && run.testError < 0.5, `test error ${run.testError}`);
  }
  const store = Store.open(dbPath, { readonly: true });
  const values = store.measuresFor([runs[0]!.id], 'noise=stated').get(runs[0]!.id)!;
  assert.deepEqual([...values.keys()].sort(), ['inverse_margin', 'log_prod_of_spec', 'param_norm', 'path_norm']);
  assert.ok(store.weights(runs[0]!.id) !== undefined);
  store.close();

  const again: StudyEvent[] = [];
  const second = await runStudy({ dbPath, spec, backend: 'wasm', onEvent: (event) => again.push(event) }).done;
  assert.equal(second.finished, 8);
  assert.equal(again.filter((event) => event.type === 'run-started').length, 0);
});

test('diverged run is stored with its epoch and the study goes on', async () => {
  const dbPath = join(tempDir(), 'lab.sqlite');
  const spec = validateStudySpec(
    tinySpec({
      trainSizes: [64],
      seeds: [0],
      model: { kind: 'fcn', hiddenWidths: [64, 64, 64] },
      // A large initial variance with a large step and momentum overflows float32 within two epochs.
      perturbations: [{ name: 'lr_huge', kind: 'hyperparameter', changes: { training: { learningRate: 100, momentum: 0.9 }, model: { weightVariance: 50 } } }],
    }),
  );
  const outcome = await runStudy({ dbPath, spec, backend: 'wasm' }).done;
  assert.equal(outcome.failed, 0);
  const { runs } = snapshot(dbPath);
  const baseline = runs.find((run) => run.condition === 'baseline')!;
  const diverged = runs.find((run) => run.condition === 'lr_huge')!;
  assert.notEqual(baseline.status, 'diverged');
  assert.equal(diverged.status, 'diverged');
  assert.ok(diverged.divergedEpoch !== null && diverged.divergedEpoch >= 1);
  assert.equal(diverged.testError, null);

  const store = Store.open(dbPath, { readonly: true });
  const values = store.measuresFor([diverged.id], 'noise=stated').get(diverged.id)!;
  for (const value of values.values()) {
    assert.equal(value.adjusted, null);
    assert.match(value.missingReason ?? '', /diverged/);
  }
  store.close();
});

test('killing the worker requeues its run only', async () => {
  const dbPath = join(tempDir(), 'lab.sqlite');
  const spec = validateStudySpec(tinySpec({ trainSizes: [256, 512], training: { learningRate: 0.05, maxEpochs: 12 } }));
  const execution = runStudy({ dbPath, spec, backend: 'wasm' });

  // Kill the worker as soon as it is training its second run.
  const victim = await waitFor(
    () => {
      const store = Store.open(dbPath, { readonly: true });
      try {
        const runs = store.studyRuns('tiny');
        const running = runs.find((run) => run.status === 'running' && run.claimedBy !== null);
        return runs.some((run) => finished.has(run.status)) && running !== undefined ? running : undefined;
      } finally {
        store.close();
      }
    },
    60_000,
    'a finished run and a running one',
  );
  process.kill(Number(victim.claimedBy!.split(':')[1]), 'SIGKILL');

  const outcome = await execution.done;
  assert.equal(outcome.finished, 4);
  const { runs, integrity } = snapshot(dbPath);
  assert.equal(integrity, 'ok');
  for (const run of runs) {
    assert.ok(finished.has(run.status));
    assert.equal(run.attempts, run.id === victim.id ? 2 : 1, `${run.trainSize}/${run.seed}`);
  }
});

test('study killed with SIGKILL resumes without retraining', async () => {
  const folder = tempDir();
  const dbPath = join(folder, 'lab.sqlite');
  const specPath = writeSpec(folder, tinySpec({ trainSizes: [128, 256, 512], training: { learningRate: 0.05, maxEpochs: 12 } }));
  const cli = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'dev-cli.ts'), 'run', specPath, '--db', dbPath, '--backend', 'wasm'], {
    cwd: repoRoot,
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => cli.once('exit', resolve));

  const before = await waitFor(
    () => {
      try {
        const { runs } = snapshot(dbPath);
        const done = runs.filter((run) => finished.has(run.status));
        return done.length >= 2 && runs.some((run) => run.status === 'running') ? done : undefined;
      } catch {
        return undefined;
      }
    },
    120_000,
    'two finished runs and a running one',
  );
  process.kill(-cli.pid!, 'SIGKILL');
  await exited;
  // SIGKILL is delivered asynchronously: wait until the workers are gone too, as they are when a
  // user starts the study again.
  await waitFor(
    () => (snapshot(dbPath).runs.every((run) => run.status !== 'running' || !isClaimantAlive(run.claimedBy ?? '')) ? true : undefined),
    10_000,
    'the killed workers to exit',
  );

  const killed = snapshot(dbPath);
  assert.equal(killed.integrity, 'ok');
  assert.ok(killed.runs.some((run) => run.status === 'running'), 'the run in progress stays marked running after the kill');

  const spec = validateStudySpec(tinySpec({ trainSizes: [128, 256, 512], training: { learningRate: 0.05, maxEpochs: 12 } }));
  const outcome = await runStudy({ dbPath, spec, backend: 'wasm' }).done;
  assert.equal(outcome.failed, 0, JSON.stringify(snapshot(dbPath).runs.map((run) => [run.status, run.errorMessage])));
  assert.equal(outcome.finished, 6);

  const after = snapshot(dbPath);
  assert.equal(after.integrity, 'ok');
  for (const run of before) {
    const now = after.runs.find((candidate) => candidate.id === run.id)!;
    assert.equal(now.finishedAt, run.finishedAt, 'a finished run was trained again');
    assert.equal(now.attempts, 1);
  }
  assert.ok(after.runs.every((run) => finished.has(run.status)));
});
