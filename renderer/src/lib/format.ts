/** Number, date and duration formatting shared by the pages. */
import { format } from 'd3-format';

const significant3 = format('.3~g');
const signed3 = format('+.3~f');
const unsigned3 = format('.3~f');
const percent1 = format('.1~%');

/** Formats a value with three significant digits, or as an en dash when it is missing. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '\u2013';
  return significant3(value).replace('-', '\u2212');
}

/** Formats a score such as CMS or eCMS with its sign and three decimals. */
export function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '\u2013';
  return signed3(value).replace('-', '\u2212');
}

/** Formats an absolute value such as |eCMS| without a sign, with three decimals. */
export function formatMagnitude(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '\u2013';
  return unsigned3(Math.abs(value));
}

/** Formats a fraction in [0, 1] as a percentage. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '\u2013';
  return percent1(value);
}

export function formatInterval(interval: readonly [number, number] | null | undefined): string {
  if (interval === null || interval === undefined) return 'no interval';
  return `[${formatScore(interval[0])}, ${formatScore(interval[1])}]`;
}

/** Formats a duration in seconds as `1 h 4 min`, `3 min 20 s` or `12 s`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'unknown';
  if (seconds < 1) return 'under 1 s';
  const rounded = Math.round(seconds);
  if (rounded < 60) return `${rounded} s`;
  const minutes = Math.floor(rounded / 60);
  if (minutes < 60) return rounded % 60 === 0 ? `${minutes} min` : `${minutes} min ${rounded % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.round(hours / 24)} days`;
}

export function formatDurationMs(durationMs: number | null | undefined): string {
  return durationMs === null || durationMs === undefined ? '\u2013' : formatSeconds(durationMs / 1000);
}

/** Formats an ISO time stamp as a local date and time, to the minute. */
export function formatDate(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '\u2013';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
