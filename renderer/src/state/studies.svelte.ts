import type { StudySummary, StudyTemplate } from '../../../main/api/types.js';
import { onReconnect, toApiCallError, type ApiCallError, type RendererApiClient } from '../lib/api.js';
import { debounce } from '../lib/timing.js';
import type { Notices } from './notices.svelte.js';

/** The study list, kept current by the `studies-changed` and `study-progress` events. */
export class StudyList {
  studies = $state<StudySummary[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state<ApiCallError | null>(null);

  templates = $state<StudyTemplate[] | null>(null);
  templatesLoading = $state(false);
  templatesError = $state<ApiCallError | null>(null);

  constructor(
    private readonly api: RendererApiClient,
    private readonly notices: Notices,
  ) {}

  /** Loads the list and follows the events; returns the function that stops following them. */
  start(): () => void {
    void this.load();
    // Progress events arrive per epoch; refreshing once a second at most keeps the bars current.
    const refresh = debounce(() => void this.refresh(), 1000);
    const stopChanged = this.api.on('studies-changed', () => refresh());
    const stopProgress = this.api.on('study-progress', ({ event }) => {
      if (event.type !== 'epoch' && event.type !== 'run-phase') refresh();
    });
    const stopReconnect = onReconnect(this.api, refresh);
    return () => {
      refresh.cancel();
      stopChanged();
      stopProgress();
      stopReconnect();
    };
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      this.studies = await this.api.call('studies-list', {});
      this.error = null;
      this.loaded = true;
    } catch (reason) {
      this.error = toApiCallError(reason);
    } finally {
      this.loading = false;
    }
  }

  /** Reloads in the background; a failure goes to the app-wide banner, the list stays as it was. */
  private async refresh(): Promise<void> {
    try {
      this.studies = await this.api.call('studies-list', {});
      this.notices.clear('Refreshing the study list');
    } catch (reason) {
      this.notices.report('Refreshing the study list', toApiCallError(reason));
    }
  }

  async loadTemplates(): Promise<void> {
    if (this.templates !== null || this.templatesLoading) return;
    this.templatesLoading = true;
    try {
      this.templates = await this.api.call('templates-list', {});
      this.templatesError = null;
    } catch (reason) {
      this.templatesError = toApiCallError(reason);
    } finally {
      this.templatesLoading = false;
    }
  }

  /** Duplicates a study under a new name; rejects with the ApiCallError for the dialog to show. */
  async duplicate(studyId: string, name: string): Promise<string> {
    try {
      const { studyId: newId } = await this.api.call('study-duplicate', { studyId, name });
      await this.refresh();
      return newId;
    } catch (reason) {
      throw toApiCallError(reason);
    }
  }

  /** Deletes a study; rejects with the ApiCallError for the dialog to show. */
  async remove(studyId: string): Promise<void> {
    try {
      await this.api.call('study-delete', { studyId });
      this.studies = this.studies.filter((study) => study.id !== studyId);
    } catch (reason) {
      throw toApiCallError(reason);
    }
  }
}
