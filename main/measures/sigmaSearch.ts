/**
 * The sigma searches of the PAC-Bayes measures.
 *
 * sigma is the largest noise level at which the perturbed network still reaches nearly the training
 * accuracy acc of the trained network. The search bisects [0, 2] in at most 15 steps. At each
 * candidate it draws 10 perturbations, each adding independent Gaussian noise to every parameter
 * (kernels, biases, BatchNorm gamma and beta, but not the moving statistics), and measures the
 * accuracy of each on the whole training set. With displacement = |mean perturbed accuracy - acc|, the search stops when
 * |displacement - 0.1| < 0.01, lowers the upper bound when the displacement exceeds 0.1, and raises
 * the lower bound otherwise. After 15 steps without meeting the tolerance it returns the last
 * candidate, and `converged` is false.
 *
 * Noise per parameter w_i (sigma being the candidate):
 * - plain search, convention "stated": standard deviation sigma; "reference": sigma^2 (the public
 *   code of Dziugaite et al. 2020 passes sigma^2 where its library expects a standard deviation);
 * - magnitude-aware search, "stated": variance sigma^2 w_i^2 + eps^2; "reference": standard deviation
 *   sigma^2 w_i^2 + eps^2; eps = 1e-3.
 *
 * The model is perturbed in place: each draw assigns perturbed values to its variables, and the
 * original values are assigned back when the search ends, also when it fails.
 */
import * as tf from '@tensorflow/tfjs';
import { hasNativePerturb, perturbNatively } from '../tf/nativePerturb.js';
import { Rng } from '../util/rng.js';
import { createLogger } from '../util/log.js';
import type { TrainingBatches } from './forward.js';
import { countCorrect } from './forward.js';
import { GaussianStream } from './noise.js';
import type { NoiseConvention, Task } from './types.js';

const log = createLogger('measures');

export type SearchKind = 'plain' | 'magnitude';

export interface NoiseSettings {
  kind: SearchKind;
  convention: NoiseConvention;
  /** eps of the magnitude-aware noise. */
  magnitudeEpsilon: number;
}

export const searchDefaults = {
  lower: 0,
  upper: 2,
  maxSteps: 15,
  draws: 10,
  targetDisplacement: 0.1,
  tolerance: 0.01,
  magnitudeEpsilon: 1e-3,
} as const;

export interface SigmaSearchResult {
  sigma: number;
  /** Bisection steps taken (candidates evaluated). */
  steps: number;
  /** Whether the last candidate met |displacement - 0.1| < 0.01. */
  converged: boolean;
  /** |mean perturbed accuracy - acc| at the returned sigma. */
  displacement: number;
  baseAccuracy: number;
}

/** Checks whether a weight is a BatchNorm moving statistic, which the searches never perturb. */
function isMovingStatistic(variable: tf.LayerVariable): boolean {
  const role = variable.originalName.split('/').pop();
  return role === 'moving_mean' || role === 'moving_variance';
}

/** In-place Gaussian perturbations of a model's parameters, with the originals kept for restoring. */
export class ParameterPerturbation {
  private readonly variables: tf.LayerVariable[];
  private readonly originals: tf.Tensor[];
  /** The draws of one parameter on the tfjs path; made at its first use, since the native kernel needs none. */
  private noiseBuffer: Float32Array | undefined;
  private restored = true;

  constructor(model: tf.LayersModel) {
    this.variables = model.weights.filter((variable) => !isMovingStatistic(variable));
    this.originals = this.variables.map((variable) => tf.keep(tf.clone(variable.read())));
  }

  /** Number of perturbed parameter entries. */
  get size(): number {
    return this.originals.reduce((total, tensor) => total + tensor.size, 0);
  }

  /** Describes the first parameter with a non-finite entry, or returns null. */
  async findNonFiniteParameter(): Promise<string | null> {
    for (let i = 0; i < this.originals.length; i++) {
      const values = await this.originals[i]!.data();
      const index = (values as Float32Array).findIndex((value) => !Number.isFinite(value));
      if (index >= 0) return `parameter ${this.variables[i]!.originalName} has a non-finite entry (${values[index]} at flat index ${index})`;
    }
    return null;
  }

  /**
   * Per-parameter standard deviations for one candidate sigma: a number for the plain search, a
   * tensor per parameter (owned by the caller) for the magnitude-aware one.
   */
  standardDeviations(sigma: number, settings: NoiseSettings): (number | tf.Tensor)[] {
    if (settings.kind === 'plain') {
      const std = settings.convention === 'stated' ? sigma : sigma * sigma;
      return this.originals.map(() => std);
    }
    const epsSquared = settings.magnitudeEpsilon * settings.magnitudeEpsilon;
    const sigmaSquared = sigma * sigma;
    return this.originals.map((original) =>
      tf.tidy(() => {
        const spread = tf.add(tf.mul(tf.square(original), sigmaSquared), epsSquared);
        return settings.convention === 'stated' ? tf.sqrt(spread) : spread;
      }),
    );
  }

