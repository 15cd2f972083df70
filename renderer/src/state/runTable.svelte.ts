import type { MeasureCell, RunStatus, RunSummary } from '../../../main/api/types.js';

/** A sortable column: a run field, or a measure's size-adjusted value. */
export type SortKey = { kind: 'field'; field: keyof RunSummary } | { kind: 'measure'; id: string };

export interface RunRow {
  run: RunSummary;
  measures: Record<string, MeasureCell> | undefined;
}

function sortValue(row: RunRow, key: SortKey): number | string | null {
  if (key.kind === 'measure') return row.measures?.[key.id]?.adjusted ?? null;
  const value = row.run[key.field];
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

/** Sorting and filtering of the per-run table; missing values sort last in either direction. */
export class RunTableView {
  sortKey = $state<SortKey>({ kind: 'field', field: 'condition' });
  descending = $state(false);
  text = $state('');
  status = $state<RunStatus | 'all'>('all');
  condition = $state<string>('all');

  constructor(private readonly source: () => RunRow[]) {}

  readonly rows = $derived.by(() => {
    const text = this.text.trim().toLowerCase();
    const filtered = this.source().filter(
      ({ run }) =>
        (this.status === 'all' || run.status === this.status) &&
        (this.condition === 'all' || run.condition === this.condition) &&
        (text === '' || `${run.condition} ${run.trainSize} ${run.seed} ${run.status} ${run.backend ?? ''} ${run.errorMessage ?? ''}`.toLowerCase().includes(text)),
    );
    const direction = this.descending ? -1 : 1;
    return filtered.sort((left, right) => {
      const a = sortValue(left, this.sortKey);
      const b = sortValue(right, this.sortKey);
      if (a === null && b === null) return 0;
      if (a === null) return 1;
      if (b === null) return -1;
      if (a < b) return -direction;
      if (a > b) return direction;
      return left.run.trainSize - right.run.trainSize || left.run.seed - right.run.seed;
    });
  });

  isSortedBy(key: SortKey): boolean {
    return JSON.stringify(key) === JSON.stringify(this.sortKey);
  }

  /** Sorts by a column; a second click on the same column reverses the order. */
  sortBy(key: SortKey): void {
    if (this.isSortedBy(key)) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = false;
    }
  }
}
