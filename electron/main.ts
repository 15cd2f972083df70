/**
 * Entry point of the desktop app (Electron main). It wires the parts of electron/ to Electron's
 * modules: the app:// scheme, the security guards, the lab host over the chosen database, the API
 * bridge, the menu and the one lab window. Studies train in utility processes, so this process only
 * reads the database, starts and stops workers and forwards their events.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLabApp, rendererBuildDir } from '../main/server/labApp.js';
import { createLogger, setLogSink } from '../main/util/log.js';
import { createEventBroadcaster, registerApiBridge } from './bridge.js';
import type { MenuCommand } from './channels.js';
import { eventChannel } from './channels.js';
import { createMenuActions, type CommandOptions } from './commands.js';
import { DesktopLab } from './desktopLab.js';
import { guardSession, guardWebContents } from './guards.js';
import { createUtilityProcessLauncher } from './launcher.js';
import { createFileLogSink } from './logFile.js';
import { buildMenuTemplate } from './menu.js';
import { chooseDatabase, documentationFolder, parseShellArguments, readShellState, writeShellState } from './options.js';
import { appEntryUrl, appScheme, windowPreferences } from './policy.js';
import { appSchemePrivileges, createAppProtocolHandler } from './protocol.js';

const productName = 'Fragility Lab';
const log = createLogger('electron');
const development = !app.isPackaged;
const preloadPath = join(dirname(fileURLToPath(import.meta.url)), 'preload.cjs');
const databaseFilters = [
  { name: 'Fragility Lab database', extensions: ['sqlite', 'sqlite3', 'db'] },
  { name: 'All files', extensions: ['*'] },
];

// Both must happen before the app is ready: the scheme's privileges, and one user data folder
// named after the product in development and in the packaged app alike.
protocol.registerSchemesAsPrivileged([appSchemePrivileges]);
app.setName(productName);
app.setPath('userData', join(app.getPath('appData'), productName));

const labWindows = new Set<BrowserWindow>();

function parentWindow(): BrowserWindow | undefined {
  return BrowserWindow.getFocusedWindow() ?? [...labWindows][0];
}

function createLabWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: productName,
    backgroundColor: '#ffffff',
    webPreferences: windowPreferences({ preloadPath, development }),
  });
  labWindows.add(window);
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => labWindows.delete(window));
  window.webContents.on('render-process-gone', (_event, details) => log.error(`the window's renderer process ended (${details.reason}, exit code ${details.exitCode})`));
  window.webContents.on('preload-error', (_event, path, error) => log.error(`the preload ${path} failed: ${error.message}`));
  window.loadURL(appEntryUrl).catch((error: unknown) => log.error(`loading ${appEntryUrl} failed: ${(error as Error).message}`));
  return window;
}

function sendMenuCommand(command: MenuCommand): void {
  const target = parentWindow();
  if (target !== undefined) {
    target.webContents.send(eventChannel, 'menu-command', { command });
    return;
  }
  // macOS keeps the app running without a window; open one and send the command once it loaded.
  const window = createLabWindow();
  window.webContents.once('did-finish-load', () => window.webContents.send(eventChannel, 'menu-command', { command }));
}

/** Shows a dialog attached to the lab window when one is open, else on its own. */
function withParent<Result>(show: (parent: BrowserWindow) => Promise<Result>, showAlone: () => Promise<Result>): Promise<Result> {
  const parent = parentWindow();
  return parent === undefined ? showAlone() : show(parent);
}

/** Builds the options of the menu commands from Electron's dialogs, windows and paths. */
function electronCommandOptions(lab: DesktopLab, statePath: string): CommandOptions {
  return {
    lab,
    log,
    sendMenuCommand,
    reloadWindows: () => labWindows.forEach((window) => window.webContents.reload()),
    pickDatabaseToOpen: async () => {
      const options = { title: 'Open database', defaultPath: dirname(lab.dbPath), properties: ['openFile' as const], filters: databaseFilters };
      const result = await withParent((parent) => dialog.showOpenDialog(parent, options), () => dialog.showOpenDialog(options));
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    pickDatabaseToCreate: async () => {
      const options = { title: 'New database', defaultPath: join(dirname(lab.dbPath), 'lab.sqlite'), filters: databaseFilters, properties: ['createDirectory' as const] };
      const result = await withParent((parent) => dialog.showSaveDialog(parent, options), () => dialog.showSaveDialog(options));
      if (result.canceled || result.filePath === undefined || result.filePath === '') return null;
      return result.filePath;
    },
    confirm: async ({ message, detail, confirmLabel }) => {
      const options = { type: 'warning' as const, message, detail, buttons: [confirmLabel, 'Cancel'], defaultId: 1, cancelId: 1 };
      const result = await withParent((parent) => dialog.showMessageBox(parent, options), () => dialog.showMessageBox(options));
      return result.response === 0;
    },
    showError: (title, message) => dialog.showErrorBox(title, message),
    showInfo: async (title, message, detail) => {
      const options = { type: 'info' as const, title, message, detail, buttons: ['OK'] };
      await withParent((parent) => dialog.showMessageBox(parent, options), () => dialog.showMessageBox(options));
    },
    openPath: (path) => shell.openPath(path),
    rememberDatabase: (path) => writeShellState(statePath, { lastDatabase: path }),
    exists: existsSync,
    documentationFolder: documentationFolder({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() }),
    about: { appName: productName, version: app.getVersion(), versions: { electron: process.versions.electron, chrome: process.versions.chrome, node: process.versions.node } },
  };
}

/** Writes the log to a file in the user data folder too; returns the function that closes it. */
function openLogFile(userData: string): () => Promise<void> {
  const logPath = join(userData, 'logs', 'fragility-lab.log');
  try {
    const logFile = createFileLogSink(logPath);
    setLogSink(logFile.sink);
    return logFile.close;
  } catch (error) {
    log.warn(`the log file ${logPath} cannot be written, so the log goes to stderr only: ${(error as Error).message}`);
    return async () => undefined;
  }
}

async function closeWithin(lab: DesktopLab, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolveTimeout) => {
    timer = setTimeout(() => {
      log.warn(`the lab workers did not stop within ${timeoutMs} ms; quitting anyway`);
      resolveTimeout();
    }, timeoutMs);
  });
  await Promise.race([lab.close(), timeout]);
  clearTimeout(timer);
}

