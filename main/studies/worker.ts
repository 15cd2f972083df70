/**
 * Entry point of a lab worker process. It loads TensorFlow.js, then trains and measures the runs
 * its host assigns, one at a time, writing each finished run to SQLite itself. It runs under
 * `child_process.fork` (CLI, lab server) or as an Electron `utilityProcess`.
 */
import { Store } from '../../db/store.js';
import { initBackend, type BackendInfo } from '../tf/backend.js';
import { LabError, toErrorData } from '../util/errors.js';
import { createLogger, setLogSink } from '../util/log.js';
import { auditSavedNetwork } from '../measures/audit.js';
import { rescaleStoredRun } from '../rescale/audit.js';
import { executeRun } from './execute.js';
import type { HostMessage, WorkerMessage } from './messages.js';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** Electron's utilityProcess exposes `process.parentPort`; child_process.fork uses process.send. */
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: WorkerMessage): void {
  if (parentPort !== undefined) parentPort.postMessage(message);
  else process.send?.(message);
}

function onMessage(listener: (message: HostMessage) => void): void {
  if (parentPort !== undefined) parentPort.on('message', (event) => listener(event.data as HostMessage));
  else process.on('message', (message) => listener(message as HostMessage));
}

setLogSink((record) => send({ type: 'log', record }));
const log = createLogger('worker');

let store: Store | undefined;
let backend: BackendInfo | undefined;
let cancelled = false;
let busy = false;

/** Errors from the backend that mean the device ran out of memory. */
function isOutOfMemory(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /out of memory|OOM|Cannot allocate|allocation failed|Aborted\(OOM\)/i.test(text);
}

async function handle(message: HostMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      try {
        backend = await initBackend(message.backend);
        store = Store.open(message.dbPath);
        send({ type: 'ready', backend });
      } catch (error) {
        send({ type: 'init-failed', error: toErrorData(error) });
      }
      return;
    case 'run': {
      const { assignment } = message;
      if (store === undefined || backend === undefined) {
        send({ type: 'run-failed', runId: assignment.runId, error: { kind: 'internal', message: 'the worker received a run before it was initialised' } });
        return;
      }
      busy = true;
      cancelled = false;
      try {
        const status = await executeRun(store, backend, assignment, {
          onPhase: (phase) => send({ type: 'phase', runId: assignment.runId, phase }),
          onEpoch: async (record) => {
            send({ type: 'epoch', runId: assignment.runId, record });
            // Let the host's messages (a cancel) in between epochs.
            await new Promise((resolve) => setImmediate(resolve));
          },
          isCancelled: () => cancelled,
        });
        send({ type: 'run-done', runId: assignment.runId, status });
      } catch (error) {
        const data = isOutOfMemory(error)
          ? { kind: 'resource' as const, message: `the ${backend.name} backend ran out of memory: ${(error as Error).message}` }
          : toErrorData(error);
        if (!(error instanceof LabError)) log.error(`run ${assignment.runId.slice(0, 12)} failed: ${(error as Error).stack ?? String(error)}`);
        send({ type: 'run-failed', runId: assignment.runId, error: data });
      } finally {
        busy = false;
      }
      return;
    }
    case 'audit':
      try {
        if (backend === undefined) throw new LabError('internal', 'the worker received an audit before it was initialised');
        const { report, task } = await auditSavedNetwork(message.input);
        send({ type: 'audit-done', requestId: message.requestId, task, report });
      } catch (error) {
        if (!(error instanceof LabError)) log.error(`audit ${message.requestId} failed: ${(error as Error).stack ?? String(error)}`);
        send({ type: 'audit-failed', requestId: message.requestId, error: toErrorData(error) });
      }
      return;
    case 'rescale':
      try {
        if (backend === undefined) throw new LabError('internal', 'the worker received a rescale request before it was initialised');
        send({ type: 'rescale-done', requestId: message.requestId, report: await rescaleStoredRun(message.input) });
      } catch (error) {
        if (!(error instanceof LabError)) log.error(`rescale ${message.requestId} failed: ${(error as Error).stack ?? String(error)}`);
        send({ type: 'rescale-failed', requestId: message.requestId, error: toErrorData(error) });
      }
      return;
    case 'cancel':
      cancelled = true;
      return;
    case 'shutdown':
      store?.close();
      process.exit(0);
  }
}

onMessage((message) => {
  void handle(message);
});

// A worker whose host is gone has nobody to report to: stop instead of training on.
process.on('disconnect', () => {
  if (busy) log.warn('host disconnected during a run; stopping');
  process.exit(0);
});
