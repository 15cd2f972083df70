/**
 * The analytic NNGP kernel of a fully connected ReLU network (Lee et al. 2018, "Deep neural
 * networks as Gaussian processes", eq. 5; the arc-cosine kernel of Cho and Saul 2009), in float64.
 *
 * Take a network with L hidden ReLU layers, weights N(0, sigma_w^2 / fan_in) and biases
 * N(0, sigma_b^2), and inputs x and x' of d_in values each, flattened in file order. The
 * covariance of their output pre-activations is K after L updates of
 *
 *     K_0(x, x') = sigma_b^2 + sigma_w^2 <x, x'> / d_in
 *     theta      = arccos( clip(K(x, x') / sqrt(K(x, x) K(x', x')), -1, 1) )
 *     K(x, x')  <- sigma_b^2 + (sigma_w^2 / (2 pi)) sqrt(K(x, x) K(x', x')) (sin theta + (pi - theta) cos theta)
 *     K(x, x)   <- sigma_b^2 + (sigma_w^2 / 2) K(x, x)
 *
 * The last line is the update at theta = 0, applied exactly so that the diagonal carries no
 * rounding from arccos.
 */
import type { MatrixView } from './dense.js';
import { matrixView } from './dense.js';
import type { Executor } from './linalg.js';
import { partitionRows } from './linalg.js';
import { LabError } from '../util/errors.js';

export interface FcKernelSpec {
  kind: 'fc';
  /** Number of hidden ReLU layers L (0 gives the linear kernel K_0). */
  depth: number;
  /** Weight variance times fan-in: weights are drawn from N(0, sigmaW2 / fan_in). */
  sigmaW2: number;
  /** Bias variance. */
  sigmaB2: number;
}

/** Raises an `invalid-input` LabError naming the first field of `spec` that is out of range. */
export function validateFcKernelSpec(spec: FcKernelSpec): void {
  if (!Number.isInteger(spec.depth) || spec.depth < 0 || spec.depth > 1000) {
    throw new LabError('invalid-input', `kernel.depth is ${spec.depth}; it must be an integer from 0 to 1000 (the number of hidden layers)`, { field: 'kernel.depth' });
  }
  if (!(Number.isFinite(spec.sigmaW2) && spec.sigmaW2 > 0)) {
    throw new LabError('invalid-input', `kernel.sigmaW2 is ${spec.sigmaW2}; it must be a positive number`, { field: 'kernel.sigmaW2' });
  }
  if (!(Number.isFinite(spec.sigmaB2) && spec.sigmaB2 >= 0)) {
    throw new LabError('invalid-input', `kernel.sigmaB2 is ${spec.sigmaB2}; it must be a number >= 0`, { field: 'kernel.sigmaB2' });
  }
}

/**
 * Applies the L layer updates to rows [rowStart, rowEnd) of the lower triangle of `kernel`, which
 * contains the Gram matrix <x, x'> on entry. `diagonals` contains the diagonal of K after each of
 * the layers 0..L, layer l at [l * m, (l + 1) * m).
 */
export function fcKernelRows(
  kernel: MatrixView,
  diagonals: Float64Array,
  m: number,
  depth: number,
  sigmaW2: number,
  sigmaB2: number,
  inputScale: number,
  rowStart: number,
  rowEnd: number,
): void {
  const data = kernel.data;
  const arcFactor = sigmaW2 / (2 * Math.PI);
  for (let i = rowStart; i < rowEnd; i++) {
    const row = kernel.offset + i * kernel.stride;
    for (let j = 0; j < i; j++) {
      let value = sigmaB2 + inputScale * data[row + j]!;
      for (let layer = 0; layer < depth; layer++) {
        const norm = Math.sqrt(diagonals[layer * m + i]! * diagonals[layer * m + j]!);
        if (norm === 0) {
          // One input has zero variance, so its activations are zero and so is their covariance.
          value = sigmaB2;
          continue;
        }
        const cosine = Math.min(1, Math.max(-1, value / norm));
        const theta = Math.acos(cosine);
        value = sigmaB2 + arcFactor * norm * (Math.sin(theta) + (Math.PI - theta) * cosine);
      }
      data[row + j] = value;
    }
    data[row + i] = diagonals[depth * m + i]!;
  }
}

/**
 * Computes the m x m analytic NNGP kernel (full symmetric, row-major) of the inputs `x`
 * (m rows of `inputSize` values, C order). The result lives in memory from `executor.allocate`,
 * so that EP can share it with the workers. Cost: m^2 inputSize flops for the Gram matrix and
 * about 20 m^2 L / 2 for the layer updates.
 */
export async function computeFcKernel(x: ArrayLike<number>, m: number, inputSize: number, spec: FcKernelSpec, executor: Executor): Promise<Float64Array> {
  validateFcKernelSpec(spec);
  if (x.length !== m * inputSize) {
    throw new LabError('invalid-input', `x has ${x.length} values; expected m x inputSize = ${m} x ${inputSize} = ${m * inputSize}`, { field: 'x' });
  }
  const inputs = executor.allocate(m * inputSize);
  for (let i = 0; i < inputs.length; i++) inputs[i] = x[i]!;
  const kernel = executor.allocate(m * m);
  const kernelView = matrixView(kernel, m);
  const inputView = matrixView(inputs, inputSize);

  await executor.run(
    partitionRows(m, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
      op: 'addProductNT' as const,
      args: [kernelView, inputView, inputView, rowStart, rowEnd, 0, rowEnd, inputSize, 1, true] as const,
    })),
  );

  const { depth, sigmaW2, sigmaB2 } = spec;
  const inputScale = sigmaW2 / inputSize;
  const diagonals = executor.allocate((depth + 1) * m);
  for (let i = 0; i < m; i++) diagonals[i] = sigmaB2 + inputScale * kernel[i * m + i]!;
  for (let layer = 1; layer <= depth; layer++) {
    for (let i = 0; i < m; i++) diagonals[layer * m + i] = sigmaB2 + 0.5 * sigmaW2 * diagonals[(layer - 1) * m + i]!;
  }

  await executor.run(
    partitionRows(m, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
      op: 'fcKernelRows' as const,
      args: [kernelView, diagonals, m, depth, sigmaW2, sigmaB2, inputScale, rowStart, rowEnd] as const,
    })),
  );
  await executor.run(
    partitionRows(m, executor.parallelism, true).map(([rowStart, rowEnd]) => ({
      op: 'mirrorLowerRows' as const,
      args: [kernelView, rowStart, rowEnd] as const,
    })),
  );
  return kernel;
}
