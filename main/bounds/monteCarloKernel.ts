/**
 * The Monte-Carlo NNGP kernel of any architecture (Novak et al. 2019, "Bayesian deep convolutional
 * networks with many channels are Gaussian processes", section 2.4): draw R freshly initialised
 * networks, take the features phi(x) that feed the last Dense layer (width n), and average
 *
 *     K(x, x') = sigma_w^2 / n phi(x) . phi(x') + sigma_b^2
 *
 * over the draws, where sigma_w^2 / n and sigma_b^2 are the variances of the last layer's weight
 * and bias initialisers. For a fully connected ReLU network this converges to the analytic kernel
 * of `fcKernel.ts` as the width and R grow.
 */
import * as tf from '@tensorflow/tfjs';
import { matrixView } from './dense.js';
import type { Executor } from './linalg.js';
import { partitionRows, throwIfCancelled } from './linalg.js';
import { truncatedNormalVariance } from './normal.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';

const log = createLogger('bounds');

export interface MonteCarloKernelSpec {
  kind: 'monte-carlo';
  /** Builds a freshly initialised network from a seed; its last Dense layer must be the output layer's readout. */
  buildModel: (seed: number) => tf.LayersModel;
  /** Number of draws R; default max(100, ceil(0.1 m)). */
  draws?: number;
  /** Batches of draws for the standard error of ln P(S) (default 5; 1 skips the standard error). */
  batches?: number;
  /** Seed of the first draw; draw r is built with `seed + r` (default 0). */
  seed?: number;
}

/** Returns the default number of draws for m examples: max(100, ceil(0.1 m)). */
export function defaultDrawCount(m: number): number {
  return Math.max(100, Math.ceil(0.1 * m));
}

export const defaultBatchCount = 5;

/**
 * Variance of TensorFlow.js 4.22's `truncatedNormal` relative to its stddev^2: it redraws values
 * beyond two standard deviations and does not rescale, so the variance is
 * 1 - 4 N(2) / (Phi(2) - Phi(-2)) = 0.77374 of the nominal one.
 */
export const truncatedNormalFactor = truncatedNormalVariance(2);

export interface InitializerVariances {
  /** Weight variance times fan-in: the weights are drawn with variance sigmaW2 / fanIn. */
  sigmaW2: number;
  /** Bias variance (0 for a zero or absent bias). */
  sigmaB2: number;
  /** Inputs of the layer (the kernel's first dimension). */
  fanIn: number;
  kernelInitializer: string;
  biasInitializer: string;
}

interface SerializedInitializer {
  className: string;
  config: Record<string, unknown>;
}

function isSerializedInitializer(value: unknown): value is SerializedInitializer {
  return typeof value === 'object' && value !== null && typeof (value as SerializedInitializer).className === 'string';
}

function numberField(config: Record<string, unknown>, name: string, fallback: number): number {
  const value = config[name];
  return typeof value === 'number' ? value : fallback;
}

/**
 * Returns the per-entry variance of the values an initialiser draws for a weight of shape
 * [fanIn, fanOut], in TensorFlow.js 4.22's semantics:
 *
 * - RandomNormal {mean 0, stddev s}: s^2.
 * - TruncatedNormal {mean 0, stddev s}: 0.77374 s^2 (truncated at 2 s without rescaling).
 * - RandomUniform {minval -a, maxval a}: (2a)^2 / 12.
 * - VarianceScaling {scale, mode, distribution} and its presets (heNormal, glorotUniform, leCunNormal,
 *   ...): v = scale / n with n = fanIn, fanOut or their mean, by mode; distribution 'normal' draws
 *   from truncatedNormal with stddev sqrt(v), so 0.77374 v; any other distribution draws uniformly
 *   on [-sqrt(3 v), sqrt(3 v)], so v. heNormal (scale 2, fanIn) thus gives 1.5475 / fanIn.
 * - Zeros, or Constant {value 0}: 0.
 *
 * Other initialisers (a non-zero mean, Ones, Orthogonal, Identity) draw no zero-mean i.i.d. values,
 * which the NNGP needs, and raise an `unsupported` LabError.
 */
