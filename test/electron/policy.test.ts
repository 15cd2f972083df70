import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appEntryUrl,
  contentSecurityPolicy,
  decideNavigation,
  decideWindowOpen,
  externalLinkTarget,
  isAllowedDownload,
  isAllowedNavigation,
  isAllowedRequest,
  isAppUrl,
  isPermissionGranted,
  isTrustedSender,
  withContentSecurityPolicy,
  windowPreferences,
} from '../../electron/policy.js';
import { contentSecurityPolicy as labServerPolicy } from '../../main/server/server.js';

test('app pages are app URLs', () => {
  assert.equal(isAppUrl(appEntryUrl), true);
  assert.equal(isAppUrl('app://lab/'), true);
  assert.equal(isAppUrl('app://lab/assets/index-3f2a.js'), true);
  assert.equal(isAppUrl('app://lab/index.html#/studies/tiny'), true);
});

test('other origins are not app URLs', () => {
  for (const url of ['app://other/index.html', 'app://lab:8080/index.html', 'app://user:secret@lab/', 'https://lab/index.html', 'file:///work/main/dist/renderer/index.html', 'not a url', '']) {
    assert.equal(isAppUrl(url), false, url);
  }
});

test('navigation to other origins is rejected', () => {
  assert.equal(isAllowedNavigation('app://lab/index.html'), true);
  for (const url of ['https://example.org/', 'http://127.0.0.1:5173/', 'app://evil/index.html', 'javascript:alert(1)', 'data:text/html,<p>x</p>', 'about:blank']) {
    assert.equal(isAllowedNavigation(url), false, url);
  }
});

test('file URLs outside the app are rejected', () => {
  for (const url of ['file:///etc/passwd', 'file:///work/main/dist/renderer/index.html', 'file://host/share/report.html']) {
    assert.equal(isAllowedNavigation(url), false, url);
    assert.equal(isAllowedRequest(url), false, url);
    assert.equal(externalLinkTarget(url), null, url);
  }
});

test('only https links open outside', () => {
  assert.equal(externalLinkTarget('https://arxiv.org/abs/1912.02178'), 'https://arxiv.org/abs/1912.02178');
  for (const url of ['http://arxiv.org/', 'https://user:pw@example.org/', 'ftp://example.org/', 'mailto:someone@example.org', 'smb://server/share', 'https://', 'app://lab/']) {
    assert.equal(externalLinkTarget(url), null, url);
  }
});

test('navigation decisions', () => {
  assert.deepEqual(decideNavigation('app://lab/index.html'), { action: 'allow' });
  assert.deepEqual(decideNavigation('https://example.org/paper'), { action: 'deny', openExternal: 'https://example.org/paper' });
  assert.deepEqual(decideNavigation('http://example.org/'), { action: 'deny', openExternal: null });
});

test('window open is always denied', () => {
  for (const url of ['app://lab/index.html', 'https://example.org/', 'about:blank', 'file:///etc/passwd']) {
    assert.equal(decideWindowOpen(url).action, 'deny', url);
  }
  assert.equal(decideWindowOpen('https://example.org/').openExternal, 'https://example.org/');
  assert.equal(decideWindowOpen('app://lab/index.html').openExternal, null);
});

test('every permission is denied', () => {
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'fullscreen', 'openExternal', 'usb', 'hid', 'serial', 'unknown']) {
    assert.equal(isPermissionGranted(permission), false, permission);
  }
});

test('remote requests are cancelled', () => {
  assert.equal(isAllowedRequest('app://lab/assets/index.js'), true);
  assert.equal(isAllowedRequest('blob:app://lab/5d1c7a9e-0000-4000-8000-000000000000'), true);
  assert.equal(isAllowedRequest('devtools://devtools/bundled/inspector.html'), true);
  for (const url of ['https://cdn.example.org/lib.js', 'http://localhost:5173/', 'ws://127.0.0.1:9000/', 'blob:https://example.org/uuid', 'app://other/x.js']) {
    assert.equal(isAllowedRequest(url), false, url);
  }
});

test('downloads only of app files', () => {
  assert.equal(isAllowedDownload('blob:app://lab/5d1c7a9e-0000-4000-8000-000000000000'), true);
  assert.equal(isAllowedDownload('data:text/csv;base64,YSxiCg=='), true);
  assert.equal(isAllowedDownload('https://example.org/report.pdf'), false);
  assert.equal(isAllowedDownload('blob:https://example.org/uuid'), false);
  assert.equal(isAllowedDownload('file:///etc/passwd'), false);
});

test('trusted sender is the app main frame', () => {
  assert.equal(isTrustedSender({ url: 'app://lab/index.html', parent: null }), true);
  assert.equal(isTrustedSender({ url: 'app://lab/index.html', parent: { url: 'app://lab/index.html' } }), false);
  assert.equal(isTrustedSender({ url: 'https://example.org/', parent: null }), false);
  assert.equal(isTrustedSender({ url: 'file:///work/main/dist/renderer/index.html', parent: null }), false);
  assert.equal(isTrustedSender(null), false);
  assert.equal(isTrustedSender(undefined), false);
});

test('CSP string contents', () => {
  const directives = contentSecurityPolicy.split('; ');
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ]) {
    assert.ok(directives.includes(directive), `missing ${directive}`);
  }
  assert.doesNotMatch(contentSecurityPolicy, /unsafe-eval/);
  assert.doesNotMatch(contentSecurityPolicy, /script-src[^;]*unsafe-inline/);
  assert.doesNotMatch(contentSecurityPolicy, /https?:|\*/);
});

test('CSP matches the lab server', () => {
  assert.equal(contentSecurityPolicy, labServerPolicy);
});

test('CSP replaces the response policy', () => {
  const headers = withContentSecurityPolicy({ 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] });
  assert.deepEqual(headers['Content-Security-Policy'], [contentSecurityPolicy]);
  assert.equal(headers['content-security-policy'], undefined);
  assert.deepEqual(headers['Content-Type'], ['text/html']);
  assert.deepEqual(withContentSecurityPolicy(undefined), { 'Content-Security-Policy': [contentSecurityPolicy] });
});

test('window preferences are locked down', () => {
  const preferences = windowPreferences({ preloadPath: '/app/dist/electron/preload.cjs', development: false });
  assert.equal(preferences.contextIsolation, true);
  assert.equal(preferences.sandbox, true);
  assert.equal(preferences.nodeIntegration, false);
  assert.equal(preferences.nodeIntegrationInWorker, false);
  assert.equal(preferences.nodeIntegrationInSubFrames, false);
  assert.equal(preferences.webSecurity, true);
  assert.equal(preferences.allowRunningInsecureContent, false);
  assert.equal(preferences.webviewTag, false);
  assert.equal(preferences.experimentalFeatures, false);
  assert.equal(preferences.devTools, false);
  assert.equal(preferences.preload, '/app/dist/electron/preload.cjs');
  assert.equal(windowPreferences({ preloadPath: 'p', development: true }).devTools, true);
});
