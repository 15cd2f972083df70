/**
 * The IPC channels between Electron main and the preload, and the events pushed on them. Shared by
 * both sides; the preload build bundles this file, so it must stay free of Node.js imports.
 *
 * - `callChannel`: `ipcRenderer.invoke(callChannel, method, request)`, which resolves with an ApiResult.
 * - `eventChannel`: `webContents.send(eventChannel, name, payload)` for every pushed event.
 */
import type { LabApiEventName, LabApiEvents } from '../main/api/types.js';

export const callChannel = 'fragility-lab:call';
export const eventChannel = 'fragility-lab:event';

/** A command chosen in the application menu that the renderer carries out (it owns those views). */
export type MenuCommand = 'new-study' | 'export-report';

/**
 * Events of the desktop shell itself, pushed beside the API's events.
 * NOTE: LabApiEvents in main/api/types.ts does not list `menu-command`, so a page typed with
 * LabApiClient needs DesktopLabClient (preloadApi.ts) or a cast to subscribe to it.
 */
export interface ShellEvents {
  'menu-command': { command: MenuCommand };
}

export type BridgeEvents = LabApiEvents & ShellEvents;
export type BridgeEventName = keyof BridgeEvents;

/** Every event the preload lets the page subscribe to. */
export const bridgeEventNames = ['study-progress', 'studies-changed', 'menu-command'] as const satisfies readonly BridgeEventName[];

// Fails to compile when the API map gains an event that the list above lacks.
type UnlistedEvent = Exclude<BridgeEventName, (typeof bridgeEventNames)[number]>;
const everyEventListed: [UnlistedEvent] extends [never] ? true : never = true;
void everyEventListed;

export function isBridgeEventName(name: unknown): name is BridgeEventName {
  return typeof name === 'string' && (bridgeEventNames as readonly string[]).includes(name);
}

/** The API's own events, which the shell forwards from the lab host to the window. */
export const labEventNames = bridgeEventNames.filter((name): name is LabApiEventName => name !== 'menu-command');
