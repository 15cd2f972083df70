/**
 * Messages between a host (CLI, lab server, Electron main) and a lab worker process. They are
 * plain data so that they cross `child_process` IPC and Electron's `utilityProcess` alike.
 */
import type { AuditInput } from '../measures/audit.js';
import type { RescaleInput, RescaleReport } from '../rescale/audit.js';
import type { MeasureReport, Task } from '../measures/types.js';
import type { BackendInfo, BackendRequest } from '../tf/backend.js';
import type { EpochRecord } from '../training/train.js';
import type { LabErrorData } from '../util/errors.js';
import type { LogRecord } from '../util/log.js';
import type { RunAssignment, RunPhase } from './execute.js';

export type HostMessage =
  | { type: 'init'; dbPath: string; backend: BackendRequest }
  | { type: 'run'; assignment: RunAssignment }
  | { type: 'audit'; requestId: string; input: AuditInput }
  | { type: 'rescale'; requestId: string; input: RescaleInput }
  | { type: 'cancel' }
  | { type: 'shutdown' };

export type WorkerMessage =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'init-failed'; error: LabErrorData }
  | { type: 'phase'; runId: string; phase: RunPhase }
  | { type: 'epoch'; runId: string; record: EpochRecord }
  | { type: 'run-done'; runId: string; status: 'fit' | 'did_not_fit' | 'diverged' }
  | { type: 'run-failed'; runId: string; error: LabErrorData }
  | { type: 'audit-done'; requestId: string; task: Task; report: MeasureReport }
  | { type: 'audit-failed'; requestId: string; error: LabErrorData }
  | { type: 'rescale-done'; requestId: string; report: RescaleReport }
  | { type: 'rescale-failed'; requestId: string; error: LabErrorData }
  | { type: 'log'; record: LogRecord };
