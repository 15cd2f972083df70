/**
 * The files of the desktop app. The database is the one named by `--db FILE`, else the database
 * opened last, else one in the user data folder. Beside it are the shell's state between sessions
 * and the documentation folder that the Help menu opens.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LabError } from '../main/util/errors.js';

export const defaultDatabaseName = 'fragility-lab.sqlite';

export interface ShellArguments {
  /** The database named with `--db FILE` or `--db=FILE`, as an absolute path; null when absent. */
  dbPath: string | null;
}

/**
 * Reads the shell's own options from the command line. Other arguments (Chromium switches, the
 * app folder that `electron .` passes) are left alone. Raises `invalid-input` when `--db` has no
 * file after it.
 */
export function parseShellArguments(argv: readonly string[], cwd: string): ShellArguments {
  let dbPath: string | null = null;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index]!;
    let value: string | undefined;
    if (argument === '--db') {
      value = argv[index + 1];
      index += 1;
    } else if (argument.startsWith('--db=')) {
      value = argument.slice('--db='.length);
    } else {
      continue;
    }
    if (value === undefined || value === '' || value.startsWith('--')) {
      throw new LabError('invalid-input', 'The --db option needs a database file after it, as in --db lab.sqlite', { field: 'db' });
    }
    dbPath = resolve(cwd, value);
  }
  return { dbPath };
}

export type DatabaseSource = 'argument' | 'last-opened' | 'default';

/** Chooses the database to open at start-up; a remembered database that no longer exists is skipped. */
export function chooseDatabase(options: {
  argument: string | null;
  lastOpened: string | null;
  userDataDir: string;
  exists?: (path: string) => boolean;
}): { path: string; source: DatabaseSource } {
  const exists = options.exists ?? existsSync;
  if (options.argument !== null) return { path: options.argument, source: 'argument' };
  if (options.lastOpened !== null && exists(options.lastOpened)) return { path: options.lastOpened, source: 'last-opened' };
  return { path: join(options.userDataDir, defaultDatabaseName), source: 'default' };
}

/** The state the shell keeps between sessions. */
export interface ShellState {
  /** The database chosen last with "Open database..." or "New database...". */
  lastDatabase: string | null;
}

/** Reads the shell state; a missing or unreadable file gives the empty state and, if unreadable, a warning. */
export function readShellState(path: string, warn: (message: string) => void): ShellState {
  if (!existsSync(path)) return { lastDatabase: null };
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { lastDatabase?: unknown };
    return { lastDatabase: typeof parsed.lastDatabase === 'string' && parsed.lastDatabase !== '' ? parsed.lastDatabase : null };
  } catch (error) {
    warn(`ignoring the unreadable shell state file ${path}: ${(error as Error).message}`);
    return { lastDatabase: null };
  }
}

export function writeShellState(path: string, state: ShellState): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Returns the folder that Help > Documentation folder opens: resources/docs in a packaged app, where
 * electron-builder copies README.md and the example studies, or the repository in a checkout.
 */
export function documentationFolder(options: { isPackaged: boolean; resourcesPath: string; appPath: string }): string {
  return options.isPackaged ? join(options.resourcesPath, 'docs') : options.appPath;
}
