/**
 * TensorFlow.js layers-models on disk and in memory.
 *
 * On disk a model is a folder with `model.json` ({modelTopology, format: "layers-model",
 * weightsManifest: [{paths, weights}]}) and the weight files its manifest lists, in the layout that
 * `model.save('file://DIR')` of tfjs-node writes. In memory (for the study store, which keeps models
 * in SQLite) a model is `SerializedLayersModel`: the same model.json text and one buffer with every
 * weight concatenated in manifest order.
 *
 * Loading checks what `tf.loadLayersModel` would report obscurely (a missing weight file, a file
 * whose length does not match the manifest, a layer class TensorFlow.js does not know) and raises a
 * LabError that names the file and the fix.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LabError } from '../util/errors.js';

/** A layers-model as text plus bytes: model.json (with a one-file manifest) and its weights. */
export interface SerializedLayersModel {
  /** model.json text; its manifest lists one weight file, `weights.bin`, holding `weightData`. */
  modelJson: string;
  /** Every weight, concatenated in manifest order, little-endian. */
  weightData: ArrayBuffer;
}

interface ModelJsonFile {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: tf.io.WeightsManifestConfig;
  trainingConfig?: tf.io.TrainingConfig;
}

const weightFileName = 'weights.bin';

const bytesPerElement: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const bytesPerQuantizedElement: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes that one manifest entry occupies in the weight data. */
function weightByteLength(entry: tf.io.WeightsManifestEntry, source: string): number {
  const count = entry.shape.reduce((product, size) => product * size, 1);
  const quantized = entry.quantization?.dtype;
  const size = quantized === undefined ? bytesPerElement[entry.dtype] : bytesPerQuantizedElement[quantized];
  if (size === undefined) {
    throw new LabError('unsupported', `${source}: weight "${entry.name}" has dtype ${quantized ?? entry.dtype}, which the lab cannot load; save the model with float32 weights`);
  }
  return count * size;
}

/** Parses and checks model.json text; `source` names the file in errors. */
function parseModelJson(text: string, source: string): ModelJsonFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LabError('invalid-file', `${source} is not valid JSON (${(error as Error).message}); save the model again with model.save`, { cause: error });
  }
  const file = parsed as Partial<ModelJsonFile> | null;
  if (file === null || typeof file !== 'object' || Array.isArray(file)) {
    throw new LabError('invalid-file', `${source} must contain a JSON object with modelTopology and weightsManifest`);
  }
  if (file.format === 'graph-model') {
    throw new LabError(
      'unsupported',
      `${source} is a TensorFlow.js graph model; the measures need a layers model: export the Keras model with tensorflowjs_converter --output_format=tfjs_layers_model, or save it with model.save from TensorFlow.js`,
    );
  }
  if (typeof file.modelTopology !== 'object' || file.modelTopology === null) {
    throw new LabError('invalid-file', `${source} has no modelTopology; it is not a TensorFlow.js layers-model file`);
  }
  if (!Array.isArray(file.weightsManifest)) {
    throw new LabError('invalid-file', `${source} has no weightsManifest; save the model with its weights (model.save writes both)`);
  }
  return file as ModelJsonFile;
}

/** Wraps the errors of tf.loadLayersModel so that an unknown layer class reads as a user error. */
async function loadFromArtifacts(file: ModelJsonFile, weightData: ArrayBuffer, source: string): Promise<tf.LayersModel> {
  const weightSpecs = file.weightsManifest.flatMap((group) => group.weights);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: file.modelTopology, weightSpecs, weightData }));
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    const unknown = /Unknown layer: ([^.\s]+)/.exec(message);
    if (unknown !== null) {
      throw new LabError(
        'unsupported',
        `${source} uses the layer class ${unknown[1]}, which TensorFlow.js ${tf.version.tfjs} does not provide; rebuild the model from built-in layers, or register the custom class with tf.serialization.registerClass before loading`,
        { cause: error },
      );
    }
    throw new LabError('invalid-file', `${source} could not be loaded as a layers model: ${message.split('\n', 1)[0]}`, { cause: error });
  }
}

/** Copies a Node Buffer or a typed array into an ArrayBuffer of exactly its bytes. */
function exactArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/**
 * Loads a layers-model from a folder holding model.json and its weight files (or from the path of
 * the model.json itself). Raises a `not-found` LabError for a missing model.json or weight file and
 * an `invalid-file` one when a weight file's length differs from what the manifest lists.
 */
