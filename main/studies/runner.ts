/**
 * Runs a study from a host process: stores the study and its planned runs, then hands the runs
 * that still need training to one or more lab workers and reports progress as events.
 *
 * Resume policy: runs already finished (fit, did not fit, diverged) are never trained again; runs
 * left `running` by a process that is gone, `interrupted` runs and `failed` runs are trained
 * again. A run whose worker crashes twice is marked failed and the study goes on.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { finishedStatuses, Store, type StudyRunRecord } from '../../db/store.js';
import type { BackendInfo, BackendRequest } from '../tf/backend.js';
import { planWorkers } from '../tf/devices.js';
import type { EpochRecord } from '../training/train.js';
import { LabError, type LabErrorData } from '../util/errors.js';
import { createLogger, writeLogRecord, type LogRecord } from '../util/log.js';
import type { RunPhase } from './execute.js';
import { forkWorker, type WorkerHandle, type WorkerLauncher } from './launcher.js';
import type { WorkerMessage } from './messages.js';
import { measureOptionsKey, studyId as idOfStudy, type RunSettings } from './plan.js';
import { checkStudyData } from './preflight.js';
import { registerStudy } from './register.js';
import type { StudySpec } from './spec.js';

const log = createLogger('runner');

export interface RunIdentity {
  runId: string;
  condition: string;
  trainSize: number;
  seed: number;
}

export type StudyEvent =
  | { type: 'study-started'; studyId: string; total: number; finished: number; toRun: number; workers: number; toRunSizes: number[] }
  | { type: 'worker-ready'; workerId: number; backend: BackendInfo }
  | ({ type: 'run-started'; workerId: number } & RunIdentity)
  | ({ type: 'run-phase'; phase: RunPhase } & RunIdentity)
  | ({ type: 'epoch'; record: EpochRecord; maxEpochs: number } & RunIdentity)
  | ({ type: 'run-finished'; status: 'fit' | 'did_not_fit' | 'diverged'; durationMs: number } & RunIdentity)
  | ({ type: 'run-failed'; error: LabErrorData; willRetry: boolean } & RunIdentity)
  | { type: 'study-finished'; studyId: string; finished: number; failed: number; total: number; cancelled: boolean };

export interface RunStudyOptions {
  dbPath: string;
  spec: StudySpec;
  /** Number of worker processes (default: one per GPU on GPU backends, else one per core). */
  workers?: number;
  backend?: BackendRequest;
  launcher?: WorkerLauncher;
  onEvent?: (event: StudyEvent) => void;
  /** Where the workers' log records go (default: this process's logger). */
  onWorkerLog?: (record: LogRecord) => void;
}

export interface StudyOutcome {
  studyId: string;
  total: number;
  finished: number;
  failed: number;
  cancelled: boolean;
}

type RunOutcome =
  | { kind: 'done'; status: 'fit' | 'did_not_fit' | 'diverged' }
  | { kind: 'failed'; error: LabErrorData }
  | { kind: 'crashed'; reason: string };

/**
 * Claimants look like `host:pid:nonce`; a claimant on this host whose process is gone is dead. A
 * zombie (exited, not yet reaped, as happens to workers orphaned by a killed host) counts as dead.
 */
