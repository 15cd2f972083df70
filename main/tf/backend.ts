/**
 * Chooses the TensorFlow.js backend when a worker starts, and reports which one runs and why.
 *
 * Order: the native `tensorflow` backend (`@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`)
 * when installed and loadable, else `wasm`, else `cpu`. FRAGILITY_LAB_BACKEND (or the `requested`
 * argument) forces one. The native packages are optional dependencies: their install downloads
 * libtensorflow, which fails without internet access, so the lab must run without them.
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { describeMatMul, selectMatMul } from './nativeMatMul.js';
import { registerWasmKernelFixes, setMatMulSelection } from './wasmKernels.js';

export const backendNames = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];
export type BackendRequest = BackendName | 'auto';

export interface BackendInfo {
  /** The TensorFlow.js backend in use. */
  name: BackendName;
  /**
   * The device that computes: `GPU (CUDA)`, `CPU (native TensorFlow)`, `CPU (JavaScript)` or, on
   * `wasm`, `CPU (WebAssembly, SIMD; matrix products: ...)` with the products in use, for example
   * `native sgemm, x86-64-v3 (AVX2, FMA), 2 threads` or `wasm (XNNPACK)`.
   */
  device: string;
  /** Library versions that change numerical results. */
  versions: Record<string, string>;
  /** Why each better backend was not used, in the order they were tried. */
  fallbackReasons: string[];
}

const log = createLogger('backend');
const require = createRequire(import.meta.url);

/** Explains a native-package load failure in terms a user can act on. */
export function explainNativeLoadFailure(packageName: string, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/Cannot find module|MODULE_NOT_FOUND/.test(text)) {
    return `${packageName} is not installed (its install downloads libtensorflow and needs internet access)`;
  }
  if (/libcudart|libcublas|libcufft|libcurand|libcusolver|libcusparse/.test(text)) {
    return `${packageName} could not load the CUDA 11.2 runtime libraries (${firstLine(text)}); install CUDA 11.2 and add its lib64 folder to LD_LIBRARY_PATH`;
  }
  if (/libcudnn/.test(text)) {
    return `${packageName} could not load cuDNN 8 (${firstLine(text)}); install cuDNN 8 for CUDA 11.2`;
  }
  if (/driver version is insufficient|CUDA driver version/i.test(text)) {
    return `${packageName} found an NVIDIA driver too old for CUDA 11.2 (${firstLine(text)}); update the driver to 450.80 or newer`;
  }
  if (/tensorflow\.node|libtensorflow/.test(text)) {
    return `${packageName} is installed but its libtensorflow binding failed to load (${firstLine(text)}); reinstall it with internet access`;
  }
  return `${packageName} failed to load: ${firstLine(text)}`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.slice(0, 300);
}

interface NativeAttempt {
  loaded: boolean;
  packageName?: string;
  reasons: string[];
}

function loadNative(): NativeAttempt {
  // Lets several workers share one GPU instead of the first taking all of its memory.
  process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const reasons: string[] = [];
  for (const packageName of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require(packageName);
      return { loaded: true, packageName, reasons };
    } catch (error) {
      reasons.push(explainNativeLoadFailure(packageName, error));
    }
  }
  return { loaded: false, reasons };
}

function parseRequest(text: string | undefined): BackendRequest {
  if (text === undefined || text === '' || text === 'auto') return 'auto';
  if ((backendNames as readonly string[]).includes(text)) return text as BackendName;
  throw new LabError(
    'invalid-input',
    `FRAGILITY_LAB_BACKEND is "${text}", which is not a backend; use one of auto, ${backendNames.join(', ')}`,
    { field: 'backend' },
  );
}

function baseVersions(): Record<string, string> {
  return { tfjs: tf.version.tfjs, node: process.versions.node };
}

async function trySetBackend(name: BackendName): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

let current: BackendInfo | undefined;

