/**
 * Number, time and duration formatting shared by the HTML, PDF and LaTeX reports. The text
 * returned uses the ASCII hyphen-minus. The HTML renderer swaps in the typographic minus sign,
 * and LaTeX keeps the ASCII sign, which math mode needs.
 */
import { format } from 'd3-format';

/** Fixed-point text with `digits` decimals; a value that rounds to zero loses its sign. */
export function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

const significant = format('.4~r');
const scientific = format('.3~e');

/**
 * Formats a measured value of any magnitude with four significant digits, in scientific notation
 * (`1.23e+6`) outside [1e-3, 1e5).
 */
export function formatValue(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return scientific(value).replaceAll('\u2212', '-');
  return significant(value).replaceAll('\u2212', '-');
}

/** Formats an error or other fraction in [0, 1] as a percentage with one decimal: `10.7%`. */
export function formatPercent(fraction: number): string {
  return `${fixed(fraction * 100, 1)}%`;
}

/** Formats a duration in ms for reading: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(durationMs: number): string {
  if (durationMs < 1000) return `${Math.round(durationMs)} ms`;
  const seconds = durationMs / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const totalSeconds = Math.round(seconds);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, '0')} min`;
}

/** Formats an ISO 8601 time as `2026-12-04 23:27:11 UTC`; text that is not a time is returned as it is. */
export function formatTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Shortens a run id (a 64-digit hash) to its first 12 digits, as the logs do. */
export function shortRunId(id: string): string {
  return id.slice(0, 12);
}

/** Joins words as English prose: `a`, `a and b`, `a, b and c`. */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}
