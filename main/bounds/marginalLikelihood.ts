/**
 * The marginal-likelihood PAC-Bayes bound (Valle-Perez and Louis 2020, "Generalization bounds for
 * deep learning", section 4): with P(S) the prior probability, under the network's NNGP, that
 * sign f(x_i) matches every training label, and delta = 2^-10,
 *
 *     epsilon <= 1 - exp( -( ln(1 / P(S)) + ln(1 / delta) + 2 ln m + 1 ) / m ).
 *
 * `computeMarginalLikelihoodBound` is the entry point for the study worker and the CLI. It checks
 * the request, estimates the memory and raises when it would not fit, and builds the kernel
 * (analytic for fully connected ReLU networks, Monte-Carlo otherwise). Then it runs EP and returns
 * ln P(S) and the bound. Binary tasks only.
 */
import { closeExecutor, createExecutor, plannedParallelism } from './executors.js';
import { type EpSchedule, defaultEpOptions, runExpectationPropagation } from './ep.js';
import { computeFcKernel, type FcKernelSpec, validateFcKernelSpec } from './fcKernel.js';
import { type LinalgBackend, throwIfCancelled } from './linalg.js';
import { availableMemory, checkBoundMemory, formatBytes, type MemoryPlan } from './memory.js';
import { computeMonteCarloKernel, defaultBatchCount, defaultDrawCount, type MonteCarloKernelSpec } from './monteCarloKernel.js';
import { type LinalgChoice, readLinalgChoice } from './nativeLinalg.js';
import type { Task } from '../measures/types.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';

const log = createLogger('bounds');

/** The confidence parameter of the bound, 2^-10. */
export const boundDelta = 2 ** -10;

/** The reason stored for the bound of a multi-class study. */
export const binaryTasksOnlyReason = 'defined for binary tasks only';

/** Returns the reason the bound is missing for `task`, or undefined when it can be computed. */
export function missingReasonForTask(task: Task): string | undefined {
  return task === 'binary' ? undefined : binaryTasksOnlyReason;
}

/**
 * epsilon = 1 - exp(-(-ln P(S) + ln(1 / delta) + 2 ln m + 1) / m), computed as -expm1(-x) so
 * that small bounds keep their precision.
 */
export function marginalLikelihoodBound(logP: number, m: number, delta: number = boundDelta): number {
  const exponent = (-logP + Math.log(1 / delta) + 2 * Math.log(m) + 1) / m;
  return -Math.expm1(-exponent);
}

export type BoundKernelSpec = FcKernelSpec | MonteCarloKernelSpec;

export interface MarginalLikelihoodRequest {
  /** The m training inputs, shape [m, ...inputShape] in C order; the fc kernel flattens each in this order. */
  x: Float32Array | Float64Array | Uint8Array;
  /** Shape of one input, e.g. [28, 28, 1]. */
  inputShape: readonly number[];
  /** m binary labels, 0 or 1. */
  labels: Int32Array | Uint8Array;
  kernel: BoundKernelSpec;
  /**
   * EP schedule: `sequential` (the reference), `parallel` (damped, two m x m matrices instead of
   * three), or `auto` (default): sequential unless only the parallel schedule fits in memory.
   */
  schedule?: EpSchedule | 'auto';
  /** Largest number of EP sweeps (default 100). */
  maxSweeps?: number;
  /** Threads for the linear algebra (default: the available cores). */
  workers?: number;
  /**
   * Linear-algebra kernels: `native` (the addon of native/linalg; an error when it does not
   * load), `js`, or `auto`: native when the addon loads, else js. Default: FRAGILITY_LAB_LINALG,
   * else `auto`. The result does not depend on it beyond rounding.
   */
  linalg?: LinalgChoice;
  /** Memory the computation may use, in bytes (default: the free memory the system reports). */
  memoryLimitBytes?: number;
  signal?: AbortSignal;
}

