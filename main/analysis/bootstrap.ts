/**
 * Bootstrap percentile intervals over seeds. For every quantity and (condition, m) cell, each
 * resample draws n runs with replacement among the n valid runs of that cell, so no cell becomes
 * empty. Every statistic (cell means, alpha, CMS, eCMS, VS, eVS) is then recomputed from the
 * resampled cells, and its interval is the central percentile interval over the resamples.
 *
 * The runs of a cell are drawn jointly for all quantities: one list of uniform draws u_1..u_K per
 * cell (K = runs in the cell), and a quantity with n valid runs takes run floor(u_k n) of its valid
 * list for k = 1..n. When every quantity is valid in every run this resamples whole runs, so the
 * seed-to-seed correlation of a measure with the target is kept. When a quantity has runs left
 * out, its draws are no longer paired run for run with the other quantities.
 *
 * The generator is the lab's seeded Rng, so the same seed gives the same intervals.
 */
import { Rng } from '../util/rng.js';
import { computeExponents } from './exponents.js';
import { computeFragilityScores } from './fragility.js';
import { buildGrid } from './design.js';
import type { Grid, StudyDesign } from './design.js';
import type { CellMeans, CellSamples } from './cells.js';
import { percentileInterval } from './statistics.js';
import type { Interval } from './statistics.js';

export interface BootstrapSettings {
  /** Number of resamples; 0 computes no interval. */
  resamples: number;
  /** Seed of the generator. */
  seed: number;
  /** Coverage of the central percentile interval, in (0, 1). */
  confidence: number;
}

export const defaultBootstrapSettings: BootstrapSettings = { resamples: 1000, seed: 0, confidence: 0.95 };

/** Percentile intervals of the study's statistics; null where the point value is null or no resample was drawn. */
export interface StudyIntervals {
  /** Interval of the cell mean x per quantity, condition and size (in the order of `sizes`). */
  cells: Grid<(Interval | null)[]>;
  alpha: Grid<Interval | null>;
  cms: Grid<Interval | null>;
  ecms: Grid<Interval | null>;
  vs: Grid<Interval | null>;
  evs: Grid<Interval | null>;
  vs_target: Record<string, Interval | null>;
}

/** Draws one resample and returns its cell means. */
export function drawResampledMeans(samples: CellSamples, design: StudyDesign, rng: Rng): CellMeans {
  const means = buildGrid(design.quantities, design.conditions, (): (number | null)[] => design.sizes.map(() => null));
  for (const condition of design.conditions) {
    design.sizes.forEach((_, sizeIndex) => {
      const runCount = samples.runCounts[condition]![sizeIndex]!;
      const draws = Array.from({ length: runCount }, () => rng.nextFloat());
      for (const quantity of design.quantities) {
        const valid = samples.values[quantity]![condition]![sizeIndex]!;
        if (valid.length === 0) continue;
        let sum = 0;
        for (let k = 0; k < valid.length; k++) sum += valid[Math.floor(draws[k]! * valid.length)]!;
        means[quantity]![condition]![sizeIndex] = sum / valid.length;
      }
    });
  }
  return means;
}

/** Accumulates the resampled values of one grid of statistics. */
class GridCollector {
  private readonly values: Grid<number[]>;

  constructor(
    private readonly firstKeys: readonly string[],
    private readonly secondKeys: readonly string[],
  ) {
    this.values = buildGrid(firstKeys, secondKeys, () => []);
  }

  add(grid: Grid<number | null>): void {
    for (const first of this.firstKeys) {
      for (const second of this.secondKeys) {
        const value = grid[first]![second]!;
        if (value !== null) this.values[first]![second]!.push(value);
      }
    }
  }

  intervals(confidence: number): Grid<Interval | null> {
    return buildGrid(this.firstKeys, this.secondKeys, (first, second) => percentileInterval(this.values[first]![second]!, confidence));
  }
}

/** Draws the resamples and returns the percentile interval of every statistic. */
export function bootstrapIntervals(samples: CellSamples, design: StudyDesign, settings: BootstrapSettings): StudyIntervals {
  const { quantities, conditions, measures, perturbations, sizes } = design;
  const cellDraws = buildGrid(quantities, conditions, (): number[][] => sizes.map(() => []));
  const alpha = new GridCollector(quantities, conditions);
  const cms = new GridCollector(measures, perturbations);
  const ecms = new GridCollector(measures, perturbations);
  const vs = new GridCollector(measures, perturbations);
  const evs = new GridCollector(measures, perturbations);
  const vsTarget = new GridCollector(['target'], perturbations);

  const rng = new Rng('fragility-bootstrap', settings.seed);
  for (let resample = 0; resample < settings.resamples; resample++) {
    const means = drawResampledMeans(samples, design, rng);
    for (const quantity of quantities) {
      for (const condition of conditions) {
        const draws = cellDraws[quantity]![condition]!;
        means[quantity]![condition]!.forEach((x, index) => {
          if (x !== null) draws[index]!.push(x);
        });
      }
    }
    const resampledAlpha = computeExponents(means, design);
    const scores = computeFragilityScores(design, means, resampledAlpha);
    alpha.add(resampledAlpha);
    cms.add(scores.cms);
    ecms.add(scores.ecms);
    vs.add(scores.vs);
    evs.add(scores.evs);
    vsTarget.add({ target: scores.vs_target });
  }

  const { confidence } = settings;
  return {
    cells: buildGrid(quantities, conditions, (quantity, condition) =>
      cellDraws[quantity]![condition]!.map((draws) => percentileInterval(draws, confidence)),
    ),
    alpha: alpha.intervals(confidence),
    cms: cms.intervals(confidence),
    ecms: ecms.intervals(confidence),
    vs: vs.intervals(confidence),
    evs: evs.intervals(confidence),
    vs_target: vsTarget.intervals(confidence).target!,
  };
}
