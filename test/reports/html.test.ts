import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { Store } from '../../db/store.js';
import { buildStudyReport, findChromium, renderHtmlReport, renderReport, reportFormats, type StudyReport } from '../../main/reports/index.js';
import { escapeHtml } from '../../main/reports/htmlParts.js';
import { tempDir } from '../helpers/temp.js';
import { failedReason, marginReason, overflowReason, trainTinyStudy, writeGapStudy } from './studies.js';

const folder = tempDir('fragility-report-html-');
let trained: StudyReport;
let gaps: StudyReport;

function reportOf(path: string): StudyReport {
  const store = Store.open(path, { readonly: true });
  try {
    return buildStudyReport(store);
  } finally {
    store.close();
  }
}

before(async () => {
  trained = reportOf(await trainTinyStudy(folder));
  const gapPath = join(folder, 'gaps.sqlite');
  writeGapStudy(gapPath);
  gaps = reportOf(gapPath);
});

/** Returns the Chromium to test with, or the reason to skip the browser tests. */
function browserPath(): { path: string } | { skip: string } {
  try {
    return { path: findChromium() };
  } catch (error) {
    return { skip: (error as Error).message };
  }
}

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Lists every reference in an HTML document that a browser would load from the network:
 * attribute values with an http(s) or protocol-relative URL (xmlns attributes only name a
 * namespace and are skipped), and url() or @import in style sheets and style attributes.
 */
