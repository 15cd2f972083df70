import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLabApp } from '../../main/server/labApp.js';
import type { MenuCommand } from '../../electron/channels.js';
import { createMenuActions, switchDatabase, type CommandOptions } from '../../electron/commands.js';
import { DesktopLab } from '../../electron/desktopLab.js';
import { tinySpec } from '../helpers/studies.js';
import { tempDir } from '../helpers/temp.js';
import { recordingLogger } from './fakes.js';

/** Creates command options over a real desktop lab, with dialogs that return the values in `answers` and record what they display. */
function setup(lab?: CommandOptions['lab']) {
  const folder = tempDir();
  const log = recordingLogger();
  const realLab = new DesktopLab({
    createApp: (dbPath) => createLabApp({ dbPath, settingsPath: join(folder, 'settings.json'), workers: 1 }),
    dbPath: join(folder, 'lab.sqlite'),
    broadcast: () => undefined,
    log,
  });
  const effects = {
    commands: [] as MenuCommand[],
    reloads: 0,
    confirms: [] as string[],
    errors: [] as { title: string; message: string }[],
    infos: [] as { title: string; message: string; detail: string }[],
    openedPaths: [] as string[],
    remembered: [] as string[],
  };
  const answers = {
    open: null as string | null,
    create: null as string | null,
    confirm: true,
    openPathFailure: '',
  };
  const options: CommandOptions = {
    lab: lab ?? realLab,
    log,
    sendMenuCommand: (command) => effects.commands.push(command),
    reloadWindows: () => {
      effects.reloads += 1;
    },
    pickDatabaseToOpen: async () => answers.open,
    pickDatabaseToCreate: async () => answers.create,
    confirm: async (question) => {
      effects.confirms.push(`${question.message} ${question.detail}`);
      return answers.confirm;
    },
    showError: (title, message) => effects.errors.push({ title, message }),
    showInfo: async (title, message, detail) => {
      effects.infos.push({ title, message, detail });
    },
    openPath: async (path) => {
      effects.openedPaths.push(path);
      return answers.openPathFailure;
    },
    rememberDatabase: (path) => effects.remembered.push(path),
    exists: existsSync,
    documentationFolder: '/opt/Fragility Lab/resources/docs',
    about: { appName: 'Fragility Lab', version: '0.1.0', versions: { electron: '42.11.18', chrome: '146.0.0.0', node: '24.1.0' } },
  };
  return { folder, log, realLab, effects, answers, options, actions: createMenuActions(options) };
}

test('renderer views get menu commands', async () => {
  const { actions, effects } = setup();
  await actions.newStudy();
  await actions.exportReport();
  assert.deepEqual(effects.commands, ['new-study', 'export-report']);
});

test('open database switches and reloads', async () => {
  const { actions, effects, answers, folder, realLab } = setup();
  const other = join(folder, 'other.sqlite');
  createLabApp({ dbPath: other, workers: 1 }).host.createStudy(tinySpec({ name: 'elsewhere' }));
  answers.open = other;
  await actions.openDatabase();
  assert.equal(realLab.dbPath, other);
  assert.deepEqual(
    realLab.app.host.listStudies().map((study) => study.id),
    ['elsewhere'],
  );
  assert.deepEqual(effects.remembered, [other]);
  assert.equal(effects.reloads, 1);
  assert.deepEqual(effects.errors, []);
});

test('cancelled dialog changes nothing', async () => {
  const { actions, effects, realLab } = setup();
  const before = realLab.dbPath;
  await actions.openDatabase();
  await actions.newDatabase();
  assert.equal(realLab.dbPath, before);
  assert.equal(effects.reloads, 0);
  assert.deepEqual(effects.remembered, []);
});

