/**
 * A scale-invariant fully connected network: every hidden layer is a Dense layer without bias, a
 * BatchNorm without affine parameters and a ReLU (or Dense, ReLU, BatchNorm with
 * `batchNormPosition: 'after-activation'`), and the Dense readout has no bias and is frozen
 * (`trainable: false`), so it keeps its initial weights.
 *
 * Scale invariance: multiplying the kernel of hidden layer i by any c > 0 multiplies the input of
 * its BatchNorm by c (ReLU is positively homogeneous), and the BatchNorm divides it out, so with
 * batch statistics the network computes the same function up to epsilon:
 * (c z - c mu) / sqrt(c^2 var + eps) = (z - mu) / sqrt(var + eps / c^2). Every trainable parameter
 * is such a kernel, so the training loss L satisfies L(c w) = L(w) for each layer's kernel. This is
 * the setting of Li and Arora 2020 ("An exponential learning rate schedule for deep learning",
 * ICLR 2020), where weight decay and an exponentially growing learning rate are interchangeable.
 *
 * The BatchNorm layers are `AffineFreeBatchNormalization` (batchNorm.ts), because the built-in
 * layer cannot train without gamma and beta in TensorFlow.js 4.22.
 */
import * as tf from '@tensorflow/tfjs';
import { AffineFreeBatchNormalization } from './batchNorm.js';
import type { ScaleInvariantFcnSettings } from './build.js';
import { InitialiserFactory } from './init.js';

/** Builds the scale-invariant FCN (a Sequential model) for inputs [height, width, channels]. */
export function buildScaleInvariantFcn(settings: ScaleInvariantFcnSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  const init = new InitialiserFactory(seed, { weightVariance: settings.weightVariance, biasStd: 0 });
  const model = tf.sequential({ name: 'scale_invariant_fcn' });
  model.add(tf.layers.flatten({ inputShape, name: 'flatten' }));
  let fanIn = inputShape.reduce((product, size) => product * size, 1);
  const normalization = (index: number) =>
    new AffineFreeBatchNormalization({ name: `bn_${index + 1}`, epsilon: settings.batchNormEpsilon, momentum: settings.batchNormMomentum });
  settings.hiddenWidths.forEach((width, index) => {
    const { kernelInitializer } = init.next(fanIn);
    if (settings.batchNormPosition === 'before-activation') {
      model.add(tf.layers.dense({ units: width, useBias: false, activation: 'linear', kernelInitializer, name: `dense_${index + 1}` }));
      model.add(normalization(index));
      model.add(tf.layers.activation({ activation: 'relu', name: `relu_${index + 1}` }));
    } else {
      model.add(tf.layers.dense({ units: width, useBias: false, activation: 'relu', kernelInitializer, name: `dense_${index + 1}` }));
      model.add(normalization(index));
    }
    fanIn = width;
  });
  const { kernelInitializer } = init.next(fanIn);
  model.add(tf.layers.dense({ units: outputCount, useBias: false, activation: 'linear', kernelInitializer, trainable: false, name: 'logits' }));
  return model;
}
