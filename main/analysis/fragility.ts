/**
 * CMS and eCMS, trend flips, value shifts and verdicts, for a measure mu, the target eps, the
 * baseline B and a perturbation P:
 *
 *   CMS_mu(P)  = alpha_mu(P) - alpha_mu(B)                       change in measure slope
 *   eCMS_mu(P) = CMS_mu(P) - (alpha_eps(P) - alpha_eps(B))        the part the target does not share
 *   flip       = sign(alpha_mu(P)) != sign(alpha_mu(B)) and sign(alpha_eps(P)) == sign(alpha_eps(B))
 *   VS_X(P)    = mean over m of (x_P(m) - x_B(m))                  value shift, in decades
 *   eVS_mu(P)  = VS_mu(P) - VS_eps(P)
 *
 * with sign(0) = 0. A score is null when any exponent or cell it needs is null. A robust measure
 * has eCMS near 0 for every perturbation: it moves its exponent only as far as the target does.
 */
import { buildGrid } from './design.js';
import type { Grid, StudyDesign } from './design.js';
import type { CellMeans } from './cells.js';
import { sign } from './statistics.js';
import type { Interval } from './statistics.js';

export type Verdict = 'fragile' | 'robust' | 'undetermined';

/** The default eCMS threshold beyond which a measure is fragile to a perturbation. */
export const defaultThreshold = 0.1;

export interface FragilityScores {
  cms: Grid<number | null>;
  ecms: Grid<number | null>;
  vs: Grid<number | null>;
  evs: Grid<number | null>;
  /** VS of the target per perturbation. */
  vs_target: Record<string, number | null>;
  trend_flip: Grid<boolean | null>;
}

function difference(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

/** Returns VS = mean over sizes of x_P(m) - x_B(m); null when a cell of either condition is null. */
export function valueShift(perturbed: readonly (number | null)[], baseline: readonly (number | null)[]): number | null {
  if (perturbed.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < perturbed.length; i++) {
    const shift = difference(perturbed[i] ?? null, baseline[i] ?? null);
    if (shift === null) return null;
    sum += shift;
  }
  return sum / perturbed.length;
}

/** Computes CMS, eCMS, VS, eVS and the trend flips of every measure and perturbation. */
export function computeFragilityScores(design: StudyDesign, means: CellMeans, alpha: Grid<number | null>): FragilityScores {
  const { target, baseline, measures, perturbations } = design;
  const alphaTarget = alpha[target]!;
  const targetSlopeChange = (perturbation: string): number | null => difference(alphaTarget[perturbation]!, alphaTarget[baseline]!);

  const cms = buildGrid(measures, perturbations, (measure, perturbation) => difference(alpha[measure]![perturbation]!, alpha[measure]![baseline]!));
  const ecms = buildGrid(measures, perturbations, (measure, perturbation) =>
    difference(cms[measure]![perturbation]!, targetSlopeChange(perturbation)),
  );

  const vs_target: Record<string, number | null> = {};
  for (const perturbation of perturbations) vs_target[perturbation] = valueShift(means[target]![perturbation]!, means[target]![baseline]!);
  const vs = buildGrid(measures, perturbations, (measure, perturbation) => valueShift(means[measure]![perturbation]!, means[measure]![baseline]!));
  const evs = buildGrid(measures, perturbations, (measure, perturbation) => difference(vs[measure]![perturbation]!, vs_target[perturbation]!));

  const trend_flip = buildGrid(measures, perturbations, (measure, perturbation) => {
    if (ecms[measure]![perturbation] === null) return null;
    const measureFlips = sign(alpha[measure]![perturbation]!) !== sign(alpha[measure]![baseline]!);
    const targetKeepsSign = sign(alphaTarget[perturbation]!) === sign(alphaTarget[baseline]!);
    return measureFlips && targetKeepsSign;
  });

  return { cms, ecms, vs, evs, vs_target, trend_flip };
}

/** Tells whether an interval contains the threshold or its negative, so |eCMS| may fall on either side. */
export function straddlesThreshold(interval: Interval, threshold: number): boolean {
  const [low, high] = interval;
  return (low <= threshold && threshold <= high) || (low <= -threshold && -threshold <= high);
}

/**
 * Decides the verdict of one (measure, perturbation) cell: `undetermined` when eCMS is missing or
 * its interval straddles the threshold; otherwise `fragile` when |eCMS| > threshold or the trend
 * flips, else `robust`. Without an interval (no bootstrap) the point value decides alone.
 */
export function decideVerdict(ecms: number | null, interval: Interval | null, trendFlip: boolean | null, threshold: number): Verdict {
  if (ecms === null) return 'undetermined';
  if (interval !== null && straddlesThreshold(interval, threshold)) return 'undetermined';
  return Math.abs(ecms) > threshold || trendFlip === true ? 'fragile' : 'robust';
}

export interface MeasureSummary {
  /** max |eCMS| over the perturbations with an eCMS; null when there is none. */
  worst_abs_ecms: number | null;
  fragile_count: number;
}

/** Summarizes one measure over its perturbations. */
export function summarizeMeasure(ecms: Record<string, number | null>, verdicts: Record<string, Verdict>): MeasureSummary {
  let worst: number | null = null;
  for (const value of Object.values(ecms)) {
    if (value !== null && (worst === null || Math.abs(value) > worst)) worst = Math.abs(value);
  }
  const fragile_count = Object.values(verdicts).filter((verdict) => verdict === 'fragile').length;
  return { worst_abs_ecms: worst, fragile_count };
}
