/**
 * Axis ticks for log-log plots drawn in log10 units, and the styles that tell conditions apart.
 *
 * Ticks fall on decades, labelled 10^k. When the domain contains fewer than two decades, ticks at 2x
 * and 5x (then every multiple) of a decade are labelled too, in plain digits near 1 (`0.1`, `0.2`,
 * `0.5`). A domain narrower than any such pair gets evenly spaced ticks of the value itself, so
 * that every axis has at least two labels.
 *
 * Colours are the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"), chosen to
 * stay distinct under the common red-green and blue-yellow colour blindness. Each condition also
 * has its own marker shape and line dash, so a plot still reads in grey or for a reader who cannot
 * tell two colours apart.
 */
import { scaleLinear } from 'd3-scale';
import { symbolCircle, symbolCross, symbolDiamond, symbolSquare, symbolStar, symbolTriangle, symbolWye, type SymbolType } from 'd3-shape';

/** A tick of a log axis: its position in log10 units and its label, if any. */
export interface AxisTick {
  value: number;
  /** Label text before the exponent (`10`, `0.2`, `2x10`); null for an unlabelled minor tick. */
  label: string | null;
  /** Exponent written as a superscript after `label`; null for none. */
  exponent: string | null;
  major: boolean;
}

const epsilon = 1e-9;
const maxLabels = 8;
const maxMinorTicks = 60;

/** Writes a negative number with the typographic minus sign, as axis labels do. */
export function typographicMinus(text: string): string {
  return text.replace(/-/g, '\u2212');
}

function decadeTick(exponent: number): AxisTick {
  return { value: exponent, label: '10', exponent: typographicMinus(String(exponent)), major: true };
}

/** Writes a decade near 1 as plain digits (`100`, `0.1`), to match plainly labelled multiples beside it. */
function plainDecade(tick: AxisTick): AxisTick {
  const exponent = Math.round(tick.value);
  if (exponent < -3 || exponent > 4) return tick;
  return { ...tick, label: typographicMinus(String(Number((10 ** exponent).toPrecision(6)))), exponent: null };
}

/** Labels the value multiple x 10^exponent: plain digits near 1, else multiple with a power of ten. */
function multipleTick(multiple: number, exponent: number, labelled: boolean): AxisTick {
  const value = exponent + Math.log10(multiple);
  if (!labelled) return { value, label: null, exponent: null, major: false };
  if (exponent >= -3 && exponent <= 4) {
    return { value, label: typographicMinus(String(Number((multiple * 10 ** exponent).toPrecision(6)))), exponent: null, major: false };
  }
  return { value, label: `${multiple}\u00d710`, exponent: typographicMinus(String(exponent)), major: false };
}

function within(value: number, low: number, high: number): boolean {
  return value >= low - epsilon && value <= high + epsilon;
}

/** Multiples 2..9 of each decade inside [low, high], labelled when their multiple is in `labelled`. */
function multiples(low: number, high: number, labelled: ReadonlySet<number>): AxisTick[] {
  const ticks: AxisTick[] = [];
  for (let exponent = Math.floor(low); exponent <= Math.ceil(high); exponent++) {
    for (let multiple = 2; multiple <= 9; multiple++) {
      const tick = multipleTick(multiple, exponent, labelled.has(multiple));
      if (within(tick.value, low, high)) ticks.push(tick);
    }
  }
  return ticks;
}

/** Keeps every k-th labelled decade so that at most `maxLabels` remain labelled. */
function thinDecades(decades: AxisTick[]): AxisTick[] {
  const step = Math.ceil(decades.length / maxLabels);
  if (step <= 1) return decades;
  return decades.map((tick) => (Math.round(tick.value) % step === 0 ? tick : { ...tick, label: null, exponent: null }));
}

/** Evenly spaced ticks of the value 10^x, for a domain too narrow to hold two labelled multiples. */
function linearValueTicks(low: number, high: number): AxisTick[] {
  const scale = scaleLinear().domain([10 ** low, 10 ** high]);
  const formatTick = scale.tickFormat(4);
  return scale
    .ticks(4)
    .filter((value) => value > 0)
    .map((value) => ({ value: Math.log10(value), label: typographicMinus(formatTick(value).replace(/\u2212/g, '-')), exponent: null, major: false }));
}

