import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { computeMarginalLikelihoodBound } from '../../main/bounds/marginalLikelihood.js';
import { loadDataset } from '../../main/data/datasets.js';
import { buildTaskData } from '../../main/data/tasks.js';

// Debian's dataset-fashion-mnist package, which .ci/run installs.
const installed = existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz');

test('bound lower with clean labels', { skip: installed ? false : 'Fashion-MNIST is not installed in /usr/share/datasets' }, async () => {
  // Binary task (classes 0-4 -> 0, 5-9 -> 1), pixels / 255, depth 2, sigma_w^2 2, sigma_b^2 0.01.
  // Subsets are nested, and the noisy run replaces 20% of the same subset's labels by uniform
  // random labels in {0, 1}.
  const dataset = loadDataset('fashion-mnist', 'installed');
  const kernel = { kind: 'fc', depth: 2, sigmaW2: 2, sigmaB2: 0.01 } as const;
  for (const trainSize of [100, 200, 300, 500, 800]) {
    const bounds: number[] = [];
    for (const labelNoise of [0, 0.2]) {
      const data = buildTaskData(dataset, { task: 'binary', trainSize, dataSeed: 7, labelNoise, testSize: 0 });
      const result = await computeMarginalLikelihoodBound({ x: data.train.x, inputShape: data.inputShape, labels: data.train.y, kernel });
      assert.ok(result.bound > 0, `m = ${trainSize}, noise ${labelNoise}: bound ${result.bound}`);
      assert.ok(result.bound < 1, `m = ${trainSize}, noise ${labelNoise}: bound ${result.bound}`);
      bounds.push(result.bound);
    }
    assert.ok(bounds[0]! < bounds[1]!, `m = ${trainSize}: clean bound ${bounds[0]} is not below the noisy bound ${bounds[1]}`);
  }
});
