/**
 * The measure engine's entry point: `computeMeasures` checks its input, evaluates each requested
 * measure (sharing intermediate results through a MeasureContext), size-adjusts the raw values and
 * returns a report. A measure that cannot be computed is `{ missing: reason }`, never 0, NaN or
 * Infinity; the other measures still come back.
 *
 * The sigma searches perturb `input.model` in place and restore it before returning, so the model
 * must not be used elsewhere while this runs.
 */
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import type { RawMeasure } from './context.js';
import { MeasureContext } from './context.js';
import { inverseMargin, marginRank } from './margin.js';
import {
  distSpecInit,
  froDist,
  froOverSpec,
  logProdOfFro,
  logProdOfFroOverMargin,
  logProdOfSpec,
  logProdOfSpecOverMargin,
  logSpecInitMain,
  logSpecOrigMain,
  logSumOfFro,
  logSumOfFroOverMargin,
  logSumOfSpec,
  logSumOfSpecOverMargin,
  paramNorm,
  params,
} from './norms.js';
import { pacbayesFlatness, pacbayesInit, pacbayesMagFlatness, pacbayesMagInit, pacbayesMagOrig, pacbayesOrig } from './pacBayes.js';
import { pathNorm, pathNormOverMargin } from './pathNorm.js';
import type { MeasureId } from './registry.js';
import { getMeasureDefinition, sizeAdjust } from './registry.js';
import type { LayerSummary, MeasureInput, MeasureReport, MeasureValue } from './types.js';
import { Unavailable } from './unavailable.js';
import { kernelMatrixShape } from './weights.js';

const log = createLogger('measures');

type MeasureFunction = (context: MeasureContext) => Promise<RawMeasure>;

/** The function of every measure that is computed from a trained network. */
const implementations: Record<Exclude<MeasureId, 'marginal_likelihood_bound'>, MeasureFunction> = {
  params,
  inverse_margin: inverseMargin,
  log_prod_of_spec: logProdOfSpec,
  log_prod_of_spec_over_margin: logProdOfSpecOverMargin,
  log_spec_init_main: logSpecInitMain,
  log_spec_orig_main: logSpecOrigMain,
  fro_over_spec: froOverSpec,
  log_sum_of_spec_over_margin: logSumOfSpecOverMargin,
  log_sum_of_spec: logSumOfSpec,
  log_prod_of_fro_over_margin: logProdOfFroOverMargin,
  log_prod_of_fro: logProdOfFro,
  log_sum_of_fro_over_margin: logSumOfFroOverMargin,
  log_sum_of_fro: logSumOfFro,
  fro_dist: froDist,
  dist_spec_init: distSpecInit,
  param_norm: paramNorm,
  path_norm_over_margin: pathNormOverMargin,
  path_norm: pathNorm,
  pacbayes_init: pacbayesInit,
  pacbayes_orig: pacbayesOrig,
  pacbayes_flatness: pacbayesFlatness,
  pacbayes_mag_init: pacbayesMagInit,
  pacbayes_mag_orig: pacbayesMagOrig,
  pacbayes_mag_flatness: pacbayesMagFlatness,
  epochs_to_fit: epochsToFit,
};

/** epochs_to_fit, taken from the run's record. */
async function epochsToFit(context: MeasureContext): Promise<RawMeasure> {
  const epochs = context.input.epochsToFit;
  if (epochs === undefined) return new Unavailable('epochs_to_fit is known only for runs trained by the lab (the input gives no epoch count)');
  return { raw: epochs };
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((size) => (size === null ? 'null' : String(size))).join(', ')}]`;
}

/** Checks the input and raises an `invalid-input` or `unsupported` LabError that names the value and the fix. */
export function validateMeasureInput(input: MeasureInput): void {
  for (const id of input.ids) getMeasureDefinition(id);
  const { model, x, y, task, options } = input;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new LabError('unsupported', `The model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the measures need a model with one input and one output (the logits)`);
  }
  const m = y.length;
  if (m < 1) throw new LabError('invalid-input', 'The training set is empty; the measures need the examples the network was trained on', { field: 'y' });
  if (x.shape[0] !== m) {
    throw new LabError('invalid-input', `x has ${x.shape[0]} examples (shape ${shapeText(x.shape)}) but y has ${m} labels; pass one label per example`, { field: 'x' });
  }
  if (x.dtype !== 'float32') throw new LabError('invalid-input', `x has dtype ${x.dtype}; convert it to float32`, { field: 'x' });
  const expected = model.inputs[0]!.shape.slice(1);
  const actual = x.shape.slice(1);
  if (expected.length !== actual.length || expected.some((size, axis) => size !== null && size !== actual[axis])) {
    throw new LabError('invalid-input', `x has shape ${shapeText(x.shape)} but the model takes inputs of shape ${shapeText([null, ...expected])}; pass the training set in the model's input shape`, { field: 'x' });
  }

  const outputShape = model.outputs[0]!.shape;
  const width = outputShape[outputShape.length - 1];
  if (outputShape.length !== 2 || width === null || width === undefined) {
    throw new LabError('unsupported', `The model's output has shape ${shapeText(outputShape)}; the measures need logits of shape [null, K]`);
  }
  if (task === 'binary' && width !== 1) {
    throw new LabError('invalid-input', `The task is binary, which needs one output logit, but the model has ${width}; use the multiclass task`, { field: 'task' });
  }
  if (task === 'multiclass' && width < 2) {
    throw new LabError('invalid-input', 'The task is multiclass, but the model has one output logit; use the binary task', { field: 'task' });
  }
  const lastLayer = model.layers[model.layers.length - 1];
  const activation = (lastLayer?.getConfig() as { activation?: unknown } | undefined)?.activation;
  if (activation === 'softmax' || activation === 'sigmoid') {
    throw new LabError('unsupported', `The output layer ${lastLayer!.name} applies ${activation}; the margins need logits: save the model with a linear output layer`);
  }
  const classes = task === 'binary' ? 2 : width;
  for (let i = 0; i < m; i++) {
    if (!(y[i]! >= 0 && y[i]! < classes)) {
      throw new LabError('invalid-input', `Label y[${i}] is ${y[i]}; ${task === 'binary' ? 'binary labels must be 0 or 1' : `class indices must lie in 0..${classes - 1} for a model with ${classes} logits`}`, { field: 'y' });
    }
  }

  for (const [name, value] of [['sigma', options.sigma], ['sigmaMag', options.sigmaMag]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new LabError('invalid-input', `options.${name} is ${value}; give a positive noise level, or leave it out to run the search`, { field: `options.${name}` });
    }
  }
  if (options.noise !== 'stated' && options.noise !== 'reference') {
    throw new LabError('invalid-input', `options.noise is "${String(options.noise)}"; use "stated" or "reference"`, { field: 'options.noise' });
  }
  if (input.epochsToFit !== undefined && !(Number.isFinite(input.epochsToFit) && input.epochsToFit >= 0)) {
    throw new LabError('invalid-input', `epochsToFit is ${input.epochsToFit}; give a non-negative number of epochs`, { field: 'epochsToFit' });
  }
  if (input.forwardBatchSize !== undefined && !(Number.isInteger(input.forwardBatchSize) && input.forwardBatchSize >= 1)) {
    throw new LabError('invalid-input', `forwardBatchSize is ${input.forwardBatchSize}; give a positive integer`, { field: 'forwardBatchSize' });
  }
}

