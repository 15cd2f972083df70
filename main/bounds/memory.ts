/**
 * The memory the marginal-likelihood bound needs for m examples, estimated before any matrix is
 * allocated, and the check that raises a `resource` LabError naming the largest m that fits.
 *
 * Estimate (bytes, float64 = 8 bytes):
 * - kernel K: 8 m^2;
 * - EP, sequential schedule: Cholesky factor / Sigma 8 m^2, V^T 8 m^2, block columns 2 x 8 m b
 *   (b = 128); parallel schedule: the factor 8 m^2 and one 64 x m panel per worker;
 * - fc kernel: the inputs in float64, 8 m d;
 * - Monte-Carlo kernel: a second m x m matrix for the kernel of one batch of draws when the
 *   standard error is estimated (8 m^2), and the features of one draw, 4 m n (float32) + 8 m n
 *   (float64);
 * - vectors of length m: 32 x 8 m.
 * The TensorFlow.js model of a Monte-Carlo draw and its activations are not counted.
 */
import { freemem } from 'node:os';
import { epBlockSize, type EpSchedule } from './ep.js';
import { varianceRowsPerPanel } from './epTasks.js';
import { LabError } from '../util/errors.js';

export interface MemoryPlan {
  m: number;
  schedule: EpSchedule;
  kernelKind: 'fc' | 'monte-carlo';
  /** Values per example (d); the fc kernel keeps a float64 copy of the inputs. */
  inputSize: number;
  /** Width n of the features feeding the last Dense layer (Monte-Carlo kernel). */
  featureWidth?: number;
  /** Whether a second m x m kernel contains one batch of draws (Monte-Carlo standard error). */
  batchKernel?: boolean;
  workers: number;
}

export interface MemoryEstimate {
  bytes: number;
  /** Bytes by use: kernel, ep, inputs, features, vectors. */
  parts: Record<string, number>;
}

export function estimateBoundMemory(plan: MemoryPlan): MemoryEstimate {
  const { m } = plan;
  const matrix = 8 * m * m;
  const parts: Record<string, number> = {};
  parts.kernel = matrix;
  parts.ep =
    plan.schedule === 'sequential' ? 2 * matrix + 2 * 8 * m * epBlockSize : matrix + plan.workers * 8 * varianceRowsPerPanel * m;
  if (plan.kernelKind === 'fc') {
    parts.inputs = 8 * m * plan.inputSize;
  } else {
    parts.monteCarlo = (plan.batchKernel ? matrix : 0) + 12 * m * (plan.featureWidth ?? 0);
  }
  parts.vectors = 32 * 8 * m;
  const bytes = Object.values(parts).reduce((sum, value) => sum + value, 0);
  return { bytes, parts };
}

/**
 * Memory available to this process: `limitBytes` when given, else the free memory the operating
 * system reports (MemAvailable on Linux), capped by a cgroup limit when one is set.
 */
export function availableMemory(limitBytes?: number): number {
  if (limitBytes !== undefined) return limitBytes;
  let available = freemem();
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : undefined;
  // Without a cgroup limit Node reports 0 or a value near 2^64.
  if (constrained !== undefined && constrained > 0 && constrained < 2 ** 60) {
    available = Math.min(available, constrained - process.memoryUsage().rss);
  }
  return available;
}

/** Returns the largest m whose estimate fits in `availableBytes` under `plan` (0 when not even m = 1 fits). */
export function largestFittingM(plan: Omit<MemoryPlan, 'm'>, availableBytes: number): number {
  // The estimate is a m^2 + b m; solve the quadratic, then correct the rounding by direct checks.
  const one = estimateBoundMemory({ ...plan, m: 1 }).bytes;
  const two = estimateBoundMemory({ ...plan, m: 2 }).bytes;
  const a = (two - 2 * one) / 2;
  const b = one - a;
  let m = Math.max(0, Math.floor((-b + Math.sqrt(b * b + 4 * a * availableBytes)) / (2 * a)));
  while (m > 0 && estimateBoundMemory({ ...plan, m }).bytes > availableBytes) m--;
  while (estimateBoundMemory({ ...plan, m: m + 1 }).bytes <= availableBytes) m++;
  return m;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

/** Raises a `resource` LabError when the estimate for `plan` exceeds `availableBytes`; returns the estimate. */
export function checkBoundMemory(plan: MemoryPlan, availableBytes: number): MemoryEstimate {
  const estimate = estimateBoundMemory(plan);
  if (estimate.bytes <= availableBytes) return estimate;
  const largest = largestFittingM(plan, availableBytes);
  const breakdown = Object.entries(estimate.parts)
    .map(([part, bytes]) => `${part} ${formatBytes(bytes)}`)
    .join(', ');
  const parallelHint =
    plan.schedule === 'sequential'
      ? ` The parallel EP schedule needs one m x m matrix less: it fits up to m = ${largestFittingM({ ...plan, schedule: 'parallel' }, availableBytes).toLocaleString('en-US')}.`
      : '';
  throw new LabError(
    'resource',
    `The marginal-likelihood bound for m = ${plan.m.toLocaleString('en-US')} needs about ${formatBytes(estimate.bytes)} (${breakdown}), but only ${formatBytes(availableBytes)} of memory is available. The largest m that fits is ${largest.toLocaleString('en-US')}; use a training set of at most that size.${parallelHint}`,
  );
}
