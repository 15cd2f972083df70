import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ApiResult, StudySummary } from '../../main/api/types.js';
import { createLabApp } from '../../main/server/labApp.js';
import { createEventBroadcaster, registerApiBridge } from '../../electron/bridge.js';
import { callChannel, eventChannel } from '../../electron/channels.js';
import { DesktopLab } from '../../electron/desktopLab.js';
import { tinySpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';
import { appFrame, FakeIpcMain, FakeWebContents, recordingLogger } from './fakes.js';

/** Creates a desktop lab over a fresh database, its bridge on a fake ipcMain, and one window's web contents. */
function setup() {
  const folder = tempDir();
  const log = recordingLogger();
  const window = new FakeWebContents();
  const targets = [window];
  const lab = new DesktopLab({
    createApp: (dbPath) => createLabApp({ dbPath, settingsPath: join(folder, 'settings.json'), workers: 1 }),
    dbPath: join(folder, 'lab.sqlite'),
    broadcast: createEventBroadcaster(() => targets, log),
    log,
  });
  const ipcMain = new FakeIpcMain();
  const dispose = registerApiBridge({ ipcMain, currentApp: () => lab.app, log });
  const call = (method: unknown, request: unknown, frame: { url: string; parent: unknown } | null = appFrame) => ipcMain.invoke(callChannel, frame, method, request) as Promise<ApiResult<unknown>>;
  return { folder, log, window, targets, lab, ipcMain, dispose, call };
}

test('valid call returns the value', async () => {
  const { call } = setup();
  assert.deepEqual(await call('studies-list', {}), { ok: true, value: [] });
  const created = await call('study-create', { spec: tinySpec() });
  assert.deepEqual(created, { ok: true, value: { studyId: 'tiny' } });
  const listed = await call('studies-list', {});
  assert.ok(listed.ok);
  assert.deepEqual((listed.value as StudySummary[]).map((study) => study.id), ['tiny']);
});

test('invalid payload is rejected by field', async () => {
  const { call } = setup();
  const result = await call('study-start', { studyId: 'tiny', workers: 0 });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.error.kind, 'invalid-input');
  assert.match(result.error.message, /Invalid study-start request/);
  assert.match(result.error.message, /workers/);
  assert.equal(result.error.field, 'workers');
});

test('payload of the wrong type is rejected', async () => {
  const { call } = setup();
  for (const payload of ['tiny', 42, [], { studyId: 'tiny', extra: true }]) {
    const result = await call('study-get', payload);
    assert.equal(result.ok, false, JSON.stringify(payload));
    assert.equal(!result.ok && result.error.kind, 'invalid-input', JSON.stringify(payload));
  }
});

test('unknown method is rejected', async () => {
  const { call, log } = setup();
  assert.deepEqual(await call('study-explode', {}), { ok: false, error: { kind: 'not-found', message: 'Unknown API method "study-explode"' } });
  assert.deepEqual(await call('__proto__', {}), { ok: false, error: { kind: 'not-found', message: 'Unknown API method "__proto__"' } });
  assert.ok(log.lines.some((line) => line.level === 'warn' && line.message.includes('study-explode')));
});

test('method of the wrong type is rejected', async () => {
  const { call } = setup();
  for (const method of [undefined, null, 7, { method: 'studies-list' }]) {
    const result = await call(method, {});
    assert.equal(result.ok, false, String(method));
    if (!result.ok) {
      assert.equal(result.error.kind, 'invalid-input');
      assert.match(result.error.message, /the method must be a string/);
    }
  }
});

test('foreign frame calls are rejected', async () => {
  const { call, lab, log } = setup();
  const frames = [
    { url: 'https://example.org/', parent: null },
    { url: 'file:///work/main/dist/renderer/index.html', parent: null },
    { url: 'app://lab/index.html', parent: appFrame },
    null,
  ];
  for (const frame of frames) {
    const result = await call('study-create', { spec: tinySpec() }, frame);
    assert.equal(result.ok, false, JSON.stringify(frame));
    if (!result.ok) {
      assert.equal(result.error.kind, 'invalid-input');
      assert.match(result.error.message, /only the main frame of the Fragility Lab window may call the lab API/);
    }
  }
  assert.deepEqual(lab.app.host.listStudies(), []);
  assert.equal(log.lines.filter((line) => line.level === 'warn' && line.message.startsWith('rejected an API call')).length, frames.length);
});

test('host events reach the window', async () => {
  const { call, window } = setup();
  await call('study-create', { spec: tinySpec() });
  const events = window.sent.filter((message) => message.channel === eventChannel).map((message) => message.args);
  assert.deepEqual(events, [['studies-changed', {}]]);
});

test('events skip gone and foreign windows', async () => {
  const { call, window, targets } = setup();
  const closed = new FakeWebContents();
  closed.destroyed = true;
  const elsewhere = new FakeWebContents('https://example.org/');
  targets.push(closed, elsewhere);
  await call('study-create', { spec: tinySpec() });
  assert.equal(window.sent.length, 1);
  assert.deepEqual(closed.sent, []);
  assert.deepEqual(elsewhere.sent, []);
});

test('dispose removes the channel', async () => {
  const { ipcMain, dispose } = setup();
  assert.ok(ipcMain.handlers.has(callChannel));
  dispose();
  assert.equal(ipcMain.handlers.has(callChannel), false);
});

test('open database switches the host', async () => {
  const { call, lab, folder, window } = setup();
  await call('study-create', { spec: tinySpec() });
  const first = lab.app.host;
  const otherPath = join(folder, 'other.sqlite');

  assert.equal(await lab.openDatabase(otherPath), true);
  assert.equal(lab.dbPath, otherPath);
  assert.deepEqual(await call('studies-list', {}), { ok: true, value: [] });
  const settings = await call('settings-get', {});
  assert.ok(settings.ok);
  assert.equal((settings.value as { dbPath: string }).dbPath, otherPath);

  // The old host's events are no longer forwarded, the new host's are.
  window.sent = [];
  first.createStudy(tinySpec({ name: 'old-db' }));
  assert.equal(window.sent.length, 0);
  await call('study-create', { spec: tinySpec({ name: 'new-db' }) });
  assert.deepEqual(
    window.sent.map((message) => message.args),
    [['studies-changed', {}]],
  );
  assert.equal(await lab.openDatabase(otherPath), false);
});

test('unreadable database keeps the current one', async () => {
  const { lab, folder, call } = setup();
  await call('study-create', { spec: tinySpec() });
  const before = lab.dbPath;
  const notADatabase = join(folder, 'notes.sqlite');
  writeFileSync(notADatabase, 'these are notes, not a SQLite database '.repeat(200));
  await assert.rejects(lab.openDatabase(notADatabase), (error: Error & { kind?: string }) => {
    assert.equal(error.kind, 'storage');
    assert.match(error.message, /Opening the database .*notes\.sqlite failed/);
    return true;
  });
  assert.equal(lab.dbPath, before);
  const listed = await call('studies-list', {});
  assert.ok(listed.ok);
  assert.equal((listed.value as StudySummary[]).length, 1);
});

test('calls after close are refused', async () => {
  const { lab, call } = setup();
  await lab.close();
  const result = await call('studies-list', {});
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.error.kind, 'unsupported');
    assert.match(result.error.message, /shutting down/);
  }
});
