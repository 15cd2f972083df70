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
import { LabError } from '../util/errors.js';
import { InitialiserFactory, type InitSettings } from './init.js';
import { buildNin } from './nin.js';
import { buildResNet } from './resnet.js';
import { buildScaleInvariantFcn } from './scaleInvariantFcn.js';

export type { InitSettings } from './init.js';

export interface FcnSettings extends InitSettings {
  kind: 'fcn';
  /** Widths of the hidden ReLU layers. */
  hiddenWidths: number[];
}

export interface CnnSettings extends InitSettings {
  kind: 'cnn';
  /** Filters of each ReLU convolution. */
  filters: number[];
  /** Widths of the hidden Dense ReLU layers after flattening. */
  denseWidths: number[];
  /** Side of the square convolution kernels (default 3). */
  kernelSize?: number;
  /** Convolution padding (default 'same'). */
  padding?: 'same' | 'valid';
  /** 'max': 2x2 max pooling after every convolution (default); 'none': no pooling, as in the CNN-GP. */
  pooling?: 'max' | 'none';
}

/** Settings shared by the architectures with BatchNorm. */
export interface BatchNormSettings {
  /** Added to the variance before the square root. */
  batchNormEpsilon: number;
  /** Decay of the moving mean and variance per training step (Keras convention). */
  batchNormMomentum: number;
}

export interface ResNetSettings extends InitSettings, BatchNormSettings {
  kind: 'resnet18' | 'resnet50';
  /** Filters of the first stage; the stages have 1, 2, 4 and 8 times as many (64 in the published networks). */
  baseWidth: number;
}

export interface NinSettings extends InitSettings {
  kind: 'nin';
  /** Filters of each mlpconv block: the k x k convolution, then the two 1 x 1 convolutions. */
  blocks: number[][];
  /** Kernel side k of the first convolution of each block. */
  kernelSizes: number[];
}

export interface ScaleInvariantFcnSettings extends BatchNormSettings {
  kind: 'scale-invariant-fcn';
  /** Widths of the hidden layers: Dense without bias, BatchNorm without affine parameters, ReLU. */
  hiddenWidths: number[];
  /** sigma_w^2: kernels are drawn from N(0, weightVariance / fan_in). */
  weightVariance: number;
  /** Where each BatchNorm sits: between Dense and ReLU (folded by the measures) or after the ReLU (left in place). */
  batchNormPosition: 'before-activation' | 'after-activation';
}

export type ModelSettings = FcnSettings | CnnSettings | ResNetSettings | NinSettings | ScaleInvariantFcnSettings;
export type ModelKind = ModelSettings['kind'];

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

/**
 * Convolutions with ReLU, then optional Dense ReLU layers and the Dense logits. With `pooling: 'max'`
 * every convolution is followed by 2x2 max pooling (the lab's small CNN); with `pooling: 'none'` the
 * feature maps are flattened straight into the readout, the CNN without pooling whose NNGP limit
 * Novak et al. 2019 ("Bayesian deep convolutional networks with many channels are Gaussian
 * processes") derive, the "CNN-GP" architecture of the NNGP literature.
 */
function buildCnn(settings: CnnSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  const init = new InitialiserFactory(seed, settings);
  const model = tf.sequential({ name: 'cnn' });
  let [height, width, channels] = inputShape as [number, number, number];
  const { kernelSize = 3, padding = 'same', pooling = 'max' } = settings;
  settings.filters.forEach((filters, index) => {
    model.add(
      tf.layers.conv2d({
        ...(index === 0 ? { inputShape } : {}),
        filters,
        kernelSize,
        padding,
        activation: 'relu',
        name: `conv_${index + 1}`,
        ...init.next(kernelSize * kernelSize * channels),
      }),
    );
    channels = filters;
    if (padding === 'valid') {
      height -= kernelSize - 1;
      width -= kernelSize - 1;
    }
    if (pooling === 'max') {
      model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool_${index + 1}` }));
      height = Math.floor(height / 2);
      width = Math.floor(width / 2);
    }
  });
  if (!(height >= 1 && width >= 1)) {
    throw new LabError('invalid-input', `model.filters has ${settings.filters.length} convolutions, which shrink the ${inputShape[0]}x${inputShape[1]} input below 1x1; use fewer convolutions, "padding": "same" or "pooling": "none"`, {
      field: 'model.filters',
    });
  }
  model.add(tf.layers.flatten({ name: 'flatten' }));
  let fanIn = height * width * channels;
  settings.denseWidths.forEach((units, index) => {
    model.add(tf.layers.dense({ units, activation: 'relu', name: `dense_${index + 1}`, ...init.next(fanIn) }));
    fanIn = units;
  });
  model.add(tf.layers.dense({ units: outputCount, activation: 'linear', name: 'logits', ...init.next(fanIn) }));
  return model;
}

/**
 * Builds the network of a run; the same settings and seed give the same initial weights on every
 * backend. Input shape [height, width, channels]; the output is `outputCount` logits.
 */
export function buildModel(settings: ModelSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  switch (settings.kind) {
    case 'fcn':
      return buildFcn(settings, inputShape, outputCount, seed);
    case 'cnn':
      return buildCnn(settings, inputShape, outputCount, seed);
    case 'resnet18':
    case 'resnet50':
      return buildResNet(settings, inputShape, outputCount, seed);
    case 'nin':
      return buildNin(settings, inputShape, outputCount, seed);
    case 'scale-invariant-fcn':
      return buildScaleInvariantFcn(settings, inputShape, outputCount, seed);
  }
}

/** Number of trainable parameters (weights, biases and normalisation parameters). */
export function countParameters(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((total, weight) => total + weight.shape.reduce<number>((product, size) => product * (size ?? 1), 1), 0);
}
