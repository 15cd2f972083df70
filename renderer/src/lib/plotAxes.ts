/**
 * Axis ticks and series styles for the log-log learning-curve plots. Values are in log10 units
 * (the analysis stores x = mean of log10 X), so a tick at 2 is the value 100.
 */
import { scaleLinear } from 'd3-scale';
import type { AnalysisCell, Interval } from './analysisTypes.js';
import { symbolCircle, symbolCross, symbolDiamond, symbolSquare, symbolStar, symbolTriangle, symbolWye, type SymbolType } from 'd3-shape';

export interface LogTick {
  /** Position in log10 units. */
  position: number;
  /** Label before the exponent, e.g. `10`, `0.2` or `64`; empty for an unlabelled tick. */
  text: string;
  /** Superscript exponent after `text`, or null. */
  exponent: string | null;
}

function minus(text: string): string {
  return text.replace(/-/g, '\u2212');
}

/** Labels a positive value: plain digits between 0.001 and 10000, else mantissa x 10^exponent. */
function labelValue(value: number): { text: string; exponent: string | null } {
  const exponent = Math.floor(Math.log10(value) + 1e-9);
  if (exponent >= -3 && exponent <= 4) return { text: String(Number(value.toPrecision(3))), exponent: null };
  const mantissa = Number((value / 10 ** exponent).toPrecision(2));
  return { text: mantissa === 1 ? '10' : `${mantissa}\u00d710`, exponent: minus(String(exponent)) };
}

/**
 * Ticks of a log10 domain: decades when it spans two or more, else the 1-2-5 multiples inside
 * it, else evenly spaced values, so that every axis gets at least two labels.
 */
export function logTicks(low: number, high: number): LogTick[] {
  const tick = (position: number): LogTick => ({ position, ...labelValue(10 ** position) });
  const decades: number[] = [];
  for (let exponent = Math.ceil(low - 1e-9); exponent <= Math.floor(high + 1e-9); exponent++) decades.push(exponent);
  if (decades.length >= 2) {
    const step = Math.ceil(decades.length / 6);
    return decades.filter((_, index) => index % step === 0).map(tick);
  }
  const multiples: number[] = [];
  for (let exponent = Math.floor(low) - 1; exponent <= Math.ceil(high); exponent++) {
    for (const factor of [1, 2, 5]) {
      const position = exponent + Math.log10(factor);
      if (position >= low - 1e-9 && position <= high + 1e-9) multiples.push(position);
    }
  }
  if (multiples.length >= 2) return multiples.map(tick);
  return scaleLinear()
    .domain([10 ** low, 10 ** high])
    .ticks(3)
    .filter((value) => value > 0)
    .map((value) => tick(Math.log10(value)));
}

/** Ticks at the given sizes when there are few, else the decades of their range. */
export function sizeTicks(sizes: readonly number[], low: number, high: number): LogTick[] {
  if (sizes.length > 0 && sizes.length <= 7) return sizes.map((size) => ({ position: Math.log10(size), text: String(size), exponent: null }));
  return logTicks(low, high);
}

/** Pads a domain by a fraction of its span, with a minimum span so that one point still gets an axis. */
export function paddedDomain(values: readonly number[], fraction = 0.08, minimumSpan = 0.3): [number, number] {
  if (values.length === 0) return [0, 1];
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high - low < minimumSpan) {
    const middle = (low + high) / 2;
    low = middle - minimumSpan / 2;
    high = middle + minimumSpan / 2;
  }
  const pad = (high - low) * fraction;
  return [low - pad, high + pad];
}

export interface SeriesStyle {
  /** CSS colour; the baseline uses the text colour, which contrasts with the background in both themes. */
  colour: string;
  dash: string;
  symbol: SymbolType;
}

// Series colours are CSS variables (--series-1 to --series-7 in app.css) based on the Okabe-Ito
// palette (Okabe and Ito 2008), which stays distinct under the common colour-vision deficiencies.
// The light theme darkens its yellow and the dark theme uses lighter tints, for contrast with the
// background. Markers and dashes tell the series apart without colour as well.
const palette = [1, 2, 3, 4, 5, 6, 7].map((index) => `var(--series-${index})`);
const symbols = [symbolCircle, symbolSquare, symbolTriangle, symbolDiamond, symbolCross, symbolStar, symbolWye];
const dashes = ['', '6 3', '2 3', '8 3 2 3'];

/** Styles for the conditions in order; the first (the baseline) is drawn in the text colour. */
export function seriesStyles(conditions: readonly string[]): Map<string, SeriesStyle> {
  return new Map(
    conditions.map((condition, index) => [
      condition,
      {
        colour: index === 0 ? 'var(--text)' : palette[(index - 1) % palette.length]!,
        dash: dashes[index % dashes.length]!,
        symbol: symbols[index % symbols.length]!,
      },
    ]),
  );
}

/** One condition's learning curve as the plot draws it. */
export interface PlotSeries {
  condition: string;
  style: SeriesStyle;
  cells: AnalysisCell[];
  intervals: (Interval | null)[];
  alpha: number | null;
}
