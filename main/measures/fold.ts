/**
 * BatchNorm folding, planned over the layer graph of a network.
 *
 * A BatchNormalization is folded into the layer that feeds it when that layer is Dense or Conv2D with
 * a linear activation, the BatchNormalization is its only consumer, and it normalizes that layer's
 * channel axis. In inference mode BN(x) = (x - mean) / sqrt(var + eps) * gamma + beta, so with
 * scale_c = gamma_c / sqrt(var_c + eps) the folded layer has kernel[..., c] * scale_c and bias
 * beta_c + scale_c (b_c - mean_c) (b = 0 for a layer without bias), and computes exactly the same
 * function. Every other BatchNormalization stays in place.
 *
 * The plan works on `LayerNode`s (a layer and the names of the layers that feed it). `layerGraph`
 * reads them from a Sequential model (each layer takes the output of the one before) or from a
 * functional model's topology (the `inbound_nodes` of each layer in model.json), so residual
 * networks fold too: a BatchNormalization after a convolution folds even when its output goes to
 * an Add, because only the convolution's output must have no other consumer.
 */
import type * as tf from '@tensorflow/tfjs';
import { Unavailable } from './unavailable.js';

/** One layer of the network and the names of the layers whose outputs it takes. */
export interface LayerNode {
  layer: tf.layers.Layer;
  name: string;
  className: string;
  inputs: string[];
}

export interface FoldPlan {
  /** BatchNormalization name -> the Dense or Conv2D layer it is folded into, in layer order. */
  folds: Map<string, string>;
  /** Names of the BatchNormalization layers that stay in place. */
  leftInPlace: string[];
}

/** Layer classes whose weights the measure definitions cover. */
export const weightLayerClasses = new Set(['Dense', 'Conv2D']);

/** One entry of a functional model's topology, as `model.toJSON` writes it. */
interface FunctionalLayerEntry {
  name: string;
  class_name: string;
  /** One list per call of the layer; each item is [layer name, node index, tensor index, kwargs]. */
  inbound_nodes: [string, number, number, unknown?][][];
}

/** Reads the layer graph of a Sequential or functional model; unavailable for other models and shared layers. */
export function layerGraph(model: tf.LayersModel): LayerNode[] | Unavailable {
  const className = model.getClassName();
  if (className === 'Sequential') return sequentialGraph(model);
  if (className === 'Model' || className === 'Functional') return functionalGraph(model);
  return new Unavailable(`BatchNorm folding and the weight-based measures support Sequential and functional models; this model is a ${className}`);
}

function sequentialGraph(model: tf.LayersModel): LayerNode[] {
  const nodes: LayerNode[] = [];
  for (const layer of model.layers) {
    const layerClass = layer.getClassName();
    if (layerClass === 'InputLayer') continue;
    const previous = nodes[nodes.length - 1];
    nodes.push({ layer, name: layer.name, className: layerClass, inputs: previous === undefined ? [] : [previous.name] });
  }
  return nodes;
}

function functionalGraph(model: tf.LayersModel): LayerNode[] | Unavailable {
  const topology = model.toJSON(undefined, false) as unknown as { config: { layers: FunctionalLayerEntry[] } };
  const entries = new Map(topology.config.layers.map((entry) => [entry.name, entry]));
  const inputNames = new Set(topology.config.layers.filter((entry) => entry.class_name === 'InputLayer').map((entry) => entry.name));
  const nodes: LayerNode[] = [];
  for (const layer of model.layers) {
    const layerClass = layer.getClassName();
    if (layerClass === 'InputLayer') continue;
    if (layerClass === 'Sequential' || layerClass === 'Model' || layerClass === 'Functional') {
      return new Unavailable(`layer ${layer.name} is a nested ${layerClass} model; the measures read the layers of one flat model: rebuild the network without nesting`);
    }
    const entry = entries.get(layer.name);
    if (entry === undefined) return new Unavailable(`layer ${layer.name} is missing from the model's topology`);
    if (entry.inbound_nodes.length !== 1) {
      return new Unavailable(`layer ${layer.name} is called ${entry.inbound_nodes.length} times (a shared layer); the measures count each kernel once per layer and need each layer called once`);
    }
    const inputs = entry.inbound_nodes[0]!.map(([name]) => name).filter((name) => !inputNames.has(name));
    nodes.push({ layer, name: layer.name, className: layerClass, inputs });
  }
  return nodes;
}

