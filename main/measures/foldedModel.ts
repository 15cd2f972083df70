/**
 * Rebuilds a folded network as a TF.js model: the topology of the source model without its folded
 * BatchNormalization layers, Dense and Conv2D layers given the folded kernels and biases. With
 * `squareParameters` every parameter is squared element-wise (kernels, biases, gamma and beta of the
 * BatchNormalization layers left in place) while moving statistics stay as they are: the network
 * whose output on an all-ones input is the path norm.
 */
import * as tf from '@tensorflow/tfjs';
import type { FoldedNetwork } from './weights.js';

/** An inbound tensor of a functional layer: [layer name, node index, tensor index, kwargs]. */
type InboundReference = [string, number, number, unknown?];

interface TopologyLayer {
  class_name: string;
  config: Record<string, unknown>;
  /** Present in functional models only. */
  name?: string;
  inbound_nodes?: InboundReference[][];
}

interface Topology {
  class_name: string;
  config: { layers: TopologyLayer[]; output_layers?: [string, number, number][] };
}

function toFloat32(values: Float64Array, square: boolean): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = square ? values[i]! * values[i]! : values[i]!;
  return out;
}

/**
 * Rewires a functional topology around the folded BatchNormalization layers: every reference to a
 * folded layer's output (from a consumer or the model's outputs) is replaced by a reference to
 * the output it normalised, which the folded Dense or Conv2D layer now computes.
 */
function bypassFoldedLayers(topology: Topology, folded: ReadonlySet<string>): void {
  const source = new Map<string, InboundReference>();
  for (const entry of topology.config.layers) {
    const name = entry.name ?? (entry.config.name as string);
    if (folded.has(name)) source.set(name, entry.inbound_nodes![0]![0]!);
  }
  const resolve = (reference: InboundReference): InboundReference => {
    const replacement = source.get(reference[0]);
    return replacement === undefined ? reference : [replacement[0], replacement[1], replacement[2], ...reference.slice(3)] as InboundReference;
  };
  for (const entry of topology.config.layers) {
    if (entry.inbound_nodes !== undefined) entry.inbound_nodes = entry.inbound_nodes.map((call) => call.map(resolve));
  }
  if (topology.config.output_layers !== undefined) {
    topology.config.output_layers = topology.config.output_layers.map((reference) => resolve(reference).slice(0, 3) as [string, number, number]);
  }
}

/**
 * Copies the source topology with folded BatchNormalization layers removed (and, in a functional
 * model, their consumers wired to the folded layer), `use_bias` set on the layers that received a
 * folded bias, and every initializer replaced by zeros (the weights are set right after, so
 * drawing random initial values would be wasted work).
 */
function foldedTopology(network: FoldedNetwork): object {
  const topology = structuredClone(network.model.toJSON(undefined, false)) as unknown as Topology;
  const withBias = new Set(network.weightLayers.filter((layer) => layer.bias !== null).map((layer) => layer.name));
  const folded = new Set(network.plan.folds.keys());
  if (topology.class_name !== 'Sequential') bypassFoldedLayers(topology, folded);
  topology.config.layers = topology.config.layers.filter((entry) => !folded.has(entry.config.name as string));
  for (const entry of topology.config.layers) {
    if (withBias.has(entry.config.name as string)) entry.config.use_bias = true;
    for (const key of Object.keys(entry.config)) {
      if (key.endsWith('_initializer')) entry.config[key] = { class_name: 'Zeros', config: {} };
    }
  }
  return topology;
}

/** Builds the folded network as a new model; the caller disposes it. */
export async function buildFoldedModel(network: FoldedNetwork, options: { squareParameters?: boolean } = {}): Promise<tf.LayersModel> {
  const square = options.squareParameters ?? false;
  const model = await tf.models.modelFromJSON(foldedTopology(network) as tf.serialization.ConfigDict);
  try {
    const weightLayers = new Map(network.weightLayers.map((layer) => [layer.name, layer]));
    for (const layer of model.layers) {
      const weightLayer = weightLayers.get(layer.name);
      const batchNorm = network.batchNormsLeft.get(layer.name);
      let values: tf.Tensor[] | undefined;
      if (weightLayer !== undefined) {
        values = [tf.tensor(toFloat32(weightLayer.kernel, square), weightLayer.kernelShape)];
        if (weightLayer.bias !== null) values.push(tf.tensor1d(toFloat32(weightLayer.bias, square)));
      } else if (batchNorm !== undefined) {
        // The order of BatchNormalization weights in TF.js: gamma, beta (when present), moving mean, moving variance.
        values = [];
        if (batchNorm.gamma !== null) values.push(tf.tensor1d(toFloat32(batchNorm.gamma, square)));
        if (batchNorm.beta !== null) values.push(tf.tensor1d(toFloat32(batchNorm.beta, square)));
        values.push(tf.tensor1d(toFloat32(batchNorm.movingMean, false)), tf.tensor1d(toFloat32(batchNorm.movingVariance, false)));
      }
      if (values === undefined) continue;
      layer.setWeights(values);
      tf.dispose(values);
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
