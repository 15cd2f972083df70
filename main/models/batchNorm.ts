/**
 * BatchNormalization without affine parameters (no gamma, no beta) that can train.
 *
 * TensorFlow.js 4.22's BatchNormalization accepts `center: false, scale: false`, but its training
 * branch calls `normalizeBatchInTraining(input, this.gamma.read(), this.beta.read(), ...)`
 * unconditionally, so a step in training mode fails on the missing gamma. Keeping gamma and beta
 * at 1 and 0 with the layer frozen would train, but it would also give the sigma searches and the
 * path norm two parameter vectors that the network does not have. This layer computes the same
 * normalisation itself:
 *
 *     training:  y = (x - mean_B) / sqrt(var_B + epsilon), with the batch moments over every axis
 *                but the last, and moving_stat <- moving_stat - (1 - momentum) (moving_stat - stat_B)
 *     inference: y = (x - moving_mean) / sqrt(moving_variance + epsilon)
 *
 * which is what the built-in layer computes with gamma = 1 and beta = 0 (its moving variance also
 * uses the biased batch variance). The layer serializes as a plain `BatchNormalization` with
 * `center: false, scale: false` and the weights `moving_mean`, `moving_variance`, so a stored model
 * loads with the built-in class (which is correct in inference mode), folds like any BatchNorm and
 * opens in Keras. Only a freshly built model holds this class, and only training needs it.
 */
import * as tf from '@tensorflow/tfjs';
import { LabError } from '../util/errors.js';

export interface AffineFreeBatchNormArgs {
  name?: string;
  /** Decay of the moving statistics per training step (TF.js and Keras default 0.99). */
  momentum?: number;
  /** Added to the variance before the square root (TF.js default 1e-3). */
  epsilon?: number;
}

export class AffineFreeBatchNormalization extends tf.layers.Layer {
  /** The class name written to model.json, so that stored models load as the built-in layer. */
  static className = 'BatchNormalization';

  readonly momentum: number;
  readonly epsilon: number;
  private movingMean: tf.LayerVariable | undefined;
  private movingVariance: tf.LayerVariable | undefined;

  constructor(args: AffineFreeBatchNormArgs = {}) {
    super(args.name === undefined ? {} : { name: args.name });
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new LabError('invalid-input', `BatchNorm momentum is ${this.momentum}; it must be in [0, 1)`, { field: 'model.batchNormMomentum' });
    if (!(this.epsilon > 0)) throw new LabError('invalid-input', `BatchNorm epsilon is ${this.epsilon}; it must be > 0`, { field: 'model.batchNormEpsilon' });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels === null || channels === undefined) {
      throw new LabError('invalid-input', `${this.name} needs a defined channel (last) axis; its input shape is [${shape.join(', ')}]`);
    }
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const movingMean = this.movingMean!;
      const movingVariance = this.movingVariance!;
      if (kwargs.training !== true) return this.normalize(x, movingMean.read(), movingVariance.read());

      const axes = Array.from({ length: x.rank - 1 }, (_, axis) => axis);
      const { mean, variance } = tf.moments(x, axes);
      const decay = 1 - this.momentum;
      movingMean.write(tf.sub(movingMean.read(), tf.mul(tf.sub(movingMean.read(), mean), decay)));
      movingVariance.write(tf.sub(movingVariance.read(), tf.mul(tf.sub(movingVariance.read(), variance), decay)));
      return this.normalize(x, mean, variance);
    });
  }

  /**
   * (x - mean) / sqrt(variance + epsilon), composed from differentiable ops: the gradient of
   * `tf.batchNorm` without a scale fails in TF.js 4.22 (it saves the missing scale for the backward pass).
   */
  private normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor {
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      axis: -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: false,
      scale: false,
      betaInitializer: { className: 'Zeros', config: {} },
      gammaInitializer: { className: 'Ones', config: {} },
      movingMeanInitializer: { className: 'Zeros', config: {} },
      movingVarianceInitializer: { className: 'Ones', config: {} },
      betaRegularizer: null,
      gammaRegularizer: null,
      betaConstraint: null,
      gammaConstraint: null,
    };
  }
}
