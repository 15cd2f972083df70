/**
 * SVG plots of a report, drawn as strings with d3-scale and d3-shape (no DOM), so that the same
 * markup goes inline into the HTML report and into standalone .svg files.
 *
 * Every plot is log-log: x = log10 m, y = the learning-curve cell x_C(m) (mean over seeds of
 * log10 X), one series per condition with its bootstrap interval as a shaded band (or a whisker
 * where a point has no neighbour with an interval), a marker per point, axis ticks at decades and
 * axis titles with units. Each <svg> carries a <title> and a <desc> that states what a screen
 * reader cannot see: the conditions, the exponents and what is missing.
 */
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { area, line, symbol } from 'd3-shape';
import { conditionStyles, logAxisTicks, paddedDomain, type AxisTick, type ConditionStyle } from './axes.js';
import type { CurvePoint, CurveSeries, LearningCurve, StudyReport } from './model.js';
import { fixed, joinWords } from './numbers.js';

/** One figure of a report, as standalone SVG markup. */
export interface ReportPlot {
  /** Identifier that is safe as a file name and an HTML id: `curves-path_norm`, `small-multiples`. */
  id: string;
  title: string;
  description: string;
  svg: string;
  /** Size of the drawing in CSS pixels. */
  width: number;
  height: number;
}

export const plotFontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

const margin = { top: 46, right: 14, bottom: 62, left: 58 };
const legendRowHeight = 20;
const legendPadding = 10;
const titleSize = 13;
const labelSize = 11;
const tickSize = 10.5;

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Estimates the width of a line of text in px from an average glyph width: about 0.56 em for a
 * sans-serif and 0.62 em in bold. No font metrics exist without a DOM.
 */
function textWidth(text: string, fontSize: number, bold = false): number {
  return text.length * fontSize * (bold ? 0.62 : 0.56);
}

/** Shrinks or, failing that, shortens a line of text to fit `width` px. */
function fitText(text: string, fontSize: number, width: number, bold = false, minimumSize = 9): { text: string; size: number } {
  let size = fontSize;
  while (size > minimumSize && textWidth(text, size, bold) > width) size -= 0.5;
  if (textWidth(text, size, bold) <= width) return { text, size };
  const characters = Math.max(4, Math.floor(width / textWidth('x', size, bold)) - 1);
  return { text: `${text.slice(0, characters)}\u2026`, size };
}

/** Breaks text into lines of at most `characters` characters, at spaces. */
function wrapText(text: string, characters: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current !== '' && current.length + 1 + word.length > characters) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function tickLabel(tick: AxisTick, attributes: string): string {
  const exponent = tick.exponent === null ? '' : `<tspan dy="-0.45em" font-size="0.75em">${escapeXml(tick.exponent)}</tspan>`;
  return `<text ${attributes}>${escapeXml(tick.label ?? '')}${exponent}</text>`;
}

interface PanelFrame {
  /** Left, top, width and height of the plotting area. */
  left: number;
  top: number;
  width: number;
  height: number;
}

function drawXAxis(frame: PanelFrame, x: ScaleLinear<number, number>, ticks: readonly AxisTick[]): string {
  const bottom = frame.top + frame.height;
  const parts: string[] = [];
  for (const tick of ticks) {
    const position = round(x(tick.value));
    const length = tick.label === null ? 3 : 5;
    if (tick.label !== null) parts.push(`<line class="grid" x1="${position}" y1="${frame.top}" x2="${position}" y2="${bottom}" stroke="#e4e4e4" stroke-width="1"/>`);
    parts.push(`<line x1="${position}" y1="${bottom}" x2="${position}" y2="${bottom + length}" stroke="#555" stroke-width="1"/>`);
    if (tick.label !== null) parts.push(tickLabel(tick, `x="${position}" y="${bottom + 17}" text-anchor="middle" font-size="${tickSize}" fill="#333"`));
  }
  const titleY = bottom + 34;
  parts.push(
    `<text x="${round(frame.left + frame.width / 2)}" y="${titleY}" text-anchor="middle" font-size="${labelSize}" fill="#333">training-set size m (examples, log scale)</text>`,
  );
  return `<g class="axis x-axis">${parts.join('')}</g>`;
}

