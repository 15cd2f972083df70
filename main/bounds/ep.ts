/**
 * ln P(S) by expectation propagation (EP) for a zero-mean Gaussian process with the step
 * likelihood p(y | f) = 1 if t f > 0 else 0, t = 2y - 1 (Rasmussen and Williams 2006, "Gaussian
 * Processes for Machine Learning", section 3.6, Algorithm 3.5, with the probit's sqrt(1 + s2)
 * replaced by sqrt(s2), the probit with zero noise).
 *
 * Site update at site i, from the cavity N(mu_c, s2) (R&W eq. 3.56):
 *
 *     z = t mu_c / sqrt(s2),  Z = Phi(z),  r = N(z) / Phi(z)
 *     mu_hat = mu_c + t sqrt(s2) r,  s2_hat = s2 (1 - r (z + r))              (R&W eq. 3.58)
 *     tau~_i = 1 / s2_hat - 1 / s2,  nu~_i = mu_hat / s2_hat - mu_c / s2       (R&W eq. 3.59)
 *
 * Two schedules:
 *
 * - `sequential` (the default and the reference): sites 0..m-1 in index order, each followed by
 *   the rank-one update of Sigma (R&W Algorithm 3.5). After each sweep Sigma and mu are
 *   recomputed from a Cholesky factor of B = I + S~^1/2 K S~^1/2. The rank-one updates of a block
 *   of 128 sites are gathered into one rank-128 update of the trailing part of Sigma, the only
 *   part that later sites of the sweep read. The site parameters are those of the one-by-one
 *   schedule, up to rounding. Cost per sweep: m^3 / 3 (sweep) + m^3 / 3 (Cholesky)
 *   + m^3 (triangular solve) + m^3 (Sigma = K - V^T V) flops; memory: three m x m matrices
 *   (2.4 GB at m = 10,000).
 * - `parallel`: every site updated from the same posterior, damped by 0.5 in (tau~, nu~); only
 *   diag(Sigma) and mu are computed, from the Cholesky factor. Cost per sweep: about 4 m^3 / 3
 *   flops; memory: two m x m matrices (1.6 GB at m = 10,000). It converges to the same fixed
 *   point, in more sweeps.
 *
 * Which one when: the sequential schedule is the default, and `computeMarginalLikelihoodBound`
 * switches to the parallel one only when three m x m matrices do not fit in memory but two do.
 * Measured on the 512 reference examples (depth 2, one thread, 2-core AMD EPYC shared with other
 * jobs): sequential 12 sweeps in 3.7 s, parallel 52 sweeps in 6.5 s, ln P equal to 4e-11. The
 * parallel schedule halves the cost of a sweep but needs about four times as many.
 * NOTE: with the JavaScript kernels a sequential sweep at m = 5,000 took 217 s on the two shared
 * cores (bench/bounds), so m = 10,000, with 8 times the work per sweep, takes hours; NumPy on
 * OpenBLAS was 3 to 6 times faster. With the native kernels of native/linalg a sweep at
 * m = 10,000 took 135 s on the same two cores, 0.7 times NumPy's time.
 *
 * Both stop after the first sweep in which no tau~ or nu~ changed by `tolerance` or more, and
 * raise an error after `maxSweeps` sweeps without that. ln P(S) is R&W eq. 3.65 in the stable
 * form of R&W section 3.6.3 (eqs. 3.73 and 3.74, derived in `logMarginalLikelihood`).
 */
import { backSubstituteTransposed, forwardSubstitute, matrixView, subView, symmetricLowerTimesVector } from './dense.js';
import type { Executor } from './linalg.js';
import { choleskyInPlace, partitionRows, throwIfCancelled } from './linalg.js';
import { logNormalCdf, normalPdfOverCdf } from './normal.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';

const log = createLogger('bounds');

export type EpSchedule = 'sequential' | 'parallel';

