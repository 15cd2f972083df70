/**
 * The standard normal density N(z), distribution function Phi(z) and their ratio N(z) / Phi(z),
 * in float64 and accurate in the far left tail, where EP evaluates them for badly classified sites.
 *
 * erfc(x) is computed from the everywhere-convergent series
 *   erf(x) = (2 / sqrt(pi)) exp(-x^2) sum_{n >= 0} 2^n x^(2n+1) / (1 * 3 * ... * (2n+1))
 * for 0 <= x < 2 (positive terms, so no cancellation), and for x >= 2 from Laplace's continued fraction
 *   erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + (1/2) / (x + (2/2) / (x + (3/2) / (x + ...)))),
 * evaluated with the modified Lentz method. Both forms are in Abramowitz and Stegun (1964), 7.1.6
 * and 7.1.14. The tests compare them with scipy.special to about 1e-15 relative.
 */

const sqrtPi = Math.sqrt(Math.PI);
const halfLogTwoPi = 0.5 * Math.log(2 * Math.PI);

/** Below this z (that is, above x = -z / sqrt(2) = 2) the continued fraction is used. */
const seriesLimit = 2;

/** erf(x) for 0 <= x < 2 by the series of positive terms above. */
function erfSeries(x: number): number {
  const twoXSquared = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoXSquared / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / sqrtPi) * Math.exp(-x * x) * sum;
}

/**
 * Evaluates the continued fraction F(x) = 1 / (x + (1/2) / (x + (2/2) / (x + ...))) for x >= 2, so that
 * erfc(x) = exp(-x^2) F(x) / sqrt(pi). F(x) is close to 1 / x.
 */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  // Modified Lentz for G = x + a_1 / (x + a_2 / (x + ...)) with a_n = n / 2; F = 1 / G.
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}

/** log N(z) = -z^2 / 2 - ln(2 pi) / 2. */
export function logNormalPdf(z: number): number {
  return -0.5 * z * z - halfLogTwoPi;
}

/** log Phi(z), accurate for every finite z (Phi(-40) is about 4e-350, below the float64 range). */
export function logNormalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z === Number.POSITIVE_INFINITY) return 0;
  if (z === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
  const x = Math.abs(z) / Math.SQRT2;
  if (z >= 0) {
    // Phi(z) = 1 - erfc(x) / 2.
    const upperTail = x < seriesLimit ? 1 - erfSeries(x) : (Math.exp(-x * x) * erfcContinuedFraction(x)) / sqrtPi;
    return Math.log1p(-0.5 * upperTail);
  }
  // Phi(z) = erfc(x) / 2.
  if (x < seriesLimit) return Math.log(0.5 * (1 - erfSeries(x)));
  return -x * x + Math.log(erfcContinuedFraction(x) / sqrtPi) - Math.LN2;
}

/** Phi(z). */
export function normalCdf(z: number): number {
  return Math.exp(logNormalCdf(z));
}

/**
 * N(z) / Phi(z), the inverse Mills ratio of EP's moment matching. For z < -5 it is
 * exp(log N(z) - log Phi(z)) with the common factor exp(-z^2 / 2) cancelled analytically:
 * N(z) / Phi(z) = sqrt(2) / F(-z / sqrt(2)), with F the continued fraction above; this keeps full
 * relative accuracy where both N(z) and Phi(z) underflow.
 */
export function normalPdfOverCdf(z: number): number {
  if (z < -5) return Math.SQRT2 / erfcContinuedFraction(-z / Math.SQRT2);
  return Math.exp(logNormalPdf(z) - logNormalCdf(z));
}

/**
 * Variance of a standard normal truncated to [-c, c] by rejection, without rescaling:
 * 1 - 2 c N(c) / (Phi(c) - Phi(-c)). At c = 2, the truncation of TensorFlow.js's `truncatedNormal`,
 * this is 0.7737413...
 */
export function truncatedNormalVariance(c: number): number {
  const mass = 1 - 2 * normalCdf(-c);
  return 1 - (2 * c * Math.exp(logNormalPdf(c))) / mass;
}
