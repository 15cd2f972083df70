/**
 * The weight update of SGD and of SGD with momentum as one `wasm` kernel per weight, on the native
 * addon's `scaledAdd`.
 *
 * TensorFlow.js's optimizers compute w + (-eta) g with a Multiply and an Add, each writing a new
 * tensor of the weight's size. For quick.json's FCN these were 10% of a training step on the
 * 2-core development machine. `applyFusedGradients` computes the same values with one pass: each
 * product and sum rounds to float32 as TensorFlow.js's do, so the weights equal those of the
 * optimizers' own `applyGradients` bit for bit (test/tf/nativeUpdate.test.ts). Other optimizers
 * (Adam, Nesterov momentum) and other backends keep TensorFlow.js's update.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { defaultLinalgAddon, type LinalgAddon } from '../bounds/nativeLinalg.js';
import { heapBytes, heapOffset } from './wasmHeap.js';

/** The kernel's name; it is registered on `wasm` only, and only where the addon has the function. */
export const scaledAddKernelName = 'FragilityLabScaledAdd';

type ScaledAddFunction = NonNullable<LinalgAddon['scaledAdd']>;

function makeScaledAddKernel(scaledAdd: ScaledAddFunction): tf.KernelConfig['kernelFunc'] {
  return (args) => {
    const { x, y } = args.inputs as { x: tf.TensorInfo; y: tf.TensorInfo };
    const { alpha } = args.attrs as unknown as { alpha: number };
    if (x.dtype !== 'float32' || y.dtype !== 'float32' || !tf.util.arraysEqual(x.shape, y.shape)) {
      throw new Error(`${scaledAddKernelName} needs two float32 tensors of one shape, but got ${x.dtype} [${x.shape.join(', ')}] and ${y.dtype} [${y.shape.join(', ')}]`);
    }
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(x.shape, 'float32');
    const count = tf.util.sizeFromShape(x.shape);
    if (count === 0) return out;
    // The heap is read after makeOutput, whose allocation may grow (and so replace) the memory.
    const heap = heapBytes(backend);
    scaledAdd(heap, heapOffset(backend, out), heapOffset(backend, x), heapOffset(backend, y), alpha, count);
    return out;
  };
}

/** Registers the kernel on `wasm` where the addon loads and has `scaledAdd`; returns whether it did. */
export function registerNativeUpdate(addon: LinalgAddon | undefined = defaultLinalgAddon().addon): boolean {
  if (addon?.scaledAdd === undefined) return false;
  if (tf.getKernel(scaledAddKernelName, 'wasm') !== undefined) return true;
  tf.registerKernel({ kernelName: scaledAddKernelName, backendName: 'wasm', kernelFunc: makeScaledAddKernel(addon.scaledAdd.bind(addon)) });
  return true;
}

/** Returns x + alpha y, alpha rounded to float32, with the kernel. */
function scaledAdd(x: tf.Tensor, y: tf.Tensor, alpha: number): tf.Tensor {
  return tf.engine().runKernel(scaledAddKernelName, { x, y }, { alpha: Math.fround(alpha) }) as tf.Tensor;
}

/** The fields of TensorFlow.js 4.22's SGD and momentum optimizers that the update reads. */
interface OptimizerState {
  learningRate: number;
  momentum?: number;
  useNesterov?: boolean;
  accumulations?: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

/**
 * Applies `gradients` as `optimizer.applyGradients` would, with the fused kernel, and returns
 * true. Returns false, and changes nothing, where the backend lacks the kernel or the optimizer
 * is neither SGD nor momentum without Nesterov.
 */
export function applyFusedGradients(optimizer: tf.Optimizer, gradients: readonly { name: string; tensor: tf.Tensor }[]): boolean {
  if (tf.getKernel(scaledAddKernelName, tf.getBackend()) === undefined) return false;
  const className = optimizer.getClassName();
  const state = optimizer as unknown as OptimizerState;
  if (className !== 'SGD' && !(className === 'Momentum' && state.useNesterov !== true && Array.isArray(state.accumulations))) return false;

  const rate = -state.learningRate;
  gradients.forEach(({ name, tensor: gradient }, index) => {
    const value = tf.engine().registeredVariables[name]!;
    if (className === 'SGD') {
      tf.tidy(() => value.assign(scaledAdd(value, gradient, rate)));
      return;
    }
    // The momentum optimizer's own steps: accumulation <- momentum accumulation + g, then
    // w <- w - eta accumulation, with its accumulations created as TensorFlow.js creates them.
    const accumulations = state.accumulations!;
    accumulations[index] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    const accumulation = accumulations[index]!.variable;
    tf.tidy(() => {
      const newAccumulation = scaledAdd(gradient, accumulation, state.momentum!);
      const newValue = scaledAdd(value, newAccumulation, rate);
      accumulation.assign(newAccumulation);
      value.assign(newValue);
    });
  });
  state.incrementIterations();
  return true;
}