export async function loadLayersModelFromFolder(path: string): Promise<tf.LayersModel> {
  const modelJsonPath = path.endsWith('.json') ? path : join(path, 'model.json');
  const folder = dirname(modelJsonPath);
  let text: string;
  try {
    text = readFileSync(modelJsonPath, 'utf8');
  } catch (error) {
    throw new LabError(
      'not-found',
      `Cannot read ${modelJsonPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass the folder that model.save wrote, which contains model.json and its weight files`,
      { cause: error },
    );
  }
  const file = parseModelJson(text, modelJsonPath);

  const chunks: Uint8Array[] = [];
  for (const group of file.weightsManifest) {
    const expected = group.weights.reduce((total, entry) => total + weightByteLength(entry, modelJsonPath), 0);
    let actual = 0;
    for (const relativePath of group.paths) {
      const weightPath = join(folder, relativePath);
      let bytes: Buffer;
      try {
        bytes = readFileSync(weightPath);
      } catch (error) {
        throw new LabError(
          'not-found',
          `Weight file ${weightPath}, listed in ${basename(modelJsonPath)}, cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); copy it beside model.json`,
          { cause: error },
        );
      }
      actual += bytes.length;
      chunks.push(bytes);
    }
    if (actual !== expected) {
      throw new LabError(
        'invalid-file',
        `Weight file${group.paths.length > 1 ? 's' : ''} ${group.paths.map((name) => join(folder, name)).join(', ')} ${group.paths.length > 1 ? 'have' : 'has'} ${actual} bytes, but ${basename(modelJsonPath)} lists weights of ${expected} bytes; the file is truncated or belongs to another model: save the model again`,
      );
    }
  }
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    weightData.set(chunk, offset);
    offset += chunk.length;
  }
  return loadFromArtifacts(file, weightData.buffer, modelJsonPath);
}

/** Saves through a TF.js save handler and returns the artifacts with one concatenated weight buffer. */
async function captureArtifacts(model: tf.LayersModel): Promise<{ artifacts: tf.io.ModelArtifacts; weightData: ArrayBuffer }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (captured === undefined) throw new LabError('internal', 'model.save finished without passing its artifacts to the save handler');
  const data = captured.weightData;
  const weightData = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  return { artifacts: captured, weightData };
}

function modelJsonText(artifacts: tf.io.ModelArtifacts): string {
  const file: ModelJsonFile = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [weightFileName], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) file.trainingConfig = artifacts.trainingConfig;
  return JSON.stringify(file);
}

/** Serializes a model to model.json text and one weight buffer, for storage in a database. */
export async function serializeLayersModel(model: tf.LayersModel): Promise<SerializedLayersModel> {
  const { artifacts, weightData } = await captureArtifacts(model);
  return { modelJson: modelJsonText(artifacts), weightData };
}

/**
 * Rebuilds a model from `serializeLayersModel` output. `weightData` may be a Node Buffer or any
 * Uint8Array view (as SQLite drivers return blobs); its length must match the manifest.
 */
export async function deserializeLayersModel(serialized: { modelJson: string; weightData: ArrayBuffer | Uint8Array }): Promise<tf.LayersModel> {
  const source = 'the stored model';
  const file = parseModelJson(serialized.modelJson, source);
  const weightData = serialized.weightData instanceof Uint8Array ? exactArrayBuffer(serialized.weightData) : serialized.weightData;
  const expected = file.weightsManifest.flatMap((group) => group.weights).reduce((total, entry) => total + weightByteLength(entry, source), 0);
  if (weightData.byteLength !== expected) {
    throw new LabError('invalid-file', `The stored model's weight data has ${weightData.byteLength} bytes, but its manifest lists weights of ${expected} bytes; the stored model is corrupt: train or import it again`);
  }
  return loadFromArtifacts(file, weightData, source);
}

/** Writes model.json and weights.bin into `folder` (created if needed); the inverse of `loadLayersModelFromFolder`. */
export async function saveLayersModelToFolder(model: tf.LayersModel, folder: string): Promise<void> {
  const { modelJson, weightData } = await serializeLayersModel(model);
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, weightFileName), new Uint8Array(weightData));
    writeFileSync(join(folder, 'model.json'), modelJson);
  } catch (error) {
    throw new LabError('storage', `Cannot write the model to ${folder} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); choose a writable folder`, { cause: error });
  }
}
