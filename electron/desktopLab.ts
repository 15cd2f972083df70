/**
 * The lab behind the window: one lab host and its handlers over the open database, swapped for a
 * new pair when the user opens another database. The host's events are forwarded while it is the
 * current one.
 */
import type { Handlers } from '../main/api/handlers.js';
import type { LabHost } from '../main/api/host.js';
import { LabError } from '../main/util/errors.js';
import type { Logger } from '../main/util/log.js';
import { labEventNames, type BridgeEventName, type BridgeEvents } from './channels.js';

export interface LabAppParts {
  host: LabHost;
  handlers: Handlers;
}

/** Creates the host and handlers over a database (`createLabApp` with the shell's launcher and settings). */
export type LabAppFactory = (dbPath: string) => LabAppParts;

export type Broadcast = <E extends BridgeEventName>(name: E, payload: BridgeEvents[E]) => void;

/**
 * Explains why a database failed to open, with the fix. The usual cause in a source checkout is
 * that better-sqlite3 was built for the Node.js that ran `npm install`, not for Electron.
 */
export function explainOpenFailure(dbPath: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  if (/NODE_MODULE_VERSION|compiled against a different Node\.js version/.test(reason)) {
    return [
      `Opening the database ${dbPath} failed because better-sqlite3 is built for another Node.js version than Electron's.`,
      'Run "npx electron-builder install-app-deps" in the Fragility Lab folder to rebuild it for Electron,',
      'and "npm rebuild better-sqlite3" to rebuild it for Node.js before using the command line or the tests again.',
      `Details: ${reason}`,
    ].join('\n');
  }
  return `Opening the database ${dbPath} failed: ${reason}`;
}

export class DesktopLab {
  private current: LabAppParts;
  private currentPath: string;
  private unsubscribe: (() => void)[] = [];
  private closed = false;

  /** Opens the first database; raises a `storage` LabError that explains the failure. */
  constructor(
    private readonly options: { createApp: LabAppFactory; dbPath: string; broadcast: Broadcast; log: Logger },
  ) {
    this.current = this.open(options.dbPath);
    this.currentPath = options.dbPath;
    this.subscribe();
    options.log.info(`opened the database ${options.dbPath}`);
  }

  get app(): LabAppParts {
    if (this.closed) throw new LabError('unsupported', 'The lab is shutting down; the call was not run');
    return this.current;
  }

  get dbPath(): string {
    return this.currentPath;
  }

  /** Names of the studies that are running, paused or being cancelled. */
  activeStudies(): string[] {
    return this.current.host
      .listStudies()
      .filter((study) => study.state !== 'idle')
      .map((study) => study.name);
  }

  private open(dbPath: string): LabAppParts {
    try {
      return this.options.createApp(dbPath);
    } catch (error) {
      throw new LabError('storage', explainOpenFailure(dbPath, error), { cause: error });
    }
  }

  private subscribe(): void {
    const { host } = this.current;
    this.unsubscribe = labEventNames.map((name) => host.on(name, (payload) => this.options.broadcast(name, payload)));
  }

  /**
   * Switches to another database. The new one is opened first, so a failure leaves the current one
   * in place. Then the running studies of the current one are cancelled and their workers stopped.
   * Returns false when the database is already the open one.
   */
  async openDatabase(dbPath: string): Promise<boolean> {
    if (this.closed) throw new LabError('unsupported', 'The lab is shutting down; no database can be opened');
    if (dbPath === this.currentPath) return false;
    const next = this.open(dbPath);
    const previous = this.current;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.current = next;
    this.currentPath = dbPath;
    this.subscribe();
    this.options.log.info(`opened the database ${dbPath}`);
    await previous.host.close();
    this.options.broadcast('studies-changed', {});
    return true;
  }

  /** Cancels every running study, waits for its workers to stop and stops forwarding events. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.unsubscribe = [];
    await this.current.host.close();
  }
}
