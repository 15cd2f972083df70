/**
 * The pieces every end-to-end test needs: a current renderer build, the real lab server on a
 * fresh database, Debian's Chromium through playwright-core, and a folder for screenshots.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLabApp } from '../../../main/server/labApp.js';
import { startLabServer, type RunningLabServer } from '../../../main/server/server.js';
import type { LabHost } from '../../../main/api/host.js';
import { repoRoot } from '../../helpers/paths.js';

export const rendererBuildDir = join(repoRoot, 'dist', 'renderer');

/** Returns the newest modification time of the files under a path, in ms. */
function newestMtime(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stats.mtimeMs);
}

/**
 * Builds the renderer with `npm run build:renderer` when dist/renderer/index.html is missing or
 * older than a source it is built from; returns the build folder.
 */
export function ensureRendererBuild(): string {
  const index = join(rendererBuildDir, 'index.html');
  const sources = [join(repoRoot, 'renderer'), join(repoRoot, 'main', 'api', 'types.ts')];
  const newestSource = Math.max(...sources.map(newestMtime));
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource) return rendererBuildDir;

  const result = spawnSync('npm', ['run', 'build:renderer'], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) {
    throw new Error(`npm run build:renderer failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return rendererBuildDir;
}

export interface TestLab {
  host: LabHost;
  server: RunningLabServer;
  /** The page URL with the token, as `fragility-lab serve` prints it. */
  url: string;
  /** Temporary folder of the database, settings and screenshots, removed by close(). */
  folder: string;
  close(): Promise<void>;
}

/**
 * Starts the lab server on 127.0.0.1 with a fresh database and one worker process. The folder is
 * made here rather than with tempDir(), whose after() hook would remove it as soon as a before()
 * hook that calls it ends.
 */
export async function startTestLab(): Promise<TestLab> {
  const staticDir = ensureRendererBuild();
  const folder = mkdtempSync(join(tmpdir(), 'fragility-lab-e2e-'));
  const { host, handlers } = createLabApp({ dbPath: join(folder, 'lab.sqlite'), settingsPath: join(folder, 'settings.json'), workers: 1 });
  const server = await startLabServer({ host, handlers, staticDir, bindAddress: '127.0.0.1' });
  return {
    host,
    server,
    url: server.url,
    folder,
    close: async () => {
      await host.close();
      await server.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Launches Debian's Chromium headless; nothing is downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.FRAGILITY_LAB_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Creates a folder for a test's screenshots: under FRAGILITY_LAB_SCREENSHOTS when set, else under the lab's temp folder. */
export function screenshotFolder(lab: TestLab, testName: string): string {
  const root = process.env.FRAGILITY_LAB_SCREENSHOTS ?? join(lab.folder, 'screenshots');
  const folder = join(root, testName.replace(/[^A-Za-z0-9_-]+/g, '-'));
  mkdirSync(folder, { recursive: true });
  return folder;
}

/** Saves a full-page screenshot named `step` into `folder`. */
export async function screenshot(page: Page, folder: string, step: string): Promise<void> {
  await page.screenshot({ path: join(folder, `${step}.png`), fullPage: true });
}

/** Collects the page's console errors and uncaught exceptions, so that a test can assert there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}
