/**
 * Applies the security policy of `policy.ts` to Electron objects: every web contents (navigation,
 * redirects, new windows, <webview>) and the session (permissions, requests, response headers,
 * downloads). The objects are typed by the members used here, so tests pass fakes.
 */
import type { Logger } from '../main/util/log.js';
import { decideNavigation, decideWindowOpen, isAllowedDownload, isAllowedRequest, isPermissionGranted, withContentSecurityPolicy } from './policy.js';

export interface NavigationEventInfo {
  url: string;
  preventDefault(): void;
}

export interface FrameNavigationEventInfo extends NavigationEventInfo {
  isMainFrame: boolean;
}

/** The part of Electron's `WebContents` the guards use. */
export interface GuardedWebContents {
  on(event: 'will-navigate', listener: (event: NavigationEventInfo) => void): unknown;
  on(event: 'will-redirect', listener: (event: NavigationEventInfo) => void): unknown;
  on(event: 'will-frame-navigate', listener: (event: FrameNavigationEventInfo) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/** Opens a URL in the user's browser (Electron's `shell.openExternal`). */
export type OpenExternal = (url: string) => Promise<void>;

function openOutside(openExternal: OpenExternal, url: string, log: Logger): void {
  log.info(`opening ${url} in the browser`);
  openExternal(url).catch((error: unknown) => log.warn(`opening ${url} in the browser failed: ${(error as Error).message}`));
}

/** Denies navigation away from the app, new windows and <webview> on one web contents. */
export function guardWebContents(contents: GuardedWebContents, options: { openExternal: OpenExternal; log: Logger }): void {
  const { log, openExternal } = options;

  contents.on('will-navigate', (event) => {
    const decision = decideNavigation(event.url);
    if (decision.action === 'allow') return;
    event.preventDefault();
    if (decision.openExternal !== null) openOutside(openExternal, decision.openExternal, log);
    else log.warn(`denied a navigation to ${event.url}: the window shows only the app's own pages`);
  });
  // A main-frame navigation also reaches will-navigate, which opens https links. A subframe's
  // navigation away from the app is only denied, so that no link opens twice.
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame || decideNavigation(event.url).action === 'allow') return;
    event.preventDefault();
    log.warn(`denied a frame navigation to ${event.url}`);
  });
  // A redirect cannot be turned into a browser link safely, so it is only denied.
  contents.on('will-redirect', (event) => {
    if (decideNavigation(event.url).action === 'allow') return;
    event.preventDefault();
    log.warn(`denied a redirect to ${event.url}`);
  });

  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url);
    if (decision.openExternal !== null) openOutside(openExternal, decision.openExternal, log);
    else log.warn(`denied a new window for ${url}`);
    return { action: decision.action };
  });

  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('denied a <webview>: the app never embeds other pages');
  });
}

/** The part of Electron's `Session` the guards use. */
export interface GuardedSession {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
  webRequest: {
    onBeforeRequest(filter: { urls: string[] }, listener: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void): void;
    onHeadersReceived(listener: (details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders: Record<string, string[]> }) => void) => void): void;
  };
  on(event: 'will-download', listener: (event: { preventDefault(): void }, item: { getURL(): string }) => void): unknown;
}

/**
 * Denies every permission, cancels every request that is not for the app's own files, puts the
 * app's Content-Security-Policy on every response that passes the header hook, and lets only
 * downloads of files the app made (an exported report) start.
 */
export function guardSession(session: GuardedSession, options: { log: Logger }): void {
  const { log } = options;

  session.setPermissionRequestHandler((_webContents, permission, callback) => {
    const granted = isPermissionGranted(permission);
    if (!granted) log.info(`denied the permission request "${permission}"`);
    callback(granted);
  });
  session.setPermissionCheckHandler((_webContents, permission) => isPermissionGranted(permission));

  session.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => {
    const allowed = isAllowedRequest(details.url);
    if (!allowed) log.warn(`cancelled a request for ${details.url}: the app loads no remote content`);
    callback({ cancel: !allowed });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  });

  session.on('will-download', (event, item) => {
    const url = item.getURL();
    if (isAllowedDownload(url)) return;
    event.preventDefault();
    log.warn(`cancelled a download of ${url}: only files the app makes may be saved`);
  });
}
