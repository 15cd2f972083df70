/**
 * Checks a study's data before anything is stored or trained: every data set it names must be
 * readable and large enough for its largest training-set size, so that a bad file or folder is
 * reported at once, with the file and the fix, instead of failing run after run.
 */
import { loadDataset } from '../data/datasets.js';
import { LabError } from '../util/errors.js';
import { studyConditions } from './plan.js';
import type { StudySpec } from './spec.js';

export function checkStudyData(spec: StudySpec): void {
  const largest = Math.max(...spec.trainSizes);
  for (const condition of studyConditions(spec)) {
    const { data } = condition.settings;
    const dataset = loadDataset(data.dataset, data.source);
    if (largest > dataset.train.count) {
      const hint = dataset.embedded ? '; use data.source "installed" for the full data set' : '';
      throw new LabError(
        'invalid-input',
        `trainSizes has ${largest}, more than the ${dataset.train.count} training images of ${dataset.name} in ${dataset.folder} (condition ${condition.name})${hint}`,
        { field: 'trainSizes' },
      );
    }
  }
}
