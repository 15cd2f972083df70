import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { contentSecurityPolicy } from '../../electron/policy.js';
import { createAppProtocolHandler, rendererMissingPage, resolveAppFile } from '../../electron/protocol.js';
import { tempDir } from '../helpers/temp.js';

function rendererBuild(): string {
  const root = tempDir();
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="./assets/index.js"></script>');
  writeFileSync(join(root, 'assets', 'index.js'), 'console.log("lab");');
  writeFileSync(join(root, 'assets', 'index.css'), 'body { margin: 0 }');
  return root;
}

test('app URLs map into the renderer folder', () => {
  const root = '/opt/lab/dist/renderer';
  assert.deepEqual(resolveAppFile('app://lab/', root), { kind: 'file', path: join(root, 'index.html') });
  assert.deepEqual(resolveAppFile('app://lab/index.html', root), { kind: 'file', path: join(root, 'index.html') });
  assert.deepEqual(resolveAppFile('app://lab/assets/index-3f2a.js?v=1#x', root), { kind: 'file', path: join(root, 'assets', 'index-3f2a.js') });
  assert.deepEqual(resolveAppFile('app://lab/assets/a%20b.svg', root), { kind: 'file', path: join(root, 'assets', 'a b.svg') });
});

test('paths leaving the renderer folder are invalid', () => {
  const root = '/opt/lab/dist/renderer';
  for (const url of ['app://lab/..%2F..%2Fsecret.txt', 'app://lab/%2e%2e%2f%2e%2e%2fetc/passwd', 'app://lab/assets/..%2F..%2F..%2Fetc%2Fpasswd', 'app://lab/a%00.js', 'app://lab/%E0%A4%A', 'app://other/index.html', 'file:///etc/passwd', 'nonsense']) {
    assert.equal(resolveAppFile(url, root).kind, 'invalid', url);
  }
});

test('handler serves files with CSP', async () => {
  const handler = createAppProtocolHandler({ rootDir: rendererBuild() });
  const page = await handler(new Request('app://lab/index.html'));
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('content-security-policy'), contentSecurityPolicy);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await page.text(), /assets\/index\.js/);

  const script = await handler(new Request('app://lab/assets/index.js'));
  assert.equal(script.status, 200);
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(script.headers.get('content-security-policy'), contentSecurityPolicy);

  const style = await handler(new Request('app://lab/assets/index.css'));
  assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8');
});

test('handler rejects traversal and other methods', async () => {
  const rejected: string[] = [];
  const handler = createAppProtocolHandler({ rootDir: rendererBuild(), onRejected: (url) => rejected.push(url) });
  const traversal = await handler(new Request('app://lab/..%2F..%2F..%2Fetc%2Fpasswd'));
  assert.equal(traversal.status, 404);
  assert.equal(traversal.headers.get('content-security-policy'), contentSecurityPolicy);
  const post = await handler(new Request('app://lab/index.html', { method: 'POST', body: '{}' }));
  assert.equal(post.status, 405);
  assert.deepEqual(rejected, ['app://lab/..%2F..%2F..%2Fetc%2Fpasswd', 'app://lab/index.html']);
});

test('missing asset is 404, missing route is the app', async () => {
  const handler = createAppProtocolHandler({ rootDir: rendererBuild() });
  const asset = await handler(new Request('app://lab/assets/missing.js'));
  assert.equal(asset.status, 404);
  const route = await handler(new Request('app://lab/studies/tiny'));
  assert.equal(route.status, 200);
  assert.match(await route.text(), /assets\/index\.js/);
});

test('unbuilt renderer shows how to build it', async () => {
  const handler = createAppProtocolHandler({ rootDir: join(tempDir(), 'renderer') });
  const page = await handler(new Request('app://lab/index.html'));
  assert.equal(page.status, 200);
  assert.equal(await page.text(), rendererMissingPage);
  assert.equal(page.headers.get('content-security-policy'), contentSecurityPolicy);
});

test('read failure other than missing is 500', async () => {
  const handler = createAppProtocolHandler({
    rootDir: '/opt/lab/dist/renderer',
    readFile: () => Promise.reject(Object.assign(new Error('permission denied'), { code: 'EACCES' })),
  });
  const response = await handler(new Request('app://lab/assets/index.js'));
  assert.equal(response.status, 500);
});
