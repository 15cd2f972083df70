/**
 * The architectures a study trains, built as TensorFlow.js layers models whose output is the
 * logits (one for the binary task, one per class otherwise).
 *
 * Initialisation follows the learning-curve literature: kernels from the untruncated
 * N(0, weightVariance / fan_in) (weightVariance = 2 is He's variance) and biases from
 * N(0, biasStd^2). TensorFlow.js's `heNormal` truncates at two standard deviations without
 * rescaling (actual variance about 0.774 x 2 / fan_in) and its default biases are zero, so neither
 * default fits; each layer gets a `randomNormal` initialiser with its own stddev instead, which
 * also records the variances in model.json for the NNGP kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export interface InitSettings {
  /** sigma_w^2: kernels are drawn from N(0, weightVariance / fan_in). */
  weightVariance: number;
  /** sigma_b: biases are drawn from N(0, biasStd^2). */
  biasStd: number;
}

export interface FcnSettings extends InitSettings {
  kind: 'fcn';
  /** Widths of the hidden ReLU layers. */
  hiddenWidths: number[];
}

export interface CnnSettings extends InitSettings {
  kind: 'cnn';
  /** Filters of each 3x3 ReLU convolution; each is followed by 2x2 max pooling. */
  filters: number[];
  /** Widths of the hidden Dense ReLU layers after flattening. */
  denseWidths: number[];
}

export type ModelSettings = FcnSettings | CnnSettings;

/** Builds seeded initialisers, one seed per layer, so that a run's initial weights are reproducible. */
class InitialiserFactory {
  private layerIndex = 0;

  constructor(
    private readonly seed: number,
    private readonly settings: InitSettings,
  ) {}

  next(fanIn: number): { kernelInitializer: Initializer; biasInitializer: Initializer } {
    const index = this.layerIndex++;
    const kernelSeed = new Rng(this.seed, 'init', index, 'kernel').nextUint32();
    const biasSeed = new Rng(this.seed, 'init', index, 'bias').nextUint32();
    return {
      kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(this.settings.weightVariance / fanIn), seed: kernelSeed }),
      biasInitializer:
        this.settings.biasStd > 0
          ? tf.initializers.randomNormal({ mean: 0, stddev: this.settings.biasStd, seed: biasSeed })
          : tf.initializers.zeros(),
    };
  }
}

function buildFcn(settings: FcnSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  const init = new InitialiserFactory(seed, settings);
  const model = tf.sequential({ name: 'fcn' });
  model.add(tf.layers.flatten({ inputShape, name: 'flatten' }));
  let fanIn = inputShape.reduce((product, size) => product * size, 1);
  settings.hiddenWidths.forEach((width, index) => {
    model.add(tf.layers.dense({ units: width, activation: 'relu', name: `dense_${index + 1}`, ...init.next(fanIn) }));
    fanIn = width;
  });
  model.add(tf.layers.dense({ units: outputCount, activation: 'linear', name: 'logits', ...init.next(fanIn) }));
  return model;
}

function buildCnn(settings: CnnSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  const init = new InitialiserFactory(seed, settings);
  const model = tf.sequential({ name: 'cnn' });
  let [height, width, channels] = inputShape as [number, number, number];
  settings.filters.forEach((filters, index) => {
    model.add(
      tf.layers.conv2d({
        ...(index === 0 ? { inputShape } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: `conv_${index + 1}`,
        ...init.next(9 * channels),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool_${index + 1}` }));
    channels = filters;
    height = Math.floor(height / 2);
    width = Math.floor(width / 2);
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  let fanIn = height * width * channels;
  settings.denseWidths.forEach((units, index) => {
    model.add(tf.layers.dense({ units, activation: 'relu', name: `dense_${index + 1}`, ...init.next(fanIn) }));
    fanIn = units;
  });
  model.add(tf.layers.dense({ units: outputCount, activation: 'linear', name: 'logits', ...init.next(fanIn) }));
  return model;
}

/** Builds the network of a run; the same settings and seed give the same initial weights on every backend. */
export function buildModel(settings: ModelSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  switch (settings.kind) {
    case 'fcn':
      return buildFcn(settings, inputShape, outputCount, seed);
    case 'cnn':
      return buildCnn(settings, inputShape, outputCount, seed);
  }
}

/** Number of trainable parameters (weights, biases and normalisation parameters). */
export function countParameters(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((total, weight) => total + weight.shape.reduce<number>((product, size) => product * (size ?? 1), 1), 0);
}
