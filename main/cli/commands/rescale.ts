/**
 * `fragility-lab rescale`: the scale-invariance audit of a stored run. It multiplies the weights
 * before each BatchNorm by c, checks that the test outputs are unchanged, and prints every measure
 * before and after with the factor the definitions predict.
 */
import { defaultTolerance, rescaleStoredRun, type RescaleReport } from '../../rescale/audit.js';
import type { BackendRequest } from '../../tf/backend.js';
import { backendNames, initBackend } from '../../tf/backend.js';
import { getMeasureDefinition } from '../../measures/registry.js';
import { LabError } from '../../util/errors.js';
import { numberOption, parseOptions, requireOption } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

const usage = `Usage: fragility-lab rescale --db FILE --run ID --factor C [OPTIONS]

Rescale a stored network without changing its function, and compare its measures.
Every Dense or Conv2D kernel (and bias) that feeds a BatchNorm, directly or through
ReLU, is multiplied by C, and the BatchNorm's moving mean by C and moving variance
by C^2. The command checks that every test logit is unchanged, recomputes the
measures on the run's training set, and prints each one before and after, their
ratio, and the value the definitions predict. A folded BatchNorm absorbs the
factor; one left in place (after a ReLU) does not.

Options:
  --db FILE          the study database that holds the run and its weights
  --run ID           the run id, or its first 8 or more hexadecimal digits
  --factor C         the rescaling factor, a number > 0
  --measures IDS     comma-separated measure ids; default: those the run's study computes
  --tolerance T      largest relative logit difference that counts as unchanged
                     (default ${defaultTolerance})
  --backend NAME     TensorFlow.js backend: ${backendNames.join(', ')} (default: the fastest available)
  --json             print one JSON object instead of a table

Exit code 1 when the outputs changed by more than the tolerance.`;

const optionSpec = {
  db: { type: 'string' },
  run: { type: 'string' },
  factor: { type: 'string' },
  measures: { type: 'string' },
  tolerance: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function formatNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return 'n/a';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return value.toPrecision(6);
}

function parseIds(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const ids = text.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (ids.length === 0) throw new LabError('invalid-input', '--measures is empty; give comma-separated measure ids', { field: '--measures' });
  for (const id of ids) getMeasureDefinition(id);
  return [...new Set(ids)];
}

/** Formats the report as the table the command prints. */
export function formatRescaleTable(report: RescaleReport, backend: string): string {
  const lines = [
    `run ${report.runId.slice(0, 12)}, factor c = ${report.factor}, m = ${report.m} training examples, ${report.testCount} test examples, backend ${backend}`,
    `rescaled: ${report.rescaled.map((layer) => `${layer.name} -> ${layer.batchNorm} (${layer.folded ? 'folded' : 'left in place'})`).join(', ')}`,
  ];
  for (const skipped of report.skipped) lines.push(`not rescaled: ${skipped.batchNorm}: ${skipped.reason}`);
  lines.push(
    `test logits: largest relative difference ${formatNumber(report.maxRelativeLogitDifference)} (absolute ${formatNumber(report.maxAbsoluteLogitDifference)}), ` +
      `${report.outputsUnchanged ? 'unchanged' : 'CHANGED'} at tolerance ${report.tolerance}; BatchNorm epsilon explains up to ${formatNumber(report.epsilonRelativeChange)}`,
    '',
  );
  for (const layer of report.layers) {
    const ratio = layer.froAfter === null ? null : layer.froAfter / layer.froBefore;
    lines.push(`layer ${layer.name}: fro x ${formatNumber(ratio)} (predicted ${formatNumber(layer.predictedScale ** 2)})`);
  }
  lines.push('');
  const width = Math.max('measure'.length, ...report.measures.map((row) => row.id.length));
  lines.push(`${'measure'.padEnd(width)}  ${'before'.padStart(12)}  ${'after'.padStart(12)}  ${'ratio'.padStart(10)}  ${'predicted'.padStart(10)}  prediction`);
  for (const row of report.measures) {
    if (row.missingReason !== null) {
      lines.push(`${row.id.padEnd(width)}  missing: ${row.missingReason}`);
      continue;
    }
    lines.push(
      `${row.id.padEnd(width)}  ${formatNumber(row.before).padStart(12)}  ${formatNumber(row.after).padStart(12)}  ${formatNumber(row.ratio).padStart(10)}  ${formatNumber(row.predictedRatio).padStart(10)}  ${row.rule}`,
    );
  }
  return lines.join('\n');
}

export const command: CliCommand = {
  name: 'rescale',
  summary: 'Rescale a stored scale-invariant network and compare its measures with the predictions',
  usage,
  async run(args) {
    const { values } = parseOptions(args, optionSpec, usage);
    const dbPath = requireOption(values.db, '--db', usage);
    const runId = requireOption(values.run, '--run', usage);
    const factor = numberOption(requireOption(values.factor, '--factor', usage), '--factor', { min: Number.MIN_VALUE })!;
    const tolerance = numberOption(values.tolerance, '--tolerance', { min: 0 });
    const measureIds = parseIds(values.measures);
    const backendRequest = values.backend as BackendRequest | undefined;
    if (backendRequest !== undefined && ![...backendNames, 'auto'].includes(backendRequest)) {
      throw new LabError('invalid-input', `--backend is "${backendRequest}"; use one of auto, ${backendNames.join(', ')}`, { field: '--backend' });
    }

    const backend = await initBackend(backendRequest);
    const report = await rescaleStoredRun({
      dbPath,
      runId,
      factor,
      ...(tolerance === undefined ? {} : { tolerance }),
      ...(measureIds === undefined ? {} : { measureIds }),
    });
    process.stdout.write(`${values.json ? JSON.stringify({ ...report, backend: backend.name }) : formatRescaleTable(report, backend.name)}\n`);
    return report.outputsUnchanged ? exitCodes.ok : exitCodes.failure;
  },
};
