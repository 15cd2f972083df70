/**
 * The lab's API: one typed map of every call and every pushed event. The Electron bridge, the
 * HTTP client of the lab server and the handlers all derive their types from these two maps, and
 * `schemas.ts` validates every request payload when it arrives.
 *
 * This file holds types only, so that the renderer can import it without pulling in the engine;
 * the analysis types it re-exports are type-only imports as well.
 */
import type { StudyAnalysis, StudyComparison } from '../analysis/index.js';

export type {
  Cell,
  ComparisonCell,
  Grid,
  Interval,
  MeasureRanking,
  MeasureSummary,
  RankingReport,
  SignError,
  StudyAnalysis,
  StudyComparison,
  StudyIntervals,
  TargetKind,
  Verdict,
} from '../analysis/index.js';

export type ConditionKind = 'baseline' | 'hyperparameter' | 'data';
export type RunStatus = 'pending' | 'running' | 'fit' | 'did_not_fit' | 'diverged' | 'failed' | 'interrupted';
export type ExecutionState = 'idle' | 'running' | 'paused' | 'cancelling';

/** An error as it crosses a process boundary: plain data, no stack. */
export interface ApiError {
  kind: string;
  message: string;
  field?: string;
}

export interface StudySummary {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  total: number;
  /** Runs by status. */
  counts: Partial<Record<RunStatus, number>>;
  /** Finished runs (fit, did not fit, diverged) over all runs, in [0, 1]. */
  progress: number;
  state: ExecutionState;
}

export interface RunSummary {
  id: string;
  condition: string;
  kind: ConditionKind;
  trainSize: number;
  seed: number;
  status: RunStatus;
  attempts: number;
  epochs: number | null;
  divergedEpoch: number | null;
  trainError: number | null;
  testError: number | null;
  durationMs: number | null;
  backend: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  errorMessage: string | null;
}

export interface EpochPoint {
  epoch: number;
  trainLoss: number | null;
  trainAccuracy: number | null;
  durationMs: number;
}

export interface MeasureCell {
  raw: number | null;
  adjusted: number | null;
  missingReason: string | null;
}

export interface RunDetail extends RunSummary {
  settings: unknown;
  device: string | null;
  versions: Record<string, string> | null;
  testLoss: number | null;
  trainLoss: number | null;
  curve: EpochPoint[];
  measures: Record<string, MeasureCell>;
}

export interface MeasureInfo {
  id: string;
  equation: number | null;
  source: string;
  family: string;
  isLog: boolean;
  needs: { initialWeights: boolean; data: boolean };
  cost: string;
  title: string;
  definition: string;
}

export interface DatasetInfo {
  name: string;
  folder: string;
  embedded: boolean;
  trainCount: number;
  testCount: number;
}

export interface StudyTemplate {
  id: string;
  title: string;
  description: string;
  spec: unknown;
}

export interface ValidationProblem {
  /** Dotted path of the field, e.g. `training.learningRate`; empty for the spec as a whole. */
  field: string;
  message: string;
}

export interface SpecCheck {
  valid: boolean;
  problems: ValidationProblem[];
  runCount: number;
  conditionCount: number;
  /** A rough estimate of the training time on this machine, in seconds; null when unknown. */
  estimatedSeconds: number | null;
}

export interface BackendStatus {
  name: string;
  device: string;
  versions: Record<string, string>;
  fallbackReasons: string[];
}

/** One setting that differs between compared studies, with each study's value. */
export interface SpecDifference {
  field: string;
  values: Record<string, unknown>;
}

/** The `study-results` response: the analysis (null before any run finished) and the report model. */
export interface StudyResults {
  studyId: string;
  analysis: StudyAnalysis | null;
  /** The report model of main/reports (curves, runs, gaps); typed loosely to keep this file light. */
  report: unknown;
}

/** The `studies-compare` response. */
export interface StudiesComparison {
  comparison: StudyComparison;
  specDiff: SpecDifference[];
}

export interface LabSettings {
  dbPath: string;
  dataFolders: string[];
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  workers: number;
  cpuCount: number;
  /** The backend the last worker started with, once one has started. */
  lastBackend: BackendStatus | null;
}

export type ReportFormat = 'html' | 'pdf' | 'csv' | 'json' | 'latex';

export interface ExportedFile {
  fileName: string;
  contentType: string;
  /** Text formats as UTF-8 text, PDF as base64. */
  encoding: 'utf8' | 'base64';
  content: string;
}

export interface AuditRequest {
  modelDir: string;
  initDir?: string;
  xPath: string;
  yPath: string;
  task?: 'binary' | 'multiclass';
  measures?: string[];
  noise?: 'stated' | 'reference';
}

export interface AuditResult {
  m: number;
  trainAccuracy: number;
  margin: { k: number; kthSmallest: number; gamma: number };
  measures: Record<string, MeasureCell>;
  backend: BackendStatus;
}

/** The scale-invariance audit of a stored run (`fragility-lab rescale`). */
export interface RescaleRequest {
  runId: string;
  /** c > 0: the weights feeding each BatchNorm are multiplied by c. */
  factor: number;
  /** Measure ids; default: those the run's study computes. */
  measures?: string[];
  /** Largest relative logit difference that counts as unchanged (default 1e-5). */
  tolerance?: number;
}

