/**
 * Image data sets on disk: the embedded Fashion-MNIST subset shipped in assets/, full MNIST or
 * Fashion-MNIST in IDX format wherever it already is (Debian's dataset packages install them under
 * /usr/share/datasets), and CIFAR-10 in its binary version (cifar10.ts). The lab never downloads
 * data.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { cifarTestFile, cifarTrainFiles, hasCifarFiles, readCifarFolder } from './cifar10.js';
import { readIdx } from './idx.js';

export const datasetNames = ['fashion-mnist', 'mnist', 'cifar10'] as const;
export type DatasetName = (typeof datasetNames)[number];

/** Images in NHWC order, uint8 pixel values 0..255, with one class label (0..9) each. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** [height, width, channels] */
  imageShape: [number, number, number];
}

export interface LoadedDataset {
  name: DatasetName;
  /** Folder the files were read from. */
  folder: string;
  /** Whether this is the embedded subset rather than the full data set. */
  embedded: boolean;
  train: ImageSet;
  test: ImageSet;
  classCount: number;
}

/** Where a data set comes from: the embedded subset, the first full copy found, or a named folder. */
export type DatasetSource = 'embedded' | 'installed' | { folder: string };

const log = createLogger('data');

/** The repository's assets folder, found from the source or the compiled file alike. */
export function assetsDir(): string {
  // This file is main/data/ in the sources and dist/main/data/ once compiled.
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', '..', 'assets'), resolve(here, '..', '..', '..', 'assets')];
  return candidates.find((folder) => existsSync(join(folder, 'fashion-mnist'))) ?? candidates[0]!;
}

const idxFiles = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The folder name that the CIFAR-10 binary archive extracts to. */
const cifarArchiveFolder = 'cifar-10-batches-bin';

/**
 * Folders searched for full data sets, in order: FRAGILITY_LAB_DATA_DIR, the user's, then the
 * system's. For CIFAR-10 each is also searched for the archive's cifar-10-batches-bin folder.
 */
export function standardDataFolders(name: DatasetName): string[] {
  const bases: string[] = [];
  const fromEnvironment = process.env.FRAGILITY_LAB_DATA_DIR;
  if (fromEnvironment) bases.push(join(fromEnvironment, name), fromEnvironment);
  bases.push(join(homedir(), '.fragility-lab', 'datasets', name), join('/usr/share/datasets', name));
  return name === 'cifar10' ? bases.flatMap((folder) => [folder, join(folder, cifarArchiveFolder)]) : bases;
}

/** Whether `folder` has the files of data set `name` in its format. */
function hasDatasetFiles(name: DatasetName, folder: string): boolean {
  return name === 'cifar10' ? hasCifarFiles(folder) : hasIdxFiles(folder);
}

/** The files a folder of data set `name` needs, for error messages. */
function requiredFiles(name: DatasetName): string {
  return name === 'cifar10'
    ? `the six CIFAR-10 binary batches (${[...cifarTrainFiles, cifarTestFile].join(', ')})`
    : `the four IDX files (${Object.values(idxFiles).join(', ')}, plain or .gz)`;
}

/** Number of records in a CIFAR-10 batch file, from its length (the records have a fixed size). */
function cifarRecordCount(path: string): number {
  return Math.floor(statSync(path).size / 3073);
}