export function isClaimantAlive(claimant: string): boolean {
  const [host, pidText] = claimant.split(':');
  if (host !== hostname()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (process.platform === 'linux') {
    try {
      // The state is the first field after the parenthesised command name.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One worker process and the run it is busy with. */
class Worker {
  readonly claimant: string;
  private pending: ((outcome: RunOutcome) => void) | undefined;
  private exited = false;

  private constructor(
    readonly id: number,
    private readonly handle: WorkerHandle,
    readonly backend: BackendInfo,
  ) {
    this.claimant = `${hostname()}:${handle.pid ?? 0}:${randomUUID().slice(0, 8)}`;
  }

  /** Starts a worker and waits until its backend is ready. */
  static start(
    id: number,
    launcher: WorkerLauncher,
    env: Record<string, string>,
    dbPath: string,
    backend: BackendRequest,
    onMessage: (message: WorkerMessage) => void,
  ): Promise<Worker> {
    const handle = launcher({ env });
    return new Promise((resolve, reject) => {
      let worker: Worker | undefined;
      handle.onMessage((message) => {
        if (message.type === 'ready') {
          worker = new Worker(id, handle, message.backend);
          resolve(worker);
        } else if (message.type === 'init-failed') {
          handle.kill();
          reject(new LabError(message.error.kind, `The lab worker failed to start: ${message.error.message}`));
        } else {
          worker?.receive(message);
          onMessage(message);
        }
      });
      handle.onExit((code, signal) => {
        if (worker === undefined) reject(new LabError('internal', `The lab worker exited during start-up (${signal ?? `exit code ${code}`})`));
        else worker.handleExit(code, signal);
      });
      handle.send({ type: 'init', dbPath, backend });
    });
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'run-done') this.settle({ kind: 'done', status: message.status });
    else if (message.type === 'run-failed') this.settle({ kind: 'failed', error: message.error });
  }

  private handleExit(code: number | null, signal: string | null): void {
    this.exited = true;
    this.settle({ kind: 'crashed', reason: `the worker process exited (${signal ?? `exit code ${code}`}) during this run` });
  }

  private settle(outcome: RunOutcome): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(outcome);
  }

  get alive(): boolean {
    return !this.exited;
  }

  execute(assignment: Parameters<WorkerHandle['send']>[0] & { type: 'run' }): Promise<RunOutcome> {
    if (this.exited) return Promise.resolve({ kind: 'crashed', reason: 'the worker process had already exited' });
    return new Promise((resolve) => {
      this.pending = resolve;
      this.handle.send(assignment);
    });
  }

  cancel(): void {
    this.handle.send({ type: 'cancel' });
  }

  shutdown(): void {
    if (!this.exited) this.handle.send({ type: 'shutdown' });
  }

  kill(): void {
    if (!this.exited) this.handle.kill('SIGKILL');
  }
}

/** A study being run; `done` resolves when every run is finished, failed, or the study is cancelled. */
export class StudyExecution {
  readonly studyId: string;
  readonly done: Promise<StudyOutcome>;
  private readonly workers = new Set<Worker>();
  private cancelled = false;
  private paused = false;
  private resumeWaiters: (() => void)[] = [];

  constructor(private readonly options: RunStudyOptions) {
    this.studyId = idOfStudy(options.spec);
    this.done = this.run();
  }

  /** Stops after the runs in progress: they are cancelled and queued again for the next start. */
  cancel(): void {
    this.cancelled = true;
    this.resume();
    for (const worker of this.workers) worker.cancel();
  }

  /** Stops claiming new runs; the runs in progress finish. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Kills the workers at once; their runs are marked interrupted. */
  kill(): void {
    this.cancelled = true;
    for (const worker of this.workers) worker.kill();
  }

  private emit(event: StudyEvent): void {
    this.options.onEvent?.(event);
  }

  private async run(): Promise<StudyOutcome> {
    const { spec, dbPath } = this.options;
    checkStudyData(spec);
    const store = Store.open(dbPath);
    try {
      const released = store.releaseAbandonedClaims(isClaimantAlive);
      if (released > 0) log.info(`put back ${released} interrupted run(s) left by stopped processes`);
      const saved = registerStudy(store, spec);
      const plan = saved.plan;
      const requeued = store.requeueFailedRuns(this.studyId);
      log.info(`study ${this.studyId} ${saved.created ? 'created' : 'updated'}: ${plan.length} runs, ${saved.newRuns} new${requeued > 0 ? `, ${requeued} failed run(s) queued again` : ''}`);

      const runs = store.studyRuns(this.studyId);
      const finishedAtStart = runs.filter((run) => finishedStatuses.includes(run.status)).length;
      const waiting = runs.filter((run) => run.status === 'pending' || run.status === 'interrupted');
      const toRun = waiting.length;
      const workerPlan = planWorkers(this.options.backend ?? 'auto', this.options.workers);
      this.workerEnv = workerPlan.envFor;
      const workerCount = Math.max(1, Math.min(workerPlan.workers, toRun));
      this.emit({ type: 'study-started', studyId: this.studyId, total: runs.length, finished: finishedAtStart, toRun, workers: workerCount, toRunSizes: waiting.map((run) => run.trainSize) });

      const settingsById = new Map(plan.map((run) => [run.runId, run.settings]));
      const counts = { finished: finishedAtStart, failed: 0 };
      if (toRun > 0) {
        const slots = Array.from({ length: workerCount }, (_, index) => this.workerLoop(index + 1, store, settingsById, counts));
        const results = await Promise.allSettled(slots);
        const firstFailure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (firstFailure !== undefined && counts.finished === finishedAtStart && counts.failed === 0) throw firstFailure.reason;
      }

      const outcome: StudyOutcome = { studyId: this.studyId, total: runs.length, finished: counts.finished, failed: counts.failed, cancelled: this.cancelled };
      this.emit({ type: 'study-finished', ...outcome });
      return outcome;
    } finally {
      store.close();
    }
  }

  private async waitWhilePaused(): Promise<void> {
    while (this.paused && !this.cancelled) await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
  }

  private identity(run: StudyRunRecord): RunIdentity {
    return { runId: run.id, condition: run.condition, trainSize: run.trainSize, seed: run.seed };
  }

  private startWorker(id: number, runsById: Map<string, StudyRunRecord>, maxEpochsOf: (runId: string) => number): Promise<Worker> {
    const forwardLog = this.options.onWorkerLog ?? writeLogRecord;
    return Worker.start(id, this.options.launcher ?? forkWorker, this.workerEnv(id - 1), this.options.dbPath, this.options.backend ?? 'auto', (message) => {
      if (message.type === 'log') {
        forwardLog(message.record);
        return;
      }
      if (message.type !== 'phase' && message.type !== 'epoch') return;
      const run = runsById.get(message.runId);
      if (run === undefined) return;
      if (message.type === 'phase') this.emit({ type: 'run-phase', phase: message.phase, ...this.identity(run) });
      else this.emit({ type: 'epoch', record: message.record, maxEpochs: maxEpochsOf(run.id), ...this.identity(run) });
    });
  }

  private async workerLoop(workerId: number, store: Store, settingsById: Map<string, RunSettings>, counts: { finished: number; failed: number }): Promise<void> {
    const runsById = new Map<string, StudyRunRecord>();
    const maxEpochsOf = (runId: string) => settingsById.get(runId)?.training.maxEpochs ?? 0;
    const crashes = new Map<string, number>();
    const skip = this.skipped;
    const optionsKey = measureOptionsKey(this.options.spec);

    let worker = await this.startWorker(workerId, runsById, maxEpochsOf);
    this.workers.add(worker);
    this.emit({ type: 'worker-ready', workerId, backend: worker.backend });
    try {
      for (;;) {
        await this.waitWhilePaused();
        if (this.cancelled) break;
        // Before giving up, put back runs whose process died since the start (a second runner
        // killed while this one works), then try once more.
        const run =
          store.claimNextRun(this.studyId, worker.claimant, skip) ??
          (store.releaseAbandonedClaims(isClaimantAlive) > 0 ? store.claimNextRun(this.studyId, worker.claimant, skip) : undefined);
        if (run === undefined) break;
        runsById.set(run.id, run);
        const settings = settingsById.get(run.id);
        if (settings === undefined) throw new LabError('internal', `run ${run.id} of study ${this.studyId} is not in its plan`);
        this.emit({ type: 'run-started', workerId, ...this.identity(run) });

        const startedMs = performance.now();
        const outcome = await worker.execute({
          type: 'run',
          assignment: { runId: run.id, claimant: worker.claimant, settings, measureIds: this.options.spec.measures.ids, noise: this.options.spec.measures.noise, optionsKey },
        });

        if (outcome.kind === 'done') {
          counts.finished++;
          this.emit({ type: 'run-finished', status: outcome.status, durationMs: performance.now() - startedMs, ...this.identity(run) });
          continue;
        }
        if (outcome.kind === 'failed') {
          if (outcome.error.kind === 'cancelled') {
            store.markRun(run.id, 'pending', null);
            break;
          }
          store.markRun(run.id, 'failed', outcome.error.message);
          skip.add(run.id);
          counts.failed++;
          log.error(`run ${run.id.slice(0, 12)} (${run.condition}, m = ${run.trainSize}, seed ${run.seed}) failed: ${outcome.error.message}`);
          this.emit({ type: 'run-failed', error: outcome.error, willRetry: false, ...this.identity(run) });
          continue;
        }

        // The worker process died during the run: requeue the run, or give up on it after two crashes.
        const crashCount = (crashes.get(run.id) ?? 0) + 1;
        crashes.set(run.id, crashCount);
        const willRetry = crashCount < 2 && !this.cancelled;
        store.markRun(run.id, willRetry ? 'interrupted' : 'failed', outcome.reason);
        if (!willRetry) {
          skip.add(run.id);
          if (!this.cancelled) counts.failed++;
        }
        log.warn(`run ${run.id.slice(0, 12)} interrupted: ${outcome.reason}${willRetry ? '; it will be trained again' : ''}`);
        this.emit({ type: 'run-failed', error: { kind: 'internal', message: outcome.reason }, willRetry, ...this.identity(run) });
        this.workers.delete(worker);
        if (this.cancelled) break;
        worker = await this.startWorker(workerId, runsById, maxEpochsOf);
        this.workers.add(worker);
      }
    } finally {
      worker.shutdown();
      this.workers.delete(worker);
    }
  }

  /** Environment of worker i (0-based), from the worker plan. */
  private workerEnv: (index: number) => Record<string, string> = () => ({});

  /** Runs not to claim again in this execution (failed ones), shared by the worker loops. */
  private readonly skipped = new Set<string>();
}

/** Starts running a study; see StudyExecution. */
export function runStudy(options: RunStudyOptions): StudyExecution {
  return new StudyExecution(options);
}
