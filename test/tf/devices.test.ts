// The worker plan's thread share for each worker, with and without the host's own cap.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { cpus } from 'node:os';
import { planWorkers, threadBudget } from '../../main/tf/devices.js';

const saved = process.env.FRAGILITY_LAB_THREADS;
const cores = Math.max(1, cpus().length);

afterEach(() => {
  if (saved === undefined) delete process.env.FRAGILITY_LAB_THREADS;
  else process.env.FRAGILITY_LAB_THREADS = saved;
});

test('worker threads split the cores', () => {
  delete process.env.FRAGILITY_LAB_THREADS;
  assert.equal(planWorkers('wasm', 1).envFor(0).FRAGILITY_LAB_THREADS, String(cores));
  assert.equal(planWorkers('wasm', cores).envFor(0).FRAGILITY_LAB_THREADS, '1');
  assert.equal(planWorkers('wasm', 4 * cores).envFor(3).FRAGILITY_LAB_THREADS, '1');
});

test('host thread cap limits workers', () => {
  process.env.FRAGILITY_LAB_THREADS = '1';
  assert.equal(planWorkers('wasm', 1).envFor(0).FRAGILITY_LAB_THREADS, '1');
  assert.equal(threadBudget(), 1);
});

test('host cap above share is ignored', () => {
  process.env.FRAGILITY_LAB_THREADS = String(4 * cores);
  assert.equal(planWorkers('cpu', 1).envFor(0).FRAGILITY_LAB_THREADS, String(cores));
  assert.equal(threadBudget(), 4 * cores);
});

test('invalid host cap means no cap', () => {
  for (const value of ['0', '-2', '1.5', 'two', '']) {
    process.env.FRAGILITY_LAB_THREADS = value;
    assert.equal(planWorkers('wasm', 1).envFor(0).FRAGILITY_LAB_THREADS, String(cores), `FRAGILITY_LAB_THREADS="${value}"`);
    assert.equal(threadBudget(), cores, `FRAGILITY_LAB_THREADS="${value}"`);
  }
});
