import type { ApiError, BackendStatus, EpochPoint, ExecutionState, RunDetail, RunStatus, RunSummary, StudyProgressEvent, StudySummary } from '../../../main/api/types.js';
import { onReconnect, toApiCallError, type ApiCallError, type RendererApiClient } from '../lib/api.js';
import { isFinished } from '../lib/statuses.js';
import { debounce } from '../lib/timing.js';

/** The epochs of a run in progress, as its epoch events arrive. */
export interface LiveRun {
  runId: string;
  condition: string;
  trainSize: number;
  seed: number;
  workerId: number | null;
  phase: string | null;
  maxEpochs: number | null;
  curve: EpochPoint[];
}

/** A failure reported by an event, kept until the run list shows the stored message. */
export interface RunFailure {
  runId: string;
  condition: string;
  trainSize: number;
  seed: number;
  error: ApiError;
  willRetry: boolean;
}

export type ControlAction = 'start' | 'pause' | 'resume' | 'cancel';

/** The run monitor of one study: its runs filled live from study-progress events. */
export class RunMonitor {
  summary = $state<StudySummary | null>(null);
  /** Perturbation names in spec order, so that the grid lists conditions as the study does. */
  conditionOrder = $state<string[]>([]);
  runs = $state<RunSummary[]>([]);
  loaded = $state(false);
  loadError = $state<ApiCallError | null>(null);

  state = $state<ExecutionState>('idle');
  live = $state<LiveRun[]>([]);
  /** The run whose curves are shown; the latest started one unless the user picked another. */
  selectedRunId = $state<string | null>(null);
  followLatest = $state(true);
  backend = $state<BackendStatus | null>(null);
  workers = $state(1);
  failures = $state<RunFailure[]>([]);
  lastFinished = $state<{ finished: number; failed: number; total: number; cancelled: boolean } | null>(null);

  controlBusy = $state<ControlAction | null>(null);
  controlError = $state<ApiCallError | null>(null);

  readonly total = $derived(this.runs.length);
  readonly finishedCount = $derived(this.runs.filter((run) => isFinished(run.status)).length);
  readonly failedCount = $derived(this.runs.filter((run) => run.status === 'failed' || run.status === 'interrupted').length);
  readonly progress = $derived(this.total === 0 ? 0 : this.finishedCount / this.total);
  readonly conditions = $derived.by(() => {
    const present = [...new Set(this.runs.map((run) => run.condition))];
    const ordered = ['baseline', ...this.conditionOrder].filter((name) => present.includes(name));
    return [...ordered, ...present.filter((name) => !ordered.includes(name))];
  });
  readonly sizes = $derived([...new Set(this.runs.map((run) => run.trainSize))].sort((a, b) => a - b));
  readonly seeds = $derived([...new Set(this.runs.map((run) => run.seed))].sort((a, b) => a - b));
  /** Runs that failed, diverged or were interrupted, with their stored messages. */
  readonly problemRuns = $derived(this.runs.filter((run) => run.status === 'failed' || run.status === 'diverged' || run.status === 'interrupted' || run.errorMessage !== null));
  /** Estimated seconds left: mean duration of the finished runs times the runs left, over the workers. */
  readonly secondsLeft = $derived.by(() => {
    const durations = this.runs.filter((run) => isFinished(run.status) && run.durationMs !== null).map((run) => run.durationMs!);
    const left = this.runs.filter((run) => !isFinished(run.status) && run.status !== 'failed').length;
    if (left === 0) return 0;
    if (durations.length === 0) return null;
    const meanMs = durations.reduce((sum, value) => sum + value, 0) / durations.length;
    return (meanMs * left) / 1000 / Math.max(1, this.workers);
  });
  /** The live run whose curves are shown: the selected one, or the latest started while following. */
  readonly selectedLive = $derived(this.live.find((run) => run.runId === this.selectedRunId) ?? (this.followLatest ? (this.live[this.live.length - 1] ?? null) : null));

  /** The stored detail of a selected run that is not training now. */
  detail = $state<RunDetail | null>(null);
  detailLoading = $state(false);
  detailError = $state<ApiCallError | null>(null);
  private detailVersion = 0;

  private readonly refreshRuns = debounce(() => void this.reload(), 500);

  constructor(
    private readonly api: RendererApiClient,
    readonly studyId: string,
  ) {}

  /** Loads the study and its runs and follows its events; returns the function that stops. */
  start(): () => void {
    void this.reload();
    const stop = this.api.on('study-progress', ({ studyId, event }) => {
      if (studyId === this.studyId) this.apply(event);
    });
    const stopReconnect = onReconnect(this.api, () => void this.reload());
    return () => {
      this.refreshRuns.cancel();
      stop();
      stopReconnect();
    };
  }

  async reload(): Promise<void> {
    try {
      const [{ summary, spec }, runs] = await Promise.all([this.api.call('study-get', { studyId: this.studyId }), this.api.call('study-runs', { studyId: this.studyId })]);
      this.summary = summary;
      this.state = summary.state;
      const perturbations = (spec as { perturbations?: { name?: unknown }[] }).perturbations ?? [];
      this.conditionOrder = perturbations.map((item) => String(item.name ?? ''));
      this.runs = this.mergeLiveStatuses(runs);
      this.loadError = null;
      this.loaded = true;
    } catch (reason) {
      this.loadError = toApiCallError(reason);
    }
  }

