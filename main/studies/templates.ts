/**
 * Starting points for new studies, offered by the app's "New study" dialog. Each is a complete,
 * valid spec that the designer then edits.
 */
import type { StudySpecInput } from './spec.js';

export interface StudyTemplate {
  id: string;
  title: string;
  description: string;
  spec: StudySpecInput;
}

const quickMeasures = ['path_norm', 'log_prod_of_spec', 'log_prod_of_fro', 'param_norm', 'inverse_margin', 'pacbayes_orig', 'marginal_likelihood_bound'];

const smallFcn = { kind: 'fcn' as const, hiddenWidths: [512, 512], weightVariance: 2, biasStd: 0.1 };
const sgd = { optimizer: 'sgd' as const, learningRate: 0.05, momentum: 0, batchSize: 32, maxEpochs: 200, stopAtTrainAccuracy: 1 };
const embeddedBinary = { dataset: 'fashion-mnist' as const, source: 'embedded' as const, task: 'binary' as const };

export const studyTemplates: readonly StudyTemplate[] = [
  {
    id: 'quick-audit',
    title: 'Quick audit',
    description: 'Three perturbations (learning rate x10, SGD to Adam, 20% label noise) on the embedded data; minutes on a laptop.',
    spec: {
      name: 'quick audit',
      data: embeddedBinary,
      model: smallFcn,
      training: sgd,
      trainSizes: [100, 178, 316, 562, 1000],
      seeds: [0, 1],
      perturbations: [
        { name: 'lr_x10', kind: 'hyperparameter', changes: { training: { learningRate: 0.5 } } },
        { name: 'sgd_to_adam', kind: 'hyperparameter', changes: { training: { optimizer: 'adam', learningRate: 0.001 } } },
        { name: 'label_noise_20', kind: 'data', changes: { data: { labelNoise: 0.2 } } },
      ],
      measures: { ids: quickMeasures },
    },
  },
  {
    id: 'learning-rate',
    title: 'Learning-rate fragility',
    description: 'The learning rate divided and multiplied by 3 and by 10; the test error should barely move.',
    spec: {
      name: 'learning rate fragility',
      data: embeddedBinary,
      model: smallFcn,
      training: sgd,
      trainSizes: [100, 178, 316, 562, 1000],
      seeds: [0, 1, 2],
      perturbations: [
        { name: 'lr_div10', kind: 'hyperparameter', changes: { training: { learningRate: 0.005 } } },
        { name: 'lr_div3', kind: 'hyperparameter', changes: { training: { learningRate: 0.0167 } } },
        { name: 'lr_x3', kind: 'hyperparameter', changes: { training: { learningRate: 0.15 } } },
        { name: 'lr_x10', kind: 'hyperparameter', changes: { training: { learningRate: 0.5 } } },
      ],
      measures: { ids: quickMeasures },
    },
  },
  {
    id: 'optimizer-swap',
    title: 'Optimizer swap',
    description: 'SGD against SGD with momentum and against Adam, at their usual learning rates.',
    spec: {
      name: 'optimizer swap',
      data: embeddedBinary,
      model: smallFcn,
      training: sgd,
      trainSizes: [100, 178, 316, 562, 1000],
      seeds: [0, 1, 2],
      perturbations: [
        { name: 'momentum_0.9', kind: 'hyperparameter', changes: { training: { momentum: 0.9, learningRate: 0.005 } } },
        { name: 'adam', kind: 'hyperparameter', changes: { training: { optimizer: 'adam', learningRate: 0.001 } } },
      ],
      measures: { ids: quickMeasures },
    },
  },
  {
    id: 'data-complexity',
    title: 'Data complexity',
    description: 'Label noise at 10%, 20% and 50%: the test error rises, and a robust measure should follow it.',
    spec: {
      name: 'data complexity',
      data: embeddedBinary,
      model: smallFcn,
      training: sgd,
      trainSizes: [100, 178, 316, 562, 1000],
      seeds: [0, 1, 2],
      perturbations: [
        { name: 'label_noise_10', kind: 'data', changes: { data: { labelNoise: 0.1 } } },
        { name: 'label_noise_20', kind: 'data', changes: { data: { labelNoise: 0.2 } } },
        { name: 'label_noise_50', kind: 'data', changes: { data: { labelNoise: 0.5 } } },
      ],
      measures: { ids: quickMeasures },
    },
  },
  {
    id: 'paper-fcn',
    title: 'FCN learning curves of the literature',
    description: 'Full Fashion-MNIST, a 2x1024 FCN, 21 log-spaced sizes from 100 to 10,000 and 8 seeds; for a GPU workstation.',
    spec: {
      name: 'paper fcn',
      data: { dataset: 'fashion-mnist', source: 'installed', task: 'binary' },
      model: { kind: 'fcn', hiddenWidths: [1024, 1024], weightVariance: 2, biasStd: 0.1 },
      training: { optimizer: 'sgd', learningRate: 0.01, momentum: 0, batchSize: 32, maxEpochs: 2000, stopAtTrainAccuracy: 1 },
      trainSizes: [100, 126, 158, 200, 251, 316, 398, 501, 631, 794, 1000, 1259, 1585, 1995, 2512, 3162, 3981, 5012, 6310, 7943, 10000],
      seeds: [0, 1, 2, 3, 4, 5, 6, 7],
      perturbations: [
        { name: 'lr_x10', kind: 'hyperparameter', changes: { training: { learningRate: 0.1 } } },
        { name: 'sgd_to_adam', kind: 'hyperparameter', changes: { training: { optimizer: 'adam', learningRate: 0.0001 } } },
        { name: 'momentum_on', kind: 'hyperparameter', changes: { training: { momentum: 0.9 } } },
        { name: 'batch_x4', kind: 'hyperparameter', changes: { training: { batchSize: 128 } } },
        { name: 'label_noise_20', kind: 'data', changes: { data: { labelNoise: 0.2 } } },
      ],
      measures: { ids: [...quickMeasures, 'log_spec_init_main', 'fro_dist', 'pacbayes_flatness', 'pacbayes_mag_flatness', 'epochs_to_fit'] },
    },
  },
];
