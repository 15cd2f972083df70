/** One schema change. Migrations are numbered from 1, append-only, one per file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
