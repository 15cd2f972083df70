/**
 * Turns a data set into the arrays one run trains and tests on: the task (binary or 10-class), a
 * training subset of size m drawn by the data seed, label noise, pixel shuffling, and pixel
 * scaling to [0, 1].
 *
 * Subsets are nested: for one data seed, the m = 100 subset is the first 100 examples of the
 * m = 1,000 subset, so that a learning curve measures the effect of adding data, not of redrawing it.
 */
import { LabError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { DatasetName, ImageSet, LoadedDataset } from './datasets.js';
import { pixelOrderFor, type PixelShuffle } from './pixelShuffle.js';

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
  /** Pixel shuffling of training and test images alike (default 'none'); seeded by `dataSeed`. */
  pixelShuffle?: PixelShuffle;
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

/** CIFAR-10 classes that are vehicles: airplane (0), automobile (1), ship (8), truck (9). */
const cifarVehicles = new Set([0, 1, 8, 9]);

/**
 * The binary label of a class of `dataset`: 0-4 against 5-9 for MNIST and Fashion-MNIST; for
 * CIFAR-10, vehicles (airplane, automobile, ship, truck) are 0 and animals (bird, cat, deer, dog,
 * frog, horse) are 1, a split by meaning of the ten classes of Krizhevsky 2009, with 40% and 60%
 * of the images.
 */
export function binaryLabelOf(dataset: DatasetName, classIndex: number): number {
  if (dataset === 'cifar10') return cifarVehicles.has(classIndex) ? 0 : 1;
  return binaryLabel(classIndex);
}

/**
 * Copies the images at `indices` as floats in [0, 1] with their labels. `pixelOrder(index)` gives
 * the permutation of pixel positions for the image at file index `index` (output position p takes
 * the pixel at position order[p], with all its channels), or null to keep the image as it is.
 */
function gatherImages(set: ImageSet, indices: ArrayLike<number>, label: (classIndex: number) => number, pixelOrder: (index: number) => Int32Array | null): LabeledArrays {
  const [height, width, channels] = set.imageShape;
  const pixels = height * width * channels;
  const x = new Float32Array(indices.length * pixels);
  const y = new Int32Array(indices.length);
  for (let row = 0; row < indices.length; row++) {
    const source = indices[row]!;
    const offset = source * pixels;
    const target = row * pixels;
    const order = pixelOrder(source);
    if (order === null) {
      for (let p = 0; p < pixels; p++) x[target + p] = set.images[offset + p]! / 255;
    } else {
      for (let position = 0; position < order.length; position++) {
        const from = offset + order[position]! * channels;
        for (let channel = 0; channel < channels; channel++) x[target + position * channels + channel] = set.images[from + channel]! / 255;
      }
    }
    y[row] = label(set.labels[source]!);
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
  const label = (classIndex: number): number => (task === 'binary' ? binaryLabelOf(dataset.name, classIndex) : classIndex);
  const [height, width] = dataset.train.imageShape;
  const shuffle = settings.pixelShuffle ?? 'none';
  const train = gatherImages(dataset.train, trainIndices, label, pixelOrderFor(shuffle, height * width, settings.dataSeed, 'train'));

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
    test: gatherImages(dataset.test, testIndices, label, pixelOrderFor(shuffle, height * width, settings.dataSeed, 'test')),
    inputShape: dataset.train.imageShape,
    outputCount: task === 'binary' ? 1 : dataset.classCount,
    noisyLabelCount,
    trainIndices,
  };
}
