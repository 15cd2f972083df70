/**
 * The PAC-Bayes measures of Jiang et al. 2020 [48, 49, 53, 56, 57, 61], from the sigma of the plain
 * search and the sigma' of the magnitude-aware search (sigmaSearch.ts), or from fixed values given
 * in the options. w are the folded kernels (biases and BatchNorm parameters excluded), w0 the same
 * at initialisation, omega = params.
 */
import type { MeasureContext, RawMeasure, SigmaChoice } from './context.js';
import type { SearchKind } from './sigmaSearch.js';
import { searchDefaults } from './sigmaSearch.js';
import { Unavailable } from './unavailable.js';

/** [48, 49]: normSquared / (4 sigma^2) + ln(m / sigma) + 10. */
export function pacBayesBound(normSquared: number, sigma: number, m: number): number {
  return normSquared / (4 * sigma * sigma) + Math.log(m / sigma) + 10;
}

/**
 * [56, 57]: (1/4) sum_i ln((eps^2 + (sigma'^2 + 1) ||ref||^2 / omega) / (eps^2 + sigma'^2 (w_i - w0_i)^2))
 * + ln(m / sigma') + 10, with ref = w - w0 (`init`) or w (`orig`); the sum runs over every kernel
 * entry of every layer, and the denominator uses w_i - w0_i for both variants.
 */
export function magnitudeAwareBound(
  kernels: readonly Float64Array[],
  initialKernels: readonly Float64Array[],
  reference: 'init' | 'orig',
  sigmaPrime: number,
  m: number,
  epsilon = searchDefaults.magnitudeEpsilon,
): number {
  let omega = 0;
  let referenceSquared = 0;
  for (let layer = 0; layer < kernels.length; layer++) {
    const w = kernels[layer]!;
    const w0 = initialKernels[layer]!;
    omega += w.length;
    for (let i = 0; i < w.length; i++) {
      const value = reference === 'init' ? w[i]! - w0[i]! : w[i]!;
      referenceSquared += value * value;
    }
  }
  const epsSquared = epsilon * epsilon;
  const sigmaSquared = sigmaPrime * sigmaPrime;
  const logNumerator = Math.log(epsSquared + ((sigmaSquared + 1) * referenceSquared) / omega);
  let sum = 0;
  for (let layer = 0; layer < kernels.length; layer++) {
    const w = kernels[layer]!;
    const w0 = initialKernels[layer]!;
    for (let i = 0; i < w.length; i++) {
      const distance = w[i]! - w0[i]!;
      sum += logNumerator - Math.log(epsSquared + sigmaSquared * distance * distance);
    }
  }
  return sum / 4 + Math.log(m / sigmaPrime) + 10;
}

function sigmaDetails(choice: SigmaChoice, kind: SearchKind): Record<string, number | string | boolean | null> {
  const name = kind === 'plain' ? 'sigma' : 'sigmaPrime';
  if (choice.search === null) return { [name]: choice.sigma, searched: false };
  return {
    [name]: choice.sigma,
    searched: true,
    noise: choice.convention,
    searchSteps: choice.search.steps,
    converged: choice.search.converged,
    displacement: choice.search.displacement,
  };
}

async function plainBound(context: MeasureContext, reference: 'init' | 'orig'): Promise<RawMeasure> {
  const normsSquared = reference === 'init' ? await context.layerDistFro() : await context.layerFro();
  if (normsSquared instanceof Unavailable) return normsSquared;
  const choice = await context.sigma('plain');
  if (choice instanceof Unavailable) return choice;
  const normSquared = normsSquared.reduce((total, value) => total + value, 0);
  return { raw: pacBayesBound(normSquared, choice.sigma, context.m), details: sigmaDetails(choice, 'plain') };
}

async function magnitudeBound(context: MeasureContext, reference: 'init' | 'orig'): Promise<RawMeasure> {
  const trained = await context.trained();
  if (trained instanceof Unavailable) return trained;
  const initial = await context.initial();
  if (initial instanceof Unavailable) return initial;
  const choice = await context.sigma('magnitude');
  if (choice instanceof Unavailable) return choice;
  const raw = magnitudeAwareBound(
    trained.weightLayers.map((layer) => layer.kernel),
    initial.weightLayers.map((layer) => layer.kernel),
    reference,
    choice.sigma,
    context.m,
  );
  return { raw, details: sigmaDetails(choice, 'magnitude') };
}

/** [48] pacbayes_init = ||w - w0||^2 / (4 sigma^2) + ln(m / sigma) + 10. */
export function pacbayesInit(context: MeasureContext): Promise<RawMeasure> {
  return plainBound(context, 'init');
}

/** [49] pacbayes_orig = ||w||^2 / (4 sigma^2) + ln(m / sigma) + 10. */
export function pacbayesOrig(context: MeasureContext): Promise<RawMeasure> {
  return plainBound(context, 'orig');
}

/** [53] pacbayes_flatness = 1 / sigma^2. */
export async function pacbayesFlatness(context: MeasureContext): Promise<RawMeasure> {
  const choice = await context.sigma('plain');
  if (choice instanceof Unavailable) return choice;
  return { raw: 1 / (choice.sigma * choice.sigma), details: sigmaDetails(choice, 'plain') };
}

/** [56] pacbayes_mag_init, ref = w - w0. */
export function pacbayesMagInit(context: MeasureContext): Promise<RawMeasure> {
  return magnitudeBound(context, 'init');
}

/** [57] pacbayes_mag_orig, ref = w. */
export function pacbayesMagOrig(context: MeasureContext): Promise<RawMeasure> {
  return magnitudeBound(context, 'orig');
}

/** [61] pacbayes_mag_flatness = 1 / sigma'^2. */
export async function pacbayesMagFlatness(context: MeasureContext): Promise<RawMeasure> {
  const choice = await context.sigma('magnitude');
  if (choice instanceof Unavailable) return choice;
  return { raw: 1 / (choice.sigma * choice.sigma), details: sigmaDetails(choice, 'magnitude') };
}
