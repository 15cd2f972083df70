/**
 * The lab host: the state behind the API that the lab server and Electron main share. It reads
 * and writes study metadata in SQLite, starts and stops study executions (whose runs train in
 * worker processes), and pushes their progress as events. It never trains or computes measures
 * itself.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { finishedStatuses, Store, type StudyRecord, type StudyRunRecord } from '../../db/store.js';
import { compareStudies } from '../analysis/index.js';
import { discoverDatasets } from '../data/datasets.js';
import { measureDefinitions } from '../measures/registry.js';
import { measureOptionsKey, planStudy, studyConditions, studyId as idOfStudy } from '../studies/plan.js';
import { checkStudyData } from '../studies/preflight.js';
import { rescaleInWorker } from '../rescale/inWorker.js';
import { registerStudy } from '../studies/register.js';
import { buildStudyReport, type StudyReport } from '../reports/index.js';
import { analyzeStoredStudy, loadStoredStudy } from '../studies/results.js';
import { runStudy, type StudyEvent, type StudyExecution } from '../studies/runner.js';
import { describeIssues, formatPath, studySpecSchema, validateStudySpec, type StudySpec } from '../studies/spec.js';
import { studyTemplates } from '../studies/templates.js';
import type { WorkerLauncher } from '../studies/launcher.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import type {
  BackendStatus,
  ExecutionState,
  LabApiEventName,
  LabApiEvents,
  LabSettings,
  RescaleRequest,
  RescaleResult,
  RunDetail,
  RunSummary,
  SpecCheck,
  StudyProgressEvent,
  StudySummary,
} from './types.js';

const log = createLogger('host');

export interface LabHostOptions {
  dbPath: string;
  /** JSON file the settings are kept in between sessions; in memory only when absent. */
  settingsPath?: string;
  launcher?: WorkerLauncher;
  /** Default worker count; one per core when absent. */
  workers?: number;
}

interface StoredSettings {
  dataFolders: string[];
  backend: LabSettings['backend'];
  workers: number;
}

function toRunSummary(run: StudyRunRecord): RunSummary {
  return {
    id: run.id,
    condition: run.condition,
    kind: run.kind,
    trainSize: run.trainSize,
    seed: run.seed,
    status: run.status,
    attempts: run.attempts,
    epochs: run.epochs,
    divergedEpoch: run.divergedEpoch,
    trainError: run.trainError,
    testError: run.testError,
    durationMs: run.durationMs,
    backend: run.backend,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    errorMessage: run.errorMessage,
  };
}

/** Converts a runner event to the API's event, dropping host-only fields. */
function toProgressEvent(event: StudyEvent): StudyProgressEvent {
  switch (event.type) {
    case 'study-started':
      return { type: 'study-started', total: event.total, finished: event.finished, toRun: event.toRun, workers: event.workers };
    case 'worker-ready':
      return { type: 'worker-ready', workerId: event.workerId, backend: event.backend };
    case 'study-finished':
      return { type: 'study-finished', finished: event.finished, failed: event.failed, total: event.total, cancelled: event.cancelled };
    case 'epoch':
      return { type: 'epoch', runId: event.runId, condition: event.condition, trainSize: event.trainSize, seed: event.seed, maxEpochs: event.maxEpochs, record: event.record };
    default:
      return event as StudyProgressEvent;
  }
}

export class LabHost {
  readonly dbPath: string;
  private readonly events = new EventEmitter();
  private readonly executions = new Map<string, StudyExecution>();
  private settings: StoredSettings;
  private lastBackend: BackendStatus | null = null;

  constructor(private readonly options: LabHostOptions) {
    this.dbPath = options.dbPath;
    // Opening once up front turns a bad database path into an error at start-up.
    Store.open(this.dbPath).close();
    this.settings = this.loadSettings();
  }

