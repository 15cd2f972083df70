/**
 * The app's "Audit a network" call: measures of a saved network computed in a lab worker process,
 * never in the host, so that a long sigma search does not block the server or the window.
 */
import { randomUUID } from 'node:crypto';
import { forkWorker, type WorkerLauncher } from '../studies/launcher.js';
import type { BackendInfo, BackendRequest } from '../tf/backend.js';
import { fromErrorData, LabError } from '../util/errors.js';
import { writeLogRecord } from '../util/log.js';
import type { AuditRequest, AuditResult, MeasureCell } from './types.js';
import { postTrainingMeasureIds } from '../measures/registry.js';

/** Starts a worker, computes one audit in it and stops it. */
export function auditInWorker(request: AuditRequest, options: { backend: BackendRequest; launcher?: WorkerLauncher }): Promise<AuditResult> {
  const worker = (options.launcher ?? forkWorker)();
  const requestId = randomUUID();
  let backend: BackendInfo | undefined;
  return new Promise<AuditResult>((resolve, reject) => {
    worker.onMessage((message) => {
      switch (message.type) {
        case 'ready':
          backend = message.backend;
          worker.send({
            type: 'audit',
            requestId,
            input: {
              modelDir: request.modelDir,
              ...(request.initDir === undefined ? {} : { initDir: request.initDir }),
              xPath: request.xPath,
              yPath: request.yPath,
              ...(request.task === undefined ? {} : { task: request.task }),
              ids: request.measures ?? postTrainingMeasureIds.filter((id) => id !== 'epochs_to_fit'),
              options: { noise: request.noise ?? 'stated', seed: 0 },
            },
          });
          return;
        case 'init-failed':
          reject(fromErrorData(message.error));
          return;
        case 'log':
          writeLogRecord(message.record);
          return;
        case 'audit-done': {
          const measures: Record<string, MeasureCell> = {};
          for (const [id, value] of Object.entries(message.report.values)) {
            measures[id] = 'missing' in value ? { raw: null, adjusted: null, missingReason: value.missing } : { raw: value.raw, adjusted: value.adjusted, missingReason: null };
          }
          resolve({ m: message.report.m, trainAccuracy: message.report.trainAccuracy, margin: message.report.margin, measures, backend: backend! });
          return;
        }
        case 'audit-failed':
          reject(fromErrorData(message.error));
          return;
      }
    });
    worker.onExit((code, signal) => reject(new LabError('internal', `The lab worker exited during the audit (${signal ?? `exit code ${code}`})`)));
    worker.send({ type: 'init', dbPath: ':memory:', backend: options.backend });
  }).finally(() => worker.send({ type: 'shutdown' }));
}
