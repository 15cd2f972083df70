/**
 * Benchmark of the measure engine against the same computation in PyTorch.
 *
 * Usage: npx tsx bench/measures/run.ts [--backend wasm|cpu] [--epochs N]
 *
 * Two networks: the FCN of the measure fixtures (fcn_multiclass, 196-64-32-10, m = 600) and a
 * 784-1024-1024-1 FCN trained briefly on the first 1,000 Fashion-MNIST training images (pixels / 255,
 * label 1 for classes 5-9). Every measure is timed alone, from scratch (its forward passes, norms
 * and searches included), then all measures in one call. The same weights and data go to
 * torch_measures.py through .npy files, which PyTorch (Debian's python3-torch, 2 threads) times
 * the same way. The sigma searches draw different noise in the two programs, so their sigmas agree
 * only in distribution and their search times depend on how many bisection steps each needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { readIdx } from '../../main/data/idx.js';
import { encodeNpy } from '../../main/data/npy.js';
import { computeMeasures } from '../../main/measures/compute.js';
import { postTrainingMeasureIds } from '../../main/measures/registry.js';
import { largestSingularValueSquared } from '../../main/measures/spectral.js';
import type { Task } from '../../main/measures/types.js';
import { extractFoldedNetwork } from '../../main/measures/weights.js';
import type { FoldedNetwork } from '../../main/measures/weights.js';
import { deserializeLayersModel, loadLayersModelFromFolder, serializeLayersModel } from '../../main/models/layersModel.js';
import type { BackendName } from '../../main/tf/backend.js';
import { initBackend } from '../../main/tf/backend.js';
import { setLogLevel } from '../../main/util/log.js';
import { fixturesDir } from '../../test/helpers/paths.js';
import { inputTensor, loadMeasureCase } from '../../test/measures/fixtureCases.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const fashionMnist = '/usr/share/datasets/fashion-mnist';
const ids = postTrainingMeasureIds.filter((id) => id !== 'epochs_to_fit');
const seed = 1;

interface BenchCase {
  label: string;
  model: tf.LayersModel;
  initModel: tf.LayersModel;
  x: tf.Tensor;
  y: Int32Array;
  task: Task;
}

interface TorchResult {
  threads: number;
  torch: string;
  seconds: Record<string, number>;
  all_seconds: number;
  raw: Record<string, number>;
  /** [sigma, bisection steps] of the plain and the magnitude-aware search. */
  sigma: [number, number];
  sigma_mag: [number, number];
}

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function fixtureCase(): Promise<BenchCase> {
  const measureCase = loadMeasureCase('fcn_multiclass');
  const folder = join(fixturesDir(), 'measures', 'fcn_multiclass');
  return {
    label: 'fixture FCN 196-64-32-10, multiclass, m = 600',
    model: await loadLayersModelFromFolder(join(folder, 'model')),
    initModel: await loadLayersModelFromFolder(join(folder, 'init_model')),
    x: inputTensor(measureCase),
    y: measureCase.y,
    task: 'multiclass',
  };
}

/** Trains the 784-1024-1024-1 FCN on 1,000 Fashion-MNIST images, classes 0-4 against 5-9. */
async function wideCase(epochs: number): Promise<BenchCase> {
  const m = 1000;
  const images = readIdx(join(fashionMnist, 'train-images-idx3-ubyte.gz'));
  const labels = readIdx(join(fashionMnist, 'train-labels-idx1-ubyte.gz'));
  const pixels = Float32Array.from(images.data.subarray(0, m * 784), (value) => value / 255);
  const y = Int32Array.from(labels.data.subarray(0, m), (label) => (label >= 5 ? 1 : 0));
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 1024, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 11 }), name: 'dense1' }),
      tf.layers.dense({ units: 1024, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 12 }), name: 'dense2' }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.heNormal({ seed: 13 }), name: 'logit' }),
    ],
  });
  const initModel = await deserializeLayersModel(await serializeLayersModel(model));
  const x = tf.tensor2d(pixels, [m, 784]);
  const targets = tf.tensor2d(Float32Array.from(y), [m, 1]);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: (labelsTensor: tf.Tensor, logits: tf.Tensor) => tf.losses.sigmoidCrossEntropy(labelsTensor, logits) });
  const startedMs = performance.now();
  await model.fit(x, targets, { epochs, batchSize: 64, shuffle: false, verbose: 0 });
  write(`trained the 784-1024-1024-1 FCN for ${epochs} epochs on m = ${m} in ${Math.round(performance.now() - startedMs)} ms`);
  targets.dispose();
  return { label: 'FCN 784-1024-1024-1, binary (Fashion-MNIST 0-4 vs 5-9), m = 1000', model, initModel, x, y, task: 'binary' };
}