/** Label priority when labels crowd: decades first, then 5x, then 2x, then other multiples. */
function labelPriority(tick: AxisTick): number {
  if (tick.major) return 0;
  const multiple = Math.round(10 ** (tick.value - Math.floor(tick.value + epsilon)));
  if (multiple === 5) return 1;
  if (multiple === 2) return 2;
  return 3;
}

/**
 * Drops labels closer than `minimumGap` (log10 units) to a label of higher priority, so that
 * labels never overlap; the ticks themselves stay.
 */
function spaceLabels(ticks: readonly AxisTick[], minimumGap: number): AxisTick[] {
  if (minimumGap <= 0) return [...ticks];
  const keptValues: number[] = [];
  const order = ticks.filter((tick) => tick.label !== null).sort((a, b) => labelPriority(a) - labelPriority(b) || a.value - b.value);
  for (const tick of order) {
    if (keptValues.every((value) => Math.abs(value - tick.value) >= minimumGap)) keptValues.push(tick.value);
  }
  return ticks.map((tick) => (tick.label === null || keptValues.includes(tick.value) ? tick : { ...tick, label: null, exponent: null }));
}

/**
 * Returns the ticks of a log axis whose domain [low, high] is in log10 units. At least two
 * ticks are labelled whenever high > low and the domain is wider than twice `minimumLabelGap`,
 * the least distance between two labels in log10 units (0 for no limit).
 */
export function logAxisTicks(low: number, high: number, minimumLabelGap = 0): AxisTick[] {
  return spaceLabels(chooseTicks(low, high), minimumLabelGap);
}

function chooseTicks(low: number, high: number): AxisTick[] {
  if (!(high > low) || !Number.isFinite(low) || !Number.isFinite(high)) return [];
  const decades: AxisTick[] = [];
  for (let exponent = Math.ceil(low - epsilon); exponent <= Math.floor(high + epsilon); exponent++) decades.push(decadeTick(exponent));

  const showMinor = high - low <= 6;
  if (decades.length >= 2) {
    const minor = showMinor ? multiples(low, high, new Set()) : [];
    return [...thinDecades(decades), ...(minor.length <= maxMinorTicks ? minor : [])];
  }
  for (const labelled of [new Set([2, 5]), new Set([2, 3, 4, 5, 6, 7, 8, 9])]) {
    const minor = multiples(low, high, labelled);
    const labelCount = decades.length + minor.filter((tick) => tick.label !== null).length;
    if (labelCount >= 2) {
      // Too many labels for the axis: keep those at 2x and 5x only, already known to be fewer.
      if (labelCount > maxLabels) continue;
      return [...decades.map(plainDecade), ...minor];
    }
  }
  return linearValueTicks(low, high);
}

/**
 * Pads a domain in log10 units by `fraction` of its span on each side, so that markers do not sit on
 * the frame. A span narrower than `minimumSpan` decades is first widened to it around its middle.
 */
export function paddedDomain(values: readonly number[], fraction = 0.06, minimumSpan = 0.2): [number, number] | null {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return null;
  let low = Math.min(...finite);
  let high = Math.max(...finite);
  if (high - low < minimumSpan) {
    const middle = (low + high) / 2;
    low = middle - minimumSpan / 2;
    high = middle + minimumSpan / 2;
  }
  const pad = (high - low) * fraction;
  return [low - pad, high + pad];
}

/** Colour, dash pattern and marker of one condition in every plot of a report. */
export interface ConditionStyle {
  color: string;
  /** stroke-dasharray of its line; null for a solid line. */
  dash: string | null;
  symbol: SymbolType;
}

/** Okabe-Ito colours, black first for the baseline; yellow last because it is faint on white. */
const palette = ['#000000', '#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442'];
const dashes: (string | null)[] = [null, '7 3', '2 2.5', '9 3 2 3', '4 4', '12 4', '1.5 3.5', '6 2 2 2'];
const symbols: SymbolType[] = [symbolCircle, symbolSquare, symbolTriangle, symbolDiamond, symbolCross, symbolStar, symbolWye];

/** Assigns each condition, in order, a colour, a dash pattern and a marker shape. */
export function conditionStyles(conditions: readonly string[]): Map<string, ConditionStyle> {
  return new Map(
    conditions.map((condition, index) => [
      condition,
      {
        color: palette[index % palette.length]!,
        dash: dashes[index % dashes.length]!,
        symbol: symbols[index % symbols.length]!,
      },
    ]),
  );
}