export interface EpOptions {
  schedule: EpSchedule;
  /** Largest number of sweeps before EP is reported as not converged (100). */
  maxSweeps: number;
  /** EP has converged after a sweep in which no site parameter changed by this much or more (1e-6). */
  tolerance: number;
  /** Weight of the new site parameters in the parallel schedule (0.5); unused by `sequential`. */
  damping: number;
  /** Jitter added to diag(K), as a multiple of its mean (1e-8). */
  jitterFactor: number;
  signal?: AbortSignal;
}

export const defaultEpOptions: EpOptions = { schedule: 'sequential', maxSweeps: 100, tolerance: 1e-6, damping: 0.5, jitterFactor: 1e-8 };

export interface EpResult {
  /** ln P(S), the EP approximation of the log marginal likelihood (nats). */
  logP: number;
  /** Sweeps run, the last one included (the sweep whose changes were all below the tolerance). */
  sweeps: number;
  /** Final site precisions tau~ and site natural means nu~, length m. */
  siteTau: Float64Array;
  siteNu: Float64Array;
}

/** Raised when EP has not converged after `maxSweeps` sweeps, or broke down numerically. */
export class EpNotConvergedError extends LabError {
  readonly sweeps: number;
  readonly largestChange: number;

  constructor(message: string, sweeps: number, largestChange: number) {
    super('unsupported', message);
    this.name = 'EpNotConvergedError';
    this.sweeps = sweeps;
    this.largestChange = largestChange;
  }
}

/** Sites per block of the sequential sweep; the rank of the batched Sigma update. */
export const epBlockSize = 128;

/** The posterior N(mu, Sigma) of the current sites and the pieces of ln P(S) it provides. */
interface Posterior {
  /** diag(Sigma), length m. */
  variance: Float64Array;
  /** mu = Sigma nu~, length m. */
  mean: Float64Array;
  /** sum_i ln L_ii for B = L L^T, that is ln|B| / 2. */
  halfLogDetB: number;
}

/** Working memory of one EP run; the matrices come from `executor.allocate`. */
interface EpWorkspace {
  m: number;
  executor: Executor;
  /** The jittered kernel K, full symmetric, m x m. */
  kernel: Float64Array;
  /** B and its Cholesky factor L, then (sequential schedule) the lower triangle of Sigma. */
  factor: Float64Array;
  /** V^T = K S~^1/2 L^-T (sequential schedule only). */
  solve: Float64Array | undefined;
  /** The block columns U and U diag(c) of the sequential sweep, (m x epBlockSize) each. */
  columns: Float64Array | undefined;
  scaledColumns: Float64Array | undefined;
  /** Posterior mean shared with the workers. */
  mean: Float64Array;
}

/**
 * Runs EP on the m x m kernel `kernel` (row-major, full symmetric, in memory from
 * `executor.allocate`) for the 0/1 `labels`. The jitter is added to `kernel`'s diagonal in place,
 * so that no copy of the m x m matrix is made.
 */