/** Writes the weights and data for torch_measures.py. */
function writeTorchInputs(benchCase: BenchCase, folder: string): void {
  mkdirSync(folder, { recursive: true });
  const trained = extractFoldedNetwork(benchCase.model) as FoldedNetwork;
  const initial = extractFoldedNetwork(benchCase.initModel) as FoldedNetwork;
  const m = benchCase.y.length;
  writeFileSync(join(folder, 'x.npy'), encodeNpy({ dtype: 'float32', shape: [m, benchCase.x.size / m], data: benchCase.x.dataSync() }));
  writeFileSync(join(folder, 'y.npy'), encodeNpy({ dtype: 'int64', shape: [m], data: benchCase.y }));
  trained.weightLayers.forEach((layer, i) => {
    writeFileSync(join(folder, `W${i}.npy`), encodeNpy({ dtype: 'float32', shape: layer.kernelShape, data: layer.kernel }));
    writeFileSync(join(folder, `b${i}.npy`), encodeNpy({ dtype: 'float32', shape: [layer.bias!.length], data: layer.bias! }));
    writeFileSync(join(folder, `W0_${i}.npy`), encodeNpy({ dtype: 'float32', shape: layer.kernelShape, data: initial.weightLayers[i]!.kernel }));
  });
  writeFileSync(join(folder, 'meta.json'), JSON.stringify({ task: benchCase.task, layers: trained.weightLayers.length, seed }));
}

