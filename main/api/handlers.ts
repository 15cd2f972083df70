/**
 * The handlers of every API call, one short function each, over a LabHost. The lab server and the
 * Electron bridge both dispatch through `handleApiCall`, which validates the payload first and
 * turns every failure into plain error data.
 */
import { createLogger } from '../util/log.js';
import { LabError, toErrorData } from '../util/errors.js';
import type { LabHost } from './host.js';
import { isApiMethod, validateRequest } from './schemas.js';
import type { ApiResult, LabApiMethod, LabApiRequest, LabApiResponse } from './types.js';

const log = createLogger('api');

type Handler<M extends LabApiMethod> = (host: LabHost, request: LabApiRequest<M>) => Promise<LabApiResponse<M>> | LabApiResponse<M>;

/** Extra handlers a host process supplies (report export and network audit need more than the host). */
export interface HandlerExtensions {
  exportReport?: Handler<'report-export'>;
  auditNetwork?: Handler<'network-audit'>;
}

function unavailable(method: string): never {
  throw new LabError('unsupported', `${method} is not available in this host`);
}

export function createHandlers(extensions: HandlerExtensions = {}): { [M in LabApiMethod]: Handler<M> } {
  return {
    'studies-list': (host) => host.listStudies(),
    'study-get': (host, { studyId }) => host.getStudy(studyId),
    'study-check': (host, { spec }) => host.checkSpec(spec),
    'study-create': (host, { spec, replace }) => host.createStudy(spec, { replace: replace ?? false }),
    'study-duplicate': (host, { studyId, name }) => host.duplicateStudy(studyId, name),
    'study-delete': (host, { studyId }) => {
      host.deleteStudy(studyId);
      return {};
    },
    'study-start': (host, { studyId, workers }) => {
      host.startStudy(studyId, workers);
      return {};
    },
    'study-pause': (host, { studyId }) => {
      host.pauseStudy(studyId);
      return {};
    },
    'study-resume': (host, { studyId }) => {
      host.resumeStudy(studyId);
      return {};
    },
    'study-cancel': (host, { studyId }) => {
      host.cancelStudy(studyId);
      return {};
    },
    'study-runs': (host, { studyId }) => host.studyRuns(studyId),
    'study-results': (host, { studyId }) => host.studyResults(studyId),
    'studies-compare': (host, { studyIds }) => host.compare(studyIds),
    'run-get': (host, { runId }) => host.getRun(runId),
    'report-export': (host, request) => (extensions.exportReport ?? (() => unavailable('report-export')))(host, request),
    'templates-list': (host) => host.templates(),
    'measures-list': (host) => host.measures(),
    'datasets-list': (host) => host.datasets(),
    'settings-get': (host) => host.getSettings(),
    'settings-update': (host, changes) => host.updateSettings(changes),
    'network-audit': (host, request) => (extensions.auditNetwork ?? (() => unavailable('network-audit')))(host, request),
    'run-rescale': (host, request) => host.rescaleRun(request),
  };
}

export type Handlers = ReturnType<typeof createHandlers>;

/** Validates and runs one call; never throws, so that a bad payload cannot take the host down. */
export async function handleApiCall(host: LabHost, handlers: Handlers, method: string, payload: unknown): Promise<ApiResult<unknown>> {
  try {
    if (!isApiMethod(method)) throw new LabError('not-found', `Unknown API method "${method}"`);
    const request = validateRequest(method, payload);
    const handler = handlers[method] as Handler<typeof method>;
    return { ok: true, value: await handler(host, request as never) };
  } catch (error) {
    const data = toErrorData(error);
    if (data.kind === 'internal') log.error(`${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { ok: false, error: data };
  }
}
