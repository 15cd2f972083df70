/**
 * Forward passes over the training set in inference mode. The set is cut into batches once, and the
 * batch tensors are reused by every pass (the sigma searches make up to 300 passes).
 */
import * as tf from '@tensorflow/tfjs';
import type { Task } from './types.js';

/** Default examples per forward pass; large enough for fast matrix products, small enough for CNN activations. */
export const defaultForwardBatchSize = 512;

/** The training set cut into batches: inputs [b, ...] float32 and labels [b] int32. */
export class TrainingBatches {
  readonly batches: { x: tf.Tensor; y: tf.Tensor1D }[] = [];
  readonly m: number;

  /** `x` stays owned by the caller; the batch tensors are owned here until `dispose`. */
  constructor(x: tf.Tensor, y: Int32Array, batchSize = defaultForwardBatchSize) {
    this.m = x.shape[0]!;
    for (let start = 0; start < this.m; start += batchSize) {
      const size = Math.min(batchSize, this.m - start);
      this.batches.push({
        x: tf.slice(x, start, size),
        y: tf.tensor1d(y.subarray(start, start + size), 'int32'),
      });
    }
  }

  dispose(): void {
    for (const batch of this.batches) {
      batch.x.dispose();
      batch.y.dispose();
    }
    this.batches.length = 0;
  }
}

function applyInference(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  return model.apply(x, { training: false }) as tf.Tensor;
}

/** Logits of every training example, [m, outputs] in C order, from one pass in inference mode. */
export async function predictLogits(model: tf.LayersModel, data: TrainingBatches): Promise<{ logits: Float32Array; outputs: number }> {
  const parts: Float32Array[] = [];
  let outputs = 0;
  for (const batch of data.batches) {
    const logits = tf.tidy(() => applyInference(model, batch.x).reshape([batch.x.shape[0]!, -1]));
    outputs = logits.shape[1]!;
    parts.push((await logits.data()) as Float32Array);
    logits.dispose();
  }
  const all = new Float32Array(data.m * outputs);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return { logits: all, outputs };
}

/**
 * Number of training examples the model classifies correctly in inference mode: argmax of the
 * logits (multi-class) or logit > 0 meaning class 1 (binary). One read back per pass.
 */
export async function countCorrect(model: tf.LayersModel, data: TrainingBatches, task: Task): Promise<number> {
  const counts: tf.Tensor[] = [];
  try {
    for (const batch of data.batches) {
      counts.push(
        tf.tidy(() => {
          const logits = applyInference(model, batch.x);
          const predicted = task === 'binary' ? tf.cast(tf.greater(tf.reshape(logits, [-1]), 0), 'int32') : tf.argMax(logits, -1);
          return tf.sum(tf.cast(tf.equal(predicted, batch.y), 'int32'));
        }),
      );
    }
    const total = tf.tidy(() => tf.addN(counts));
    const value = (await total.data())[0]!;
    total.dispose();
    return value;
  } finally {
    tf.dispose(counts);
  }
}
