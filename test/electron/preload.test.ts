import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import type { LabApiClient } from '../../main/api/types.js';
import { callChannel, eventChannel } from '../../electron/channels.js';
import { createDesktopLabClient, exposeLabApi, exposedApiKey } from '../../electron/preloadApi.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

/** A fake ipcRenderer: `invoke` resolves with what `respond` returns, and `emitEvent` pushes an event as main does. */
class FakeIpcRenderer extends EventEmitter {
  invocations: unknown[][] = [];
  respond: (method: unknown, request: unknown) => Promise<unknown> = () => Promise.resolve({ ok: true, value: null });

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invocations.push([channel, ...args]);
    return this.respond(args[0], args[1]);
  }

  emitEvent(name: string, payload: unknown): void {
    this.emit(eventChannel, { sender: 'ipc event object' }, name, payload);
  }
}

class FakeContextBridge {
  exposed: { key: string; api: Record<string, unknown> }[] = [];
  exposeInMainWorld(key: string, api: Record<string, unknown>): void {
    this.exposed.push({ key, api });
  }
}

test('exposes exactly one object with call and on', () => {
  const bridge = new FakeContextBridge();
  exposeLabApi(bridge, new FakeIpcRenderer());
  assert.equal(bridge.exposed.length, 1);
  const [{ key, api }] = bridge.exposed as [{ key: string; api: Record<string, unknown> }];
  assert.equal(key, 'fragilityLab');
  assert.equal(exposedApiKey, 'fragilityLab');
  assert.deepEqual(Object.keys(api).sort(), ['call', 'on']);
  assert.equal(typeof api.call, 'function');
  assert.equal(typeof api.on, 'function');
});

test('client satisfies LabApiClient', () => {
  const client: LabApiClient = createDesktopLabClient(new FakeIpcRenderer());
  assert.equal(typeof client.call, 'function');
  assert.ok(Object.isFrozen(client));
});

test('call sends method and request', async () => {
  const ipc = new FakeIpcRenderer();
  ipc.respond = () => Promise.resolve({ ok: true, value: [{ id: 'tiny' }] });
  const client = createDesktopLabClient(ipc);
  const studies = await client.call('studies-list', {});
  assert.deepEqual(studies, [{ id: 'tiny' }]);
  assert.deepEqual(ipc.invocations, [[callChannel, 'studies-list', {}]]);
});

test('call rejects with the error data', async () => {
  const ipc = new FakeIpcRenderer();
  const error = { kind: 'invalid-input', message: 'Invalid study-start request:\n  - workers: 0 is below 1', field: 'workers' };
  ipc.respond = () => Promise.resolve({ ok: false, error });
  const client = createDesktopLabClient(ipc);
  await assert.rejects(client.call('study-start', { studyId: 'tiny', workers: 0 }), (reason: unknown) => {
    assert.deepEqual(reason, error);
    assert.equal(reason instanceof Error, false);
    return true;
  });
});

test('failed invoke becomes internal error data', async () => {
  const ipc = new FakeIpcRenderer();
  ipc.respond = () => Promise.reject(new Error("Error invoking remote method 'fragility-lab:call': An object could not be cloned."));
  const client = createDesktopLabClient(ipc);
  await assert.rejects(client.call('study-get', { studyId: 'tiny' }), (reason: unknown) => {
    assert.equal((reason as { kind: string }).kind, 'internal');
    assert.match((reason as { message: string }).message, /The study-get call did not reach the lab: .*could not be cloned/);
    return true;
  });
});

test('malformed response becomes internal error data', async () => {
  const ipc = new FakeIpcRenderer();
  for (const response of [undefined, 'ok', { ok: 'yes' }, { ok: false }]) {
    ipc.respond = () => Promise.resolve(response);
    const client = createDesktopLabClient(ipc);
    await assert.rejects(client.call('studies-list', {}), (reason: unknown) => {
      assert.equal((reason as { kind: string }).kind, 'internal');
      assert.match((reason as { message: string }).message, /not an API result/);
      return true;
    });
  }
});

