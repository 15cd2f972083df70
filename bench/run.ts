/**
 * The benchmark suite: the same workloads in the lab and in PyTorch, in one run, with throughput,
 * peak memory and the ratio lab / PyTorch. PyTorch (Debian's python3-torch, 2 threads) runs twice:
 * with OpenBLAS (libopenblas0-openmp) and with the reference BLAS (libblas3), chosen through
 * LD_LIBRARY_PATH; the targets are stated against OpenBLAS.
 *
 * Usage: npx tsx bench/run.ts [--skip-study] [--backend wasm|cpu]
 *
 * Workloads: FCN 784-1024-1024-1 training, the small CNN training, a forward pass over 10,000
 * images, the spectral norm of every layer of the FCN, the full measure set (bench/measures/run.ts,
 * whose per-measure table this prints too), and the whole quick.json study with one and with two
 * workers (and PyTorch training the same 40 networks for the same epochs, without the measures).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Store } from '../db/store.js';
import { loadDataset } from '../main/data/datasets.js';
import { encodeNpy } from '../main/data/npy.js';
import { buildTaskData } from '../main/data/tasks.js';
import { buildModel } from '../main/models/build.js';
import type { RunSettings } from '../main/studies/plan.js';
import { initBackend } from '../main/tf/backend.js';
import { describeMatMul, selectMatMul } from '../main/tf/nativeMatMul.js';
import { setLogLevel } from '../main/util/log.js';
import { benchSettings } from './settings.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(benchDir, '..');
const python = '/usr/bin/python3';
const blasFolders = { openblas: '/usr/lib/x86_64-linux-gnu/openblas-openmp', reference: '/usr/lib/x86_64-linux-gnu/blas' };

const { values } = parseArgs({ options: { 'skip-study': { type: 'boolean' }, backend: { type: 'string' } } });
const backend = values.backend ?? 'wasm';
setLogLevel('warn');

interface Measurement {
  seconds: number;
  samplesPerSecond: number;
  peakRssBytes: number;
}

function writeArray(dir: string, name: string, dtype: 'float32' | 'int32', shape: number[], data: ArrayLike<number>): void {
  writeFileSync(join(dir, `${name}.npy`), encodeNpy({ dtype, shape, data }));
}

/** Writes the data of every workload as .npy files, and the shared settings for Python. */
async function prepareData(dir: string): Promise<void> {
  const dataset = loadDataset('fashion-mnist', 'embedded');
  const sets = { fcn: benchSettings.fcn.trainSize, cnn: benchSettings.cnn.trainSize, forward: benchSettings.forwardSize };
  for (const [name, size] of Object.entries(sets)) {
    const data = buildTaskData(dataset, { task: 'binary', trainSize: size, dataSeed: 0, labelNoise: 0 });
    writeArray(dir, `${name}_x`, 'float32', [size, 28, 28, 1], data.train.x);
    writeArray(dir, `${name}_y`, 'int32', [size], data.train.y);
  }
  await initBackend('cpu');
  const model = buildModel(benchSettings.fcn.model, [28, 28, 1], 1, 0);
  for (const layerName of ['dense_1', 'dense_2', 'logits']) {
    const kernel = model.getLayer(layerName).getWeights()[0]!;
    const matrixView = tf.transpose(kernel);
    writeArray(dir, `${layerName}_kernel`, 'float32', matrixView.shape, matrixView.dataSync());
  }
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(benchSettings));
}

function lastJsonLine(text: string): Measurement {
  const line = text.trim().split('\n').filter((candidate) => candidate.startsWith('{')).pop();
  if (line === undefined) throw new Error(`no result in output:\n${text}`);
  return JSON.parse(line) as Measurement;
}

function runLab(workload: string, dir: string): Measurement {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, 'workloads.ts'), workload, dir, '--backend', backend], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`lab ${workload} failed:\n${result.stderr}`);
  return lastJsonLine(result.stdout);
}

