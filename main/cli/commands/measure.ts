/**
 * `fragility-lab measure`: computes the generalization measures of a saved TensorFlow.js
 * layers-model on its training set, given as .npy files, and prints a table or one JSON object.
 */
import { auditSavedNetwork } from '../../measures/audit.js';
import { getMeasureDefinition, measureDefinitions, postTrainingMeasureIds } from '../../measures/registry.js';
import type { MeasureReport, NoiseConvention, Task } from '../../measures/types.js';
import type { BackendRequest } from '../../tf/backend.js';
import { backendNames, initBackend } from '../../tf/backend.js';
import { LabError } from '../../util/errors.js';
import { numberOption, parseOptions, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

/** The measures printed without --measures: every one computed from a trained network, except epochs_to_fit. */
const defaultIds = postTrainingMeasureIds.filter((id) => id !== 'epochs_to_fit');

const usage = `Usage: fragility-lab measure --model DIR --x FILE.npy --y FILE.npy [OPTIONS]

Compute the generalization measures of a saved TensorFlow.js layers-model on the
training set it was trained on.

Options:
  --model DIR       folder with model.json and its weight files (the trained network)
  --init DIR        the same network at initialisation; the measures that need it
                    (distances from initialisation) are missing without it
  --x FILE.npy      training inputs in the model's input shape, e.g. [m, H, W, C], or as
                    rows flattened in C order, [m, H*W*C]; dtype float32, float64 or
                    uint8. Values are used as they are: uint8 pixels are not divided by
                    255, so store them scaled as they were in training
  --y FILE.npy      labels, [m] integers: class indices, or 0/1 for a one-logit model
  --task TASK       binary or multiclass; default: binary when the model has one
                    output logit, else multiclass
  --measures IDS    comma-separated measure ids; default: ${defaultIds.length} measures (all below
                    except epochs_to_fit and marginal_likelihood_bound)
  --sigma S         noise level for pacbayes_init, pacbayes_orig and pacbayes_flatness
                    instead of searching for it (S > 0)
  --sigma-mag S     sigma' for the magnitude-aware PAC-Bayes measures instead of searching
  --noise CONV      noise convention of the sigma searches: stated (default, standard
                    deviation sigma) or reference (standard deviation sigma^2, as the
                    public code of Dziugaite et al. 2020)
  --seed N          seed of the search noise (default 0)
  --backend NAME    TensorFlow.js backend: ${backendNames.join(', ')} (default: the fastest available)
  --json            print one JSON object instead of a table

Measure ids: ${measureDefinitions.map((definition) => definition.id).join(', ')}`;

const optionSpec = {
  model: { type: 'string' },
  init: { type: 'string' },
  x: { type: 'string' },
  y: { type: 'string' },
  task: { type: 'string' },
  measures: { type: 'string' },
  sigma: { type: 'string' },
  'sigma-mag': { type: 'string' },
  noise: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function choice<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new LabError('invalid-input', `${flag} is "${value}"; use one of ${allowed.join(', ')}`, { field: flag });
  }
  return value as T;
}

function parseIds(text: string | undefined): string[] {
  if (text === undefined) return [...defaultIds];
  const ids = text.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (ids.length === 0) throw new LabError('invalid-input', '--measures is empty; give comma-separated measure ids', { field: '--measures' });
  for (const id of ids) {
    getMeasureDefinition(id);
    if (id === 'marginal_likelihood_bound') {
      throw new LabError('invalid-input', 'marginal_likelihood_bound depends on the data only; compute it with "fragility-lab bound"', { field: '--measures' });
    }
  }
  return [...new Set(ids)];
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return value.toPrecision(6);
}

/** Collects the sigmas that the PAC-Bayes measures used, from the first measure of each search that records one. */
function sigmaRecords(report: MeasureReport): Record<string, Record<string, number | string | boolean | null>> {
  const records: Record<string, Record<string, number | string | boolean | null>> = {};
  for (const value of Object.values(report.values)) {
    const details = 'details' in value ? value.details : undefined;
    if (details === undefined) continue;
    if ('sigma' in details) records.sigma ??= details;
    if ('sigmaPrime' in details) records.sigmaMag ??= details;
  }
  return records;
}

