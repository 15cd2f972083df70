/**
 * The study spec: one JSON document that defines a perturbation study, validated by one schema at
 * every boundary (file, IPC, HTTP). Validation errors name the field, the value and what is
 * allowed, e.g. `perturbations[0].changes.training.learningRate is -1; it must be > 0`.
 *
 * A perturbation lists only what it changes relative to the baseline (`changes`), e.g.
 * `{ "training": { "learningRate": 0.1 } }`; the merged settings are validated like the baseline.
 */
import { z } from 'zod';
import { isMeasureId, measureIds } from '../measures/registry.js';
import { LabError } from '../util/errors.js';

const positiveInteger = (max: number) => z.number().int().min(1).max(max);

const sourceSchema = z.union([z.literal('embedded'), z.literal('installed'), z.object({ folder: z.string().min(1).max(4096) }).strict()]);

const dataShape = {
  dataset: z.enum(['fashion-mnist', 'mnist', 'cifar10']),
  /** `embedded` (the subset shipped with the lab), `installed` (a full copy found on disk) or `{ "folder": PATH }`. */
  source: sourceSchema,
  task: z.enum(['binary', 'multiclass']),
  /** Fraction of training labels replaced by uniform random labels. */
  labelNoise: z.number().min(0).max(1),
  /** Number of test examples used, the first ones in file order; all when absent. */
  testSize: positiveInteger(1_000_000).optional(),
  /** Pixel shuffling (data complexity): none, each image permuted on its own, or one permutation for all images. */
  pixelShuffle: z.enum(['none', 'per-image', 'fixed']),
};

const initShape = {
  /** sigma_w^2: kernels are drawn from N(0, weightVariance / fan_in). */
  weightVariance: z.number().positive().max(100),
  /** Biases are drawn from N(0, biasStd^2). */
  biasStd: z.number().min(0).max(10),
};

const fcnShape = {
  kind: z.literal('fcn'),
  hiddenWidths: z.array(positiveInteger(65_536)).min(1).max(64),
  ...initShape,
};

const cnnShape = {
  kind: z.literal('cnn'),
  filters: z.array(positiveInteger(4096)).min(1).max(8),
  denseWidths: z.array(positiveInteger(65_536)).max(16),
  kernelSize: positiveInteger(15),
  padding: z.enum(['same', 'valid']),
  /** 'none' gives the CNN without pooling of the NNGP literature (flatten, then the readout). */
  pooling: z.enum(['max', 'none']),
  ...initShape,
};

const batchNormShape = {
  batchNormEpsilon: z.number().positive().max(1),
  /** Decay of the moving statistics per step (Keras convention: 0.9 is PyTorch's momentum 0.1). */
  batchNormMomentum: z.number().min(0).lt(1),
};

const resnetShape = {
  /** Filters of the first stage (64 in the published networks); stages have 1, 2, 4 and 8 times as many. */
  baseWidth: positiveInteger(1024),
  ...initShape,
  ...batchNormShape,
};

const resnet18Shape = { kind: z.literal('resnet18'), ...resnetShape };
const resnet50Shape = { kind: z.literal('resnet50'), ...resnetShape };

const ninShape = {
  kind: z.literal('nin'),
  /** Filters of each mlpconv block: the k x k convolution, then two 1 x 1 convolutions. */
  blocks: z.array(z.array(positiveInteger(4096)).length(3)).min(1).max(6),
  /** Kernel side k of each block's first convolution. */
  kernelSizes: z.array(positiveInteger(15)).min(1).max(6),
  ...initShape,
};

const scaleInvariantFcnShape = {
  kind: z.literal('scale-invariant-fcn'),
  hiddenWidths: z.array(positiveInteger(65_536)).min(1).max(64),
  weightVariance: initShape.weightVariance,
  batchNormPosition: z.enum(['before-activation', 'after-activation']),
  ...batchNormShape,
};

const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }).strict(),
  /** learningRate x factor^floor((epoch - 1) / everyEpochs). */
  z.object({ kind: z.literal('step'), everyEpochs: positiveInteger(100_000), factor: z.number().positive().max(100) }).strict(),
  /** learningRate x factorPerEpoch^(step / stepsPerEpoch), changed every step. */
  z.object({ kind: z.literal('exponential'), factorPerEpoch: z.number().positive().max(100) }).strict(),
  /** The growing schedule that replaces weight decay on a scale-invariant network (Li and Arora 2020). */
  z.object({ kind: z.literal('exponential-equivalent') }).strict(),
]);

