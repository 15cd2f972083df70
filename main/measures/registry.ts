/**
 * The registry of every generalization measure of the lab: the one list that the CLI, the
 * reports, the study worker and the app read. Each entry states its equation number in Jiang et
 * al. 2020, "Fantastic generalization measures and where to find them", where it has one.
 *
 * Notation used in the definitions: m training examples; W_1..W_d the kernels of the Dense and
 * Conv2D layers after BatchNorm folding; fro_i = ||W_i||_F^2; spec_i = sigma_max(W_i)^2 of the
 * matrix view (out rows, the other kernel axes as columns); dist_* the same for W_i - W0_i, with W0
 * the initial network folded the same way; gamma the absolute value of the k-th smallest training
 * margin, k = max(1, floor(m / 10)); w and w0 all weights flattened.
 */
import { LabError } from '../util/errors.js';
import type { MeasureDefinition } from './types.js';

const jiang = 'Jiang et al. 2020, Fantastic generalization measures';

/** Every measure id, in the order tables list them. */
export const measureIds = [
  'params',
  'inverse_margin',
  'log_prod_of_spec',
  'log_prod_of_spec_over_margin',
  'log_spec_init_main',
  'log_spec_orig_main',
  'fro_over_spec',
  'log_sum_of_spec_over_margin',
  'log_sum_of_spec',
  'log_prod_of_fro_over_margin',
  'log_prod_of_fro',
  'log_sum_of_fro_over_margin',
  'log_sum_of_fro',
  'fro_dist',
  'dist_spec_init',
  'param_norm',
  'path_norm_over_margin',
  'path_norm',
  'pacbayes_init',
  'pacbayes_orig',
  'pacbayes_flatness',
  'pacbayes_mag_init',
  'pacbayes_mag_orig',
  'pacbayes_mag_flatness',
  'epochs_to_fit',
  'marginal_likelihood_bound',
] as const;

export type MeasureId = (typeof measureIds)[number];

/** A registry entry whose id is one of `measureIds`. */
export interface RegisteredMeasure extends MeasureDefinition {
  id: MeasureId;
}

const noInputs = { initialWeights: false, data: false };
const dataOnly = { initialWeights: false, data: true };
const initOnly = { initialWeights: true, data: false };
const initAndData = { initialWeights: true, data: true };

const sigmaSearchText =
  'sigma is the largest noise level whose perturbed networks lose 0.1 of the training accuracy: ' +
  'bisection on [0, 2], at most 15 steps, 10 Gaussian perturbations of every trainable parameter ' +
  '(biases and BatchNorm gamma and beta included) per step, stopping when |displacement - 0.1| < 0.01. ' +
  'Noise standard deviation sigma by default; the "reference" noise convention uses sigma^2, as the ' +
  'public code of Dziugaite et al. 2020 does.';

const magnitudeSearchText =
  "sigma' comes from the same search with per-parameter noise of variance sigma'^2 w_i^2 + eps^2, " +
  "eps = 1e-3 (the \"reference\" convention uses sigma'^2 w_i^2 + eps^2 as the standard deviation).";

const magnitudeBoundText =
  "(1/4) sum_i ln((eps^2 + (sigma'^2 + 1) ||ref||^2 / omega) / (eps^2 + sigma'^2 (w_i - w0_i)^2)) + ln(m / sigma') + 10, " +
  'with omega = params, eps = 1e-3 and the sum over every weight entry.';

