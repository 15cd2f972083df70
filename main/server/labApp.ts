/**
 * Assembles a lab host with every handler, the part the lab server and Electron main share.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditInWorker } from '../api/audit.js';
import { createHandlers, type Handlers } from '../api/handlers.js';
import { LabHost, type LabHostOptions } from '../api/host.js';
import type { ReportFormat } from '../api/types.js';
import { renderReport, reportExtensions } from '../reports/index.js';

const reportContentTypes: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  latex: 'application/x-tex',
};

export function createLabApp(options: LabHostOptions): { host: LabHost; handlers: Handlers } {
  const host = new LabHost(options);
  const handlers = createHandlers({
    exportReport: async (labHost, { studyId, format }) => {
      const report = labHost.studyReport(studyId);
      const content = await renderReport(report, format);
      const fileName = `${studyId}-report.${reportExtensions[format]}`;
      return typeof content === 'string'
        ? { fileName, contentType: reportContentTypes[format], encoding: 'utf8' as const, content }
        : { fileName, contentType: reportContentTypes[format], encoding: 'base64' as const, content: Buffer.from(content).toString('base64') };
    },
    auditNetwork: (labHost, request) => auditInWorker(request, { backend: labHost.getSettings().backend, ...(options.launcher === undefined ? {} : { launcher: options.launcher }) }),
  });
  return { host, handlers };
}

/** The renderer build, dist/renderer, found from the sources and from the compiled engine alike. */
export function rendererBuildDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // This file is main/server/ in the sources and dist/main/server/ once compiled; renderer/ at the
  // top of the sources holds the renderer's sources, not its build, so it is never a candidate.
  const candidates = [resolve(here, '..', '..', 'dist', 'renderer'), resolve(here, '..', '..', '..', 'dist', 'renderer')];
  return candidates.find((folder) => existsSync(join(folder, 'index.html'))) ?? candidates[candidates.length - 1]!;
}