function runTorch(folder: string): TorchResult {
  const result = spawnSync('/usr/bin/python3', [join(benchDir, 'torch_measures.py'), folder], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`torch_measures.py failed (exit ${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as TorchResult;
}

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  return Math.abs(value) >= 1e5 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(4) : value.toPrecision(6);
}

async function benchmark(benchCase: BenchCase, folder: string): Promise<void> {
  const base = { model: benchCase.model, initModel: benchCase.initModel, x: benchCase.x, y: benchCase.y, task: benchCase.task, options: { noise: 'stated' as const, seed } };
  const labMs: Record<string, number> = {};
  const labRaw: Record<string, number> = {};
  await computeMeasures({ ...base, ids: ['params'] }); // warm-up: kernel compilation and first allocations
  for (const id of ids) {
    const startedMs = performance.now();
    const report = await computeMeasures({ ...base, ids: [id] });
    labMs[id] = performance.now() - startedMs;
    const value = report.values[id]!;
    labRaw[id] = 'raw' in value ? value.raw : NaN;
  }
  const allStartedMs = performance.now();
  const all = await computeMeasures({ ...base, ids });
  const allMs = performance.now() - allStartedMs;

  writeTorchInputs(benchCase, folder);
  const torch = runTorch(folder);

  write('');
  write(`== ${benchCase.label}`);
  write(`lab: TensorFlow.js ${tf.version.tfjs} on ${tf.getBackend()}; PyTorch ${torch.torch} with ${torch.threads} threads; train accuracy ${all.trainAccuracy.toFixed(4)}`);
  for (const [id, torchSearch] of [['pacbayes_flatness', torch.sigma], ['pacbayes_mag_flatness', torch.sigma_mag]] as const) {
    const value = all.values[id];
    const details = value !== undefined && 'details' in value ? value.details : undefined;
    const labSigma = Number(details?.sigma ?? details?.sigmaPrime);
    const labSteps = Number(details?.searchSteps);
    // Time of one perturbed pass over the training set, from the measure's time alone (its search dominates).
    const labPassMs = labMs[id]! / (10 * labSteps);
    const torchPassMs = (torch.seconds[id]! * 1000) / (10 * torchSearch[1]);
    write(
      `${id === 'pacbayes_flatness' ? 'sigma ' : "sigma'"} search: lab ${labSigma} in ${labSteps} steps, ${labPassMs.toFixed(1)} ms per perturbed pass; PyTorch ${torchSearch[0]} in ${torchSearch[1]} steps, ${torchPassMs.toFixed(1)} ms per pass; ratio per pass ${(labPassMs / torchPassMs).toFixed(2)}`,
    );
  }
  const width = Math.max(...ids.map((id) => id.length));
  write(`${'measure'.padEnd(width)}  ${'lab ms'.padStart(9)}  ${'torch ms'.padStart(9)}  ${'lab/torch'.padStart(9)}  ${'lab raw'.padStart(11)}  ${'torch raw'.padStart(11)}`);
  for (const id of ids) {
    const torchMs = torch.seconds[id]! * 1000;
    write(
      `${id.padEnd(width)}  ${labMs[id]!.toFixed(1).padStart(9)}  ${torchMs.toFixed(1).padStart(9)}  ${(labMs[id]! / torchMs).toFixed(2).padStart(9)}  ${format(labRaw[id]).padStart(11)}  ${format(torch.raw[id]).padStart(11)}`,
    );
  }
  write(`${'all measures, one call'.padEnd(width)}  ${allMs.toFixed(1).padStart(9)}  ${(torch.all_seconds * 1000).toFixed(1).padStart(9)}  ${(allMs / (torch.all_seconds * 1000)).toFixed(2).padStart(9)}`);
}

/** Lanczos against plain power iteration (all-ones start) on one kernel: steps and time to the same value. */
function compareSpectralMethods(label: string, kernel: Float64Array, rows: number, cols: number, maxIterations: number): void {
  const startedMs = performance.now();
  const lanczos = largestSingularValueSquared(kernel, rows, cols);
  const lanczosMs = performance.now() - startedMs;
  const powerStartedMs = performance.now();
  let v = new Float64Array(cols).fill(1 / Math.sqrt(cols));
  const u = new Float64Array(rows);
  let estimate = 0;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += kernel[i * cols + j]! * v[j]!;
      u[i] = sum;
    }
    const w = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[j] = w[j]! + u[i]! * kernel[i * cols + j]!;
    estimate = w.reduce((total, value, j) => total + value * v[j]!, 0);
    const norm = Math.sqrt(w.reduce((total, value) => total + value * value, 0));
    v = w.map((value) => value / norm);
    if (Math.abs(estimate - lanczos.value) <= 1e-6 * lanczos.value) break;
  }
  const powerMs = performance.now() - powerStartedMs;
  const error = Math.abs(estimate - lanczos.value) / lanczos.value;
  write(
    `${label} (${rows}x${cols}): Lanczos ${lanczos.steps} steps, ${lanczosMs.toFixed(0)} ms; power iteration ${iterations} steps, ${powerMs.toFixed(0)} ms, relative error ${error.toExponential(2)}${error > 1e-6 ? ' (stopped at the step limit)' : ''}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: 'string' }, epochs: { type: 'string' } } });
  setLogLevel('warn');
  const backend = await initBackend((values.backend ?? 'wasm') as BackendName);
  write(`backend ${backend.name} (${backend.device}), ${tf.version.tfjs}`);
  const folder = mkdtempSync(join(tmpdir(), 'fragility-lab-bench-'));
  try {
    const small = await fixtureCase();
    await benchmark(small, join(folder, 'fixture'));
    const wide = await wideCase(Number(values.epochs ?? 3));
    await benchmark(wide, join(folder, 'wide'));

    write('');
    const trained = extractFoldedNetwork(wide.model) as FoldedNetwork;
    const initial = extractFoldedNetwork(wide.initModel) as FoldedNetwork;
    for (const [label, network] of [['trained dense2', trained], ['initial dense2', initial]] as const) {
      const layer = network.weightLayers[1]!;
      compareSpectralMethods(label, layer.kernel, 1024, 1024, 1500);
    }
    for (const benchCase of [small, wide]) tf.dispose([benchCase.x]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();
