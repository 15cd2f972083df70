/**
 * Rebuilds a folded network as a TF.js model: the topology of the source model without its folded
 * BatchNormalization layers, Dense and Conv2D layers given the folded kernels and biases. With
 * `squareParameters` every parameter is squared element-wise (kernels, biases, gamma and beta of the
 * BatchNormalization layers left in place) while moving statistics stay as they are: the network
 * whose output on an all-ones input is the path norm.
 */
import * as tf from '@tensorflow/tfjs';
import type { FoldedNetwork } from './weights.js';

interface TopologyLayer {
  class_name: string;
  config: Record<string, unknown>;
}

function toFloat32(values: Float64Array, square: boolean): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = square ? values[i]! * values[i]! : values[i]!;
  return out;
}

/**
 * Copies the source topology with folded BatchNormalization layers removed, `use_bias` set on the layers
 * that received a folded bias, and every initializer replaced by zeros (the weights are set right
 * after, so drawing random initial values would be wasted work).
 */
function foldedTopology(network: FoldedNetwork): object {
  const topology = structuredClone(network.model.toJSON(undefined, false)) as unknown as { config: { layers: TopologyLayer[] } };
  const withBias = new Set(network.weightLayers.filter((layer) => layer.bias !== null).map((layer) => layer.name));
  topology.config.layers = topology.config.layers.filter((entry) => !network.plan.folds.has(entry.config.name as string));
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
