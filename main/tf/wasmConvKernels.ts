/**
 * Convolution gradients for the `wasm` backend of TensorFlow.js 4.22, composed from the backend's
 * own `Conv2D` (XNNPACK), `Transpose`, `Slice`, `PadV2` and `Reverse` kernels.
 *
 * - `Conv2DBackpropFilter` is missing on `wasm`, so CNNs cannot train there without it.
 * - `Conv2DBackpropInput` exists but is a scalar loop. For the second layer of the lab's CNN
 *   (batch 64, 14x14x32 inputs, 64 filters) it took 355 to 393 ms of CPU time per call in three
 *   runs of bench/cnn/run.ts on a shared 2-core AMD EPYC machine. The composed kernel below took
 *   31 to 50 ms there, and the forward `Conv2D` 29 to 48 ms.
 *
 * Notation, NHWC: x is [batch, inHeight, inWidth, inChannels], the filter w is
 * [filterHeight, filterWidth, inChannels, outChannels], dy is [batch, outHeight, outWidth,
 * outChannels], s the strides and (padTop, padLeft) the padding before the first row and column.
 * The forward convolution is
 *   y[b, i, j, o] = sum_{p, q, c} x[b, i*sH + p - padTop, j*sW + q - padLeft, c] * w[p, q, c, o]
 * with x read as zero outside the image. Dilations are 1: the gradient of `Conv2D` in tfjs-core
 * rejects other dilations before any of these kernels run.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Runs a kernel registered on `wasm`; the caller owns (and must dispose) the result. */
