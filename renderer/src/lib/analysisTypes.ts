/**
 * The analysis types the renderer reads: the engine's own, re-exported through the API map (the
 * one module of main/ the renderer may import, types only).
 */
export type {
  Cell as AnalysisCell,
  ComparisonCell,
  Grid,
  Interval,
  MeasureRanking,
  MeasureSummary,
  RankingReport,
  SignError,
  SpecDifference,
  StudiesComparison,
  StudyAnalysis,
  StudyComparison,
  StudyIntervals,
  StudyResults,
  TargetKind,
  Verdict,
} from '../../../main/api/types.js';
