// The Gaussian stream of the sigma searches: distribution, reproducibility, independence of seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GaussianStream } from '../../main/measures/noise.js';
import { Rng } from '../../main/util/rng.js';

/** Standard normal cumulative distribution function (Abramowitz and Stegun 7.1.26 for erf). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

test('draws follow N(0, 1)', () => {
  const draws = new Float64Array(2_000_000);
  new GaussianStream(new Rng('noise test', 1)).fill(draws);
  const n = draws.length;
  const mean = draws.reduce((total, x) => total + x, 0) / n;
  const variance = draws.reduce((total, x) => total + (x - mean) ** 2, 0) / n;
  const kurtosis = draws.reduce((total, x) => total + (x - mean) ** 4, 0) / n / variance ** 2;
  assert.ok(Math.abs(mean) < 0.004, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.004, `variance ${variance}`);
  assert.ok(Math.abs(kurtosis - 3) < 0.03, `kurtosis ${kurtosis}`);
  // Kolmogorov-Smirnov distance; its 0.1% critical value for n = 2e6 is 1.95 / sqrt(n) = 0.0014.
  const sorted = Float64Array.from(draws).sort();
  let distance = 0;
  for (let i = 0; i < n; i += 97) distance = Math.max(distance, Math.abs(normalCdf(sorted[i]!) - (i + 0.5) / n));
  assert.ok(distance < 0.0014, `Kolmogorov-Smirnov distance ${distance}`);
  // Tails beyond the base layer of the ziggurat (|z| > 3.44) at their expected rate 5.8e-4.
  const tail = draws.filter((x) => Math.abs(x) > 3.442619855899).length / n;
  assert.ok(Math.abs(tail - 2 * (1 - normalCdf(3.442619855899))) < 1e-4, `tail fraction ${tail}`);
});

test('stream is reproducible from its seed', () => {
  const first = new Float32Array(1000);
  const second = new Float32Array(1000);
  new GaussianStream(new Rng(7, 'a')).fill(first);
  new GaussianStream(new Rng(7, 'a')).fill(second);
  assert.deepEqual(second, first);
  const other = new Float32Array(1000);
  new GaussianStream(new Rng(7, 'b')).fill(other);
  assert.notDeepEqual(other, first);
});

test('consecutive fills continue the stream', () => {
  const whole = new Float64Array(64);
  new GaussianStream(new Rng(3)).fill(whole);
  const stream = new GaussianStream(new Rng(3));
  const first = new Float64Array(20);
  const rest = new Float64Array(44);
  stream.fill(first);
  stream.fill(rest);
  assert.deepEqual([...first, ...rest], Array.from(whole));
});
