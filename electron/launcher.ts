/**
 * Starts lab workers as Electron utility processes, behind the engine's WorkerLauncher interface.
 * The entry file is the same as for `child_process.fork` (`workerEntry()`); the worker talks to
 * its host through `process.parentPort` there. Differences from a forked Node process that this
 * adapter hides:
 *
 * - messages go through `postMessage` (structured clone, like fork's advanced serialization);
 *   Electron queues the ones sent before the process has spawned;
 * - `kill()` takes no signal and does nothing before the spawn, so a kill asked for early is
 *   carried out on spawn, and SIGKILL is sent to the pid with `process.kill`;
 * - the exit event reports a code only, so the signal reported is the one this adapter sent;
 * - stdout and stderr are piped and written line by line through the logger, because a packaged
 *   app has no terminal to inherit them.
 */
import { workerEntry as defaultWorkerEntry, type WorkerHandle, type WorkerLauncher } from '../main/studies/launcher.js';
import type { WorkerMessage } from '../main/studies/messages.js';
import { createLogger, type Logger } from '../main/util/log.js';

/** The part of Electron's `UtilityProcess` the adapter uses. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  once(event: 'spawn', listener: () => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): unknown;
}

export interface UtilityForkOptions {
  serviceName: string;
  execArgv: string[];
  /** The parent's environment plus the variables the host requests (the worker's GPU, its threads). */
  env: Record<string, string | undefined>;
  stdio: ['ignore', 'pipe', 'pipe'];
}

/** Electron's `utilityProcess.fork`, narrowed to the options the adapter passes. */
export type UtilityFork = (modulePath: string, args: string[], options: UtilityForkOptions) => UtilityProcessLike;

export interface UtilityLauncherOptions {
  fork: UtilityFork;
  entry?: () => { path: string; execArgv: string[] };
  /** Sends a signal to a pid (`process.kill`). */
  killProcess?: (pid: number, signal: NodeJS.Signals) => void;
  log?: Logger;
}

/** Maximum length of a line of worker output, in characters; a longer one is written out in parts. */
const maxLineLength = 16_384;

/** Writes a stream's text through `write`, one call per line; the last partial line on end. */
export function forwardLines(stream: NodeJS.ReadableStream, write: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      if (line !== '') write(line);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    if (pending.length > maxLineLength) {
      write(pending);
      pending = '';
    }
  });
  stream.on('end', () => {
    if (pending !== '') write(pending);
    pending = '';
  });
}

/** Creates a launcher that starts each worker with `fork` (Electron's `utilityProcess.fork`). */
export function createUtilityProcessLauncher(options: UtilityLauncherOptions): WorkerLauncher {
  const entry = options.entry ?? defaultWorkerEntry;
  const killProcess = options.killProcess ?? ((pid, signal) => process.kill(pid, signal));
  const log = options.log ?? createLogger('worker-process');
  let started = 0;

  return (startOptions = {}): WorkerHandle => {
    started += 1;
    const serviceName = `Fragility Lab worker ${started}`;
    const { path, execArgv } = entry();
    const env = { ...process.env, ...startOptions.env };
    const child = options.fork(path, [], { serviceName, execArgv, env, stdio: ['ignore', 'pipe', 'pipe'] });

    let spawned = false;
    let exited = false;
    let exitCode: number | null = null;
    let sentSignal: NodeJS.Signals | null = null;
    let killOnSpawn: NodeJS.Signals | null = null;

    const deliver = (signal: NodeJS.Signals): void => {
      sentSignal = signal;
      const pid = child.pid;
      if (signal === 'SIGTERM' || pid === undefined) {
        child.kill();
        return;
      }
      try {
        killProcess(pid, signal);
      } catch (error) {
        // ESRCH: the process ended between the exit check and the signal.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    };

    child.once('spawn', () => {
      spawned = true;
      log.debug(`${serviceName} started with pid ${child.pid ?? 'unknown'}`);
      if (killOnSpawn !== null) deliver(killOnSpawn);
    });
    child.once('exit', (code) => {
      exited = true;
      exitCode = code;
      log.debug(`${serviceName} exited with code ${code}`);
    });
    child.on('error', (type, location) => {
      log.error(`${serviceName} hit a ${type} at ${location}`);
    });
    if (child.stdout !== null) forwardLines(child.stdout, (line) => log.info(`${serviceName}: ${line}`));
    if (child.stderr !== null) forwardLines(child.stderr, (line) => log.warn(`${serviceName}: ${line}`));

    return {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => {
        child.on('message', (message) => listener(message as WorkerMessage));
      },
      onExit: (listener) => {
        if (exited) queueMicrotask(() => listener(exitCode, sentSignal));
        else child.once('exit', (code) => listener(code, sentSignal));
      },
      kill: (signal = 'SIGTERM') => {
        if (exited) return;
        if (!spawned) {
          killOnSpawn = signal;
          return;
        }
        deliver(signal);
      },
    };
  };
}
