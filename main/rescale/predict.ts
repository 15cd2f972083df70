/**
 * What the measure definitions predict for a rescaled network, from the values before it.
 *
 * After BatchNorm folding, weight layer i of the rescaled network has kernel s_i W_i with
 * s_i = c when the layer was rescaled and its BatchNorm is left in place, and s_i = 1 otherwise: a
 * folded BatchNorm divides the kernel by sqrt(c^2 var + eps), which absorbs the factor (up to
 * epsilon), and layers before no normalisation are not rescaled. With k the number of layers with
 * s_i = c, d the number of weight layers and the margin gamma unchanged (the outputs are):
 *
 * - fro_i and spec_i scale by s_i^2, so param_norm [42] = sum_i s_i^2 fro_i (c^2 when every layer
 *   is rescaled), the log-product measures [32, 37] and their margin versions [31, 36] and [30]
 *   gain 2 k ln c, the log-sum measures [34, 35, 38, 39] gain 2 k ln c / d;
 * - fro_over_spec [33], params [20], inverse_margin [22] and epochs_to_fit are invariant;
 * - dist_fro_i = ||s_i W_i - W0_i||^2 = s_i^2 fro_i - 2 s_i <W_i, W0_i> + fro(W0_i), which gives
 *   fro_dist [40] and log_spec_init_main [29];
 * - dist_spec_init [41] (sigma_max of s_i W_i - W0_i), the path norm with a BatchNorm left in
 *   place (its moving statistics are not squared, so the squared network does not scale by a power
 *   of c) and the PAC-Bayes measures (their sigma searches add noise of a fixed size to the
 *   unfolded parameters, whose scale changed) have no closed form; they are reported unpredicted.
 *   With every rescaled BatchNorm folded, the path norm is invariant.
 */
import type { LayerSummary, MeasureReport } from '../measures/types.js';
import type { FoldedNetwork } from '../measures/weights.js';

export interface Prediction {
  /** The value the definitions predict after rescaling, or null when they give none. */
  value: number | null;
  /** The rule the prediction follows from the definitions, or the reason there is none. */
  rule: string;
}

/** Per-layer quantities the predictions need, in the order W_1..W_d of the folded network. */
export interface LayerFactors {
  /** s_i: c for a rescaled layer whose BatchNorm stays in place, else 1. */
  scale: number[];
  /** <W_i, W0_i> and ||W0_i||_F^2, or null without the initial network. */
  innerWithInitial: number[] | null;
  initialFro: number[] | null;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Builds the layer factors from the folded network before rescaling and the names of the layers whose scale survives folding. */
export function layerFactors(network: FoldedNetwork, initial: FoldedNetwork | null, unfoldedRescaled: ReadonlySet<string>, factor: number): LayerFactors {
  const scale = network.weightLayers.map((layer) => (unfoldedRescaled.has(layer.name) ? factor : 1));
  if (initial === null || initial.weightLayers.length !== network.weightLayers.length) return { scale, innerWithInitial: null, initialFro: null };
  return {
    scale,
    innerWithInitial: network.weightLayers.map((layer, i) => dot(layer.kernel, initial.weightLayers[i]!.kernel)),
    initialFro: initial.weightLayers.map((layer) => dot(layer.kernel, layer.kernel)),
  };
}

const invariant = (value: number, rule: string): Prediction => ({ value, rule });

/** Predicts every measure of `before` for the rescaled network. */
export function predictMeasures(before: MeasureReport, factors: LayerFactors, factor: number): Record<string, Prediction> {
  const layers: LayerSummary[] = before.layers ?? [];
  const d = layers.length;
  const k = factors.scale.filter((scale) => scale !== 1).length;
  const shift = 2 * k * Math.log(factor);
  const predictions: Record<string, Prediction> = {};
  const distFro = (i: number): number | null => {
    if (factors.innerWithInitial === null || factors.initialFro === null) return null;
    const s = factors.scale[i]!;
    return s * s * layers[i]!.fro - 2 * s * factors.innerWithInitial[i]! + factors.initialFro[i]!;
  };

  for (const [id, value] of Object.entries(before.values)) {
    if ('missing' in value) {
      predictions[id] = { value: null, rule: 'missing before rescaling' };
      continue;
    }
    const raw = value.raw;
    switch (id) {
      case 'params':
      case 'inverse_margin':
      case 'epochs_to_fit':
      case 'fro_over_spec':
        predictions[id] = invariant(raw, id === 'fro_over_spec' ? 'fro_i / spec_i is invariant per layer' : 'does not depend on the weights\' scale');
        break;
      case 'param_norm': {
        const sum = layers.reduce((total, layer, i) => total + factors.scale[i]! ** 2 * layer.fro, 0);
        predictions[id] = { value: d === 0 ? null : sum, rule: `sum_i s_i^2 fro_i, ${k} of ${d} layers with s_i = c` };
        break;
      }
      case 'log_prod_of_spec':
      case 'log_prod_of_fro':
      case 'log_prod_of_spec_over_margin':
      case 'log_prod_of_fro_over_margin':
      case 'log_spec_orig_main':
        predictions[id] = { value: raw + shift, rule: `+ 2 k ln c with k = ${k} layers whose scale survives folding` };
        break;
      case 'log_sum_of_spec':
      case 'log_sum_of_fro':
      case 'log_sum_of_spec_over_margin':
      case 'log_sum_of_fro_over_margin':
        predictions[id] = { value: d === 0 ? null : raw + shift / d, rule: `+ 2 k ln c / d with k = ${k}, d = ${d}` };
        break;
      case 'fro_dist': {
        const values = layers.map((_, i) => distFro(i));
        predictions[id] = values.some((entry) => entry === null)
          ? { value: null, rule: 'needs the initial network' }
          : { value: (values as number[]).reduce((total, entry) => total + entry, 0), rule: 'sum_i ||s_i W_i - W0_i||^2' };
        break;
      }
      case 'log_spec_init_main': {
        const overMargin = before.values.log_prod_of_spec_over_margin;
        const values = layers.map((_, i) => distFro(i));
        if (values.some((entry) => entry === null) || layers.some((layer) => layer.spec === null)) {
          predictions[id] = { value: null, rule: 'needs the initial network and the spectral norms' };
          break;
        }
        const ratio = layers.reduce((total, layer, i) => total + values[i]! / (factors.scale[i]! ** 2 * layer.spec!), 0);
        const base = overMargin !== undefined && !('missing' in overMargin) ? overMargin.raw : layers.reduce((total, layer) => total + Math.log(layer.spec!), 0) - 2 * Math.log(before.margin.gamma);
        predictions[id] = { value: base + shift + Math.log(ratio), rule: '[31] + 2 k ln c + ln sum_i dist_fro_i\' / spec_i\'' };
        break;
      }
      case 'path_norm':
      case 'path_norm_over_margin':
        predictions[id] =
          k === 0
            ? invariant(raw, 'every rescaled BatchNorm is folded, so the folded parameters are unchanged')
            : { value: null, rule: 'a rescaled BatchNorm stays in place, and its moving statistics are not squared' };
        break;
      case 'dist_spec_init':
        predictions[id] = k === 0 ? invariant(raw, 'the folded kernels are unchanged') : { value: null, rule: 'sigma_max(c W - W0) has no closed form in the values before' };
        break;
      default:
        predictions[id] = { value: null, rule: 'the sigma search perturbs the unfolded parameters, whose scale changed' };
    }
  }
  return predictions;
}
