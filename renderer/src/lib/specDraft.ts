/**
 * The designer's editable form of a study spec, and its conversion to and from the spec JSON that
 * study-check and study-create validate. The draft keeps lists as the text the user typed, so that
 * a half-typed list stays on screen. The conversion turns every token that is not a number into a
 * string, which the engine's validation then names in its message ("model.hiddenWidths[1] is "x";
 * it must be a number").
 */

export type DatasetName = 'fashion-mnist' | 'mnist';
export type SourceKind = 'embedded' | 'installed' | 'folder';

export interface ChangeDraft {
  /** Stable key for keyed lists; not part of the spec. */
  key: number;
  /** Dotted setting path, e.g. `data.labelNoise`. */
  setting: string;
  value: string;
}

export interface PerturbationDraft {
  key: number;
  name: string;
  kind: 'hyperparameter' | 'data';
  description: string;
  changes: ChangeDraft[];
}

export interface SpecDraft {
  name: string;
  description: string;
  data: {
    dataset: DatasetName;
    source: SourceKind;
    folder: string;
    task: 'binary' | 'multiclass';
    labelNoise: number | null;
    testSize: number | null;
  };
  model: {
    kind: 'fcn' | 'cnn';
    hiddenWidths: string;
    filters: string;
    denseWidths: string;
    weightVariance: number | null;
    biasStd: number | null;
  };
  training: {
    optimizer: 'sgd' | 'adam';
    learningRate: number | null;
    momentum: number | null;
    batchSize: number | null;
    maxEpochs: number | null;
    stopAtTrainAccuracy: number | null;
    stopAtTrainLoss: number | null;
  };
  trainSizes: string;
  seeds: string;
  perturbations: PerturbationDraft[];
  measures: { ids: string[]; noise: 'stated' | 'reference' };
  analysis: { threshold: number | null; target: 'test_error' | 'gap' };
}

/** A setting a perturbation can change, with the kind of value it takes. */
export interface ChangeSetting {
  path: string;
  label: string;
  type: 'number' | 'integer' | 'list' | 'choice' | 'source' | 'optional-number';
  choices?: readonly string[];
  /** Hint shown under the input: the meaning of the value and its unit. */
  hint: string;
}

export const changeSettings: readonly ChangeSetting[] = [
  { path: 'data.labelNoise', label: 'Label noise', type: 'number', hint: 'fraction of training labels replaced at random, 0 to 1' },
  { path: 'data.dataset', label: 'Data set', type: 'choice', choices: ['fashion-mnist', 'mnist'], hint: 'fashion-mnist or mnist' },
  { path: 'data.source', label: 'Data source', type: 'source', hint: '"embedded", "installed" or a folder path' },
  { path: 'data.task', label: 'Task', type: 'choice', choices: ['binary', 'multiclass'], hint: 'binary or multiclass' },
  { path: 'data.testSize', label: 'Test examples', type: 'integer', hint: 'number of test examples used' },
  { path: 'model.hiddenWidths', label: 'FCN hidden widths', type: 'list', hint: 'widths separated by commas, e.g. 512, 512' },
  { path: 'model.filters', label: 'CNN filters', type: 'list', hint: 'filters per convolution, e.g. 32, 64' },
  { path: 'model.denseWidths', label: 'CNN dense widths', type: 'list', hint: 'widths of the dense layers after the convolutions' },
  { path: 'model.weightVariance', label: 'Weight variance', type: 'number', hint: 'sigma_w^2; kernels drawn from N(0, sigma_w^2 / fan_in)' },
  { path: 'model.biasStd', label: 'Bias std', type: 'number', hint: 'standard deviation of the initial biases' },
  { path: 'training.learningRate', label: 'Learning rate', type: 'number', hint: 'step size, > 0' },
  { path: 'training.optimizer', label: 'Optimizer', type: 'choice', choices: ['sgd', 'adam'], hint: 'sgd or adam' },
  { path: 'training.momentum', label: 'Momentum', type: 'number', hint: 'SGD momentum in [0, 1)' },
  { path: 'training.batchSize', label: 'Batch size', type: 'integer', hint: 'examples per step' },
  { path: 'training.maxEpochs', label: 'Max epochs', type: 'integer', hint: 'epochs before training stops' },
  { path: 'training.stopAtTrainAccuracy', label: 'Stop at train accuracy', type: 'number', hint: 'fraction in (0, 1]' },
  { path: 'training.stopAtTrainLoss', label: 'Stop at train loss', type: 'optional-number', hint: 'loss value; empty for none' },
];

