/**
 * Starts lab worker processes. The default launcher forks a Node process; the Electron shell
 * supplies one that starts an Electron `utilityProcess` with the same entry point.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostMessage, WorkerMessage } from './messages.js';

export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: HostMessage): void;
  onMessage(listener: (message: WorkerMessage) => void): void;
  /** Called once when the process ends, with its exit code or the signal that ended it. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export interface WorkerStartOptions {
  /** Variables added to the worker's environment (its GPU, its thread budget). */
  env?: Record<string, string>;
}

export type WorkerLauncher = (options?: WorkerStartOptions) => WorkerHandle;

/**
 * The worker's entry file: FRAGILITY_LAB_WORKER_ENTRY when set, else worker.js next to this file
 * once compiled, or worker.ts when the lab runs from its TypeScript sources (`tsx`), in which case
 * the worker gets tsx's loader too.
 */
export function workerEntry(): { path: string; execArgv: string[] } {
  // The test runner points this at the compiled worker, which starts in a third of the time.
  const fromEnvironment = process.env.FRAGILITY_LAB_WORKER_ENTRY;
  if (fromEnvironment) {
    if (!existsSync(fromEnvironment)) throw new Error(`FRAGILITY_LAB_WORKER_ENTRY names ${fromEnvironment}, which does not exist`);
    return { path: fromEnvironment, execArgv: fromEnvironment.endsWith('.ts') ? ['--import', 'tsx'] : [] };
  }
  const here = fileURLToPath(import.meta.url);
  const extension = here.endsWith('.ts') ? '.ts' : '.js';
  const path = here.replace(/launcher\.(ts|js)$/, `worker${extension}`);
  if (!existsSync(path)) throw new Error(`lab worker entry ${path} is missing; run "npm run build"`);
  return { path, execArgv: extension === '.ts' ? ['--import', 'tsx'] : [] };
}

/** Forks a worker as a Node child process with an IPC channel. */
export const forkWorker: WorkerLauncher = (options = {}) => {
  const entry = workerEntry();
  const child = fork(entry.path, [], {
    execArgv: entry.execArgv,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', (message) => listener(message as WorkerMessage)),
    onExit: (listener) => child.once('exit', (code, signal) => listener(code, signal)),
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
  };
};
