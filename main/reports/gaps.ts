/**
 * Finds what a report lacks and states it: runs that are not finished, failed or diverged,
 * conditions without runs or with one size only, missing measure values, measures without any
 * valid value and missing exponents. Every gap becomes a sentence in the report; none is dropped
 * silently, and none stops the report from being produced.
 */
import { finishedStatuses, type RunStatus } from '../../db/store.js';
import type { StudyAnalysis } from '../analysis/index.js';
import { isLogMeasure } from '../analysis/table.js';
import type { ReportGap, ReportRun, ReportStudy } from './model.js';

/** Describes a run by its place in the study: `baseline, m = 64, seed 0`. */
export function describeRun(run: Pick<ReportRun, 'condition' | 'm' | 'seed'>): string {
  return `${run.condition}, m = ${run.m}, seed ${run.seed}`;
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** Lists up to `limit` items and states how many more there are. */
function listSome(items: readonly string[], limit = 6): string {
  if (items.length <= limit) return items.join('; ');
  return `${items.slice(0, limit).join('; ')}; and ${items.length - limit} more`;
}

/** Groups items by a key, keeping the order of first appearance. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [item]);
    else group.push(item);
  }
  return groups;
}

const isFinished = (run: ReportRun): boolean => finishedStatuses.includes(run.status);

function unfinishedRunGaps(runs: readonly ReportRun[]): ReportGap[] {
  const unfinishedStatuses: RunStatus[] = ['pending', 'running', 'interrupted'];
  const unfinished = runs.filter((run) => unfinishedStatuses.includes(run.status));
  const gaps: ReportGap[] = [];
  if (unfinished.length > 0) {
    const counts = unfinishedStatuses
      .map((status) => [status, unfinished.filter((run) => run.status === status).length] as const)
      .filter(([, count]) => count > 0)
      .map(([status, count]) => `${count} ${status}`)
      .join(', ');
    gaps.push({
      kind: 'unfinished-runs',
      message:
        `${plural(unfinished.length, 'run is', 'runs are')} not finished (${counts}): ${listSome(unfinished.map(describeRun))}. ` +
        'They are left out of every curve and table; resume the study with "fragility-lab run" to complete it.',
      run_ids: unfinished.map((run) => run.id),
    });
  }

  const failed = runs.filter((run) => run.status === 'failed');
  for (const [reason, group] of groupBy(failed, (run) => run.error_message ?? 'no reason was stored')) {
    gaps.push({
      kind: 'failed-runs',
      message: `${plural(group.length, 'run')} failed and ${group.length === 1 ? 'is' : 'are'} left out of the analysis (${listSome(group.map(describeRun))}): ${reason}.`,
      run_ids: group.map((run) => run.id),
    });
  }
  return gaps;
}

function finishedRunGaps(runs: readonly ReportRun[], study: ReportStudy): ReportGap[] {
  const gaps: ReportGap[] = [];
  const diverged = runs.filter((run) => run.status === 'diverged');
  if (diverged.length > 0) {
    const listed = diverged.map((run) => `${describeRun(run)}${run.diverged_epoch === null ? '' : `, at epoch ${run.diverged_epoch}`}`);
    gaps.push({
      kind: 'diverged-runs',
      message:
        `${plural(diverged.length, 'run')} diverged (${listSome(listed)}). A diverged run has no measure values and no test error, ` +
        'so it is left out of every learning curve; the other runs of its cell still count.',
      run_ids: diverged.map((run) => run.id),
    });
  }

  const finished = runs.filter(isFinished);
  const notFit = finished.filter((run) => run.status === 'did_not_fit');
  if (notFit.length > 0) {
    const { stopAtTrainAccuracy, maxEpochs } = study.spec.training;
    const byCondition = [...groupBy(notFit, (run) => run.condition)].map(([condition, group]) => `${group.length} of ${condition}`).join(', ');
    gaps.push({
      kind: 'did-not-fit',
      message:
        `${notFit.length} of ${plural(finished.length, 'finished run')} did not meet the stopping rule (training accuracy >= ${stopAtTrainAccuracy} ` +
        `before the epoch limit, which is ${maxEpochs} at the baseline): ${byCondition}. They are included in the analysis as they are.`,
      run_ids: notFit.map((run) => run.id),
    });
  }

  const missingTarget = finished.filter((run) => run.status !== 'diverged' && run.test_error === null);
  if (missingTarget.length > 0) {
    gaps.push({
      kind: 'missing-values',
      message: `${plural(missingTarget.length, 'finished run has', 'finished runs have')} no test error (${listSome(missingTarget.map(describeRun))}); they are left out of the test-error curve.`,
      run_ids: missingTarget.map((run) => run.id),
    });
  }
  return gaps;
}

function conditionGaps(runs: readonly ReportRun[], study: ReportStudy): ReportGap[] {
  const gaps: ReportGap[] = [];
  if (study.sizes.length < 2) {
    gaps.push({
      kind: 'one-size',
      message: `The study has one training-set size (m = ${study.sizes.join(', ')}); every exponent, CMS and eCMS needs at least two, so all of them are missing.`,
    });
  }
  for (const condition of study.conditions) {
    const finished = runs.filter((run) => run.condition === condition.name && isFinished(run));
    if (finished.length === 0) {
      gaps.push({
        kind: 'condition-without-runs',
        condition: condition.name,
        message: `Condition "${condition.name}" (${condition.kind}) has no finished run of its ${condition.planned_runs} planned; it is absent from the curves and tables.`,
      });
      continue;
    }
    const sizes = [...new Set(finished.map((run) => run.m))].sort((a, b) => a - b);
    if (sizes.length === 1 && study.sizes.length > 1) {
      gaps.push({
        kind: 'one-size',
        condition: condition.name,
        message:
          `Condition "${condition.name}" has finished runs at one training-set size only (m = ${sizes[0]}); its exponents are missing, ` +
          `so ${condition.kind === 'baseline' ? 'every CMS and eCMS is missing' : 'its CMS and eCMS are missing and its verdicts undetermined'}.`,
      });
    }
  }
  return gaps;
}

function measureGaps(runs: readonly ReportRun[], study: ReportStudy, analysis: StudyAnalysis | null): ReportGap[] {
  const gaps: ReportGap[] = [];
  const finished = runs.filter(isFinished);
  const empty = new Set(analysis?.empty_measures ?? []);
  for (const measure of study.measures) {
    // The diverged-runs gap already states that a diverged run has no measure value.
    const missing = finished.filter((run) => run.status !== 'diverged' && run.measures[measure]!.missing_reason !== null);
    if (empty.has(measure)) {
      const reasons = [...groupBy(missing, (run) => run.measures[measure]!.missing_reason!).keys()];
      const diverged = finished.filter((run) => run.status === 'diverged').length;
      const nonPositive = finished.length - diverged - missing.length;
      const explanation = [reasons.length > 0 ? `missing: ${listSome(reasons, 3)}` : '', nonPositive > 0 ? `${plural(nonPositive, 'value')} <= 0, which a log scale cannot show` : '']
        .filter((part) => part !== '')
        .join('; ') || 'every finished run diverged';
      gaps.push({
        kind: 'empty-measure',
        measure,
        message: `${measure} has no valid value in any finished run (${explanation}); its learning curve is empty and its exponents, CMS and eCMS are missing.`,
      });
      continue;
    }
    for (const [reason, group] of groupBy(missing, (run) => run.measures[measure]!.missing_reason!)) {
      gaps.push({
        kind: 'missing-values',
        measure,
        message: `${measure} is missing for ${group.length} of ${plural(finished.length, 'finished run')} (${listSome(group.map(describeRun))}): ${reason}.`,
        run_ids: group.map((run) => run.id),
      });
    }
    if (!isLogMeasure(measure)) {
      const nonPositive = finished.filter((run) => {
        const adjusted = run.measures[measure]!.adjusted;
        return adjusted !== null && adjusted <= 0;
      });
      if (nonPositive.length > 0) {
        gaps.push({
          kind: 'missing-values',
          measure,
          message: `${measure} is <= 0 in ${plural(nonPositive.length, 'run')} (${listSome(nonPositive.map(describeRun))}); a log scale cannot show such values, so these runs are left out of its learning curve.`,
          run_ids: nonPositive.map((run) => run.id),
        });
      }
    }
  }
  return gaps;
}

/** Returns one gap per (condition, reason) for the missing exponents that no other gap explains. */
function exponentGaps(analysis: StudyAnalysis, explainedConditions: ReadonlySet<string>): ReportGap[] {
  const entries: { quantity: string; condition: string; reason: string }[] = [];
  for (const quantity of analysis.quantities) {
    if (analysis.empty_measures.includes(quantity)) continue;
    for (const [condition, reason] of Object.entries(analysis.alpha_missing[quantity] ?? {})) {
      if (!explainedConditions.has(condition)) entries.push({ quantity, condition, reason });
    }
  }
  const gaps: ReportGap[] = [];
  for (const group of groupBy(entries, (entry) => `${entry.condition}\u0000${entry.reason}`).values()) {
    const { condition, reason } = group[0]!;
    const quantities = group.map((entry) => entry.quantity);
    gaps.push({
      kind: 'missing-exponent',
      condition,
      ...(quantities.length === 1 ? { measure: quantities[0]! } : {}),
      message: `The exponent alpha of ${quantities.join(', ')} for condition "${condition}" is missing: ${reason}.`,
    });
  }
  return gaps;
}

/** Lists every gap of a report, in the order a reader meets them. */
export function findGaps(study: ReportStudy, runs: readonly ReportRun[], analysis: StudyAnalysis | null, analysisMissingReason: string | null): ReportGap[] {
  const gaps: ReportGap[] = [];
  if (analysis === null) {
    gaps.push({
      kind: 'no-analysis',
      message: `The fragility analysis could not be computed: ${analysisMissingReason ?? 'no reason was given'}. The report shows the study, its runs and the definitions only.`,
    });
  }
  gaps.push(...unfinishedRunGaps(runs), ...finishedRunGaps(runs, study), ...conditionGaps(runs, study), ...measureGaps(runs, study, analysis));
  if (analysis !== null) {
    const explained = new Set(gaps.filter((gap) => gap.kind === 'one-size' || gap.kind === 'condition-without-runs').map((gap) => gap.condition ?? ''));
    if (study.sizes.length < 2) for (const condition of analysis.conditions) explained.add(condition);
    gaps.push(...exponentGaps(analysis, explained));
    if (analysis.bootstrap.resamples === 0) {
      gaps.push({ kind: 'no-intervals', message: 'The analysis drew no bootstrap resample, so no value has an interval and verdicts rest on the point values alone.' });
    }
  }
  return gaps;
}
