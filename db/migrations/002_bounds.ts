import type { Migration } from './types.js';

/**
 * The marginal-likelihood bound depends on the data, the architecture and its initialisation, not
 * on the trained weights, so it is stored once per data-and-prior key and shared by every run
 * (of any condition) with that key.
 */
export const migration: Migration = {
  version: 2,
  name: 'marginal-likelihood bounds',
  sql: `
    CREATE TABLE bounds (
      key TEXT PRIMARY KEY,
      settings_json TEXT NOT NULL,
      m INTEGER NOT NULL,
      log_p REAL,
      bound REAL,
      missing_reason TEXT,
      kernel_kind TEXT,
      draws INTEGER,
      log_p_standard_error REAL,
      ep_sweeps INTEGER,
      duration_ms REAL,
      computed_at TEXT NOT NULL,
      CHECK ((bound IS NULL) = (missing_reason IS NOT NULL))
    );
  `,
};
