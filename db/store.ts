/**
 * The lab's SQLite store (better-sqlite3, WAL mode). Every finished run is written in one
 * transaction, so a process killed at any point leaves either the whole run or none of it.
 *
 * Opening is careful with what is already on disk: a file that is not SQLite, is corrupt, belongs
 * to another application, is read-only or has a schema newer than this version raises a clear
 * error and is never written to.
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LabError } from '../main/util/errors.js';
import { faultPoint } from '../main/util/faults.js';
import { createLogger } from '../main/util/log.js';
import { latestSchemaVersion, migrations } from './migrations/index.js';

/** PRAGMA application_id of Fragility Lab databases ("FLab" in ASCII). */
export const applicationId = 0x464c6162;
const sqliteHeader = 'SQLite format 3\u0000';
const busyTimeoutMs = 15_000;

const log = createLogger('store');

export type RunStatus = 'pending' | 'running' | 'fit' | 'did_not_fit' | 'diverged' | 'failed' | 'interrupted';
export type ConditionKind = 'baseline' | 'hyperparameter' | 'data';

/** Statuses of runs that are finished and are never trained again. */
export const finishedStatuses: readonly RunStatus[] = ['fit', 'did_not_fit', 'diverged'];

export interface StudyRecord {
  id: string;
  name: string;
  specJson: string;
  specHash: string;
  createdAt: string;
  updatedAt: string;
}

export interface PlannedRun {
  runId: string;
  settingsJson: string;
  condition: string;
  kind: ConditionKind;
  trainSize: number;
  seed: number;
}

export interface RunRecord {
  id: string;
  settingsJson: string;
  status: RunStatus;
  claimedBy: string | null;
  attempts: number;
  backend: string | null;
  device: string | null;
  versionsJson: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  epochs: number | null;
  divergedEpoch: number | null;
  trainLoss: number | null;
  trainError: number | null;
  testLoss: number | null;
  testError: number | null;
  noisyLabelCount: number | null;
  errorMessage: string | null;
}

export interface StudyRunRecord extends RunRecord {
  condition: string;
  kind: ConditionKind;
  trainSize: number;
  seed: number;
  position: number;
}

export interface MeasureRecord {
  measureId: string;
  raw: number | null;
  adjusted: number | null;
  missingReason: string | null;
  details: Record<string, unknown> | null;
}

export interface EpochRow {
  epoch: number;
  trainLoss: number | null;
  trainAccuracy: number | null;
  durationMs: number;
}

export interface BoundRecord {
  key: string;
  m: number;
  logP: number | null;
  bound: number | null;
  missingReason: string | null;
  kernelKind: string | null;
  draws: number | null;
  logPStandardError: number | null;
  epSweeps: number | null;
  durationMs: number | null;
}

export interface RunResult {
  status: 'fit' | 'did_not_fit' | 'diverged';
  backend: string;
  device: string;
  versions: Record<string, string>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  epochs: number;
  divergedEpoch: number | null;
  trainLoss: number | null;
  trainError: number | null;
  testLoss: number | null;
  testError: number | null;
  noisyLabelCount: number;
  curve: EpochRow[];
  optionsKey: string;
  measures: MeasureRecord[];
  /** The trained network (absent for diverged runs, whose weights are not finite). */
  weights?: { modelJson: string; weightData: Uint8Array };
}

/** Converts a SQL value that may be non-finite into something SQLite stores faithfully (NULL). */
function finiteOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

function now(): string {
  return new Date().toISOString();
}

function checkExistingFile(path: string, readonly: boolean): void {
  if (!existsSync(path)) {
    if (readonly) throw new LabError('not-found', `Database ${path} does not exist; run a study first or pass the right --db`);
    return;
  }
  if (statSync(path).isDirectory()) throw new LabError('storage', `${path} is a folder, not a database file; pass a file path with --db`);
  if (statSync(path).size > 0) {
    const header = Buffer.alloc(16);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, header, 0, 16, 0);
    } finally {
      closeSync(fd);
    }
    if (header.toString('latin1') !== sqliteHeader) {
      throw new LabError('storage', `${path} is not a SQLite database; it was left untouched. Pass another path with --db`);
    }
  }
  if (!readonly) {
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new LabError('storage', `Database ${path} is read-only; make it writable (chmod u+w) or copy it to a writable place`);
    }
  }
}