export function findChangeSetting(path: string): ChangeSetting | undefined {
  return changeSettings.find((setting) => setting.path === path);
}

let nextKey = 1;
export function newKey(): number {
  return nextKey++;
}

/** Splits list text such as `64, 128 256` into numbers, keeping tokens that are not numbers as strings. */
export function parseList(text: string): (number | string)[] {
  return text
    .split(/[\s,;]+/)
    .filter((token) => token !== '')
    .map((token) => {
      const value = Number(token);
      return Number.isFinite(value) ? value : token;
    });
}

export function formatList(values: unknown): string {
  return Array.isArray(values) ? values.join(', ') : '';
}

/**
 * Returns `count` integer sizes spaced evenly in log scale from `from` to `to`, rounded and
 * without repeats (so fewer than `count` when the range is too narrow for that many integers).
 */
export function logSpacedSizes(from: number, to: number, count: number): number[] {
  if (!(from > 0) || !(to > 0) || !Number.isInteger(count) || count < 1) return [];
  if (count === 1) return [Math.round(from)];
  const low = Math.log(from);
  const high = Math.log(to);
  const sizes = new Set<number>();
  for (let index = 0; index < count; index++) sizes.add(Math.round(Math.exp(low + ((high - low) * index) / (count - 1))));
  return [...sizes].filter((size) => size >= 1);
}