function jsonReport(report: MeasureReport, task: Task, backend: string): string {
  const measures: Record<string, { raw: number; adjusted: number } | { missing: string }> = {};
  for (const [id, value] of Object.entries(report.values)) {
    measures[id] = 'missing' in value ? { missing: value.missing } : { raw: value.raw, adjusted: value.adjusted };
  }
  return JSON.stringify({
    m: report.m,
    margin: report.margin,
    measures,
    task,
    trainAccuracy: report.trainAccuracy,
    backend,
    sigmas: sigmaRecords(report),
  });
}

function tableReport(report: MeasureReport, task: Task, backend: string): string {
  const lines = [
    `m = ${report.m} training examples, ${task} task, backend ${backend}`,
    `train accuracy ${formatNumber(report.trainAccuracy)}; margin: k = ${report.margin.k}, k-th smallest ${formatNumber(report.margin.kthSmallest)}, gamma ${formatNumber(report.margin.gamma)}`,
  ];
  for (const [name, record] of Object.entries(sigmaRecords(report))) {
    const value = record.sigma ?? record.sigmaPrime;
    const how = record.searched ? `searched, ${record.noise} noise, ${record.searchSteps} steps${record.converged ? '' : ', tolerance not met'}` : 'given';
    lines.push(`${name === 'sigma' ? 'sigma' : "sigma'"} = ${formatNumber(value as number)} (${how})`);
  }
  const width = Math.max(...Object.keys(report.values).map((id) => id.length), 'measure'.length);
  lines.push('', `${'measure'.padEnd(width)}  ${'raw'.padStart(14)}  ${'adjusted'.padStart(14)}`);
  for (const [id, value] of Object.entries(report.values)) {
    lines.push('missing' in value ? `${id.padEnd(width)}  missing: ${value.missing}` : `${id.padEnd(width)}  ${formatNumber(value.raw).padStart(14)}  ${formatNumber(value.adjusted).padStart(14)}`);
  }
  return lines.join('\n');
}

export const command: CliCommand = {
  name: 'measure',
  summary: 'Compute the measures of a saved network on its training data',
  usage,
  async run(args) {
    const { values } = parseOptions(args, optionSpec, usage);
    const modelPath = requireOption(values.model, '--model', usage);
    const xPath = requireOption(values.x, '--x', usage);
    const yPath = requireOption(values.y, '--y', usage);
    const requestedTask = choice<Task>(values.task, '--task', ['binary', 'multiclass']);
    const noise = choice<NoiseConvention>(values.noise, '--noise', ['stated', 'reference']) ?? 'stated';
    const backendRequest = choice<BackendRequest>(values.backend, '--backend', [...backendNames, 'auto']);
    const sigma = numberOption(values.sigma, '--sigma', { min: Number.MIN_VALUE });
    const sigmaMag = numberOption(values['sigma-mag'], '--sigma-mag', { min: Number.MIN_VALUE });
    const seed = numberOption(values.seed, '--seed', { integer: true }) ?? 0;
    const ids = parseIds(values.measures);

    const backend = await initBackend(backendRequest);
    const { report, task } = await auditSavedNetwork({
      modelDir: modelPath,
      ...(values.init === undefined ? {} : { initDir: values.init }),
      xPath,
      yPath,
      ...(requestedTask === undefined ? {} : { task: requestedTask }),
      ids,
      options: { noise, seed, ...(sigma === undefined ? {} : { sigma }), ...(sigmaMag === undefined ? {} : { sigmaMag }) },
    });
    process.stdout.write(`${values.json ? jsonReport(report, task, backend.name) : tableReport(report, task, backend.name)}\n`);
    return exitCodes.ok;
  },
};
