/**
 * The application menu, as a template for `Menu.buildFromTemplate`. Reload and the developer tools
 * are in the View menu only in development, because a reload drops the page's state and the
 * developer tools give full access to the page.
 */
import type { MenuItemConstructorOptions } from 'electron';

/** The actions of the menu items, implemented in `commands.ts`. */
export interface MenuActions {
  newStudy(): void;
  newDatabase(): void;
  openDatabase(): void;
  exportReport(): void;
  showAbout(): void;
  openDocumentation(): void;
}

export interface MenuOptions {
  appName: string;
  platform: NodeJS.Platform;
  development: boolean;
  actions: MenuActions;
}

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const { actions, appName } = options;
  const isMac = options.platform === 'darwin';
  const about: MenuItemConstructorOptions = { id: 'about', label: `About ${appName}`, click: () => actions.showAbout() };

  const appMenu: MenuItemConstructorOptions = {
    label: appName,
    submenu: [about, { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
  };

  const fileMenu: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { id: 'new-study', label: 'New study', accelerator: 'CmdOrCtrl+N', click: () => actions.newStudy() },
      { type: 'separator' },
      { id: 'new-database', label: 'New database...', click: () => actions.newDatabase() },
      { id: 'open-database', label: 'Open database...', accelerator: 'CmdOrCtrl+O', click: () => actions.openDatabase() },
      { type: 'separator' },
      { id: 'export-report', label: 'Export report...', accelerator: 'CmdOrCtrl+E', click: () => actions.exportReport() },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };

  const editMenu: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'delete' }, { type: 'separator' }, { role: 'selectAll' }],
  };

  const developmentItems: MenuItemConstructorOptions[] = options.development
    ? [{ id: 'reload', role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }]
    : [];
  const viewMenu: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [...developmentItems, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
  };

  const helpMenu: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [
      { id: 'documentation', label: 'Documentation folder', click: () => actions.openDocumentation() },
      ...(isMac ? [] : [{ type: 'separator' } as const, about]),
    ],
  };

  return isMac ? [appMenu, fileMenu, editMenu, viewMenu, { role: 'windowMenu' }, helpMenu] : [fileMenu, editMenu, viewMenu, helpMenu];
}