/** Finds `stem` or `stem.gz` in `folder`. */
function findIdxFile(folder: string, stem: string): string | undefined {
  for (const name of [stem, `${stem}.gz`]) {
    const path = join(folder, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Whether `folder` has all four IDX files of an MNIST-style data set. */
export function hasIdxFiles(folder: string): boolean {
  return Object.values(idxFiles).every((stem) => findIdxFile(folder, stem) !== undefined);
}

export interface DiscoveredDataset {
  name: DatasetName;
  folder: string;
  embedded: boolean;
  trainCount: number;
  testCount: number;
}

/**
 * Lists the data sets available on this machine: the embedded subset, copies in the standard
 * folders, and MNIST-style folders among `extraFolders` (named by the user). Counts come from the
 * label files, which are small.
 */
export function discoverDatasets(extraFolders: readonly string[] = []): DiscoveredDataset[] {
  const found: DiscoveredDataset[] = [];
  const seen = new Set<string>();
  const consider = (name: DatasetName, folder: string, embedded: boolean): void => {
    const key = resolve(folder);
    if (seen.has(key) || !hasDatasetFiles(name, folder)) return;
    seen.add(key);
    try {
      const trainCount =
        name === 'cifar10' ? cifarTrainFiles.reduce((total, file) => total + cifarRecordCount(join(folder, file)), 0) : readIdx(findIdxFile(folder, idxFiles.trainLabels)!).shape[0]!;
      const testCount = name === 'cifar10' ? cifarRecordCount(join(folder, cifarTestFile)) : readIdx(findIdxFile(folder, idxFiles.testLabels)!).shape[0]!;
      found.push({ name, folder: key, embedded, trainCount, testCount });
    } catch (error) {
      log.warn(`skipping data folder ${folder}: ${(error as Error).message}`);
    }
  };
  consider('fashion-mnist', join(assetsDir(), 'fashion-mnist'), true);
  for (const name of datasetNames) for (const folder of standardDataFolders(name)) consider(name, folder, false);
  for (const folder of extraFolders) {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
    if (hasCifarFiles(folder)) consider('cifar10', folder, false);
    const name: DatasetName = /(^|[^a-z])mnist$/i.test(folder) && !/fashion/i.test(folder) ? 'mnist' : 'fashion-mnist';
    consider(name, folder, false);
    for (const child of readdirSync(folder)) {
      const childName = child === cifarArchiveFolder ? 'cifar10' : datasetNames.find((candidate) => candidate === child);
      if (childName === undefined) continue;
      consider(childName, join(folder, child), false);
      if (childName === 'cifar10') consider('cifar10', join(folder, child, cifarArchiveFolder), false);
    }
  }
  return found;
}

function readImageSet(folder: string, imagesStem: string, labelsStem: string): ImageSet {
  const imagesPath = findIdxFile(folder, imagesStem);
  const labelsPath = findIdxFile(folder, labelsStem);
  if (imagesPath === undefined || labelsPath === undefined) {
    throw new LabError('not-found', `${join(folder, imagesPath === undefined ? imagesStem : labelsStem)}[.gz] not found; the folder needs the four IDX files of MNIST or Fashion-MNIST`);
  }
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.shape.length !== 3 || !(images.data instanceof Uint8Array)) {
    throw new LabError('invalid-file', `${imagesPath} has shape ${images.shape.join(' x ')}; an image file must be unsigned bytes of shape count x height x width`);
  }
  if (labels.shape.length !== 1 || !(labels.data instanceof Uint8Array)) {
    throw new LabError('invalid-file', `${labelsPath} has shape ${labels.shape.join(' x ')}; a label file must be unsigned bytes of shape count`);
  }
  if (labels.shape[0] !== images.shape[0]) {
    throw new LabError('invalid-file', `${labelsPath} has ${labels.shape[0]} labels but ${imagesPath} has ${images.shape[0]} images; the two files must come from the same release`);
  }
  const badLabel = labels.data.findIndex((label) => label > 9);
  if (badLabel >= 0) {
    throw new LabError('invalid-file', `${labelsPath}: label ${labels.data[badLabel]} at index ${badLabel} is outside 0..9`);
  }
  return {
    images: images.data,
    labels: labels.data,
    count: images.shape[0]!,
    imageShape: [images.shape[1]!, images.shape[2]!, 1],
  };
}

const cache = new Map<string, LoadedDataset>();

/** Resolves a data source to the folder it reads from, or raises with the folders searched. */
export function resolveDatasetFolder(name: DatasetName, source: DatasetSource): { folder: string; embedded: boolean } {
  if (source === 'embedded') {
    if (name !== 'fashion-mnist') {
      throw new LabError('invalid-input', `data.source "embedded" exists only for fashion-mnist, not ${name}; use "installed" or a folder`, { field: 'data.source' });
    }
    return { folder: join(assetsDir(), 'fashion-mnist'), embedded: true };
  }
  if (source === 'installed') {
    const folders = standardDataFolders(name);
    const folder = folders.find((candidate) => hasDatasetFiles(name, candidate));
    if (folder === undefined) {
      const install = name === 'cifar10' ? 'Extract cifar-10-binary.tar.gz into one of these folders' : `Install Debian's dataset-${name} package, copy the four IDX files into one of these folders`;
      throw new LabError('not-found', `No full copy of ${name} found in ${folders.join(', ')}. ${install}, or set data.source to the folder that has ${requiredFiles(name)}`, {
        field: 'data.source',
      });
    }
    return { folder, embedded: false };
  }
  if (!hasDatasetFiles(name, source.folder)) {
    throw new LabError('not-found', `${source.folder} does not have ${requiredFiles(name)}`, { field: 'data.source' });
  }
  return { folder: source.folder, embedded: false };
}

/** Loads a data set once per process. */
export function loadDataset(name: DatasetName, source: DatasetSource): LoadedDataset {
  const { folder, embedded } = resolveDatasetFolder(name, source);
  const key = `${name}:${resolve(folder)}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const started = performance.now();
  const sets =
    name === 'cifar10'
      ? readCifarFolder(folder)
      : { train: readImageSet(folder, idxFiles.trainImages, idxFiles.trainLabels), test: readImageSet(folder, idxFiles.testImages, idxFiles.testLabels) };
  const dataset: LoadedDataset = { name, folder, embedded, ...sets, classCount: 10 };
  log.debug(`loaded ${name} from ${folder} (${dataset.train.count} train, ${dataset.test.count} test) in ${Math.round(performance.now() - started)} ms`);
  cache.set(key, dataset);
  return dataset;
}
