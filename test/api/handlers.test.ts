import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHandlers, handleApiCall } from '../../main/api/handlers.js';
import { LabHost } from '../../main/api/host.js';
import { requestSchemas } from '../../main/api/schemas.js';
import type { LabApiMethod } from '../../main/api/types.js';
import { tinySpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';

function setup() {
  const folder = tempDir();
  const host = new LabHost({ dbPath: join(folder, 'lab.sqlite'), settingsPath: join(folder, 'settings.json'), workers: 1 });
  return { host, handlers: createHandlers() };
}

/** One invalid payload per method: a wrong type or an unknown key. */
const invalidPayloads: Record<LabApiMethod, unknown> = {
  'studies-list': { extra: 1 },
  'study-get': { studyId: 42 },
  'study-check': { spec: {}, extra: true },
  'study-create': 'not an object',
  'study-duplicate': { studyId: 'a' },
  'study-delete': {},
  'study-start': { studyId: 'a', workers: 0 },
  'study-pause': { studyId: '' },
  'study-resume': [],
  'study-cancel': { studyId: null },
  'study-runs': { studyId: 'x'.repeat(500) },
  'study-results': { study: 'a' },
  'studies-compare': { studyIds: ['only-one'] },
  'run-get': { runId: '../etc/passwd' },
  'report-export': { studyId: 'a', format: 'docx' },
  'templates-list': { x: 1 },
  'measures-list': 7,
  'datasets-list': { folders: ['/'] },
  'settings-get': { token: 'x' },
  'settings-update': { workers: -1 },
  'network-audit': { modelDir: '/m' },
  'run-rescale': { runId: 'not-hex', factor: 2 },
};

test('every handler rejects an invalid payload', async () => {
  const { host, handlers } = setup();
  for (const method of Object.keys(requestSchemas) as LabApiMethod[]) {
    const result = await handleApiCall(host, handlers, method, invalidPayloads[method]);
    assert.equal(result.ok, false, method);
    if (!result.ok) {
      assert.equal(result.error.kind, 'invalid-input', method);
      assert.match(result.error.message, new RegExp(`Invalid ${method} request`), method);
    }
  }
});

test('unknown method is rejected by name', async () => {
  const { host, handlers } = setup();
  const result = await handleApiCall(host, handlers, 'study-explode', {});
  assert.deepEqual(result, { ok: false, error: { kind: 'not-found', message: 'Unknown API method "study-explode"' } });
});

test('invalid spec is reported field by field', async () => {
  const { host, handlers } = setup();
  const check = await handleApiCall(host, handlers, 'study-check', { spec: { ...tinySpec(), training: { learningRate: -1 } } });
  assert.ok(check.ok);
  const value = check.value as { valid: boolean; problems: { field: string; message: string }[] };
  assert.equal(value.valid, false);
  assert.deepEqual(value.problems.map((problem) => problem.field), ['training.learningRate']);
  const create = await handleApiCall(host, handlers, 'study-create', { spec: { ...tinySpec(), training: { learningRate: -1 } } });
  assert.equal(create.ok, false);
  assert.deepEqual(host.listStudies(), []);
});

test('study lifecycle through handlers', async () => {
  const { host, handlers } = setup();
  const check = await handleApiCall(host, handlers, 'study-check', { spec: tinySpec() });
  assert.ok(check.ok && (check.value as { runCount: number }).runCount === 4);
  const created = await handleApiCall(host, handlers, 'study-create', { spec: tinySpec() });
  assert.deepEqual(created, { ok: true, value: { studyId: 'tiny' } });
  const listed = await handleApiCall(host, handlers, 'studies-list', {});
  assert.ok(listed.ok);
  assert.equal((listed.value as { id: string; total: number }[])[0]?.total, 4);
  const copy = await handleApiCall(host, handlers, 'study-duplicate', { studyId: 'tiny', name: 'tiny copy' });
  assert.deepEqual(copy, { ok: true, value: { studyId: 'tiny-copy' } });
  const again = await handleApiCall(host, handlers, 'study-duplicate', { studyId: 'tiny', name: 'tiny copy' });
  assert.equal(again.ok, false);
  const runs = await handleApiCall(host, handlers, 'study-runs', { studyId: 'tiny' });
  assert.ok(runs.ok && (runs.value as unknown[]).length === 4);
  const removed = await handleApiCall(host, handlers, 'study-delete', { studyId: 'tiny-copy' });
  assert.deepEqual(removed, { ok: true, value: {} });
  const missing = await handleApiCall(host, handlers, 'study-get', { studyId: 'tiny-copy' });
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.equal(missing.error.kind, 'not-found');
});

test('pausing an idle study is rejected', async () => {
  const { host, handlers } = setup();
  await handleApiCall(host, handlers, 'study-create', { spec: tinySpec() });
  const result = await handleApiCall(host, handlers, 'study-pause', { studyId: 'tiny' });
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.error.message, /is not running/);
});

test('settings persist in the settings file', async () => {
  const folder = tempDir();
  const first = new LabHost({ dbPath: join(folder, 'lab.sqlite'), settingsPath: join(folder, 'settings.json') });
  first.updateSettings({ dataFolders: ['/data/mnist'], workers: 3 });
  const second = new LabHost({ dbPath: join(folder, 'lab.sqlite'), settingsPath: join(folder, 'settings.json') });
  assert.deepEqual(second.getSettings().dataFolders, ['/data/mnist']);
  assert.equal(second.getSettings().workers, 3);
});

test('templates are valid specs', async () => {
  const { host, handlers } = setup();
  const templates = await handleApiCall(host, handlers, 'templates-list', {});
  assert.ok(templates.ok);
  for (const template of templates.value as { id: string; spec: unknown }[]) {
    const check = host.checkSpec(template.spec);
    assert.equal(check.valid, true, `${template.id}: ${JSON.stringify(check.problems)}`);
  }
});

test('measures and datasets are listed', async () => {
  const { host, handlers } = setup();
  const measures = await handleApiCall(host, handlers, 'measures-list', {});
  assert.ok(measures.ok && (measures.value as { id: string }[]).some((measure) => measure.id === 'path_norm'));
  const datasets = await handleApiCall(host, handlers, 'datasets-list', {});
  assert.ok(datasets.ok && (datasets.value as { embedded: boolean }[]).some((dataset) => dataset.embedded));
});

test('creating a study with a taken id needs replace', async () => {
  const { host, handlers } = setup();
  await handleApiCall(host, handlers, 'study-create', { spec: tinySpec() });
  const again = await handleApiCall(host, handlers, 'study-create', { spec: tinySpec({ seeds: [0, 1, 2] }) });
  assert.equal(again.ok, false);
  if (!again.ok) assert.match(again.error.message, /A study with id "tiny" exists already; choose another name, or save with replace/);
  assert.equal(host.studyRuns('tiny').length, 4);
  const replaced = await handleApiCall(host, handlers, 'study-create', { spec: tinySpec({ seeds: [0, 1, 2] }), replace: true });
  assert.ok(replaced.ok);
  assert.equal(host.studyRuns('tiny').length, 6);
});
