/**
 * Learning-curve exponents: alpha_X(C) = slope of the ordinary least-squares line of x_C(m)
 * against log10 m over every size m of the study. A measure that tracks generalization has a
 * slope of the same sign as the test error's, and a similar value. The exponent is missing when
 * any cell of the condition has no valid run, or when the study has fewer than two sizes.
 */
import type { CellMeans, CellSamples } from './cells.js';
import { buildGrid } from './design.js';
import type { Grid, StudyDesign } from './design.js';
import { olsSlope } from './statistics.js';
import { isLogMeasure } from './table.js';

/** Returns the OLS slope of x against log10 m, or null when a cell is null or fewer than two sizes exist. */
export function learningCurveExponent(sizes: readonly number[], x: readonly (number | null)[]): number | null {
  if (sizes.length < 2 || x.some((value) => value === null)) return null;
  return olsSlope(
    sizes.map((m) => Math.log10(m)),
    x as number[],
  );
}

/** Returns alpha for every quantity and condition. */
export function computeExponents(means: CellMeans, design: StudyDesign): Grid<number | null> {
  return buildGrid(design.quantities, design.conditions, (quantity, condition) =>
    learningCurveExponent(design.sizes, means[quantity]![condition]!),
  );
}

/**
 * Returns, for every missing exponent, a sentence that states why it is missing: a study with one
 * size, a condition run at one size only, sizes where the condition has no run, or sizes where
 * all its runs were left out.
 */
export function explainMissingExponents(alpha: Grid<number | null>, samples: CellSamples, design: StudyDesign): Grid<string> {
  const reasons: Grid<string> = {};
  for (const quantity of design.quantities) {
    const row: Record<string, string> = {};
    for (const condition of design.conditions) {
      if (alpha[quantity]![condition] !== null) continue;
      row[condition] = explainOne(quantity, condition, samples, design);
    }
    if (Object.keys(row).length > 0) reasons[quantity] = row;
  }
  return reasons;
}

function explainOne(quantity: string, condition: string, samples: CellSamples, design: StudyDesign): string {
  if (design.sizes.length < 2) {
    return `the study has one training-set size (m = ${design.sizes.join(', ')}); a slope needs at least two`;
  }
  const runCounts = samples.runCounts[condition]!;
  const sizesWithRuns = design.sizes.filter((_, index) => runCounts[index]! > 0);
  if (sizesWithRuns.length === 1) {
    return `condition "${condition}" was run at one size only (m = ${sizesWithRuns[0]}); a slope needs at least two`;
  }

  const parts: string[] = [];
  const sizesWithoutRuns = design.sizes.filter((_, index) => runCounts[index] === 0);
  if (sizesWithoutRuns.length > 0) parts.push(`"${condition}" has no run at m = ${sizesWithoutRuns.join(', ')}`);
  const valid = samples.values[quantity]![condition]!;
  const sizesAllLeftOut = design.sizes.filter((_, index) => runCounts[index]! > 0 && valid[index]!.length === 0);
  if (sizesAllLeftOut.length > 0) {
    const fault = isLogMeasure(quantity) ? 'missing' : 'missing or not positive';
    parts.push(`every run of "${condition}" at m = ${sizesAllLeftOut.join(', ')} has ${quantity} ${fault}`);
  }
  if (parts.length === 0) return `the ${quantity} values of "${condition}" do not determine a slope`;
  return parts.join(', and ');
}
