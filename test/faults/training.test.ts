/**
 * Training faults: a backend that runs out of memory and a network that never fits. Each run is
 * stored with its outcome and reason, and the study goes on to the next run.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Store } from '../../db/store.js';
import { forkWorker } from '../../main/studies/launcher.js';
import { runStudy } from '../../main/studies/runner.js';
import { validateStudySpec } from '../../main/studies/spec.js';
import { tinySpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';

function runsOf(dbPath: string) {
  const store = Store.open(dbPath, { readonly: true });
  try {
    return store.studyRuns('tiny');
  } finally {
    store.close();
  }
}

test('out-of-memory runs are stored as failed with the reason', async () => {
  const dbPath = join(tempDir(), 'lab.sqlite');
  const spec = validateStudySpec(tinySpec({ trainSizes: [32, 64], seeds: [0] }));
  const outcome = await runStudy({
    dbPath,
    spec,
    backend: 'wasm',
    workers: 1,
    launcher: (options) => forkWorker({ env: { ...options?.env, FRAGILITY_LAB_FAULTS: 'out-of-memory:1' } }),
  }).done;
  assert.equal(outcome.failed, 2, 'every run was tried');
  for (const run of runsOf(dbPath)) {
    assert.equal(run.status, 'failed');
    assert.match(run.errorMessage ?? '', /the wasm backend ran out of memory: Out of memory/);
  }

  // The next start tries the failed runs again and, without the fault, finishes them.
  const retry = await runStudy({ dbPath, spec, backend: 'wasm', workers: 1 }).done;
  assert.equal(retry.failed, 0);
  assert.ok(runsOf(dbPath).every((run) => run.status === 'fit' || run.status === 'did_not_fit'));
});

test('network that never fits is stored as did not fit', async () => {
  const dbPath = join(tempDir(), 'lab.sqlite');
  const spec = validateStudySpec(
    tinySpec({ trainSizes: [64], seeds: [0], data: { labelNoise: 1 }, training: { learningRate: 0.01, maxEpochs: 2 }, measures: { ids: ['param_norm', 'epochs_to_fit'] } }),
  );
  const outcome = await runStudy({ dbPath, spec, backend: 'wasm', workers: 1 }).done;
  assert.equal(outcome.failed, 0);
  const [run] = runsOf(dbPath);
  assert.equal(run?.status, 'did_not_fit');
  assert.equal(run?.epochs, 2);
  assert.ok(run?.testError !== null);
  const store = Store.open(dbPath, { readonly: true });
  const values = store.measuresFor([run!.id], 'noise=stated').get(run!.id)!;
  assert.equal(values.get('epochs_to_fit')?.raw, 2);
  store.close();
});
