/**
 * Learning-curve series of a report, read from the fragility analysis: per quantity and condition,
 * the cell means x_C(m) (mean over seeds of log10 X) with their bootstrap intervals, against
 * log10 m. The plots and the JSON report draw on these series and compute nothing of their own.
 */
import type { StudyAnalysis, TargetKind } from '../analysis/index.js';
import { isLogMeasure } from '../analysis/table.js';
import { getMeasureDefinition } from '../measures/registry.js';
import { plottedQuantityLabel } from './definitions.js';
import type { CurveSeries, LearningCurve, ReportCurves } from './model.js';

const targetTitles: Record<TargetKind, { title: string; axis: string }> = {
  test_error: { title: 'Test error', axis: 'test error (fraction of test examples)' },
  gap: { title: 'Generalization gap', axis: 'test error - train error (fraction)' },
};

function seriesOf(analysis: StudyAnalysis, quantity: string): CurveSeries[] {
  return analysis.conditions.map((condition) => {
    const cells = analysis.cells[quantity]![condition]!;
    const intervals = analysis.intervals.cells[quantity]![condition]!;
    return {
      condition,
      kind: analysis.kinds[condition]!,
      alpha: analysis.alpha[quantity]![condition]!,
      alpha_interval: analysis.intervals.alpha[quantity]![condition]!,
      alpha_missing: analysis.alpha_missing[quantity]?.[condition] ?? null,
      points: cells.map((cell, index) => ({
        m: cell.m,
        log10_m: Math.log10(cell.m),
        log10_value: cell.x,
        interval: cell.x === null ? null : (intervals[index] ?? null),
        n_valid: cell.n_valid,
        n_left_out: cell.n_left_out,
      })),
    };
  });
}

function emptyReason(series: readonly CurveSeries[], quantity: string, noAnalysisReason: string | null): string | null {
  if (noAnalysisReason !== null) return noAnalysisReason;
  if (series.some((line) => line.points.some((point) => point.log10_value !== null))) return null;
  if (series.length === 0) return 'no condition has a finished run';
  // A log scale shows only positive values, except for measures stored as logarithms.
  return isLogMeasure(quantity) ? `no finished run has a value of ${quantity}` : `no finished run has a positive value of ${quantity}`;
}

/**
 * Builds the curve of one quantity. `analysis` must include the quantity; pass null with the
 * reason when no analysis exists, and the curve is returned without series.
 */
export function buildCurve(analysis: StudyAnalysis | null, quantity: string, noAnalysisReason: string | null): LearningCurve {
  const isMeasure = quantity !== 'test_error' && quantity !== 'gap';
  const labels = isMeasure
    ? { title: getMeasureDefinition(quantity).title, axis: plottedQuantityLabel(quantity) }
    : targetTitles[quantity as TargetKind];
  const series = analysis === null ? [] : seriesOf(analysis, quantity);
  return {
    quantity,
    title: labels.title,
    axis_label: labels.axis,
    is_measure: isMeasure,
    series,
    empty_reason: emptyReason(series, quantity, analysis === null ? noAnalysisReason : null),
  };
}

/**
 * Builds every curve of a report. `errorAnalysis` has the test error as its target; it is the
 * study's own analysis unless the study targets the gap.
 */
export function buildCurves(
  measures: readonly string[],
  target: TargetKind,
  analysis: StudyAnalysis | null,
  errorAnalysis: StudyAnalysis | null,
  noAnalysisReason: string,
): ReportCurves {
  return {
    test_error: buildCurve(errorAnalysis, 'test_error', noAnalysisReason),
    gap: target === 'gap' ? buildCurve(analysis, 'gap', noAnalysisReason) : null,
    measures: measures.map((id) => buildCurve(analysis, id, noAnalysisReason)),
  };
}