export async function runExpectationPropagation(
  kernel: Float64Array,
  labels: ArrayLike<number>,
  executor: Executor,
  options: EpOptions = defaultEpOptions,
): Promise<EpResult> {
  const m = labels.length;
  if (m < 1) throw new LabError('invalid-input', 'EP needs at least one example; labels is empty', { field: 'labels' });
  if (kernel.length !== m * m) {
    throw new LabError('invalid-input', `kernel has ${kernel.length} entries; expected m^2 = ${m * m} for m = ${m} labels`, { field: 'kernel' });
  }
  const signs = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) {
      throw new LabError('invalid-input', `label ${label} at index ${i} is not 0 or 1; the bound is defined for binary tasks only`, { field: 'labels' });
    }
    signs[i] = 2 * label - 1;
  }
  addJitter(kernel, m, options.jitterFactor);

  const sequential = options.schedule === 'sequential';
  const workspace: EpWorkspace = {
    m,
    executor,
    kernel,
    factor: executor.allocate(m * m),
    solve: sequential ? executor.allocate(m * m) : undefined,
    columns: sequential ? executor.allocate(m * epBlockSize) : undefined,
    scaledColumns: sequential ? executor.allocate(m * epBlockSize) : undefined,
    mean: executor.allocate(m),
  };
  const siteTau = new Float64Array(m);
  const siteNu = new Float64Array(m);

  let posterior = await computePosterior(workspace, siteTau, siteNu, sequential, options.signal);
  let largestChange = Number.POSITIVE_INFINITY;
  for (let sweep = 1; sweep <= options.maxSweeps; sweep++) {
    throwIfCancelled(options.signal);
    largestChange = sequential
      ? await sequentialSweep(workspace, signs, siteTau, siteNu, sweep, options.signal)
      : parallelSweep(posterior, signs, siteTau, siteNu, options.damping, sweep);
    posterior = await computePosterior(workspace, siteTau, siteNu, sequential, options.signal);
    log.debug(`EP sweep ${sweep} (${options.schedule}, m = ${m}): largest site change ${largestChange.toExponential(3)}`);
    if (largestChange < options.tolerance) {
      return { logP: logMarginalLikelihood(posterior, signs, siteTau, siteNu), sweeps: sweep, siteTau, siteNu };
    }
  }
  throw new EpNotConvergedError(
    `EP did not converge in ${options.maxSweeps} sweeps (${options.schedule} schedule, m = ${m}): the largest site change in the last sweep was ${largestChange.toExponential(3)}, not below ${options.tolerance}`,
    options.maxSweeps,
    largestChange,
  );
}

/** Adds `factor` x mean(diag K) to every diagonal entry of K. */
export function addJitter(kernel: Float64Array, m: number, factor: number): void {
  let trace = 0;
  for (let i = 0; i < m; i++) trace += kernel[i * m + i]!;
  const jitter = (factor * trace) / m;
  for (let i = 0; i < m; i++) kernel[i * m + i] = kernel[i * m + i]! + jitter;
}

/** The new (tau~, nu~) of one site. */
interface SiteUpdate {
  tau: number;
  nu: number;
}

/**
 * Moment matching at one site (R&W eqs. 3.56 to 3.59 with the step likelihood), from the marginal
 * N(mean, variance) of the current posterior and the site's current (tau~, nu~).
 */
function updateSite(variance: number, mean: number, sign: number, tau: number, nu: number, site: number, sweep: number): SiteUpdate {
  const cavityTau = 1 / variance - tau;
  const cavityNu = mean / variance - nu;
  if (!(cavityTau > 0)) {
    throw new EpNotConvergedError(
      `EP broke down in sweep ${sweep}: the cavity variance of site ${site} is not positive (cavity precision ${cavityTau}); the kernel matrix is probably too ill-conditioned`,
      sweep,
      Number.NaN,
    );
  }
  const cavityVariance = 1 / cavityTau;
  const cavityMean = cavityNu * cavityVariance;
  const cavitySd = Math.sqrt(cavityVariance);
  const z = (sign * cavityMean) / cavitySd;
  const ratio = normalPdfOverCdf(z);
  const tiltedMean = cavityMean + sign * cavitySd * ratio;
  const tiltedVariance = cavityVariance * (1 - ratio * (z + ratio));
  if (!(tiltedVariance > 0)) {
    throw new EpNotConvergedError(`EP broke down in sweep ${sweep}: the moment-matched variance of site ${site} is ${tiltedVariance} (z = ${z})`, sweep, Number.NaN);
  }
  // For a log-concave likelihood tau~ >= 0 exactly; rounding can leave it a few ulps below 0.
  const newTau = Math.max(0, 1 / tiltedVariance - cavityTau);
  return { tau: newTau, nu: tiltedMean / tiltedVariance - cavityNu };
}

