import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StudySpecInput } from '../../main/studies/spec.js';

/** A study small enough for tests: a narrow FCN on a few hundred embedded images. */
export function tinySpec(overrides: Partial<StudySpecInput> = {}): StudySpecInput {
  return {
    name: 'tiny',
    data: { dataset: 'fashion-mnist', source: 'embedded', task: 'binary', testSize: 300 },
    model: { kind: 'fcn', hiddenWidths: [24] },
    training: { optimizer: 'sgd', learningRate: 0.1, batchSize: 32, maxEpochs: 8 },
    trainSizes: [64, 128],
    seeds: [0, 1],
    measures: { ids: ['param_norm', 'log_prod_of_spec', 'inverse_margin', 'path_norm'] },
    ...overrides,
  };
}

export function writeSpec(folder: string, spec: StudySpecInput, name = 'study.json'): string {
  const path = join(folder, name);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return path;
}
