/**
 * Pooling gradients for the `wasm` backend of TensorFlow.js 4.22, written as loops in JavaScript
 * over the backend's heap (typed-array views, no copies).
 *
 * - The built-in `MaxPoolGrad` is wrong. It starts each window's search from the smallest
 *   positive float instead of -Infinity, so the gradient of a window whose maximum is zero or
 *   negative is dropped or misplaced. Among equal maxima it picks the last, while `cpu` picks the
 *   first.
 * - The built-in `AvgPoolGrad` (like the `cpu` one) divides by filterHeight * filterWidth in every
 *   window, while the forward `AvgPool` divides by the number of pixels inside the image. The
 *   gradient therefore disagrees with the forward pass wherever a window overlaps the padding.
 * - Both built-in kernels are scalar loops, 4 to 10 times slower than these loops (bench/cnn/run.ts).
 *
 * Composing the max-pool gradient from wasm kernels (a mask from `Equal` against the broadcast
 * forward output) was slower still. `Equal` with broadcasting takes a generic path, which took
 * 440 ms of CPU time for one [64, 28, 28, 32] mask (one-off measurement, machine of
 * bench/cnn/README.md).
 *
 * Both kernels read NHWC data (the wasm pooling kernels support nothing else) and have a fast
 * path for 2x2 windows with stride 2 that lie inside the image, the pooling of the lab's CNNs.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

/** The rows (or columns) of the input that one pooling window covers, clipped to the image. */
interface WindowSpan {
  start: number;
  end: number;
}

function windowSpan(outIndex: number, stride: number, padBefore: number, filterSize: number, inSize: number): WindowSpan {
  const first = outIndex * stride - padBefore;
  return { start: Math.max(0, first), end: Math.min(inSize, first + filterSize) };
}

/** Checks that every window is 2x2 with stride 2 and lies inside the image, so no two windows overlap. */
function isInsideTwoByTwo(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth
  );
}

/** Raises unless dy has the output shape of the forward pooling that `info` describes. */
function assertOutputShape(kernelName: string, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): void {
  if (dy.shape.length !== 4 || dy.shape.some((size, axis) => size !== info.outShape[axis])) {
    throw new Error(`${kernelName}: dy has shape [${dy.shape.join(', ')}], but the forward pooling outputs [${info.outShape.join(', ')}]`);
  }
}

function assertFloat32(kernelName: string, inputs: Record<string, tf.TensorInfo>): void {
  for (const [name, info] of Object.entries(inputs)) {
    if (info.dtype !== 'float32') throw new Error(`${kernelName} on wasm needs float32 inputs, but ${name} is ${info.dtype}; cast it to float32`);
  }
}

/** Allocates dx with the input's shape and returns it with float32 views of x, dy and dx. */
function allocateGradient(backend: BackendWasm, input: tf.TensorInfo, dy: tf.TensorInfo) {
  const dx = backend.makeOutput(input.shape, 'float32');
  // Views are taken after the allocation, which may grow (and so detach) the heap.
  return {
    dx,
    xValues: backend.typedArrayFromHeap(input) as Float32Array,
    dyValues: backend.typedArrayFromHeap(dy) as Float32Array,
    dxValues: backend.typedArrayFromHeap(dx) as Float32Array,
  };
}

/**
 * `MaxPoolGrad` on `wasm`: dy [batch, outHeight, outWidth, channels] flows back to the first
 * position, in row-major window order, that contains the window's maximum:
 *   dx[b, r, t, c] = sum over windows w of (b, c) containing (r, t) of dy[b, w, c] * [(r, t) = argmax_w x]
 * shape [batch, inHeight, inWidth, channels]. The maximum is searched afresh in x (the `output`
 * input is not read) with the `cpu` backend's rule: a strict `>` starting from -Infinity, so NaN
 * is never chosen and a window containing only NaN or -Infinity passes no gradient.
 */
export function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  assertFloat32('MaxPoolGrad', { dy, input });
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  assertOutputShape('MaxPoolGrad', dy, info);

  const { dx, xValues, dyValues, dxValues } = allocateGradient(backend, input, dy);
  if (isInsideTwoByTwo(info)) maxPoolGradTwoByTwo(info, xValues, dyValues, dxValues);
  else maxPoolGradAnyWindow(info, xValues, dyValues, dxValues);
  return dx;
}

