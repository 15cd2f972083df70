/**
 * Side-by-side comparison of two or more analysed studies. Measures are matched by id and
 * perturbations by name, after an optional per-study renaming (so that `lr_x10` in one study and
 * `learning_rate_x10` in another can share a column). A measure or perturbation present in some
 * studies and absent from others is listed under `missing`, not raised as an error.
 */
import { LabError } from '../util/errors.js';
import type { StudyAnalysis } from './analyze.js';
import type { Grid } from './design.js';
import type { MeasureSummary, Verdict } from './fragility.js';
import type { Interval } from './statistics.js';
import type { ConditionKind, TargetKind } from './table.js';

export interface ComparedStudy {
  /** Name of the study in the comparison, unique among the compared studies. */
  name: string;
  analysis: StudyAnalysis;
  /** Renames of this study's perturbations to the shared names (local name to shared name). */
  aliases?: Record<string, string>;
}

/** The scores of one (measure, perturbation) in one study. */
export interface ComparisonCell {
  /** The perturbation's name inside its study, before renaming. */
  condition: string;
  cms: number | null;
  ecms: number | null;
  ecms_interval: Interval | null;
  trend_flip: boolean | null;
  verdict: Verdict;
}

export interface StudyComparison {
  studies: string[];
  targets: Record<string, TargetKind>;
  thresholds: Record<string, number>;
  /** Union of the studies' measures, in order of first appearance. */
  measures: string[];
  /** Union of the shared perturbation names, in order of first appearance. */
  perturbations: string[];
  /** kinds[perturbation][study] for the studies that have the perturbation. */
  kinds: Grid<ConditionKind>;
  /** alpha of each study's target at its baseline, by study. */
  baseline_alpha_target: Record<string, number | null>;
  /** alpha_target[perturbation][study] for the studies that have the perturbation. */
  alpha_target: Grid<number | null>;
  /** cells[measure][perturbation][study] for the studies that have both. */
  cells: Record<string, Grid<ComparisonCell>>;
  /**
   * verdicts_agree[measure][perturbation]: whether the studies with a fragile or robust verdict
   * all reached the same one; null when fewer than two studies have such a verdict.
   */
  verdicts_agree: Grid<boolean | null>;
  /** summary[measure][study] for the studies that have the measure. */
  summary: Grid<MeasureSummary>;
  missing: {
    /** missing.measures[measure]: studies without the measure; only measures missing somewhere appear. */
    measures: Record<string, string[]>;
    /** missing.perturbations[perturbation]: studies without it; only perturbations missing somewhere appear. */
    perturbations: Record<string, string[]>;
  };
  /** Perturbations whose kind differs between studies, with the kind in each. */
  kind_conflicts: Grid<ConditionKind>;
  /** Differences a reader should know before comparing the numbers (targets, thresholds). */
  notes: string[];
}

function appendNew(list: string[], values: readonly string[]): void {
  for (const value of values) if (!list.includes(value)) list.push(value);
}

/** Maps each local perturbation name to its shared name, checking the renames. */
function sharedNames(study: ComparedStudy): Map<string, string> {
  const aliases = study.aliases ?? {};
  for (const local of Object.keys(aliases)) {
    if (!study.analysis.perturbations.includes(local)) {
      throw new LabError(
        'invalid-input',
        `Study "${study.name}" has no perturbation "${local}" to rename (perturbations: ${study.analysis.perturbations.join(', ')}); fix the alias`,
      );
    }
  }
  const names = new Map<string, string>();
  const localOf = new Map<string, string>();
  for (const local of study.analysis.perturbations) {
    const shared = aliases[local] ?? local;
    const earlier = localOf.get(shared);
    if (earlier !== undefined) {
      throw new LabError('invalid-input', `Study "${study.name}" maps both "${earlier}" and "${local}" to "${shared}"; give each perturbation its own name`);
    }
    localOf.set(shared, local);
    names.set(local, shared);
  }
  return names;
}

