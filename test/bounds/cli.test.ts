import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { command } from '../../main/cli/commands/bound.js';
import { encodeNpy } from '../../main/data/npy.js';
import { LabError } from '../../main/util/errors.js';
import { nativeSkip } from './backends.js';
import { readEpFixture, readEpInputs, readEpLabels, withinTolerance } from './fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'bound-cli-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const m = 32;
const inputs = readEpInputs().subarray(0, m * 196);
const labels = readEpLabels().subarray(0, m);
const expected = readEpFixture().results.find((entry) => entry.m === m && entry.depth === 2)!;

function writeArray(name: string, array: Parameters<typeof encodeNpy>[0]): string {
  const path = join(folder, name);
  writeFileSync(path, encodeNpy(array));
  return path;
}

const xPath = writeArray('x.npy', { dtype: 'float32', shape: [m, 14, 14, 1], data: inputs });
const yPath = writeArray('y.npy', { dtype: 'int64', shape: [m], data: labels });

/**
 * Runs the command and returns its exit code and the text it wrote to stdout. Binary chunks pass
 * through: they are the test runner's own reports to its parent process, which it writes to
 * stdout whenever a test ends, including while another test runs the command.
 */
async function runBound(args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    chunks.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await command.run(args);
    return { code, stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

test('bound command prints json with fixture keys', async () => {
  const { code, stdout } = await runBound(['--x', xPath, '--y', yPath, '--kernel', 'fc', '--depth', '2', '--json']);
  assert.equal(code, 0);
  const record = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(record), ['m', 'log_p', 'bound', 'ep_sweeps', 'delta', 'kernel', 'depth', 'sigma_w2', 'sigma_b2', 'linalg', 'duration_ms']);
  assert.ok(record.linalg === 'js' || record.linalg === 'native', `linalg ${String(record.linalg)}`);
  assert.equal(record.m, m);
  assert.ok(withinTolerance(record.log_p as number, expected.log_p, 1e-5), `log_p ${record.log_p}, expected ${expected.log_p}`);
  assert.ok(Math.abs((record.bound as number) - expected.bound) <= 1e-6);
  assert.equal(record.ep_sweeps, expected.ep_sweeps);
  assert.equal(record.delta, 2 ** -10);
  assert.equal(record.kernel, 'fc_analytic');
  assert.equal(record.sigma_w2, 2);
  assert.equal(record.sigma_b2, 0.01);
});

test('bound command honours FRAGILITY_LAB_LINALG=js', async () => {
  const previous = process.env.FRAGILITY_LAB_LINALG;
  process.env.FRAGILITY_LAB_LINALG = 'js';
  try {
    const { code, stdout } = await runBound(['--x', xPath, '--y', yPath, '--kernel', 'fc', '--depth', '2', '--json']);
    assert.equal(code, 0);
    const record = JSON.parse(stdout) as { linalg: string; log_p: number };
    assert.equal(record.linalg, 'js');
    assert.ok(withinTolerance(record.log_p, expected.log_p, 1e-5), `log_p ${record.log_p}, expected ${expected.log_p}`);
  } finally {
    if (previous === undefined) delete process.env.FRAGILITY_LAB_LINALG;
    else process.env.FRAGILITY_LAB_LINALG = previous;
  }
});

test('bound command --linalg native', { skip: nativeSkip }, async () => {
  const { code, stdout } = await runBound(['--x', xPath, '--y', yPath, '--kernel', 'fc', '--depth', '2', '--linalg', 'native', '--json']);
  assert.equal(code, 0);
  const record = JSON.parse(stdout) as { linalg: string; log_p: number };
  assert.equal(record.linalg, 'native');
  assert.ok(withinTolerance(record.log_p, expected.log_p, 1e-5), `log_p ${record.log_p}, expected ${expected.log_p}`);
});

test('bound command rejects unknown --linalg', async () => {
  await assert.rejects(runBound(['--x', xPath, '--y', yPath, '--kernel', 'fc', '--depth', '2', '--linalg', 'blas']), /--linalg is "blas"; use auto, native or js/);
});

test('bound command prints text summary', async () => {
  const { code, stdout } = await runBound(['--x', xPath, '--y', yPath, '--kernel', 'fc', '--depth', '1', '--sigma-w2', '1', '--sigma-b2', '0.1']);
  const reference = readEpFixture().results.find((entry) => entry.m === m && entry.depth === 1)!;
  assert.equal(code, 0);
  assert.match(stdout, new RegExp(`ln P\\(S\\) = ${reference.log_p.toFixed(6)}`));
  assert.match(stdout, new RegExp(`bound   = ${reference.bound.toFixed(6)}`));
  assert.match(stdout, /depth 1, sigma_w\^2 1, sigma_b\^2 0.1; (js|native) linear algebra/);
});

test('bound command accepts uint8 inputs', async () => {
  const pixels = Uint8Array.from({ length: 6 * 5 }, (_, index) => (index * 37) % 256);
  const uint8Path = writeArray('x-uint8.npy', { dtype: 'uint8', shape: [6, 5], data: pixels });
  const labelPath = writeArray('y6.npy', { dtype: 'uint8', shape: [6, 1], data: [0, 1, 1, 0, 1, 0] });
  const { code, stdout } = await runBound(['--x', uint8Path, '--y', labelPath, '--kernel', 'fc', '--depth', '2', '--json']);
  assert.equal(code, 0);
  const record = JSON.parse(stdout) as { m: number; log_p: number };
  assert.equal(record.m, 6);
  assert.ok(record.log_p < 0, `log_p ${record.log_p}`);
  assert.ok(record.log_p > 6 * Math.log(0.01), `log_p ${record.log_p}`);
});

test('bound command rejects non-binary labels', async () => {
  const badPath = writeArray('y-bad.npy', { dtype: 'int32', shape: [m], data: Array.from(labels, (label, index) => (index === 5 ? 3 : label)) });
  await assert.rejects(runBound(['--x', xPath, '--y', badPath, '--kernel', 'fc', '--depth', '2']), (error: unknown) => {
    assert.ok(error instanceof LabError);
    assert.equal(error.kind, 'invalid-input');
    assert.match(error.message, /label at index 5 is 3/);
    return true;
  });
});

test('bound command rejects mismatched label count', async () => {
  const shortPath = writeArray('y-short.npy', { dtype: 'int32', shape: [m - 1], data: labels.subarray(0, m - 1) });
  await assert.rejects(runBound(['--x', xPath, '--y', shortPath, '--kernel', 'fc', '--depth', '2']), /expected \(32,\) or \(32, 1\)/);
});

test('bound command rejects other kernels and missing depth', async () => {
  await assert.rejects(runBound(['--x', xPath, '--y', yPath, '--kernel', 'cnn', '--depth', '2']), /offers only "fc"/);
  await assert.rejects(runBound(['--x', xPath, '--y', yPath, '--kernel', 'fc']), /--depth is required/);
  await assert.rejects(runBound(['--x', xPath, '--y', yPath, '--kernel', 'fc', '--depth', '1.5']), /--depth is "1.5"/);
});

test('bound command reports memory refusal', async () => {
  // m = 600 needs about 10 MB with the sequential schedule and 6.5 MB with the parallel one.
  const largeX = writeArray('x-large.npy', { dtype: 'float64', shape: [600, 2], data: Array.from({ length: 1200 }, (_, index) => Math.sin(index)) });
  const largeY = writeArray('y-large.npy', { dtype: 'uint8', shape: [600], data: Array.from({ length: 600 }, (_, index) => index % 2) });
  await assert.rejects(runBound(['--x', largeX, '--y', largeY, '--kernel', 'fc', '--depth', '2', '--memory-limit-mb', '1']), (error: unknown) => {
    assert.ok(error instanceof LabError);
    assert.equal(error.kind, 'resource');
    assert.match(error.message, /The largest m that fits is \d+/);
    return true;
  });
});
