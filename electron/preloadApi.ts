/**
 * The page side of the API bridge: the one object the preload exposes as `window.fragilityLab`.
 * It implements LabApiClient over IPC: `call` resolves with the response or rejects with the
 * plain error data `{ kind, message, field? }`, and `on` subscribes to a pushed event. The page
 * gets no other access to IPC or Electron: no channel names, no raw ipcRenderer, and listeners
 * receive the payload only, never the IPC event object.
 *
 * The preload build bundles this file into one CommonJS script, because a sandboxed preload may
 * `require` only electron and a few Node.js built-ins.
 */
import type { ApiError, ApiResult, LabApiClient, LabApiMethod, LabApiRequest, LabApiResponse } from '../main/api/types.js';
import { bridgeEventNames, callChannel, eventChannel, isBridgeEventName, type BridgeEventName, type BridgeEvents } from './channels.js';

/** The global name of the API object in the page. */
export const exposedApiKey = 'fragilityLab';

/** The part of Electron's `ipcRenderer` the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The part of Electron's `contextBridge` the bridge uses. */
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: Record<string, unknown>): void;
}

/** The API object of the desktop app: LabApiClient, whose `on` also takes the shell's menu commands. */
export interface DesktopLabClient extends LabApiClient {
  on<E extends BridgeEventName>(event: E, listener: (payload: BridgeEvents[E]) => void): () => void;
}

function isApiResult(value: unknown): value is ApiResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as { ok?: unknown; error?: unknown };
  if (result.ok === true) return true;
  return result.ok === false && typeof result.error === 'object' && result.error !== null;
}

function bridgeFailure(method: string, error: unknown): ApiError {
  const reason = error instanceof Error ? error.message : String(error);
  return { kind: 'internal', message: `The ${method} call did not reach the lab: ${reason}` };
}

/** Reports an error thrown by an event listener without stopping the other listeners. */
export type ListenerErrorReporter = (error: unknown) => void;

/** Throws the error again in a microtask, so that it shows in the page's console as uncaught. */
const rethrowLater: ListenerErrorReporter = (error) =>
  queueMicrotask(() => {
    throw error;
  });

/** Creates the API object over an `ipcRenderer`. */
export function createDesktopLabClient(ipcRenderer: IpcRendererLike, reportListenerError: ListenerErrorReporter = rethrowLater): DesktopLabClient {
  const listeners = new Map<BridgeEventName, Set<(payload: never) => void>>(bridgeEventNames.map((name) => [name, new Set()]));

  ipcRenderer.on(eventChannel, (_event, name, payload) => {
    if (!isBridgeEventName(name)) return;
    for (const listener of listeners.get(name) ?? []) {
      try {
        listener(payload as never);
      } catch (error) {
        reportListenerError(error);
      }
    }
  });

  const call = async <M extends LabApiMethod>(method: M, request: LabApiRequest<M>): Promise<LabApiResponse<M>> => {
    let result: unknown;
    try {
      result = await ipcRenderer.invoke(callChannel, method, request);
    } catch (error) {
      throw bridgeFailure(String(method), error);
    }
    if (!isApiResult(result)) throw bridgeFailure(String(method), new Error('the response is not an API result'));
    if (!result.ok) throw result.error;
    return result.value as LabApiResponse<M>;
  };

  const on = <E extends BridgeEventName>(event: E, listener: (payload: BridgeEvents[E]) => void): (() => void) => {
    if (!isBridgeEventName(event)) throw new TypeError(`Unknown lab event "${String(event)}"; the events are ${bridgeEventNames.join(', ')}`);
    if (typeof listener !== 'function') throw new TypeError(`The listener of ${event} must be a function`);
    const set = listeners.get(event)!;
    const entry = listener as (payload: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  };

  return Object.freeze({ call, on });
}

/** Exposes the API object to the page as `window.fragilityLab`, and nothing else. */
export function exposeLabApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): void {
  const client = createDesktopLabClient(ipcRenderer);
  contextBridge.exposeInMainWorld(exposedApiKey, { call: client.call, on: client.on });
}