/** Wraps an SQLite error in a LabError that names the database and the likely fix. */
function storageError(path: string, action: string, error: unknown): LabError {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (code === 'SQLITE_FULL') return new LabError('resource', `The disk is full: ${action} in ${path} failed and nothing of it was written. Free disk space and run again`, { cause: error });
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new LabError('storage', `Database ${path} is corrupt (${message}); it was left untouched. Restore a backup or pass another --db`, { cause: error });
  }
  if (code === 'SQLITE_READONLY') return new LabError('storage', `Database ${path} is read-only; ${action} failed. Make it writable or pass another --db`, { cause: error });
  if (code === 'SQLITE_BUSY') return new LabError('storage', `Database ${path} stayed locked by another process for ${busyTimeoutMs / 1000} s; ${action} failed. Try again`, { cause: error });
  return new LabError('storage', `${action} in ${path} failed: ${message}`, { cause: error });
}

export interface OpenOptions {
  /** Open for reading only: no migration, no writes. */
  readonly?: boolean;
}

export class Store {
  readonly path: string;
  private readonly db: Database.Database;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  /** Opens (and creates or migrates, unless read-only) the database at `path`. */
  static open(path: string, options: OpenOptions = {}): Store {
    const readonly = options.readonly ?? false;
    checkExistingFile(path, readonly);
    let db: Database.Database;
    try {
      // FRAGILITY_LAB_SQLITE_BINDING points at a better-sqlite3 build for another runtime (the
      // desktop app run from a source checkout needs one built for Electron's Node ABI).
      const nativeBinding = process.env.FRAGILITY_LAB_SQLITE_BINDING;
      db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs, ...(nativeBinding ? { nativeBinding } : {}) });
    } catch (error) {
      throw storageError(path, 'opening the database', error);
    }
    const store = new Store(path, db);
    try {
      store.configure(readonly);
    } catch (error) {
      db.close();
      throw error instanceof LabError ? error : storageError(path, 'opening the database', error);
    }
    return store;
  }

  private configure(readonly: boolean): void {
    const userVersion = this.db.pragma('user_version', { simple: true }) as number;
    const appId = this.db.pragma('application_id', { simple: true }) as number;
    const tableCount = (this.db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number }).n;

    if (tableCount > 0 && appId !== applicationId) {
      throw new LabError('storage', `${this.path} is a SQLite database of another application; it was left untouched. Pass another path with --db`);
    }
    if (userVersion > latestSchemaVersion) {
      throw new LabError(
        'storage',
        `${this.path} has schema version ${userVersion}, newer than the ${latestSchemaVersion} this version of Fragility Lab knows; it was left untouched. Update Fragility Lab to open it`,
      );
    }
    this.db.pragma('foreign_keys = ON');
    if (readonly) {
      if (userVersion < latestSchemaVersion) {
        throw new LabError('storage', `${this.path} has schema version ${userVersion}; open it once for writing (for example with "fragility-lab run") to upgrade it to ${latestSchemaVersion}`);
      }
      return;
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    if (tableCount === 0) this.db.pragma(`application_id = ${applicationId}`);
    this.migrate(userVersion);
  }

  private migrate(fromVersion: number): void {
    for (const migration of migrations.slice(fromVersion)) {
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db.pragma(`user_version = ${migration.version}`);
      }).immediate();
      log.info(`migrated ${this.path} to schema version ${migration.version} (${migration.name})`);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in an IMMEDIATE transaction and turns SQLite errors into LabErrors naming `action`. */
  private write<T>(action: string, fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      if (error instanceof LabError) throw error;
      throw storageError(this.path, action, error);
    }
  }

  private read<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw storageError(this.path, action, error);
    }
  }

  /** `PRAGMA integrity_check`: 'ok' or the problems found. */
  integrityCheck(): string {
    return this.read('checking integrity', () => (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; '));
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  // Studies

  /** Creates the study or replaces its spec, and links its planned runs (existing runs are kept). */
  saveStudy(study: { id: string; name: string; specJson: string; specHash: string }, planned: readonly PlannedRun[]): { created: boolean; newRuns: number } {
    return this.write(`saving study ${study.id}`, () => {
      const existing = this.db.prepare('SELECT id FROM studies WHERE id = ?').get(study.id);
      const time = now();
      if (existing === undefined) {
        this.db.prepare('INSERT INTO studies (id, name, spec_json, spec_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(study.id, study.name, study.specJson, study.specHash, time, time);
      } else {
        this.db.prepare('UPDATE studies SET name = ?, spec_json = ?, spec_hash = ?, updated_at = ? WHERE id = ?').run(study.name, study.specJson, study.specHash, time, study.id);
      }
      this.db.prepare('DELETE FROM study_runs WHERE study_id = ?').run(study.id);
      const insertRun = this.db.prepare(`INSERT OR IGNORE INTO runs (id, settings_json, status) VALUES (?, ?, 'pending')`);
      const link = this.db.prepare('INSERT INTO study_runs (study_id, run_id, condition, kind, train_size, seed, position) VALUES (?, ?, ?, ?, ?, ?, ?)');
      let newRuns = 0;
      planned.forEach((run, position) => {
        newRuns += insertRun.run(run.runId, run.settingsJson).changes;
        link.run(study.id, run.runId, run.condition, run.kind, run.trainSize, run.seed, position);
      });
      return { created: existing === undefined, newRuns };
    });
  }

  getStudy(id: string): StudyRecord | undefined {
    return this.read(`reading study ${id}`, () =>
      this.db.prepare('SELECT id, name, spec_json AS specJson, spec_hash AS specHash, created_at AS createdAt, updated_at AS updatedAt FROM studies WHERE id = ?').get(id) as StudyRecord | undefined,
    );
  }

  listStudies(): StudyRecord[] {
    return this.read('listing studies', () =>
      this.db.prepare('SELECT id, name, spec_json AS specJson, spec_hash AS specHash, created_at AS createdAt, updated_at AS updatedAt FROM studies ORDER BY created_at').all() as StudyRecord[],
    );
  }

  /** Deletes a study and the runs no other study uses. */
  deleteStudy(id: string): void {
    this.write(`deleting study ${id}`, () => {
      this.db.prepare('DELETE FROM studies WHERE id = ?').run(id);
      this.db.prepare('DELETE FROM runs WHERE id NOT IN (SELECT run_id FROM study_runs)').run();
    });
  }

  // Runs

  /** The runs of a study in plan order, with their results. */
  studyRuns(studyId: string): StudyRunRecord[] {
    return this.read(`reading the runs of study ${studyId}`, () =>
      this.db
        .prepare(
          `SELECT r.id, r.settings_json AS settingsJson, r.status, r.claimed_by AS claimedBy, r.attempts, r.backend, r.device,
                  r.versions_json AS versionsJson, r.started_at AS startedAt, r.finished_at AS finishedAt, r.duration_ms AS durationMs,
                  r.epochs, r.diverged_epoch AS divergedEpoch, r.train_loss AS trainLoss, r.train_error AS trainError,
                  r.test_loss AS testLoss, r.test_error AS testError, r.noisy_label_count AS noisyLabelCount, r.error_message AS errorMessage,
                  s.condition, s.kind, s.train_size AS trainSize, s.seed, s.position
             FROM study_runs s JOIN runs r ON r.id = s.run_id
            WHERE s.study_id = ?
            ORDER BY s.position`,
        )
        .all(studyId) as StudyRunRecord[],
    );
  }

  /** The studies a run belongs to, with its condition, size and seed in each. */
  runLinks(runId: string): { studyId: string; condition: string; kind: ConditionKind; trainSize: number; seed: number }[] {
    return this.read(`reading the studies of run ${runId}`, () =>
      this.db
        .prepare('SELECT study_id AS studyId, condition, kind, train_size AS trainSize, seed FROM study_runs WHERE run_id = ? ORDER BY study_id')
        .all(runId) as { studyId: string; condition: string; kind: ConditionKind; trainSize: number; seed: number }[],
    );
  }

  getRun(runId: string): RunRecord | undefined {
    return this.read(`reading run ${runId}`, () =>
      this.db
        .prepare(
          `SELECT id, settings_json AS settingsJson, status, claimed_by AS claimedBy, attempts, backend, device, versions_json AS versionsJson,
                  started_at AS startedAt, finished_at AS finishedAt, duration_ms AS durationMs, epochs, diverged_epoch AS divergedEpoch,
                  train_loss AS trainLoss, train_error AS trainError, test_loss AS testLoss, test_error AS testError,
                  noisy_label_count AS noisyLabelCount, error_message AS errorMessage
             FROM runs WHERE id = ?`,
        )
        .get(runId) as RunRecord | undefined,
    );
  }

  /**
   * Claims the next run of the study that still needs training, atomically, so that two runners on
   * one database never train the same run. Returns undefined when nothing is left to claim.
   * The largest training sets go first: they take longest, and starting them early keeps the
   * last minutes of a study from running on one worker while the others wait.
   */
  claimNextRun(studyId: string, claimant: string, skip: ReadonlySet<string> = new Set()): StudyRunRecord | undefined {
    return this.write(`claiming a run of study ${studyId}`, () => {
      const candidates = this.db
        .prepare(
          `SELECT r.id FROM study_runs s JOIN runs r ON r.id = s.run_id
            WHERE s.study_id = ? AND r.status IN ('pending', 'interrupted')
            ORDER BY s.train_size DESC, s.position`,
        )
        .all(studyId) as { id: string }[];
      const next = candidates.find((candidate) => !skip.has(candidate.id));
      if (next === undefined) return undefined;
      this.db.prepare(`UPDATE runs SET status = 'running', claimed_by = ?, claimed_at = ?, attempts = attempts + 1 WHERE id = ?`).run(claimant, now(), next.id);
      return this.studyRuns(studyId).find((run) => run.id === next.id);
    });
  }

  /** Puts back runs left `running` by claimants that are gone; returns how many were released. */
  releaseAbandonedClaims(isAlive: (claimant: string) => boolean): number {
    return this.write('releasing abandoned runs', () => {
      const running = this.db.prepare(`SELECT id, claimed_by AS claimedBy FROM runs WHERE status = 'running'`).all() as { id: string; claimedBy: string | null }[];
      const release = this.db.prepare(
        `UPDATE runs SET status = 'interrupted', error_message = 'interrupted: the process training it stopped before it finished', claimed_by = NULL WHERE id = ? AND status = 'running'`,
      );
      let released = 0;
      for (const run of running) {
        if (run.claimedBy === null || !isAlive(run.claimedBy)) released += release.run(run.id).changes;
      }
      return released;
    });
  }

  /** Marks a claimed run as interrupted or failed, with the reason; a finished run is left alone. */
  markRun(runId: string, status: 'interrupted' | 'failed' | 'pending', reason: string | null): void {
    this.write(`marking run ${runId} ${status}`, () => {
      this.db.prepare(`UPDATE runs SET status = ?, error_message = ?, claimed_by = NULL WHERE id = ? AND status IN ('running', 'pending', 'interrupted', 'failed')`).run(status, reason, runId);
    });
  }

  /** Puts failed runs of a study back in the queue (their error messages stay until they run). */
  requeueFailedRuns(studyId: string): number {
    return this.write(`requeueing failed runs of study ${studyId}`, () =>
      this.db.prepare(`UPDATE runs SET status = 'pending' WHERE status = 'failed' AND id IN (SELECT run_id FROM study_runs WHERE study_id = ?)`).run(studyId).changes,
    );
  }

  /**
   * Stores a finished run in one transaction: results, curve, measures and weights. The write
   * happens only while `claimant` still holds the run; returns false when it no longer does.
   */
  saveRunResult(runId: string, claimant: string, result: RunResult): boolean {
    return this.write(`saving run ${runId}`, () => {
      const updated = this.db
        .prepare(
          `UPDATE runs SET status = ?, claimed_by = NULL, backend = ?, device = ?, versions_json = ?, started_at = ?, finished_at = ?, duration_ms = ?,
                  epochs = ?, diverged_epoch = ?, train_loss = ?, train_error = ?, test_loss = ?, test_error = ?, noisy_label_count = ?, error_message = NULL
            WHERE id = ? AND status = 'running' AND claimed_by = ?`,
        )
        .run(
          result.status,
          result.backend,
          result.device,
          JSON.stringify(result.versions),
          result.startedAt,
          result.finishedAt,
          result.durationMs,
          result.epochs,
          result.divergedEpoch,
          finiteOrNull(result.trainLoss),
          finiteOrNull(result.trainError),
          finiteOrNull(result.testLoss),
          finiteOrNull(result.testError),
          result.noisyLabelCount,
          runId,
          claimant,
        );
      if (updated.changes === 0) return false;
      faultPoint('store-write');

      this.db.prepare('DELETE FROM epochs WHERE run_id = ?').run(runId);
      const insertEpoch = this.db.prepare('INSERT INTO epochs (run_id, epoch, train_loss, train_accuracy, duration_ms) VALUES (?, ?, ?, ?, ?)');
      for (const row of result.curve) insertEpoch.run(runId, row.epoch, finiteOrNull(row.trainLoss), finiteOrNull(row.trainAccuracy), row.durationMs);

      this.insertMeasures(runId, result.optionsKey, result.measures);
      if (result.weights !== undefined) {
        this.db.prepare('INSERT OR REPLACE INTO weights (run_id, model_json, final_weights) VALUES (?, ?, ?)').run(runId, result.weights.modelJson, Buffer.from(result.weights.weightData));
      }
      return true;
    });
  }

  private insertMeasures(runId: string, optionsKey: string, measures: readonly MeasureRecord[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO measure_values (run_id, measure_id, options_key, raw, adjusted, missing_reason, details_json, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const time = now();
    for (const measure of measures) {
      const raw = finiteOrNull(measure.raw);
      const adjusted = finiteOrNull(measure.adjusted);
      // A value that is not a finite number is stored as missing, never as NaN or Infinity.
      const reason = raw === null || adjusted === null ? (measure.missingReason ?? `the computed value was not finite (raw ${measure.raw}, adjusted ${measure.adjusted})`) : null;
      insert.run(runId, measure.measureId, optionsKey, reason === null ? raw : null, reason === null ? adjusted : null, reason, measure.details === null ? null : JSON.stringify(measure.details), time);
    }
  }

  /** Adds or replaces measure values of a finished run (re-measuring from stored weights). */
  saveMeasures(runId: string, optionsKey: string, measures: readonly MeasureRecord[]): void {
    this.write(`saving measures of run ${runId}`, () => this.insertMeasures(runId, optionsKey, measures));
  }

  /** Measure values of the given runs under one options key: runId -> measureId -> record. */
  measuresFor(runIds: readonly string[], optionsKey: string): Map<string, Map<string, MeasureRecord>> {
    return this.read('reading measure values', () => {
      const result = new Map<string, Map<string, MeasureRecord>>();
      const select = this.db.prepare(
        `SELECT measure_id AS measureId, raw, adjusted, missing_reason AS missingReason, details_json AS detailsJson FROM measure_values WHERE run_id = ? AND options_key = ?`,
      );
      for (const runId of runIds) {
        const rows = select.all(runId, optionsKey) as { measureId: string; raw: number | null; adjusted: number | null; missingReason: string | null; detailsJson: string | null }[];
        result.set(
          runId,
          new Map(rows.map((row) => [row.measureId, { measureId: row.measureId, raw: row.raw, adjusted: row.adjusted, missingReason: row.missingReason, details: row.detailsJson === null ? null : (JSON.parse(row.detailsJson) as Record<string, unknown>) }])),
        );
      }
      return result;
    });
  }

  // Marginal-likelihood bounds

  getBound(key: string): BoundRecord | undefined {
    return this.read('reading a marginal-likelihood bound', () =>
      this.db
        .prepare(
          `SELECT key, m, log_p AS logP, bound, missing_reason AS missingReason, kernel_kind AS kernelKind, draws,
                  log_p_standard_error AS logPStandardError, ep_sweeps AS epSweeps, duration_ms AS durationMs
             FROM bounds WHERE key = ?`,
        )
        .get(key) as BoundRecord | undefined,
    );
  }

  /** Stores a bound unless one with the same key exists (two workers may compute it at once). */
  saveBound(record: BoundRecord, settingsJson: string): void {
    this.write('saving a marginal-likelihood bound', () => {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO bounds (key, settings_json, m, log_p, bound, missing_reason, kernel_kind, draws, log_p_standard_error, ep_sweeps, duration_ms, computed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(record.key, settingsJson, record.m, finiteOrNull(record.logP), finiteOrNull(record.bound), record.missingReason, record.kernelKind, record.draws, finiteOrNull(record.logPStandardError), record.epSweeps, record.durationMs, now());
    });
  }

  curve(runId: string): EpochRow[] {
    return this.read(`reading the curve of run ${runId}`, () =>
      this.db.prepare('SELECT epoch, train_loss AS trainLoss, train_accuracy AS trainAccuracy, duration_ms AS durationMs FROM epochs WHERE run_id = ? ORDER BY epoch').all(runId) as EpochRow[],
    );
  }

  weights(runId: string): { modelJson: string; weightData: Uint8Array } | undefined {
    return this.read(`reading the weights of run ${runId}`, () => {
      const row = this.db.prepare('SELECT model_json AS modelJson, final_weights AS weightData FROM weights WHERE run_id = ?').get(runId) as { modelJson: string; weightData: Buffer } | undefined;
      return row === undefined ? undefined : { modelJson: row.modelJson, weightData: new Uint8Array(row.weightData) };
    });
  }
}