/** Derives the study id from a name as the engine does: lower case, runs of other characters as `-`. */
export function studyIdFromName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'study'
  );
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function numberOr(value: unknown, fallback: number | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function changeValueText(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (value === null) return '';
  if (typeof value === 'object') return typeof record(value).folder === 'string' ? String(record(value).folder) : JSON.stringify(value);
  return String(value);
}

function changesFromSpec(changes: unknown): ChangeDraft[] {
  const drafts: ChangeDraft[] = [];
  for (const [section, part] of Object.entries(record(changes))) {
    for (const [key, value] of Object.entries(record(part))) drafts.push({ key: newKey(), setting: `${section}.${key}`, value: changeValueText(value) });
  }
  return drafts;
}

function sourceKind(source: unknown, folder: string): SourceKind {
  if (source === 'installed') return 'installed';
  if (folder !== '') return 'folder';
  return 'embedded';
}

/** Creates a draft of a spec object (a template or a stored spec); missing fields get the engine's defaults. */
export function draftFromSpec(input: unknown): SpecDraft {
  const spec = record(input);
  const data = record(spec.data);
  const model = record(spec.model);
  const training = record(spec.training);
  const measures = record(spec.measures);
  const analysis = record(spec.analysis);
  const source = data.source;
  const folder = typeof record(source).folder === 'string' ? String(record(source).folder) : '';
  const kind = oneOf(model.kind, ['fcn', 'cnn'] as const, 'fcn');

  return {
    name: typeof spec.name === 'string' ? spec.name : 'new study',
    description: typeof spec.description === 'string' ? spec.description : '',
    data: {
      dataset: oneOf(data.dataset, ['fashion-mnist', 'mnist'] as const, 'fashion-mnist'),
      source: sourceKind(source, folder),
      folder,
      task: oneOf(data.task, ['binary', 'multiclass'] as const, 'binary'),
      labelNoise: numberOr(data.labelNoise, 0),
      testSize: numberOr(data.testSize, null),
    },
    model: {
      kind,
      hiddenWidths: kind === 'fcn' ? formatList(model.hiddenWidths ?? [1024, 1024]) : '512, 512',
      filters: kind === 'cnn' ? formatList(model.filters ?? [32, 64]) : '32, 64',
      denseWidths: kind === 'cnn' ? formatList(model.denseWidths ?? []) : '',
      weightVariance: numberOr(model.weightVariance, 2),
      biasStd: numberOr(model.biasStd, 0.1),
    },
    training: {
      optimizer: oneOf(training.optimizer, ['sgd', 'adam'] as const, 'sgd'),
      learningRate: numberOr(training.learningRate, 0.05),
      momentum: numberOr(training.momentum, 0),
      batchSize: numberOr(training.batchSize, 32),
      maxEpochs: numberOr(training.maxEpochs, 500),
      stopAtTrainAccuracy: numberOr(training.stopAtTrainAccuracy, 1),
      stopAtTrainLoss: numberOr(training.stopAtTrainLoss, null),
    },
    trainSizes: formatList(spec.trainSizes ?? [100, 178, 316, 562, 1000]),
    seeds: formatList(spec.seeds ?? [0]),
    perturbations: (Array.isArray(spec.perturbations) ? spec.perturbations : []).map((item) => {
      const perturbation = record(item);
      return {
        key: newKey(),
        name: typeof perturbation.name === 'string' ? perturbation.name : '',
        kind: oneOf(perturbation.kind, ['hyperparameter', 'data'] as const, 'hyperparameter'),
        description: typeof perturbation.description === 'string' ? perturbation.description : '',
        changes: changesFromSpec(perturbation.changes),
      };
    }),
    measures: {
      ids: Array.isArray(measures.ids) ? measures.ids.filter((id): id is string => typeof id === 'string') : ['path_norm', 'log_prod_of_spec', 'log_prod_of_fro', 'param_norm', 'inverse_margin', 'pacbayes_orig'],
      noise: oneOf(measures.noise, ['stated', 'reference'] as const, 'stated'),
    },
    analysis: {
      threshold: numberOr(analysis.threshold, 0.1),
      target: oneOf(analysis.target, ['test_error', 'gap'] as const, 'test_error'),
    },
  };
}

/** Returns a required number, or null for an empty input, so that validation reports it beside the field. */
function required(value: number | null | undefined): number | null {
  return value === undefined || value === null || Number.isNaN(value) ? null : value;
}

function changeValue(setting: ChangeSetting | undefined, text: string): unknown {
  const trimmed = text.trim();
  switch (setting?.type) {
    case 'list':
      return parseList(trimmed);
    case 'number':
    case 'integer': {
      const value = Number(trimmed);
      return trimmed !== '' && Number.isFinite(value) ? value : trimmed;
    }
    case 'optional-number': {
      if (trimmed === '') return null;
      const value = Number(trimmed);
      return Number.isFinite(value) ? value : trimmed;
    }
    case 'source':
      return trimmed === 'embedded' || trimmed === 'installed' ? trimmed : { folder: trimmed };
    default:
      return trimmed;
  }
}

function changesToSpec(changes: readonly ChangeDraft[]): Record<string, Record<string, unknown>> {
  const result: Record<string, Record<string, unknown>> = {};
  for (const change of changes) {
    const [section, key] = change.setting.split('.', 2);
    if (section === undefined || key === undefined) continue;
    result[section] ??= {};
    result[section][key] = changeValue(findChangeSetting(change.setting), change.value);
  }
  return result;
}

/** Converts a draft to the spec JSON that study-check and study-create receive. */
export function specFromDraft(draft: SpecDraft): Record<string, unknown> {
  const { data, model, training } = draft;
  const source = data.source === 'folder' ? { folder: data.folder.trim() } : data.source;
  const modelSpec =
    model.kind === 'fcn'
      ? { kind: 'fcn', hiddenWidths: parseList(model.hiddenWidths), weightVariance: required(model.weightVariance), biasStd: required(model.biasStd) }
      : {
          kind: 'cnn',
          filters: parseList(model.filters),
          denseWidths: parseList(model.denseWidths),
          weightVariance: required(model.weightVariance),
          biasStd: required(model.biasStd),
        };
  return {
    name: draft.name.trim(),
    ...(draft.description.trim() === '' ? {} : { description: draft.description.trim() }),
    data: {
      dataset: data.dataset,
      source,
      task: data.task,
      labelNoise: required(data.labelNoise),
      ...(data.testSize === null || data.testSize === undefined || Number.isNaN(data.testSize) ? {} : { testSize: data.testSize }),
    },
    model: modelSpec,
    training: {
      optimizer: training.optimizer,
      learningRate: required(training.learningRate),
      momentum: required(training.momentum),
      batchSize: required(training.batchSize),
      maxEpochs: required(training.maxEpochs),
      stopAtTrainAccuracy: required(training.stopAtTrainAccuracy),
      stopAtTrainLoss: training.stopAtTrainLoss === undefined || Number.isNaN(training.stopAtTrainLoss) ? null : training.stopAtTrainLoss,
    },
    trainSizes: parseList(draft.trainSizes),
    seeds: parseList(draft.seeds),
    perturbations: draft.perturbations.map((perturbation) => ({
      name: perturbation.name.trim(),
      kind: perturbation.kind,
      ...(perturbation.description.trim() === '' ? {} : { description: perturbation.description.trim() }),
      changes: changesToSpec(perturbation.changes),
    })),
    measures: { ids: [...draft.measures.ids], noise: draft.measures.noise },
    analysis: { threshold: required(draft.analysis.threshold), target: draft.analysis.target },
  };
}

/** Dotted paths of every field the designer shows, the places a validation problem can be shown. */
export function fieldPaths(draft: SpecDraft): string[] {
  const paths = [
    'name',
    'description',
    'data',
    'data.dataset',
    'data.source',
    'data.source.folder',
    'data.task',
    'data.labelNoise',
    'data.testSize',
    'model',
    'model.kind',
    'model.hiddenWidths',
    'model.filters',
    'model.denseWidths',
    'model.weightVariance',
    'model.biasStd',
    'training',
    'training.optimizer',
    'training.learningRate',
    'training.momentum',
    'training.batchSize',
    'training.maxEpochs',
    'training.stopAtTrainAccuracy',
    'training.stopAtTrainLoss',
    'trainSizes',
    'seeds',
    'perturbations',
    'measures.ids',
    'measures.noise',
    'analysis.threshold',
    'analysis.target',
  ];
  draft.perturbations.forEach((perturbation, index) => {
    const prefix = `perturbations[${index}]`;
    paths.push(prefix, `${prefix}.name`, `${prefix}.kind`, `${prefix}.description`, `${prefix}.changes`);
    for (const change of perturbation.changes) paths.push(`${prefix}.changes.${change.setting}`);
  });
  return paths;
}

/** Returns the problems the form detects before the spec is sent to the engine. */
export function localProblems(draft: SpecDraft): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (draft.data.source === 'folder' && draft.data.folder.trim() === '') {
    problems.push({ field: 'data.source.folder', message: 'The folder is missing; type the folder that contains the four IDX files' });
  }
  return problems;
}

/** Returns whether `problemField` is `path` itself or a field nested under it. */
function isUnder(problemField: string, path: string): boolean {
  return problemField === path || problemField.startsWith(`${path}.`) || problemField.startsWith(`${path}[`);
}

/**
 * Assigns each problem to the most specific field path that contains it. Problems that no field
 * contains (the spec as a whole) go under the empty path.
 */
export function assignProblems(problems: readonly { field: string; message: string }[], paths: readonly string[]): Map<string, string[]> {
  const assigned = new Map<string, string[]>();
  for (const problem of problems) {
    let best = '';
    for (const path of paths) if (isUnder(problem.field, path) && path.length > best.length) best = path;
    const list = assigned.get(best) ?? [];
    list.push(problem.message);
    assigned.set(best, list);
  }
  return assigned;
}

/** Returns the id of a field's input element, derived from its dotted path. */
export function fieldId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}
