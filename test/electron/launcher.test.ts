import assert from 'node:assert/strict';
import { fork as forkChild } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { StudyProgressEvent } from '../../main/api/types.js';
import { createLabApp } from '../../main/server/labApp.js';
import type { WorkerMessage } from '../../main/studies/messages.js';
import { eventChannel } from '../../electron/channels.js';
import { createEventBroadcaster } from '../../electron/bridge.js';
import { DesktopLab } from '../../electron/desktopLab.js';
import { createUtilityProcessLauncher, forwardLines, type UtilityForkOptions, type UtilityProcessLike } from '../../electron/launcher.js';
import { tinySpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';
import { FakeWebContents, recordingLogger } from './fakes.js';

/** A utility process as Electron's `utilityProcess.fork` returns it, driven by the test. */
class FakeUtilityProcess extends EventEmitter implements UtilityProcessLike {
  pid: number | undefined = undefined;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  posted: unknown[] = [];
  killCalls = 0;

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: UtilityForkOptions,
  ) {
    super();
  }

  postMessage(message: unknown): void {
    this.posted.push(message);
  }

  kill(): boolean {
    if (this.pid === undefined) return false;
    this.killCalls += 1;
    return true;
  }

  spawn(pid: number): void {
    this.pid = pid;
    this.emit('spawn');
  }

  exit(code: number): void {
    this.pid = undefined;
    this.emit('exit', code);
  }
}

function setup() {
  const children: FakeUtilityProcess[] = [];
  const signals: { pid: number; signal: string }[] = [];
  const log = recordingLogger();
  const launcher = createUtilityProcessLauncher({
    fork: (modulePath, args, options) => {
      const child = new FakeUtilityProcess(modulePath, args, options);
      children.push(child);
      return child;
    },
    entry: () => ({ path: '/app/dist/main/studies/worker.js', execArgv: [] }),
    killProcess: (pid, signal) => signals.push({ pid, signal }),
    log,
  });
  return { launcher, children, signals, log };
}

test('fork gets the worker entry and options', () => {
  const { launcher, children } = setup();
  launcher();
  launcher({ env: { CUDA_VISIBLE_DEVICES: '1' } });
  assert.equal(children.length, 2);
  const [first, second] = children;
  assert.equal(first!.modulePath, '/app/dist/main/studies/worker.js');
  assert.deepEqual(first!.args, []);
  assert.equal(first!.options.serviceName, 'Fragility Lab worker 1');
  assert.deepEqual(first!.options.execArgv, []);
  assert.deepEqual(first!.options.stdio, ['ignore', 'pipe', 'pipe']);
  assert.equal(second!.options.serviceName, 'Fragility Lab worker 2');
});

test('worker environment adds host variables', () => {
  const { launcher, children } = setup();
  launcher();
  launcher({ env: { CUDA_VISIBLE_DEVICES: '1', FRAGILITY_LAB_BACKEND: 'wasm' } });
  const [first, second] = children;
  assert.equal(first!.options.env.PATH, process.env.PATH);
  assert.equal(first!.options.env.CUDA_VISIBLE_DEVICES, process.env.CUDA_VISIBLE_DEVICES);
  assert.equal(second!.options.env.PATH, process.env.PATH);
  assert.equal(second!.options.env.CUDA_VISIBLE_DEVICES, '1');
  assert.equal(second!.options.env.FRAGILITY_LAB_BACKEND, 'wasm');
});

test('default entry is the engine worker', () => {
  let forkedPath = '';
  let forkedArgv: string[] = [];
  const launcher = createUtilityProcessLauncher({
    fork: (modulePath, args, options) => {
      forkedPath = modulePath;
      forkedArgv = options.execArgv;
      return new FakeUtilityProcess(modulePath, args, options);
    },
    log: recordingLogger(),
  });
  const previous = process.env.FRAGILITY_LAB_WORKER_ENTRY;
  // The test runner points the entry at the compiled worker; without it, the sources' entry is used.
  delete process.env.FRAGILITY_LAB_WORKER_ENTRY;
  try {
    launcher();
  } finally {
    if (previous !== undefined) process.env.FRAGILITY_LAB_WORKER_ENTRY = previous;
  }
  // Run from the TypeScript sources, the entry is worker.ts with tsx's loader.
  assert.match(forkedPath, /main[\\/]studies[\\/]worker\.ts$/);
  assert.deepEqual(forkedArgv, ['--import', 'tsx']);
});

test('messages pass both ways', () => {
  const { launcher, children } = setup();
  const handle = launcher();
  const child = children[0]!;
  const received: WorkerMessage[] = [];
  handle.onMessage((message) => received.push(message));

  // Sent before the spawn: Electron queues it, so the adapter passes it on at once.
  handle.send({ type: 'init', dbPath: '/tmp/lab.sqlite', backend: 'wasm' });
  child.spawn(4242);
  assert.equal(handle.pid, 4242);
  child.emit('message', { type: 'ready', backend: { name: 'wasm', device: 'cpu', versions: {}, fallbackReasons: [] } });
  handle.send({ type: 'shutdown' });

  assert.deepEqual(child.posted, [{ type: 'init', dbPath: '/tmp/lab.sqlite', backend: 'wasm' }, { type: 'shutdown' }]);
  assert.deepEqual(received.map((message) => message.type), ['ready']);
});

test('exit reports the code', async () => {
  const { launcher, children } = setup();
  const handle = launcher();
  const exits: [number | null, string | null][] = [];
  handle.onExit((code, signal) => exits.push([code, signal]));
  children[0]!.spawn(17);
  children[0]!.exit(3);
  assert.deepEqual(exits, [[3, null]]);

  // A listener registered after the exit is still called, once.
  handle.onExit((code, signal) => exits.push([code, signal]));
  await Promise.resolve();
  assert.deepEqual(exits, [[3, null], [3, null]]);

  handle.send({ type: 'shutdown' });
  assert.deepEqual(children[0]!.posted, []);
});

