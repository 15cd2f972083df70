/**
 * Study databases for the report tests. One is a real tiny study trained with the wasm backend.
 * The others are written row by row through the Store API, because a real run rarely gives what
 * those tests need. That is failed, pending, running and diverged runs, missing values, a
 * perturbation trained at one size only and a measure without any valid value.
 */
import { join } from 'node:path';
import { Store, type MeasureRecord, type RunResult, type StudyRunRecord } from '../../db/store.js';
import { sizeAdjust } from '../../main/measures/registry.js';
import { planStudy, studyId } from '../../main/studies/plan.js';
import { runStudy } from '../../main/studies/runner.js';
import { validateStudySpec, type StudySpec, type StudySpecInput } from '../../main/studies/spec.js';
import { canonicalJson, hashSettings } from '../../main/util/hash.js';
import { tinySpec } from '../helpers/studies.js';

/** Trains a tiny study (2 conditions x 3 sizes x 2 seeds) into `folder`; returns the database path. */
export async function trainTinyStudy(folder: string, overrides: Partial<StudySpecInput> = {}): Promise<string> {
  const dbPath = join(folder, 'tiny.sqlite');
  const spec = validateStudySpec(
    tinySpec({
      trainSizes: [64, 128, 256],
      perturbations: [{ name: 'noise', kind: 'data', description: 'labels of 20% of the training examples replaced at random', changes: { data: { labelNoise: 0.2 } } }],
      ...overrides,
    }),
  );
  const outcome = await runStudy({ dbPath, spec, backend: 'wasm' }).done;
  if (outcome.failed > 0) throw new Error(`the tiny study had ${outcome.failed} failed runs`);
  return dbPath;
}

/** What happens to one planned run of a written study. */
export type RunFate =
  | { status: 'fit' | 'did_not_fit' | 'diverged'; measures?: Record<string, number | string> }
  | { status: 'failed' | 'interrupted'; reason: string }
  | { status: 'pending' | 'running' };

const claimant = 'test-host:1:reports';

/** Power-law values that make learning curves with a clear slope: c * m^slope, jittered by seed. */
function powerLaw(c: number, slope: number, m: number, seed: number): number {
  return c * m ** slope * (1 + 0.03 * (seed + 1));
}

/** Plausible raw values of the measures the written studies use, for a run of size m and seed. */
function plausibleRaw(id: string, m: number, seed: number, condition: string): number {
  const scale = condition === 'baseline' ? 1 : 1.4;
  switch (id) {
    case 'param_norm':
      return m * powerLaw(scale, -0.5, m, seed) ** 2;
    case 'path_norm':
      return m * powerLaw(0.5 * scale, -0.4, m, seed) ** 2;
    case 'inverse_margin':
      return m * powerLaw(2, -0.3, m, seed) ** 2;
    case 'log_prod_of_spec':
      return 2 * Math.log(powerLaw(3 * scale, -0.2, m, seed)) + Math.log(m);
    default:
      return m * powerLaw(1, -0.25, m, seed) ** 2;
  }
}

function runResult(run: StudyRunRecord, fate: Extract<RunFate, { status: 'fit' | 'did_not_fit' | 'diverged' }>, measureIds: readonly string[], optionsKey: string): RunResult {
  const diverged = fate.status === 'diverged';
  const measures: MeasureRecord[] = measureIds.map((id) => {
    const override = fate.measures?.[id];
    if (diverged) return { measureId: id, raw: null, adjusted: null, missingReason: 'the run diverged: its training loss was NaN after epoch 2', details: null };
    if (typeof override === 'string') return { measureId: id, raw: null, adjusted: null, missingReason: override, details: null };
    const raw = override ?? plausibleRaw(id, run.trainSize, run.seed, run.condition);
    return { measureId: id, raw, adjusted: sizeAdjust(id, raw, run.trainSize), missingReason: null, details: null };
  });
  const testError = diverged ? null : powerLaw(run.condition === 'baseline' ? 0.5 : 0.7, -0.3, run.trainSize, run.seed);
  return {
    status: fate.status,
    backend: 'wasm',
    device: 'CPU (WebAssembly, SIMD)',
    versions: { tfjs: '4.22.0', node: process.versions.node },
    startedAt: new Date(Date.UTC(2026, 0, 5, 10, 0, run.position)).toISOString(),
    finishedAt: new Date(Date.UTC(2026, 0, 5, 10, 0, run.position + 1)).toISOString(),
    durationMs: 900 + run.position,
    epochs: diverged ? 2 : 12,
    divergedEpoch: diverged ? 2 : null,
    trainLoss: diverged ? null : 0.05,
    trainError: diverged ? null : 0.02,
    testLoss: diverged ? null : 0.4,
    testError,
    noisyLabelCount: 0,
    curve: [{ epoch: 1, trainLoss: 0.6, trainAccuracy: 0.7, durationMs: 80 }],
    optionsKey,
    measures,
  };
}