/**
 * Runs one sweep of the sequential schedule over sites 0..m-1 and returns the largest |change| of
 * a site parameter.
 *
 * Site i reads Sigma_ii and mu_i after the rank-one updates Sigma <- Sigma - c s s^T of the sites
 * before it, with s = Sigma[:, i] and c = dtau / (1 + dtau Sigma_ii), and mu <- Sigma nu~, which
 * equals mu + a s with a = dnu (1 - c Sigma_ii) - c mu_i. Within a block the updates run on a
 * b x b copy; the columns below the block are s_p = Sigma0[:, block] g_p with
 * g_p = e_p - sum_{q < p} c_q s_q[p] g_q, applied to the trailing matrix once per block.
 */
async function sequentialSweep(
  workspace: EpWorkspace,
  signs: Float64Array,
  siteTau: Float64Array,
  siteNu: Float64Array,
  sweep: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { m, executor, factor: sigma, mean } = workspace;
  const sigmaView = matrixView(sigma, m);
  let largestChange = 0;

  for (let k0 = 0; k0 < m; k0 += epBlockSize) {
    throwIfCancelled(signal);
    const width = Math.min(epBlockSize, m - k0);
    const block = new Float64Array(width * width);
    for (let p = 0; p < width; p++) {
      for (let q = 0; q <= p; q++) {
        const value = sigma[(k0 + p) * m + k0 + q]!;
        block[p * width + q] = value;
        block[q * width + p] = value;
      }
    }
    const blockMean = mean.slice(k0, k0 + width);
    const gt = new Float64Array(width * width);
    const columnsInBlock = new Float64Array(width * width);
    const rankOneCoefficients = new Float64Array(width);
    const meanCoefficients = new Float64Array(width);

    for (let p = 0; p < width; p++) {
      const site = k0 + p;
      const variance = block[p * width + p]!;
      const siteMean = blockMean[p]!;
      const update = updateSite(variance, siteMean, signs[site]!, siteTau[site]!, siteNu[site]!, site, sweep);
      const deltaTau = update.tau - siteTau[site]!;
      const deltaNu = update.nu - siteNu[site]!;
      largestChange = Math.max(largestChange, Math.abs(deltaTau), Math.abs(deltaNu));
      siteTau[site] = update.tau;
      siteNu[site] = update.nu;

      const c = deltaTau / (1 + deltaTau * variance);
      const a = deltaNu * (1 - c * variance) - c * siteMean;
      rankOneCoefficients[p] = c;
      meanCoefficients[p] = a;
      for (let q = 0; q < width; q++) columnsInBlock[p * width + q] = block[q * width + p]!;

      // g_p = e_p - sum_{q < p} c_q s_q[p] g_q, stored as row p of gt.
      gt[p * width + p] = 1;
      for (let q = 0; q < p; q++) {
        const weight = rankOneCoefficients[q]! * columnsInBlock[q * width + p]!;
        if (weight === 0) continue;
        for (let r = 0; r <= q; r++) gt[p * width + r] = gt[p * width + r]! - weight * gt[q * width + r]!;
      }

      // Rank-one update of the rest of the block and of its mean.
      const s = columnsInBlock.subarray(p * width, (p + 1) * width);
      for (let u = p + 1; u < width; u++) {
        const scaled = c * s[u]!;
        for (let v = p + 1; v < width; v++) block[u * width + v] = block[u * width + v]! - scaled * s[v]!;
        blockMean[u] = blockMean[u]! + a * s[u]!;
      }
    }

    const k1 = k0 + width;
    if (k1 === m) break;
    const below = m - k1;
    const columns = matrixView(workspace.columns!, width);
    const scaledColumns = matrixView(workspace.scaledColumns!, width);
    const gtView = matrixView(gt, width);
    await executor.run(
      partitionRows(below, executor.parallelism, false).map(([rowStart, rowEnd]) => ({
        op: 'epColumnsBelowBlock' as const,
        args: [subView(sigmaView, k1, k0), gtView, columns, scaledColumns, mean, k1, meanCoefficients, rankOneCoefficients, rowStart, rowEnd, width] as const,
      })),
    );
    await executor.run(
      partitionRows(below, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
        op: 'epTrailingUpdateRows' as const,
        args: [subView(sigmaView, k1, k1), columns, scaledColumns, rowStart, rowEnd, width] as const,
      })),
    );
  }
  return largestChange;
}

