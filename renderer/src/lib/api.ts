/**
 * The renderer's one way to reach the engine. Under Electron the preload script exposes the lab
 * API as `window.fragilityLab`. In a browser the same calls go over HTTP to the lab server
 * (`POST /api/<method>`), and events arrive as server-sent events on `/api/events`.
 *
 * Either way a failed call rejects with an ApiCallError that carries the engine's error kind,
 * message and field, so that a page can show the message beside the control it concerns.
 */
import type { ApiError, ApiResult, LabApiClient, LabApiEventName, LabApiEvents, LabApiMethod, LabApiRequest, LabApiResponse } from '../../../main/api/types.js';

/** A rejected API call, with the engine's plain error data. */
export class ApiCallError extends Error {
  readonly kind: string;
  readonly field: string | undefined;

  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.kind = error.kind;
    this.field = error.field === undefined || error.field === '' ? undefined : error.field;
  }
}

/** The transport between the client and the engine. */
export type Transport = 'electron' | 'http';

/** State of the live event stream of the HTTP client; the Electron bridge is always `open`. */
export type EventStreamState = 'connecting' | 'open' | 'reconnecting';

/** A command of the desktop app's menu that the renderer carries out; it never arrives in a browser. */
export type MenuCommand = LabApiEvents['menu-command']['command'];

export interface RendererApiClient extends LabApiClient {
  readonly transport: Transport;
  /** Subscribes to changes of the event stream's state; returns the function that unsubscribes. */
  onStreamState(listener: (state: EventStreamState) => void): () => void;
}

/**
 * Calls `reload` each time the event stream reconnects after a loss, since the events sent while
 * it was down are lost. Returns the function that unsubscribes.
 */
export function onReconnect(client: RendererApiClient, reload: () => void): () => void {
  let lost = false;
  return client.onStreamState((state) => {
    if (state === 'reconnecting') lost = true;
    if (state === 'open' && lost) {
      lost = false;
      reload();
    }
  });
}

declare global {
  interface Window {
    /** The lab API exposed by the Electron preload script; absent in a browser. */
    fragilityLab?: LabApiClient;
  }
}

const tokenStorageKey = 'fragility-lab-token';

function isApiErrorData(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && typeof (value as ApiError).kind === 'string' && typeof (value as ApiError).message === 'string';
}

/** Converts whatever a transport rejected with into an ApiCallError. */
export function toApiCallError(reason: unknown): ApiCallError {
  if (reason instanceof ApiCallError) return reason;
  if (isApiErrorData(reason)) return new ApiCallError(reason);
  if (reason instanceof Error) return new ApiCallError({ kind: 'internal', message: reason.message });
  return new ApiCallError({ kind: 'internal', message: String(reason) });
}

/** Wraps the preload bridge so that its rejections become ApiCallErrors too. */
function createBridgeClient(bridge: LabApiClient): RendererApiClient {
  return {
    transport: 'electron',
    async call(method, request) {
      try {
        return await bridge.call(method, request);
      } catch (reason) {
        throw toApiCallError(reason);
      }
    },
    on: (event, listener) => bridge.on(event, listener),
    onStreamState(listener) {
      listener('open');
      return () => undefined;
    },
  };
}

/**
 * Reads the lab token: from the `token` query parameter of the first page load, which is then
 * removed from the address bar and kept in sessionStorage, or from sessionStorage on later loads.
 */
export function takeTokenFromLocation(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null && fromUrl !== '') {
    try {
      window.sessionStorage.setItem(tokenStorageKey, fromUrl);
    } catch {
      // Storage can be disabled; the cookie set by the first page load still authenticates.
    }
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    return fromUrl;
  }
  try {
    return window.sessionStorage.getItem(tokenStorageKey);
  } catch {
    return null;
  }
}

function apiUrl(path: string): string {
  return new URL(path, window.location.href).toString();
}

async function readResult<T>(response: Response, method: string): Promise<T> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiCallError({ kind: 'internal', message: `The lab server returned HTTP ${response.status} with a body that is not JSON for ${method}` });
  }
  const result = body as ApiResult<T>;
  if (typeof result === 'object' && result !== null && result.ok === true) return result.value;
  if (typeof result === 'object' && result !== null && result.ok === false && isApiErrorData(result.error)) throw new ApiCallError(result.error);
  throw new ApiCallError({ kind: 'internal', message: `The lab server returned HTTP ${response.status} without a result for ${method}` });
}

/** Creates the HTTP client of the lab server, authenticated by the token of the page URL. */
function createHttpClient(token: string | null): RendererApiClient {
  const listeners = new Map<LabApiEventName, Set<(payload: never) => void>>();
  const stateListeners = new Set<(state: EventStreamState) => void>();
  let source: EventSource | null = null;
  let streamState: EventStreamState = 'connecting';

  const setStreamState = (state: EventStreamState): void => {
    streamState = state;
    for (const listener of stateListeners) listener(state);
  };

  const dispatch = (name: LabApiEventName) => (message: MessageEvent<string>) => {
    let payload: unknown;
    try {
      payload = JSON.parse(message.data);
    } catch {
      return;
    }
    for (const listener of listeners.get(name) ?? []) (listener as (payload: unknown) => void)(payload);
  };

  // One stream serves every subscriber. EventSource cannot send headers, so the token travels as
  // the query parameter that the server also accepts, besides the cookie of the first page load.
  const openStream = (): void => {
    if (source !== null) return;
    const url = new URL('api/events', window.location.href);
    if (token !== null) url.searchParams.set('token', token);
    source = new EventSource(url.toString());
    source.addEventListener('open', () => setStreamState('open'));
    source.addEventListener('error', () => setStreamState('reconnecting'));
    source.addEventListener('study-progress', dispatch('study-progress'));
    source.addEventListener('studies-changed', dispatch('studies-changed'));
  };

  return {
    transport: 'http',
    async call<M extends LabApiMethod>(method: M, request: LabApiRequest<M>): Promise<LabApiResponse<M>> {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (token !== null) headers['X-Lab-Token'] = token;
      let response: Response;
      try {
        response = await fetch(apiUrl(`api/${method}`), { method: 'POST', headers, body: JSON.stringify(request), credentials: 'same-origin' });
      } catch (reason) {
        throw new ApiCallError({
          kind: 'unavailable',
          message: `The lab server did not respond to ${method} (${(reason as Error).message}); check that "fragility-lab serve" is still running`,
        });
      }
      return readResult<LabApiResponse<M>>(response, method);
    },
    on<E extends LabApiEventName>(event: E, listener: (payload: LabApiEvents[E]) => void): () => void {
      openStream();
      let set = listeners.get(event);
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onStreamState(listener) {
      stateListeners.add(listener);
      listener(streamState);
      return () => stateListeners.delete(listener);
    },
  };
}

/** Creates the client for this page: the Electron bridge when present, else HTTP. */
export function createApiClient(): RendererApiClient {
  const bridge = window.fragilityLab;
  if (bridge !== undefined) return createBridgeClient(bridge);
  return createHttpClient(takeTokenFromLocation());
}