const trainingShape = {
  optimizer: z.enum(['sgd', 'adam']),
  learningRate: z.number().positive().max(100),
  /** Momentum of SGD; 0 is plain SGD. */
  momentum: z.number().min(0).lt(1),
  batchSize: positiveInteger(65_536),
  maxEpochs: positiveInteger(100_000),
  stopAtTrainAccuracy: z.number().gt(0).max(1),
  stopAtTrainLoss: z.number().positive().nullable(),
  /** How the learning rate changes per step. */
  schedule: scheduleSchema,
  /** lambda of the weight decay on every trainable weight. */
  weightDecay: z.number().min(0).max(1),
  /** 'l2': lambda / 2 ||w||^2 added to the loss; 'decoupled': w <- w - lr lambda w after each step (Loshchilov and Hutter 2019). */
  weightDecayMode: z.enum(['l2', 'decoupled']),
};

const dataSchema = z
  .object(dataShape)
  .partial()
  .strict()
  .transform((data) => ({ dataset: 'fashion-mnist' as const, source: 'embedded' as const, task: 'binary' as const, labelNoise: 0, pixelShuffle: 'none' as const, ...data }));

const fcnSchema = z
  .object(fcnShape)
  .partial({ hiddenWidths: true, weightVariance: true, biasStd: true })
  .strict()
  .transform((model) => ({ hiddenWidths: [1024, 1024], weightVariance: 2, biasStd: 0.1, ...model }));

const cnnSchema = z
  .object(cnnShape)
  .partial({ filters: true, denseWidths: true, kernelSize: true, padding: true, pooling: true, weightVariance: true, biasStd: true })
  .strict()
  .transform((model) => ({
    filters: [32, 64],
    denseWidths: [] as number[],
    kernelSize: 3,
    padding: 'same' as const,
    pooling: 'max' as const,
    weightVariance: 2,
    biasStd: 0.1,
    ...model,
  }));

/** Defaults of the CIFAR ResNets: He's variance, zero biases, PyTorch's BatchNorm epsilon and momentum. */
const resnetDefaults = { baseWidth: 64, weightVariance: 2, biasStd: 0, batchNormEpsilon: 1e-5, batchNormMomentum: 0.9 };

const resnet18Schema = z
  .object(resnet18Shape)
  .partial({ baseWidth: true, weightVariance: true, biasStd: true, batchNormEpsilon: true, batchNormMomentum: true })
  .strict()
  .transform((model) => ({ ...resnetDefaults, ...model }));

const resnet50Schema = z
  .object(resnet50Shape)
  .partial({ baseWidth: true, weightVariance: true, biasStd: true, batchNormEpsilon: true, batchNormMomentum: true })
  .strict()
  .transform((model) => ({ ...resnetDefaults, ...model }));

const ninSchema = z
  .object(ninShape)
  .partial({ blocks: true, kernelSizes: true, weightVariance: true, biasStd: true })
  .strict()
  .transform((model) => ({
    blocks: [
      [192, 160, 96],
      [192, 192, 192],
      [192, 192, 192],
    ],
    kernelSizes: [5, 5, 3],
    weightVariance: 2,
    biasStd: 0,
    ...model,
  }))
  .refine((model) => model.kernelSizes.length === model.blocks.length, { message: 'model.kernelSizes must have one entry per block of model.blocks', path: ['kernelSizes'] });

/**
 * Defaults of the scale-invariant FCN. The small epsilon keeps the BatchNorm's departure from
 * exact scale invariance, eps (1 - 1 / c^2) / (2 var) relative, below float32 rounding for
 * pre-activation variances above about 1e-3.
 */
const scaleInvariantFcnSchema = z
  .object(scaleInvariantFcnShape)
  .partial({ hiddenWidths: true, weightVariance: true, batchNormPosition: true, batchNormEpsilon: true, batchNormMomentum: true })
  .strict()
  .transform((model) => ({
    hiddenWidths: [512, 512],
    weightVariance: 2,
    batchNormPosition: 'before-activation' as const,
    batchNormEpsilon: 1e-8,
    batchNormMomentum: 0.9,
    ...model,
  }));

