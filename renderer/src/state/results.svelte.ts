import type { MeasureCell, MeasureInfo, ReportFormat, RunSummary, StudySummary } from '../../../main/api/types.js';
import type { StudyAnalysis, StudyResults } from '../lib/analysisTypes.js';
import { toApiCallError, type ApiCallError, type RendererApiClient } from '../lib/api.js';
import { downloadExportedFile } from '../lib/download.js';
import { isFinished } from '../lib/statuses.js';

/** Runs whose measure values are fetched at once with run-get. */
const measureFetchConcurrency = 4;

export interface ExportState {
  busy: boolean;
  error: ApiCallError | null;
  /** File name of the last download, shown as confirmation. */
  saved: string | null;
}

export const reportFormats: readonly { format: ReportFormat; label: string }[] = [
  { format: 'html', label: 'HTML' },
  { format: 'pdf', label: 'PDF' },
  { format: 'csv', label: 'CSV' },
  { format: 'json', label: 'JSON' },
  { format: 'latex', label: 'LaTeX' },
];

/** The results of one study: its analysis, its runs with their measure values, and report export. */
export class StudyResultsState {
  summary = $state<StudySummary | null>(null);
  analysis = $state<StudyAnalysis | null>(null);
  loading = $state(true);
  /** Whether a load has completed, so that a refresh keeps the page on screen. */
  loaded = $state(false);
  /** The analysis failed; `not-found` means no run has finished yet. */
  analysisError = $state<ApiCallError | null>(null);
  loadError = $state<ApiCallError | null>(null);

  runs = $state<RunSummary[]>([]);
  measureInfo = $state<MeasureInfo[]>([]);
  /** measureValues[runId][measureId], filled by run-get for the finished runs. */
  measureValues = $state<Record<string, Record<string, MeasureCell>>>({});
  measureValuesLoading = $state(false);
  measureValuesError = $state<ApiCallError | null>(null);

  exports = $state<Record<ReportFormat, ExportState>>({
    html: { busy: false, error: null, saved: null },
    pdf: { busy: false, error: null, saved: null },
    csv: { busy: false, error: null, saved: null },
    json: { busy: false, error: null, saved: null },
    latex: { busy: false, error: null, saved: null },
  });

  readonly measureTitles = $derived(Object.fromEntries(this.measureInfo.map((measure) => [measure.id, measure.title])));
  readonly measureIds = $derived(this.analysis?.measures ?? []);

  constructor(
    private readonly api: RendererApiClient,
    readonly studyId: string,
  ) {}

  async load(): Promise<void> {
    this.loading = true;
    try {
      const [{ summary }, runs, measures] = await Promise.all([
        this.api.call('study-get', { studyId: this.studyId }),
        this.api.call('study-runs', { studyId: this.studyId }),
        this.api.call('measures-list', {}),
      ]);
      this.summary = summary;
      this.runs = runs;
      this.measureInfo = measures;
      this.loadError = null;
    } catch (reason) {
      this.loadError = toApiCallError(reason);
      this.loading = false;
      return;
    }
    try {
      const results = (await this.api.call('study-results', { studyId: this.studyId })) as StudyResults;
      this.analysis = results.analysis;
      this.analysisError = null;
    } catch (reason) {
      this.analysis = null;
      this.analysisError = toApiCallError(reason);
    } finally {
      this.loading = false;
      this.loaded = true;
    }
  }

  /**
   * Fetches the measure values of every finished run with run-get, a few at a time.
   * NOTE: study-runs carries no measure values, so a study of N runs costs N calls here.
   */
  async loadMeasureValues(): Promise<void> {
    if (this.measureValuesLoading) return;
    this.measureValuesLoading = true;
    this.measureValuesError = null;
    const queue = this.runs.filter((run) => isFinished(run.status) && this.measureValues[run.id] === undefined).map((run) => run.id);
    const worker = async (): Promise<void> => {
      for (let runId = queue.shift(); runId !== undefined; runId = queue.shift()) {
        const detail = await this.api.call('run-get', { runId });
        this.measureValues[runId] = detail.measures;
      }
    };
    try {
      await Promise.all(Array.from({ length: measureFetchConcurrency }, worker));
    } catch (reason) {
      this.measureValuesError = toApiCallError(reason);
    } finally {
      this.measureValuesLoading = false;
    }
  }

  async exportReport(format: ReportFormat): Promise<void> {
    const entry = this.exports[format];
    entry.busy = true;
    entry.error = null;
    entry.saved = null;
    try {
      const file = await this.api.call('report-export', { studyId: this.studyId, format });
      downloadExportedFile(file);
      entry.saved = file.fileName;
    } catch (reason) {
      entry.error = toApiCallError(reason);
    } finally {
      entry.busy = false;
    }
  }
}
