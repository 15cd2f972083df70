import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Store } from '../../db/store.js';
import { runStudy } from '../../main/studies/runner.js';
import { validateStudySpec } from '../../main/studies/spec.js';
import { tinySpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';

function storedResults(dbPath: string) {
  const store = Store.open(dbPath, { readonly: true });
  try {
    const runs = store.studyRuns('tiny');
    const measures = store.measuresFor(
      runs.map((run) => run.id),
      'noise=stated',
    );
    return runs.map((run) => ({
      id: run.id,
      status: run.status,
      epochs: run.epochs,
      trainError: run.trainError,
      testError: run.testError,
      testLoss: run.testLoss,
      curve: store.curve(run.id).map(({ epoch, trainLoss, trainAccuracy }) => ({ epoch, trainLoss, trainAccuracy })),
      measures: Object.fromEntries([...(measures.get(run.id) ?? new Map()).entries()].map(([id, value]) => [id, [value.raw, value.adjusted, value.missingReason]])),
    }));
  } finally {
    store.close();
  }
}

test('results do not depend on the worker count', async () => {
  const folder = tempDir();
  const spec = validateStudySpec(
    tinySpec({
      perturbations: [{ name: 'adam', kind: 'hyperparameter', changes: { training: { optimizer: 'adam', learningRate: 0.01 } } }],
      measures: { ids: ['param_norm', 'log_prod_of_spec', 'inverse_margin', 'pacbayes_orig'] },
    }),
  );
  await runStudy({ dbPath: join(folder, 'one.sqlite'), spec, backend: 'wasm', workers: 1 }).done;
  await runStudy({ dbPath: join(folder, 'two.sqlite'), spec, backend: 'wasm', workers: 2 }).done;
  const one = storedResults(join(folder, 'one.sqlite'));
  const two = storedResults(join(folder, 'two.sqlite'));
  assert.equal(one.length, 8);
  for (const [index, run] of one.entries()) assert.deepEqual(two[index], run, `run ${run.id}`);
});
