/** Small numeric helpers shared by the analysis modules, in float64. */

/** A closed interval [low, high]. */
export type Interval = [number, number];

/** sign(x) with sign(0) = 0. */
export function sign(value: number): -1 | 0 | 1 {
  if (value > 0) return 1;
  if (value < 0) return -1;
  return 0;
}

/** Arithmetic mean; NaN for an empty list, so callers check the length first. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * Slope of the ordinary least-squares line of y against x:
 * sum_i (x_i - mean x)(y_i - mean y) / sum_i (x_i - mean x)^2.
 * Returns null when x has fewer than two distinct values.
 */
export function olsSlope(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) throw new RangeError(`olsSlope expects x and y of equal length, received ${x.length} and ${y.length}`);
  if (x.length < 2) return null;
  const meanX = mean(x);
  const meanY = mean(y);
  let covariance = 0;
  let varianceX = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - meanX;
    covariance += dx * (y[i]! - meanY);
    varianceX += dx * dx;
  }
  return varianceX > 0 ? covariance / varianceX : null;
}

/**
 * Returns the q-quantile of sorted values with linear interpolation between order statistics
 * (position (n - 1) q, the default of numpy.quantile and R type 7).
 */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantileOfSorted expects at least one value');
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below]! + fraction * (sorted[above]! - sorted[below]!);
}

/**
 * Returns the central percentile interval of a sample at the given confidence level (0.95 gives
 * the 2.5th and 97.5th percentiles), or null for an empty sample.
 */
export function percentileInterval(values: readonly number[], confidence: number): Interval | null {
  if (values.length === 0) return null;
  // A typed array sorts numerically without a comparator.
  const sorted = Float64Array.from(values).sort();
  const tail = (1 - confidence) / 2;
  return [quantileOfSorted(sorted, tail), quantileOfSorted(sorted, 1 - tail)];
}
