/**
 * Training margins and the margin measure.
 *
 * Margin of example i: f_y(x_i) - max_{j != y} f_j(x_i) with K logits (multi-class), or
 * (2 y_i - 1) f(x_i) with one logit (binary, labels 0/1). gamma is the absolute value of the k-th
 * smallest margin, k = max(1, floor(m / 10)) counted from 1, so that a misclassified 10th
 * percentile still gives a positive gamma.
 */
import type { MeasureContext, RawMeasure } from './context.js';
import type { Task } from './types.js';
import { Unavailable } from './unavailable.js';

export interface MarginSummary {
  /** Rank of gamma among the sorted margins, counted from 1. */
  k: number;
  /** The k-th smallest margin, signed. */
  kthSmallest: number;
  /** |kthSmallest|. */
  gamma: number;
}

/** k = max(1, floor(m / 10)). */
export function marginRank(m: number): number {
  return Math.max(1, Math.floor(m / 10));
}

/** Per-example margins from logits [m, outputs] (C order); `outputs` 1 means the binary task. */
export function computeMargins(logits: ArrayLike<number>, outputs: number, y: Int32Array, task: Task): Float64Array {
  const m = y.length;
  if (logits.length !== m * outputs) throw new RangeError(`computeMargins: ${logits.length} logits do not form ${m} rows of ${outputs}`);
  const margins = new Float64Array(m);
  if (task === 'binary') {
    if (outputs !== 1) throw new RangeError(`computeMargins: the binary task needs one logit per example, received ${outputs}`);
    for (let i = 0; i < m; i++) margins[i] = (2 * y[i]! - 1) * logits[i]!;
    return margins;
  }
  for (let i = 0; i < m; i++) {
    const row = i * outputs;
    const label = y[i]!;
    let other = -Infinity;
    for (let j = 0; j < outputs; j++) {
      if (j !== label && logits[row + j]! > other) other = logits[row + j]!;
    }
    margins[i] = logits[row + label]! - other;
  }
  return margins;
}

/** Fraction of examples classified correctly: argmax of the logits (first index on ties), or logit > 0 for class 1. */
export function accuracyFromLogits(logits: ArrayLike<number>, outputs: number, y: Int32Array, task: Task): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    if (task === 'binary') {
      if ((logits[i]! > 0 ? 1 : 0) === y[i]) correct++;
      continue;
    }
    let best = 0;
    for (let j = 1; j < outputs; j++) if (logits[i * outputs + j]! > logits[i * outputs + best]!) best = j;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

/** k, the signed k-th smallest margin and gamma. */
export function summarizeMargins(margins: Float64Array): MarginSummary {
  const k = marginRank(margins.length);
  const sorted = Float64Array.from(margins).sort();
  const kthSmallest = sorted[k - 1]!;
  return { k, kthSmallest, gamma: Math.abs(kthSmallest) };
}

/** gamma, or the reason it is unusable as a divisor (zero). */
export function usableGamma(summary: MarginSummary, m: number): number | Unavailable {
  if (summary.gamma === 0) {
    return new Unavailable(`margin is zero: the ${ordinal(summary.k)} smallest training margin (k = max(1, floor(${m} / 10))) is 0`);
  }
  return summary.gamma;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** [22] inverse_margin = 1 / gamma^2. */
export async function inverseMargin(context: MeasureContext): Promise<RawMeasure> {
  const gamma = await context.gamma();
  if (gamma instanceof Unavailable) return gamma;
  return { raw: 1 / (gamma * gamma) };
}
