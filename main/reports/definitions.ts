/**
 * The definitions every report states: each measure from the registry with its size adjustment,
 * and the quantities of the fragility analysis. Those are the exponent, CMS, eCMS, trend flip,
 * value shift, intervals, verdict and ranking statistics, worded for a reader of a paper.
 */
import type { BootstrapSettings, TargetKind } from '../analysis/index.js';
import { getMeasureDefinition } from '../measures/registry.js';
import type { ReportDefinitions, ReportMeasureDefinition, ReportTerm } from './model.js';

/** Size-adjustment rule that `sizeAdjust` in the registry applies to an id; a reports test keeps the two in step. */
export type SizeAdjustmentRule = 'log' | 'none' | 'sqrt';

export function sizeAdjustmentRule(id: string): SizeAdjustmentRule {
  const definition = getMeasureDefinition(id);
  if (definition.id === 'epochs_to_fit' || definition.id === 'marginal_likelihood_bound') return 'none';
  return definition.isLog ? 'log' : 'sqrt';
}

const adjustmentFormulas: Record<SizeAdjustmentRule, string> = {
  log: '0.5 (value - ln m), the log of sqrt(exp(value) / m)',
  none: 'none: the raw value',
  sqrt: 'sqrt(value / m)',
};

const plottedFormulas: Record<SizeAdjustmentRule, string> = {
  log: 'adjusted / ln 10 = log10 sqrt(exp(value) / m)',
  none: 'log10 of the raw value; runs with a value <= 0 are left out',
  sqrt: 'log10 sqrt(value / m); runs with a value <= 0 are left out',
};

/** Returns the quantity X whose log10 the learning curves plot, as an axis label. */
export function plottedQuantityLabel(id: string): string {
  switch (sizeAdjustmentRule(id)) {
    case 'log':
      return `sqrt(exp(${id}) / m)`;
    case 'none':
      return id === 'epochs_to_fit' ? 'epochs' : id;
    case 'sqrt':
      return `sqrt(${id} / m)`;
  }
}

export function describeMeasure(id: string): ReportMeasureDefinition {
  const definition = getMeasureDefinition(id);
  const rule = sizeAdjustmentRule(id);
  return {
    id,
    title: definition.title,
    equation: definition.equation,
    source: definition.source,
    is_log: definition.isLog,
    definition: definition.definition,
    size_adjustment: adjustmentFormulas[rule],
    plotted: plottedFormulas[rule],
  };
}

const targetDefinitions: Record<TargetKind, string> = {
  test_error: 'The generalization target epsilon is the test error: the fraction of misclassified test examples.',
  gap: 'The generalization target epsilon is the generalization gap: test error minus training error of each run (train accuracy minus test accuracy).',
};

function analysisTerms(threshold: number, bootstrap: BootstrapSettings): ReportTerm[] {
  const level = `${Math.round(bootstrap.confidence * 1000) / 10}%`;
  return [
    {
      term: 'Learning-curve cell x_C(m)',
      definition:
        'For a quantity X, a condition C and a training-set size m: the mean over seeds of log10 X. Runs where X is missing, or not positive for a quantity that is not a logarithm, are left out of the mean and counted.',
    },
    {
      term: 'Exponent alpha_X(C)',
      definition:
        'The slope of the ordinary least-squares line of x_C(m) against log10 m over every size of the study, in decades of X per decade of m. It is missing when a cell has no valid run or fewer than two sizes exist.',
    },
    { term: 'CMS_mu(P)', definition: 'Change in measure slope: alpha_mu(P) - alpha_mu(B), for a perturbation P against the baseline B.' },
    {
      term: 'eCMS_mu(P)',
      definition:
        "Error-adjusted change in measure slope: CMS_mu(P) - (alpha_eps(P) - alpha_eps(B)), the part of the measure's change in exponent that the target does not share. A robust measure has eCMS near 0 for every perturbation.",
    },
    { term: 'Trend flip', definition: 'sign(alpha_mu(P)) != sign(alpha_mu(B)) while sign(alpha_eps(P)) == sign(alpha_eps(B)), with sign(0) = 0.' },
    { term: 'Value shift VS_X(P), eVS_mu(P)', definition: 'VS is the mean over m of x_P(m) - x_B(m), in decades; eVS_mu(P) = VS_mu(P) - VS_eps(P).' },
    {
      term: 'Intervals',
      definition:
        bootstrap.resamples > 0
          ? `${level} percentile intervals from ${bootstrap.resamples} bootstrap resamples, each drawing with replacement among the valid runs of every (condition, m) cell, with generator seed ${bootstrap.seed}, so the intervals are reproducible.`
          : 'None: the analysis drew no bootstrap resample.',
    },
    {
      term: 'Verdict',
      definition: `undetermined when eCMS is missing or its interval contains ${threshold} or -${threshold}; otherwise fragile when |eCMS| > ${threshold} or the trend flips, else robust. A cell with some runs left out but at least one valid run still counts.`,
    },
    { term: 'Summary per measure', definition: 'The largest |eCMS| over the perturbations and the number of fragile (measure, perturbation) cells.' },
    {
      term: 'Kendall tau-a',
      definition:
        'Over the runs where the measure and the target are both present (zero and negative values kept): (1 / (n (n - 1))) times the sum over ordered pairs i != j of sign(mu_i - mu_j) sign(g_i - g_j), with sign(0) = 0; ties are not corrected for (this is not tau-b).',
    },
    {
      term: 'Granulated Kendall psi, Psi',
      definition:
        'Jiang et al. 2020: for each varied setting (axis), psi is the mean tau-a over the groups of runs that share every other axis, skipping groups of fewer than two runs; Psi is the mean of psi over the axes.',
    },
    {
      term: 'Sign error',
      definition:
        'Dziugaite et al. 2020: over the unordered pairs of runs that differ in exactly one axis, (1 - sign(mu_1 - mu_2) sign(g_1 - g_2)) / 2; reported per axis as its mean, its worst case and the number of pairs.',
    },
  ];
}

const sizeAdjustmentText =
  'Tables and learning curves use size-adjusted values, m being the number of training examples: ids that start with log_ give 0.5 (value - ln m), ' +
  'the log of sqrt(exp(value) / m); epochs_to_fit and the marginal-likelihood bound are unchanged; every other id gives sqrt(value / m). ' +
  'Learning curves plot log10 of the adjusted quantity (for log_ ids: adjusted / ln 10) against log10 m.';

/** Gathers the definitions a report of a study with these measures and settings states. */
export function buildDefinitions(measures: readonly string[], target: TargetKind, threshold: number, bootstrap: BootstrapSettings): ReportDefinitions {
  return {
    measures: measures.map(describeMeasure),
    size_adjustment: sizeAdjustmentText,
    target: targetDefinitions[target],
    terms: analysisTerms(threshold, bootstrap),
    threshold,
    bootstrap: { ...bootstrap },
  };
}
