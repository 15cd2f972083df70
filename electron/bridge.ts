/**
 * The main-process side of the API bridge. Every call arrives on one IPC channel as
 * (method, request), and the handler returns an ApiResult instead of throwing, so that error data
 * reaches the page intact. Before dispatching, the bridge checks that the call comes from the
 * main frame of an app page and that the method is one of the API map. `handleApiCall` then
 * validates the payload with the request schemas. Host events go the other way, to every window
 * that shows an app page.
 */
import { handleApiCall, type Handlers } from '../main/api/handlers.js';
import type { LabHost } from '../main/api/host.js';
import { isApiMethod } from '../main/api/schemas.js';
import type { ApiResult } from '../main/api/types.js';
import { toErrorData } from '../main/util/errors.js';
import type { Logger } from '../main/util/log.js';
import { callChannel, eventChannel, type BridgeEventName, type BridgeEvents } from './channels.js';
import { isAppUrl, isTrustedSender, type SenderFrameInfo } from './policy.js';

/** The fields of an `IpcMainInvokeEvent` that the bridge reads. */
export interface InvokeEventInfo {
  senderFrame: (SenderFrameInfo & { url: string }) | null;
}

/** The part of Electron's `ipcMain` the bridge uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventInfo, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface BridgeOptions {
  ipcMain: IpcMainLike;
  /** The lab host and handlers to dispatch to; read on every call, since "Open database..." replaces them. */
  currentApp: () => { host: LabHost; handlers: Handlers };
  log: Logger;
}

function rejection(message: string, kind: 'invalid-input' | 'not-found'): ApiResult<never> {
  return { ok: false, error: { kind, message } };
}

/** Dispatches one call from the page and returns its result; never throws. */
export async function dispatchBridgeCall(options: Omit<BridgeOptions, 'ipcMain'>, event: InvokeEventInfo, method: unknown, request: unknown): Promise<ApiResult<unknown>> {
  const frame = event.senderFrame;
  if (!isTrustedSender(frame)) {
    let origin = 'a closed frame';
    if (frame !== null) origin = frame.parent === null ? frame.url : `a subframe at ${frame.url}`;
    options.log.warn(`rejected an API call from ${origin}`);
    return rejection(`Rejected an API call from ${origin}: only the main frame of the Fragility Lab window may call the lab API`, 'invalid-input');
  }
  if (typeof method !== 'string') {
    return rejection(`Invalid API call: the method must be a string, not ${method === null ? 'null' : typeof method}`, 'invalid-input');
  }
  if (!isApiMethod(method)) {
    options.log.warn(`rejected an unknown API method "${method.slice(0, 100)}"`);
    return rejection(`Unknown API method "${method.slice(0, 100)}"`, 'not-found');
  }
  let app: { host: LabHost; handlers: Handlers };
  try {
    app = options.currentApp();
  } catch (error) {
    return { ok: false, error: toErrorData(error) };
  }
  return handleApiCall(app.host, app.handlers, method, request);
}

/** Registers the call channel; returns the function that removes it. */
export function registerApiBridge(options: BridgeOptions): () => void {
  options.ipcMain.handle(callChannel, (event, method, request) => dispatchBridgeCall(options, event, method, request));
  return () => options.ipcMain.removeHandler(callChannel);
}

/** The part of a window's `webContents` that the broadcaster uses. */
export interface EventReceiver {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, ...args: unknown[]): void;
}

/** Creates the function that pushes an event to every receiver that still shows an app page. */
export function createEventBroadcaster(targets: () => Iterable<EventReceiver>, log: Logger): <E extends BridgeEventName>(name: E, payload: BridgeEvents[E]) => void {
  return (name, payload) => {
    for (const target of targets()) {
      if (target.isDestroyed() || !isAppUrl(target.getURL())) continue;
      try {
        target.send(eventChannel, name, payload);
      } catch (error) {
        log.warn(`sending the ${name} event to the window failed: ${(error as Error).message}`);
      }
    }
  };
}