function drawYAxis(frame: PanelFrame, y: ScaleLinear<number, number>, ticks: readonly AxisTick[]): string {
  const parts: string[] = [];
  for (const tick of ticks) {
    const position = round(y(tick.value));
    const length = tick.label === null ? 3 : 5;
    if (tick.label !== null) parts.push(`<line class="grid" x1="${frame.left}" y1="${position}" x2="${frame.left + frame.width}" y2="${position}" stroke="#e4e4e4" stroke-width="1"/>`);
    parts.push(`<line x1="${frame.left - length}" y1="${position}" x2="${frame.left}" y2="${position}" stroke="#555" stroke-width="1"/>`);
    if (tick.label !== null) parts.push(tickLabel(tick, `x="${frame.left - 7}" y="${round(position + 3.5)}" text-anchor="end" font-size="${tickSize}" fill="#333"`));
  }
  return `<g class="axis y-axis">${parts.join('')}</g>`;
}

function drawFrameLines(frame: PanelFrame): string {
  const bottom = frame.top + frame.height;
  return `<path class="axis-line" d="M${frame.left},${frame.top}V${bottom}H${frame.left + frame.width}" fill="none" stroke="#555" stroke-width="1"/>`;
}

/** Tells whether the point at `index` has an interval but neither neighbour has one, so a band cannot show it. */
function isolatedInterval(points: readonly CurvePoint[], index: number): boolean {
  const hasInterval = (point: CurvePoint | undefined) => point !== undefined && point.interval !== null;
  return hasInterval(points[index]) && !hasInterval(points[index - 1]) && !hasInterval(points[index + 1]);
}

function drawSeries(series: CurveSeries, style: ConditionStyle, x: ScaleLinear<number, number>, y: ScaleLinear<number, number>): { band: string; line: string; markers: string } {
  const condition = escapeXml(series.condition);
  const band = area<CurvePoint>()
    .defined((point) => point.interval !== null)
    .x((point) => x(point.log10_m))
    .y0((point) => y(point.interval![0]))
    .y1((point) => y(point.interval![1]))
    .digits(2)(series.points);
  const whiskers = series.points
    .map((point, index) => {
      if (!isolatedInterval(series.points, index)) return '';
      const position = round(x(point.log10_m));
      const low = round(y(point.interval![0]));
      const high = round(y(point.interval![1]));
      return `M${position - 4},${low}H${position + 4}M${position},${low}V${high}M${position - 4},${high}H${position + 4}`;
    })
    .join('');
  const path = line<CurvePoint>()
    .defined((point) => point.log10_value !== null)
    .x((point) => x(point.log10_m))
    .y((point) => y(point.log10_value!))
    .digits(2)(series.points);
  const shape = symbol(style.symbol, 52).digits(2)();
  const markers = series.points
    .filter((point) => point.log10_value !== null)
    .map(
      (point) =>
        `<path class="series-marker" transform="translate(${round(x(point.log10_m))},${round(y(point.log10_value!))})" d="${shape}" fill="${style.color}" stroke="#fff" stroke-width="0.8"/>`,
    )
    .join('');
  const dash = style.dash === null ? '' : ` stroke-dasharray="${style.dash}"`;
  return {
    band:
      (band !== null && band !== '' ? `<path class="series-band" data-condition="${condition}" d="${band}" fill="${style.color}" fill-opacity="0.16" stroke="none"/>` : '') +
      (whiskers !== '' ? `<path class="series-whisker" data-condition="${condition}" d="${whiskers}" fill="none" stroke="${style.color}" stroke-opacity="0.6" stroke-width="1.2"/>` : ''),
    line: path !== null && path !== '' ? `<path class="series-line" data-condition="${condition}" d="${path}" fill="none" stroke="${style.color}" stroke-width="1.8"${dash}/>` : '',
    markers: `<g class="series-markers" data-condition="${condition}">${markers}</g>`,
  };
}

