/**
 * `GatherV2` and `Slice` on the `wasm` backend as copies of whole rows inside the wasm heap, and
 * `Identity` without a copy.
 *
 * TensorFlow.js 4.22's own kernels cost far more than the bytes they move. Its `GatherV2` walks
 * every element with index arithmetic. Drawing a batch of 32 images of 784 pixels took 1.8 ms,
 * about 70 ns an element, on the 2-core development machine. These draws were 15% of the kernel
 * time of training quick.json's FCN. Its `Slice` first copies the whole input out of the heap (`readSync`), so a
 * slice of one row of a 1,000 x 784 tensor took 2 ms. Here a gather copies each selected slice
 * (a whole row along the first axis) with one `copyWithin`, and a slice of contiguous elements is
 * one `copyWithin`. The bytes are those the `cpu` backend writes. The original `GatherV2` is also
 * wrong with `batchDims` above 0 (it returned other values and denormals in a test); this one is not.
 *
 * `Identity` (tf.clone, and the engine's copy of every input it keeps for a gradient) copied the
 * whole tensor: both weight matrices of quick.json's FCN at every training step. Tensors are never
 * written after they are made, so it now shares the input's buffer and counts one more reference,
 * as the `cpu` backend's Identity and the wasm backend's own Reshape do.
 *
 * Strings, indices other than int32 and non-contiguous slices go to the original kernels.
 * test/tf/wasmCopyKernels.test.ts compares the kernels with the `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapBytes, heapOffset } from './wasmHeap.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

/** The dtypes stored as plain bytes in the wasm heap. */
const heapDtypes: ReadonlySet<tf.DataType> = new Set(['float32', 'int32', 'bool']);

/**
 * Wraps the original `GatherV2` so that every gather of numbers copies slices: with tfjs's shape
 * information (batch, outer, dimension and slice sizes), output slice (b, o, i) is input slice
 * (b, o, indices[b, i]). Along the first axis without batch dimensions a slice is a whole row.
 * Out-of-range indices raise the original kernel's error, naming the index and the range.
 */
export function makeGatherSlices(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
    const backend = args.backend as BackendWasm;
    if (x.shape.length === 0 || !heapDtypes.has(x.dtype) || indices.dtype !== 'int32') return original(args);

    const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const indexValues = backend.readSync(indices.dataId) as Int32Array;
    const dimension = x.shape[parsedAxis]!;
    for (const index of indexValues) {
      tf.util.assert(index >= 0 && index <= dimension - 1, () => `GatherV2: the index value ${index} is not in [0, ${dimension - 1}]`);
    }
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, parsedAxis, batchDims ?? 0);
    const out = backend.makeOutput(info.outputShape, x.dtype);
    const sliceBytes = info.sliceSize * tf.util.bytesPerElement(x.dtype);
    if (sliceBytes === 0 || indexValues.length === 0) return out;

    const heap = heapBytes(backend);
    const source = heapOffset(backend, x);
    const target = heapOffset(backend, out);
    const indicesPerBatch = indexValues.length / info.batchSize;
    let written = target;
    for (let batch = 0; batch < info.batchSize; batch++) {
      for (let outer = 0; outer < info.outerSize; outer++) {
        const block = source + (batch * info.outerSize + outer) * info.dimSize * sliceBytes;
        for (let i = 0; i < indicesPerBatch; i++) {
          const start = block + indexValues[batch * indicesPerBatch + i]! * sliceBytes;
          heap.copyWithin(written, start, start + sliceBytes);
          written += sliceBytes;
        }
      }
    }
    return out;
  };
}

/** Wraps the original `Slice` so that a slice of contiguous elements is a single copy. */
export function makeContiguousSlice(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    const backend = args.backend as BackendWasm;
    if (!heapDtypes.has(x.dtype)) return original(args);
    const [begins, sizes] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
    if (!tf.slice_util.isSliceContinous(x.shape, begins, sizes)) return original(args);

    const out = backend.makeOutput(sizes, x.dtype);
    const elementBytes = tf.util.bytesPerElement(x.dtype);
    const byteCount = tf.util.sizeFromShape(sizes) * elementBytes;
    if (byteCount === 0) return out;
    const start = heapOffset(backend, x) + tf.slice_util.computeFlatOffset(begins, tf.util.computeStrides(x.shape)) * elementBytes;
    heapBytes(backend).copyWithin(heapOffset(backend, out), start, start + byteCount);
    return out;
  };
}

/** Wraps the original `Identity` so that a tensor of numbers shares its input's buffer. */
export function makeSharedIdentity(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!heapDtypes.has(x.dtype)) return original(args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