function runTorch(workload: string, dir: string, blas: keyof typeof blasFolders): Measurement {
  const env = { ...process.env, LD_LIBRARY_PATH: blasFolders[blas], OMP_NUM_THREADS: '2' };
  const result = spawnSync(python, [join(benchDir, 'torch_workloads.py'), workload, dir, '2'], { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`PyTorch ${workload} (${blas}) failed:\n${result.stderr}`);
  return lastJsonLine(result.stdout);
}

/**
 * Runs bench/measures/run.ts, which times every measure in the lab and in PyTorch, and returns
 * its report; the lines "all measures, one call" are the full measure set of each network.
 */
function runMeasureSet(): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, 'measures', 'run.ts'), '--backend', backend], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the measure benchmark failed:\n${result.stderr.slice(-2000)}`);
  return result.stdout;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ');
}

/**
 * Runs quick.json in a fresh database with `workers` workers, each with one thread for its matrix
 * products and its bound's linear algebra (FRAGILITY_LAB_THREADS=1), so that the speed-up measures
 * the workers alone. Returns the wall time and the database.
 */
function runQuickStudy(workers: number, dir: string): { seconds: number; dbPath: string } {
  const dbPath = join(dir, `quick-${workers}.sqlite`);
  const started = performance.now();
  const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'fragility-lab.js'), 'run', join(repoRoot, 'assets', 'studies', 'quick.json'), '--db', dbPath, '--workers', String(workers), '--backend', backend], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, FRAGILITY_LAB_THREADS: '1' },
  });
  if (result.status !== 0) throw new Error(`quick study with ${workers} worker(s) failed:\n${result.stderr.slice(-2000)}`);
  return { seconds: (performance.now() - started) / 1000, dbPath };
}

/** Writes the runs of a finished quick study (settings, epochs, training indices) for torch_study.py. */
function exportStudyRuns(dbPath: string, dir: string): string {
  const store = Store.open(dbPath, { readonly: true });
  const dataset = loadDataset('fashion-mnist', 'embedded');
  const runs = store.studyRuns('quick').map((run, index) => {
    const settings = JSON.parse(run.settingsJson) as RunSettings;
    const data = buildTaskData(dataset, { task: 'binary', trainSize: run.trainSize, dataSeed: run.seed, labelNoise: settings.data.labelNoise });
    writeArray(dir, `run${index}_x`, 'float32', [run.trainSize, 28, 28, 1], data.train.x);
    writeArray(dir, `run${index}_y`, 'int32', [run.trainSize], data.train.y);
    return { index, epochs: run.epochs, model: settings.model, training: settings.training };
  });
  store.close();
  const path = join(dir, 'study_runs.json');
  writeFileSync(path, JSON.stringify(runs));
  return path;
}

const dir = mkdtempSync(join(tmpdir(), 'fragility-lab-bench-'));
try {
  await prepareData(dir);
  const products = backend === 'wasm' ? `, matrix products ${describeMatMul(selectMatMul())}` : '';
  process.stdout.write(`Fragility Lab benchmark suite: lab on ${backend}${products}, PyTorch with 2 threads; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}).\n\n`);
  const workloads = [
    { name: 'fcn-train', title: 'FCN 784-1024-1024-1 training', unit: 'samples/s' },
    { name: 'cnn-train', title: 'small CNN training', unit: 'samples/s' },
    { name: 'forward', title: 'forward pass, 10,000 images', unit: 'samples/s' },
    { name: 'spectral', title: 'spectral norm of every FCN layer', unit: 'layers/s' },
  ];
  const widths = [34, 12, 12, 12, 10, 10, 10, 10];
  process.stdout.write(`${row(['workload', 'lab', 'torch+OpenBLAS', 'torch+refBLAS', 'lab/OB', 'lab/ref', 'lab RSS', 'torch RSS'], widths)}\n`);
  for (const workload of workloads) {
    const lab = runLab(workload.name, dir);
    const openblas = runTorch(workload.name, dir, 'openblas');
    const reference = runTorch(workload.name, dir, 'reference');
    process.stdout.write(
      `${row(
        [
          `${workload.title} (${workload.unit})`,
          lab.samplesPerSecond.toPrecision(4),
          openblas.samplesPerSecond.toPrecision(4),
          reference.samplesPerSecond.toPrecision(4),
          (lab.samplesPerSecond / openblas.samplesPerSecond).toFixed(3),
          (lab.samplesPerSecond / reference.samplesPerSecond).toFixed(3),
          megabytes(lab.peakRssBytes),
          megabytes(openblas.peakRssBytes),
        ],
        widths,
      )}\n`,
    );
  }

  const measureReport = runMeasureSet();
  const wholeSets = measureReport.split('\n').filter((line) => line.startsWith('== ') || line.startsWith('all measures, one call'));
  process.stdout.write(`\nFull measure set (lab ms, PyTorch ms, lab / PyTorch time; the per-measure table follows the study):\n${wholeSets.join('\n')}\n`);

  if (!values['skip-study']) {
    const one = runQuickStudy(1, dir);
    const two = runQuickStudy(2, dir);
    const runsPath = exportStudyRuns(one.dbPath, dir);
    const torchStudy = spawnSync(python, [join(benchDir, 'torch_study.py'), runsPath, dir, '2'], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: blasFolders.openblas } });
    const torchSeconds = torchStudy.status === 0 ? (JSON.parse(torchStudy.stdout.trim().split('\n').pop()!) as { seconds: number }).seconds : Number.NaN;
    process.stdout.write(
      `\nquick.json (40 runs, trained and measured, 1 thread per worker): 1 worker ${one.seconds.toFixed(1)} s, 2 workers ${two.seconds.toFixed(1)} s, speed-up ${(one.seconds / two.seconds).toFixed(2)}x\n` +
        `PyTorch+OpenBLAS training the same 40 networks for the same epochs (no measures): ${torchSeconds.toFixed(1)} s; lab (2 workers) / PyTorch time ratio ${(two.seconds / torchSeconds).toFixed(2)}\n`,
    );
    if (torchStudy.status !== 0) process.stdout.write(`PyTorch study failed:\n${torchStudy.stderr}\n`);
  }
  process.stdout.write(`\nEvery measure, from bench/measures/run.ts:\n${measureReport}`);
} finally {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