const definitions: readonly RegisteredMeasure[] = [
  {
    id: 'params',
    equation: 20,
    source: jiang,
    family: 'size',
    isLog: false,
    needs: noInputs,
    cost: 'weights',
    title: 'Number of weights',
    definition: 'Number of kernel entries of the Dense and Conv2D layers (biases and BatchNorm parameters excluded).',
  },
  {
    id: 'inverse_margin',
    equation: 22,
    source: jiang,
    family: 'margin',
    isLog: false,
    needs: dataOnly,
    cost: 'forward',
    title: 'Inverse squared margin',
    definition:
      '1 / gamma^2, where gamma = |k-th smallest training margin|, k = max(1, floor(m / 10)). ' +
      'Margin of example i: f_y(x_i) - max_{j != y} f_j(x_i) (multi-class) or (2 y_i - 1) f(x_i) (one logit).',
  },
  {
    id: 'log_prod_of_spec',
    equation: 32,
    source: jiang,
    family: 'spectral',
    isLog: true,
    needs: noInputs,
    cost: 'weights',
    title: 'Log product of spectral norms',
    definition: 'sum_i ln spec_i, with spec_i the squared largest singular value of the matrix view of W_i.',
  },
  {
    id: 'log_prod_of_spec_over_margin',
    equation: 31,
    source: jiang,
    family: 'spectral',
    isLog: true,
    needs: dataOnly,
    cost: 'forward',
    title: 'Log product of spectral norms over margin',
    definition: 'sum_i ln spec_i - 2 ln gamma.',
  },
  {
    id: 'log_spec_init_main',
    equation: 29,
    source: jiang,
    family: 'spectral',
    isLog: true,
    needs: initAndData,
    cost: 'forward',
    title: 'Spectral bound, distance from initialization',
    definition: 'sum_i ln spec_i - 2 ln gamma + ln sum_i (dist_fro_i / spec_i), dist_fro_i = ||W_i - W0_i||_F^2.',
  },
  {
    id: 'log_spec_orig_main',
    equation: 30,
    source: jiang,
    family: 'spectral',
    isLog: true,
    needs: dataOnly,
    cost: 'forward',
    title: 'Spectral bound, distance from origin',
    definition: 'sum_i ln spec_i - 2 ln gamma + ln sum_i (fro_i / spec_i).',
  },
  {
    id: 'fro_over_spec',
    equation: 33,
    source: jiang,
    family: 'spectral',
    isLog: false,
    needs: noInputs,
    cost: 'weights',
    title: 'Sum of Frobenius over spectral norms',
    definition: 'sum_i fro_i / spec_i (the sum of the stable ranks).',
  },
  {
    id: 'log_sum_of_spec_over_margin',
    equation: 34,
    source: jiang,
    family: 'spectral',
    isLog: true,
    needs: dataOnly,
    cost: 'forward',
    title: 'Log sum of spectral norms over margin',
    definition:
      'ln d + (sum_i ln spec_i - 2 ln gamma) / d: the log of d times the geometric mean, the minimum of the sum over ' +
      "the rescalings that leave a ReLU network's function unchanged.",
  },
  {
    id: 'log_sum_of_spec',
    equation: 35,
    source: jiang,
    family: 'spectral',
    isLog: true,
    needs: noInputs,
    cost: 'weights',
    title: 'Log sum of spectral norms',
    definition: 'ln d + (sum_i ln spec_i) / d.',
  },
  {
    id: 'log_prod_of_fro_over_margin',
    equation: 36,
    source: jiang,
    family: 'frobenius',
    isLog: true,
    needs: dataOnly,
    cost: 'forward',
    title: 'Log product of Frobenius norms over margin',
    definition: 'sum_i ln fro_i - 2 ln gamma.',
  },
  {
    id: 'log_prod_of_fro',
    equation: 37,
    source: jiang,
    family: 'frobenius',
    isLog: true,
    needs: noInputs,
    cost: 'weights',
    title: 'Log product of Frobenius norms',
    definition: 'sum_i ln fro_i, fro_i = ||W_i||_F^2.',
  },
  {
    id: 'log_sum_of_fro_over_margin',
    equation: 38,
    source: jiang,
    family: 'frobenius',
    isLog: true,
    needs: dataOnly,
    cost: 'forward',
    title: 'Log sum of Frobenius norms over margin',
    definition: 'ln d + (sum_i ln fro_i - 2 ln gamma) / d.',
  },
  {
    id: 'log_sum_of_fro',
    equation: 39,
    source: jiang,
    family: 'frobenius',
    isLog: true,
    needs: noInputs,
    cost: 'weights',
    title: 'Log sum of Frobenius norms',
    definition: 'ln d + (sum_i ln fro_i) / d.',
  },
  {
    id: 'fro_dist',
    equation: 40,
    source: jiang,
    family: 'frobenius',
    isLog: false,
    needs: initOnly,
    cost: 'weights',
    title: 'Frobenius distance from initialization',
    definition: 'sum_i ||W_i - W0_i||_F^2.',
  },
  {
    id: 'dist_spec_init',
    equation: 41,
    source: jiang,
    family: 'spectral',
    isLog: false,
    needs: initOnly,
    cost: 'weights',
    title: 'Spectral distance from initialization',
    definition: 'sum_i sigma_max(W_i - W0_i)^2.',
  },
  {
    id: 'param_norm',
    equation: 42,
    source: jiang,
    family: 'frobenius',
    isLog: false,
    needs: noInputs,
    cost: 'weights',
    title: 'Parameter norm',
    definition: 'sum_i ||W_i||_F^2 = ||w||^2.',
  },
  {
    id: 'path_norm_over_margin',
    equation: 43,
    source: jiang,
    family: 'path',
    isLog: false,
    needs: dataOnly,
    cost: 'forward',
    title: 'Path norm over margin',
    definition: 'path_norm / gamma^2.',
  },
  {
    id: 'path_norm',
    equation: 44,
    source: jiang,
    family: 'path',
    isLog: false,
    needs: noInputs,
    cost: 'weights',
    title: 'Path norm',
    definition:
      'Sum of the outputs of the folded network with every parameter squared element-wise (kernels, biases, gamma ' +
      'and beta of BatchNorm layers left in place; moving statistics unchanged), in inference mode, on one all-ones ' +
      'input of the data shape. No square root: the size adjustment takes it.',
  },
  {
    id: 'pacbayes_init',
    equation: 48,
    source: jiang,
    family: 'pac-bayes',
    isLog: false,
    needs: initAndData,
    cost: 'search',
    title: 'PAC-Bayes bound, distance from initialization',
    definition: `||w - w0||^2 / (4 sigma^2) + ln(m / sigma) + 10. ${sigmaSearchText}`,
  },
  {
    id: 'pacbayes_orig',
    equation: 49,
    source: jiang,
    family: 'pac-bayes',
    isLog: false,
    needs: dataOnly,
    cost: 'search',
    title: 'PAC-Bayes bound, distance from origin',
    definition: `||w||^2 / (4 sigma^2) + ln(m / sigma) + 10. ${sigmaSearchText}`,
  },
  {
    id: 'pacbayes_flatness',
    equation: 53,
    source: jiang,
    family: 'pac-bayes',
    isLog: false,
    needs: dataOnly,
    cost: 'search',
    title: 'PAC-Bayes flatness',
    definition: `1 / sigma^2. ${sigmaSearchText}`,
  },
  {
    id: 'pacbayes_mag_init',
    equation: 56,
    source: jiang,
    family: 'pac-bayes',
    isLog: false,
    needs: initAndData,
    cost: 'search',
    title: 'Magnitude-aware PAC-Bayes bound, distance from initialization',
    definition: `${magnitudeBoundText} ref = w - w0. ${magnitudeSearchText}`,
  },
  {
    id: 'pacbayes_mag_orig',
    equation: 57,
    source: jiang,
    family: 'pac-bayes',
    isLog: false,
    // The denominator of the bound uses w_i - w0_i for this variant too, so it needs the initial network.
    needs: initAndData,
    cost: 'search',
    title: 'Magnitude-aware PAC-Bayes bound, distance from origin',
    definition: `${magnitudeBoundText} ref = w; the denominator still uses w_i - w0_i. ${magnitudeSearchText}`,
  },
  {
    id: 'pacbayes_mag_flatness',
    equation: 61,
    source: jiang,
    family: 'pac-bayes',
    isLog: false,
    needs: dataOnly,
    cost: 'search',
    title: 'Magnitude-aware PAC-Bayes flatness',
    definition: `1 / sigma'^2. ${magnitudeSearchText}`,
  },
  {
    id: 'epochs_to_fit',
    equation: null,
    source: 'Fragility Lab (the optimization-based measures of Jiang et al. 2020 count steps to a loss instead)',
    family: 'optimization',
    isLog: false,
    needs: noInputs,
    cost: 'free',
    title: 'Epochs to fit',
    definition: 'Number of epochs the run needed to meet its stopping rule. Not size-adjusted.',
  },
  {
    id: 'marginal_likelihood_bound',
    equation: null,
    source: 'Valle-Perez and Louis 2020, Generalization bounds for deep learning',
    family: 'marginal-likelihood',
    isLog: false,
    needs: dataOnly,
    cost: 'kernel',
    title: 'Marginal-likelihood PAC-Bayes bound',
    definition:
      'PAC-Bayes bound on the test error from the marginal likelihood ln P(S) of the training labels under the ' +
      "network's NNGP (Gaussian-process) prior, computed with expectation propagation. Not size-adjusted.",
  },
];