export interface MarginalLikelihoodResult {
  m: number;
  /** ln P(S) by EP (nats). */
  logP: number;
  /** The bound on the expected 0-1 error, in [0, 1]. */
  bound: number;
  delta: number;
  /** EP sweeps run, the converged one included. */
  epSweeps: number;
  schedule: EpSchedule;
  /** The kernels that ran the linear algebra. */
  linalg: LinalgBackend;
  kernelKind: 'fc' | 'monte-carlo';
  /** The variances the kernel used (for the Monte-Carlo kernel, read from the last layer's initialisers). */
  sigmaW2: number;
  sigmaB2: number;
  /** Monte-Carlo kernel only: the number of draws R. */
  draws?: number;
  /** Monte-Carlo kernel only: the standard error of ln P(S) from batches of draws (absent with one batch). */
  logPStandardError?: number;
  /** The memory estimate checked before the start, in bytes. */
  expectedMemoryBytes: number;
  durationMs: number;
}

interface CheckedRequest {
  m: number;
  inputSize: number;
}

function checkRequest(request: MarginalLikelihoodRequest): CheckedRequest {
  const { x, inputShape, labels } = request;
  if (inputShape.length === 0 || inputShape.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new LabError('invalid-input', `inputShape is [${inputShape.join(', ')}]; it must be a non-empty list of positive integers`, { field: 'inputShape' });
  }
  const inputSize = inputShape.reduce((product, size) => product * size, 1);
  const m = labels.length;
  if (m < 1) throw new LabError('invalid-input', 'labels is empty; the bound needs at least one training example', { field: 'labels' });
  if (x.length !== m * inputSize) {
    throw new LabError('invalid-input', `x has ${x.length} values, but ${m} labels of inputs of shape [${inputShape.join(', ')}] need ${m * inputSize}`, { field: 'x' });
  }
  for (let i = 0; i < m; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) {
      throw new LabError('unsupported', `label ${label} at index ${i} is not 0 or 1: the marginal-likelihood bound is ${binaryTasksOnlyReason}`, { field: 'labels' });
    }
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw new LabError('invalid-input', `x[${i}] is ${x[i]}; every input value must be finite`, { field: 'x' });
  }
  if (request.kernel.kind === 'fc') validateFcKernelSpec(request.kernel);
  else if (request.kernel.kind !== 'monte-carlo') {
    throw new LabError('invalid-input', `kernel.kind is "${(request.kernel as { kind: unknown }).kind}"; use "fc" or "monte-carlo"`, { field: 'kernel.kind' });
  }
  if (request.linalg !== undefined && !['js', 'native', 'auto'].includes(request.linalg)) {
    throw new LabError('invalid-input', `linalg is "${String(request.linalg)}"; use "js", "native" or "auto"`, { field: 'linalg' });
  }
  const maxSweeps = request.maxSweeps ?? defaultEpOptions.maxSweeps;
  if (!Number.isInteger(maxSweeps) || maxSweeps < 1) {
    throw new LabError('invalid-input', `maxSweeps is ${maxSweeps}; it must be a positive integer`, { field: 'maxSweeps' });
  }
  return { m, inputSize };
}

/**
 * Chooses the EP schedule and checks the memory: `auto` takes the sequential schedule unless only
 * the parallel one fits. Raises a `resource` LabError naming the largest m that fits.
 */
function planMemory(request: MarginalLikelihoodRequest, m: number, inputSize: number, workers: number): MemoryPlan & { bytes: number } {
  const available = availableMemory(request.memoryLimitBytes);
  const isMonteCarlo = request.kernel.kind === 'monte-carlo';
  const draws = isMonteCarlo ? ((request.kernel as MonteCarloKernelSpec).draws ?? defaultDrawCount(m)) : 0;
  const batches = isMonteCarlo ? Math.min((request.kernel as MonteCarloKernelSpec).batches ?? defaultBatchCount, draws) : 1;
  const base = {
    m,
    kernelKind: request.kernel.kind,
    inputSize,
    // NOTE: the feature width of a Monte-Carlo draw is known only once a model is built, so the estimate assumes 4,096.
    featureWidth: isMonteCarlo ? 4096 : 0,
    batchKernel: batches > 1,
    workers,
  } as const;
  const requested = request.schedule ?? 'auto';
  if (requested !== 'auto') {
    const plan: MemoryPlan = { ...base, schedule: requested };
    return { ...plan, bytes: checkBoundMemory(plan, available).bytes };
  }
  const sequential: MemoryPlan = { ...base, schedule: 'sequential' };
  try {
    return { ...sequential, bytes: checkBoundMemory(sequential, available).bytes };
  } catch (error) {
    const parallel: MemoryPlan = { ...base, schedule: 'parallel' };
    try {
      const bytes = checkBoundMemory(parallel, available).bytes;
      log.info(`m = ${m}: the sequential EP schedule does not fit in ${formatBytes(available)}; using the parallel schedule`);
      return { ...parallel, bytes };
    } catch {
      throw error;
    }
  }
}

