/**
 * Headless Chromium through playwright-core, for the PDF report (the HTML report printed) and
 * the PNG copies of the plots. The browser is the one installed on the machine: the path in
 * FRAGILITY_LAB_CHROMIUM, else /usr/bin/chromium, else a Chrome or Chromium found at a usual
 * place. Nothing is downloaded, and every request a page makes to the network is aborted, so a
 * report renders the same offline.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { LabError } from '../util/errors.js';
import { createLogger } from '../util/log.js';

const log = createLogger('reports');

/** Environment variable that names the Chromium or Chrome executable. */
export const chromiumVariable = 'FRAGILITY_LAB_CHROMIUM';

const launchArguments = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Usual install places of Chromium and Chrome, in order of preference, for this platform. */
function candidatePaths(): string[] {
  if (process.platform === 'darwin') {
    return ['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];
  }
  if (process.platform === 'win32') {
    const roots = [process.env.PROGRAMFILES, process.env['PROGRAMFILES(X86)'], process.env.LOCALAPPDATA].filter((root): root is string => root !== undefined);
    return roots.flatMap((root) => [join(root, 'Chromium', 'Application', 'chrome.exe'), join(root, 'Google', 'Chrome', 'Application', 'chrome.exe')]);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome'];
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/**
 * Returns the path of the Chromium or Chrome to launch. Raises a LabError of kind `not-found`
 * naming FRAGILITY_LAB_CHROMIUM when that variable points nowhere or when no browser is found.
 */
export function findChromium(): string {
  const configured = process.env[chromiumVariable];
  if (configured !== undefined && configured !== '') {
    if (!isFile(configured)) {
      throw new LabError('not-found', `${chromiumVariable} is "${configured}", which is not a file; set it to the path of a Chromium or Chrome executable`, {
        field: chromiumVariable,
      });
    }
    return configured;
  }
  const candidates = candidatePaths();
  const found = candidates.find(isFile);
  if (found !== undefined) return found;
  // playwright-core returns where its own browser download would be, if one was ever made.
  const downloaded = chromium.executablePath();
  if (downloaded !== '' && isFile(downloaded)) return downloaded;
  throw new LabError(
    'not-found',
    `No Chromium or Chrome was found for PDF and PNG output (looked at ${candidates.join(', ')}); install Chromium or set ${chromiumVariable} to the path of its executable`,
    { field: chromiumVariable },
  );
}

/** Launches headless Chromium, runs `work` with it and closes it, even when `work` raises. */
export async function withChromium<T>(work: (browser: Browser) => Promise<T>): Promise<T> {
  const executablePath = findChromium();
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: launchArguments });
  } catch (error) {
    throw new LabError('unsupported', `Chromium at ${executablePath} failed to start (${(error as Error).message.split('\n')[0]}); check the installation or set ${chromiumVariable} to another browser`, {
      field: chromiumVariable,
      cause: error,
    });
  }
  log.debug(`started Chromium at ${executablePath}`);
  try {
    return await work(browser);
  } finally {
    await browser.close();
  }
}

/** Opens a page with every network request aborted, so that nothing outside the document loads. */
export async function openOfflinePage(browser: Browser, options: { deviceScaleFactor?: number; width?: number; height?: number } = {}): Promise<Page> {
  const context = await browser.newContext({
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
    viewport: { width: options.width ?? 1200, height: options.height ?? 900 },
    offline: true,
  });
  await context.route('**/*', (route) => route.abort());
  return context.newPage();
}

export interface PdfOptions {
  /** Text at the left of every page footer, such as the study name; page numbers are on the right. */
  footerText?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Prints an HTML document to an A4 PDF with backgrounds and page numbers in the footer. */
export async function printHtmlToPdf(html: string, options: PdfOptions = {}): Promise<Uint8Array> {
  return withChromium(async (browser) => {
    const page = await openOfflinePage(browser);
    await page.setContent(html, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    const footer =
      '<div style="font-family: system-ui, sans-serif; font-size: 8px; color: #555; width: 100%; padding: 0 12mm; display: flex; justify-content: space-between;">' +
      `<span>${escapeHtml(options.footerText ?? '')}</span><span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: footer,
      margin: { top: '14mm', bottom: '16mm', left: '12mm', right: '12mm' },
    });
    return new Uint8Array(pdf);
  });
}

/** Renders SVG documents to PNG at twice their CSS size, in one browser session. */
export async function renderSvgsToPng(svgs: readonly { svg: string; width: number; height: number }[]): Promise<Uint8Array[]> {
  return withChromium(async (browser) => {
    const page = await openOfflinePage(browser, { deviceScaleFactor: 2 });
    const images: Uint8Array[] = [];
    for (const { svg, width, height } of svgs) {
      await page.setViewportSize({ width: Math.ceil(width), height: Math.ceil(height) });
      await page.setContent(`<!DOCTYPE html><html><head><style>html,body{margin:0;background:#fff}svg{display:block}</style></head><body>${svg}</body></html>`, {
        waitUntil: 'load',
      });
      images.push(new Uint8Array(await page.locator('svg').first().screenshot({ type: 'png' })));
    }
    return images;
  });
}