/** Compares two or more studies; raises a LabError of kind `invalid-input` for fewer than two or a repeated name. */
export function compareStudies(studies: readonly ComparedStudy[]): StudyComparison {
  if (studies.length < 2) throw new LabError('invalid-input', `A comparison needs at least two studies, received ${studies.length}; add another study`);
  const names = studies.map((study) => study.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new LabError('invalid-input', `Study name "${repeated}" is used twice; give each compared study its own name`);

  const renames = new Map(studies.map((study) => [study.name, sharedNames(study)]));
  const measures: string[] = [];
  const perturbations: string[] = [];
  for (const study of studies) {
    appendNew(measures, study.analysis.measures);
    appendNew(perturbations, [...renames.get(study.name)!.values()]);
  }

  const comparison: StudyComparison = {
    studies: names,
    targets: {},
    thresholds: {},
    measures,
    perturbations,
    kinds: {},
    baseline_alpha_target: {},
    alpha_target: {},
    cells: {},
    verdicts_agree: {},
    summary: {},
    missing: { measures: {}, perturbations: {} },
    kind_conflicts: {},
    notes: [],
  };
  for (const perturbation of perturbations) {
    comparison.kinds[perturbation] = {};
    comparison.alpha_target[perturbation] = {};
  }
  for (const measure of measures) {
    comparison.cells[measure] = Object.fromEntries(perturbations.map((perturbation) => [perturbation, {}]));
    comparison.summary[measure] = {};
  }

  for (const study of studies) addStudy(comparison, study, renames.get(study.name)!);
  reportGaps(comparison, studies, renames);
  return comparison;
}

function addStudy(comparison: StudyComparison, study: ComparedStudy, renames: Map<string, string>): void {
  const { analysis, name } = study;
  comparison.targets[name] = analysis.target;
  comparison.thresholds[name] = analysis.threshold;
  comparison.baseline_alpha_target[name] = analysis.alpha[analysis.target]![analysis.baseline]!;
  for (const [local, shared] of renames) {
    comparison.kinds[shared]![name] = analysis.kinds[local]!;
    comparison.alpha_target[shared]![name] = analysis.alpha[analysis.target]![local]!;
  }
  for (const measure of analysis.measures) {
    comparison.summary[measure]![name] = analysis.summary[measure]!;
    for (const [local, shared] of renames) {
      comparison.cells[measure]![shared]![name] = {
        condition: local,
        cms: analysis.cms[measure]![local]!,
        ecms: analysis.ecms[measure]![local]!,
        ecms_interval: analysis.intervals.ecms[measure]![local]!,
        trend_flip: analysis.trend_flip[measure]![local]!,
        verdict: analysis.verdict[measure]![local]!,
      };
    }
  }
}

function reportGaps(comparison: StudyComparison, studies: readonly ComparedStudy[], renames: Map<string, Map<string, string>>): void {
  for (const measure of comparison.measures) {
    const lacking = studies.filter((study) => !study.analysis.measures.includes(measure)).map((study) => study.name);
    if (lacking.length > 0) comparison.missing.measures[measure] = lacking;

    const agreement: Record<string, boolean | null> = {};
    for (const perturbation of comparison.perturbations) {
      const decided = Object.values(comparison.cells[measure]![perturbation]!)
        .map((cell) => cell.verdict)
        .filter((verdict) => verdict !== 'undetermined');
      agreement[perturbation] = decided.length < 2 ? null : decided.every((verdict) => verdict === decided[0]);
    }
    comparison.verdicts_agree[measure] = agreement;
  }

  for (const perturbation of comparison.perturbations) {
    const lacking = studies.filter((study) => ![...renames.get(study.name)!.values()].includes(perturbation)).map((study) => study.name);
    if (lacking.length > 0) comparison.missing.perturbations[perturbation] = lacking;
    const kinds = comparison.kinds[perturbation]!;
    if (new Set(Object.values(kinds)).size > 1) comparison.kind_conflicts[perturbation] = kinds;
  }

  const targets = new Set(Object.values(comparison.targets));
  if (targets.size > 1) {
    const listed = comparison.studies.map((name) => `${name}: ${comparison.targets[name]}`).join(', ');
    comparison.notes.push(`The studies use different targets (${listed}), so their eCMS values measure different things.`);
  }
  const thresholds = new Set(Object.values(comparison.thresholds));
  if (thresholds.size > 1) {
    const listed = comparison.studies.map((name) => `${name}: ${comparison.thresholds[name]}`).join(', ');
    comparison.notes.push(`The studies use different thresholds (${listed}), so equal eCMS values can get different verdicts.`);
  }
  for (const [perturbation, kinds] of Object.entries(comparison.kind_conflicts)) {
    const listed = Object.entries(kinds)
      .map(([name, kind]) => `${name}: ${kind}`)
      .join(', ');
    comparison.notes.push(`Perturbation "${perturbation}" has different kinds (${listed}).`);
  }
}
