/**
 * The quantities that several measures share (folded networks, per-layer norms, margins, the path
 * norm, the two sigmas), each computed at most once per `computeMeasures` call and only when a
 * requested measure needs it. A quantity that cannot be computed is an `Unavailable` with the
 * reason, which the measures that need it pass on.
 */
import { createLogger } from '../util/log.js';
import { TrainingBatches, defaultForwardBatchSize, predictLogits } from './forward.js';
import type { MarginSummary } from './margin.js';
import { accuracyFromLogits, computeMargins, summarizeMargins, usableGamma } from './margin.js';
import { difference, squaredNorm } from './norms.js';
import { computePathNorm } from './pathNorm.js';
import type { SearchKind, SigmaSearchResult } from './sigmaSearch.js';
import { ParameterPerturbation, searchDefaults, searchSigma } from './sigmaSearch.js';
import { largestSingularValueSquared } from './spectral.js';
import type { MeasureInput, NoiseConvention } from './types.js';
import { Unavailable } from './unavailable.js';
import type { FoldedNetwork, WeightLayer } from './weights.js';
import { describeArchitectureMismatch, extractFoldedNetwork, findNonFiniteWeight, kernelMatrixShape } from './weights.js';

const log = createLogger('measures');

/** Result of a measure function: the raw value with optional details, or the reason it is missing. */
export type RawMeasure = { raw: number; details?: Record<string, number | string | boolean | null> } | Unavailable;

/** The logits of the trained network on the training set and what follows from them. */
export interface TrainingOutputs {
  margins: Float64Array;
  summary: MarginSummary;
  accuracy: number;
}

/** A sigma for the PAC-Bayes measures: searched (with the search's record) or given in the options. */
export interface SigmaChoice {
  sigma: number;
  convention: NoiseConvention;
  search: SigmaSearchResult | null;
}

/** sigma_max^2 of a layer's matrix view. */
function spectralSquared(name: string, kernel: Float64Array, layer: WeightLayer): number {
  const [rows, cols] = kernelMatrixShape(layer);
  const result = largestSingularValueSquared(kernel, rows, cols);
  if (!result.converged) log.warn(`spectral norm of ${name} did not converge in ${result.steps} Lanczos steps (error bound ${result.errorBound})`);
  return result.value;
}

export class MeasureContext {
  readonly input: MeasureInput;
  readonly m: number;
  private readonly cache = new Map<string, Promise<unknown>>();
  private batches: TrainingBatches | undefined;

  constructor(input: MeasureInput) {
    this.input = input;
    this.m = input.y.length;
  }

