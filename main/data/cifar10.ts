/**
 * CIFAR-10 in its binary version (the folder `cifar-10-batches-bin` of cifar-10-binary.tar.gz,
 * Krizhevsky 2009, "Learning multiple layers of features from tiny images"): five training files
 * data_batch_1.bin ... data_batch_5.bin and one test file test_batch.bin, each 10,000 records of
 * 3,073 bytes: one label byte (0..9), then the 32x32 image as 1,024 red, 1,024 green and 1,024
 * blue bytes, each plane row by row. The reader converts the images to NHWC order, the layout of
 * every other data set of the lab.
 *
 * Class indices: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship,
 * 9 truck (batches.meta.txt of the release).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../util/errors.js';
import type { ImageSet } from './datasets.js';

export const cifarImageShape: [number, number, number] = [32, 32, 3];
const pixelsPerPlane = 32 * 32;
const imageBytes = 3 * pixelsPerPlane;
/** Bytes of one record: the label byte and the image. */
export const cifarRecordBytes = 1 + imageBytes;

export const cifarTrainFiles = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;
export const cifarTestFile = 'test_batch.bin';

/** The fix named by every format error: the binary release, not the Python or MATLAB one. */
const downloadHint = 'use the binary version of CIFAR-10 (cifar-10-binary.tar.gz, folder cifar-10-batches-bin), not the Python or MATLAB version, and extract it again';

/** Decodes one batch file's bytes into NHWC images and labels; `path` only names the file in errors. */
export function parseCifarBatch(bytes: Uint8Array, path: string): ImageSet {
  if (bytes.length === 0) throw new LabError('invalid-file', `${path} is empty; ${downloadHint}`);
  if (bytes.length % cifarRecordBytes !== 0) {
    const records = Math.floor(bytes.length / cifarRecordBytes);
    const extra = bytes.length - records * cifarRecordBytes;
    throw new LabError(
      'invalid-file',
      `${path} has ${bytes.length} bytes, which is not a multiple of the ${cifarRecordBytes}-byte CIFAR-10 record (${records} records and ${extra} bytes left over); the file is truncated or not a CIFAR-10 binary batch: ${downloadHint}`,
    );
  }
  const count = bytes.length / cifarRecordBytes;
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * imageBytes);
  for (let record = 0; record < count; record++) {
    const offset = record * cifarRecordBytes;
    const label = bytes[offset]!;
    if (label > 9) {
      throw new LabError('invalid-file', `${path}: record ${record} (byte ${offset}) has label ${label}, outside 0..9; the file is not a CIFAR-10 binary batch (CIFAR-100's has two label bytes): ${downloadHint}`);
    }
    labels[record] = label;
    const planes = offset + 1;
    const target = record * imageBytes;
    for (let pixel = 0; pixel < pixelsPerPlane; pixel++) {
      images[target + 3 * pixel] = bytes[planes + pixel]!;
      images[target + 3 * pixel + 1] = bytes[planes + pixelsPerPlane + pixel]!;
      images[target + 3 * pixel + 2] = bytes[planes + 2 * pixelsPerPlane + pixel]!;
    }
  }
  return { images, labels, count, imageShape: [...cifarImageShape] };
}

/** Reads one batch file. */
export function readCifarBatch(path: string): ImageSet {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new LabError('not-found', `Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseCifarBatch(bytes, path);
}

/** Whether `folder` has the six batch files of CIFAR-10's binary version. */
export function hasCifarFiles(folder: string): boolean {
  return [...cifarTrainFiles, cifarTestFile].every((name) => existsSync(join(folder, name)));
}

/** Concatenates image sets of the same image shape in order. */
function concatenate(sets: readonly ImageSet[]): ImageSet {
  const count = sets.reduce((total, set) => total + set.count, 0);
  const images = new Uint8Array(count * imageBytes);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (const set of sets) {
    images.set(set.images, offset * imageBytes);
    labels.set(set.labels, offset);
    offset += set.count;
  }
  return { images, labels, count, imageShape: [...cifarImageShape] };
}

/** Reads the training batches (in order 1..5) and the test batch of a CIFAR-10 folder. */
export function readCifarFolder(folder: string): { train: ImageSet; test: ImageSet } {
  const missing = [...cifarTrainFiles, cifarTestFile].filter((name) => !existsSync(join(folder, name)));
  if (missing.length > 0) {
    throw new LabError('not-found', `${folder} lacks ${missing.join(', ')}; a CIFAR-10 folder needs data_batch_1.bin ... data_batch_5.bin and test_batch.bin: ${downloadHint}`, { field: 'data.source' });
  }
  const train = concatenate(cifarTrainFiles.map((name) => readCifarBatch(join(folder, name))));
  const test = readCifarBatch(join(folder, cifarTestFile));
  return { train, test };
}

/** Encodes NHWC images and labels as one binary batch file (for tests and small fixtures). */
export function encodeCifarBatch(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const count = labels.length;
  if (images.length !== count * imageBytes) throw new RangeError(`encodeCifarBatch: ${images.length} pixel bytes do not make ${count} images of 32x32x3`);
  const out = new Uint8Array(count * cifarRecordBytes);
  for (let record = 0; record < count; record++) {
    const offset = record * cifarRecordBytes;
    out[offset] = labels[record]!;
    for (let pixel = 0; pixel < pixelsPerPlane; pixel++) {
      for (let channel = 0; channel < 3; channel++) out[offset + 1 + channel * pixelsPerPlane + pixel] = images[record * imageBytes + 3 * pixel + channel]!;
    }
  }
  return out;
}
