/**
 * The weights of a network as the measures see them: the kernels of its Dense and Conv2D layers
 * after BatchNorm folding (fold.ts), in float64, with their biases and the BatchNormalization layers
 * left in place.
 *
 * Matrix view: a kernel in the TF.js layout ([in, out] or [kh, kw, in, out], C order) is read as a
 * (size / out) x out row-major matrix. That is the transpose of the out x (kh * kw * in) view of
 * the definitions, with the same singular values.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BatchNormParameters, FoldPlan, LayerNode } from './fold.js';
import { foldBatchNormIntoKernel, layerGraph, planBatchNormFolding, weightLayerClasses } from './fold.js';
import { Unavailable } from './unavailable.js';

/** A Dense or Conv2D layer after folding. */
export interface WeightLayer {
  name: string;
  kind: 'Dense' | 'Conv2D';
  /** The BatchNormalization folded into this layer, or null. */
  foldedBatchNorm: string | null;
  /** TF.js kernel shape: [in, out] or [kh, kw, in, out]. */
  kernelShape: number[];
  /** Folded kernel values in the TF.js layout, C order. */
  kernel: Float64Array;
  /** Folded bias (length out), or null for a layer without bias and without a folded BatchNormalization. */
  bias: Float64Array | null;
}

export interface FoldedNetwork {
  /** The unfolded network the weights were read from; its topology is the template of folded copies. */
  model: tf.LayersModel;
  nodes: LayerNode[];
  plan: FoldPlan;
  /** Dense and Conv2D layers in layer order: W_1..W_d. */
  weightLayers: WeightLayer[];
  /** BatchNormalization layers that were not folded, by name. */
  batchNormsLeft: Map<string, BatchNormParameters>;
}

/** Rows and columns of the matrix view used for the norms: [size / out, out]. */
export function kernelMatrixShape(layer: WeightLayer): [number, number] {
  const out = layer.kernelShape[layer.kernelShape.length - 1]!;
  return [layer.kernel.length / out, out];
}

/** Reads the weight variables of a layer by role (`kernel`, `bias`, `gamma`, ...) as float64 copies. */
function readLayerWeights(layer: tf.layers.Layer): Map<string, { shape: number[]; values: Float64Array }> {
  const weights = new Map<string, { shape: number[]; values: Float64Array }>();
  for (const variable of layer.weights) {
    const role = variable.originalName.split('/').pop()!;
    weights.set(role, { shape: variable.shape.map((size) => size ?? 0), values: Float64Array.from(variable.read().dataSync() as Float32Array) });
  }
  return weights;
}

function readBatchNorm(node: LayerNode): BatchNormParameters {
  const weights = readLayerWeights(node.layer);
  const config = node.layer.getConfig() as { epsilon?: number };
  return {
    name: node.name,
    gamma: weights.get('gamma')?.values ?? null,
    beta: weights.get('beta')?.values ?? null,
    movingMean: weights.get('moving_mean')!.values,
    movingVariance: weights.get('moving_variance')!.values,
    epsilon: config.epsilon ?? 1e-3,
  };
}

/**
 * Reads and folds the weights of `model`. Unavailable when the model is neither Sequential nor functional, or has a
 * layer with weights that the definitions do not cover (anything but Dense, Conv2D and
 * BatchNormalization), or has no Dense or Conv2D layer.
 */
export function extractFoldedNetwork(model: tf.LayersModel): FoldedNetwork | Unavailable {
  const nodes = layerGraph(model);
  if (nodes instanceof Unavailable) return nodes;
  for (const node of nodes) {
    if (node.layer.weights.length > 0 && !weightLayerClasses.has(node.className) && node.className !== 'BatchNormalization') {
      return new Unavailable(`layer ${node.name} (${node.className}) has weights, but the measures are defined for Dense, Conv2D and BatchNormalization layers only`);
    }
  }
  const plan = planBatchNormFolding(nodes);
  const foldedInto = new Map([...plan.folds].map(([batchNorm, into]) => [into, batchNorm]));
  const byName = new Map(nodes.map((node) => [node.name, node]));

  const weightLayers: WeightLayer[] = [];
  const batchNormsLeft = new Map<string, BatchNormParameters>();
  for (const node of nodes) {
    if (node.className === 'BatchNormalization') {
      if (!plan.folds.has(node.name)) batchNormsLeft.set(node.name, readBatchNorm(node));
      continue;
    }
    if (!weightLayerClasses.has(node.className)) continue;
    const weights = readLayerWeights(node.layer);
    const kernel = weights.get('kernel')!;
    const bias = weights.get('bias')?.values ?? null;
    const batchNormName = foldedInto.get(node.name) ?? null;
    const folded = batchNormName === null ? { kernel: kernel.values, bias } : foldBatchNormIntoKernel(kernel.values, bias, readBatchNorm(byName.get(batchNormName)!));
    weightLayers.push({
      name: node.name,
      kind: node.className as 'Dense' | 'Conv2D',
      foldedBatchNorm: batchNormName,
      kernelShape: kernel.shape,
      kernel: folded.kernel,
      bias: folded.bias,
    });
  }
  if (weightLayers.length === 0) return new Unavailable('the network has no Dense or Conv2D layer, so it has no weights to measure');
  return { model, nodes, plan, weightLayers, batchNormsLeft };
}

/** Describes the first non-finite value among the folded weights, or returns null when all are finite. */
export function findNonFiniteWeight(network: FoldedNetwork): string | null {
  for (const layer of network.weightLayers) {
    for (const [role, values] of [['kernel', layer.kernel], ['bias', layer.bias]] as const) {
      if (values === null) continue;
      const index = values.findIndex((value) => !Number.isFinite(value));
      if (index >= 0) return `layer ${layer.name} has a non-finite ${layer.foldedBatchNorm === null ? '' : 'folded '}${role} entry (${values[index]} at flat index ${index})`;
    }
  }
  for (const batchNorm of network.batchNormsLeft.values()) {
    for (const [role, values] of Object.entries({ gamma: batchNorm.gamma, beta: batchNorm.beta, moving_mean: batchNorm.movingMean, moving_variance: batchNorm.movingVariance })) {
      const index = values?.findIndex((value) => !Number.isFinite(value)) ?? -1;
      if (index >= 0) return `BatchNormalization ${batchNorm.name} has a non-finite ${role} entry (${values![index]} at index ${index})`;
    }
  }
  return null;
}

/**
 * Checks that the initial network has the trained network's weight layers (same names, same kernel
 * shapes); returns the mismatch in words, or null.
 */
export function describeArchitectureMismatch(trained: FoldedNetwork, initial: FoldedNetwork): string | null {
  if (trained.weightLayers.length !== initial.weightLayers.length) {
    return `the initial network has ${initial.weightLayers.length} Dense/Conv2D layers and the trained one ${trained.weightLayers.length}`;
  }
  for (let i = 0; i < trained.weightLayers.length; i++) {
    const a = trained.weightLayers[i]!;
    const b = initial.weightLayers[i]!;
    if (a.kernelShape.join('x') !== b.kernelShape.join('x')) {
      return `weight layer ${i + 1} has kernel shape [${a.kernelShape.join(', ')}] in the trained network (${a.name}) and [${b.kernelShape.join(', ')}] in the initial one (${b.name})`;
    }
  }
  return null;
}