  /** Runs `compute` once per key and shares its promise. */
  private memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let promise = this.cache.get(key) as Promise<T> | undefined;
    if (promise === undefined) {
      promise = compute();
      this.cache.set(key, promise);
    }
    return promise;
  }

  /** Reports whether the quantity under `key` (`spec`, `distFro`, `distSpec`, ...) was requested already. */
  has(key: string): boolean {
    return this.cache.has(key);
  }

  /** Cuts the training set into batch tensors on first use; `dispose` frees them. */
  trainingBatches(): TrainingBatches {
    this.batches ??= new TrainingBatches(this.input.x, this.input.y, this.input.forwardBatchSize ?? defaultForwardBatchSize);
    return this.batches;
  }

  /** Folds the trained network, finite or not; unavailable for unsupported architectures. */
  trainedStructure(): Promise<FoldedNetwork | Unavailable> {
    return this.memo('structure', async () => extractFoldedNetwork(this.input.model));
  }

  /** Folds the trained network; unavailable for unsupported architectures and non-finite weights. */
  trained(): Promise<FoldedNetwork | Unavailable> {
    return this.memo('trained', async () => {
      const network = await this.trainedStructure();
      if (network instanceof Unavailable) return network;
      const nonFinite = findNonFiniteWeight(network);
      return nonFinite === null ? network : new Unavailable(`the trained network ${nonFinite}`);
    });
  }

  /** Folds the initial network the same way; unavailable when absent, different in shape or non-finite. */
  initial(): Promise<FoldedNetwork | Unavailable> {
    return this.memo('initial', async () => {
      if (this.input.initModel === undefined) {
        return new Unavailable('needs the initial network (the same network before training), which was not provided');
      }
      const network = extractFoldedNetwork(this.input.initModel);
      if (network instanceof Unavailable) return new Unavailable(`the initial network: ${network.reason}`);
      const nonFinite = findNonFiniteWeight(network);
      if (nonFinite !== null) return new Unavailable(`the initial network ${nonFinite}`);
      const trained = await this.trained();
      if (trained instanceof Unavailable) return trained;
      const mismatch = describeArchitectureMismatch(trained, network);
      return mismatch === null ? network : new Unavailable(`the initial network does not match the trained one: ${mismatch}`);
    });
  }

  /** Lists the names of W_1..W_d (the folded Dense and Conv2D layers), or [] when the trained network is unavailable. */
  async layerNames(): Promise<string[]> {
    const network = await this.trained();
    return network instanceof Unavailable ? [] : network.weightLayers.map((layer) => layer.name);
  }

  /** fro_i = ||W_i||_F^2 per layer. */
  layerFro(): Promise<number[] | Unavailable> {
    return this.memo('fro', async () => {
      const network = await this.trained();
      if (network instanceof Unavailable) return network;
      return network.weightLayers.map((layer) => squaredNorm(layer.kernel));
    });
  }

  /** spec_i = sigma_max(W_i)^2 per layer. */
  layerSpec(): Promise<number[] | Unavailable> {
    return this.memo('spec', async () => {
      const network = await this.trained();
      if (network instanceof Unavailable) return network;
      return network.weightLayers.map((layer) => spectralSquared(layer.name, layer.kernel, layer));
    });
  }

  /** W_i - W0_i per layer. */
  private kernelDifferences(): Promise<Float64Array[] | Unavailable> {
    return this.memo('differences', async () => {
      const trained = await this.trained();
      if (trained instanceof Unavailable) return trained;
      const initial = await this.initial();
      if (initial instanceof Unavailable) return initial;
      return trained.weightLayers.map((layer, i) => difference(layer.kernel, initial.weightLayers[i]!.kernel));
    });
  }

  /** dist_fro_i = ||W_i - W0_i||_F^2 per layer. */
  layerDistFro(): Promise<number[] | Unavailable> {
    return this.memo('distFro', async () => {
      const differences = await this.kernelDifferences();
      return differences instanceof Unavailable ? differences : differences.map(squaredNorm);
    });
  }

  /** dist_spec_i = sigma_max(W_i - W0_i)^2 per layer. */
  layerDistSpec(): Promise<number[] | Unavailable> {
    return this.memo('distSpec', async () => {
      const differences = await this.kernelDifferences();
      if (differences instanceof Unavailable) return differences;
      const network = (await this.trained()) as FoldedNetwork;
      return network.weightLayers.map((layer, i) => spectralSquared(`${layer.name} - initial`, differences[i]!, layer));
    });
  }

  /** Computes the margins, their summary and the training accuracy from one forward pass of the trained network. */
  outputs(): Promise<TrainingOutputs | Unavailable> {
    return this.memo('outputs', async () => {
      const { logits, outputs } = await predictLogits(this.input.model, this.trainingBatches());
      const nonFinite = logits.reduce((count, value) => (Number.isFinite(value) ? count : count + 1), 0);
      if (nonFinite > 0) {
        return new Unavailable(`the network's outputs are not finite (NaN or Infinity) in ${nonFinite} of ${logits.length} logits on the training set`);
      }
      const margins = computeMargins(logits, outputs, this.input.y, this.input.task);
      return { margins, summary: summarizeMargins(margins), accuracy: accuracyFromLogits(logits, outputs, this.input.y, this.input.task) };
    });
  }

  /** gamma, unavailable when zero or when the outputs are not finite. */
  async gamma(): Promise<number | Unavailable> {
    const outputs = await this.outputs();
    return outputs instanceof Unavailable ? outputs : usableGamma(outputs.summary, this.m);
  }

  /** Computes the raw path norm of the folded trained network. */
  pathNorm(): Promise<number | Unavailable> {
    return this.memo('pathNorm', async () => {
      const network = await this.trained();
      return network instanceof Unavailable ? network : computePathNorm(network);
    });
  }

  /** sigma (plain) or sigma' (magnitude): from the options when given, else from the search. */
  sigma(kind: SearchKind): Promise<SigmaChoice | Unavailable> {
    return this.memo(`sigma-${kind}`, async () => {
      const { options } = this.input;
      const fixed = kind === 'plain' ? options.sigma : options.sigmaMag;
      if (fixed !== undefined) return { sigma: fixed, convention: options.noise, search: null };

      const outputs = await this.outputs();
      if (outputs instanceof Unavailable) return outputs;
      const probe = new ParameterPerturbation(this.input.model);
      try {
        const nonFinite = await probe.findNonFiniteParameter();
        if (nonFinite !== null) return new Unavailable(`the sigma search cannot run: ${nonFinite}`);
      } finally {
        probe.dispose();
      }
      const search = await searchSigma(
        this.input.model,
        this.trainingBatches(),
        this.input.task,
        outputs.accuracy,
        { kind, convention: options.noise, magnitudeEpsilon: searchDefaults.magnitudeEpsilon },
        options.seed,
      );
      return { sigma: search.sigma, convention: options.noise, search };
    });
  }

  /** Frees the batch tensors. Models and `x` belong to the caller. */
  dispose(): void {
    this.batches?.dispose();
    this.batches = undefined;
    this.cache.clear();
  }
}