/** Returns the axis of the output channels of a Dense or Conv2D layer, counted from 0 with the batch axis. */
function channelAxis(node: LayerNode): number {
  const rank = outputRank(node.layer);
  const config = node.layer.getConfig() as { dataFormat?: string };
  return node.className === 'Conv2D' && config.dataFormat === 'channelsFirst' ? 1 : rank - 1;
}

function outputRank(layer: tf.layers.Layer): number {
  const output = layer.output as tf.SymbolicTensor | tf.SymbolicTensor[];
  return (Array.isArray(output) ? output[0]! : output).shape.length;
}

/** Checks whether the BatchNormalization `node` can be folded into `producer`. */
function isFoldable(node: LayerNode, producer: LayerNode | undefined, consumers: Map<string, string[]>): producer is LayerNode {
  if (producer === undefined || !weightLayerClasses.has(producer.className)) return false;
  const producerConfig = producer.layer.getConfig() as { activation?: unknown };
  if (producerConfig.activation !== 'linear') return false;
  if ((consumers.get(producer.name) ?? []).length !== 1) return false;
  const rank = outputRank(producer.layer);
  const axisConfig = (node.layer.getConfig() as { axis?: number | number[] }).axis ?? -1;
  const axes = Array.isArray(axisConfig) ? axisConfig : [axisConfig];
  if (axes.length !== 1) return false;
  const axis = axes[0]! < 0 ? axes[0]! + rank : axes[0]!;
  return axis === channelAxis(producer);
}

/** Decides which BatchNormalization layers fold into the layer before them. */
export function planBatchNormFolding(nodes: readonly LayerNode[]): FoldPlan {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const consumers = new Map<string, string[]>();
  for (const node of nodes) {
    for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node.name]);
  }
  const folds = new Map<string, string>();
  const leftInPlace: string[] = [];
  for (const node of nodes) {
    if (node.className !== 'BatchNormalization') continue;
    const producer = node.inputs.length === 1 ? byName.get(node.inputs[0]!) : undefined;
    if (isFoldable(node, producer, consumers)) folds.set(node.name, producer.name);
    else leftInPlace.push(node.name);
  }
  return { folds, leftInPlace };
}

/** BatchNormalization parameters in inference mode; gamma and beta are null when the layer has none. */
export interface BatchNormParameters {
  name: string;
  gamma: Float64Array | null;
  beta: Float64Array | null;
  movingMean: Float64Array;
  movingVariance: Float64Array;
  epsilon: number;
}

/**
 * Folds a BatchNormalization into a kernel whose last axis is the channel axis (TF.js layout
 * [in, out] or [kh, kw, in, out], C order). Returns the new kernel and bias, in float64.
 */
export function foldBatchNormIntoKernel(
  kernel: Float64Array,
  bias: Float64Array | null,
  batchNorm: BatchNormParameters,
): { kernel: Float64Array; bias: Float64Array } {
  const channels = batchNorm.movingMean.length;
  if (kernel.length % channels !== 0) {
    throw new RangeError(`foldBatchNormIntoKernel: ${kernel.length} kernel entries do not split into ${channels} channels of ${batchNorm.name}`);
  }
  const scale = new Float64Array(channels);
  const foldedBias = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const gamma = batchNorm.gamma?.[c] ?? 1;
    const beta = batchNorm.beta?.[c] ?? 0;
    scale[c] = gamma / Math.sqrt(batchNorm.movingVariance[c]! + batchNorm.epsilon);
    foldedBias[c] = beta + scale[c]! * ((bias?.[c] ?? 0) - batchNorm.movingMean[c]!);
  }
  const foldedKernel = new Float64Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) foldedKernel[i] = kernel[i]! * scale[i % channels]!;
  return { kernel: foldedKernel, bias: foldedBias };
}
