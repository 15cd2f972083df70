import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { buildMenuTemplate, type MenuActions } from '../../electron/menu.js';

function recordingActions(): { actions: MenuActions; called: string[] } {
  const called: string[] = [];
  const record = (name: string) => () => {
    called.push(name);
  };
  return {
    called,
    actions: {
      newStudy: record('newStudy'),
      newDatabase: record('newDatabase'),
      openDatabase: record('openDatabase'),
      exportReport: record('exportReport'),
      showAbout: record('showAbout'),
      openDocumentation: record('openDocumentation'),
    },
  };
}

function submenu(item: MenuItemConstructorOptions | undefined): MenuItemConstructorOptions[] {
  assert.ok(item !== undefined, 'menu not found');
  assert.ok(Array.isArray(item.submenu), `${item.label ?? item.role} has no submenu`);
  return item.submenu as MenuItemConstructorOptions[];
}

function findMenu(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions | undefined {
  return template.find((item) => item.label === label || (label === 'Help' && item.role === 'help'));
}

function allItems(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? allItems(item.submenu as MenuItemConstructorOptions[]) : [])]);
}

function click(item: MenuItemConstructorOptions | undefined): void {
  assert.ok(item?.click !== undefined, `${item?.label ?? 'item'} has no click handler`);
  (item.click as () => void)();
}

test('menus of Linux and Windows', () => {
  const { actions } = recordingActions();
  const template = buildMenuTemplate({ appName: 'Fragility Lab', platform: 'linux', development: false, actions });
  assert.deepEqual(
    template.map((item) => item.label ?? item.role),
    ['File', 'Edit', 'View', 'help'],
  );
  const file = submenu(findMenu(template, 'File'));
  assert.deepEqual(
    file.filter((item) => item.label !== undefined).map((item) => item.label),
    ['New study', 'New database...', 'Open database...', 'Export report...'],
  );
  assert.equal(file.at(-1)?.role, 'quit');
  const help = submenu(findMenu(template, 'Help'));
  assert.deepEqual(
    help.filter((item) => item.label !== undefined).map((item) => item.label),
    ['Documentation folder', 'About Fragility Lab'],
  );
});

test('menu items run their actions', () => {
  const { actions, called } = recordingActions();
  const items = allItems(buildMenuTemplate({ appName: 'Fragility Lab', platform: 'win32', development: false, actions }));
  for (const id of ['new-study', 'new-database', 'open-database', 'export-report', 'documentation', 'about']) {
    click(items.find((item) => item.id === id));
  }
  assert.deepEqual(called, ['newStudy', 'newDatabase', 'openDatabase', 'exportReport', 'openDocumentation', 'showAbout']);
});

test('reload only in development', () => {
  const { actions } = recordingActions();
  const production = allItems(buildMenuTemplate({ appName: 'Fragility Lab', platform: 'linux', development: false, actions }));
  assert.equal(
    production.some((item) => item.role === 'reload' || item.role === 'forceReload' || item.role === 'toggleDevTools'),
    false,
  );
  const development = submenu(findMenu(buildMenuTemplate({ appName: 'Fragility Lab', platform: 'linux', development: true, actions }), 'View'));
  assert.deepEqual(
    development.slice(0, 3).map((item) => item.role),
    ['reload', 'forceReload', 'toggleDevTools'],
  );
});

test('macOS has the app menu', () => {
  const { actions, called } = recordingActions();
  const template = buildMenuTemplate({ appName: 'Fragility Lab', platform: 'darwin', development: false, actions });
  assert.deepEqual(
    template.map((item) => item.label ?? item.role),
    ['Fragility Lab', 'File', 'Edit', 'View', 'windowMenu', 'help'],
  );
  const appMenu = submenu(template[0]);
  click(appMenu[0]);
  assert.deepEqual(called, ['showAbout']);
  assert.equal(appMenu.at(-1)?.role, 'quit');
  assert.equal(submenu(findMenu(template, 'File')).at(-1)?.role, 'close');
  assert.equal(
    submenu(findMenu(template, 'Help')).some((item) => item.id === 'about'),
    false,
  );
});

test('accelerators of the File menu', () => {
  const { actions } = recordingActions();
  const items = allItems(buildMenuTemplate({ appName: 'Fragility Lab', platform: 'linux', development: false, actions }));
  assert.equal(items.find((item) => item.id === 'new-study')?.accelerator, 'CmdOrCtrl+N');
  assert.equal(items.find((item) => item.id === 'open-database')?.accelerator, 'CmdOrCtrl+O');
  assert.equal(items.find((item) => item.id === 'export-report')?.accelerator, 'CmdOrCtrl+E');
});
