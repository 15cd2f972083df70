/**
 * The commands of the menu items. "New study" and "Export report..." open views of the renderer,
 * so they are sent to the window as a `menu-command` event. The database commands, About and the
 * documentation folder run here. Dialogs and the window are passed in, so tests drive the commands
 * with fakes.
 */
import type { Logger } from '../main/util/log.js';
import type { MenuCommand } from './channels.js';
import type { DesktopLab } from './desktopLab.js';
import type { MenuActions } from './menu.js';

export interface CommandOptions {
  lab: Pick<DesktopLab, 'dbPath' | 'activeStudies' | 'openDatabase'>;
  log: Logger;
  /** Sends a menu command to the focused lab window, or the only one. */
  sendMenuCommand(command: MenuCommand): void;
  /** Reloads every lab window, so that the page reads the newly opened database. */
  reloadWindows(): void;
  /** Asks for an existing database file; null when the user cancels. */
  pickDatabaseToOpen(): Promise<string | null>;
  /** Asks for the file of a new database; null when the user cancels. */
  pickDatabaseToCreate(): Promise<string | null>;
  /** Asks the user to confirm; resolves true when they choose `confirmLabel`. */
  confirm(question: { message: string; detail: string; confirmLabel: string }): Promise<boolean>;
  showError(title: string, message: string): void;
  showInfo(title: string, message: string, detail: string): Promise<void>;
  /** Opens a folder in the file manager; resolves with an error message, empty on success (`shell.openPath`). */
  openPath(path: string): Promise<string>;
  /** Stores the database path so that the next start opens it again. */
  rememberDatabase(path: string): void;
  exists(path: string): boolean;
  documentationFolder: string;
  about: { appName: string; version: string; versions: { electron: string; chrome: string; node: string } };
}

/**
 * Opens another database after the user confirms that its running studies stop. Resolves true when
 * the database was switched.
 */
export async function switchDatabase(options: CommandOptions, dbPath: string): Promise<boolean> {
  const { lab, log } = options;
  if (dbPath === lab.dbPath) return false;

  const active = lab.activeStudies();
  if (active.length > 0) {
    const confirmed = await options.confirm({
      message: 'Stop the running studies and open another database?',
      detail: `${active.length === 1 ? 'Study' : 'Studies'} ${active.join(', ')} ${active.length === 1 ? 'is' : 'are'} running. Each resumes where it stopped when you start it again.`,
      confirmLabel: 'Stop and open',
    });
    if (!confirmed) return false;
  }

  try {
    if (!(await lab.openDatabase(dbPath))) return false;
  } catch (error) {
    log.error(`opening the database ${dbPath} failed: ${(error as Error).message}`);
    options.showError('The database was not opened', (error as Error).message);
    return false;
  }
  options.rememberDatabase(dbPath);
  options.reloadWindows();
  return true;
}

/**
 * Runs a menu command and logs the error it fails with, since a menu click has no caller to tell.
 * The promise never rejects; tests await it.
 */
async function runCommand(log: Logger, name: string, command: () => Promise<unknown>): Promise<void> {
  try {
    await command();
  } catch (error) {
    log.error(`the menu command "${name}" failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/** The menu's actions; each returns a promise that settles when the command is done. */
export type CompletingMenuActions = { [Name in keyof MenuActions]: () => Promise<void> };

export function createMenuActions(options: CommandOptions): CompletingMenuActions {
  const { log } = options;
  return {
    newStudy: async () => options.sendMenuCommand('new-study'),
    exportReport: async () => options.sendMenuCommand('export-report'),

    openDatabase: () =>
      runCommand(log, 'Open database', async () => {
        const path = await options.pickDatabaseToOpen();
        if (path !== null) await switchDatabase(options, path);
      }),

    newDatabase: () =>
      runCommand(log, 'New database', async () => {
        const path = await options.pickDatabaseToCreate();
        if (path === null) return;
        if (options.exists(path)) {
          options.showError('The database was not created', `${path} exists already; open it with File > Open database..., or choose a new file name`);
          return;
        }
        await switchDatabase(options, path);
      }),

    showAbout: () =>
      runCommand(log, 'About', async () => {
        const { appName, version, versions } = options.about;
        const detail = [
          'Audits generalization measures of deep networks for fragility, offline.',
          '',
          `Database: ${options.lab.dbPath}`,
          `Electron ${versions.electron}, Chromium ${versions.chrome}, Node.js ${versions.node}`,
        ].join('\n');
        await options.showInfo(`About ${appName}`, `${appName} ${version}`, detail);
      }),

    openDocumentation: () =>
      runCommand(log, 'Documentation folder', async () => {
        const failure = await options.openPath(options.documentationFolder);
        if (failure !== '') {
          log.warn(`opening the documentation folder ${options.documentationFolder} failed: ${failure}`);
          options.showError('The documentation folder was not opened', `Opening ${options.documentationFolder} failed: ${failure}`);
        }
      }),
  };
}