  /** Keeps `running` on runs that an event started after the database was read. */
  private mergeLiveStatuses(runs: RunSummary[]): RunSummary[] {
    const running = new Set(this.live.map((run) => run.runId));
    return runs.map((run) => (running.has(run.id) && run.status === 'pending' ? { ...run, status: 'running' } : run));
  }

  private setStatus(runId: string, status: RunStatus): void {
    const index = this.runs.findIndex((run) => run.id === runId);
    if (index >= 0) this.runs[index] = { ...this.runs[index]!, status };
  }

  private dropLive(runId: string): void {
    this.live = this.live.filter((run) => run.runId !== runId);
  }

  /** Applies one progress event to the grid, the live curves and the counters. */
  apply(event: StudyProgressEvent): void {
    switch (event.type) {
      case 'study-started':
        this.workers = event.workers;
        this.lastFinished = null;
        this.state = 'running';
        this.refreshRuns();
        return;
      case 'worker-ready':
        this.backend = event.backend;
        return;
      case 'run-started':
        this.setStatus(event.runId, 'running');
        this.live = [
          ...this.live.filter((run) => run.runId !== event.runId),
          { runId: event.runId, condition: event.condition, trainSize: event.trainSize, seed: event.seed, workerId: event.workerId, phase: null, maxEpochs: null, curve: [] },
        ];
        if (this.followLatest) this.selectedRunId = event.runId;
        return;
      case 'run-phase': {
        const run = this.live.find((item) => item.runId === event.runId);
        if (run !== undefined) run.phase = event.phase;
        return;
      }
      case 'epoch': {
        let run = this.live.find((item) => item.runId === event.runId);
        if (run === undefined) {
          this.live.push({ runId: event.runId, condition: event.condition, trainSize: event.trainSize, seed: event.seed, workerId: null, phase: null, maxEpochs: event.maxEpochs, curve: [] });
          run = this.live[this.live.length - 1]!;
          this.setStatus(event.runId, 'running');
        }
        run.maxEpochs = event.maxEpochs;
        run.curve.push(event.record);
        return;
      }
      case 'run-finished':
        this.setStatus(event.runId, event.status);
        this.dropLive(event.runId);
        this.refreshRuns();
        // A run the user picked keeps its place on screen, now with its stored results.
        if (!this.followLatest && this.selectedRunId === event.runId) void this.selectRun(event.runId);
        return;
      case 'run-failed':
        this.setStatus(event.runId, event.willRetry ? 'pending' : 'failed');
        this.dropLive(event.runId);
        this.failures = [
          ...this.failures.filter((failure) => failure.runId !== event.runId),
          { runId: event.runId, condition: event.condition, trainSize: event.trainSize, seed: event.seed, error: event.error, willRetry: event.willRetry },
        ];
        this.refreshRuns();
        return;
      case 'study-finished':
        this.lastFinished = { finished: event.finished, failed: event.failed, total: event.total, cancelled: event.cancelled };
        this.live = [];
        this.refreshRuns();
        return;
      case 'state':
        this.state = event.state;
        if (event.state === 'idle') {
          this.live = [];
          this.refreshRuns();
        }
        return;
    }
  }

  /** Shows one run: its live curves while it trains, else its stored detail (run-get). */
  async selectRun(runId: string): Promise<void> {
    this.selectedRunId = runId;
    this.followLatest = false;
    this.detailError = null;
    const version = ++this.detailVersion;
    if (this.live.some((run) => run.runId === runId)) {
      this.detail = null;
      return;
    }
    this.detailLoading = true;
    try {
      const detail = await this.api.call('run-get', { runId });
      if (version === this.detailVersion) this.detail = detail;
    } catch (reason) {
      if (version === this.detailVersion) {
        this.detail = null;
        this.detailError = toApiCallError(reason);
      }
    } finally {
      if (version === this.detailVersion) this.detailLoading = false;
    }
  }

  /** Goes back to showing the latest started run as it trains. */
  followLatestRun(): void {
    this.detailVersion++;
    this.followLatest = true;
    this.selectedRunId = this.live[this.live.length - 1]?.runId ?? null;
    this.detail = null;
    this.detailError = null;
    this.detailLoading = false;
  }

  async control(action: ControlAction): Promise<void> {
    this.controlBusy = action;
    this.controlError = null;
    try {
      const request = { studyId: this.studyId };
      if (action === 'start') {
        this.failures = [];
        await this.api.call('study-start', request);
      } else if (action === 'pause') await this.api.call('study-pause', request);
      else if (action === 'resume') await this.api.call('study-resume', request);
      else await this.api.call('study-cancel', request);
    } catch (reason) {
      this.controlError = toApiCallError(reason);
    } finally {
      this.controlBusy = null;
    }
  }
}
