/**
 * Kernel fixes for the `wasm` backend of TensorFlow.js 4.22, registered once at worker start.
 *
 * - `BatchMatMul` and `_FusedMatMul` take XNNPACK's fast path only when neither operand is
 *   transposed; with a transpose flag they fall back to a loop 10 to 14 times slower. The
 *   gradients of Dense layers multiply by transposed operands, so these overrides transpose
 *   explicitly (one copy) and then multiply untransposed. The fused product with a transpose flag
 *   and a 1-D bias also adds the wrong bias to every row after the first; the override avoids
 *   that path altogether.
 *
 * The overrides call the original wasm kernels, so results stay those of the backend; the tests
 * compare them with the `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

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

let registered = false;

/** Registers the overrides on the `wasm` backend; safe to call more than once. */
export function registerWasmKernelFixes(): void {
  if (registered) return;
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const kernelFunc = withExplicitTranspose(kernelName);
    if (kernelFunc === undefined) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  registered = true;
}
