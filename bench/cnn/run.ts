/**
 * Benchmark of CNN training on the `wasm` backend with the lab's kernel fixes, against `cpu`.
 *
 * Usage: npx tsx bench/cnn/run.ts [--wasm-steps N] [--cpu-steps N] [--profile-steps N] [--repeats N]
 *
 * The network is the lab's CNN with filters [32, 64]: 3x3 'same' ReLU convolutions, each followed
 * by 2x2 max pooling, then the logit, with no hidden Dense layer as in a study's defaults. It is
 * trained with plain SGD (learning rate 0.01) on batches of 64 embedded Fashion-MNIST images
 * (28x28x1, binary task), one step at a time as main/training/train.ts does. A `cpu` step takes
 * minutes, so `cpu` runs one step by default (--cpu-steps 0 skips it). The program prints:
 *
 * - samples per second of training on each backend, by wall time and by process CPU time
 *   (other processes may share the cores, which inflates wall time but not CPU time);
 * - the share of a wasm training step spent in each kernel (tf.profile over several steps);
 * - each replaced wasm kernel against the built-in one it replaces, on the CNN's shapes.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadDataset } from '../../main/data/datasets.js';
import { buildTaskData } from '../../main/data/tasks.js';
import type { CnnSettings } from '../../main/models/build.js';
import { buildModel } from '../../main/models/build.js';
import { initBackend } from '../../main/tf/backend.js';
import type { TrainingSettings } from '../../main/training/train.js';
import { crossEntropy, makeOptimizer } from '../../main/training/train.js';
import { setLogLevel } from '../../main/util/log.js';
import { Rng } from '../../main/util/rng.js';

const batchSize = 64;
const modelSettings: CnnSettings = { kind: 'cnn', filters: [32, 64], denseWidths: [], weightVariance: 2, biasStd: 0.1 };
const trainingSettings: TrainingSettings = {
  optimizer: 'sgd',
  learningRate: 0.01,
  momentum: 0,
  batchSize,
  maxEpochs: 1,
  stopAtTrainAccuracy: 1,
  stopAtTrainLoss: null,
};
const replacedKernels = ['Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad'] as const;

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

interface Trainer {
  step(): void;
  dispose(): void;
}

/** Builds the model, optimizer and data on the current backend; `step` trains on the next shuffled batch as train() does. */
function makeTrainer(x: Float32Array, y: Int32Array, inputShape: [number, number, number]): Trainer {
  const count = y.length;
  const model = buildModel(modelSettings, inputShape, 1, 1);
  const optimizer = makeOptimizer(trainingSettings);
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const images = tf.tensor4d(x, [count, ...inputShape]);
  const labels = tf.tensor1d(y, 'int32');
  const order = new Rng(1, 'bench-shuffle').permutation(count);
  let start = 0;
  return {
    step() {
      if (start + batchSize > count) start = 0;
      const end = start + batchSize;
      tf.tidy(() => {
        const batch = tf.tensor1d(order.subarray(start, end), 'int32');
        const xb = tf.gather(images, batch);
        const yb = tf.gather(labels, batch);
        optimizer.minimize(() => crossEntropy(model.apply(xb, { training: true }) as tf.Tensor, yb, 'binary', 1), false, variables);
      });
      start = end;
    },
    dispose() {
      tf.dispose([images, labels]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

interface Throughput {
  wallMs: number;
  cpuMs: number;
  steps: number;
}

function timeSteps(trainer: Trainer, steps: number): Throughput {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let step = 0; step < steps; step++) trainer.step();
  return { wallMs: performance.now() - wallStart, cpuMs: cpuMsSince(cpuStart), steps };
}

function describeThroughput(backend: string, result: Throughput): string {
  const samples = result.steps * batchSize;
  const perWall = samples / (result.wallMs / 1000);
  const perCpu = samples / (result.cpuMs / 1000);
  return `${backend.padEnd(5)} ${String(result.steps).padStart(5)} steps  ${(result.wallMs / result.steps).toFixed(1).padStart(8)} ms/step wall  ${(result.cpuMs / result.steps).toFixed(1).padStart(8)} ms/step CPU  ${perWall.toFixed(1).padStart(8)} samples/s wall  ${perCpu.toFixed(1).padStart(8)} samples/s CPU`;
}

/** Profiles `steps` training steps and returns the kernel time per kernel name, in ms per step. */
async function profileKernels(trainer: Trainer, steps: number): Promise<{ byKernel: Map<string, number>; wallMsPerStep: number }> {
  const byKernel = new Map<string, number>();
  const wallStart = performance.now();
  for (let step = 0; step < steps; step++) {
    const info = await tf.profile(() => trainer.step());
    for (const kernel of info.kernels) {
      const timeMs = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : Number.NaN;
      byKernel.set(kernel.name, (byKernel.get(kernel.name) ?? 0) + timeMs / steps);
    }
  }
  return { byKernel, wallMsPerStep: (performance.now() - wallStart) / steps };
}

function printProfile(byKernel: Map<string, number>, wallMsPerStep: number): void {
  const totalMs = [...byKernel.values()].reduce((sum, value) => sum + value, 0);
  write(`kernel time ${totalMs.toFixed(1)} ms per profiled step of ${wallMsPerStep.toFixed(1)} ms wall`);
  write(`${'kernel'.padEnd(24)} ${'ms/step'.padStart(9)} ${'share'.padStart(7)}`);
  const rows = [...byKernel.entries()].sort((a, b) => b[1] - a[1]);
  for (const [name, ms] of rows) {
    if (ms / totalMs < 0.005) continue;
    write(`${name.padEnd(24)} ${ms.toFixed(2).padStart(9)} ${((100 * ms) / totalMs).toFixed(1).padStart(6)}%`);
  }
}

interface KernelCall {
  label: string;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  attrs: Record<string, unknown>;
}

/** Times `repeats` calls of `kernelFunc` after one warm-up call and returns the mean wall and CPU ms per call. */
function timeKernel(backend: BackendWasm, kernelFunc: tf.KernelConfig['kernelFunc'], call: KernelCall, repeats: number): { wallMs: number; cpuMs: number } {
  const run = (): void => {
    const output = kernelFunc({ inputs: call.inputs, backend, attrs: call.attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    backend.disposeData(output.dataId);
  };
  run();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let repeat = 0; repeat < repeats; repeat++) run();
  return { wallMs: (performance.now() - wallStart) / repeats, cpuMs: cpuMsSince(cpuStart) / repeats };
}

/** Lists the replaced kernels' calls in one training step of the CNN, plus the forward Conv2D of layer 2 as a yardstick. */
function cnnKernelCalls(): KernelCall[] {
  const pool = (height: number, channels: number, kernelName: 'MaxPoolGrad' | 'AvgPoolGrad', layer: number): KernelCall => {
    const input = tf.randomNormal([batchSize, height, height, channels]);
    const dy = tf.randomNormal([batchSize, height / 2, height / 2, channels]);
    const inputs: Record<string, tf.Tensor> = kernelName === 'MaxPoolGrad' ? { dy, input, output: tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid') } : { dy, input };
    return { label: `${kernelName} pool ${layer} [${input.shape.join(',')}]`, kernelName, inputs, attrs: { filterSize: 2, strides: 2, pad: 'valid' } };
  };
  const x2 = tf.randomNormal([batchSize, 14, 14, 32]);
  const w2 = tf.randomNormal([3, 3, 32, 64]);
  const dy2 = tf.randomNormal([batchSize, 14, 14, 64]);
  const x1 = tf.randomNormal([batchSize, 28, 28, 1]);
  const dy1 = tf.randomNormal([batchSize, 28, 28, 32]);
  const convAttrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
  return [
    { label: 'Conv2D conv 2 forward (yardstick)', kernelName: 'Conv2D', inputs: { x: x2, filter: w2 }, attrs: { ...convAttrs, dilations: 1 } },
    { label: 'Conv2DBackpropFilter conv 1', kernelName: 'Conv2DBackpropFilter', inputs: { x: x1, dy: dy1 }, attrs: { ...convAttrs, filterShape: [3, 3, 1, 32] } },
    { label: 'Conv2DBackpropFilter conv 2', kernelName: 'Conv2DBackpropFilter', inputs: { x: x2, dy: dy2 }, attrs: { ...convAttrs, filterShape: [3, 3, 32, 64] } },
    { label: 'Conv2DBackpropInput conv 2', kernelName: 'Conv2DBackpropInput', inputs: { dy: dy2, filter: w2 }, attrs: { ...convAttrs, inputShape: x2.shape } },
    pool(28, 32, 'MaxPoolGrad', 1),
    pool(14, 64, 'MaxPoolGrad', 2),
    pool(28, 32, 'AvgPoolGrad', 1),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'wasm-steps': { type: 'string', default: '30' },
      'cpu-steps': { type: 'string', default: '1' },
      'profile-steps': { type: 'string', default: '5' },
      repeats: { type: 'string', default: '5' },
    },
  });
  const wasmSteps = Number(values['wasm-steps']);
  const cpuSteps = Number(values['cpu-steps']);
  const profileSteps = Number(values['profile-steps']);
  const repeats = Number(values.repeats);
  setLogLevel('warn');

  write(`CNN training benchmark: filters [32, 64], batch ${batchSize}, Fashion-MNIST 28x28x1 (embedded), binary task, SGD`);
  write(`tfjs ${tf.version.tfjs}, Node ${process.versions.node}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg()[0]!.toFixed(1)}`);

  const data = buildTaskData(loadDataset('fashion-mnist', 'embedded'), { task: 'binary', trainSize: 2048, dataSeed: 1, labelNoise: 0 });

  // The built-in kernels are kept before initBackend replaces them, for the per-kernel comparison.
  await tf.setBackend('wasm');
  const builtIn = new Map(replacedKernels.map((name) => [name, tf.getKernel(name, 'wasm')!.kernelFunc]));
  await initBackend('wasm');

  write('\nTraining throughput');
  const wasmTrainer = makeTrainer(data.train.x, data.train.y, data.inputShape);
  timeSteps(wasmTrainer, 2);
  write(describeThroughput('wasm', timeSteps(wasmTrainer, wasmSteps)));
  if (cpuSteps > 0) {
    // A cpu step takes minutes, so it gets no warm-up step: JIT compilation is a negligible part of it (an estimate).
    await tf.setBackend('cpu');
    const cpuTrainer = makeTrainer(data.train.x, data.train.y, data.inputShape);
    write(describeThroughput('cpu', timeSteps(cpuTrainer, cpuSteps)));
    cpuTrainer.dispose();
  }

  await tf.setBackend('wasm');
  write(`\nShare of a wasm training step per kernel (tf.profile, ${profileSteps} steps)`);
  const profile = await profileKernels(wasmTrainer, profileSteps);
  printProfile(profile.byKernel, profile.wallMsPerStep);
  wasmTrainer.dispose();

  write(`\nKernels on the CNN's shapes, ms per call (mean of ${repeats}), wall / CPU`);
  const backend = tf.backend() as BackendWasm;
  const calls = cnnKernelCalls();
  write(`${'call'.padEnd(44)} ${'lab kernel'.padStart(17)} ${'built-in kernel'.padStart(17)}`);
  for (const call of calls) {
    const lab = timeKernel(backend, tf.getKernel(call.kernelName, 'wasm')!.kernelFunc, call, repeats);
    const original = builtIn.get(call.kernelName as (typeof replacedKernels)[number]);
    const reference = original === undefined ? undefined : timeKernel(backend, original, call, repeats);
    const format = (timing: { wallMs: number; cpuMs: number } | undefined): string => (timing === undefined ? '-' : `${timing.wallMs.toFixed(1)} / ${timing.cpuMs.toFixed(1)}`);
    write(`${call.label.padEnd(44)} ${format(lab).padStart(17)} ${format(reference).padStart(17)}`);
  }
  write(`\nload average at the end ${loadavg()[0]!.toFixed(1)}`);
}

await main();