/**
 * Runs one sweep of the parallel schedule and returns the largest |change|: every site is updated
 * from the same posterior, then (tau~, nu~) <- (1 - damping) (tau~, nu~) + damping (new values).
 */
function parallelSweep(posterior: Posterior, signs: Float64Array, siteTau: Float64Array, siteNu: Float64Array, damping: number, sweep: number): number {
  let largestChange = 0;
  for (let i = 0; i < signs.length; i++) {
    const update = updateSite(posterior.variance[i]!, posterior.mean[i]!, signs[i]!, siteTau[i]!, siteNu[i]!, i, sweep);
    const tau = (1 - damping) * siteTau[i]! + damping * update.tau;
    const nu = (1 - damping) * siteNu[i]! + damping * update.nu;
    largestChange = Math.max(largestChange, Math.abs(tau - siteTau[i]!), Math.abs(nu - siteNu[i]!));
    siteTau[i] = tau;
    siteNu[i] = nu;
  }
  return largestChange;
}

/**
 * Computes the posterior of the current sites (R&W Algorithm 3.5, recomputation step): L = chol(B),
 * V^T = K S~^1/2 L^-T, Sigma = K - V^T V, mu = Sigma nu~. With `full`, the lower triangle of Sigma
 * is left in `workspace.factor`; otherwise only diag(Sigma) is formed, row panel by row panel, and
 * mu = K nu~ - K S~^1/2 L^-T L^-1 S~^1/2 K nu~ by triangular solves.
 */
async function computePosterior(workspace: EpWorkspace, siteTau: Float64Array, siteNu: Float64Array, full: boolean, signal: AbortSignal | undefined): Promise<Posterior> {
  const { m, executor, kernel, factor } = workspace;
  const kernelView = matrixView(kernel, m);
  const factorView = matrixView(factor, m);
  const variance = new Float64Array(m);
  const mean = workspace.mean;

  if (siteTau.every((tau) => tau === 0)) {
    // No site information yet: B = I and the posterior is the prior N(0, K).
    for (let i = 0; i < m; i++) variance[i] = kernel[i * m + i]!;
    if (full) factor.set(kernel);
    mean.fill(0);
    return { variance, mean, halfLogDetB: 0 };
  }

  const rootTau = executor.allocate(m);
  for (let i = 0; i < m; i++) rootTau[i] = Math.sqrt(siteTau[i]!);
  await executor.run(
    partitionRows(m, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
      op: 'formBRows' as const,
      args: [factorView, kernelView, rootTau, rowStart, rowEnd] as const,
    })),
  );
  const failedPivot = await choleskyInPlace(factor, m, executor, signal);
  if (failedPivot >= 0) {
    throw new LabError('internal', `The Cholesky factorisation of B = I + S^1/2 K S^1/2 failed at pivot ${failedPivot} of ${m}; K is probably not positive semi-definite`);
  }
  let halfLogDetB = 0;
  for (let i = 0; i < m; i++) halfLogDetB += Math.log(factor[i * m + i]!);

  if (full) {
    const solveView = matrixView(workspace.solve!, m);
    await executor.run(
      partitionRows(m, executor.parallelism, false).map(([rowStart, rowEnd]) => ({
        op: 'solveCovarianceFactorRows' as const,
        args: [solveView, kernelView, factorView, rootTau, rowStart, rowEnd, m] as const,
      })),
    );
    throwIfCancelled(signal);
    await executor.run(
      partitionRows(m, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
        op: 'covarianceRows' as const,
        args: [factorView, kernelView, solveView, rowStart, rowEnd, m] as const,
      })),
    );
    for (let i = 0; i < m; i++) variance[i] = factor[i * m + i]!;
    symmetricLowerTimesVector(factorView, m, siteNu, mean);
    return { variance, mean, halfLogDetB };
  }

  const sharedVariance = executor.allocate(m);
  await executor.run(
    partitionRows(m, executor.parallelism, false).map(([rowStart, rowEnd]) => ({
      op: 'posteriorVarianceRows' as const,
      args: [kernelView, factorView, rootTau, sharedVariance, rowStart, rowEnd, m] as const,
    })),
  );
  variance.set(sharedVariance);
  // mu = K nu~ - K S^1/2 L^-T L^-1 S^1/2 K nu~.
  const kernelTimesNu = new Float64Array(m);
  symmetricLowerTimesVector(kernelView, m, siteNu, kernelTimesNu);
  const work = new Float64Array(m);
  for (let i = 0; i < m; i++) work[i] = rootTau[i]! * kernelTimesNu[i]!;
  forwardSubstitute(factorView, m, work);
  backSubstituteTransposed(factorView, m, work);
  for (let i = 0; i < m; i++) work[i] = rootTau[i]! * work[i]!;
  const correction = new Float64Array(m);
  symmetricLowerTimesVector(kernelView, m, work, correction);
  for (let i = 0; i < m; i++) mean[i] = kernelTimesNu[i]! - correction[i]!;
  return { variance, mean, halfLogDetB };
}

