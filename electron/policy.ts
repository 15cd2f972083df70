/**
 * The security policy of the desktop shell, written as pure functions so that tests can check it
 * without the Electron binary. It applies Electron's security checklist:
 *
 * - the window's renderer is sandboxed and context-isolated, has no Node.js integration, and
 *   reaches the engine only through the one object the preload exposes;
 * - the window loads only the app's own pages, served on the app:// scheme from the renderer build;
 * - every page gets a strict Content-Security-Policy: scripts, styles and data from the app only;
 * - navigation away from the app, new windows, <webview> tags and permission requests are denied;
 *   an https link opens in the user's browser after a check, and any other link does nothing;
 * - API calls are accepted only from the main frame of an app page.
 *
 * Only types are imported from electron here, so this module loads in plain Node.
 */
import type { WebPreferences } from 'electron';

export const appScheme = 'app';
export const appHost = 'lab';
export const appOrigin = `${appScheme}://${appHost}`;
/** The page the window loads: index.html of the renderer build. */
export const appEntryUrl = `${appOrigin}/index.html`;

/** The Content-Security-Policy of every app page, the same as the lab server's. */
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

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Returns whether a URL is a page or asset of the app itself: app://lab, no port, no credentials. */
export function isAppUrl(text: string): boolean {
  const url = parseUrl(text);
  return url !== undefined && url.protocol === `${appScheme}:` && url.host === appHost && url.username === '' && url.password === '';
}

/** Returns whether the window may navigate to a URL, which is true for the app's own pages only. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/**
 * Returns the URL to open in the user's browser for a link the app does not load itself, or null
 * when the link must not be opened: only https URLs with a host name and no credentials qualify.
 */
export function externalLinkTarget(text: string): string | null {
  const url = parseUrl(text);
  if (url === undefined || url.protocol !== 'https:') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  return url.href;
}

export type NavigationDecision = { action: 'allow' } | { action: 'deny'; openExternal: string | null };

/** Decides a navigation of the window: app pages load, an https link opens outside, the rest is denied. */
export function decideNavigation(url: string): NavigationDecision {
  if (isAllowedNavigation(url)) return { action: 'allow' };
  return { action: 'deny', openExternal: externalLinkTarget(url) };
}

/**
 * Decides a request to open a new window (window.open, a link with target=_blank): the app never
 * opens a second window, so the request is always denied, and an https link opens in the browser.
 */
export function decideWindowOpen(url: string): { action: 'deny'; openExternal: string | null } {
  return { action: 'deny', openExternal: externalLinkTarget(url) };
}

/**
 * Decides a permission request or check (camera, notifications, clipboard read, fullscreen of an
 * element, ...). The lab needs none of them, so every permission is denied.
 */
export function isPermissionGranted(_permission: string): boolean {
  return false;
}

/**
 * Returns whether the renderer may fetch a URL: the app's own files, blob: URLs the app made, and
 * the developer tools' own pages. data: URLs never reach the network layer. Everything else, http,
 * https, file and ws included, is cancelled, so that no remote content loads.
 */
export function isAllowedRequest(text: string): boolean {
  if (isAppUrl(text)) return true;
  const url = parseUrl(text);
  if (url === undefined) return false;
  if (url.protocol === 'blob:') return isAppUrl(url.pathname);
  return url.protocol === 'devtools:';
}

/** Returns whether a download may start, which is true for a file the app made itself (a blob: URL of the app, or a data: URL). */
export function isAllowedDownload(text: string): boolean {
  const url = parseUrl(text);
  if (url === undefined) return false;
  if (url.protocol === 'data:') return true;
  return url.protocol === 'blob:' && isAppUrl(url.pathname);
}

/** The frame an IPC message came from, as far as the trust check needs it. */
export interface SenderFrameInfo {
  url: string;
  /** The parent frame; null for the main frame of a page. */
  parent: unknown;
}

/** Returns whether an API call comes from the main frame of an app page (not a subframe, not another page). */
export function isTrustedSender(frame: SenderFrameInfo | null | undefined): boolean {
  if (frame === null || frame === undefined) return false;
  return frame.parent === null && isAppUrl(frame.url);
}

/**
 * Returns the response headers with the app's Content-Security-Policy in place of any policy the
 * response carried (the header name is matched without regard to case).
 */
export function withContentSecurityPolicy(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [contentSecurityPolicy];
  return result;
}

/** Returns the web preferences of the lab window. */
export function windowPreferences(options: { preloadPath: string; development: boolean }): WebPreferences {
  return {
    preload: options.preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.development,
  };
}