function curveValues(curve: LearningCurve): number[] {
  return curve.series.flatMap((series) =>
    series.points.flatMap((point) => (point.log10_value === null ? [] : [point.log10_value, ...(point.interval ?? [])])),
  );
}

function panelSubtitle(curve: LearningCurve): string {
  return `${curve.axis_label}, log scale`;
}

/** Draws one panel (title, axes, bands, lines, markers) inside the box at (left, top). */
function drawPanel(curve: LearningCurve, left: number, top: number, width: number, height: number, styles: Map<string, ConditionStyle>, xDomain: [number, number]): string {
  const frame: PanelFrame = { left: left + margin.left, top: top + margin.top, width: width - margin.left - margin.right, height: height - margin.top - margin.bottom };
  const x = scaleLinear().domain(xDomain).range([frame.left, frame.left + frame.width]);
  // The subtitle names the measure id, so the title can be the measure's name alone.
  const title = fitText(curve.title, titleSize, width - 12, true);
  const subtitle = fitText(panelSubtitle(curve), labelSize, width - 12);
  const parts = [
    `<text x="${left + 6}" y="${top + 17}" font-size="${title.size}" font-weight="600" fill="#111">${escapeXml(title.text)}</text>`,
    `<text x="${left + 6}" y="${top + 34}" font-size="${subtitle.size}" fill="#444">${escapeXml(subtitle.text)}</text>`,
  ];

  const yDomain = paddedDomain(curveValues(curve));
  // Labels at least 2.6 em apart on x and 1.6 em on y, converted to log10 units of each axis.
  const xLabelGap = ((2.6 * tickSize) / frame.width) * (xDomain[1] - xDomain[0]);
  parts.push(drawXAxis(frame, x, logAxisTicks(xDomain[0], xDomain[1], xLabelGap)));
  if (yDomain === null) {
    const lines = wrapText(`No valid value: ${curve.empty_reason ?? 'no run has one'}.`, Math.max(20, Math.floor(frame.width / (labelSize * 0.56))));
    const firstY = frame.top + frame.height / 2 - ((lines.length - 1) * 14) / 2;
    parts.push(
      `<text class="empty-message" x="${round(frame.left + frame.width / 2)}" text-anchor="middle" font-size="${labelSize}" fill="#8a1c00">${lines
        .map((text, index) => `<tspan x="${round(frame.left + frame.width / 2)}" y="${round(firstY + index * 14)}">${escapeXml(text)}</tspan>`)
        .join('')}</text>`,
    );
    parts.push(drawFrameLines(frame));
    return `<g class="panel" data-quantity="${escapeXml(curve.quantity)}">${parts.join('')}</g>`;
  }

  const y = scaleLinear().domain(yDomain).range([frame.top + frame.height, frame.top]);
  parts.push(drawYAxis(frame, y, logAxisTicks(yDomain[0], yDomain[1], ((1.6 * tickSize) / frame.height) * (yDomain[1] - yDomain[0]))));
  const drawn = curve.series.map((series) => drawSeries(series, styles.get(series.condition)!, x, y));
  parts.push(...drawn.map((part) => part.band), ...drawn.map((part) => part.line), ...drawn.map((part) => part.markers));
  parts.push(drawFrameLines(frame));

  const absent = curve.series.filter((series) => series.points.every((point) => point.log10_value === null)).map((series) => series.condition);
  if (absent.length > 0) {
    const note = fitText(`No valid value for ${joinWords(absent)}.`, 10, width - 12);
    parts.push(`<text x="${left + 6}" y="${top + height - 8}" font-size="${note.size}" fill="#8a1c00">${escapeXml(note.text)}</text>`);
  }
  return `<g class="panel" data-quantity="${escapeXml(curve.quantity)}">${parts.join('')}</g>`;
}

interface LegendEntry {
  condition: string;
  label: string;
  style: ConditionStyle;
}

