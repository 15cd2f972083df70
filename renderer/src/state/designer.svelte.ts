import type { DatasetInfo, MeasureInfo, SpecCheck } from '../../../main/api/types.js';
import { toApiCallError, type ApiCallError, type RendererApiClient } from '../lib/api.js';
import {
  assignProblems,
  changeSettings,
  draftFromSpec,
  fieldPaths,
  localProblems,
  logSpacedSizes,
  newKey,
  specFromDraft,
  studyIdFromName,
  type PerturbationDraft,
  type SpecDraft,
} from '../lib/specDraft.js';
import { debounce } from '../lib/timing.js';

/** Delay between the last edit and the study-check call. */
const checkDelayMs = 400;

/** The study designer: the draft being edited, its live check, and saving and starting it. */
export class Designer {
  draft = $state<SpecDraft>(draftFromSpec({}));
  /** The study being edited, or null for a new one. */
  editedStudyId = $state<string | null>(null);
  loading = $state(false);
  loadError = $state<ApiCallError | null>(null);

  measures = $state<MeasureInfo[] | null>(null);
  measuresError = $state<ApiCallError | null>(null);
  datasets = $state<DatasetInfo[] | null>(null);
  datasetsError = $state<ApiCallError | null>(null);
  existingStudyIds = $state<string[]>([]);

  check = $state<SpecCheck | null>(null);
  checking = $state(false);
  checkError = $state<ApiCallError | null>(null);

  saving = $state(false);
  saveError = $state<ApiCallError | null>(null);
  /** The spec JSON last saved, to tell whether the draft has unsaved changes. */
  savedSpecJson = $state<string | null>(null);
  savedStudyId = $state<string | null>(null);

  sizeGenerator = $state({ from: 100, to: 1000, count: 5 });

  readonly spec = $derived(specFromDraft(this.draft));
  readonly specJson = $derived(JSON.stringify(this.spec));
  readonly studyId = $derived(studyIdFromName(this.draft.name));
  readonly unsaved = $derived(this.savedSpecJson !== this.specJson);
  /** Whether saving would replace the spec of another stored study with the same id. */
  readonly replacesOtherStudy = $derived(this.studyId !== this.editedStudyId && this.existingStudyIds.includes(this.studyId));
  readonly problems = $derived.by(() => {
    const local = localProblems(this.draft);
    // The engine reports an empty folder as an invalid source, so the clearer local message replaces it.
    const engine = (this.check?.problems ?? []).filter((problem) => !(problem.field === 'data.source' && local.some((item) => item.field === 'data.source.folder')));
    const list = [...local, ...engine];
    if (this.saveError !== null && this.saveError.field !== undefined) list.push({ field: this.saveError.field, message: this.saveError.message });
    return assignProblems(list, fieldPaths(this.draft));
  });
  readonly measuresByFamily = $derived.by(() => {
    const families = new Map<string, MeasureInfo[]>();
    for (const measure of this.measures ?? []) families.set(measure.family, [...(families.get(measure.family) ?? []), measure]);
    return [...families.entries()];
  });

  private checkVersion = 0;
  private readonly scheduleCheckCall = debounce(() => void this.runCheck(), checkDelayMs);

  constructor(private readonly api: RendererApiClient) {}

  /** Loads the draft (a stored study, a template or the defaults) and the lists the form offers. */
  async open(studyId: string | null, templateId: string | null): Promise<void> {
    this.loading = true;
    this.loadError = null;
    this.editedStudyId = studyId;
    void this.loadMeasures();
    void this.loadDatasets();
    void this.loadStudyIds();
    try {
      if (studyId !== null) {
        const { spec } = await this.api.call('study-get', { studyId });
        this.draft = draftFromSpec(spec);
        this.savedSpecJson = this.specJson;
        this.savedStudyId = studyId;
      } else if (templateId !== null) {
        const templates = await this.api.call('templates-list', {});
        const template = templates.find((item) => item.id === templateId);
        if (template === undefined) throw new Error(`Template "${templateId}" does not exist; the templates are ${templates.map((item) => item.id).join(', ')}`);
        this.draft = draftFromSpec(template.spec);
      }
    } catch (reason) {
      this.loadError = toApiCallError(reason);
    } finally {
      this.loading = false;
    }
  }

  private async loadMeasures(): Promise<void> {
    try {
      this.measures = await this.api.call('measures-list', {});
      this.measuresError = null;
    } catch (reason) {
      this.measuresError = toApiCallError(reason);
    }
  }

  async loadDatasets(): Promise<void> {
    try {
      this.datasets = await this.api.call('datasets-list', {});
      this.datasetsError = null;
    } catch (reason) {
      this.datasetsError = toApiCallError(reason);
    }
  }