const modelKinds = ['fcn', 'cnn', 'resnet18', 'resnet50', 'nin', 'scale-invariant-fcn'] as const;

const modelSchema = z.discriminatedUnion('kind', [fcnSchema, cnnSchema, resnet18Schema, resnet50Schema, ninSchema, scaleInvariantFcnSchema]);

const trainingSchema = z
  .object(trainingShape)
  .partial()
  .strict()
  .required({ learningRate: true })
  .transform((training) => ({
    optimizer: 'sgd' as const,
    momentum: 0,
    batchSize: 32,
    maxEpochs: 500,
    stopAtTrainAccuracy: 1,
    stopAtTrainLoss: null,
    schedule: { kind: 'constant' as const } as z.output<typeof scheduleSchema>,
    weightDecay: 0,
    weightDecayMode: 'l2' as const,
    ...training,
  }))
  .superRefine((training, context) => {
    if (training.schedule.kind !== 'exponential-equivalent') return;
    // The equivalence is derived for SGD (with or without momentum) and weight decay in the loss.
    if (training.optimizer !== 'sgd') context.addIssue({ code: 'custom', path: ['optimizer'], message: 'the "exponential-equivalent" schedule needs optimizer "sgd"' });
    if (!(training.weightDecay > 0)) context.addIssue({ code: 'custom', path: ['weightDecay'], message: 'the "exponential-equivalent" schedule replaces weight decay, so it needs weightDecay > 0' });
    if (training.weightDecayMode !== 'l2') context.addIssue({ code: 'custom', path: ['weightDecayMode'], message: 'the "exponential-equivalent" schedule is derived for weightDecayMode "l2"' });
  });

const changesSchema = z
  .object({
    data: z.object(dataShape).partial().strict().optional(),
    model: z
      .union([
        z.object(fcnShape).partial().strict(),
        z.object(cnnShape).partial().strict(),
        z.object(resnet18Shape).partial().strict(),
        z.object(resnet50Shape).partial().strict(),
        z.object(ninShape).partial().strict(),
        z.object(scaleInvariantFcnShape).partial().strict(),
      ])
      .optional(),
    training: z.object(trainingShape).partial().strict().optional(),
  })
  .strict()
  .refine((changes) => Object.values(changes).some((part) => part !== undefined && Object.keys(part).length > 0), {
    message: 'it changes nothing; give at least one setting under data, model or training',
  });

const perturbationSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'it must start with a letter and use only letters, digits, "_", "." and "-" (64 characters at most)')
      .refine((name) => name !== 'baseline', 'it is reserved for the baseline condition'),
    kind: z.enum(['hyperparameter', 'data']),
    description: z.string().max(2000).optional(),
    changes: changesSchema,
  })
  .strict();

const defaultMeasureIds = ['path_norm', 'log_prod_of_spec', 'log_prod_of_fro', 'param_norm', 'inverse_margin', 'pacbayes_orig'];

const measuresSchema = z
  .object({
    ids: z
      .array(z.string().refine(isMeasureId, { message: `it is not a measure id; the ids are ${measureIds.join(', ')}` }))
      .min(1)
      .max(measureIds.length),
    noise: z.enum(['stated', 'reference']),
  })
  .partial()
  .strict()
  .transform((measures) => ({ ids: defaultMeasureIds, noise: 'stated' as const, ...measures }));

const analysisSchema = z
  .object({
    /** Verdict threshold on |eCMS|. */
    threshold: z.number().positive().max(100),
    target: z.enum(['test_error', 'gap']),
  })
  .partial()
  .strict()
  .transform((analysis) => ({ threshold: 0.1, target: 'test_error' as const, ...analysis }));

function unique<T>(values: readonly T[]): boolean {
  return new Set(values).size === values.length;
}