function runWasmKernel(backend: BackendWasm, kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) throw new Error(`the wasm backend has no ${kernelName} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** Returns `info`'s data under another shape of the same size, like a reshape without a copy. */
function withShape(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Intermediate results of one kernel call, all freed by `disposeAll` (in a `finally`, so on errors too). */
class Temporaries {
  private readonly infos: tf.TensorInfo[] = [];

  constructor(private readonly backend: BackendWasm) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>): tf.TensorInfo {
    const result = runWasmKernel(this.backend, kernelName, inputs, attrs);
    this.infos.push(result);
    return result;
  }

  /** Hands `info` to the caller, who then owns it. */
  release(info: tf.TensorInfo): tf.TensorInfo {
    const index = this.infos.indexOf(info);
    if (index >= 0) this.infos.splice(index, 1);
    return info;
  }

  disposeAll(): void {
    for (const info of this.infos) this.backend.disposeData(info.dataId);
    this.infos.length = 0;
  }
}

/** Raises unless dy has the output shape of the forward convolution that `info` describes. */
function assertOutputShape(kernelName: string, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): void {
  if (dy.shape.length !== 4 || dy.shape.some((size, axis) => size !== info.outShape[axis])) {
    throw new Error(`${kernelName}: dy has shape [${dy.shape.join(', ')}], but the forward convolution outputs [${info.outShape.join(', ')}]`);
  }
}

function assertFloat32(kernelName: string, inputs: Record<string, tf.TensorInfo>): void {
  for (const [name, info] of Object.entries(inputs)) {
    if (info.dtype !== 'float32') throw new Error(`${kernelName} on wasm needs float32 inputs, but ${name} is ${info.dtype}; cast it to float32`);
  }
}

/**
 * `Conv2DBackpropFilter` on `wasm`: the gradient of the loss with respect to the filter,
 *   dw[p, q, c, o] = sum_{b, i, j} x[b, i*sH + p - padTop, j*sW + q - padLeft, c] * dy[b, i, j, o],
 * shape [filterHeight, filterWidth, inChannels, outChannels].
 *
 * Read with c as the batch, b as the input channel, (i, j) as the filter position and (p, q) as
 * the output position, this sum is itself a forward convolution with stride 1 and dilation s:
 *   Conv2D(x^T [inChannels, inHeight, inWidth, batch], dy^T [outHeight, outWidth, batch, outChannels],
 *          strides 1, dilations s, explicit padding) -> [inChannels, filterHeight, filterWidth, outChannels],
 * then one transpose to the filter layout. XNNPACK runs that convolution. For the second layer of
 * the lab's CNN it took 56 to 68 ms of CPU time per call in three runs, against 29 to 48 ms for
 * the forward pass (bench/cnn/run.ts).
 *
 * NOTE: with one input channel (the first layer) the convolution itself is small, and most of the
 * time goes into XNNPACK packing dy^T as a filter. The wasm `Conv2D` caches that packing by tensor,
 * and dy is a new tensor at every step.
 *
 * Every padding (valid, same including its asymmetric case, explicit) and both data formats
 * compose: NCHW inputs are transposed to NHWC first. Rows and columns of x that no window of the
 * forward pass reached (valid padding with (inHeight - filterHeight) not a multiple of the stride)
 * are cut off first, because the padding after them would otherwise be negative.
 */
export function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertFloat32('Conv2DBackpropFilter', { x, dy });

  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  assertOutputShape('Conv2DBackpropFilter', dy, info);

  // The forward windows reach rows -padTop .. (outHeight - 1) * strideHeight + filterHeight - padTop - 1.
  const reachedHeight = (info.outHeight - 1) * info.strideHeight + info.filterHeight - info.padInfo.top;
  const reachedWidth = (info.outWidth - 1) * info.strideWidth + info.filterWidth - info.padInfo.left;
  const usedHeight = Math.min(info.inHeight, reachedHeight);
  const usedWidth = Math.min(info.inWidth, reachedWidth);
  if (usedHeight <= 0 || usedWidth <= 0 || info.outHeight === 0 || info.outWidth === 0) {
    // Every window lies in the padding (or there is none), so the gradient is zero.
    return runWasmKernel(backend, 'Fill', {}, { shape: attrs.filterShape, value: 0, dtype: 'float32' });
  }

  const temporaries = new Temporaries(backend);
  try {
    const xNhwc = dataFormat === 'channelsFirst' ? temporaries.run('Transpose', { x }, { perm: [0, 2, 3, 1] }) : x;
    const dyNhwc = dataFormat === 'channelsFirst' ? temporaries.run('Transpose', { x: dy }, { perm: [0, 2, 3, 1] }) : dy;
    const xUsed =
      usedHeight < info.inHeight || usedWidth < info.inWidth
        ? temporaries.run('Slice', { x: xNhwc }, { begin: [0, 0, 0, 0], size: [info.batchSize, usedHeight, usedWidth, info.inChannels] })
        : xNhwc;

    const xTransposed = temporaries.run('Transpose', { x: xUsed }, { perm: [3, 1, 2, 0] });
    const dyTransposed = temporaries.run('Transpose', { x: dyNhwc }, { perm: [1, 2, 0, 3] });
    const padding: ExplicitPadding = [
      [0, 0],
      [info.padInfo.top, reachedHeight - usedHeight],
      [info.padInfo.left, reachedWidth - usedWidth],
      [0, 0],
    ];
    const gradient = temporaries.run(
      'Conv2D',
      { x: xTransposed, filter: dyTransposed },
      { strides: 1, dilations: [info.strideHeight, info.strideWidth], pad: padding, dataFormat: 'NHWC' },
    );
    return temporaries.release(temporaries.run('Transpose', { x: gradient }, { perm: [1, 2, 0, 3] }));
  } finally {
    temporaries.disposeAll();
  }
}

/**
 * Builds `Conv2DBackpropInput` for `wasm`: the gradient of the loss with respect to the input,
 *   dx[b, r, t, c] = sum_{i, j, p, q, o : i*sH + p - padTop = r, j*sW + q - padLeft = t} dy[b, i, j, o] * w[p, q, c, o],
 * shape [batch, inHeight, inWidth, inChannels].
 *
 * With dy dilated by the strides (s - 1 zeros between neighbours) this is a forward convolution
 * with stride 1 of the dilated dy and the filter rotated by 180 degrees with its channels swapped:
 *   Conv2D(dilate(dy), transpose(reverse(w, [0, 1]), [0, 1, 3, 2]), strides 1,
 *          padding (filterHeight - 1 - padTop) before, inHeight + padTop - dilatedHeight after)
 * where dilatedHeight = (outHeight - 1) * sH + 1, and the same for columns. The dilation is a
 * `PadV2` of dy viewed as [batch, outHeight, 1, outWidth, 1, outChannels]. For strides above 1
 * the convolution multiplies the inserted zeros too (4 times the work at stride 2), which is still
 * several times faster than the scalar loop.
 *
 * `original` is the backend's own kernel (correct but slow), used where the composition does not
 * apply. One case is NCHW data, which the wasm `Conv2D` rejects, so no wasm forward pass produces
 * it. The other is an explicit padding wider than the filter, which would make the padding of the
 * composed convolution negative.
 */
export function makeConv2DBackpropInput(original: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const backend = args.backend as BackendWasm;
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    assertFloat32('Conv2DBackpropInput', { dy, filter });

    const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      dataFormat,
    );
    assertOutputShape('Conv2DBackpropInput', dy, info);
    const dilatedHeight = (info.outHeight - 1) * info.strideHeight + 1;
    const dilatedWidth = (info.outWidth - 1) * info.strideWidth + 1;
    const padTop = info.filterHeight - 1 - info.padInfo.top;
    const padLeft = info.filterWidth - 1 - info.padInfo.left;
    const padBottom = info.inHeight + info.padInfo.top - dilatedHeight;
    const padRight = info.inWidth + info.padInfo.left - dilatedWidth;
    if (dataFormat === 'channelsFirst' || Math.min(padTop, padLeft, padBottom, padRight) < 0) return original(args);

    const temporaries = new Temporaries(backend);
    try {
      const reversed = temporaries.run('Reverse', { x: filter }, { dims: [0, 1] });
      const rotated = temporaries.run('Transpose', { x: reversed }, { perm: [0, 1, 3, 2] });
      const dilated = dilateByStrides(temporaries, dy, info, dilatedHeight + padBottom, dilatedWidth + padRight);
      const padding: ExplicitPadding = [
        [0, 0],
        [padTop, dilatedHeight + padBottom - dilated.shape[1]!],
        [padLeft, dilatedWidth + padRight - dilated.shape[2]!],
        [0, 0],
      ];
      return temporaries.release(temporaries.run('Conv2D', { x: dilated, filter: rotated }, { strides: 1, dilations: 1, pad: padding, dataFormat: 'NHWC' }));
    } finally {
      temporaries.disposeAll();
    }
  };
}

/**
 * Inserts strideHeight - 1 zero rows and strideWidth - 1 zero columns between the pixels of dy,
 * returning at most `maxHeight` x `maxWidth` pixels (every cut row or column is zero).
 */
function dilateByStrides(temporaries: Temporaries, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, maxHeight: number, maxWidth: number): tf.TensorInfo {
  const { batchSize, outHeight, outWidth, outChannels, strideHeight, strideWidth } = info;
  if (strideHeight === 1 && strideWidth === 1) return dy;

  const spread = temporaries.run(
    'PadV2',
    { x: withShape(dy, [batchSize, outHeight, 1, outWidth, 1, outChannels]) },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  const dilated = withShape(spread, [batchSize, outHeight * strideHeight, outWidth * strideWidth, outChannels]);
  const height = Math.min(dilated.shape[1]!, maxHeight);
  const width = Math.min(dilated.shape[2]!, maxWidth);
  if (height === dilated.shape[1] && width === dilated.shape[2]) return dilated;
  return temporaries.run('Slice', { x: dilated }, { begin: [0, 0, 0, 0], size: [batchSize, height, width, outChannels] });
}