/** Places legend entries in rows that fit `width`; returns the markup and its height. */
function drawLegend(entries: readonly LegendEntry[], left: number, top: number, width: number): { markup: string; height: number } {
  const sampleWidth = 30;
  const gap = 18;
  let x = left;
  let row = 0;
  const parts: string[] = [];
  for (const entry of entries) {
    const entryWidth = sampleWidth + 6 + textWidth(entry.label, labelSize) + gap;
    if (x > left && x + entryWidth > left + width) {
      row += 1;
      x = left;
    }
    const y = top + row * legendRowHeight + legendRowHeight / 2;
    const dash = entry.style.dash === null ? '' : ` stroke-dasharray="${entry.style.dash}"`;
    const shape = symbol(entry.style.symbol, 52).digits(2)();
    parts.push(
      `<g class="legend-entry" data-condition="${escapeXml(entry.condition)}">` +
        `<rect x="${round(x)}" y="${round(y - 6)}" width="${sampleWidth}" height="12" fill="${entry.style.color}" fill-opacity="0.16"/>` +
        `<path d="M${round(x)},${round(y)}H${round(x + sampleWidth)}" stroke="${entry.style.color}" stroke-width="1.8"${dash}/>` +
        `<path transform="translate(${round(x + sampleWidth / 2)},${round(y)})" d="${shape}" fill="${entry.style.color}" stroke="#fff" stroke-width="0.8"/>` +
        `<text x="${round(x + sampleWidth + 6)}" y="${round(y + 4)}" font-size="${labelSize}" fill="#222">${escapeXml(entry.label)}</text></g>`,
    );
    x += entryWidth;
  }
  return { markup: `<g class="legend">${parts.join('')}</g>`, height: (row + 1) * legendRowHeight };
}

function describeAlpha(series: CurveSeries): string {
  if (series.alpha === null) return `${series.condition}: missing (${series.alpha_missing ?? 'no reason given'})`;
  const interval = series.alpha_interval === null ? '' : ` [${fixed(series.alpha_interval[0], 2)}, ${fixed(series.alpha_interval[1], 2)}]`;
  return `${series.condition}: ${fixed(series.alpha, 3)}${interval}`;
}

/** States in words what a curve shows, for the <desc> of its plot. */
export function describeCurve(curve: LearningCurve): string {
  if (curve.series.length === 0 || curve.empty_reason !== null) {
    return `${curve.title}: no valid value to plot (${curve.empty_reason ?? 'no series'}).`;
  }
  const conditions = joinWords(curve.series.map((series) => series.condition));
  const exponents = curve.series.map(describeAlpha).join('; ');
  return (
    `${curve.title}: log10 of ${curve.axis_label} against log10 of the training-set size m, one line per condition (${conditions}), ` +
    `each point the mean over seeds with a shaded bootstrap interval. Exponents alpha: ${exponents}.`
  );
}

interface FigureLayout {
  id: string;
  title: string;
  description: string;
  columns: number;
  panelWidth: number;
  panelHeight: number;
}

/** Returns the x domain shared by every panel: the sizes of the study, padded. */
function sharedSizeDomain(curves: readonly LearningCurve[], sizes: readonly number[]): [number, number] {
  const fromCurves = curves.flatMap((curve) => curve.series.flatMap((series) => series.points.map((point) => point.log10_m)));
  const logSizes = fromCurves.length > 0 ? fromCurves : sizes.map((m) => Math.log10(m));
  return paddedDomain(logSizes, 0.06, 0.3) ?? [1, 3];
}