async function evaluate(id: string, context: MeasureContext): Promise<MeasureValue> {
  const definition = getMeasureDefinition(id);
  if (definition.id === 'marginal_likelihood_bound') {
    return { missing: 'the marginal-likelihood bound is computed from the training data by the bounds module, not by the measure engine' };
  }
  let result: RawMeasure;
  try {
    result = await implementations[definition.id](context);
  } catch (error) {
    if (error instanceof LabError && error.kind !== 'internal') throw error;
    log.error(`${id} failed: ${(error as Error).stack ?? String(error)}`);
    return { missing: `computing ${id} failed: ${(error as Error).message ?? String(error)}` };
  }
  if (result instanceof Unavailable) return { missing: result.reason };
  if (!Number.isFinite(result.raw)) return { missing: `${id} evaluated to ${result.raw}, which is not a finite number` };
  const adjusted = sizeAdjust(id, result.raw, context.m);
  if (!Number.isFinite(adjusted)) return { missing: `the size-adjusted value of ${id} is undefined (raw value ${result.raw})` };
  return result.details === undefined ? { raw: result.raw, adjusted } : { raw: result.raw, adjusted, details: result.details };
}

async function summarizeLayers(context: MeasureContext): Promise<Pick<MeasureReport, 'layers' | 'folding'>> {
  const network = await context.trained();
  if (network instanceof Unavailable) return {};
  const fro = (await context.layerFro()) as number[];
  const spec = context.has('spec') ? await context.layerSpec() : undefined;
  const distFro = context.has('distFro') ? await context.layerDistFro() : undefined;
  const distSpec = context.has('distSpec') ? await context.layerDistSpec() : undefined;
  const pick = (values: number[] | Unavailable | undefined, i: number): number | null => (Array.isArray(values) ? values[i]! : null);
  const layers: LayerSummary[] = network.weightLayers.map((layer, i) => {
    const [rows, cols] = kernelMatrixShape(layer);
    return {
      name: layer.name,
      kind: layer.kind,
      foldedBatchNorm: layer.foldedBatchNorm,
      kernelShape: layer.kernelShape,
      matrixShape: [cols, rows],
      numWeights: layer.kernel.length,
      fro: fro[i]!,
      spec: pick(spec, i),
      distFro: pick(distFro, i),
      distSpec: pick(distSpec, i),
    };
  });
  const folding = {
    folded: [...network.plan.folds].map(([batchNorm, into]) => ({ batchNorm, into })),
    leftInPlace: network.plan.leftInPlace,
  };
  return { layers, folding };
}

/**
 * Computes the requested measures of a trained network on its training set. Raises a LabError for
 * invalid input (shapes, labels, options, unknown ids); measures that cannot be computed come back
 * as missing with the reason.
 */
export async function computeMeasures(input: MeasureInput): Promise<MeasureReport> {
  validateMeasureInput(input);
  const startedMs = performance.now();
  const context = new MeasureContext(input);
  log.info(`computing ${input.ids.length} measures on m = ${context.m} examples (${input.task})`);
  try {
    const values: Record<string, MeasureValue> = {};
    for (const id of input.ids) {
      const measureStartMs = performance.now();
      values[id] = await evaluate(id, context);
      log.debug(`${id} in ${Math.round(performance.now() - measureStartMs)} ms`);
    }
    const outputs = await context.outputs();
    const margin =
      outputs instanceof Unavailable
        ? { k: marginRank(context.m), kthSmallest: NaN, gamma: NaN }
        : { k: outputs.summary.k, kthSmallest: outputs.summary.kthSmallest, gamma: outputs.summary.gamma };
    const report: MeasureReport = {
      m: context.m,
      trainAccuracy: outputs instanceof Unavailable ? NaN : outputs.accuracy,
      margin,
      values,
      ...(await summarizeLayers(context)),
    };
    const missing = Object.values(values).filter((value) => 'missing' in value).length;
    log.info(`computed ${input.ids.length} measures (${missing} missing) in ${Math.round(performance.now() - startedMs)} ms`);
    return report;
  } finally {
    context.dispose();
  }
}