export function initializerVariance(initializer: unknown, fanIn: number, fanOut: number, what: string): number {
  if (!isSerializedInitializer(initializer)) {
    throw new LabError('unsupported', `The ${what} initialiser ${JSON.stringify(initializer)} is not a serialised TensorFlow.js initialiser`);
  }
  const { className, config } = initializer;
  const requireZeroMean = (mean: number): void => {
    if (mean !== 0) throw new LabError('unsupported', `The ${what} initialiser ${className} has mean ${mean}; the NNGP kernel needs zero-mean weights`);
  };
  switch (className) {
    case 'RandomNormal': {
      requireZeroMean(numberField(config, 'mean', 0));
      return numberField(config, 'stddev', 0.05) ** 2;
    }
    case 'TruncatedNormal': {
      requireZeroMean(numberField(config, 'mean', 0));
      return truncatedNormalFactor * numberField(config, 'stddev', 0.05) ** 2;
    }
    case 'RandomUniform': {
      const low = numberField(config, 'minval', -0.05);
      const high = numberField(config, 'maxval', 0.05);
      requireZeroMean((low + high) / 2);
      return (high - low) ** 2 / 12;
    }
    case 'Zeros':
      return 0;
    case 'Constant': {
      requireZeroMean(numberField(config, 'value', 0));
      return 0;
    }
    case 'VarianceScaling':
    case 'GlorotNormal':
    case 'GlorotUniform':
    case 'HeNormal':
    case 'HeUniform':
    case 'LeCunNormal':
    case 'LeCunUniform': {
      const scale = numberField(config, 'scale', 1);
      const mode = String(config.mode ?? 'fanIn');
      let count: number;
      if (mode === 'fanIn' || mode === 'fan_in') count = Math.max(1, fanIn);
      else if (mode === 'fanOut' || mode === 'fan_out') count = Math.max(1, fanOut);
      else count = Math.max(1, (fanIn + fanOut) / 2);
      const variance = scale / count;
      return config.distribution === 'normal' ? truncatedNormalFactor * variance : variance;
    }
    default:
      throw new LabError('unsupported', `The ${what} initialiser ${className} draws no zero-mean i.i.d. values; the Monte-Carlo NNGP kernel supports RandomNormal, TruncatedNormal, RandomUniform, VarianceScaling (heNormal, glorotUniform, ...), Zeros and Constant 0`);
  }
}

/** Reads sigma_w^2 and sigma_b^2 from the initialisers of a Dense layer (see `initializerVariance`). */
export function readInitializerVariances(layer: tf.layers.Layer): InitializerVariances {
  if (layer.getClassName() !== 'Dense') {
    throw new LabError('unsupported', `Layer ${layer.name} is a ${layer.getClassName()}, not a Dense layer`);
  }
  const kernelShape = layer.weights[0]?.shape;
  if (kernelShape === undefined || kernelShape.length !== 2) {
    throw new LabError('unsupported', `Dense layer ${layer.name} has no built [fanIn, units] kernel; build the model before reading its initialisers`);
  }
  const [fanIn, fanOut] = kernelShape as [number, number];
  const config = layer.getConfig();
  const kernelInitializer = config.kernelInitializer;
  const weightVariance = initializerVariance(kernelInitializer, fanIn, fanOut, `kernel of ${layer.name}`);
  const useBias = config.useBias !== false;
  const biasVariance = useBias ? initializerVariance(config.biasInitializer, fanIn, fanOut, `bias of ${layer.name}`) : 0;
  return {
    sigmaW2: weightVariance * fanIn,
    sigmaB2: biasVariance,
    fanIn,
    kernelInitializer: isSerializedInitializer(kernelInitializer) ? kernelInitializer.className : 'unknown',
    biasInitializer: useBias && isSerializedInitializer(config.biasInitializer) ? config.biasInitializer.className : 'none',
  };
}

/** Returns the last Dense layer of a model, whose input is the feature map phi. */
export function lastDenseLayer(model: tf.LayersModel): tf.layers.Layer {
  for (let index = model.layers.length - 1; index >= 0; index--) {
    const layer = model.layers[index]!;
    if (layer.getClassName() === 'Dense') return layer;
  }
  throw new LabError('unsupported', `Model ${model.name} has no Dense layer; the Monte-Carlo NNGP kernel reads the features feeding the last Dense layer`);
}

export interface MonteCarloKernelResult {
  /** K averaged over all draws, m x m, full symmetric, from `executor.allocate`. */
  kernel: Float64Array;
  draws: number;
  /** Width n of the features feeding the last Dense layer. */
  featureWidth: number;
  variances: InitializerVariances;
}

export interface MonteCarloKernelOptions {
  executor: Executor;
  /** Called with the kernel of each batch of draws (m x m, in memory the callee may overwrite) when batches > 1. */
  onBatchKernel?: (kernel: Float64Array, batch: number, drawsInBatch: number) => Promise<void>;
  signal?: AbortSignal;
}

/**
 * Computes the Monte-Carlo NNGP kernel of `spec.buildModel` on the m inputs `x` (shape
 * [m, ...inputShape], float32, in the model's input layout). Features are computed in float32 by
 * TensorFlow.js and accumulated in float64. Each model is disposed after its draw.
 */
