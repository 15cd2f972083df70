/**
 * Network in Network (Lin, Chen and Yan 2014, "Network in network"): a stack of mlpconv blocks,
 * each a k x k ReLU convolution followed by two 1 x 1 ReLU convolutions (a small MLP slid over the
 * image), with 3x3 stride-2 max pooling between blocks and global average pooling after the last.
 *
 * Departures from the original CIFAR network, chosen so that every measure and the Monte-Carlo
 * NNGP apply: the last block does not map to one feature map per class; a Dense readout on the
 * pooled features gives the logits (the Monte-Carlo kernel reads the features feeding the last
 * Dense layer). Dropout between blocks is left out, as in the lab's other architectures.
 */
import * as tf from '@tensorflow/tfjs';
import { LabError } from '../util/errors.js';
import type { NinSettings } from './build.js';
import { InitialiserFactory } from './init.js';

/** Builds a Network in Network (a Sequential model) for inputs [height, width, channels]. */
export function buildNin(settings: NinSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  if (settings.kernelSizes.length !== settings.blocks.length) {
    throw new LabError('invalid-input', `model.kernelSizes has ${settings.kernelSizes.length} entries but model.blocks has ${settings.blocks.length}; give one kernel size per block`, {
      field: 'model.kernelSizes',
    });
  }
  const init = new InitialiserFactory(seed, settings);
  const model = tf.sequential({ name: 'nin' });
  let channels = inputShape[2]!;
  settings.blocks.forEach((filters, blockIndex) => {
    filters.forEach((count, convIndex) => {
      const kernelSize = convIndex === 0 ? settings.kernelSizes[blockIndex]! : 1;
      model.add(
        tf.layers.conv2d({
          ...(blockIndex === 0 && convIndex === 0 ? { inputShape } : {}),
          filters: count,
          kernelSize,
          padding: 'same',
          activation: 'relu',
          name: `block${blockIndex + 1}_conv${convIndex + 1}`,
          ...init.next(kernelSize * kernelSize * channels),
        }),
      );
      channels = count;
    });
    if (blockIndex < settings.blocks.length - 1) {
      model.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: `block${blockIndex + 1}_pool` }));
    }
  });
  model.add(tf.layers.globalAveragePooling2d({ name: 'pool' }));
  model.add(tf.layers.dense({ units: outputCount, activation: 'linear', name: 'logits', ...init.next(channels) }));
  return model;
}
