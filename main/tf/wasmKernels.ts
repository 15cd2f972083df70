/**
 * Kernel fixes for the `wasm` backend of TensorFlow.js 4.22, registered once at worker start.
 *
 * - `BatchMatMul` and `_FusedMatMul` take XNNPACK's fast path only when neither operand is
 *   transposed; with a transpose flag they fall back to a loop 10 to 14 times slower. The
 *   gradients of Dense layers multiply by transposed operands, so these overrides transpose
 *   explicitly (one copy) and then multiply untransposed. The fused product with a transpose flag
 *   and a 1-D bias also adds the wrong bias to every row after the first; the override avoids
 *   that path altogether. The same wrong bias appears without transposes when the batch is above
 *   1, and a bias of rank 2 is rejected; those cases add the bias in a separate kernel.
 * - `Conv2DBackpropFilter` is missing, `Conv2DBackpropInput` is a slow scalar loop, and
 *   `MaxPoolGrad` and `AvgPoolGrad` give wrong gradients; wasmConvKernels.ts and
 *   wasmPoolKernels.ts replace them.
 * - `GatherV2` and contiguous `Slice` spend far more time than the bytes they copy, `GatherV2`
 *   is wrong with batch dimensions, and `Identity` copies. wasmCopyKernels.ts replaces them.
 * - Where the native addon is built, the sigma searches' perturbation (nativePerturb.ts) and the
 *   update of SGD and momentum (nativeUpdate.ts) run as native kernels.
 *
 * - When the native products are selected (main/tf/nativeMatMul.ts, `setMatMulSelection`), both
 *   matMul overrides compute float32 products with the addon's `sgemm`, which reads the transposed
 *   operands directly, and add the bias and activation with the wasm kernels. Products that sgemm
 *   does not take (small ones, other batch broadcasts) use the wasm path above.
 *
 * Otherwise the matMul overrides call the original wasm kernels, so results stay those of the
 * backend. The tests in test/tf compare every override with the `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { multiplyNatively, type MatMulSelection } from './nativeMatMul.js';
import { registerNativePerturb } from './nativePerturb.js';
import { registerNativeUpdate } from './nativeUpdate.js';
import { makeContiguousSlice, makeGatherSlices, makeSharedIdentity } from './wasmCopyKernels.js';
import { conv2DBackpropFilter, makeConv2DBackpropInput } from './wasmConvKernels.js';
import { avgPoolGrad, maxPoolGrad } from './wasmPoolKernels.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

let matMulSelection: MatMulSelection = { kind: 'wasm', reason: 'no selection was made' };

/** Sets the products that the matMul overrides use from the next call on; initBackend sets it. */
export function setMatMulSelection(selection: MatMulSelection): void {
  matMulSelection = selection;
}

/** Returns the products that the matMul overrides use. */
export function currentMatMulSelection(): MatMulSelection {
  return matMulSelection;
}

/** Multiplies with sgemm when the native products are selected and take this product, else returns undefined. */
function nativeProduct(args: KernelArgs, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean | undefined, transposeB: boolean | undefined): tf.TensorInfo | undefined {
  if (matMulSelection.kind !== 'native') return undefined;
  return multiplyNatively(matMulSelection, args.backend as BackendWasm, a, b, transposeA === true, transposeB === true);
}

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function transposeLastTwo(args: KernelArgs, input: tf.TensorInfo): tf.TensorInfo {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (transpose === undefined) throw new Error('the wasm backend has no Transpose kernel');
  return transpose.kernelFunc({
    inputs: { x: input },
    backend: args.backend,
    attrs: { perm: swapLastTwo(input.shape.length) },
  }) as tf.TensorInfo;
}

function withExplicitTranspose(kernelName: string): KernelFunc | undefined {
  const original = tf.getKernel(kernelName, 'wasm');
  if (original === undefined) return undefined;
  return (args: KernelArgs) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);

    const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
    const temporaries: tf.TensorInfo[] = [];
    if (attrs.transposeA) {
      inputs.a = transposeLastTwo(args, inputs.a!);
      temporaries.push(inputs.a);
    }
    if (attrs.transposeB) {
      inputs.b = transposeLastTwo(args, inputs.b!);
      temporaries.push(inputs.b);
    }
    const result = original.kernelFunc({
      inputs,
      backend: args.backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    });
    const backend = args.backend as tf.KernelBackend;
    for (const temporary of temporaries) backend.disposeData(temporary.dataId);
    return result;
  };
}

