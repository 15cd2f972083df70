/**
 * The app:// scheme that serves the renderer build to the window.
 *
 * The window loads app://lab/index.html rather than a file:// URL. On a standard, secure custom
 * scheme the page has a real origin, so the CSP's 'self' means the app's own files and nothing
 * else. Relative asset paths of the Vite build resolve as on a web server, and the page cannot
 * read arbitrary files the way a file:// page can. This handler serves only files inside the
 * renderer folder. It sets the Content-Security-Policy on every response itself, because the
 * session's header hooks do not run for custom schemes in every Electron version.
 */
import { readFile as readFileFromDisk } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { appHost, appScheme, contentSecurityPolicy } from './policy.js';

/** Privileges of the app scheme, registered before the app is ready. */
export const appSchemePrivileges = {
  scheme: appScheme,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
} as const;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Shown in place of the app when the renderer has not been built yet. */
export const rendererMissingPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fragility Lab</title>
<style>body { font: 15px/1.5 system-ui, sans-serif; margin: 3rem; color: #222; } code { background: #eee; padding: 0 0.3em; }</style>
</head><body>
<h1>The renderer is not built</h1>
<p>Run <code>npm run build</code> in the Fragility Lab folder, then start the app again.</p>
</body></html>
`;

export type AppFileTarget = { kind: 'file'; path: string } | { kind: 'invalid'; reason: string };

/**
 * Maps an app:// URL to a file inside the renderer folder. `/` is index.html; a path that leaves
 * the folder (`..`, encoded slashes), a NUL byte, another host or another scheme is invalid.
 */
export function resolveAppFile(requestUrl: string, rootDir: string): AppFileTarget {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { kind: 'invalid', reason: `"${requestUrl}" is not a URL` };
  }
  if (url.protocol !== `${appScheme}:` || url.host !== appHost) return { kind: 'invalid', reason: `${url.protocol}//${url.host} is not the app's origin` };

  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'invalid', reason: `the path ${url.pathname} is not valid percent-encoding` };
  }
  if (relative.includes('\0')) return { kind: 'invalid', reason: 'the path contains a NUL byte' };
  if (relative === '/' || relative === '') relative = '/index.html';

  const root = resolve(rootDir);
  const path = normalize(join(root, relative));
  if (!path.startsWith(root + sep)) return { kind: 'invalid', reason: `the path ${relative} leaves the renderer folder` };
  return { kind: 'file', path };
}

function respond(status: number, body: string | Uint8Array, contentType: string): Response {
  return new Response(body, {
    status,
    headers: {
      'Content-Type': contentType,
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    },
  });
}

function isMissingFile(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}

export interface AppProtocolOptions {
  /** Folder of the renderer build (index.html and assets/). */
  rootDir: string;
  readFile?: (path: string) => Promise<Uint8Array>;
  /** Called for every request that was refused or failed, with the reason. */
  onRejected?: (url: string, reason: string) => void;
}

/**
 * Creates the handler for `protocol.handle('app', ...)`. A missing file with an extension is 404;
 * a missing extensionless path is the app itself (index.html), so that a page reload on a route
 * of the renderer still loads the app.
 */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const readFile = options.readFile ?? readFileFromDisk;
  const indexPath = join(resolve(options.rootDir), 'index.html');

  const serveIndex = async (): Promise<Response> => {
    try {
      return respond(200, await readFile(indexPath), contentTypes['.html']!);
    } catch (error) {
      if (!isMissingFile(error)) throw error;
      return respond(200, rendererMissingPage, contentTypes['.html']!);
    }
  };

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      options.onRejected?.(request.url, `method ${request.method} is not allowed`);
      return respond(405, `Method ${request.method} is not allowed; the app serves files with GET`, contentTypes['.txt']!);
    }
    const target = resolveAppFile(request.url, options.rootDir);
    if (target.kind === 'invalid') {
      options.onRejected?.(request.url, target.reason);
      return respond(404, `Not found: ${target.reason}`, contentTypes['.txt']!);
    }
    if (target.path === indexPath) return serveIndex();

    const extension = extname(target.path).toLowerCase();
    try {
      return respond(200, await readFile(target.path), contentTypes[extension] ?? 'application/octet-stream');
    } catch (error) {
      if (!isMissingFile(error)) {
        options.onRejected?.(request.url, `reading ${target.path} failed: ${(error as Error).message}`);
        return respond(500, `Reading ${request.url} failed`, contentTypes['.txt']!);
      }
      if (extension === '') return serveIndex();
      options.onRejected?.(request.url, `${target.path} does not exist`);
      return respond(404, `Not found: ${new URL(request.url).pathname}`, contentTypes['.txt']!);
    }
  };
}
