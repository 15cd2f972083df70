/**
 * Building blocks of the HTML report: escaping, numbers with the typographic minus sign,
 * numbered notes for missing values, and tables that a wide study splits into several.
 */
import type { Interval } from '../analysis/index.js';
import { fixed, formatValue } from './numbers.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Replaces ASCII minus signs of a formatted number with the typographic one (U+2212). */
function minus(text: string): string {
  return text.replace(/-/g, '\u2212');
}

/** The mark shown in place of a missing number. */
export const missingMark = '<span class="missing">n/a</span>';

/** Formats a score such as CMS or an exponent with three decimals, or returns the missing mark. */
export function htmlScore(value: number | null, digits = 3): string {
  return value === null ? missingMark : `<span class="num">${minus(fixed(value, digits))}</span>`;
}

export function htmlInterval(interval: Interval | null, digits = 3): string {
  if (interval === null) return '';
  return `<span class="ci">[${minus(fixed(interval[0], digits))}, ${minus(fixed(interval[1], digits))}]</span>`;
}

/** Formats a measured value of any magnitude with four significant digits, or returns the missing mark. */
export function htmlValue(value: number | null): string {
  return value === null ? missingMark : `<span class="num">${minus(formatValue(value))}</span>`;
}

/** Writes a measure or setting id in code type. */
export function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

/**
 * Numbered notes under a table: each distinct text gets one number, and every cell that needs it
 * links to it, so that a reason shared by fifty runs is printed once.
 */
export class NoteList {
  private readonly numbers = new Map<string, number>();

  constructor(private readonly scope: string) {}

  /** Returns the reference mark of a note, adding the note when its text is new. */
  reference(text: string): string {
    let number = this.numbers.get(text);
    if (number === undefined) {
      number = this.numbers.size + 1;
      this.numbers.set(text, number);
    }
    return `<sup class="note-ref"><a href="#note-${this.scope}-${number}" title="${escapeHtml(text)}">${number}</a></sup>`;
  }

  render(): string {
    if (this.numbers.size === 0) return '';
    const items = [...this.numbers].map(([text, number]) => `<li id="note-${this.scope}-${number}" value="${number}">${escapeHtml(text)}</li>`);
    return `<ol class="notes">${items.join('')}</ol>`;
  }
}

export interface HtmlColumn<Row> {
  /** Header cell content, already HTML. */
  header: string;
  cell: (row: Row) => string;
  /** `num` right-aligns the column. */
  className?: string;
}

/** Renders a table inside a wrapper that scrolls on narrow screens. */
export function htmlTable<Row>(rows: readonly Row[], columns: readonly HtmlColumn<Row>[], options: { caption?: string; className?: string } = {}): string {
  const classAttribute = (name: string | undefined) => (name === undefined ? '' : ` class="${name}"`);
  const head = columns.map((column) => `<th scope="col"${classAttribute(column.className)}>${column.header}</th>`).join('');
  const body = rows.map((row) => `<tr>${columns.map((column) => `<td${classAttribute(column.className)}>${column.cell(row)}</td>`).join('')}</tr>`).join('\n');
  const caption = options.caption === undefined ? '' : `<caption>${options.caption}</caption>`;
  return `<div class="table-wrap"><table${classAttribute(options.className)}>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** Splits a list into chunks of at most `size` items, so that a table fits an A4 page. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