export interface RescaleMeasureRow {
  id: string;
  before: number | null;
  after: number | null;
  ratio: number | null;
  /** The value the definitions predict after rescaling, or null when they give none. */
  predicted: number | null;
  predictedRatio: number | null;
  /** The rule the prediction follows from the definitions, or the reason there is none. */
  rule: string;
  missingReason: string | null;
}

export interface RescaleResult {
  runId: string;
  factor: number;
  m: number;
  testCount: number;
  maxRelativeLogitDifference: number;
  maxAbsoluteLogitDifference: number;
  epsilonRelativeChange: number;
  tolerance: number;
  outputsUnchanged: boolean;
  rescaled: { name: string; kind: string; batchNorm: string; folded: boolean }[];
  skipped: { batchNorm: string; reason: string }[];
  /** Per weight layer after folding: the predicted factor s_i (fro_i and spec_i scale by s_i^2) and the values before and after. */
  layers: { name: string; predictedScale: number; froBefore: number; froAfter: number | null; specBefore: number | null; specAfter: number | null }[];
  measures: RescaleMeasureRow[];
  backend: BackendStatus;
}

/** Every API call: its request payload and its response. Names are 'noun-verb'. */
export interface LabApiCalls {
  'studies-list': { request: Record<string, never>; response: StudySummary[] };
  'study-get': { request: { studyId: string }; response: { summary: StudySummary; spec: unknown } };
  'study-check': { request: { spec: unknown }; response: SpecCheck };
  /** Stores a study; a study with the same id is replaced only when `replace` is true. */
  'study-create': { request: { spec: unknown; replace?: boolean }; response: { studyId: string } };
  'study-duplicate': { request: { studyId: string; name: string }; response: { studyId: string } };
  'study-delete': { request: { studyId: string }; response: Record<string, never> };
  'study-start': { request: { studyId: string; workers?: number }; response: Record<string, never> };
  'study-pause': { request: { studyId: string }; response: Record<string, never> };
  'study-resume': { request: { studyId: string }; response: Record<string, never> };
  'study-cancel': { request: { studyId: string }; response: Record<string, never> };
  'study-runs': { request: { studyId: string }; response: RunSummary[] };
  'study-results': { request: { studyId: string }; response: StudyResults };
  'studies-compare': { request: { studyIds: string[] }; response: StudiesComparison };
  'run-get': { request: { runId: string }; response: RunDetail };
  'report-export': { request: { studyId: string; format: ReportFormat }; response: ExportedFile };
  'templates-list': { request: Record<string, never>; response: StudyTemplate[] };
  'measures-list': { request: Record<string, never>; response: MeasureInfo[] };
  'datasets-list': { request: Record<string, never>; response: DatasetInfo[] };
  'settings-get': { request: Record<string, never>; response: LabSettings };
  'settings-update': { request: { dataFolders?: string[]; backend?: LabSettings['backend']; workers?: number }; response: LabSettings };
  'network-audit': { request: AuditRequest; response: AuditResult };
  'run-rescale': { request: RescaleRequest; response: RescaleResult };
}

export type LabApiMethod = keyof LabApiCalls;
export type LabApiRequest<M extends LabApiMethod> = LabApiCalls[M]['request'];
export type LabApiResponse<M extends LabApiMethod> = LabApiCalls[M]['response'];

/** Progress of a running study, pushed to every client. */
export type StudyProgressEvent =
  | { type: 'study-started'; total: number; finished: number; toRun: number; workers: number }
  | { type: 'worker-ready'; workerId: number; backend: BackendStatus }
  | { type: 'run-started'; runId: string; condition: string; trainSize: number; seed: number; workerId: number }
  | { type: 'run-phase'; runId: string; condition: string; trainSize: number; seed: number; phase: string }
  | { type: 'epoch'; runId: string; condition: string; trainSize: number; seed: number; maxEpochs: number; record: EpochPoint }
  | { type: 'run-finished'; runId: string; condition: string; trainSize: number; seed: number; status: RunStatus; durationMs: number }
  | { type: 'run-failed'; runId: string; condition: string; trainSize: number; seed: number; error: ApiError; willRetry: boolean }
  | { type: 'study-finished'; finished: number; failed: number; total: number; cancelled: boolean }
  | { type: 'state'; state: ExecutionState };

/** Every pushed event: its payload. */
export interface LabApiEvents {
  'study-progress': { studyId: string; event: StudyProgressEvent };
  'studies-changed': Record<string, never>;
  /** A menu item of the desktop app that the renderer carries out (Electron only). */
  'menu-command': { command: 'new-study' | 'export-report' };
}

export type LabApiEventName = keyof LabApiEvents;

/** The result of a call as it crosses IPC or HTTP: a value or a plain error. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** The client side of the API, the same in Electron (preload bridge) and in a browser (HTTP). */
export interface LabApiClient {
  call<M extends LabApiMethod>(method: M, request: LabApiRequest<M>): Promise<LabApiResponse<M>>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends LabApiEventName>(event: E, listener: (payload: LabApiEvents[E]) => void): () => void;
}