  /**
   * Assigns original + std * N(0, 1) to every parameter: in one native kernel on `wasm` where the
   * addon has it (main/tf/nativePerturb.ts), else with tfjs's mul and add. Both give the same bits.
   */
  perturb(standardDeviations: readonly (number | tf.Tensor)[], noise: GaussianStream, native: boolean = hasNativePerturb()): void {
    this.restored = false;
    for (let i = 0; i < this.variables.length; i++) {
      const original = this.originals[i]!;
      const std = standardDeviations[i]!;
      const perturbed = native ? perturbNatively(original, std, noise) : this.perturbWithTfjs(original, std, noise);
      this.variables[i]!.write(perturbed);
      perturbed.dispose();
    }
  }

  private perturbWithTfjs(original: tf.Tensor, std: number | tf.Tensor, noise: GaussianStream): tf.Tensor {
    this.noiseBuffer ??= new Float32Array(Math.max(1, ...this.originals.map((tensor) => tensor.size)));
    const draws = this.noiseBuffer.subarray(0, original.size);
    noise.fill(draws);
    return tf.tidy(() => {
      // tf.tensor may keep a reference to `draws` on the cpu backend; it is disposed when this tidy ends, before the buffer is refilled.
      const standardNormal = tf.tensor(draws, original.shape, 'float32');
      return tf.add(original, tf.mul(standardNormal, std));
    });
  }

  /** Assigns the original values back. */
  restore(): void {
    if (this.restored) return;
    for (let i = 0; i < this.variables.length; i++) this.variables[i]!.write(this.originals[i]!);
    this.restored = true;
  }

  /** Restores the originals and frees the copies. */
  dispose(): void {
    this.restore();
    tf.dispose(this.originals);
    this.originals.length = 0;
  }
}

/**
 * Mean training accuracy of the model under `draws` perturbations at noise level sigma. The model's
 * parameters are restored before this returns.
 */
export async function meanPerturbedAccuracy(
  perturbation: ParameterPerturbation,
  model: tf.LayersModel,
  data: TrainingBatches,
  task: Task,
  sigma: number,
  settings: NoiseSettings,
  noise: GaussianStream,
  draws: number,
): Promise<number> {
  const standardDeviations = perturbation.standardDeviations(sigma, settings);
  try {
    let total = 0;
    for (let draw = 0; draw < draws; draw++) {
      perturbation.perturb(standardDeviations, noise);
      total += (await countCorrect(model, data, task)) / data.m;
    }
    return total / draws;
  } finally {
    perturbation.restore();
    tf.dispose(standardDeviations.filter((std): std is tf.Tensor => typeof std !== 'number'));
  }
}

/**
 * Runs the bisection search (see the module comment). `seed` seeds the noise: the plain and the
 * magnitude-aware searches draw from separate streams of it.
 */
export async function searchSigma(
  model: tf.LayersModel,
  data: TrainingBatches,
  task: Task,
  baseAccuracy: number,
  settings: NoiseSettings,
  seed: number | string,
): Promise<SigmaSearchResult> {
  const noise = new GaussianStream(new Rng(seed, 'pacbayes-sigma-search', settings.kind));
  const perturbation = new ParameterPerturbation(model);
  const startedMs = performance.now();
  try {
    let lower: number = searchDefaults.lower;
    let upper: number = searchDefaults.upper;
    let sigma = (lower + upper) / 2;
    let displacement = NaN;
    let converged = false;
    let steps = 0;
    for (let step = 0; step < searchDefaults.maxSteps; step++) {
      sigma = (lower + upper) / 2;
      const accuracy = await meanPerturbedAccuracy(perturbation, model, data, task, sigma, settings, noise, searchDefaults.draws);
      displacement = Math.abs(accuracy - baseAccuracy);
      steps = step + 1;
      log.debug(`${settings.kind} sigma search step ${steps}: sigma ${sigma}, mean accuracy ${accuracy.toFixed(4)}, displacement ${displacement.toFixed(4)}`);
      if (Math.abs(displacement - searchDefaults.targetDisplacement) < searchDefaults.tolerance) {
        converged = true;
        break;
      }
      if (displacement > searchDefaults.targetDisplacement) upper = sigma;
      else lower = sigma;
    }
    log.info(
      `${settings.kind} sigma search: sigma ${sigma.toPrecision(6)} after ${steps} steps (${converged ? 'converged' : 'step limit reached'}), ${perturbation.size} parameters, ${data.m} examples, ${Math.round(performance.now() - startedMs)} ms`,
    );
    return { sigma, steps, converged, displacement, baseAccuracy };
  } finally {
    perturbation.dispose();
  }
}
