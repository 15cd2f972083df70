/**
 * `fragility-lab bound`: ln P(S) by expectation propagation and the marginal-likelihood PAC-Bayes
 * bound of a binary training set stored as .npy files, under the analytic NNGP kernel of a fully
 * connected ReLU network. `--json` prints one object with the key names of the reference fixtures.
 */
import { computeMarginalLikelihoodBound } from '../../bounds/marginalLikelihood.js';
import type { NpyArray } from '../../data/npy.js';
import { readNpy } from '../../data/npy.js';
import { LabError } from '../../util/errors.js';
import { numberOption, parseOptions, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

const usage = `Usage: fragility-lab bound --x FILE.npy --y FILE.npy --kernel fc --depth L [OPTIONS]

Computes ln P(S), the log prior probability that a network at initialisation labels the training
set correctly, by expectation propagation under the network's NNGP kernel, and the
marginal-likelihood PAC-Bayes bound on the expected 0-1 error (delta = 2^-10). Binary tasks only.

Options:
  --x FILE.npy          training inputs, shape [m, ...], float32, float64 or uint8; the values are
                        used as stored, and each example is flattened in C order
  --y FILE.npy          m labels, each 0 or 1, shape [m] or [m, 1]
  --kernel fc           the analytic kernel of a fully connected ReLU network (the only kernel of
                        the command line; the Monte-Carlo kernel of other architectures needs a
                        model factory and is available through the API)
  --depth L             number of hidden ReLU layers, an integer >= 0
  --sigma-w2 V          weight variance times fan-in (default 2: weights N(0, 2 / fan_in))
  --sigma-b2 V          bias variance (default 0.01: biases N(0, 0.1^2))
  --schedule S          EP schedule: auto (default; sequential unless only parallel fits in
                        memory), sequential or parallel
  --workers N           threads for the linear algebra (default: the available cores)
  --linalg K            linear-algebra kernels: auto (default: native when the addon of
                        native/linalg is built, else js), native or js; overrides the
                        FRAGILITY_LAB_LINALG environment variable
  --memory-limit-mb M   memory the computation may use, in MB (default: the free memory)
  --json                print one JSON object: m, log_p, bound, ep_sweeps, delta, kernel, depth,
                        sigma_w2, sigma_b2, linalg (js or native), duration_ms`;

const options = {
  x: { type: 'string' },
  y: { type: 'string' },
  kernel: { type: 'string' },
  depth: { type: 'string' },
  'sigma-w2': { type: 'string' },
  'sigma-b2': { type: 'string' },
  schedule: { type: 'string' },
  workers: { type: 'string' },
  linalg: { type: 'string' },
  'memory-limit-mb': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Reads the inputs: float32, float64 or uint8, at least two dimensions [m, ...]. */
function readInputs(path: string): { data: Float32Array | Float64Array | Uint8Array; m: number; inputShape: number[] } {
  const array = readNpy(path);
  if (array.dtype !== 'float32' && array.dtype !== 'float64' && array.dtype !== 'uint8') {
    throw new LabError('invalid-input', `--x ${path} has dtype ${array.dtype}; store the inputs as float32, float64 or uint8`, { field: '--x' });
  }
  if (array.shape.length < 2 || array.shape.some((size) => size === 0)) {
    throw new LabError('invalid-input', `--x ${path} has shape (${array.shape.join(', ')}); it must be [m, ...] with m >= 1 and at least one value per example`, { field: '--x' });
  }
  const [m, ...inputShape] = array.shape as [number, ...number[]];
  return { data: array.data as Float32Array | Float64Array | Uint8Array, m, inputShape };
}

/** Reads the labels and checks that each is 0 or 1, naming the first one that is not. */
function readLabels(path: string, m: number): Uint8Array {
  const array: NpyArray = readNpy(path);
  const shapeOk = (array.shape.length === 1 && array.shape[0] === m) || (array.shape.length === 2 && array.shape[0] === m && array.shape[1] === 1);
  if (!shapeOk) {
    throw new LabError('invalid-input', `--y ${path} has shape (${array.shape.join(', ')}); expected (${m},) or (${m}, 1) to match the ${m} examples of --x`, { field: '--y' });
  }
  const labels = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    const value = array.data[i]!;
    if (value !== 0 && value !== 1) {
      throw new LabError('invalid-input', `--y ${path}: the label at index ${i} is ${value}; every label must be 0 or 1, because the bound is defined for binary tasks only`, { field: '--y' });
    }
    labels[i] = value;
  }
  return labels;
}

function parseLinalg(value: string | undefined): 'auto' | 'native' | 'js' | undefined {
  if (value === undefined || value === 'auto' || value === 'native' || value === 'js') return value;
  throw new LabError('invalid-input', `--linalg is "${value}"; use auto, native or js\n\n${usage}`, { field: '--linalg' });
}

function parseSchedule(value: string | undefined): 'auto' | 'sequential' | 'parallel' {
  if (value === undefined || value === 'auto' || value === 'sequential' || value === 'parallel') return value ?? 'auto';
  throw new LabError('invalid-input', `--schedule is "${value}"; use auto, sequential or parallel\n\n${usage}`, { field: '--schedule' });
}

export const command: CliCommand = {
  name: 'bound',
  summary: 'Compute the marginal-likelihood PAC-Bayes bound of a data set',
  usage,
  async run(args) {
    const { values } = parseOptions(args, options, usage);
    const xPath = requireOption(values.x, '--x', usage);
    const yPath = requireOption(values.y, '--y', usage);
    const kernelName = requireOption(values.kernel, '--kernel', usage);
    if (kernelName !== 'fc') {
      throw new LabError('invalid-input', `--kernel is "${kernelName}"; the command line offers only "fc" (the Monte-Carlo kernel needs a model factory, available through the API)\n\n${usage}`, { field: '--kernel' });
    }
    const depth = numberOption(requireOption(values.depth, '--depth', usage), '--depth', { min: 0, max: 1000, integer: true })!;
    const sigmaW2 = numberOption(values['sigma-w2'], '--sigma-w2', { min: 0 }) ?? 2;
    if (sigmaW2 === 0) throw new LabError('invalid-input', '--sigma-w2 is 0; the weight variance must be positive', { field: '--sigma-w2' });
    const sigmaB2 = numberOption(values['sigma-b2'], '--sigma-b2', { min: 0 }) ?? 0.01;
    const schedule = parseSchedule(values.schedule);
    const linalg = parseLinalg(values.linalg);
    const workers = numberOption(values.workers, '--workers', { min: 1, integer: true });
    const memoryLimitMb = numberOption(values['memory-limit-mb'], '--memory-limit-mb', { min: 1 });

    const inputs = readInputs(xPath);
    const labels = readLabels(yPath, inputs.m);
    const result = await computeMarginalLikelihoodBound({
      x: inputs.data,
      inputShape: inputs.inputShape,
      labels,
      kernel: { kind: 'fc', depth, sigmaW2, sigmaB2 },
      schedule,
      ...(workers === undefined ? {} : { workers }),
      ...(linalg === undefined ? {} : { linalg }),
      ...(memoryLimitMb === undefined ? {} : { memoryLimitBytes: memoryLimitMb * 1e6 }),
    });

    if (values.json) {
      const record = {
        m: result.m,
        log_p: result.logP,
        bound: result.bound,
        ep_sweeps: result.epSweeps,
        delta: result.delta,
        kernel: 'fc_analytic',
        depth,
        sigma_w2: sigmaW2,
        sigma_b2: sigmaB2,
        linalg: result.linalg,
        duration_ms: Math.round(result.durationMs),
      };
      process.stdout.write(`${JSON.stringify(record)}\n`);
      return exitCodes.ok;
    }
    process.stdout.write(
      [
        `ln P(S) = ${result.logP.toFixed(6)}  (expectation propagation, ${result.schedule} schedule, ${result.epSweeps} sweeps)`,
        `bound   = ${result.bound.toFixed(6)}  (expected 0-1 error, delta = 2^-10, m = ${result.m})`,
        `kernel  = fully connected ReLU, depth ${depth}, sigma_w^2 ${sigmaW2}, sigma_b^2 ${sigmaB2}; ${result.linalg} linear algebra; ${Math.round(result.durationMs)} ms`,
        '',
      ].join('\n'),
    );
    return exitCodes.ok;
  },
};
