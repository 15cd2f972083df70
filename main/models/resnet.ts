/**
 * ResNet-18 and ResNet-50 in their CIFAR form (He et al. 2016, "Deep residual learning for image
 * recognition", with the 32x32 adaptation that the CIFAR literature trains): a 3x3 stem convolution
 * with stride 1 and no max pooling, four stages of residual blocks with baseWidth x 1, 2, 4, 8
 * filters (64, 128, 256, 512 in the published networks), the first block of stages 2-4 with
 * stride 2, BatchNorm after every convolution, global average pooling and a Dense readout.
 *
 * - ResNet-18: basic blocks (3x3, 3x3), 2-2-2-2 blocks; 11,173,962 parameters for 10 classes.
 * - ResNet-50: bottleneck blocks (1x1 reduce, 3x3 with the stride, 1x1 expand to 4x the width),
 *   3-4-6-3 blocks; 23,520,842 parameters for 10 classes.
 *
 * A shortcut is the identity, or a 1x1 convolution with the block's stride and BatchNorm where the
 * shape changes (a projection shortcut). Convolutions have no bias, because the BatchNorm after
 * each one has its own offset. The counts include BatchNorm's gamma and beta and the readout's
 * bias, as `countParameters` does.
 */
import * as tf from '@tensorflow/tfjs';
import type { ResNetSettings } from './build.js';
import { InitialiserFactory } from './init.js';

interface ResNetPlan {
  block: 'basic' | 'bottleneck';
  blocksPerStage: [number, number, number, number];
  /** Output channels of a block relative to its width: 1 (basic) or 4 (bottleneck). */
  expansion: number;
}

const plans: Record<ResNetSettings['kind'], ResNetPlan> = {
  resnet18: { block: 'basic', blocksPerStage: [2, 2, 2, 2], expansion: 1 },
  resnet50: { block: 'bottleneck', blocksPerStage: [3, 4, 6, 3], expansion: 4 },
};

/** Builds the layers of one network, numbering the seeded initialisers in creation order. */
class ResNetBuilder {
  private readonly init: InitialiserFactory;

  constructor(
    private readonly settings: ResNetSettings,
    seed: number,
  ) {
    this.init = new InitialiserFactory(seed, settings);
  }

  /** Adds a convolution without bias and its BatchNorm; `channels` is the input's channel count, for the fan-in. */
  convBn(input: tf.SymbolicTensor, channels: number, filters: number, kernelSize: number, strides: number, name: string): tf.SymbolicTensor {
    const { kernelInitializer } = this.init.next(kernelSize * kernelSize * channels);
    const conv = tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer, name: `${name}_conv` });
    const bn = tf.layers.batchNormalization({ epsilon: this.settings.batchNormEpsilon, momentum: this.settings.batchNormMomentum, name: `${name}_bn` });
    return bn.apply(conv.apply(input)) as tf.SymbolicTensor;
  }

  relu(input: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    return tf.layers.activation({ activation: 'relu', name }).apply(input) as tf.SymbolicTensor;
  }

  /** A residual block; returns its output and channel count. */
  block(input: tf.SymbolicTensor, channels: number, width: number, strides: number, kind: ResNetPlan['block'], name: string): [tf.SymbolicTensor, number] {
    const outChannels = kind === 'basic' ? width : 4 * width;
    let residual: tf.SymbolicTensor;
    if (kind === 'basic') {
      residual = this.relu(this.convBn(input, channels, width, 3, strides, `${name}_1`), `${name}_1_relu`);
      residual = this.convBn(residual, width, width, 3, 1, `${name}_2`);
    } else {
      residual = this.relu(this.convBn(input, channels, width, 1, 1, `${name}_1`), `${name}_1_relu`);
      residual = this.relu(this.convBn(residual, width, width, 3, strides, `${name}_2`), `${name}_2_relu`);
      residual = this.convBn(residual, width, outChannels, 1, 1, `${name}_3`);
    }
    const shortcut = strides !== 1 || channels !== outChannels ? this.convBn(input, channels, outChannels, 1, strides, `${name}_shortcut`) : input;
    const sum = tf.layers.add({ name: `${name}_add` }).apply([residual, shortcut]) as tf.SymbolicTensor;
    return [this.relu(sum, `${name}_out`), outChannels];
  }

  build(inputShape: number[], outputCount: number): tf.LayersModel {
    const plan = plans[this.settings.kind];
    const input = tf.input({ shape: inputShape, name: 'input' });
    const base = this.settings.baseWidth;
    let x = this.relu(this.convBn(input, inputShape[2]!, base, 3, 1, 'stem'), 'stem_relu');
    let channels = base;
    plan.blocksPerStage.forEach((blocks, stage) => {
      const width = base * 2 ** stage;
      for (let index = 0; index < blocks; index++) {
        const strides = stage > 0 && index === 0 ? 2 : 1;
        [x, channels] = this.block(x, channels, width, strides, plan.block, `stage${stage + 1}_block${index + 1}`);
      }
    });
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ units: outputCount, activation: 'linear', name: 'logits', ...this.init.next(channels) }).apply(pooled) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: logits, name: this.settings.kind });
  }
}

/** Builds a CIFAR ResNet-18 or ResNet-50 (a functional model) for inputs [height, width, channels]. */
export function buildResNet(settings: ResNetSettings, inputShape: number[], outputCount: number, seed: number): tf.LayersModel {
  return new ResNetBuilder(settings, seed).build(inputShape, outputCount);
}
