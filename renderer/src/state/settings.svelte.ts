import type { DatasetInfo, LabSettings } from '../../../main/api/types.js';
import { toApiCallError, type ApiCallError, type RendererApiClient } from '../lib/api.js';

/** The lab's settings (settings-get, settings-update) and the data sets they make visible. */
export class LabSettingsState {
  settings = $state<LabSettings | null>(null);
  loading = $state(true);
  loadError = $state<ApiCallError | null>(null);

  /** Editable copies of the settings, saved together. */
  dataFolders = $state<string[]>([]);
  backend = $state<LabSettings['backend']>('auto');
  workers = $state<number | null>(1);

  saving = $state(false);
  saveError = $state<ApiCallError | null>(null);
  savedAt = $state<Date | null>(null);

  datasets = $state<DatasetInfo[] | null>(null);
  datasetsError = $state<ApiCallError | null>(null);

  readonly unsaved = $derived(
    this.settings !== null &&
      (JSON.stringify(this.cleanFolders()) !== JSON.stringify(this.settings.dataFolders) || this.backend !== this.settings.backend || this.workers !== this.settings.workers),
  );

  constructor(private readonly api: RendererApiClient) {}

  private cleanFolders(): string[] {
    return this.dataFolders.map((folder) => folder.trim()).filter((folder) => folder !== '');
  }

  private adopt(settings: LabSettings): void {
    this.settings = settings;
    this.dataFolders = [...settings.dataFolders];
    this.backend = settings.backend;
    this.workers = settings.workers;
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      this.adopt(await this.api.call('settings-get', {}));
      this.loadError = null;
    } catch (reason) {
      this.loadError = toApiCallError(reason);
    } finally {
      this.loading = false;
    }
    await this.loadDatasets();
  }

  async loadDatasets(): Promise<void> {
    try {
      this.datasets = await this.api.call('datasets-list', {});
      this.datasetsError = null;
    } catch (reason) {
      this.datasetsError = toApiCallError(reason);
    }
  }

  addFolder(): void {
    this.dataFolders = [...this.dataFolders, ''];
  }

  removeFolder(index: number): void {
    this.dataFolders = this.dataFolders.filter((_, position) => position !== index);
  }

  async save(): Promise<void> {
    this.saving = true;
    this.saveError = null;
    try {
      const workers = this.workers === null || Number.isNaN(this.workers) ? undefined : this.workers;
      this.adopt(await this.api.call('settings-update', { dataFolders: this.cleanFolders(), backend: this.backend, ...(workers === undefined ? {} : { workers }) }));
      this.savedAt = new Date();
      await this.loadDatasets();
    } catch (reason) {
      this.saveError = toApiCallError(reason);
    } finally {
      this.saving = false;
    }
  }
}
