/**
 * Reports of a stored study that researchers can publish: HTML (self-contained), PDF (the HTML
 * printed by headless Chromium), CSV of every run, LaTeX tables and the JSON report model, and
 * the learning-curve plots as SVG and PNG.
 *
 * Typical use: `const report = buildStudyReport(store, { studyId })`, then
 * `await renderReport(report, 'html')` or `await savePlots(report, folder)`.
 */
export { findChromium, chromiumVariable } from './browser.js';
export { buildStudyReport } from './build.js';
export type { BuildReportOptions } from './build.js';
export { renderCsvReport, runCsvColumns } from './csv.js';
export { isReportFormat, renderJsonReport, renderPdfReport, renderReport, reportExtensions, reportFormats, savePlots } from './export.js';
export type { ReportFormat, SavedPlot } from './export.js';
export { renderHtmlReport } from './html.js';
export type { HtmlReportOptions } from './html.js';
export { escapeLatex, renderLatexReport } from './latex.js';
export { reportFormatVersion } from './model.js';
export type {
  CurvePoint,
  CurveSeries,
  GapKind,
  LearningCurve,
  ReportCondition,
  ReportCurves,
  ReportDefinitions,
  ReportEnvironment,
  ReportGap,
  ReportMeasureValue,
  ReportRun,
  ReportStudy,
  StudyReport,
} from './model.js';
export { buildReportPlots, renderCurvePlot, renderMeasureWithErrorPlot, renderSmallMultiples } from './plots.js';
export type { ReportPlot } from './plots.js';
