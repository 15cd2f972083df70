/**
 * Seeded initialisers of the lab's architectures: kernels from the untruncated
 * N(0, weightVariance / fan_in) and biases from N(0, biasStd^2), one seed per layer.
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

/** Builds seeded initialisers, one seed per layer, so that a run's initial weights are reproducible. */
export class InitialiserFactory {
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

