/**
 * The executors of linear-algebra tasks. The JavaScript kernels run inline on the calling thread
 * or on a pool of worker_threads over SharedArrayBuffer memory. The native addon's kernels run
 * through the executor of `nativeExecutor.ts`. Under tsx the two workers of a pool took 0.5 s to
 * start (bench/bounds/run.ts, m = 1,000), so small problems run inline.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Executor, LinalgTask } from './linalg.js';
import { linalgOps } from './linalgOps.js';
import { createNativeExecutor } from './nativeExecutor.js';
import { type LinalgChoice, readLinalgChoice, selectLinalg } from './nativeLinalg.js';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';

const log = createLogger('bounds');

/** Runs every task on the calling thread, one after another. */
export function createInlineExecutor(): Executor {
  return {
    backend: 'js',
    parallelism: 1,
    threads: 1,
    async run(tasks) {
      for (const task of tasks) runTask(task);
    },
    allocate: (length) => new Float64Array(length),
  };
}

/** Calls the operation a task names. */
export function runTask(task: LinalgTask): void {
  const operation = linalgOps[task.op] as (...args: readonly unknown[]) => void;
  operation(...task.args);
}

/**
 * Returns the worker's entry module. Compiled builds run linalgWorker.js directly. Running from the .ts
 * sources (tests, benchmarks, tsx), the worker first registers tsx's loader, because Node 20 does
 * not pass the main thread's module hooks on to worker threads.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./linalgWorker.js', import.meta.url);
  const loader = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./linalgWorker.ts', import.meta.url).href;
  const source = `import { register } from ${JSON.stringify(loader)};\nregister();\nawait import(${JSON.stringify(worker)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

interface PendingTask {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface WorkerReply {
  id: number;
  error?: string;
}

/** A fixed set of worker threads that run `linalgOps` tasks on shared memory. */
export class WorkerPool implements Executor {
  readonly backend = 'js';
  readonly parallelism: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ id: number; task: LinalgTask }> = [];
  private readonly pending = new Map<number, PendingTask>();
  private readonly running = new Map<Worker, number>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(workerCount: number) {
    if (!Number.isInteger(workerCount) || workerCount < 1) {
      throw new LabError('invalid-input', `workers is ${workerCount}; it must be a positive integer`, { field: 'workers' });
    }
    this.parallelism = workerCount;
    const entry = workerEntry();
    for (let index = 0; index < workerCount; index++) {
      const worker = new Worker(entry);
      worker.on('message', (reply: WorkerReply) => this.onReply(worker, reply));
      worker.on('error', (error) => this.onWorkerFailure(new LabError('internal', `A linear-algebra worker failed: ${error.message}`, { cause: error })));
      worker.on('exit', (code) => {
        if (code !== 0 || this.running.has(worker)) this.onWorkerFailure(new LabError('internal', `A linear-algebra worker exited with code ${code}`));
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
    log.debug(`started ${workerCount} linear-algebra workers`);
  }

  allocate(length: number): Float64Array {
    return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
  }

  run(tasks: readonly LinalgTask[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const done = tasks.map(
      (task) =>
        new Promise<void>((resolve, reject) => {
          const id = this.nextId++;
          this.pending.set(id, { resolve, reject });
          this.queue.push({ id, task });
        }),
    );
    this.dispatch();
    return Promise.all(done).then(() => undefined);
  }

  /** Stops the workers; tasks still queued or running are rejected. */
  async close(): Promise<void> {
    this.onWorkerFailure(new LabError('cancelled', 'The linear-algebra worker pool was closed'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  get threads(): number {
    return this.parallelism;
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const { id, task } = this.queue.shift()!;
      this.running.set(worker, id);
      worker.postMessage({ id, op: task.op, args: task.args });
    }
  }

  private onReply(worker: Worker, reply: WorkerReply): void {
    this.running.delete(worker);
    this.idle.push(worker);
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.error === undefined) pending?.resolve();
    else pending?.reject(new LabError('internal', `A linear-algebra task failed in a worker: ${reply.error}`));
    this.dispatch();
  }

  private onWorkerFailure(error: Error): void {
    this.failure ??= error;
    this.queue.length = 0;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}

/**
 * Problems smaller than this run inline, because a pool's start-up costs more than it saves.
 * NOTE: an estimate from the O(m^3) work (about 0.1 s at m = 400 on one core). On the development
 * machine, whose two cores other jobs kept busy, m = 512 took 3.7 s inline and 4.9 s on two workers.
 */
export const poolThreshold = 400;

/**
 * Returns the number of threads `createExecutor(m, workers, 'js')` runs: 1 below `poolThreshold`,
 * else `workers` (default: the available cores).
 */
export function plannedParallelism(m: number, workers?: number): number {
  const count = workers ?? availableParallelism();
  return m < poolThreshold ? 1 : count;
}

/**
 * Creates the executor for an m x m problem. `linalg` (default: FRAGILITY_LAB_LINALG, else auto)
 * picks the kernels: the native executor with `workers` threads (default: the available cores)
 * when the addon loads, else the JavaScript kernels, inline below `poolThreshold` or with one
 * worker, or on a pool of `workers` threads. The caller closes it with `closeExecutor`.
 */
export function createExecutor(m: number, workers?: number, linalg: LinalgChoice = readLinalgChoice()): Executor {
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) {
    throw new LabError('invalid-input', `workers is ${workers}; it must be a positive integer`, { field: 'workers' });
  }
  const selection = selectLinalg(linalg);
  if (selection.backend === 'native') return createNativeExecutor(selection.addon, workers ?? availableParallelism());
  const count = plannedParallelism(m, workers);
  return count <= 1 ? createInlineExecutor() : new WorkerPool(count);
}

export async function closeExecutor(executor: Executor): Promise<void> {
  if (executor instanceof WorkerPool) await executor.close();
}