/** Lays out panels in a grid with one legend below them and wraps the result in an <svg>. */
function composeFigure(curves: readonly LearningCurve[], layout: FigureLayout, styles: Map<string, ConditionStyle>, sizes: readonly number[]): ReportPlot {
  const columns = Math.max(1, Math.min(layout.columns, curves.length));
  const rows = Math.ceil(curves.length / columns);
  const width = columns * layout.panelWidth;
  const xDomain = sharedSizeDomain(curves, sizes);

  const conditions = [...styles.keys()].filter((condition) => curves.some((curve) => curve.series.some((series) => series.condition === condition)));
  const kinds = new Map(curves.flatMap((curve) => curve.series.map((series) => [series.condition, series.kind] as const)));
  const entries = conditions.map((condition) => {
    const kind = kinds.get(condition);
    return { condition, label: kind === 'baseline' && condition === 'baseline' ? condition : `${condition} (${kind})`, style: styles.get(condition)! };
  });
  const legendTop = rows * layout.panelHeight + legendPadding / 2;
  const legend = entries.length === 0 ? { markup: '', height: 0 } : drawLegend(entries, margin.left, legendTop, width - margin.left - margin.right);
  const height = Math.ceil(legendTop + legend.height + legendPadding);

  const panels = curves.map((curve, index) =>
    drawPanel(curve, (index % columns) * layout.panelWidth, Math.floor(index / columns) * layout.panelHeight, layout.panelWidth, layout.panelHeight, styles, xDomain),
  );
  const titleId = `${layout.id}-title`;
  const descriptionId = `${layout.id}-desc`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" class="report-plot" data-plot="${layout.id}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-labelledby="${titleId} ${descriptionId}" font-family="${plotFontFamily}">` +
    `<title id="${titleId}">${escapeXml(layout.title)}</title><desc id="${descriptionId}">${escapeXml(layout.description)}</desc>` +
    `<rect width="${width}" height="${height}" fill="#fff"/>${panels.join('')}${legend.markup}</svg>`;
  return { id: layout.id, title: layout.title, description: layout.description, svg, width, height };
}

/** Returns the conditions of a report in plot order: the baseline first, then the spec's perturbations. */
function reportConditions(report: StudyReport): string[] {
  const names = report.study.conditions.map((condition) => condition.name);
  const extra = report.analysis?.conditions.filter((condition) => !names.includes(condition)) ?? [];
  return [...names, ...extra];
}

/** Draws one learning curve in its own figure with a legend. */
export function renderCurvePlot(curve: LearningCurve, styles: Map<string, ConditionStyle>, sizes: readonly number[], id = `curves-${curve.quantity}`): ReportPlot {
  const title = `Learning curves: ${curve.title}`;
  return composeFigure([curve], { id, title, description: describeCurve(curve), columns: 1, panelWidth: 440, panelHeight: 320 }, styles, sizes);
}

/** Draws a measure's learning curves beside those of the test error, with one shared legend. */
export function renderMeasureWithErrorPlot(measure: LearningCurve, error: LearningCurve, styles: Map<string, ConditionStyle>, sizes: readonly number[]): ReportPlot {
  const title = `Learning curves: ${measure.title} (${measure.quantity}) beside the test error`;
  const description = `${describeCurve(measure)} Beside it, ${describeCurve(error)}`;
  return composeFigure([measure, error], { id: `curves-${measure.quantity}`, title, description, columns: 2, panelWidth: 410, panelHeight: 320 }, styles, sizes);
}

/** Draws every curve as a small multiple in a grid of `columns` panels with one legend. */
export function renderSmallMultiples(curves: readonly LearningCurve[], styles: Map<string, ConditionStyle>, sizes: readonly number[], columns = 3): ReportPlot {
  const title = `Learning curves of ${curves.length} quantities at a glance`;
  const description = `Small multiples, one panel per quantity. ${curves.map(describeCurve).join(' ')}`;
  return composeFigure(curves, { id: 'small-multiples', title, description, columns, panelWidth: 290, panelHeight: 260 }, styles, sizes);
}

/**
 * Draws every figure of a report: each measure beside the test error, the test error (and the gap,
 * when the study targets it) on its own, and all of them as small multiples.
 */
export function buildReportPlots(report: StudyReport): ReportPlot[] {
  const styles = conditionStyles(reportConditions(report));
  const sizes = report.analysis?.sizes ?? report.study.sizes;
  const { test_error: error, gap, measures } = report.curves;
  const plots = measures.map((measure) => renderMeasureWithErrorPlot(measure, error, styles, sizes));
  plots.push(renderCurvePlot(error, styles, sizes, 'curves-test_error'));
  if (gap !== null) plots.push(renderCurvePlot(gap, styles, sizes, 'curves-gap'));
  plots.push(renderSmallMultiples([...(gap === null ? [] : [gap]), error, ...measures], styles, sizes));
  return plots;
}
