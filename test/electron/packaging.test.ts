/**
 * Checks of the packaging configuration that need no Electron download. electron-builder.yml must
 * parse and pass electron-builder's own schema, and its file patterns, read with electron-builder's
 * own matcher, must select what the app needs. The paths it names must exist, and the package.json
 * scripts and entry point must agree with the build. js-yaml and app-builder-lib are installed with
 * the electron-builder devDependency.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

const require = createRequire(import.meta.url);

interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  extraResources: { from: string; to: string }[];
  electronFuses: Record<string, boolean>;
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
}

type FileFilter = (file: string, stat: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }) => boolean;

interface FileMatcherModule {
  FileMatcher: new (from: string, to: string, expand: (text: string) => string, patterns: string[]) => { createFilter(): FileFilter };
  getNodeModuleFileMatcher(appDir: string, destination: string, expand: (text: string) => string, platformOptions: object, packager: object): { createFilter(): FileFilter };
}

const { load } = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(config: object, debug: object): Promise<void> };
const fileMatcher = require('app-builder-lib/out/fileMatcher.js') as FileMatcherModule;

const config = load(readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
const fileStat = { isDirectory: () => false, isFile: () => true, isSymbolicLink: () => false };
const keep = (text: string) => text;

test('builder config passes the schema', async () => {
  await validateConfiguration(config, { isEnabled: false, add: () => undefined });
});

test('schema check can fail', async () => {
  await assert.rejects(validateConfiguration({ ...config, linux: { ...config.linux, notAnOption: true } }, { isEnabled: false, add: () => undefined }), /configuration\.linux/);
});

test('identity and targets', () => {
  assert.equal(config.productName, 'Fragility Lab');
  assert.match(config.appId, /^[a-z]+(\.[a-z-]+)+$/);
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.equal(config.npmRebuild, true);
  assert.equal(config.electronFuses.runAsNode, false);
  assert.equal(config.electronFuses.onlyLoadAppFromAsar, true);
});

test('app files are selected', () => {
  const filter = new fileMatcher.FileMatcher(repoRoot, '/app', keep, config.files).createFilter();
  const included = (path: string) => filter(join(repoRoot, path), fileStat);
  for (const path of ['package.json', 'dist/electron/main.js', 'dist/electron/preload.cjs', 'dist/main/studies/worker.js', 'dist/renderer/index.html', 'assets/fashion-mnist/train-images-idx3-ubyte.gz', 'assets/studies/quick.json']) {
    assert.equal(included(path), true, path);
  }
  for (const path of ['electron/main.ts', 'test/electron/policy.test.ts', 'dist/electron/main.js.map', 'dist/electron/preload.js', 'renderer/src/App.svelte', 'tsconfig.json']) {
    assert.equal(included(path), false, path);
  }
});

test('native TensorFlow packages are left out', () => {
  const packager = { config, debugLogger: { isEnabled: false } };
  const filter = fileMatcher.getNodeModuleFileMatcher(repoRoot, '/app', keep, {}, packager).createFilter();
  const included = (path: string) => filter(join(repoRoot, path), fileStat);
  assert.equal(included('node_modules/@tensorflow/tfjs-node/dist/index.js'), false);
  assert.equal(included('node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so.2'), false);
  assert.equal(included('node_modules/better-sqlite3/build/Release/better_sqlite3.node'), true);
  assert.equal(included('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'), true);
});

test('native and wasm files are unpacked', () => {
  const filter = new fileMatcher.FileMatcher(repoRoot, '/app', keep, config.asarUnpack).createFilter();
  const wasmFolder = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
  const wasmFiles = readdirSync(join(repoRoot, wasmFolder)).filter((name) => name.endsWith('.wasm'));
  assert.ok(wasmFiles.length > 0, `no .wasm file in ${wasmFolder}`);
  for (const name of wasmFiles) assert.equal(filter(join(repoRoot, wasmFolder, name), fileStat), true, name);
  assert.equal(filter(join(repoRoot, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), fileStat), true);
  assert.equal(filter(join(repoRoot, 'node_modules/better-sqlite3/lib/database.js'), fileStat), true);
  assert.equal(filter(join(repoRoot, 'dist/electron/main.js'), fileStat), false);
});

test('named paths exist', () => {
  for (const { from } of config.extraResources) assert.ok(existsSync(join(repoRoot, from)), from);
  assert.ok(existsSync(join(repoRoot, 'assets')));
  assert.ok(existsSync(join(repoRoot, 'node_modules', 'better-sqlite3', 'package.json')));
});

test('scripts build what start needs', () => {
  assert.equal(packageJson.main, 'dist/electron/main.js');
  assert.match(packageJson.scripts['build:electron'] ?? '', /npm run build:engine/);
  assert.match(packageJson.scripts['build:electron'] ?? '', /--outfile=dist\/electron\/preload\.cjs/);
  assert.match(packageJson.scripts.build ?? '', /npm run build:renderer/);
  assert.match(packageJson.scripts.build ?? '', /npm run build:electron/);
  assert.equal(packageJson.scripts.start, 'npm run build && electron .');
  assert.match(packageJson.scripts.dist ?? '', /electron-builder --config electron-builder\.yml/);
  // tsc emits electron/main.ts to dist/electron/main.js (outDir dist, rootDir the repository).
  const tsconfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
  assert.equal(tsconfig.compilerOptions.outDir, 'dist');
  assert.equal(tsconfig.compilerOptions.rootDir, '.');
});
