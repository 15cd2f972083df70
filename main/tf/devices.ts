/**
 * How many lab workers a study uses by default, and what each one computes on: one worker per GPU
 * when the native GPU package is installed and GPUs are present, else one per CPU core.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);

/** NVIDIA GPUs visible to this process: /dev/nvidia0, /dev/nvidia1, ... (Linux only). */
export function countNvidiaGpus(): number {
  try {
    return readdirSync('/dev').filter((name) => /^nvidia\d+$/.test(name)).length;
  } catch {
    return 0;
  }
}

function isInstalled(packageName: string): boolean {
  try {
    require.resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

export interface WorkerPlan {
  workers: number;
  /** Environment of worker i (0-based): its GPU, or its share of the CPU threads. */
  envFor(index: number): Record<string, string>;
  description: string;
}

/**
 * The worker plan for a backend request. GPU workers each see one device (CUDA_VISIBLE_DEVICES);
 * CPU workers split the cores between them. FRAGILITY_LAB_THREADS caps the threads of a worker's
 * own parallel work (matrix products, the bound's linear algebra). Each worker gets its share
 * floor(cores / workers), or the host's FRAGILITY_LAB_THREADS where that is lower.
 */
export function planWorkers(backend: string, requestedWorkers?: number): WorkerPlan {
  const gpus = backend === 'wasm' || backend === 'cpu' || !isInstalled('@tensorflow/tfjs-node-gpu') ? 0 : countNvidiaGpus();
  const cores = Math.max(1, cpus().length);
  const threadsFor = (workers: number) => String(Math.min(threadCap(), Math.max(1, Math.floor(cores / workers))));
  if (gpus > 0) {
    const workers = requestedWorkers ?? gpus;
    return {
      workers,
      envFor: (index) => ({ CUDA_VISIBLE_DEVICES: String(index % gpus), FRAGILITY_LAB_THREADS: threadsFor(workers) }),
      description: `${workers} worker(s) on ${gpus} GPU(s)`,
    };
  }
  const workers = requestedWorkers ?? cores;
  return {
    workers,
    envFor: () => ({ FRAGILITY_LAB_THREADS: threadsFor(workers) }),
    description: `${workers} worker(s) on ${cores} CPU core(s)`,
  };
}

/** Returns FRAGILITY_LAB_THREADS where it is a positive integer, else Infinity (no cap). */
function threadCap(): number {
  const value = Number(process.env.FRAGILITY_LAB_THREADS);
  return Number.isInteger(value) && value >= 1 ? value : Number.POSITIVE_INFINITY;
}

/** Threads this process may use for its own parallel work: FRAGILITY_LAB_THREADS, else every core. */
export function threadBudget(): number {
  const cap = threadCap();
  return Number.isFinite(cap) ? cap : Math.max(1, cpus().length);
}
