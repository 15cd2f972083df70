/**
 * Reading the measure fixtures (the folder `measures/` of the fixtures, one folder per case) and
 * the tolerances their README states, for the fixture tests on each backend.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModelFromFolder } from '../../main/models/layersModel.js';
import type { Task } from '../../main/measures/types.js';
import { fixturesDir } from '../helpers/paths.js';

export interface MeasurePair {
  raw: number;
  adjusted: number;
}

export interface ExpectedLayer {
  name: string;
  kind: 'Dense' | 'Conv2D';
  folded_bn: string | null;
  kernel_shape: number[];
  matrix_view_shape: [number, number];
  num_weights: number;
  fro: number;
  spec: number;
  dist_fro: number;
  dist_spec: number;
  init_fro: number;
  init_spec: number;
  folded_kernel_sum: number;
  init_folded_kernel_sum: number;
  folded_bias_sum: number | null;
  folded_bias_sumsq: number | null;
}

export interface ExpectedCase {
  case: string;
  m: number;
  task: Task;
  input_shape: number[];
  train_accuracy: number;
  margin: { k: number; kth_smallest_margin: number; gamma: number };
  d: number;
  bn_folded: { bn: string; into: string }[];
  bn_left_in_place: string[];
  layers: ExpectedLayer[];
  w_sq_norm: number;
  w_minus_w0_sq_norm: number;
  measures: Record<string, MeasurePair>;
  pacbayes_fixed_sigma: { sigma: number; sigma_prime: number; mag_eps: number; measures: Record<string, MeasurePair> }[];
  outputs_first5: number[][];
  folded_outputs_first5: number[][];
  margins: number[];
}

export interface MeasureCase {
  name: string;
  folder: string;
  expected: ExpectedCase;
  /** Training inputs, [m, H, W, 1] float32 in C order. */
  x: Float32Array;
  y: Int32Array;
}

export function measureCasesDir(): string {
  return join(fixturesDir(), 'measures');
}

export function listMeasureCases(): string[] {
  return readdirSync(measureCasesDir(), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export function loadMeasureCase(name: string): MeasureCase {
  const folder = join(measureCasesDir(), name);
  const expected = JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as ExpectedCase;
  const bytes = readFileSync(join(folder, 'x.bin'));
  const x = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const y = Int32Array.from(JSON.parse(readFileSync(join(folder, 'y.json'), 'utf8')) as number[]);
  return { name, folder, expected, x, y };
}

/** Builds the training inputs as a tensor of the case's shape; the caller disposes it. */
export function inputTensor(measureCase: MeasureCase): tf.Tensor {
  return tf.tensor(measureCase.x, [measureCase.expected.m, ...measureCase.expected.input_shape], 'float32');
}

export async function loadCaseModels(measureCase: MeasureCase): Promise<{ model: tf.LayersModel; initModel: tf.LayersModel }> {
  return {
    model: await loadLayersModelFromFolder(join(measureCase.folder, 'model')),
    initModel: await loadLayersModelFromFolder(join(measureCase.folder, 'init_model')),
  };
}

/** The 18 ids whose values expected.json gives under `measures`. */
export const deterministicIds = [
  'params',
  'inverse_margin',
  'log_prod_of_spec',
  'log_prod_of_spec_over_margin',
  'log_spec_init_main',
  'log_spec_orig_main',
  'fro_over_spec',
  'log_sum_of_spec_over_margin',
  'log_sum_of_spec',
  'log_prod_of_fro_over_margin',
  'log_prod_of_fro',
  'log_sum_of_fro_over_margin',
  'log_sum_of_fro',
  'fro_dist',
  'dist_spec_init',
  'param_norm',
  'path_norm_over_margin',
  'path_norm',
] as const;

export const pacBayesIds = ['pacbayes_init', 'pacbayes_orig', 'pacbayes_flatness', 'pacbayes_mag_init', 'pacbayes_mag_orig', 'pacbayes_mag_flatness'] as const;

/** |actual - expected| <= absolute + relative |expected|, with both values in the failure message. */
export function assertClose(actual: number | null | undefined, expected: number, tolerance: { absolute?: number; relative?: number }, label: string): void {
  assert.equal(typeof actual, 'number', `${label}: expected a number near ${expected}, received ${actual}`);
  const allowed = (tolerance.absolute ?? 0) + (tolerance.relative ?? 0) * Math.abs(expected);
  const error = Math.abs((actual as number) - expected);
  assert.ok(error <= allowed, `${label}: ${actual} differs from ${expected} by ${error}, more than the tolerance ${allowed}`);
}

/** Tolerance of outputs, margins and sums: |a - e| <= 1e-4 max(1, |e|). */
export function outputTolerance(expected: number): { absolute: number } {
  return { absolute: 1e-4 * Math.max(1, Math.abs(expected)) };
}

/** Tolerance of a measure value: 2e-4 absolute for `log_` ids, 2e-4 relative otherwise. */
export function measureTolerance(id: string): { absolute?: number; relative?: number } {
  return id.startsWith('log_') ? { absolute: 2e-4 } : { relative: 2e-4 };
}