function maxPoolGradTwoByTwo(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  // Odd heights or widths leave a last row or column that no window covers.
  if (2 * outHeight < inHeight || 2 * outWidth < inWidth) dx.fill(0);
  const rowStride = inWidth * channels;
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        const topLeft = ((b * inHeight + 2 * i) * inWidth + 2 * j) * channels;
        const dyOffset = ((b * outHeight + i) * outWidth + j) * channels;
        for (let c = 0; c < channels; c++) {
          const p0 = topLeft + c;
          const p1 = p0 + channels;
          const p2 = p0 + rowStride;
          const p3 = p2 + channels;
          let maximum = -Infinity;
          let chosen = -1;
          if (x[p0]! > maximum) {
            maximum = x[p0]!;
            chosen = 0;
          }
          if (x[p1]! > maximum) {
            maximum = x[p1]!;
            chosen = 1;
          }
          if (x[p2]! > maximum) {
            maximum = x[p2]!;
            chosen = 2;
          }
          if (x[p3]! > maximum) chosen = 3;
          const gradient = dy[dyOffset + c]!;
          dx[p0] = chosen === 0 ? gradient : 0;
          dx[p1] = chosen === 1 ? gradient : 0;
          dx[p2] = chosen === 2 ? gradient : 0;
          dx[p3] = chosen === 3 ? gradient : 0;
        }
      }
    }
  }
}

function maxPoolGradAnyWindow(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  dx.fill(0);
  const maximum = new Float32Array(channels);
  const position = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < outHeight; i++) {
      const rows = windowSpan(i, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let j = 0; j < outWidth; j++) {
        const columns = windowSpan(j, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        maximum.fill(-Infinity);
        position.fill(-1);
        for (let r = rows.start; r < rows.end; r++) {
          for (let t = columns.start; t < columns.end; t++) {
            const pixel = ((b * inHeight + r) * inWidth + t) * channels;
            for (let c = 0; c < channels; c++) {
              if (x[pixel + c]! > maximum[c]!) {
                maximum[c] = x[pixel + c]!;
                position[c] = pixel + c;
              }
            }
          }
        }
        const dyOffset = ((b * outHeight + i) * outWidth + j) * channels;
        for (let c = 0; c < channels; c++) {
          const chosen = position[c]!;
          if (chosen >= 0) dx[chosen] = dx[chosen]! + dy[dyOffset + c]!;
        }
      }
    }
  }
}

/**
 * `AvgPoolGrad` on `wasm`: each window's gradient is shared equally among its pixels inside the
 * image,
 *   dx[b, r, t, c] = sum over windows w containing (r, t) of dy[b, w, c] / count(w)
 * shape [batch, inHeight, inWidth, channels], where count(w) is the number of pixels of w inside
 * the image, the divisor the forward `AvgPool` uses on both `wasm` and `cpu`.
 *
 * NOTE: this departs from tfjs 4.22's own `AvgPoolGrad` (`cpu` and `wasm`), which divides by
 * filterHeight * filterWidth in every window and so disagrees with its forward pass where a
 * window overlaps the padding ("same" or numeric). Without padding the two agree.
 */
export function avgPoolGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.AvgPoolGradAttrs;
  assertFloat32('AvgPoolGrad', { dy, input });
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad);
  assertOutputShape('AvgPoolGrad', dy, info);

  const { dx, dyValues, dxValues } = allocateGradient(backend, input, dy);
  if (isInsideTwoByTwo(info)) avgPoolGradTwoByTwo(info, dyValues, dxValues);
  else avgPoolGradAnyWindow(info, dyValues, dxValues);
  return dx;
}

function avgPoolGradTwoByTwo(info: tf.backend_util.Conv2DInfo, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  if (2 * outHeight < inHeight || 2 * outWidth < inWidth) dx.fill(0);
  const rowStride = inWidth * channels;
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        const topLeft = ((b * inHeight + 2 * i) * inWidth + 2 * j) * channels;
        const dyOffset = ((b * outHeight + i) * outWidth + j) * channels;
        for (let c = 0; c < channels; c++) {
          const share = dy[dyOffset + c]! * 0.25;
          const p0 = topLeft + c;
          dx[p0] = share;
          dx[p0 + channels] = share;
          dx[p0 + rowStride] = share;
          dx[p0 + rowStride + channels] = share;
        }
      }
    }
  }
}

function avgPoolGradAnyWindow(info: tf.backend_util.Conv2DInfo, dy: Float32Array, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < outHeight; i++) {
      const rows = windowSpan(i, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let j = 0; j < outWidth; j++) {
        const columns = windowSpan(j, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        const count = Math.max(0, rows.end - rows.start) * Math.max(0, columns.end - columns.start);
        if (count === 0) continue;
        const dyOffset = ((b * outHeight + i) * outWidth + j) * channels;
        for (let r = rows.start; r < rows.end; r++) {
          for (let t = columns.start; t < columns.end; t++) {
            const pixel = ((b * inHeight + r) * inWidth + t) * channels;
            for (let c = 0; c < channels; c++) dx[pixel + c] = dx[pixel + c]! + dy[dyOffset + c]! / count;
          }
        }
      }
    }
  }
}
