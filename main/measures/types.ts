/**
 * Types shared by the measure implementations, the study worker, the store and the reports.
 * The definitions themselves are in the registry (`registry.ts`).
 */
import type * as tf from '@tensorflow/tfjs';

export type Task = 'binary' | 'multiclass';

/** How the sigma searches scale their noise (see the registry's PAC-Bayes entries). */
export type NoiseConvention = 'stated' | 'reference';

export type MeasureFamily = 'size' | 'margin' | 'spectral' | 'frobenius' | 'path' | 'pac-bayes' | 'optimization' | 'marginal-likelihood';

/** How expensive a measure is, relative to one forward pass over the training set. */
export type CostClass = 'free' | 'weights' | 'forward' | 'search' | 'kernel';

export interface MeasureDefinition {
  /** Identifier used in specs, the database, CSV columns and reports (`log_prod_of_spec`). */
  id: string;
  /** Equation number in Jiang et al. 2020, "Fantastic generalization measures", or null. */
  equation: number | null;
  /** Where the definition comes from, as a short citation. */
  source: string;
  family: MeasureFamily;
  /** Whether the raw value is a natural logarithm (ids starting with `log_`). */
  isLog: boolean;
  needs: { initialWeights: boolean; data: boolean };
  cost: CostClass;
  /** One line for tables and tooltips. */
  title: string;
  /** The definition in plain text with its formula, shown in the app's help and in reports. */
  definition: string;
}

/** A computed measure: both the raw value and the size-adjusted value that tables show. */
export interface MeasureValuePresent {
  raw: number;
  adjusted: number;
  /** Extra facts worth keeping with the value, e.g. the sigma found and the noise convention. */
  details?: Record<string, number | string | boolean | null>;
}

/** A measure that could not be computed, with a reason a user can read. */
export interface MeasureValueMissing {
  missing: string;
}

export type MeasureValue = MeasureValuePresent | MeasureValueMissing;

export function isMissing(value: MeasureValue): value is MeasureValueMissing {
  return 'missing' in value;
}

export interface MeasureOptions {
  /** Noise convention of both sigma searches; `stated` follows the published mathematics. */
  noise: NoiseConvention;
  /** Skip the plain sigma search and use this sigma. */
  sigma?: number;
  /** Skip the magnitude-aware search and use this sigma'. */
  sigmaMag?: number;
  /** Seeds the noise of the sigma searches, so that a run's measures are reproducible. */
  seed: number | string;
}

export interface MeasureInput {
  /** The trained network, in inference mode. Its output is the logits. */
  model: tf.LayersModel;
  /** The same network at initialisation; measures that need it are missing without it. */
  initModel?: tf.LayersModel;
  /** The training set the network was trained on, shape [m, H, W, C], float32. */
  x: tf.Tensor;
  /** Labels of `x`: class indices (multiclass) or 0/1 (binary). */
  y: Int32Array;
  task: Task;
  /** Which measures to compute; ids not in the registry raise an error. */
  ids: readonly string[];
  options: MeasureOptions;
  /** Epochs the run needed to meet its stopping rule, for `epochs_to_fit`. */
  epochsToFit?: number;
  /** Examples per forward pass over the training set (default 512); it changes speed and memory, not results. */
  forwardBatchSize?: number;
}

/**
 * Norms of one Dense or Conv2D layer after BatchNorm folding. Norms are squared (fro = ||W||_F^2,
 * spec = sigma_max(W)^2 of the matrix view); a field is null when it was not needed or the initial
 * network is absent.
 */
export interface LayerSummary {
  name: string;
  kind: 'Dense' | 'Conv2D';
  /** The BatchNormalization folded into this layer, or null. */
  foldedBatchNorm: string | null;
  /** Kernel shape in the TF.js layout: [in, out] or [kh, kw, in, out]. */
  kernelShape: number[];
  /** Matrix view [rows, cols] = [out, product of the other kernel axes]. */
  matrixShape: [number, number];
  numWeights: number;
  fro: number;
  spec: number | null;
  distFro: number | null;
  distSpec: number | null;
}

/** Record of the BatchNormalization layers folded into a Dense or Conv2D layer and of those left in place. */
export interface FoldingSummary {
  folded: { batchNorm: string; into: string }[];
  leftInPlace: string[];
}

export interface MeasureReport {
  m: number;
  /** Fraction of the training set classified correctly in inference mode; NaN when the outputs are not finite. */
  trainAccuracy: number;
  /** k = max(1, floor(m / 10)), the signed k-th smallest margin and gamma = its absolute value (NaN when undefined). */
  margin: { k: number; kthSmallest: number; gamma: number };
  values: Record<string, MeasureValue>;
  /** Per-layer norms of the folded trained network; absent when the architecture is not supported. */
  layers?: LayerSummary[];
  folding?: FoldingSummary;
}
