/** Readers for the NNGP reference fixtures (the `nngp/` folder of the fixtures). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../helpers/paths.js';

export interface KernelCase {
  inputs: 'toy4x3' | 'fmnist8';
  depth: number;
  sigma_w2: number;
  sigma_b2: number;
  K: number[][];
}

export interface EpCase {
  m: number;
  depth: number;
  sigma_w2: number;
  sigma_b2: number;
  log_p: number;
  bound: number;
  ep_sweeps: number;
  K?: number[][];
}

export interface MonteCarloValidation {
  m: number;
  labels: number[];
  mc_samples: number;
  p_mc: number;
  p_mc_se: number;
  log_p_ep: number;
}

export interface EpFixture {
  jitter_times_mean_diag: number;
  delta: number;
  tolerance_of_site_changes: number;
  results: EpCase[];
  monte_carlo_validation: MonteCarloValidation[];
}

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(fixturesDir(), ...parts), 'utf8')) as T;
}

export function readKernelInputs(): Record<'toy4x3' | 'fmnist8', number[][]> {
  return readJson('nngp', 'kernel_inputs.json');
}

export function readKernelCases(): KernelCase[] {
  return readJson('nngp', 'kernels.json');
}

export function readEpFixture(): EpFixture {
  return readJson('nngp', 'ep', 'expected.json');
}

/** Reads the 512 EP inputs, float32 [512, 14, 14, 1], flattened per example (196 values each). */
export function readEpInputs(): Float32Array {
  const bytes = readFileSync(join(fixturesDir(), 'nngp', 'ep', 'x.bin'));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function readEpLabels(): Int32Array {
  return Int32Array.from(readJson<number[]>('nngp', 'ep', 'y.json'));
}

export interface FcnBinaryMarginalLikelihood {
  hidden_layers: number;
  sigma_w2: number;
  sigma_b2: number;
  log_p: number;
  bound: number;
  ep_sweeps: number;
}

/** Reads the `fcn_binary` case of the measures fixtures: its 400 inputs, labels and expected bound. */
export function readFcnBinaryCase(): { x: Float32Array; labels: Int32Array; expected: FcnBinaryMarginalLikelihood } {
  const bytes = readFileSync(join(fixturesDir(), 'measures', 'fcn_binary', 'x.bin'));
  const x = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const labels = Int32Array.from(readJson<number[]>('measures', 'fcn_binary', 'y.json'));
  const expected = readJson<{ marginal_likelihood: FcnBinaryMarginalLikelihood }>('measures', 'fcn_binary', 'expected.json').marginal_likelihood;
  return { x, labels, expected };
}

/** |actual - expected| <= relative * max(1, |expected|), the fixtures' tolerance form. */
export function withinTolerance(actual: number, expected: number, relative: number): boolean {
  return Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected));
}
