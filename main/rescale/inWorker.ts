/**
 * The app's 'run-rescale' call: the audit runs in a lab worker process, never in the host, so that
 * loading a network and computing its measures does not block the server or the window.
 */
import { randomUUID } from 'node:crypto';
import type { RescaleRequest, RescaleResult } from '../api/types.js';
import { forkWorker, type WorkerLauncher } from '../studies/launcher.js';
import type { BackendInfo, BackendRequest } from '../tf/backend.js';
import { fromErrorData, LabError } from '../util/errors.js';
import { writeLogRecord } from '../util/log.js';

/** Starts a worker, runs one audit of a run stored in `dbPath` and stops the worker. */
export function rescaleInWorker(dbPath: string, request: RescaleRequest, options: { backend: BackendRequest; launcher?: WorkerLauncher }): Promise<RescaleResult> {
  const worker = (options.launcher ?? forkWorker)();
  const requestId = randomUUID();
  let backend: BackendInfo | undefined;
  return new Promise<RescaleResult>((resolve, reject) => {
    worker.onMessage((message) => {
      switch (message.type) {
        case 'ready':
          backend = message.backend;
          worker.send({
            type: 'rescale',
            requestId,
            input: {
              dbPath,
              runId: request.runId,
              factor: request.factor,
              ...(request.measures === undefined ? {} : { measureIds: request.measures }),
              ...(request.tolerance === undefined ? {} : { tolerance: request.tolerance }),
            },
          });
          return;
        case 'init-failed':
          reject(fromErrorData(message.error));
          return;
        case 'log':
          writeLogRecord(message.record);
          return;
        case 'rescale-done':
          resolve({ ...message.report, backend: backend! });
          return;
        case 'rescale-failed':
          reject(fromErrorData(message.error));
          return;
        default:
          return;
      }
    });
    worker.onExit((code, signal) => reject(new LabError('internal', `The lab worker exited during the rescale audit (${signal ?? `exit code ${code}`})`)));
    // The worker's own store is not used: the audit opens dbPath read-only.
    worker.send({ type: 'init', dbPath: ':memory:', backend: options.backend });
  }).finally(() => worker.send({ type: 'shutdown' }));
}
