/**
 * Turns a data set into the arrays one run trains and tests on: the task (binary or 10-class), a
 * training subset of size m drawn by the data seed, label noise, and pixel scaling to [0, 1].
 *
 * Subsets are nested: for one data seed, the m = 100 subset is the first 100 examples of the
 * m = 1,000 subset, so that a learning curve measures the effect of adding data, not of redrawing it.
 */
import { LabError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { ImageSet, LoadedDataset } from './datasets.js';

export type TaskKind = 'binary' | 'multiclass';

export interface TaskSettings {
  task: TaskKind;
  /** Training-set size m. */
  trainSize: number;
  /** Seeds the subset and the label noise. */
  dataSeed: number;
  /** Fraction of training labels replaced by uniform random labels, in [0, 1]. */
  labelNoise: number;
  /** Number of test examples used (the first ones in file order); undefined for all. */
  testSize?: number;
}

/** Float32 NHWC images with values in [0, 1] and integer labels. */
export interface LabeledArrays {
  x: Float32Array;
  y: Int32Array;
  count: number;
}

export interface TaskData {
  train: LabeledArrays;
  test: LabeledArrays;
  /** [height, width, channels] */
  inputShape: [number, number, number];
  /** 1 for the binary task (one logit), 10 for the 10-class task. */
  outputCount: number;
  /** Number of training labels that label noise changed (a replaced label can equal the original). */
  noisyLabelCount: number;
  /** Indices of the training examples in the data set's training file, in subset order. */
  trainIndices: Int32Array;
}

/** The literature's binary task on Fashion-MNIST and MNIST: classes 0-4 against 5-9, one logit. */
export function binaryLabel(classIndex: number): number {
  return classIndex >= 5 ? 1 : 0;
}

function labelFor(task: TaskKind, classIndex: number): number {
  return task === 'binary' ? binaryLabel(classIndex) : classIndex;
}

function gatherImages(set: ImageSet, indices: ArrayLike<number>, task: TaskKind): LabeledArrays {
  const [height, width, channels] = set.imageShape;
  const pixels = height * width * channels;
  const x = new Float32Array(indices.length * pixels);
  const y = new Int32Array(indices.length);
  for (let row = 0; row < indices.length; row++) {
    const source = indices[row]!;
    const offset = source * pixels;
    for (let p = 0; p < pixels; p++) x[row * pixels + p] = set.images[offset + p]! / 255;
    y[row] = labelFor(task, set.labels[source]!);
  }
  return { x, y, count: indices.length };
}

/** Builds the training and test arrays of one run. */
export function buildTaskData(dataset: LoadedDataset, settings: TaskSettings): TaskData {
  const { trainSize, labelNoise, task } = settings;
  if (!Number.isInteger(trainSize) || trainSize < 1) {
    throw new LabError('invalid-input', `trainSize is ${trainSize}; it must be a positive integer`, { field: 'trainSizes' });
  }
  if (trainSize > dataset.train.count) {
    const hint = dataset.embedded ? '; use data.source "installed" for the full data set' : '';
    throw new LabError('invalid-input', `trainSize ${trainSize} exceeds the ${dataset.train.count} training images of ${dataset.name} in ${dataset.folder}${hint}`, {
      field: 'trainSizes',
    });
  }
  if (!(labelNoise >= 0 && labelNoise <= 1)) {
    throw new LabError('invalid-input', `labelNoise is ${labelNoise}; it must be a fraction in [0, 1]`, { field: 'data.labelNoise' });
  }

  const order = new Rng(settings.dataSeed, 'train-subset').permutation(dataset.train.count);
  const trainIndices = order.slice(0, trainSize);
  const train = gatherImages(dataset.train, trainIndices, task);

  // Label noise: the first round(p m) examples of a seeded permutation of the subset get a label
  // drawn uniformly from all classes of the task (so about 1/K of them keep their label).
  const classCount = task === 'binary' ? 2 : dataset.classCount;
  const noiseRng = new Rng(settings.dataSeed, 'label-noise');
  const noisyPositions = noiseRng.permutation(trainSize).slice(0, Math.round(labelNoise * trainSize));
  let noisyLabelCount = 0;
  for (const position of noisyPositions) {
    const label = noiseRng.nextInt(classCount);
    if (label !== train.y[position]) noisyLabelCount++;
    train.y[position] = label;
  }

  const testCount = Math.min(settings.testSize ?? dataset.test.count, dataset.test.count);
  const testIndices = Int32Array.from({ length: testCount }, (_, index) => index);
  return {
    train,
    test: gatherImages(dataset.test, testIndices, task),
    inputShape: dataset.train.imageShape,
    outputCount: task === 'binary' ? 1 : dataset.classCount,
    noisyLabelCount,
    trainIndices,
  };
}