/** Returns the wasm kernel and attributes that apply a fused matMul's activation, or undefined for 'linear'. */
function activationKernel(attrs: tf._FusedMatMulAttrs): { kernelName: string; attrs: Record<string, unknown> } | undefined {
  switch (attrs.activation) {
    case undefined:
    case 'linear':
      return undefined;
    case 'relu':
      return { kernelName: 'Relu', attrs: {} };
    case 'relu6':
      return { kernelName: 'Relu6', attrs: {} };
    case 'elu':
      return { kernelName: 'Elu', attrs: {} };
    case 'sigmoid':
      return { kernelName: 'Sigmoid', attrs: {} };
    case 'leakyrelu':
      return { kernelName: 'LeakyRelu', attrs: { alpha: attrs.leakyreluAlpha ?? 0.2 } };
    case 'prelu':
      return { kernelName: 'Prelu', attrs: {} };
  }
}

function runWasmKernel(args: KernelArgs, kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw new Error(`the wasm backend has no ${kernelName} kernel`);
  return kernel.kernelFunc({ inputs, backend: args.backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** Wraps `BatchMatMul` so that the native products compute it when selected. */
function withNativeProduct(batchMatMul: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    return nativeProduct(args, a, b, attrs.transposeA, attrs.transposeB) ?? batchMatMul(args);
  };
}

/**
 * Wraps `_FusedMatMul` so that a bias is added correctly. The wasm kernel adds the wrong bias to
 * every row after the first when the batch (the leading dimension of the rank-3 operands) is above
 * 1, and rejects a bias of rank 2 or more. Those cases run unfused: the product, then `Add` (with
 * broadcasting), then the activation's own kernel. A native product always runs unfused.
 */
function withBiasAddedSeparately(fusedMatMul: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const native = nativeProduct(args, a, b, attrs.transposeA, attrs.transposeB);
    if (native !== undefined) return addBiasAndActivate(args, native);

    const batchSize = Math.max(a.shape[0]!, b.shape[0]!);
    if (bias === undefined || (bias.shape.length === 1 && batchSize === 1)) return fusedMatMul(args);
    const product = fusedMatMul({ inputs: { a, b }, backend: args.backend, attrs: { ...args.attrs, activation: 'linear' } }) as tf.TensorInfo;
    return addBiasAndActivate(args, product);
  };
}

/** Adds the fused matMul's bias (if any) to `product` and applies its activation, disposing the intermediate tensors. */
function addBiasAndActivate(args: KernelArgs, product: tf.TensorInfo): tf.TensorInfo {
  const { bias, preluActivationWeights } = args.inputs as { bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
  const backend = args.backend as tf.KernelBackend;
  let result = product;
  if (bias !== undefined) {
    result = runWasmKernel(args, 'Add', { a: product, b: bias }, {});
    backend.disposeData(product.dataId);
  }
  const activation = activationKernel(attrs);
  if (activation === undefined) return result;

  const inputs: tf.NamedTensorInfoMap = activation.kernelName === 'Prelu' ? { x: result, alpha: preluActivationWeights! } : { x: result };
  const activated = runWasmKernel(args, activation.kernelName, inputs, activation.attrs);
  backend.disposeData(result.dataId);
  return activated;
}

/** Registers `kernelFunc` as `kernelName` on `wasm`, replacing the backend's own kernel if any. */
function replaceWasmKernel(kernelName: string, kernelFunc: KernelFunc): void {
  if (tf.getKernel(kernelName, 'wasm') !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

let registered = false;

/**
 * Registers the overrides on the `wasm` backend; safe to call more than once. Call it after the
 * wasm backend has initialised, because the overrides call original kernels that are set up then.
 */
export function registerWasmKernelFixes(): void {
  if (registered) return;
  const batchMatMul = withExplicitTranspose('BatchMatMul');
  if (batchMatMul !== undefined) replaceWasmKernel('BatchMatMul', withNativeProduct(batchMatMul));
  const fusedMatMul = withExplicitTranspose('_FusedMatMul');
  if (fusedMatMul !== undefined) replaceWasmKernel('_FusedMatMul', withBiasAddedSeparately(fusedMatMul));

  const backpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (backpropInput !== undefined) replaceWasmKernel('Conv2DBackpropInput', makeConv2DBackpropInput(backpropInput.kernelFunc));
  replaceWasmKernel('Conv2DBackpropFilter', conv2DBackpropFilter);
  replaceWasmKernel('MaxPoolGrad', maxPoolGrad);
  replaceWasmKernel('AvgPoolGrad', avgPoolGrad);

  const gather = tf.getKernel('GatherV2', 'wasm');
  if (gather !== undefined) replaceWasmKernel('GatherV2', makeGatherSlices(gather.kernelFunc));
  const slice = tf.getKernel('Slice', 'wasm');
  if (slice !== undefined) replaceWasmKernel('Slice', makeContiguousSlice(slice.kernelFunc));
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity !== undefined) replaceWasmKernel('Identity', makeSharedIdentity(identity.kernelFunc));
  registerNativePerturb();
  registerNativeUpdate();
  registered = true;
}
