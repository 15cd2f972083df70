/**
 * Measures of a network trained elsewhere: a TensorFlow.js layers-model folder and its training
 * set as .npy files. The `measure` command and the lab worker (for the app's audit page) call this.
 */
import * as tf from '@tensorflow/tfjs';
import { readNpy } from '../data/npy.js';
import type { NpyArray } from '../data/npy.js';
import { loadLayersModelFromFolder } from '../models/layersModel.js';
import { LabError } from '../util/errors.js';
import { computeMeasures } from './compute.js';
import type { MeasureOptions, MeasureReport, Task } from './types.js';

export interface AuditInput {
  modelDir: string;
  initDir?: string;
  xPath: string;
  yPath: string;
  /** Inferred from the output width when absent: one logit means binary. */
  task?: Task;
  ids: readonly string[];
  options: MeasureOptions;
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((size) => (size === null ? 'null' : String(size))).join(', ')}]`;
}

/**
 * Returns the training inputs in the model's input shape. Flattened rows ([m, features]) are reshaped
 * in C order, and images are flattened for a model that takes vectors, when the sizes agree.
 */
function inputsFor(array: NpyArray, path: string, modelShape: readonly (number | null)[]): { values: Float32Array; shape: number[] } {
  if (array.dtype !== 'float32' && array.dtype !== 'float64' && array.dtype !== 'uint8') {
    throw new LabError('invalid-input', `${path} has dtype ${array.dtype}; x must be float32, float64 or uint8`, { field: '--x' });
  }
  const dims = modelShape.slice(1);
  if (dims.some((size) => size === null)) {
    throw new LabError('unsupported', `The model's input shape ${shapeText(modelShape)} has an undefined dimension; save the model with a fixed input shape`);
  }
  const expected = dims as number[];
  const perExample = expected.reduce((product, size) => product * size, 1);
  const m = array.shape[0] ?? 0;
  const values = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data);
  const matches = array.shape.length === expected.length + 1 && expected.every((size, axis) => array.shape[axis + 1] === size);
  const sameSize = array.shape.slice(1).reduce((product, size) => product * size, 1) === perExample;
  const reshapable = sameSize && (array.shape.length === 2 || expected.length === 1);
  if (!matches && !reshapable) {
    throw new LabError(
      'invalid-input',
      `${path} has shape ${shapeText(array.shape)} but the model takes inputs of shape ${shapeText(modelShape)}; store x as [m, ${expected.join(', ')}] (or as [m, ${perExample}] rows flattened in C order)`,
      { field: '--x' },
    );
  }
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new LabError('invalid-input', `${path} contains ${values[bad]} at flat index ${bad}; inputs must be finite numbers (replace missing pixels before saving)`, { field: '--x' });
  }
  return { values, shape: [m, ...expected] };
}

/** Integer labels as int32; float arrays are accepted when every value is an integer. */
function labelsFrom(array: NpyArray, path: string, m: number): Int32Array {
  const isColumn = array.shape.length === 2 && array.shape[1] === 1;
  if (!(array.shape.length === 1 || isColumn) || array.shape[0] !== m) {
    throw new LabError('invalid-input', `${path} has shape ${shapeText(array.shape)}; y must hold one label per example of x, shape [${m}]`, { field: '--y' });
  }
  const labels = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const value = array.data[i]!;
    if (!Number.isInteger(value)) {
      throw new LabError('invalid-input', `${path} contains ${value} at index ${i}; labels must be integers (class indices, or 0/1 for one logit)`, { field: '--y' });
    }
    labels[i] = value;
  }
  return labels;
}

function inferTask(requested: Task | undefined, outputWidth: number): Task {
  if (requested === undefined) return outputWidth === 1 ? 'binary' : 'multiclass';
  if (requested === 'binary' && outputWidth !== 1) {
    throw new LabError('invalid-input', `--task binary needs a model with one output logit, but this model has ${outputWidth}; use --task multiclass`, { field: '--task' });
  }
  if (requested === 'multiclass' && outputWidth === 1) {
    throw new LabError('invalid-input', '--task multiclass needs one logit per class, but this model has one output; use --task binary', { field: '--task' });
  }
  return requested;
}

/** Loads the network and its data, checks their shapes against each other, and computes the measures. */
export async function auditSavedNetwork(input: AuditInput): Promise<{ report: MeasureReport; task: Task }> {
  const xArray = readNpy(input.xPath);
  const yArray = readNpy(input.yPath);
  const model = await loadLayersModelFromFolder(input.modelDir);
  const initModel = input.initDir === undefined ? undefined : await loadLayersModelFromFolder(input.initDir);
  let x: tf.Tensor | undefined;
  try {
    const inputs = inputsFor(xArray, input.xPath, model.inputs[0]!.shape);
    const y = labelsFrom(yArray, input.yPath, inputs.shape[0]!);
    const outputShape = model.outputs[0]!.shape;
    const task = inferTask(input.task, outputShape[outputShape.length - 1] ?? 0);
    x = tf.tensor(inputs.values, inputs.shape, 'float32');
    const report = await computeMeasures({ model, ...(initModel === undefined ? {} : { initModel }), x, y, task, ids: input.ids, options: input.options });
    return { report, task };
  } finally {
    x?.dispose();
    model.dispose();
    initModel?.dispose();
  }
}