test('on delivers the payload only', () => {
  const ipc = new FakeIpcRenderer();
  const client = createDesktopLabClient(ipc);
  const received: unknown[][] = [];
  const unsubscribe = client.on('study-progress', (...args: unknown[]) => received.push(args));
  const payload = { studyId: 'tiny', event: { type: 'state', state: 'running' } };
  ipc.emitEvent('study-progress', payload);
  ipc.emitEvent('studies-changed', {});
  assert.deepEqual(received, [[payload]]);

  unsubscribe();
  unsubscribe();
  ipc.emitEvent('study-progress', payload);
  assert.equal(received.length, 1);
});

test('menu commands reach subscribers', () => {
  const ipc = new FakeIpcRenderer();
  const client = createDesktopLabClient(ipc);
  const commands: unknown[] = [];
  client.on('menu-command', (payload) => commands.push(payload.command));
  ipc.emitEvent('menu-command', { command: 'export-report' });
  assert.deepEqual(commands, ['export-report']);
});

test('unknown events are ignored or rejected', () => {
  const ipc = new FakeIpcRenderer();
  const client = createDesktopLabClient(ipc);
  assert.throws(() => client.on('run-everything' as never, () => undefined), /Unknown lab event "run-everything"; the events are study-progress, studies-changed, menu-command/);
  assert.throws(() => client.on('studies-changed', 'not a function' as never), /must be a function/);
  const received: unknown[] = [];
  client.on('studies-changed', (payload) => received.push(payload));
  ipc.emitEvent('not-an-event', {});
  assert.deepEqual(received, []);
});

test('throwing listener does not stop others', () => {
  const ipc = new FakeIpcRenderer();
  const reported: unknown[] = [];
  const client = createDesktopLabClient(ipc, (error) => reported.push(error));
  const received: string[] = [];
  client.on('studies-changed', () => {
    throw new Error('listener bug');
  });
  client.on('studies-changed', () => received.push('second'));
  ipc.emitEvent('studies-changed', {});
  assert.deepEqual(received, ['second']);
  assert.equal((reported[0] as Error).message, 'listener bug');
});

/** Runs the preload's esbuild step from package.json with the output in a temporary folder. */
function buildPreload(): string {
  const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = packageJson.scripts['build:electron'] ?? '';
  const command = script
    .split('&&')
    .map((part) => part.trim())
    .find((part) => part.startsWith('esbuild '));
  assert.ok(command !== undefined, `build:electron has no esbuild step: ${script}`);
  const outfile = join(tempDir(), 'preload.cjs');
  const args = command
    .split(/\s+/)
    .slice(1)
    .map((arg) => (arg.startsWith('--outfile=') ? `--outfile=${outfile}` : arg));
  const result = spawnSync(join(repoRoot, 'node_modules', '.bin', 'esbuild'), args, { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return readFileSync(outfile, 'utf8');
}

test('preload bundle is one CommonJS script', () => {
  const code = buildPreload();
  const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((match) => match[1]);
  assert.deepEqual(required, ['electron']);
  assert.doesNotMatch(code, /^\s*(import|export)\s/m);

  // Run it as the sandbox would, with electron's two objects only.
  const bridge = new FakeContextBridge();
  const ipc = new FakeIpcRenderer();
  runInNewContext(code, {
    require: (name: string) => {
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return { contextBridge: bridge, ipcRenderer: ipc };
    },
    queueMicrotask,
  });
  assert.equal(bridge.exposed.length, 1);
  assert.equal(bridge.exposed[0]?.key, 'fragilityLab');
  assert.deepEqual(Object.keys(bridge.exposed[0]!.api).sort(), ['call', 'on']);
  assert.equal(ipc.listenerCount(eventChannel), 1);
});
