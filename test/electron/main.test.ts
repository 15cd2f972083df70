/**
 * Runs the entry file electron/main.ts against a stand-in for the electron module (fakeElectron.ts),
 * since the Electron binary is not needed for the tests. The `electron` import is redirected by a
 * module resolve hook that this test file registers for its own process only.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ApiResult } from '../../main/api/types.js';
import { setLogSink } from '../../main/util/log.js';
import { callChannel } from '../../electron/channels.js';
import { appEntryUrl, appScheme, contentSecurityPolicy } from '../../electron/policy.js';
import { tempDir } from '../helpers/temp.js';
import { appFrame, FakeWebContents } from './fakes.js';

const fakeUrl = new URL('./fakeElectron.ts', import.meta.url).href;
const hooks = `export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'electron') return { url: ${JSON.stringify(fakeUrl)}, shortCircuit: true };
  return nextResolve(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const fake = await import('./fakeElectron.js');
const folder = tempDir();
const dbPath = join(folder, 'from-argument.sqlite');

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

before(async () => {
  fake.app.setPath('appData', folder);
  process.argv.push('--db', dbPath);
  await import('../../electron/main.js');
  fake.app.becomeReady();
  await waitFor(() => fake.ipcMain.handlers.has(callChannel) && fake.recorded.windows.length === 1, 'the window and the API bridge');
});

after(() => setLogSink(undefined));

test('scheme is privileged before ready', () => {
  assert.deepEqual(fake.recorded.privilegedSchemes, [{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
  assert.equal(fake.recorded.userData, join(folder, 'Fragility Lab'));
});

test('window is sandboxed and loads the app', () => {
  const [window] = fake.recorded.windows;
  const preferences = window!.options.webPreferences;
  assert.equal(preferences.sandbox, true);
  assert.equal(preferences.contextIsolation, true);
  assert.equal(preferences.nodeIntegration, false);
  assert.equal(preferences.webSecurity, true);
  assert.match(String(preferences.preload), /electron[\\/]preload\.cjs$/);
  assert.deepEqual(window!.loadedUrls, [appEntryUrl]);
});

test('app scheme serves with CSP', async () => {
  const handler = fake.recorded.protocolHandlers.get(appScheme);
  assert.ok(handler !== undefined);
  const response = await handler(new Request(appEntryUrl));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-security-policy'), contentSecurityPolicy);
});

test('session denies permissions', () => {
  let granted: boolean | undefined;
  fake.recorded.permissionRequestHandler!(null, 'media', (value) => {
    granted = value;
  });
  assert.equal(granted, false);
  assert.equal(fake.recorded.permissionCheckHandler!(null, 'notifications'), false);
});

test('bridge reads the --db database', async () => {
  const listed = (await fake.ipcMain.invoke(callChannel, appFrame, 'studies-list', {})) as ApiResult<unknown>;
  assert.deepEqual(listed, { ok: true, value: [] });
  const settings = (await fake.ipcMain.invoke(callChannel, appFrame, 'settings-get', {})) as ApiResult<{ dbPath: string }>;
  assert.ok(settings.ok);
  assert.equal(settings.value.dbPath, dbPath);
  assert.ok(existsSync(dbPath));
  const foreign = (await fake.ipcMain.invoke(callChannel, { url: 'https://example.org/', parent: null }, 'studies-list', {})) as ApiResult<unknown>;
  assert.equal(foreign.ok, false);
});

test('every web contents is guarded', () => {
  const contents = new FakeWebContents();
  fake.app.emit('web-contents-created', {}, contents);
  assert.equal(contents.navigate('will-navigate', 'https://example.org/').defaultPrevented, true);
  assert.deepEqual(contents.windowOpenHandler?.({ url: 'https://example.org/' }), { action: 'deny' });
});

test('menu is installed', () => {
  const template = fake.recorded.menuTemplate as { label?: string; role?: string }[];
  assert.deepEqual(
    template.map((item) => item.label ?? item.role),
    process.platform === 'darwin' ? ['Fragility Lab', 'File', 'Edit', 'View', 'windowMenu', 'help'] : ['File', 'Edit', 'View', 'help'],
  );
});

test('log file is written', async () => {
  // The tests log at level warn, so a rejected call is what leaves a line.
  await fake.ipcMain.invoke(callChannel, { url: 'https://log-check.example.org/', parent: null }, 'studies-list', {});
  const logPath = join(folder, 'Fragility Lab', 'logs', 'fragility-lab.log');
  await waitFor(() => existsSync(logPath) && readFileSync(logPath, 'utf8').includes('log-check.example.org'), 'the log line');
  assert.match(readFileSync(logPath, 'utf8'), /warn {2}\[electron\] rejected an API call from https:\/\/log-check\.example\.org\//);
});

test('quit waits for the lab to close', async () => {
  const before = fake.recorded.quitCalls;
  fake.app.emit('window-all-closed');
  if (process.platform === 'darwin') return;
  await waitFor(() => fake.recorded.quitCalls === before + 2, 'the second quit after the lab closed');
  const afterClose = (await fake.ipcMain.invoke(callChannel, appFrame, 'studies-list', {})) as ApiResult<unknown>;
  assert.equal(afterClose.ok, false);
  assert.deepEqual(fake.recorded.errorBoxes, []);
  assert.deepEqual(fake.recorded.exitCodes, []);
});
