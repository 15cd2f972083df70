/**
 * Validation of every API request payload, at the boundary where it arrives (IPC or HTTP), with
 * the same messages as the study spec: the field, the value and what is allowed. The study spec
 * inside a request is validated later by the spec schema itself.
 */
import { z } from 'zod';
import { describeIssues } from '../studies/spec.js';
import { LabError } from '../util/errors.js';
import type { LabApiMethod, LabApiRequest } from './types.js';

const id = z.string().min(1).max(200);
const empty = z.object({}).strict();
const studyRef = z.object({ studyId: id }).strict();
const path = z.string().min(1).max(4096);

export const requestSchemas: { [M in LabApiMethod]: z.ZodType<LabApiRequest<M>> } = {
  'studies-list': empty,
  'study-get': studyRef,
  'study-check': z.object({ spec: z.unknown() }).strict() as z.ZodType<{ spec: unknown }>,
  'study-create': z.object({ spec: z.unknown(), replace: z.boolean().optional() }).strict() as z.ZodType<{ spec: unknown; replace?: boolean }>,
  'study-duplicate': z.object({ studyId: id, name: z.string().min(1).max(100) }).strict(),
  'study-delete': studyRef,
  'study-start': z.object({ studyId: id, workers: z.number().int().min(1).max(256).optional() }).strict(),
  'study-pause': studyRef,
  'study-resume': studyRef,
  'study-cancel': studyRef,
  'study-runs': studyRef,
  'study-results': studyRef,
  'studies-compare': z.object({ studyIds: z.array(id).min(2).max(10) }).strict(),
  'run-get': z.object({ runId: z.string().regex(/^[0-9a-f]{64}$/, 'it must be a run id (64 hexadecimal digits)') }).strict(),
  'report-export': z.object({ studyId: id, format: z.enum(['html', 'pdf', 'csv', 'json', 'latex']) }).strict(),
  'templates-list': empty,
  'measures-list': empty,
  'datasets-list': empty,
  'settings-get': empty,
  'settings-update': z
    .object({
      dataFolders: z.array(path).max(50).optional(),
      backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).optional(),
      workers: z.number().int().min(1).max(256).optional(),
    })
    .strict(),
  'network-audit': z
    .object({
      modelDir: path,
      initDir: path.optional(),
      xPath: path,
      yPath: path,
      task: z.enum(['binary', 'multiclass']).optional(),
      measures: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
      noise: z.enum(['stated', 'reference']).optional(),
    })
    .strict(),
  'run-rescale': z
    .object({
      runId: z.string().regex(/^[0-9a-f]{8,64}$/, 'it must be a run id or its first 8 or more hexadecimal digits'),
      factor: z.number().positive().max(1e6),
      measures: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
      tolerance: z.number().min(0).max(1).optional(),
    })
    .strict(),
};

export function isApiMethod(method: string): method is LabApiMethod {
  return Object.prototype.hasOwnProperty.call(requestSchemas, method);
}

/** Validates a request; raises an `invalid-input` LabError naming each bad field. */
export function validateRequest<M extends LabApiMethod>(method: M, payload: unknown): LabApiRequest<M> {
  const result = requestSchemas[method].safeParse(payload ?? {});
  if (!result.success) {
    const problems = describeIssues(result.error.issues, payload, 'request');
    throw new LabError('invalid-input', `Invalid ${method} request:\n  - ${problems.join('\n  - ')}`, { field: problems.length > 0 ? String(result.error.issues[0]?.path.join('.')) : '' });
  }
  return result.data;
}