test('open failure is reported, database kept', async () => {
  const { actions, effects, answers, folder, realLab } = setup();
  const before = realLab.dbPath;
  const notADatabase = join(folder, 'notes.sqlite');
  writeFileSync(notADatabase, 'plain text, not SQLite '.repeat(300));
  answers.open = notADatabase;
  await actions.openDatabase();
  assert.equal(realLab.dbPath, before);
  assert.equal(effects.errors.length, 1);
  assert.equal(effects.errors[0]?.title, 'The database was not opened');
  assert.match(effects.errors[0]!.message, /notes\.sqlite failed/);
  assert.deepEqual(effects.remembered, []);
  assert.equal(effects.reloads, 0);
});

test('new database creates the file', async () => {
  const { actions, effects, answers, folder, realLab } = setup();
  const fresh = join(folder, 'fresh.sqlite');
  answers.create = fresh;
  await actions.newDatabase();
  assert.equal(realLab.dbPath, fresh);
  assert.ok(existsSync(fresh));
  assert.deepEqual(effects.remembered, [fresh]);
});

test('new database refuses an existing file', async () => {
  const { actions, effects, answers, folder, realLab } = setup();
  const existing = join(folder, 'existing.sqlite');
  writeFileSync(existing, '');
  const before = realLab.dbPath;
  answers.create = existing;
  await actions.newDatabase();
  assert.equal(realLab.dbPath, before);
  assert.equal(effects.errors[0]?.title, 'The database was not created');
  assert.match(effects.errors[0]!.message, /exists already; open it with File > Open database/);
});

/** Creates a lab with one running study that records the databases it is asked to open. */
function busyLab() {
  const opened: string[] = [];
  return {
    opened,
    lab: {
      dbPath: '/data/lab.sqlite',
      activeStudies: () => ['paper-fcn'],
      openDatabase: async (path: string) => {
        opened.push(path);
        return true;
      },
    },
  };
}

test('running studies need confirmation', async () => {
  const { lab, opened } = busyLab();
  const { options, effects, answers } = setup(lab);
  answers.confirm = false;
  assert.equal(await switchDatabase(options, '/data/other.sqlite'), false);
  assert.deepEqual(opened, []);
  assert.equal(effects.confirms.length, 1);
  assert.match(effects.confirms[0]!, /Study paper-fcn is running/);

  answers.confirm = true;
  assert.equal(await switchDatabase(options, '/data/other.sqlite'), true);
  assert.deepEqual(opened, ['/data/other.sqlite']);
  assert.equal(effects.reloads, 1);
});

test('same database is not reopened', async () => {
  const { lab, opened } = busyLab();
  const { options, effects } = setup(lab);
  assert.equal(await switchDatabase(options, '/data/lab.sqlite'), false);
  assert.deepEqual(opened, []);
  assert.deepEqual(effects.confirms, []);
});

test('about shows versions and database', async () => {
  const { actions, effects, realLab } = setup();
  await actions.showAbout();
  assert.equal(effects.infos.length, 1);
  const [about] = effects.infos;
  assert.equal(about?.title, 'About Fragility Lab');
  assert.equal(about?.message, 'Fragility Lab 0.1.0');
  assert.match(about!.detail, /Electron 42\.11\.18, Chromium 146\.0\.0\.0, Node\.js 24\.1\.0/);
  assert.ok(about!.detail.includes(`Database: ${realLab.dbPath}`));
});

test('documentation folder opens or reports', async () => {
  const { actions, effects, answers } = setup();
  await actions.openDocumentation();
  assert.deepEqual(effects.openedPaths, ['/opt/Fragility Lab/resources/docs']);
  assert.equal(effects.errors.length, 0);

  answers.openPathFailure = 'Failed to open path';
  await actions.openDocumentation();
  assert.equal(effects.errors[0]?.title, 'The documentation folder was not opened');
  assert.match(effects.errors[0]!.message, /Failed to open path/);
});

test('failing command is logged', async () => {
  const { options, log } = setup();
  const actions = createMenuActions({ ...options, pickDatabaseToOpen: () => Promise.reject(new Error('dialog unavailable')) });
  await actions.openDatabase();
  assert.ok(log.lines.some((line) => line.level === 'error' && line.message.includes('Open database') && line.message.includes('dialog unavailable')));
});
