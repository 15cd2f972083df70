import type { ApiCallError } from '../lib/api.js';

/** An error shown in the app-wide banner: one that no single control owns. */
export interface Notice {
  id: number;
  /** The work that failed, e.g. "Refreshing the study list". */
  context: string;
  message: string;
}

/** Errors of background work (event stream, refreshes) that the banner at the top shows. */
export class Notices {
  items = $state<Notice[]>([]);
  private nextId = 1;

  report(context: string, error: ApiCallError | Error): void {
    // A repeated failure (a refresh failing every few seconds) replaces its earlier notice.
    this.items = [...this.items.filter((item) => item.context !== context), { id: this.nextId++, context, message: error.message }];
  }

  dismiss(id: number): void {
    this.items = this.items.filter((item) => item.id !== id);
  }

  clear(context: string): void {
    if (this.items.some((item) => item.context === context)) this.items = this.items.filter((item) => item.context !== context);
  }
}
