/**
 * The lab server: the renderer build and the API over HTTP, for headless workstations reached
 * through an SSH tunnel. Security policy, enforced on every request:
 *
 * - it binds to 127.0.0.1 unless the user names another address;
 * - a random token, printed in the URL, is required on every request (as the `token` query
 *   parameter of the first page load, which sets a SameSite=Strict cookie, or as the
 *   X-Lab-Token header), compared in constant time;
 * - the Host header must name the server itself (against DNS rebinding), and a request with an
 *   Origin header must come from the server's own origin;
 * - API bodies are limited to 1 MiB; unknown methods and paths get 404, other HTTP verbs 405.
 *
 * API calls are `POST /api/<method>` with the JSON request as the body, answered with an
 * ApiResult; progress events are pushed as server-sent events on `GET /api/events`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { handleApiCall, type Handlers } from '../api/handlers.js';
import type { LabHost } from '../api/host.js';
import { isApiMethod } from '../api/schemas.js';
import type { LabApiEventName } from '../api/types.js';
import { createLogger } from '../util/log.js';

const log = createLogger('server');

export const maxBodyBytes = 1024 * 1024;
const tokenCookie = 'fragility_lab_token';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** The Content-Security-Policy of every page: only the server's own scripts, styles and API. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface LabServerOptions {
  host: LabHost;
  handlers: Handlers;
  /** Folder of the renderer build (index.html and assets). */
  staticDir: string;
  port?: number;
  /** Address to bind; 127.0.0.1 unless the user asks otherwise. */
  bindAddress?: string;
  /** Fixed token (tests); random when absent. */
  token?: string;
}

export interface RunningLabServer {
  url: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares in constant time, whatever the lengths, by comparing digests. */
export function tokensMatch(expected: string, received: string | undefined): boolean {
  if (received === undefined) return false;
  return timingSafeEqual(digest(expected), digest(received));
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function send(response: ServerResponse, status: number, body: string, contentType = 'application/json; charset=utf-8', headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': contentSecurityPolicy,
    ...headers,
  });
  response.end(body);
}

function reject(response: ServerResponse, status: number, message: string): void {
  send(response, status, JSON.stringify({ ok: false, error: { kind: 'invalid-input', message } }));
}

/** Reads a request body up to `limit` bytes; resolves undefined when the body is larger. */
function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolveBody, rejectBody) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      resolveBody(undefined);
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolveBody(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', rejectBody);
  });
}

/** Starts the lab server; resolves once it listens. */
export async function startLabServer(options: LabServerOptions): Promise<RunningLabServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  const staticRoot = resolve(options.staticDir);
  const eventStreams = new Set<ServerResponse>();
  let port = options.port ?? 0;

  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${bindAddress}:${port}`]);
  const ownOrigins = (): Set<string> => new Set([...allowedHosts()].map((host) => `http://${host}`));

  const pushEvent = (name: LabApiEventName) => (payload: unknown) => {
    const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const stream of eventStreams) stream.write(frame);
  };
  const unsubscribe = [options.host.on('study-progress', pushEvent('study-progress')), options.host.on('studies-changed', pushEvent('studies-changed'))];

  const serveStatic = (pathname: string, response: ServerResponse, setCookie: boolean): void => {
    const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const filePath = normalize(join(staticRoot, relative));
    if (!filePath.startsWith(staticRoot + sep) && filePath !== staticRoot) return reject(response, 404, `No such page: ${pathname}`);
    const target = existsSync(filePath) && statSync(filePath).isFile() ? filePath : join(staticRoot, 'index.html');
    if (!existsSync(target)) {
      return send(response, 500, 'The renderer is not built: run "npm run build" in the Fragility Lab folder.', 'text/plain; charset=utf-8');
    }
    const body = readFileSync(target);
    response.writeHead(200, {
      'Content-Type': contentTypes[extname(target)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': contentSecurityPolicy,
      ...(setCookie ? { 'Set-Cookie': `${tokenCookie}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` } : {}),
    });
    response.end(body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://placeholder');

    if (!allowedHosts().has(request.headers.host ?? '')) return reject(response, 421, `Refused: the Host header "${request.headers.host ?? ''}" does not name this server`);
    const origin = request.headers.origin;
    if (origin !== undefined && !ownOrigins().has(origin)) return reject(response, 403, `Refused: requests from origin ${origin} are not allowed`);

    const queryToken = url.searchParams.get('token') ?? undefined;
    const presented = (request.headers['x-lab-token'] as string | undefined) ?? queryToken ?? cookieValue(request, tokenCookie);
    if (!tokensMatch(token, presented)) return reject(response, 401, 'Refused: the lab token is missing or wrong; open the URL that "fragility-lab serve" printed');

    if (url.pathname === '/api/events') {
      if (request.method !== 'GET') return reject(response, 405, `Method ${request.method} is not allowed on /api/events; use GET`);
      response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
      response.write(': connected\n\n');
      eventStreams.add(response);
      request.on('close', () => eventStreams.delete(response));
      return;
    }

    if (url.pathname.startsWith('/api/')) {
      if (request.method !== 'POST') return reject(response, 405, `Method ${request.method} is not allowed on ${url.pathname}; API calls use POST`);
      const method = url.pathname.slice('/api/'.length);
      const body = await readBody(request, maxBodyBytes);
      if (body === undefined) return reject(response, 413, `Refused: the request body is larger than ${maxBodyBytes} bytes`);
      let payload: unknown;
      try {
        payload = body.trim() === '' ? {} : JSON.parse(body);
      } catch (error) {
        return reject(response, 400, `The request body is not valid JSON: ${(error as Error).message}`);
      }
      const result = await handleApiCall(options.host, options.handlers, method, payload);
      return send(response, isApiMethod(method) ? 200 : 404, JSON.stringify(result));
    }

    if (request.method !== 'GET' && request.method !== 'HEAD') return reject(response, 405, `Method ${request.method} is not allowed on pages; use GET`);
    serveStatic(url.pathname, response, queryToken !== undefined);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error(`request ${request.method} ${request.url?.split('?')[0]} failed: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) reject(response, 500, 'The lab server failed to answer this request; see its log');
      else response.end();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, bindAddress, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const displayHost = bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
  const url = `http://${displayHost}:${port}/?token=${token}`;
  log.info(`listening on http://${displayHost}:${port}`);

  return {
    url,
    port,
    token,
    server,
    close: async () => {
      for (const unsubscribeEvent of unsubscribe) unsubscribeEvent();
      for (const stream of eventStreams) stream.end();
      eventStreams.clear();
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeAllConnections();
      await closed;
    },
  };
}