const byId = new Map<string, RegisteredMeasure>(definitions.map((definition) => [definition.id, definition]));

/** Every registered measure, in table order. */
export const measureDefinitions: readonly RegisteredMeasure[] = definitions;

/** The ids that `computeMeasures` evaluates; the marginal-likelihood bound comes from main/bounds/. */
export const postTrainingMeasureIds: readonly MeasureId[] = measureIds.filter((id) => id !== 'marginal_likelihood_bound');

export function isMeasureId(id: string): id is MeasureId {
  return byId.has(id);
}

/** Returns the definition of `id`, or undefined when the registry has no such id. */
export function findMeasureDefinition(id: string): RegisteredMeasure | undefined {
  return byId.get(id);
}

/** Returns the definition of `id`; raises an `invalid-input` LabError that lists the known ids otherwise. */
export function getMeasureDefinition(id: string): RegisteredMeasure {
  const definition = byId.get(id);
  if (definition === undefined) {
    throw new LabError('invalid-input', `Unknown measure id "${id}"; use one of ${measureIds.join(', ')}`, { field: 'measures' });
  }
  return definition;
}

/**
 * Size-adjusts a raw value for a training set of m examples, as tables and learning curves show it.
 * Ids starting with `log_` give 0.5 (raw - ln m), the log of sqrt(exp(raw) / m). `epochs_to_fit` and
 * the marginal-likelihood bound are unchanged, and every other id gives sqrt(raw / m). The result is
 * NaN when the raw value is outside the domain (a negative raw value under the square root).
 */
export function sizeAdjust(id: string, raw: number, m: number): number {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`sizeAdjust expects m >= 1 training examples, received ${m}`);
  const definition = getMeasureDefinition(id);
  if (definition.id === 'epochs_to_fit' || definition.id === 'marginal_likelihood_bound') return raw;
  if (definition.isLog) return 0.5 * (raw - Math.log(m));
  return Math.sqrt(raw / m);
}
