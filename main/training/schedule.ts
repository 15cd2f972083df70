/**
 * Learning-rate schedules, evaluated once per optimizer step (step t counts from 0 over the whole
 * run; an epoch has stepsPerEpoch = ceil(m / batchSize) steps):
 *
 * - constant:    eta_t = eta
 * - step:        eta_t = eta x factor^floor(epoch / everyEpochs), epoch = floor(t / stepsPerEpoch)
 * - exponential: eta_t = eta x factorPerEpoch^(t / stepsPerEpoch), smooth within each epoch
 * - exponential-equivalent: eta_t = eta x alpha^(-2t - 1) with no weight decay, the schedule that
 *   Li and Arora 2020 ("An exponential learning rate schedule for deep learning", ICLR 2020) prove
 *   equivalent to SGD with momentum gamma, constant rate eta and weight decay lambda on a
 *   scale-invariant network. alpha is the larger root of
 *
 *       alpha^2 - (1 + gamma - eta lambda) alpha + gamma = 0,
 *
 *   (alpha = 1 - eta lambda without momentum). If w_t are the weights of the run with weight
 *   decay, this run has w~_t = alpha^(-t) w_t: the same function at every step (the loss is
 *   invariant to the scale of the weights) while the parameter norm grows by 1 / alpha per step.
 *
 * Derivation for the momentum form of TensorFlow.js and PyTorch (v <- gamma v + g;
 * w <- w - eta_t v), which the test in test/training checks numerically: eliminating v gives
 * w_{t+1} - w_t = gamma (eta_t / eta_{t-1}) (w_t - w_{t-1}) - eta_t g_t. The weight-decay run is
 * w_{t+1} = (1 + gamma - eta lambda) w_t - gamma w_{t-1} - eta g(w_t). Substituting w~_t = alpha^(-t) w_t,
 * eta_t = eta alpha^(-2t-1) and g(c w) = g(w) / c into the first form and multiplying by
 * alpha^(t+1) gives w_{t+1} = (alpha + gamma / alpha) w_t - gamma w_{t-1} - eta g(w_t), the same
 * recursion when alpha solves the quadratic above. Both runs start with w_{-1} = w_0 for the
 * weight-decay run, so the equivalent run needs w~_{-1} = alpha w_0, that is an initial momentum
 * buffer v~_0 = (alpha - 1) / (eta alpha) w_0 instead of zero (`initialMomentumScale`).
 */
import { LabError } from '../util/errors.js';

export type LearningRateSchedule =
  | { kind: 'constant' }
  | { kind: 'step'; everyEpochs: number; factor: number }
  | { kind: 'exponential'; factorPerEpoch: number }
  | { kind: 'exponential-equivalent' };

export interface ScheduleInput {
  learningRate: number;
  schedule: LearningRateSchedule;
  momentum: number;
  weightDecay: number;
}

/**
 * Returns alpha, the per-step shrink factor of the weight-decay run that the exponential schedule
 * replaces (the larger root of alpha^2 - (1 + gamma - eta lambda) alpha + gamma = 0). Raises when
 * the roots are complex: eta lambda > (1 - sqrt(gamma))^2.
 */
export function equivalentGrowthRoot(learningRate: number, momentum: number, weightDecay: number): number {
  const b = 1 + momentum - learningRate * weightDecay;
  const discriminant = b * b - 4 * momentum;
  if (discriminant < 0 || b <= 0) {
    const limit = (1 - Math.sqrt(momentum)) ** 2;
    throw new LabError(
      'invalid-input',
      `training.schedule "exponential-equivalent" needs learningRate x weightDecay <= (1 - sqrt(momentum))^2 = ${limit.toPrecision(4)}, but it is ${(learningRate * weightDecay).toPrecision(4)}; lower the learning rate or the weight decay`,
      { field: 'training.schedule' },
    );
  }
  return (b + Math.sqrt(discriminant)) / 2;
}

/** Returns the learning rate of optimizer step `step` (counted from 0). */
export function learningRateAt(input: ScheduleInput, step: number, stepsPerEpoch: number): number {
  const { learningRate, schedule } = input;
  switch (schedule.kind) {
    case 'constant':
      return learningRate;
    case 'step':
      return learningRate * schedule.factor ** Math.floor(Math.floor(step / stepsPerEpoch) / schedule.everyEpochs);
    case 'exponential':
      return learningRate * schedule.factorPerEpoch ** (step / stepsPerEpoch);
    case 'exponential-equivalent': {
      const alpha = equivalentGrowthRoot(learningRate, input.momentum, input.weightDecay);
      return learningRate * alpha ** (-2 * step - 1);
    }
  }
}

/**
 * Returns the factor c of the initial momentum buffer v~_0 = c w_0 that the exponential-equivalent
 * schedule needs: (alpha - 1) / (eta alpha). Zero for the other schedules.
 */
export function initialMomentumScale(input: ScheduleInput): number {
  if (input.schedule.kind !== 'exponential-equivalent' || input.momentum === 0) return 0;
  const alpha = equivalentGrowthRoot(input.learningRate, input.momentum, input.weightDecay);
  return (alpha - 1) / (input.learningRate * alpha);
}

/** Reports whether the run applies weight decay itself (the exponential-equivalent schedule replaces it). */
export function appliesWeightDecay(input: ScheduleInput): boolean {
  return input.weightDecay > 0 && input.schedule.kind !== 'exponential-equivalent';
}
