import type { StudySummary } from '../../../main/api/types.js';
import type { StudiesComparison } from '../lib/analysisTypes.js';
import { toApiCallError, type ApiCallError, type RendererApiClient } from '../lib/api.js';

/** Side-by-side comparison of two or more studies (studies-compare). */
export class StudyComparisonState {
  studies = $state<StudySummary[]>([]);
  studiesLoading = $state(true);
  studiesError = $state<ApiCallError | null>(null);
  selected = $state<string[]>([]);

  result = $state<StudiesComparison | null>(null);
  comparing = $state(false);
  compareError = $state<ApiCallError | null>(null);
  /** The ids the shown result compares, which may differ from the current selection. */
  comparedIds = $state<string[]>([]);

  readonly canCompare = $derived(this.selected.length >= 2 && this.selected.length <= 10);

  constructor(private readonly api: RendererApiClient) {}

  async loadStudies(): Promise<void> {
    this.studiesLoading = true;
    try {
      this.studies = await this.api.call('studies-list', {});
      this.studiesError = null;
    } catch (reason) {
      this.studiesError = toApiCallError(reason);
    } finally {
      this.studiesLoading = false;
    }
  }

  toggle(studyId: string, selected: boolean): void {
    const others = this.selected.filter((id) => id !== studyId);
    this.selected = selected ? [...others, studyId] : others;
  }

  async compare(studyIds: readonly string[]): Promise<void> {
    this.selected = [...studyIds];
    this.comparing = true;
    this.compareError = null;
    try {
      this.result = (await this.api.call('studies-compare', { studyIds: [...studyIds] })) as StudiesComparison;
      this.comparedIds = [...studyIds];
    } catch (reason) {
      this.result = null;
      this.compareError = toApiCallError(reason);
    } finally {
      this.comparing = false;
    }
  }
}