/**
 * ln Z_EP (R&W eq. 3.65) for the step likelihood, from the final sites and the cavities
 * (tau_i, nu_i) = (1 / Sigma_ii - tau~_i, mu_i / Sigma_ii - nu~_i) of the final posterior, with
 * cavity mean m_i = nu_i / tau_i:
 *
 *     ln Z = sum_i ln Phi(t_i m_i sqrt(tau_i))
 *          + 1/2 sum_i ln(1 + tau~_i / tau_i) - sum_i ln L_ii                             (R&W eq. 3.73)
 *          + 1/2 nu~^T Sigma nu~ - 1/2 sum_i nu~_i^2 / (tau_i + tau~_i)
 *          + 1/2 sum_i m_i tau_i (tau~_i m_i - 2 nu~_i) / (tau~_i + tau_i)                (R&W eq. 3.74)
 *
 * This is eq. 3.65 rewritten with (K + S~^-1)^-1 = S~ - S~ Sigma S~ and |K + S~^-1| = |B| / |S~|,
 * so that no tau~_i is ever divided by (tau~_i = 0 is allowed). The probit term of eq. 3.65 becomes
 * ln Phi(z_i), the normaliser of the step likelihood's tilted distribution.
 */
function logMarginalLikelihood(posterior: Posterior, signs: Float64Array, siteTau: Float64Array, siteNu: Float64Array): number {
  const { variance, mean, halfLogDetB } = posterior;
  let sum = -halfLogDetB;
  for (let i = 0; i < signs.length; i++) {
    const tau = siteTau[i]!;
    const nu = siteNu[i]!;
    const cavityTau = 1 / variance[i]! - tau;
    const cavityMean = (mean[i]! / variance[i]! - nu) / cavityTau;
    sum += logNormalCdf(signs[i]! * cavityMean * Math.sqrt(cavityTau));
    sum += 0.5 * Math.log1p(tau / cavityTau);
    sum += 0.5 * nu * mean[i]!;
    sum -= (0.5 * nu * nu) / (cavityTau + tau);
    sum += (0.5 * cavityMean * cavityTau * (tau * cavityMean - 2 * nu)) / (tau + cavityTau);
  }
  return sum;
}