/**
 * Writes a study into the database at `dbPath` through the Store API: the runs `include` keeps
 * are planned, and each gets the fate `fateOf` returns (finished runs get plausible values).
 */
export function writeStudy(
  dbPath: string,
  input: StudySpecInput,
  fateOf: (run: StudyRunRecord) => RunFate,
  include: (run: { condition: string; trainSize: number; seed: number }) => boolean = () => true,
): StudySpec {
  const spec = validateStudySpec(input);
  const id = studyId(spec);
  const planned = planStudy(spec)
    .filter(include)
    .map((run) => ({ runId: run.runId, settingsJson: canonicalJson(run.settings), condition: run.condition, kind: run.kind, trainSize: run.trainSize, seed: run.seed }));
  const store = Store.open(dbPath);
  try {
    store.saveStudy({ id, name: spec.name, specJson: canonicalJson(spec), specHash: hashSettings(spec) }, planned);
    const optionsKey = `noise=${spec.measures.noise}`;
    const skip = new Set<string>();
    for (;;) {
      const run = store.claimNextRun(id, claimant, skip);
      if (run === undefined) break;
      skip.add(run.id);
      const fate = fateOf(run);
      switch (fate.status) {
        case 'pending':
          store.markRun(run.id, 'pending', null);
          break;
        case 'failed':
        case 'interrupted':
          store.markRun(run.id, fate.status, fate.reason);
          break;
        case 'running':
          break; // The claim stays, as if a worker were still training the run.
        default:
          store.saveRunResult(run.id, claimant, runResult(run, fate, spec.measures.ids, optionsKey));
      }
    }
  } finally {
    store.close();
  }
  return spec;
}

/** Measures of the written studies. */
export const gapMeasures = ['param_norm', 'log_prod_of_spec', 'inverse_margin', 'path_norm'];

export const failedReason = 'the worker process exited (SIGKILL) during this run';
export const marginReason = 'margin is zero: 10th-percentile training margin is 0';
export const overflowReason = 'path norm overflowed: the squared network returned Infinity';

/**
 * Writes a study with every kind of gap. The baseline has a failed and a pending run, lr_huge a
 * diverged run, noise was planned at m = 64 only, and adam has a running run and no finished one.
 * inverse_margin is missing everywhere, and path_norm is missing in one run and zero in another.
 */
export function writeGapStudy(dbPath: string): StudySpec {
  return writeStudy(
    dbPath,
    tinySpec({
      name: 'gaps',
      trainSizes: [64, 128, 256],
      seeds: [0, 1],
      measures: { ids: gapMeasures },
      perturbations: [
        { name: 'lr_huge', kind: 'hyperparameter', changes: { training: { learningRate: 100 } } },
        { name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } },
        { name: 'adam', kind: 'hyperparameter', changes: { training: { optimizer: 'adam' } } },
      ],
    }),
    (run) => {
      const key = `${run.condition}/${run.trainSize}/${run.seed}`;
      if (key === 'baseline/256/1') return { status: 'failed', reason: failedReason };
      if (key === 'baseline/128/1') return { status: 'pending' };
      if (key === 'lr_huge/128/0') return { status: 'diverged' };
      if (run.condition === 'adam') return run.trainSize === 64 && run.seed === 0 ? { status: 'running' } : { status: 'pending' };
      const measures: Record<string, number | string> = { inverse_margin: marginReason };
      if (key === 'baseline/64/1') measures.path_norm = overflowReason;
      if (key === 'lr_huge/64/1') measures.path_norm = 0;
      return { status: run.trainSize === 256 ? 'did_not_fit' : 'fit', measures };
    },
    (run) => run.condition !== 'noise' || run.trainSize === 64,
  );
}

/** Writes a study whose runs are all still pending, so no analysis exists. */
export function writePendingStudy(dbPath: string): StudySpec {
  return writeStudy(dbPath, tinySpec({ name: 'pending', perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } }] }), () => ({
    status: 'pending',
  }));
}

/** Writes a complete study of two perturbations, every run fit, with values that follow power laws. */
export function writeCompleteStudy(dbPath: string): StudySpec {
  return writeStudy(
    dbPath,
    tinySpec({
      name: 'complete',
      trainSizes: [64, 128, 256],
      measures: { ids: gapMeasures },
      perturbations: [
        { name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } },
        { name: 'lr_x10', kind: 'hyperparameter', changes: { training: { learningRate: 1 } } },
      ],
    }),
    () => ({ status: 'fit' }),
  );
}

/** Writes a complete study that targets the generalization gap, so the test error is not its target. */
export function writeGapTargetStudy(dbPath: string): StudySpec {
  return writeStudy(
    dbPath,
    tinySpec({
      name: 'gap target',
      trainSizes: [64, 128, 256],
      analysis: { target: 'gap' },
      measures: { ids: ['param_norm', 'path_norm'] },
      perturbations: [{ name: 'noise', kind: 'data', changes: { data: { labelNoise: 0.2 } } }],
    }),
    () => ({ status: 'fit' }),
  );
}
