/**
 * The progress display of `fragility-lab run`: on a terminal, one status line redrawn in place
 * (runs done of total, the current run's epoch and training accuracy, elapsed time, an estimate of
 * the time left); elsewhere (a log file, CI), one line per finished run.
 */
import type { StudyEvent } from '../studies/runner.js';
import type { LogRecord } from '../util/log.js';

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

interface CurrentRun {
  label: string;
  epoch: number;
  maxEpochs: number;
  trainAccuracy: number | null;
  phase: string;
}

export class ProgressDisplay {
  private total = 0;
  private finished = 0;
  private failed = 0;
  private workers = 1;
  private readonly startedMs = performance.now();
  private readonly current = new Map<string, CurrentRun>();
  /** Sum of training-set sizes still to run, and seconds per example of size observed so far. */
  private remainingSize = 0;
  private readonly sizes = new Map<string, number>();
  private measuredMs = 0;
  private measuredSize = 0;
  private lineShown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  private get interactive(): boolean {
    return this.stream.isTTY === true;
  }

  handle(event: StudyEvent): void {
    switch (event.type) {
      case 'study-started':
        this.total = event.total;
        this.finished = event.finished;
        this.workers = event.workers;
        this.remainingSize = event.toRunSizes.reduce((sum, size) => sum + size, 0);
        this.print(`study ${event.studyId}: ${event.total} runs, ${event.finished} already stored, ${event.toRun} to train with ${event.workers} worker(s)`);
        break;
      case 'worker-ready':
        this.print(`worker ${event.workerId}: backend ${event.backend.name} on ${event.backend.device}${event.backend.fallbackReasons.length > 0 ? ` (${event.backend.fallbackReasons.join('; ')})` : ''}`);
        break;
      case 'run-started':
        this.sizes.set(event.runId, event.trainSize);
        this.current.set(event.runId, { label: `${event.condition} m=${event.trainSize} seed ${event.seed}`, epoch: 0, maxEpochs: 0, trainAccuracy: null, phase: 'preparing' });
        break;
      case 'run-phase': {
        const run = this.current.get(event.runId);
        if (run !== undefined) run.phase = event.phase;
        break;
      }
      case 'epoch': {
        const run = this.current.get(event.runId);
        if (run !== undefined) {
          run.epoch = event.record.epoch;
          run.maxEpochs = event.maxEpochs;
          run.trainAccuracy = event.record.trainAccuracy;
        }
        break;
      }
      case 'run-finished': {
        this.finished++;
        const label = this.label(event.runId);
        this.account(event.runId, event.durationMs);
        this.print(`[${this.finished + this.failed}/${this.total}] ${label}: ${event.status.replace(/_/g, ' ')} in ${formatDuration(event.durationMs)}${this.timing()}`);
        break;
      }
      case 'run-failed':
        if (!event.willRetry) this.failed++;
        this.account(event.runId, 0);
        this.print(`[${this.finished + this.failed}/${this.total}] ${event.condition} m=${event.trainSize} seed ${event.seed}: ${event.willRetry ? 'interrupted, will retry' : 'failed'}: ${event.error.message}`);
        break;
      case 'study-finished':
        this.clearLine();
        this.stream.write(
          `study ${event.studyId}: ${event.finished} of ${event.total} runs stored${event.failed > 0 ? `, ${event.failed} failed` : ''}${event.cancelled ? ' (cancelled)' : ''}, ${formatDuration(performance.now() - this.startedMs)} elapsed\n`,
        );
        return;
    }
    this.redraw();
  }

  /** Prints a log record without breaking the status line. */
  log(record: LogRecord): void {
    this.print(`${record.level === 'info' ? '' : `${record.level}: `}[${record.scope}] ${record.message}`);
    this.redraw();
  }

  private timing(): string {
    const left = this.estimateLeftMs();
    return ` (elapsed ${formatDuration(performance.now() - this.startedMs)}${left === undefined ? '' : `, left ~${formatDuration(left)}`})`;
  }

  private label(runId: string): string {
    return this.current.get(runId)?.label ?? runId.slice(0, 12);
  }

  private account(runId: string, durationMs: number): void {
    const size = this.sizes.get(runId) ?? 0;
    this.remainingSize = Math.max(0, this.remainingSize - size);
    if (durationMs > 0) {
      this.measuredMs += durationMs;
      this.measuredSize += size;
    }
    this.current.delete(runId);
  }

  /** Time left, assuming run time proportional to the training-set size; undefined before any run finished. */
  private estimateLeftMs(): number | undefined {
    if (this.measuredSize === 0) return undefined;
    return ((this.measuredMs / this.measuredSize) * this.remainingSize) / this.workers;
  }

  private statusLine(): string {
    const done = this.finished + this.failed;
    const percent = this.total === 0 ? 100 : Math.floor((100 * done) / this.total);
    const runs = [...this.current.values()]
      .map((run) => {
        if (run.phase !== 'training') return `${run.label}: ${run.phase}`;
        const accuracy = run.trainAccuracy === null ? '' : `, train acc ${(100 * run.trainAccuracy).toFixed(1)}%`;
        return `${run.label}: epoch ${run.epoch}/${run.maxEpochs}${accuracy}`;
      })
      .join(' | ');
    const left = this.estimateLeftMs();
    return `[${done}/${this.total}] ${percent}% | ${runs || 'starting'} | elapsed ${formatDuration(performance.now() - this.startedMs)}${left === undefined ? '' : ` | left ~${formatDuration(left)}`}`;
  }

  private clearLine(): void {
    if (this.interactive && this.lineShown) {
      this.stream.write('\r\u001b[K');
      this.lineShown = false;
    }
  }

  private print(line: string): void {
    this.clearLine();
    this.stream.write(`${line}\n`);
  }

  private redraw(): void {
    if (!this.interactive) return;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r\u001b[K${this.statusLine().slice(0, columns - 1)}`);
    this.lineShown = true;
  }
}
