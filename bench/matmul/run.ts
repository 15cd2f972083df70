/**
 * Benchmark of FCN training on the `wasm` backend with its own matrix products against the
 * native ones (sgemm of native/linalg, 1 and 2 threads), and against PyTorch with OpenBLAS.
 *
 * Usage: npx tsx bench/matmul/run.ts [--repeats N] [--skip-torch]
 *
 * The workload is `fcn-train` of bench/workloads.ts: the FCN 784-1024-1024-1 of
 * bench/settings.ts, trained with SGD at batch 128 on 4,096 embedded Fashion-MNIST images, one
 * warm-up epoch and then 3 timed epochs. Each configuration runs in a fresh process, set by
 * FRAGILITY_LAB_MATMUL and FRAGILITY_LAB_MATMUL_THREADS, `--repeats` times (default 2), and the
 * fastest run counts. PyTorch (Debian's python3-torch with libopenblas0-openmp, 2 threads) runs
 * bench/torch_workloads.py on the same data.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDataset } from '../../main/data/datasets.js';
import { encodeNpy } from '../../main/data/npy.js';
import { buildTaskData } from '../../main/data/tasks.js';
import { benchSettings } from '../settings.js';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(benchDir, '..');
const python = '/usr/bin/python3';
const openblasFolder = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

const { values } = parseArgs({ options: { repeats: { type: 'string' }, 'skip-torch': { type: 'boolean' } } });
const repeats = Number(values.repeats ?? 2);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats is "${values.repeats}"; it must be a positive integer`);

interface Measurement {
  seconds: number;
  samplesPerSecond: number;
  peakRssBytes: number;
}

/** Writes fcn_x.npy, fcn_y.npy and settings.json, the files that the fcn-train workload reads. */
function prepareData(dir: string): void {
  const size = benchSettings.fcn.trainSize;
  const data = buildTaskData(loadDataset('fashion-mnist', 'embedded'), { task: 'binary', trainSize: size, dataSeed: 0, labelNoise: 0 });
  writeFileSync(join(dir, 'fcn_x.npy'), encodeNpy({ dtype: 'float32', shape: [size, 28, 28, 1], data: data.train.x }));
  writeFileSync(join(dir, 'fcn_y.npy'), encodeNpy({ dtype: 'int32', shape: [size], data: data.train.y }));
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(benchSettings));
}

function lastJsonLine(text: string): Measurement {
  const line = text.trim().split('\n').filter((candidate) => candidate.startsWith('{')).pop();
  if (line === undefined) throw new Error(`no result in output:\n${text}`);
  return JSON.parse(line) as Measurement;
}

/** Runs the lab's fcn-train workload with `env` added; returns the fastest of `repeats` runs. */
function runLab(dir: string, env: Record<string, string>): Measurement {
  let best: Measurement | undefined;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, 'workloads.ts'), 'fcn-train', dir, '--backend', 'wasm'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    if (result.status !== 0) throw new Error(`fcn-train with ${JSON.stringify(env)} failed:\n${result.stderr}`);
    const measurement = lastJsonLine(result.stdout);
    if (best === undefined || measurement.samplesPerSecond > best.samplesPerSecond) best = measurement;
  }
  return best!;
}

/** Runs PyTorch's fcn-train with OpenBLAS and 2 threads; returns undefined when PyTorch is missing. */
function runTorch(dir: string): Measurement | undefined {
  if (!existsSync(python)) return undefined;
  let best: Measurement | undefined;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const env = { ...process.env, LD_LIBRARY_PATH: openblasFolder, OMP_NUM_THREADS: '2' };
    const result = spawnSync(python, [join(benchDir, 'torch_workloads.py'), 'fcn-train', dir, '2'], { encoding: 'utf8', env });
    if (result.status !== 0) {
      process.stdout.write(`PyTorch fcn-train failed, so its column is left out:\n${result.stderr.slice(-1000)}\n`);
      return undefined;
    }
    const measurement = lastJsonLine(result.stdout);
    if (best === undefined || measurement.samplesPerSecond > best.samplesPerSecond) best = measurement;
  }
  return best;
}

const configurations: { label: string; env: Record<string, string> }[] = [
  { label: 'wasm products (XNNPACK)', env: { FRAGILITY_LAB_MATMUL: 'wasm' } },
  { label: 'native sgemm, 1 thread', env: { FRAGILITY_LAB_MATMUL: 'native', FRAGILITY_LAB_MATMUL_THREADS: '1' } },
  { label: 'native sgemm, 2 threads', env: { FRAGILITY_LAB_MATMUL: 'native', FRAGILITY_LAB_MATMUL_THREADS: '2' } },
];

const dir = mkdtempSync(join(tmpdir(), 'fragility-lab-matmul-'));
try {
  prepareData(dir);
  process.stdout.write(
    `FCN 784-1024-1024-1 training, batch ${benchSettings.fcn.batchSize}, ${benchSettings.fcn.epochs} timed epochs on ${benchSettings.fcn.trainSize} images; ` +
      `best of ${repeats} run(s); ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}).\n\n`,
  );
  const torch = values['skip-torch'] ? undefined : runTorch(dir);
  const widths = [28, 12, 10, 10, 10];
  const row = (cells: string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ');
  process.stdout.write(`${row(['configuration', 'samples/s', 'vs wasm', 'vs torch', 'peak RSS'])}\n`);
  let wasmRate: number | undefined;
  for (const configuration of configurations) {
    const lab = runLab(dir, configuration.env);
    wasmRate ??= lab.samplesPerSecond;
    const versusTorch = torch === undefined ? 'n/a' : (lab.samplesPerSecond / torch.samplesPerSecond).toFixed(3);
    process.stdout.write(
      `${row([configuration.label, lab.samplesPerSecond.toFixed(0), (lab.samplesPerSecond / wasmRate).toFixed(2), versusTorch, `${Math.round(lab.peakRssBytes / 2 ** 20)} MiB`])}\n`,
    );
  }
  if (torch !== undefined) {
    process.stdout.write(`${row(['PyTorch + OpenBLAS, 2 threads', torch.samplesPerSecond.toFixed(0), '', '1.000', `${Math.round(torch.peakRssBytes / 2 ** 20)} MiB`])}\n`);
  }
} finally {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