/**
 * Computes ln P(S) by EP and the marginal-likelihood bound of the binary training set
 * (`x`, `labels`) under the NNGP of `kernel`. Raises a LabError: `invalid-input` for a malformed
 * request, `unsupported` for labels other than 0/1 or EP that does not converge (never a number),
 * `resource` when the memory estimate exceeds the available memory, `cancelled` on `signal`.
 */
export async function computeMarginalLikelihoodBound(request: MarginalLikelihoodRequest): Promise<MarginalLikelihoodResult> {
  const started = performance.now();
  throwIfCancelled(request.signal);
  const { m, inputSize } = checkRequest(request);
  const plan = planMemory(request, m, inputSize, plannedParallelism(m, request.workers));
  const executor = createExecutor(m, request.workers, request.linalg ?? readLinalgChoice());
  try {
    const epOptions = { ...defaultEpOptions, schedule: plan.schedule, maxSweeps: request.maxSweeps ?? defaultEpOptions.maxSweeps, signal: request.signal };
    log.info(`marginal-likelihood bound: m = ${m}, ${request.kernel.kind} kernel, ${plan.schedule} EP, expected memory ${formatBytes(plan.bytes)}, ${executor.backend} linear algebra on ${executor.threads} thread(s)`);

    let kernel: Float64Array;
    let sigmaW2: number;
    let sigmaB2: number;
    let draws: number | undefined;
    let logPStandardError: number | undefined;
    if (request.kernel.kind === 'fc') {
      kernel = await computeFcKernel(request.x, m, inputSize, request.kernel, executor);
      ({ sigmaW2, sigmaB2 } = request.kernel);
    } else {
      const batchLogP: number[] = [];
      const x = request.x instanceof Float32Array ? request.x : Float32Array.from(request.x);
      const result = await computeMonteCarloKernel(x, request.inputShape, request.kernel, {
        executor,
        signal: request.signal,
        onBatchKernel: async (batchKernel) => {
          batchLogP.push((await runExpectationPropagation(batchKernel, request.labels, executor, epOptions)).logP);
        },
      });
      kernel = result.kernel;
      ({ sigmaW2, sigmaB2 } = result.variances);
      draws = result.draws;
      logPStandardError = batchStandardError(batchLogP);
    }

    const ep = await runExpectationPropagation(kernel, request.labels, executor, epOptions);
    const bound = marginalLikelihoodBound(ep.logP, m);
    const durationMs = performance.now() - started;
    log.info(`marginal-likelihood bound: m = ${m}, ln P(S) = ${ep.logP.toFixed(6)}, bound ${bound.toFixed(6)}, ${ep.sweeps} EP sweeps, ${executor.backend} linear algebra, ${Math.round(durationMs)} ms`);
    return {
      m,
      logP: ep.logP,
      bound,
      delta: boundDelta,
      epSweeps: ep.sweeps,
      schedule: plan.schedule,
      linalg: executor.backend,
      kernelKind: request.kernel.kind,
      sigmaW2,
      sigmaB2,
      ...(draws === undefined ? {} : { draws }),
      ...(logPStandardError === undefined ? {} : { logPStandardError }),
      expectedMemoryBytes: plan.bytes,
      durationMs,
    };
  } finally {
    await closeExecutor(executor);
  }
}

/**
 * Standard error of the full-R estimate from B batch estimates (batch means): the batch values
 * have B times the variance of the full estimate, so SE = sd(batch values) / sqrt(B). This
 * assumes ln P(S) is close to linear in K over the spread of the batch kernels. Undefined for B < 2.
 */
export function batchStandardError(batchValues: readonly number[]): number | undefined {
  const count = batchValues.length;
  if (count < 2) return undefined;
  const mean = batchValues.reduce((sum, value) => sum + value, 0) / count;
  const variance = batchValues.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (count - 1);
  return Math.sqrt(variance / count);
}