/**
 * Initialises TensorFlow.js once per process and returns the backend in use. A forced backend that
 * cannot start raises an error instead of falling back silently.
 */
export async function initBackend(requested?: BackendRequest): Promise<BackendInfo> {
  if (current !== undefined) return current;
  const request = requested ?? parseRequest(process.env.FRAGILITY_LAB_BACKEND);
  tf.enableProdMode();
  const fallbackReasons: string[] = [];

  if (request === 'auto' || request === 'tensorflow') {
    const native = loadNative();
    if (native.loaded && (await trySetBackend('tensorflow'))) {
      const gpu = native.packageName === '@tensorflow/tfjs-node-gpu' && nativeSeesGpu();
      current = {
        name: 'tensorflow',
        device: gpu ? 'GPU (CUDA)' : 'CPU (native TensorFlow)',
        versions: { ...baseVersions(), [native.packageName!]: tf.version.tfjs },
        fallbackReasons: [...native.reasons, ...(native.packageName === '@tensorflow/tfjs-node-gpu' && !gpu ? ['tfjs-node-gpu loaded but TensorFlow found no CUDA device; computing on the CPU'] : [])],
      };
      log.info(`using backend tensorflow on ${current.device}`);
      return current;
    }
    fallbackReasons.push(...native.reasons);
    if (native.loaded) fallbackReasons.push('the native tensorflow backend was registered but failed to initialise');
    if (request === 'tensorflow') {
      throw new LabError('unsupported', `The tensorflow backend was requested but cannot start: ${fallbackReasons.join('; ')}`);
    }
  }

  if (request === 'auto' || request === 'wasm') {
    if (await trySetBackend('wasm')) {
      registerWasmKernelFixes();
      const matMul = selectMatMul();
      setMatMulSelection(matMul);
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      current = {
        name: 'wasm',
        device: `CPU (WebAssembly${simd ? ', SIMD' : ''}; matrix products: ${describeMatMul(matMul)})`,
        versions: { ...baseVersions(), '@tensorflow/tfjs-backend-wasm': tf.version.tfjs },
        fallbackReasons,
      };
      log.info(`using backend wasm on ${current.device}${fallbackReasons.length > 0 ? ` (${fallbackReasons.join('; ')})` : ''}`);
      return current;
    }
    fallbackReasons.push('the wasm backend failed to initialise');
    if (request === 'wasm') throw new LabError('unsupported', 'The wasm backend was requested but failed to initialise');
  }

  if (!(await trySetBackend('cpu'))) throw new LabError('internal', 'The cpu backend of TensorFlow.js failed to initialise');
  current = { name: 'cpu', device: 'CPU (JavaScript)', versions: baseVersions(), fallbackReasons };
  log.info(`using backend cpu${fallbackReasons.length > 0 ? ` (${fallbackReasons.join('; ')})` : ''}`);
  return current;
}

/** Whether the native backend reports a GPU; only meaningful after tfjs-node-gpu loaded. */
function nativeSeesGpu(): boolean {
  // NOTE: tfjs-node-gpu exposes no device list; a tiny op placed on the GPU would be the check,
  // which needs a GPU machine to write and test. Until then the CUDA_VISIBLE_DEVICES setting and
  // the presence of /dev/nvidia0 stand in for it.
  if (process.env.CUDA_VISIBLE_DEVICES === '' || process.env.CUDA_VISIBLE_DEVICES === '-1') return false;
  try {
    require('node:fs').accessSync('/dev/nvidia0');
    return true;
  } catch {
    return false;
  }
}

/** Returns the backend chosen by `initBackend`; raises if no backend was initialised yet. */
export function currentBackend(): BackendInfo {
  if (current === undefined) throw new LabError('internal', 'initBackend() must run before the backend is read');
  return current;
}

/** The number of logical cores, the default worker count on CPU backends. */
export function cpuCount(): number {
  return cpus().length;
}
