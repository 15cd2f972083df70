// The measure command run as a user runs it, in a child process, on a fixture model with .npy files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeNpy } from '../../main/data/npy.js';
import { repoRoot } from '../helpers/paths.js';
import type { MeasureCase } from './fixtureCases.js';
import { assertClose, deterministicIds, loadMeasureCase, measureTolerance, pacBayesIds } from './fixtureCases.js';

let folder: string;
let measureCase: MeasureCase;

before(() => {
  folder = mkdtempSync(join(tmpdir(), 'fragility-lab-measure-'));
  measureCase = loadMeasureCase('fcn_binary');
  const { m, input_shape: inputShape } = measureCase.expected;
  writeFileSync(join(folder, 'x.npy'), encodeNpy({ dtype: 'float32', shape: [m, ...inputShape], data: measureCase.x }));
  writeFileSync(join(folder, 'x_flat.npy'), encodeNpy({ dtype: 'float64', shape: [m, measureCase.x.length / m], data: measureCase.x }));
  writeFileSync(join(folder, 'x_wrong.npy'), encodeNpy({ dtype: 'float32', shape: [m, 7, 7, 4], data: measureCase.x }));
  writeFileSync(join(folder, 'y.npy'), encodeNpy({ dtype: 'int64', shape: [m], data: measureCase.y }));
});

after(() => rmSync(folder, { recursive: true, force: true }));

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = "const { main } = await import('./main/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, FRAGILITY_LAB_LOG_LEVEL: 'warn' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function modelArgs(): string[] {
  return ['--model', join(measureCase.folder, 'model'), '--init', join(measureCase.folder, 'init_model'), '--y', join(folder, 'y.npy')];
}

test('measure --json matches the fixture', () => {
  const fixed = measureCase.expected.pacbayes_fixed_sigma[0]!;
  const ids = [...deterministicIds, ...pacBayesIds];
  const result = runCli(['measure', ...modelArgs(), '--x', join(folder, 'x.npy'), '--backend', 'cpu', '--sigma', String(fixed.sigma), '--sigma-mag', String(fixed.sigma_prime), '--measures', ids.join(','), '--json']);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one line of JSON');
  const output = JSON.parse(lines[0]!) as {
    m: number;
    margin: { k: number; gamma: number };
    measures: Record<string, { raw: number; adjusted: number }>;
    task: string;
    backend: string;
  };
  assert.equal(output.m, 400);
  assert.equal(output.task, 'binary', 'the task is inferred from the single output');
  assert.equal(output.backend, 'cpu');
  assert.equal(output.margin.k, measureCase.expected.margin.k);
  assertClose(output.margin.gamma, measureCase.expected.margin.gamma, { absolute: 1e-4 * Math.max(1, measureCase.expected.margin.gamma) }, 'gamma');
  assert.deepEqual(Object.keys(output.measures), ids);
  for (const id of ids) {
    const expected = measureCase.expected.measures[id] ?? fixed.measures[id]!;
    assert.deepEqual(Object.keys(output.measures[id]!), ['raw', 'adjusted'], id);
    assertClose(output.measures[id]!.raw, expected.raw, measureTolerance(id), `${id} raw`);
    assertClose(output.measures[id]!.adjusted, expected.adjusted, measureTolerance(id), `${id} adjusted`);
  }
});

test('measure reads flattened float64 rows', () => {
  const result = runCli(['measure', ...modelArgs(), '--x', join(folder, 'x_flat.npy'), '--backend', 'cpu', '--measures', 'path_norm,inverse_margin', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const output = JSON.parse(result.stdout) as { measures: Record<string, { raw: number }> };
  assertClose(output.measures.inverse_margin!.raw, measureCase.expected.measures.inverse_margin!.raw, { relative: 2e-4 }, 'inverse_margin raw');
});

test('measure prints a table with missing reasons', () => {
  const result = runCli(['measure', '--model', join(measureCase.folder, 'model'), '--x', join(folder, 'x.npy'), '--y', join(folder, 'y.npy'), '--backend', 'cpu', '--measures', 'params,fro_dist']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /m = 400 training examples, binary task, backend cpu/);
  assert.match(result.stdout, /^params +10584 +5\.14393$/m);
  assert.match(result.stdout, /^fro_dist +missing: needs the initial network/m);
});

test('measure rejects x of the wrong shape', () => {
  const result = runCli(['measure', ...modelArgs(), '--x', join(folder, 'x_wrong.npy'), '--backend', 'cpu']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /x_wrong\.npy has shape \[400, 7, 7, 4\] but the model takes inputs of shape \[null, 14, 14, 1\]; store x as \[m, 14, 14, 1\]/);
});

test('measure rejects a task that does not fit the model', () => {
  const result = runCli(['measure', ...modelArgs(), '--x', join(folder, 'x.npy'), '--backend', 'cpu', '--task', 'multiclass']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--task multiclass needs one logit per class, but this model has one output; use --task binary/);
});

test('measure rejects unknown measure ids', () => {
  const result = runCli(['measure', ...modelArgs(), '--x', join(folder, 'x.npy'), '--measures', 'params,sharpness']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /Unknown measure id "sharpness"; use one of params, inverse_margin/);
});
