import type { Migration } from './types.js';

/**
 * Studies, runs and their results. A run's id is the SHA-256 of every setting that changes its
 * result, so one run can belong to several studies (through study_runs) and is trained once.
 */
export const migration: Migration = {
  version: 1,
  name: 'initial schema',
  sql: `
    CREATE TABLE studies (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      spec_hash TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );

    CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      settings_json TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'fit', 'did_not_fit', 'diverged', 'failed', 'interrupted')),
      claimed_by TEXT,
      claimed_at TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      backend TEXT,
      device TEXT,
      versions_json TEXT,
      started_at TEXT,
      finished_at TEXT,
      duration_ms REAL,
      epochs INTEGER,
      diverged_epoch INTEGER,
      train_loss REAL,
      train_error REAL,
      test_loss REAL,
      test_error REAL,
      noisy_label_count INTEGER,
      error_message TEXT
    );
    CREATE INDEX runs_by_status ON runs (status);

    CREATE TABLE study_runs (
      study_id TEXT NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
      run_id TEXT NOT NULL REFERENCES runs (id),
      condition TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('baseline', 'hyperparameter', 'data')),
      train_size INTEGER NOT NULL,
      seed INTEGER NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (study_id, condition, train_size, seed)
    );
    CREATE INDEX study_runs_by_run ON study_runs (run_id);

    CREATE TABLE epochs (
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      train_loss REAL,
      train_accuracy REAL,
      duration_ms REAL NOT NULL,
      PRIMARY KEY (run_id, epoch)
    );

    CREATE TABLE measure_values (
      run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      measure_id TEXT NOT NULL,
      options_key TEXT NOT NULL,
      raw REAL,
      adjusted REAL,
      missing_reason TEXT,
      details_json TEXT,
      computed_at TEXT NOT NULL,
      PRIMARY KEY (run_id, measure_id, options_key),
      CHECK ((raw IS NULL AND adjusted IS NULL) = (missing_reason IS NOT NULL))
    );

    CREATE TABLE weights (
      run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
      model_json TEXT NOT NULL,
      final_weights BLOB NOT NULL
    );
  `,
};
