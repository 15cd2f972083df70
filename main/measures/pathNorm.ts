/**
 * The path norm [44] of Jiang et al. 2020. Every parameter of the folded network is squared
 * element-wise: kernels, biases (folded ones included), and gamma and beta of the BatchNormalization
 * layers left in place, while moving statistics stay unchanged. The squared network runs in
 * inference mode on one all-ones input of the data's shape, and the path norm is the sum of its
 * outputs. Fixed linear operations (padding, pooling) are not squared. No square root is taken,
 * because the size adjustment takes it.
 */
import * as tf from '@tensorflow/tfjs';
import type { MeasureContext, RawMeasure } from './context.js';
import { buildFoldedModel } from './foldedModel.js';
import { Unavailable } from './unavailable.js';
import type { FoldedNetwork } from './weights.js';

/** Computes the raw path norm of a folded network, in float32 with TF.js. */
export async function computePathNorm(network: FoldedNetwork): Promise<number | Unavailable> {
  const inputShape = network.model.inputs[0]!.shape.slice(1);
  if (inputShape.some((size) => size === null)) {
    return new Unavailable(`the model's input shape [${inputShape.join(', ')}] has an undefined dimension, so the all-ones input of the path norm has no shape`);
  }
  const squared = await buildFoldedModel(network, { squareParameters: true });
  try {
    const total = tf.tidy(() => {
      const ones = tf.ones([1, ...(inputShape as number[])]);
      return tf.sum(squared.apply(ones, { training: false }) as tf.Tensor);
    });
    const value = (await total.data())[0]!;
    total.dispose();
    if (!Number.isFinite(value)) return new Unavailable(`the squared-parameter network's output sum is ${value} (float32 overflow)`);
    return value;
  } finally {
    squared.dispose();
  }
}

/** [44] path_norm. */
export async function pathNorm(context: MeasureContext): Promise<RawMeasure> {
  const value = await context.pathNorm();
  return value instanceof Unavailable ? value : { raw: value };
}

/** [43] path_norm_over_margin = [44] / gamma^2. */
export async function pathNormOverMargin(context: MeasureContext): Promise<RawMeasure> {
  const value = await context.pathNorm();
  if (value instanceof Unavailable) return value;
  const gamma = await context.gamma();
  if (gamma instanceof Unavailable) return gamma;
  return { raw: value / (gamma * gamma) };
}
