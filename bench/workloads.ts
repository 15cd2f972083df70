/**
 * One benchmark workload of the lab, run in a fresh process so that its peak memory is its own.
 * Prints one JSON line: {"workload", "seconds", "samplesPerSecond", "peakRssBytes", ...}.
 *
 * Usage: npx tsx bench/workloads.ts WORKLOAD DATA_DIR [--backend wasm|cpu]
 * WORKLOAD: fcn-train | cnn-train | forward | spectral. DATA_DIR holds the .npy files that
 * bench/run.ts writes (the same arrays go to the PyTorch side).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { readNpy } from '../main/data/npy.js';
import { largestSingularValueSquared } from '../main/measures/spectral.js';
import { buildModel } from '../main/models/build.js';
import { initBackend, type BackendName } from '../main/tf/backend.js';
import { evaluate, train } from '../main/training/train.js';
import { setLogLevel } from '../main/util/log.js';
import { benchSettings } from './settings.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { backend: { type: 'string' } } });
const [workload, dataDir] = positionals;
if (workload === undefined || dataDir === undefined) throw new Error('usage: workloads.ts WORKLOAD DATA_DIR [--backend NAME]');
setLogLevel('warn');
const backend = await initBackend((values.backend ?? 'wasm') as BackendName);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

function tensorFrom(name: string): { x: tf.Tensor; y: Int32Array } {
  const x = readNpy(join(dataDir!, `${name}_x.npy`));
  const y = readNpy(join(dataDir!, `${name}_y.npy`));
  return { x: tf.tensor(x.data as Float32Array, x.shape, 'float32'), y: Int32Array.from(y.data) };
}

async function timeTraining(kind: 'fcn' | 'cnn'): Promise<{ seconds: number; samples: number }> {
  const settings = kind === 'fcn' ? benchSettings.fcn : benchSettings.cnn;
  const { x, y } = tensorFrom(kind);
  const model = buildModel(settings.model, [28, 28, 1], 1, 0);
  const training = { optimizer: 'sgd' as const, learningRate: settings.learningRate, momentum: 0, batchSize: settings.batchSize, stopAtTrainAccuracy: 1, stopAtTrainLoss: null };
  // One warm-up epoch compiles the kernels; the timed epochs follow from the same state.
  await train(model, { x, y, task: 'binary', outputCount: 1 }, { ...training, maxEpochs: 1 }, 0);
  const started = performance.now();
  const result = await train(model, { x, y, task: 'binary', outputCount: 1 }, { ...training, maxEpochs: settings.epochs }, 1);
  const seconds = (performance.now() - started) / 1000;
  if (result.outcome === 'fit') throw new Error(`the ${kind} benchmark fit its data early; use harder labels`);
  return { seconds, samples: settings.epochs * x.shape[0]! };
}

async function timeForward(): Promise<{ seconds: number; samples: number }> {
  const { x, y } = tensorFrom('forward');
  const model = buildModel(benchSettings.fcn.model, [28, 28, 1], 1, 0);
  await evaluate(model, x.slice(0, 1000), y.subarray(0, 1000), 'binary', 1);
  const started = performance.now();
  for (let repeat = 0; repeat < benchSettings.forwardRepeats; repeat++) await evaluate(model, x, y, 'binary', 1);
  return { seconds: (performance.now() - started) / 1000, samples: benchSettings.forwardRepeats * x.shape[0]! };
}

function timeSpectral(): { seconds: number; samples: number } {
  const matrices = benchSettings.spectralLayers.map((name) => readNpy(join(dataDir!, `${name}.npy`)));
  const started = performance.now();
  for (const matrix of matrices) {
    const [rows, cols] = matrix.shape as [number, number];
    largestSingularValueSquared(Float64Array.from(matrix.data), rows, cols);
  }
  return { seconds: (performance.now() - started) / 1000, samples: matrices.length };
}

const result = workload === 'fcn-train' ? await timeTraining('fcn') : workload === 'cnn-train' ? await timeTraining('cnn') : workload === 'forward' ? await timeForward() : timeSpectral();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({ workload, backend: backend.name, seconds: result.seconds, samplesPerSecond: result.samples / result.seconds, peakRssBytes: peakRss, cpuSeconds: process.cpuUsage().user / 1e6 })}\n`,
);