  on<E extends LabApiEventName>(event: E, listener: (payload: LabApiEvents[E]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private emit<E extends LabApiEventName>(event: E, payload: LabApiEvents[E]): void {
    this.events.emit(event, payload);
  }

  private withStore<T>(fn: (store: Store) => T): T {
    const store = Store.open(this.dbPath);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  }

  // Settings

  private loadSettings(): StoredSettings {
    const defaults: StoredSettings = { dataFolders: [], backend: 'auto', workers: this.options.workers ?? cpus().length };
    const path = this.options.settingsPath;
    if (path === undefined || !existsSync(path)) return defaults;
    try {
      return { ...defaults, ...(JSON.parse(readFileSync(path, 'utf8')) as Partial<StoredSettings>) };
    } catch (error) {
      log.warn(`ignoring unreadable settings file ${path}: ${(error as Error).message}`);
      return defaults;
    }
  }

  getSettings(): LabSettings {
    return { dbPath: this.dbPath, ...this.settings, cpuCount: cpus().length, lastBackend: this.lastBackend };
  }

  updateSettings(changes: Partial<StoredSettings>): LabSettings {
    this.settings = { ...this.settings, ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) };
    const path = this.options.settingsPath;
    if (path !== undefined) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(this.settings, null, 2)}\n`);
    }
    return this.getSettings();
  }

  // Studies

  private state(studyId: string): ExecutionState {
    const execution = this.executions.get(studyId);
    if (execution === undefined) return 'idle';
    return execution.isPaused ? 'paused' : 'running';
  }

  private summarize(record: StudyRecord, runs: readonly StudyRunRecord[]): StudySummary {
    const counts: StudySummary['counts'] = {};
    for (const run of runs) counts[run.status] = (counts[run.status] ?? 0) + 1;
    const finished = runs.filter((run) => finishedStatuses.includes(run.status)).length;
    const description = (JSON.parse(record.specJson) as { description?: string }).description ?? null;
    return {
      id: record.id,
      name: record.name,
      description,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      total: runs.length,
      counts,
      progress: runs.length === 0 ? 0 : finished / runs.length,
      state: this.state(record.id),
    };
  }

  listStudies(): StudySummary[] {
    return this.withStore((store) => store.listStudies().map((record) => this.summarize(record, store.studyRuns(record.id))));
  }

  getStudy(studyId: string): { summary: StudySummary; spec: StudySpec } {
    return this.withStore((store) => {
      const study = loadStoredStudy(store, studyId);
      return { summary: this.summarize(study.record, study.runs), spec: study.spec };
    });
  }

  /** Validates a spec without storing it, and estimates the work it asks for. */
  checkSpec(input: unknown): SpecCheck {
    const parsed = studySpecSchema.safeParse(input);
    if (!parsed.success) {
      const messages = describeIssues(parsed.error.issues, input);
      return {
        valid: false,
        problems: parsed.error.issues.map((issue, index) => ({ field: formatPath(issue.path), message: messages[index]! })),
        runCount: 0,
        conditionCount: 0,
        estimatedSeconds: null,
      };
    }
    try {
      const spec = validateStudySpec(input);
      checkStudyData(spec);
      const plan = planStudy(spec);
      return { valid: true, problems: [], runCount: plan.length, conditionCount: studyConditions(spec).length, estimatedSeconds: this.estimateSeconds(spec) };
    } catch (error) {
      const labError = error instanceof LabError ? error : new LabError('internal', String(error));
      return { valid: false, problems: [{ field: labError.field ?? '', message: labError.message }], runCount: 0, conditionCount: 0, estimatedSeconds: null };
    }
  }

  /**
   * A rough estimate of a study's training time: examples processed (m x an assumed 50 epochs, or
   * the stopping limit when lower) times the network's parameter count, at the throughput of the
   * runs already in the database, or at 2e9 parameter-examples per second when there are none.
   */
  private estimateSeconds(spec: StudySpec): number | null {
    const plan = planStudy(spec);
    let work = 0;
    for (const run of plan) {
      const { model, training } = run.settings;
      const inputSize = 784;
      const widths = model.kind === 'fcn' ? [inputSize, ...model.hiddenWidths, 1] : [inputSize, 128, 1];
      const parameters = widths.slice(1).reduce((sum, width, index) => sum + width * widths[index]!, 0);
      work += run.trainSize * Math.min(50, training.maxEpochs) * parameters;
    }
    const throughput = this.withStore((store) => {
      let done = 0;
      let seconds = 0;
      for (const record of store.listStudies()) {
        for (const run of store.studyRuns(record.id)) {
          if (run.durationMs === null || run.epochs === null || !finishedStatuses.includes(run.status)) continue;
          const settings = JSON.parse(run.settingsJson) as { model: { kind: string; hiddenWidths?: number[] } };
          const widths = settings.model.kind === 'fcn' ? [784, ...(settings.model.hiddenWidths ?? []), 1] : [784, 128, 1];
          done += run.trainSize * run.epochs * widths.slice(1).reduce((sum, width, index) => sum + width * widths[index]!, 0);
          seconds += run.durationMs / 1000;
        }
      }
      return seconds > 0 ? done / seconds : 2e9;
    });
    return work / throughput / Math.max(1, this.settings.workers);
  }

  /** Stores a new study, or replaces the spec of the study with the same id when `replace` is set. */
  createStudy(input: unknown, options: { replace: boolean } = { replace: false }): { studyId: string } {
    const spec = validateStudySpec(input);
    const id = idOfStudy(spec);
    if (this.executions.has(id)) throw new LabError('invalid-input', `Study "${id}" is running; cancel it before changing its spec`, { field: 'name' });
    if (!options.replace && this.withStore((store) => store.getStudy(id)) !== undefined) {
      throw new LabError('invalid-input', `A study with id "${id}" exists already; choose another name, or save with replace to change its spec`, { field: 'name' });
    }
    const { studyId } = this.withStore((store) => registerStudy(store, spec));
    this.emit('studies-changed', {});
    return { studyId };
  }

  duplicateStudy(studyId: string, name: string): { studyId: string } {
    const { spec } = this.getStudy(studyId);
    const copy = { ...spec, name };
    return this.createStudy(copy, { replace: false });
  }

  deleteStudy(studyId: string): void {
    if (this.executions.has(studyId)) throw new LabError('invalid-input', `Study "${studyId}" is running; cancel it before deleting it`, { field: 'studyId' });
    this.withStore((store) => {
      if (store.getStudy(studyId) === undefined) throw new LabError('not-found', `Study "${studyId}" does not exist`, { field: 'studyId' });
      store.deleteStudy(studyId);
    });
    this.emit('studies-changed', {});
  }

  startStudy(studyId: string, workers?: number): void {
    if (this.executions.has(studyId)) throw new LabError('invalid-input', `Study "${studyId}" is already running`, { field: 'studyId' });
    const { spec } = this.getStudy(studyId);
    const execution = runStudy({
      dbPath: this.dbPath,
      spec,
      workers: workers ?? this.settings.workers,
      backend: this.settings.backend,
      ...(this.options.launcher === undefined ? {} : { launcher: this.options.launcher }),
      onEvent: (event) => {
        if (event.type === 'worker-ready') this.lastBackend = event.backend;
        this.emit('study-progress', { studyId, event: toProgressEvent(event) });
      },
    });
    this.executions.set(studyId, execution);
    this.emit('study-progress', { studyId, event: { type: 'state', state: 'running' } });
    execution.done
      .catch((error: unknown) => {
        log.error(`study ${studyId} stopped with an error: ${(error as Error).message}`);
        this.emit('study-progress', {
          studyId,
          event: { type: 'study-finished', finished: 0, failed: 0, total: 0, cancelled: true },
        });
      })
      .finally(() => {
        this.executions.delete(studyId);
        this.emit('study-progress', { studyId, event: { type: 'state', state: 'idle' } });
        this.emit('studies-changed', {});
      });
  }

  private execution(studyId: string): StudyExecution {
    const execution = this.executions.get(studyId);
    if (execution === undefined) throw new LabError('invalid-input', `Study "${studyId}" is not running`, { field: 'studyId' });
    return execution;
  }

  pauseStudy(studyId: string): void {
    this.execution(studyId).pause();
    this.emit('study-progress', { studyId, event: { type: 'state', state: 'paused' } });
  }

  resumeStudy(studyId: string): void {
    this.execution(studyId).resume();
    this.emit('study-progress', { studyId, event: { type: 'state', state: 'running' } });
  }

  cancelStudy(studyId: string): void {
    this.execution(studyId).cancel();
    this.emit('study-progress', { studyId, event: { type: 'state', state: 'cancelling' } });
  }

  /** Waits until the study's execution ends (for tests and shutdown). */
  async settle(studyId: string): Promise<void> {
    await this.executions.get(studyId)?.done.catch(() => undefined);
  }

  studyRuns(studyId: string): RunSummary[] {
    return this.withStore((store) => loadStoredStudy(store, studyId).runs.map(toRunSummary));
  }

  /** The report model of a study: spec, environment, analysis, learning curves, runs and gaps. */
  studyReport(studyId: string): StudyReport {
    return this.withStore((store) => buildStudyReport(store, { studyId }));
  }

  /** What the results page shows: the report model, with its analysis (null before any run finished). */
  studyResults(studyId: string) {
    const report = this.studyReport(studyId);
    return { studyId, analysis: report.analysis, report };
  }

  compare(studyIds: readonly string[]) {
    return this.withStore((store) => {
      const studies = studyIds.map((id) => {
        const study = loadStoredStudy(store, id);
        return { name: id, analysis: analyzeStoredStudy(store, study), spec: study.spec };
      });
      return { comparison: compareStudies(studies.map(({ name, analysis }) => ({ name, analysis }))), specDiff: diffSpecs(studies.map(({ name, spec }) => ({ name, spec }))) };
    });
  }

  getRun(runId: string): RunDetail {
    return this.withStore((store) => {
      const run = store.getRun(runId);
      if (run === undefined) throw new LabError('not-found', `Run ${runId} does not exist`, { field: 'runId' });
      // A run can belong to several studies; its condition and measures are read through the first.
      const link = store.runLinks(runId)[0];
      const spec = link === undefined ? undefined : loadStoredStudy(store, link.studyId).spec;
      const values = spec === undefined ? new Map() : (store.measuresFor([runId], measureOptionsKey(spec)).get(runId) ?? new Map());
      const summary = toRunSummary({ ...run, condition: link?.condition ?? '', kind: link?.kind ?? 'baseline', trainSize: link?.trainSize ?? 0, seed: link?.seed ?? 0, position: 0 });
      return {
        ...summary,
        settings: JSON.parse(run.settingsJson) as unknown,
        device: run.device,
        versions: run.versionsJson === null ? null : (JSON.parse(run.versionsJson) as Record<string, string>),
        testLoss: run.testLoss,
        trainLoss: run.trainLoss,
        curve: store.curve(runId),
        measures: Object.fromEntries([...values.entries()].map(([id, value]) => [id, { raw: value.raw, adjusted: value.adjusted, missingReason: value.missingReason }])),
      };
    });
  }

  /** Runs the scale-invariance audit of a stored run in a lab worker process. */
  rescaleRun(request: RescaleRequest): Promise<RescaleResult> {
    return rescaleInWorker(this.dbPath, request, { backend: this.settings.backend, ...(this.options.launcher === undefined ? {} : { launcher: this.options.launcher }) });
  }

  templates() {
    return studyTemplates.map((template) => ({ ...template }));
  }

  measures() {
    return measureDefinitions.map((definition) => ({ ...definition }));
  }

  datasets() {
    return discoverDatasets(this.settings.dataFolders);
  }

  /** Cancels every running study and waits for their workers to stop. */
  async close(): Promise<void> {
    const pending = [...this.executions.entries()].map(async ([studyId, execution]) => {
      execution.cancel();
      await this.settle(studyId);
    });
    await Promise.all(pending);
  }
}

/** Settings that differ between studies, as dotted paths with each study's value. */
export function diffSpecs(studies: readonly { name: string; spec: StudySpec }[]): { field: string; values: Record<string, unknown> }[] {
  const flat = studies.map(({ name, spec }) => {
    const entries: Record<string, unknown> = {};
    const walk = (value: unknown, prefix: string): void => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [key, member] of Object.entries(value)) walk(member, prefix === '' ? key : `${prefix}.${key}`);
      } else {
        entries[prefix] = value;
      }
    };
    const { perturbations, ...rest } = spec;
    walk(rest, '');
    for (const perturbation of perturbations) entries[`perturbations.${perturbation.name}`] = perturbation.changes;
    return { name, entries };
  });
  const fields = [...new Set(flat.flatMap(({ entries }) => Object.keys(entries)))].sort();
  return fields
    .filter((field) => new Set(flat.map(({ entries }) => JSON.stringify(entries[field] ?? null))).size > 1)
    .map((field) => ({ field, values: Object.fromEntries(flat.map(({ name, entries }) => [name, entries[field] ?? null])) }));
}
