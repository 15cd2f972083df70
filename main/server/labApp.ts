/**
 * Assembles a lab host with every handler, the part the lab server and Electron main share.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditInWorker } from '../api/audit.js';
import { createHandlers, type Handlers } from '../api/handlers.js';
import { LabHost, type LabHostOptions } from '../api/host.js';

export function createLabApp(options: LabHostOptions): { host: LabHost; handlers: Handlers } {
  const host = new LabHost(options);
  const handlers = createHandlers({
    auditNetwork: (labHost, request) => auditInWorker(request, { backend: labHost.getSettings().backend, ...(options.launcher === undefined ? {} : { launcher: options.launcher }) }),
  });
  return { host, handlers };
}

/** The renderer build: dist/renderer beside the compiled engine, found from sources and build alike. */
export function rendererBuildDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', '..', 'renderer'), resolve(here, '..', '..', 'dist', 'renderer'), resolve(here, '..', '..', '..', 'dist', 'renderer')];
  return candidates.find((folder) => existsSync(join(folder, 'index.html'))) ?? candidates[candidates.length - 1]!;
}