/**
 * Delays quitting until the running studies are cancelled and their workers have stopped (at most
 * 10 s), so that the runs in progress are queued again for the next start instead of left running.
 */
function quitAfterClosing(lab: DesktopLab, closeLogFile: () => Promise<void>): void {
  let quitting = false;
  let readyToQuit = false;
  app.on('before-quit', (event) => {
    if (readyToQuit) return;
    event.preventDefault();
    if (quitting) return;
    quitting = true;
    log.info('quitting: stopping the lab workers');
    void closeWithin(lab, 10_000).finally(() => {
      readyToQuit = true;
      void closeLogFile().finally(() => app.quit());
    });
  });
}

/** Installs the session guards and the app scheme, opens the database, then adds the bridge, the menu and the window. */
function startWhenReady(options: { userData: string; dbPath: string; statePath: string; closeLogFile: () => Promise<void> }): void {
  guardSession(session.defaultSession, { log });
  session.defaultSession.protocol.handle(appScheme, createAppProtocolHandler({ rootDir: rendererBuildDir(), onRejected: (url, reason) => log.warn(`app request ${url} rejected: ${reason}`) }));

  const launcher = createUtilityProcessLauncher({ fork: (modulePath, args, forkOptions) => utilityProcess.fork(modulePath, args, forkOptions) });
  const broadcast = createEventBroadcaster(() => [...labWindows].map((window) => window.webContents), log);
  let lab: DesktopLab;
  try {
    lab = new DesktopLab({ createApp: (dbPath) => createLabApp({ dbPath, settingsPath: join(options.userData, 'settings.json'), launcher }), dbPath: options.dbPath, broadcast, log });
  } catch (error) {
    log.error((error as Error).message);
    dialog.showErrorBox(`${productName} did not start`, (error as Error).message);
    app.exit(1);
    return;
  }
  registerApiBridge({ ipcMain, currentApp: () => lab.app, log });

  const actions = createMenuActions(electronCommandOptions(lab, options.statePath));
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate({ appName: productName, platform: process.platform, development, actions })));

  createLabWindow();
  app.on('activate', () => {
    if (labWindows.size === 0) createLabWindow();
  });
  quitAfterClosing(lab, options.closeLogFile);
}

function startLab(): void {
  const userData = app.getPath('userData');
  const closeLogFile = openLogFile(userData);
  log.info(`starting ${productName} ${app.getVersion()} (Electron ${process.versions.electron}${development ? ', development' : ''})`);

  const statePath = join(userData, 'desktop-state.json');
  let dbArgument: string | null;
  try {
    dbArgument = parseShellArguments(process.argv.slice(1), process.cwd()).dbPath;
  } catch (error) {
    dialog.showErrorBox(`${productName} did not start`, (error as Error).message);
    app.exit(2);
    return;
  }
  const lastOpened = readShellState(statePath, (message) => log.warn(message)).lastDatabase;
  const database = chooseDatabase({ argument: dbArgument, lastOpened, userDataDir: userData });
  log.info(`using the database ${database.path} (${database.source})`);

  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, { openExternal: (url) => shell.openExternal(url), log }));
  app.on('second-instance', () => {
    log.info('a second launch was handed to this instance; its arguments are ignored');
    const window = parentWindow();
    if (window === undefined) {
      createLabWindow();
      return;
    }
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app
    .whenReady()
    .then(() => startWhenReady({ userData, dbPath: database.path, statePath, closeLogFile }))
    .catch((error: unknown) => {
      log.error(`start-up failed: ${(error as Error).stack ?? String(error)}`);
      dialog.showErrorBox(`${productName} did not start`, (error as Error).message);
      app.exit(1);
    });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// A second launch hands its focus to the first instance and ends.
if (app.requestSingleInstanceLock()) startLab();
else app.quit();