function externalReferences(html: string): string[] {
  const found: string[] = [];
  const remote = /^\s*(https?:)?\/\//i;
  const cssLoads = (css: string, where: string) => {
    for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]*)\1\s*\)/gi)) found.push(`${where}: url(${match[2]})`);
    for (const match of css.matchAll(/@import\s+[^;]+/gi)) found.push(`${where}: ${match[0]}`);
  };
  for (const tag of html.matchAll(/<([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>/g)) {
    const [, name, attributes = ''] = tag;
    for (const attribute of attributes.matchAll(/([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
      const attributeName = attribute[1]!.toLowerCase();
      const value = attribute[2] ?? attribute[3] ?? attribute[4] ?? '';
      if (attributeName === 'xmlns' || attributeName.startsWith('xmlns:')) continue;
      if (remote.test(value)) found.push(`<${name} ${attributeName}="${value}">`);
      if (attributeName === 'style') cssLoads(value, `<${name} style>`);
      if (attributeName === 'srcset' && /https?:/i.test(value)) found.push(`<${name} srcset="${value}">`);
    }
  }
  for (const style of html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) cssLoads(style[1]!, '<style>');
  return found;
}

describe('HTML report', () => {
  test('loads nothing from the network', () => {
    for (const report of [trained, gaps]) {
      const html = renderHtmlReport(report);
      assert.deepEqual(externalReferences(html), [], report.study.id);
      for (const tag of ['<link', '<script', '<img', '<iframe', '<object', '<embed']) assert.ok(!html.includes(tag), `${report.study.id} has ${tag}`);
      assert.match(html, /<style>[\s\S]*@media print/);
    }
  });

  test('reference checker finds loads', () => {
    const planted = '<img src="https://example.org/a.png"><a href="//cdn.example.org/x">x</a><div style="background: url(http://x.org/i.png)"></div><style>@import "https://x.org/a.css";</style>';
    assert.equal(externalReferences(planted).length, 4);
    assert.deepEqual(externalReferences('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), []);
  });

  test('shows every part of the report', () => {
    const html = renderHtmlReport(trained);
    for (const id of ['summary', 'gaps', 'study', 'definitions', 'curves', 'fragility', 'ranking', 'runs']) assert.match(html, new RegExp(`<section id="${id}">`), id);
    assert.equal(html.match(/<svg /g)?.length, trained.study.measures.length + 1, 'one figure per measure and the overview');
    assert.equal(html.match(/<title id=/g)?.length, trained.study.measures.length + 1);
    for (const measure of trained.definitions.measures) assert.ok(html.includes(escapeHtml(measure.definition)), `definition of ${measure.id}`);
    assert.match(html, /CMS: change in the measure/);
    assert.match(html, /eCMS: the part of that change/);
    assert.match(html, /class="verdict (fragile|robust|undetermined)"/);
    assert.match(html, /Kendall tau-a/);
    assert.match(html, /wasm \(12 runs\)/);
    for (const run of trained.runs) assert.ok(html.includes(`title="${run.id}"`), `run ${run.id}`);
  });

  test('states every gap of the gaps study', () => {
    const html = renderHtmlReport(gaps);
    const kinds = new Set(gaps.gaps.map((gap) => gap.kind));
    for (const kind of ['unfinished-runs', 'failed-runs', 'diverged-runs', 'one-size', 'condition-without-runs', 'missing-values', 'empty-measure'] as const) {
      assert.ok(kinds.has(kind), `the gaps study lacks a ${kind} gap`);
    }
    for (const gap of gaps.gaps) assert.ok(html.includes(`<li data-gap="${gap.kind}">${escapeHtml(gap.message)}</li>`), gap.message);
    for (const reason of [failedReason, marginReason, overflowReason]) assert.ok(html.includes(escapeHtml(reason)), reason);
    assert.match(html, /No valid value: no finished run has a positive value/);
    assert.match(html, /diverged at epoch 2/);
  });

  test('gaps study gives every format', async () => {
    for (const format of reportFormats) {
      if (format === 'pdf' && 'skip' in browserPath()) continue;
      const output = await renderReport(gaps, format);
      assert.ok(output.length > 0, format);
      // JSON turns NaN and Infinity into null, so a round trip that changes nothing shows there were none.
      if (format === 'json') assert.deepEqual(JSON.parse(output as string), gaps);
    }
  });
});

describe('HTML report in Chromium', () => {
  const browser = browserPath();

  test('every plot draws', { skip: 'skip' in browser ? browser.skip : false }, async () => {
    const instance = await chromium.launch({ executablePath: (browser as { path: string }).path, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      for (const report of [trained, gaps]) {
        const page = await instance.newPage({ viewport: { width: 1200, height: 900 } });
        const requests: string[] = [];
        page.on('request', (request) => requests.push(request.url()));
        await page.setContent(renderHtmlReport(report), { waitUntil: 'load' });
        const plots = await page.$$eval('svg.report-plot', (elements) =>
          elements.map((svg) => {
            const box = svg.getBoundingClientRect();
            const paths = [...svg.querySelectorAll('path')];
            // The DOM types are not in this project's lib, so the one SVG method used is typed here.
            const lines = [...svg.querySelectorAll('path.series-line')] as unknown as { getTotalLength(): number }[];
            return {
              id: svg.getAttribute('data-plot'),
              width: box.width,
              height: box.height,
              paths: paths.length,
              pathsWithoutPoints: paths.filter((path) => !/\d/.test(path.getAttribute('d') ?? '')).length,
              lineLengths: lines.map((path) => path.getTotalLength()),
              markers: svg.querySelectorAll('path.series-marker').length,
              empty: svg.querySelectorAll('.empty-message').length,
            };
          }),
        );
        assert.equal(plots.length, report.study.measures.length + 1, report.study.id);
        for (const plot of plots) {
          const where = `${report.study.id} ${plot.id}`;
          assert.ok(plot.width > 100, `${where} is ${plot.width} px wide`);
          assert.ok(plot.height > 100, `${where} is ${plot.height} px high`);
          assert.ok(plot.paths > 0, `${where} has no path`);
          assert.equal(plot.pathsWithoutPoints, 0, `${where} has paths without points`);
          assert.ok(plot.markers > 0, `${where} has no marker`);
          assert.ok(
            plot.lineLengths.some((length) => length > 10),
            `${where}: no line of any length (${plot.lineLengths.join(', ')})`,
          );
        }
        assert.equal(plots.find((plot) => plot.id === 'curves-inverse_margin')?.empty ?? 0, report === gaps ? 1 : 0);
        assert.deepEqual(
          requests.filter((url) => !url.startsWith('about:') && !url.startsWith('data:')),
          [],
          'the page requested something',
        );
        const screenshot = join(folder, `${report.study.id}.png`);
        await page.screenshot({ path: screenshot, fullPage: true });
        assert.deepEqual(readFileSync(screenshot).subarray(0, 8), pngSignature);
        await page.close();
      }
    } finally {
      await instance.close();
    }
  });
});

describe('PDF report', () => {
  const browser = browserPath();
  const pdftoppm = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' });

  test('prints and renders page 1', { skip: 'skip' in browser ? browser.skip : false }, async (t) => {
    const pdf = await renderReport(trained, 'pdf');
    assert.ok(pdf instanceof Uint8Array);
    assert.equal(Buffer.from(pdf.subarray(0, 5)).toString('latin1'), '%PDF-');
    // A4 is 595.28 x 841.89 pt; Chromium rounds the page to whole CSS pixels, a point larger at most.
    const boxes = [...Buffer.from(pdf).toString('latin1').matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((match) => [Number(match[1]), Number(match[2])]);
    assert.ok(boxes.length > 0, 'the PDF has no page');
    for (const [width, height] of boxes) assert.ok(Math.abs(width! - 595.28) < 1.5 && Math.abs(height! - 841.89) < 1.5, `page of ${width} x ${height} pt is not A4`);
    const pdfPath = join(folder, 'tiny.pdf');
    writeFileSync(pdfPath, pdf);

    if (pdftoppm.error !== undefined) {
      t.skip(`pdftoppm is not installed (${pdftoppm.error.message})`);
      return;
    }
    const result = spawnSync('pdftoppm', ['-f', '1', '-l', '1', '-r', '50', '-png', pdfPath, join(folder, 'page')], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const image = ['page-1.png', 'page-01.png', 'page-001.png'].map((name) => join(folder, name)).find(existsSync);
    assert.ok(image !== undefined, 'pdftoppm wrote no page image');
    assert.ok(statSync(image).size > 1000);
    assert.deepEqual(readFileSync(image).subarray(0, 8), pngSignature);
  });
});
