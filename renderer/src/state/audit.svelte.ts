import type { AuditRequest, AuditResult, MeasureInfo } from '../../../main/api/types.js';
import { toApiCallError, type ApiCallError, type RendererApiClient } from '../lib/api.js';

export interface AuditForm {
  modelDir: string;
  initDir: string;
  xPath: string;
  yPath: string;
  task: 'auto' | 'binary' | 'multiclass';
  noise: 'stated' | 'reference';
  /** Selected measure ids; empty computes every measure the network supports. */
  measures: string[];
}

/** The network audit: measures of a saved layers model on given data (network-audit). */
export class NetworkAudit {
  form = $state<AuditForm>({ modelDir: '', initDir: '', xPath: '', yPath: '', task: 'auto', noise: 'stated', measures: [] });
  measureInfo = $state<MeasureInfo[]>([]);
  measureInfoError = $state<ApiCallError | null>(null);

  running = $state(false);
  result = $state<AuditResult | null>(null);
  error = $state<ApiCallError | null>(null);
  /** Fields left empty that the audit requires, found before calling. */
  missing = $state<string[]>([]);

  constructor(private readonly api: RendererApiClient) {}

  async loadMeasures(): Promise<void> {
    try {
      this.measureInfo = await this.api.call('measures-list', {});
      this.measureInfoError = null;
    } catch (reason) {
      this.measureInfoError = toApiCallError(reason);
    }
  }

  request(): AuditRequest {
    const { form } = this;
    return {
      modelDir: form.modelDir.trim(),
      ...(form.initDir.trim() === '' ? {} : { initDir: form.initDir.trim() }),
      xPath: form.xPath.trim(),
      yPath: form.yPath.trim(),
      ...(form.task === 'auto' ? {} : { task: form.task }),
      ...(form.measures.length === 0 ? {} : { measures: [...form.measures] }),
      noise: form.noise,
    };
  }

  async run(): Promise<void> {
    const request = this.request();
    this.missing = (['modelDir', 'xPath', 'yPath'] as const).filter((field) => request[field] === '');
    if (this.missing.length > 0) return;
    this.running = true;
    this.error = null;
    this.result = null;
    try {
      this.result = await this.api.call('network-audit', request);
    } catch (reason) {
      this.error = toApiCallError(reason);
    } finally {
      this.running = false;
    }
  }
}