test('SIGTERM uses kill, SIGKILL the pid', () => {
  const { launcher, children, signals } = setup();
  const handle = launcher();
  const child = children[0]!;
  child.spawn(99);
  handle.kill();
  assert.equal(child.killCalls, 1);
  assert.deepEqual(signals, []);

  handle.kill('SIGKILL');
  assert.deepEqual(signals, [{ pid: 99, signal: 'SIGKILL' }]);
  const exits: [number | null, string | null][] = [];
  handle.onExit((code, signal) => exits.push([code, signal]));
  child.exit(9);
  assert.deepEqual(exits, [[9, 'SIGKILL']]);

  handle.kill('SIGKILL');
  assert.equal(signals.length, 1);
});

test('kill before spawn waits for it', () => {
  const { launcher, children, signals } = setup();
  const handle = launcher();
  handle.kill('SIGKILL');
  assert.deepEqual(signals, []);
  children[0]!.spawn(512);
  assert.deepEqual(signals, [{ pid: 512, signal: 'SIGKILL' }]);
});

test('ended process is not signalled', () => {
  const children: FakeUtilityProcess[] = [];
  const launcher = createUtilityProcessLauncher({
    fork: (modulePath, args, options) => {
      const child = new FakeUtilityProcess(modulePath, args, options);
      children.push(child);
      return child;
    },
    entry: () => ({ path: '/app/worker.js', execArgv: [] }),
    killProcess: () => {
      throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    },
    log: recordingLogger(),
  });
  const handle = launcher();
  children[0]!.spawn(31);
  assert.doesNotThrow(() => handle.kill('SIGKILL'));
});

test('worker output goes to the log', async () => {
  const { launcher, children, log } = setup();
  launcher();
  const child = children[0]!;
  child.spawn(7);
  child.stdout.write('first line\nsecond ');
  child.stdout.write('line\r\n\n');
  child.stderr.write('W tensorflow warning\n');
  child.stdout.end('tail without newline');
  await new Promise((resolve) => setImmediate(resolve));
  const output = log.lines.filter((line) => line.message.startsWith('Fragility Lab worker 1: '));
  assert.deepEqual(
    output.map((line) => [line.level, line.message.slice('Fragility Lab worker 1: '.length)]),
    [
      ['info', 'first line'],
      ['info', 'second line'],
      ['warn', 'W tensorflow warning'],
      ['info', 'tail without newline'],
    ],
  );
});

test('overlong line is cut', async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  forwardLines(stream, (line) => lines.push(line));
  stream.write('x'.repeat(20_000));
  stream.end('y\n');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((line) => line.length),
    [20_000, 1],
  );
});

test('fatal error is logged', () => {
  const { launcher, children, log } = setup();
  launcher();
  children[0]!.emit('error', 'FatalError', 'v8::ToLocalChecked Empty MaybeLocal', '{}');
  assert.ok(log.lines.some((line) => line.level === 'error' && line.message.includes('FatalError')));
});

/**
 * Electron's utility process emulated with a Node child process, for a run of the real worker:
 * the message, spawn and exit events, postMessage and the piped output behave as Electron's do.
 */
function emulatedUtilityProcess(modulePath: string, args: string[], options: UtilityForkOptions): UtilityProcessLike {
  const emitter = new EventEmitter();
  const child = forkChild(modulePath, args, { execArgv: options.execArgv, env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
  child.on('spawn', () => emitter.emit('spawn'));
  child.on('message', (message) => emitter.emit('message', message));
  child.on('exit', (code) => emitter.emit('exit', code ?? 1));
  return Object.assign(emitter, {
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    stdout: child.stdout,
    stderr: child.stderr,
    postMessage: (message: unknown) => {
      if (child.connected) child.send(message as never);
    },
    kill: () => child.kill(),
  });
}

test('study runs in utility workers', { timeout: 180_000 }, async () => {
  const folder = tempDir();
  const log = recordingLogger();
  const window = new FakeWebContents();
  const launcher = createUtilityProcessLauncher({ fork: emulatedUtilityProcess, log });
  const lab = new DesktopLab({
    createApp: (dbPath) => createLabApp({ dbPath, settingsPath: join(folder, 'settings.json'), workers: 1, launcher }),
    dbPath: join(folder, 'lab.sqlite'),
    broadcast: createEventBroadcaster(() => [window], log),
    log,
  });
  const { host } = lab.app;
  host.updateSettings({ backend: 'cpu' });
  host.createStudy(tinySpec({ trainSizes: [64], seeds: [0], training: { optimizer: 'sgd', learningRate: 0.1, batchSize: 32, maxEpochs: 3 }, measures: { ids: ['param_norm'] } }));
  host.startStudy('tiny', 1);
  assert.deepEqual(lab.activeStudies(), ['tiny']);
  await host.settle('tiny');

  const progress = window.sent
    .filter((message) => message.channel === eventChannel && message.args[0] === 'study-progress')
    .map((message) => (message.args[1] as { event: StudyProgressEvent }).event);
  const types = progress.map((event) => event.type);
  assert.ok(types.includes('worker-ready'), types.join(', '));
  assert.ok(types.includes('run-finished'), types.join(', '));
  const finished = progress.find((event) => event.type === 'study-finished');
  assert.deepEqual(finished, { type: 'study-finished', finished: 1, failed: 0, total: 1, cancelled: false });
  assert.equal(host.studyRuns('tiny')[0]?.status === 'failed', false);
  assert.deepEqual(lab.activeStudies(), []);
  await lab.close();
});
