/**
 * One entry point per output: render a report in any format, and save its plots as SVG and PNG
 * files. The CLI, the lab server and the Electron app export reports through these functions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '../util/errors.js';
import { printHtmlToPdf, renderSvgsToPng } from './browser.js';
import { renderCsvReport } from './csv.js';
import { renderHtmlReport } from './html.js';
import { renderLatexReport } from './latex.js';
import type { StudyReport } from './model.js';
import { buildReportPlots, type ReportPlot } from './plots.js';

export const reportFormats = ['html', 'pdf', 'csv', 'json', 'latex'] as const;

export type ReportFormat = (typeof reportFormats)[number];

/** File extension of each format, without the dot. */
export const reportExtensions: Record<ReportFormat, string> = { html: 'html', pdf: 'pdf', csv: 'csv', json: 'json', latex: 'tex' };

export function isReportFormat(value: string): value is ReportFormat {
  return (reportFormats as readonly string[]).includes(value);
}

/** Renders the report model as JSON: every key of the model, numbers at full precision. */
export function renderJsonReport(report: StudyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Prints the HTML report to an A4 PDF with headless Chromium, so the two always match. */
export async function renderPdfReport(report: StudyReport, options: { plots?: readonly ReportPlot[] } = {}): Promise<Uint8Array> {
  const html = renderHtmlReport(report, options);
  return printHtmlToPdf(html, { footerText: `Fragility report: ${report.study.name}` });
}

/**
 * Renders a report in one format: text for html, csv, json and latex, bytes for pdf. The pdf
 * format needs Chromium (see `findChromium`); the others need nothing outside Node.
 */
export async function renderReport(report: StudyReport, format: ReportFormat, options: { plots?: readonly ReportPlot[] } = {}): Promise<string | Uint8Array> {
  switch (format) {
    case 'html':
      return renderHtmlReport(report, options);
    case 'pdf':
      return renderPdfReport(report, options);
    case 'csv':
      return renderCsvReport(report);
    case 'json':
      return renderJsonReport(report);
    case 'latex':
      return renderLatexReport(report);
  }
}

export interface SavedPlot {
  id: string;
  title: string;
  svgPath: string;
  pngPath: string;
}

/**
 * Saves every plot of a report into `folder` (created when missing) as `<id>.svg` and `<id>.png`.
 * The PNG files are rendered from the SVG by headless Chromium at twice the CSS pixel size.
 */
export async function savePlots(report: StudyReport, folder: string, plots: readonly ReportPlot[] = buildReportPlots(report)): Promise<SavedPlot[]> {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new LabError('storage', `Cannot create the plots folder ${folder} (${(error as Error).message}); pass another --plots-dir`, { field: '--plots-dir', cause: error });
  }
  const images = await renderSvgsToPng(plots);
  return plots.map((plot, index) => {
    const svgPath = join(folder, `${plot.id}.svg`);
    const pngPath = join(folder, `${plot.id}.png`);
    try {
      writeFileSync(svgPath, `<?xml version="1.0" encoding="UTF-8"?>\n${plot.svg}\n`);
      writeFileSync(pngPath, images[index]!);
    } catch (error) {
      throw new LabError('storage', `Cannot write plot ${plot.id} into ${folder} (${(error as Error).message}); check that the folder is writable`, { field: '--plots-dir', cause: error });
    }
    return { id: plot.id, title: plot.title, svgPath, pngPath };
  });
}
