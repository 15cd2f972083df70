import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardSession, guardWebContents } from '../../electron/guards.js';
import { contentSecurityPolicy } from '../../electron/policy.js';
import { FakeEvent, FakeWebContents, recordingLogger } from './fakes.js';

function guardedContents() {
  const contents = new FakeWebContents();
  const opened: string[] = [];
  const log = recordingLogger();
  guardWebContents(contents, {
    openExternal: async (url) => {
      opened.push(url);
    },
    log,
  });
  return { contents, opened, log };
}

test('navigation within the app is allowed', () => {
  const { contents, opened } = guardedContents();
  for (const eventName of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
    assert.equal(contents.navigate(eventName, 'app://lab/index.html#/studies').defaultPrevented, false, eventName);
  }
  assert.deepEqual(opened, []);
});

test('navigation away is prevented', () => {
  const { contents, opened, log } = guardedContents();
  for (const url of ['http://example.org/', 'file:///etc/passwd', 'app://other/', 'javascript:void(0)']) {
    assert.equal(contents.navigate('will-navigate', url).defaultPrevented, true, url);
    assert.equal(contents.navigate('will-frame-navigate', url, false).defaultPrevented, true, url);
    assert.equal(contents.navigate('will-redirect', url).defaultPrevented, true, url);
  }
  assert.deepEqual(opened, []);
  assert.ok(log.lines.some((line) => line.level === 'warn' && line.message.includes('file:///etc/passwd')));
});

test('https link opens in the browser', () => {
  const { contents, opened } = guardedContents();
  // Electron emits both events for a main-frame navigation; the link must open once.
  const frameEvent = contents.navigate('will-frame-navigate', 'https://arxiv.org/abs/1912.02178', true);
  const event = contents.navigate('will-navigate', 'https://arxiv.org/abs/1912.02178');
  assert.equal(event.defaultPrevented, true);
  assert.equal(frameEvent.defaultPrevented, false);
  assert.deepEqual(opened, ['https://arxiv.org/abs/1912.02178']);
});

test('subframe link is only denied', () => {
  const { contents, opened } = guardedContents();
  const event = contents.navigate('will-frame-navigate', 'https://example.org/', false);
  assert.equal(event.defaultPrevented, true);
  assert.deepEqual(opened, []);
});

test('redirect never opens outside', () => {
  const { contents, opened } = guardedContents();
  assert.equal(contents.navigate('will-redirect', 'https://example.org/').defaultPrevented, true);
  assert.deepEqual(opened, []);
});

test('new windows are denied', () => {
  const { contents, opened } = guardedContents();
  assert.ok(contents.windowOpenHandler !== undefined);
  assert.deepEqual(contents.windowOpenHandler({ url: 'app://lab/index.html' }), { action: 'deny' });
  assert.deepEqual(contents.windowOpenHandler({ url: 'about:blank' }), { action: 'deny' });
  assert.deepEqual(contents.windowOpenHandler({ url: 'https://example.org/paper.pdf' }), { action: 'deny' });
  assert.deepEqual(opened, ['https://example.org/paper.pdf']);
});

test('webview attachment is prevented', () => {
  const { contents } = guardedContents();
  const event = new FakeEvent();
  contents.emit('will-attach-webview', event, { nodeIntegration: true }, { src: 'https://example.org/' });
  assert.equal(event.defaultPrevented, true);
});

test('failed openExternal is logged', async () => {
  const contents = new FakeWebContents();
  const log = recordingLogger();
  guardWebContents(contents, { openExternal: () => Promise.reject(new Error('no browser')), log });
  contents.navigate('will-navigate', 'https://example.org/');
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(log.lines.some((line) => line.level === 'warn' && line.message.includes('no browser')));
});

type PermissionRequestHandler = (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void;
type PermissionCheckHandler = (webContents: unknown, permission: string) => boolean;
type BeforeRequestListener = (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void;
type HeadersReceivedListener = (details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders: Record<string, string[]> }) => void) => void;
type DownloadListener = (event: { preventDefault(): void }, item: { getURL(): string }) => void;

/** A session that keeps the handlers the guards install. */
class FakeSession {
  requestHandler: PermissionRequestHandler | undefined;
  checkHandler: PermissionCheckHandler | undefined;
  beforeRequest: { filter: { urls: string[] }; listener: BeforeRequestListener } | undefined;
  headersReceived: HeadersReceivedListener | undefined;
  downloadListener: DownloadListener | undefined;

  readonly webRequest = {
    onBeforeRequest: (filter: { urls: string[] }, listener: BeforeRequestListener) => {
      this.beforeRequest = { filter, listener };
    },
    onHeadersReceived: (listener: HeadersReceivedListener) => {
      this.headersReceived = listener;
    },
  };

  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.requestHandler = handler;
  }

  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    this.checkHandler = handler;
  }

  on(_event: 'will-download', listener: DownloadListener): void {
    this.downloadListener = listener;
  }
}

function fakeSession(): FakeSession {
  const session = new FakeSession();
  guardSession(session, { log: recordingLogger() });
  return session;
}

test('permission requests are denied', () => {
  const session = fakeSession();
  for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'fullscreen']) {
    let granted: boolean | undefined;
    session.requestHandler!(null, permission, (value) => {
      granted = value;
    });
    assert.equal(granted, false, permission);
    assert.equal(session.checkHandler!(null, permission), false, permission);
  }
});

test('requests other than app files are cancelled', () => {
  const session = fakeSession();
  assert.deepEqual(session.beforeRequest!.filter, { urls: ['<all_urls>'] });
  const decide = (url: string): boolean | undefined => {
    let cancel: boolean | undefined;
    session.beforeRequest!.listener({ url }, (response) => {
      cancel = response.cancel;
    });
    return cancel;
  };
  assert.equal(decide('app://lab/assets/index.js'), false);
  assert.equal(decide('https://fonts.example.org/font.woff2'), true);
  assert.equal(decide('http://127.0.0.1:8080/api/studies-list'), true);
  assert.equal(decide('file:///etc/passwd'), true);
});

test('header hook sets the CSP', () => {
  const session = fakeSession();
  let headers: Record<string, string[]> | undefined;
  session.headersReceived!({ url: 'app://lab/index.html', responseHeaders: { 'Content-Security-Policy': ["script-src 'unsafe-eval'"] } }, (response) => {
    headers = response.responseHeaders;
  });
  assert.deepEqual(headers, { 'Content-Security-Policy': [contentSecurityPolicy] });
});

test('downloads of remote files are cancelled', () => {
  const session = fakeSession();
  const download = (url: string): boolean => {
    const event = new FakeEvent(url);
    session.downloadListener!(event, { getURL: () => url });
    return event.defaultPrevented;
  };
  assert.equal(download('blob:app://lab/0b7e2d7c-0000-4000-8000-000000000000'), false);
  assert.equal(download('data:text/csv;charset=utf-8,a%2Cb'), false);
  assert.equal(download('https://example.org/installer.exe'), true);
});