  private async loadStudyIds(): Promise<void> {
    try {
      this.existingStudyIds = (await this.api.call('studies-list', {})).map((study) => study.id);
    } catch {
      // Only the overwrite warning depends on this list; saving still reports any conflict.
      this.existingStudyIds = [];
    }
  }

  /** Schedules a study-check of the current draft; reading `specJson` here makes an effect track it. */
  scheduleCheck(): void {
    void this.specJson;
    this.checking = true;
    this.scheduleCheckCall();
  }

  private async runCheck(): Promise<void> {
    const version = ++this.checkVersion;
    this.checking = true;
    try {
      const result = await this.api.call('study-check', { spec: this.spec });
      if (version !== this.checkVersion) return;
      this.check = result;
      this.checkError = null;
    } catch (reason) {
      if (version !== this.checkVersion) return;
      this.checkError = toApiCallError(reason);
    } finally {
      if (version === this.checkVersion) this.checking = false;
    }
  }

  dispose(): void {
    this.scheduleCheckCall.cancel();
    this.checkVersion++;
  }

  problemsAt(path: string): string[] {
    return this.problems.get(path) ?? [];
  }

  // Editing helpers for the parts of the draft that are lists.

  applySizeGenerator(): void {
    const { from, to, count } = this.sizeGenerator;
    const sizes = logSpacedSizes(Number(from), Number(to), Number(count));
    if (sizes.length > 0) this.draft.trainSizes = sizes.join(', ');
  }

  addPerturbation(): void {
    const index = this.draft.perturbations.length + 1;
    const perturbation: PerturbationDraft = {
      key: newKey(),
      name: `perturbation_${index}`,
      kind: 'hyperparameter',
      description: '',
      changes: [{ key: newKey(), setting: 'training.learningRate', value: String((this.draft.training.learningRate ?? 0.01) * 10) }],
    };
    this.draft.perturbations.push(perturbation);
  }

  removePerturbation(key: number): void {
    this.draft.perturbations = this.draft.perturbations.filter((perturbation) => perturbation.key !== key);
  }

  addChange(perturbationKey: number): void {
    const perturbation = this.draft.perturbations.find((item) => item.key === perturbationKey);
    if (perturbation === undefined) return;
    const used = new Set(perturbation.changes.map((change) => change.setting));
    const setting = changeSettings.find((candidate) => !used.has(candidate.path)) ?? changeSettings[0]!;
    perturbation.changes.push({ key: newKey(), setting: setting.path, value: '' });
  }

  removeChange(perturbationKey: number, changeKey: number): void {
    const perturbation = this.draft.perturbations.find((item) => item.key === perturbationKey);
    if (perturbation !== undefined) perturbation.changes = perturbation.changes.filter((change) => change.key !== changeKey);
  }

  toggleMeasure(id: string, selected: boolean): void {
    const ids = this.draft.measures.ids.filter((item) => item !== id);
    this.draft.measures.ids = selected ? [...ids, id] : ids;
  }

  setFamily(measures: readonly MeasureInfo[], selected: boolean): void {
    const family = new Set(measures.map((measure) => measure.id));
    const others = this.draft.measures.ids.filter((id) => !family.has(id));
    this.draft.measures.ids = selected ? [...others, ...measures.map((measure) => measure.id)] : others;
  }

  /** Saves the draft with study-create; returns the study id, or null when saving failed. */
  async save(): Promise<string | null> {
    this.saving = true;
    this.saveError = null;
    const specJson = this.specJson;
    try {
      // Replacing is what the user asked for when the study is the one being edited, or when the
      // designer showed the warning that saving replaces another study's spec.
      const replace = this.existingStudyIds.includes(this.studyId);
      const { studyId } = await this.api.call('study-create', { spec: this.spec, replace });
      this.savedSpecJson = specJson;
      this.savedStudyId = studyId;
      if (!this.existingStudyIds.includes(studyId)) this.existingStudyIds = [...this.existingStudyIds, studyId];
      this.editedStudyId = studyId;
      return studyId;
    } catch (reason) {
      this.saveError = toApiCallError(reason);
      return null;
    } finally {
      this.saving = false;
    }
  }

  /** Saves unsaved changes, then starts the study; returns its id once started, or null on failure. */
  async saveAndStart(): Promise<string | null> {
    const studyId = this.unsaved || this.savedStudyId === null ? await this.save() : this.savedStudyId;
    if (studyId === null) return null;
    this.saving = true;
    try {
      await this.api.call('study-start', { studyId });
      return studyId;
    } catch (reason) {
      this.saveError = toApiCallError(reason);
      return null;
    } finally {
      this.saving = false;
    }
  }
}