export async function computeMonteCarloKernel(
  x: Float32Array,
  inputShape: readonly number[],
  spec: MonteCarloKernelSpec,
  options: MonteCarloKernelOptions,
): Promise<MonteCarloKernelResult> {
  const { executor, signal } = options;
  const inputSize = inputShape.reduce((product, size) => product * size, 1);
  const m = x.length / inputSize;
  const draws = spec.draws ?? defaultDrawCount(m);
  const batches = Math.min(spec.batches ?? defaultBatchCount, draws);
  const seed = spec.seed ?? 0;
  if (!Number.isInteger(draws) || draws < 1) throw new LabError('invalid-input', `kernel.draws is ${draws}; it must be a positive integer`, { field: 'kernel.draws' });
  if (!Number.isInteger(batches) || batches < 1) throw new LabError('invalid-input', `kernel.batches is ${spec.batches}; it must be a positive integer`, { field: 'kernel.batches' });

  const total = executor.allocate(m * m);
  const batchSum = batches > 1 ? executor.allocate(m * m) : total;
  const inputs = tf.tensor(x, [m, ...inputShape], 'float32');
  let features: Float64Array | undefined;
  let variances: InitializerVariances | undefined;
  let featureWidth = 0;
  let drawIndex = 0;
  try {
    for (let batch = 0; batch < batches; batch++) {
      const drawsInBatch = Math.floor(draws / batches) + (batch < draws % batches ? 1 : 0);
      if (batches > 1) batchSum.fill(0);
      for (let draw = 0; draw < drawsInBatch; draw++, drawIndex++) {
        throwIfCancelled(signal);
        const sample = await drawFeatures(spec.buildModel(seed + drawIndex), inputs, m);
        if (variances === undefined) {
          variances = sample.variances;
          featureWidth = sample.width;
          features = executor.allocate(m * featureWidth);
        } else if (sample.width !== featureWidth || sample.variances.sigmaW2 !== variances.sigmaW2 || sample.variances.sigmaB2 !== variances.sigmaB2) {
          throw new LabError('invalid-input', `buildModel(${seed + drawIndex}) built a model whose last Dense layer differs from the first draw's (feature width ${sample.width} vs ${featureWidth}); every draw must build the same architecture`, { field: 'kernel.buildModel' });
        }
        features!.set(sample.values);
        await addFeatureProduct(batchSum, features!, m, featureWidth, variances.sigmaW2 / featureWidth, executor);
      }
      if (batches > 1) {
        for (let i = 0; i < m * m; i++) total[i] = total[i]! + batchSum[i]!;
        if (options.onBatchKernel !== undefined) {
          await finishKernel(batchSum, m, drawsInBatch, variances!.sigmaB2, executor);
          await options.onBatchKernel(batchSum, batch, drawsInBatch);
        }
      }
    }
  } finally {
    inputs.dispose();
  }
  await finishKernel(total, m, draws, variances!.sigmaB2, executor);
  log.info(`Monte-Carlo NNGP kernel: m = ${m}, ${draws} draws, feature width ${featureWidth}, sigma_w^2 ${variances!.sigmaW2.toPrecision(6)}, sigma_b^2 ${variances!.sigmaB2.toPrecision(6)}`);
  return { kernel: total, draws, featureWidth, variances: variances! };
}

/** Runs one freshly built model up to its last Dense layer and disposes it. */
async function drawFeatures(model: tf.LayersModel, inputs: tf.Tensor, m: number): Promise<{ values: Float32Array; width: number; variances: InitializerVariances }> {
  try {
    const dense = lastDenseLayer(model);
    const variances = readInitializerVariances(dense);
    // The feature model shares the layers (and weights) of `model`; disposing `model` frees them.
    const featureModel = tf.model({ inputs: model.inputs, outputs: dense.input as tf.SymbolicTensor });
    const output = featureModel.predict(inputs, { batchSize: 256 }) as tf.Tensor;
    try {
      if (output.shape.length !== 2 || output.shape[0] !== m) {
        throw new LabError('unsupported', `The features feeding the last Dense layer have shape [${output.shape.join(', ')}]; the Monte-Carlo kernel needs [m, n] (flatten or pool before the last Dense layer)`);
      }
      return { values: (await output.data()) as Float32Array, width: output.shape[1]!, variances };
    } finally {
      output.dispose();
    }
  } finally {
    model.dispose();
  }
}

/** sum += scale phi phi^T on the lower triangle, split by row ranges. */
async function addFeatureProduct(sum: Float64Array, features: Float64Array, m: number, width: number, scale: number, executor: Executor): Promise<void> {
  const sumView = matrixView(sum, m);
  const featureView = matrixView(features, width);
  await executor.run(
    partitionRows(m, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
      op: 'addProductNT' as const,
      args: [sumView, featureView, featureView, rowStart, rowEnd, 0, rowEnd, width, scale, true] as const,
    })),
  );
}

/** Turns a lower-triangle sum over `draws` draws into the full kernel: sum / draws + sigma_b^2. */
async function finishKernel(sum: Float64Array, m: number, draws: number, sigmaB2: number, executor: Executor): Promise<void> {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) sum[i * m + j] = sum[i * m + j]! / draws + sigmaB2;
  }
  const view = matrixView(sum, m);
  await executor.run(
    partitionRows(m, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
      op: 'mirrorLowerRows' as const,
      args: [view, rowStart, rowEnd] as const,
    })),
  );
}