export const studySpecSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/, 'it must start with a letter or digit and use only letters, digits, spaces, "_", "." and "-" (100 characters at most)'),
    description: z.string().max(10_000).optional(),
    data: dataSchema.prefault({}),
    model: modelSchema,
    training: trainingSchema,
    trainSizes: z
      .array(positiveInteger(10_000_000))
      .min(1)
      .max(200)
      .refine(unique, 'it must not repeat a size'),
    seeds: z
      .array(z.number().int().min(0).max(2 ** 31 - 1))
      .min(1)
      .max(1000)
      .refine(unique, 'it must not repeat a seed'),
    perturbations: z
      .array(perturbationSchema)
      .max(100)
      .default([])
      .refine((list) => unique(list.map((item) => item.name)), 'the perturbations must have distinct names'),
    measures: measuresSchema.prefault({}),
    analysis: analysisSchema.prefault({}),
  })
  .strict();

/** A study spec as written in a file (defaults not yet applied). */
export type StudySpecInput = z.input<typeof studySpecSchema>;
/** A validated study spec with every default applied. */
export type StudySpec = z.output<typeof studySpecSchema>;
export type DataSettings = StudySpec['data'];
export type ModelSpecSettings = StudySpec['model'];
export type TrainingSpecSettings = StudySpec['training'];
export type Perturbation = StudySpec['perturbations'][number];

/** Describes a value for an error message, shortened so that a huge array cannot flood the terminal. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Formats a path such as ['perturbations', 0, 'changes'] as `perturbations[0].changes`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** States the rule an issue broke, in the words of the spec's documentation. */
function describeRule(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'array') return `it must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `it must have at least ${issue.minimum} character${issue.minimum === 1 ? '' : 's'}`;
      return `it must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `it must have at most ${issue.maximum} items`;
      if (issue.origin === 'string') return `it must have at most ${issue.maximum} characters`;
      return `it must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_type':
      return `it must be ${issue.expected === 'int' ? 'an integer' : /^[aeiou]/.test(issue.expected) ? `an ${issue.expected}` : `a ${issue.expected}`}`;
    case 'invalid_union':
      return /discriminator/i.test(issue.message) ? `it must be one of ${modelKinds.map((kind) => JSON.stringify(kind)).join(', ')}` : issue.message;
    case 'invalid_value':
      return `it must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Turns zod issues into one message per problem, each naming the field, the value and the rule. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix = ''): string[] {
  return issues.map((issue) => {
    const field = [prefix, formatPath(issue.path)].filter((part) => part !== '').join('.') || '(the spec)';
    if (issue.code === 'unrecognized_keys') {
      return `${field} has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    }
    const value = valueAt(input, issue.path);
    const rule = value === undefined && issue.code === 'invalid_type' ? 'is required' : describeRule(issue);
    return value === undefined ? `${field} ${rule}` : `${field} is ${describeValue(value)}; ${rule}`;
  });
}

/** Largest nesting depth accepted in a spec document, far above what a valid spec needs. */
const maxDepth = 12;

function depthOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit === 0) return 1;
  let deepest = 0;
  for (const member of Object.values(value)) deepest = Math.max(deepest, depthOf(member, limit - 1));
  return deepest + 1;
}

/** Validates a parsed spec; raises a LabError listing every problem. */
export function validateStudySpec(input: unknown, source = 'the study spec'): StudySpec {
  if (depthOf(input, maxDepth + 1) > maxDepth) {
    throw new LabError('invalid-input', `${source} is nested more than ${maxDepth} levels deep; a study spec needs at most 5`);
  }
  const result = studySpecSchema.safeParse(input);
  if (!result.success) {
    const problems = describeIssues(result.error.issues, input);
    throw new LabError('invalid-input', `${source} is invalid:\n  - ${problems.join('\n  - ')}`, { field: formatPath(result.error.issues[0]?.path ?? []) });
  }
  const spec = result.data;
  if (spec.data.source === 'embedded' && spec.data.dataset !== 'fashion-mnist') {
    throw new LabError('invalid-input', `${source} is invalid:\n  - data.source is "embedded", but only fashion-mnist is embedded; use "installed" or {"folder": PATH} for ${spec.data.dataset}`, {
      field: 'data.source',
    });
  }
  return spec;
}

/** Parses and validates spec text (JSON). */
export function parseStudySpec(text: string, source = 'the study spec'): StudySpec {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new LabError('invalid-input', `${source} is not valid JSON: ${(error as Error).message}`);
  }
  return validateStudySpec(input, source);
}
