/**
 * The size, spectral and Frobenius measures, computed from the folded kernels W_1..W_d in float64.
 * fro_i = ||W_i||_F^2 and spec_i = sigma_max(W_i)^2 of the matrix view (spectral.ts); dist_fro_i
 * and dist_spec_i are the same for W_i - W0_i, with W0 the initial network folded the same way.
 * Equation numbers are those of Jiang et al. 2020.
 */
import type { MeasureContext, RawMeasure } from './context.js';
import { Unavailable } from './unavailable.js';

/** ||values||^2 in float64. */
export function squaredNorm(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return sum;
}

/** Element-wise a - b. */
export function difference(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length !== b.length) throw new RangeError(`difference: arrays of ${a.length} and ${b.length} values`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** sum_i ln values_i; unavailable when a value is not positive (its logarithm is undefined). */
function sumOfLogs(values: readonly number[], layerNames: readonly string[], what: string): number | Unavailable {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (!(values[i]! > 0)) return new Unavailable(`${what} of layer ${layerNames[i]} is ${values[i]}, so its logarithm is undefined (an all-zero kernel)`);
    sum += Math.log(values[i]!);
  }
  return sum;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** sum_i ln spec_i, [32]. */
async function logProductOfSpectral(context: MeasureContext): Promise<number | Unavailable> {
  const spec = await context.layerSpec();
  if (spec instanceof Unavailable) return spec;
  return sumOfLogs(spec, await context.layerNames(), 'the squared spectral norm');
}

/** sum_i ln fro_i, [37]. */
async function logProductOfFrobenius(context: MeasureContext): Promise<number | Unavailable> {
  const fro = await context.layerFro();
  if (fro instanceof Unavailable) return fro;
  return sumOfLogs(fro, await context.layerNames(), 'the squared Frobenius norm');
}

/** ln d + value / d: the log of d times the geometric mean (the "sum of" measures [34, 35, 38, 39]). */
function logSumFromLogProduct(logProduct: number, d: number): number {
  return Math.log(d) + logProduct / d;
}

/** [20] params: number of kernel entries (defined even when a weight is not finite). */
export async function params(context: MeasureContext): Promise<RawMeasure> {
  const network = await context.trainedStructure();
  if (network instanceof Unavailable) return network;
  return { raw: network.weightLayers.reduce((total, layer) => total + layer.kernel.length, 0) };
}

/** [32] log_prod_of_spec = sum_i ln spec_i. */
export async function logProdOfSpec(context: MeasureContext): Promise<RawMeasure> {
  const value = await logProductOfSpectral(context);
  return value instanceof Unavailable ? value : { raw: value };
}

/** [31] log_prod_of_spec_over_margin = [32] - 2 ln gamma. */
export async function logProdOfSpecOverMargin(context: MeasureContext): Promise<RawMeasure> {
  const logProduct = await logProductOfSpectral(context);
  if (logProduct instanceof Unavailable) return logProduct;
  const gamma = await context.gamma();
  if (gamma instanceof Unavailable) return gamma;
  return { raw: logProduct - 2 * Math.log(gamma) };
}

/** [29] log_spec_init_main = [31] + ln sum_i (dist_fro_i / spec_i). */
export async function logSpecInitMain(context: MeasureContext): Promise<RawMeasure> {
  const overMargin = await logProdOfSpecOverMargin(context);
  if (overMargin instanceof Unavailable) return overMargin;
  const distFro = await context.layerDistFro();
  if (distFro instanceof Unavailable) return distFro;
  const spec = (await context.layerSpec()) as number[];
  const ratio = sum(distFro.map((value, i) => value / spec[i]!));
  if (!(ratio > 0)) return new Unavailable('the trained kernels equal the initial ones, so ln sum_i (dist_fro_i / spec_i) is undefined');
  return { raw: overMargin.raw + Math.log(ratio) };
}

/** [30] log_spec_orig_main = [31] + ln [33]. */
export async function logSpecOrigMain(context: MeasureContext): Promise<RawMeasure> {
  const overMargin = await logProdOfSpecOverMargin(context);
  if (overMargin instanceof Unavailable) return overMargin;
  const ratio = await froOverSpec(context);
  if (ratio instanceof Unavailable) return ratio;
  return { raw: overMargin.raw + Math.log(ratio.raw) };
}

/** [33] fro_over_spec = sum_i fro_i / spec_i. */
export async function froOverSpec(context: MeasureContext): Promise<RawMeasure> {
  const spec = await context.layerSpec();
  if (spec instanceof Unavailable) return spec;
  const fro = (await context.layerFro()) as number[];
  const names = await context.layerNames();
  const zero = spec.findIndex((value) => !(value > 0));
  if (zero >= 0) return new Unavailable(`the spectral norm of layer ${names[zero]} is 0 (an all-zero kernel), so fro / spec is undefined`);
  return { raw: sum(fro.map((value, i) => value / spec[i]!)) };
}

/** [34] log_sum_of_spec_over_margin = ln d + ([32] - 2 ln gamma) / d. */
export async function logSumOfSpecOverMargin(context: MeasureContext): Promise<RawMeasure> {
  const overMargin = await logProdOfSpecOverMargin(context);
  if (overMargin instanceof Unavailable) return overMargin;
  return { raw: logSumFromLogProduct(overMargin.raw, (await context.layerNames()).length) };
}

/** [35] log_sum_of_spec = ln d + [32] / d. */
export async function logSumOfSpec(context: MeasureContext): Promise<RawMeasure> {
  const logProduct = await logProductOfSpectral(context);
  if (logProduct instanceof Unavailable) return logProduct;
  return { raw: logSumFromLogProduct(logProduct, (await context.layerNames()).length) };
}

/** [36] log_prod_of_fro_over_margin = [37] - 2 ln gamma. */
export async function logProdOfFroOverMargin(context: MeasureContext): Promise<RawMeasure> {
  const logProduct = await logProductOfFrobenius(context);
  if (logProduct instanceof Unavailable) return logProduct;
  const gamma = await context.gamma();
  if (gamma instanceof Unavailable) return gamma;
  return { raw: logProduct - 2 * Math.log(gamma) };
}

/** [37] log_prod_of_fro = sum_i ln fro_i. */
export async function logProdOfFro(context: MeasureContext): Promise<RawMeasure> {
  const value = await logProductOfFrobenius(context);
  return value instanceof Unavailable ? value : { raw: value };
}

/** [38] log_sum_of_fro_over_margin = ln d + ([37] - 2 ln gamma) / d. */
export async function logSumOfFroOverMargin(context: MeasureContext): Promise<RawMeasure> {
  const overMargin = await logProdOfFroOverMargin(context);
  if (overMargin instanceof Unavailable) return overMargin;
  return { raw: logSumFromLogProduct(overMargin.raw, (await context.layerNames()).length) };
}

/** [39] log_sum_of_fro = ln d + [37] / d. */
export async function logSumOfFro(context: MeasureContext): Promise<RawMeasure> {
  const logProduct = await logProductOfFrobenius(context);
  if (logProduct instanceof Unavailable) return logProduct;
  return { raw: logSumFromLogProduct(logProduct, (await context.layerNames()).length) };
}

/** [40] fro_dist = sum_i ||W_i - W0_i||_F^2. */
export async function froDist(context: MeasureContext): Promise<RawMeasure> {
  const distFro = await context.layerDistFro();
  return distFro instanceof Unavailable ? distFro : { raw: sum(distFro) };
}

/** [41] dist_spec_init = sum_i sigma_max(W_i - W0_i)^2. */
export async function distSpecInit(context: MeasureContext): Promise<RawMeasure> {
  const distSpec = await context.layerDistSpec();
  return distSpec instanceof Unavailable ? distSpec : { raw: sum(distSpec) };
}

/** [42] param_norm = sum_i ||W_i||_F^2. */
export async function paramNorm(context: MeasureContext): Promise<RawMeasure> {
  const fro = await context.layerFro();
  return fro instanceof Unavailable ? fro : { raw: sum(fro) };
}
