/**
 * The rescaling that leaves a normalised network's function unchanged: the kernel (and bias) of
 * each Dense or Conv2D layer that feeds a BatchNormalization is multiplied by c > 0, and so are the
 * BatchNorm's moving statistics (mean by c, variance by c^2), which estimate the batch statistics
 * of its input and scale with it. Between the layer and the BatchNorm only ReLU may sit (ReLU is
 * positively homogeneous: relu(c z) = c relu(z)), and every tensor on the way must feed nothing
 * else. In inference mode each normalised unit then computes
 *
 *     (c z - c mu) / sqrt(c^2 var + eps) = (z - mu) / sqrt(var + eps / c^2),
 *
 * the same as before up to epsilon: the relative change of a unit is
 * sqrt((var + eps) / (var + eps / c^2)) - 1, which `epsilonRelativeChange` reports (its largest
 * magnitude over every rescaled channel).
 */
import * as tf from '@tensorflow/tfjs';
import { layerGraph, planBatchNormFolding, weightLayerClasses, type LayerNode } from '../measures/fold.js';
import { Unavailable } from '../measures/unavailable.js';
import { LabError } from '../util/errors.js';

/** A Dense or Conv2D layer whose weights were multiplied by c, and the BatchNorm it feeds. */
export interface RescaledLayer {
  name: string;
  kind: string;
  batchNorm: string;
  /** Whether the measures fold this BatchNorm into the layer (the fold then absorbs the factor). */
  folded: boolean;
}

export interface RescalePlan {
  layers: RescaledLayer[];
  /** BatchNorm layers whose input could not be rescaled, with the reason. */
  skipped: { batchNorm: string; reason: string }[];
}

/** Layers that may sit between a rescaled layer and its BatchNorm: ReLU only. */
function isRelu(node: LayerNode): boolean {
  if (node.className === 'ReLU') return true;
  if (node.className !== 'Activation') return false;
  return (node.layer.getConfig() as { activation?: unknown }).activation === 'relu';
}

function activationOf(node: LayerNode): unknown {
  return (node.layer.getConfig() as { activation?: unknown }).activation;
}

/** Finds, for every BatchNormalization, the Dense or Conv2D layer whose output it normalises. */
export function planRescale(model: tf.LayersModel): RescalePlan {
  const nodes = layerGraph(model);
  if (nodes instanceof Unavailable) throw new LabError('unsupported', `The network cannot be rescaled: ${nodes.reason}`);
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const consumers = new Map<string, number>();
  for (const node of nodes) for (const input of node.inputs) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  const folds = planBatchNormFolding(nodes).folds;

  const plan: RescalePlan = { layers: [], skipped: [] };
  for (const node of nodes) {
    if (node.className !== 'BatchNormalization') continue;
    let current = node.inputs.length === 1 ? byName.get(node.inputs[0]!) : undefined;
    while (current !== undefined && isRelu(current) && current.inputs.length === 1 && consumers.get(current.name) === 1) {
      current = byName.get(current.inputs[0]!);
    }
    if (current === undefined || !weightLayerClasses.has(current.className)) {
      plan.skipped.push({ batchNorm: node.name, reason: 'its input does not come from a Dense or Conv2D layer through ReLU only' });
      continue;
    }
    const activation = activationOf(current);
    if (activation !== 'linear' && activation !== 'relu') {
      plan.skipped.push({ batchNorm: node.name, reason: `${current.name} applies ${String(activation)}, which is not positively homogeneous` });
      continue;
    }
    if (consumers.get(current.name) !== 1) {
      plan.skipped.push({ batchNorm: node.name, reason: `${current.name} feeds other layers too, whose inputs would change` });
      continue;
    }
    plan.layers.push({ name: current.name, kind: current.className, batchNorm: node.name, folded: folds.get(node.name) === current.name });
  }
  return plan;
}

/** Finds the weight variable of `layer` whose name ends in `/role`. */
function variableOf(layer: tf.layers.Layer, role: string): tf.LayerVariable | undefined {
  return layer.weights.find((variable) => variable.originalName.split('/').pop() === role);
}

function scaleVariable(variable: tf.LayerVariable | undefined, factor: number): void {
  if (variable === undefined) return;
  const scaled = tf.tidy(() => tf.mul(variable.read(), factor));
  variable.write(scaled);
  scaled.dispose();
}

/**
 * Rescales `model` in place by `factor` (see the module comment) and returns the plan with the
 * largest relative change that epsilon causes in a normalised unit.
 */
export function applyRescale(model: tf.LayersModel, factor: number): RescalePlan & { epsilonRelativeChange: number } {
  if (!(Number.isFinite(factor) && factor > 0)) {
    throw new LabError('invalid-input', `The rescaling factor is ${factor}; it must be a finite number > 0 (ReLU commutes with positive factors only)`, { field: 'factor' });
  }
  const plan = planRescale(model);
  if (plan.layers.length === 0) {
    const why = plan.skipped.length === 0 ? 'it has no BatchNormalization layer' : plan.skipped.map((entry) => `${entry.batchNorm}: ${entry.reason}`).join('; ');
    throw new LabError('unsupported', `The network has no weights that can be rescaled without changing its function: ${why}. The audit needs a scale-invariant network (weights feeding a BatchNorm)`);
  }
  let epsilonRelativeChange = 0;
  for (const entry of plan.layers) {
    const layer = model.getLayer(entry.name);
    const batchNorm = model.getLayer(entry.batchNorm);
    scaleVariable(variableOf(layer, 'kernel'), factor);
    scaleVariable(variableOf(layer, 'bias'), factor);
    const variance = variableOf(batchNorm, 'moving_variance');
    const epsilon = (batchNorm.getConfig() as { epsilon?: number }).epsilon ?? 1e-3;
    if (variance !== undefined) {
      for (const value of variance.read().dataSync()) {
        const change = Math.abs(Math.sqrt((value + epsilon) / (value + epsilon / (factor * factor))) - 1);
        epsilonRelativeChange = Math.max(epsilonRelativeChange, change);
      }
    }
    scaleVariable(variableOf(batchNorm, 'moving_mean'), factor);
    scaleVariable(variance, factor * factor);
  }
  return { ...plan, epsilonRelativeChange };
}
