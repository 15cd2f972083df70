/**
 * The researcher's main path in a real browser against the real lab server: design a small study,
 * run it, watch the grid fill, read the results, export a report, and find the study again after
 * a reload. The study (an FCN of width 16, two sizes, one seed, 5 epochs) trains in seconds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchChromium, screenshot, screenshotFolder, startTestLab, type TestLab } from './helpers/lab.js';

const finishedStatuses = ['fit', 'did_not_fit', 'diverged'];

let lab: TestLab;
let browser: Browser;

before(async () => {
  lab = await startTestLab();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await lab?.close();
});

/** Sets a number or text input through the keyboard-free fill, which fires the input event. */
async function fillField(page: Page, id: string, value: string): Promise<void> {
  await page.locator(`#${id}`).fill(value);
}

async function designTinyStudy(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New study' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New study' });
  await dialog.getByRole('button', { name: /Blank study/ }).click();
  await page.getByRole('heading', { level: 1, name: 'New study' }).waitFor();

  await fillField(page, 'field-name', 'e2e tiny');
  await page.locator('#field-data-source').selectOption('embedded');
  await fillField(page, 'field-data-testSize', '500');
  await fillField(page, 'field-model-hiddenWidths', '16');
  await fillField(page, 'field-training-learningRate', '0.1');
  await fillField(page, 'field-training-maxEpochs', '5');
  await fillField(page, 'field-trainSizes', '64, 128');
  await fillField(page, 'field-seeds', '0');

  await page.getByRole('button', { name: 'Add perturbation' }).click();
  await fillField(page, 'field-perturbations-0-name', 'label_noise_20');
  await page.locator('#field-perturbations-0-kind').selectOption('data');
  const settingSelect = page.getByLabel('Setting 1 of label_noise_20');
  await settingSelect.selectOption('data.labelNoise');
  await fillField(page, 'field-perturbations-0-changes-data-labelNoise', '0.2');

  // Keep only param_norm and inverse_margin among the measures.
  const measureBoxes = page.locator('fieldset.family input[type="checkbox"]');
  const count = await measureBoxes.count();
  assert.ok(count > 10, `expected the measure registry to list its measures, found ${count} checkboxes`);
  for (let index = 0; index < count; index++) {
    const box = measureBoxes.nth(index);
    const label = (await box.locator('xpath=..').innerText()).trim();
    const wanted = /\bparam_norm$/.test(label) || /\binverse_margin$/.test(label);
    if ((await box.isChecked()) !== wanted) await box.setChecked(wanted);
  }
}

test('study designed, run, analysed and exported', async () => {
  const shots = screenshotFolder(lab, 'study-flow');
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const pageErrors = collectPageErrors(page);

  await page.goto(lab.url);
  await page.getByRole('heading', { name: 'No study yet' }).waitFor();
  assert.ok(!page.url().includes('token='), `the token stays in the address bar: ${page.url()}`);
  await screenshot(page, shots, '01-empty-studies');

  await designTinyStudy(page);
  const plan = page.getByRole('complementary', { name: 'Plan' });
  // The check runs shortly after the last edit; wait until it has caught up with every edit.
  await page.locator('aside[data-checking="false"]').waitFor({ timeout: 15_000 });
  await plan.getByText('The spec is valid.').waitFor({ timeout: 15_000 });
  assert.equal(await plan.getByTestId('run-count').innerText(), '4');
  await screenshot(page, shots, '02-designer-filled');

  // The definition of a measure is one click away.
  const definitionButton = page.getByRole('button', { name: 'Definition of Parameter norm' });
  await definitionButton.click();
  assert.equal(await definitionButton.getAttribute('aria-expanded'), 'true');

  await plan.getByRole('button', { name: 'Save and run' }).click();
  await page.waitForURL(/#\/studies\/e2e-tiny\/monitor$/);
  await page.getByRole('heading', { level: 1, name: 'e2e tiny' }).waitFor();
  const cells = page.locator('table.run-grid button.cell');
  await cells.first().waitFor();
  assert.equal(await cells.count(), 4, 'the grid has one square per run (2 conditions x 2 sizes x 1 seed)');
  await screenshot(page, shots, '03-monitor-started');

  // Poll the squares' statuses until every run has finished.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const current = await cells.evaluateAll((squares) => squares.map((square) => square.getAttribute('data-status')));
    if (current.every((status) => finishedStatuses.includes(status ?? ''))) break;
    await sleep(250);
  }
  const statuses = await cells.evaluateAll((squares) => squares.map((square) => square.getAttribute('data-status')));
  for (const status of statuses) assert.ok(finishedStatuses.includes(status ?? ''), `a run ended as ${status}`);
  const finishedNote = page.getByText(/The study finished: 4 of 4 runs done/);
  await finishedNote.waitFor({ timeout: 30_000 });
  await screenshot(page, shots, '04-monitor-finished');

  // The grid is one tab stop: arrow keys move between runs, and Enter shows a run's stored curve.
  await cells.first().focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator(':focus').getAttribute('data-index'), '1');
  await page.keyboard.press('ArrowDown');
  const focused = page.locator(':focus');
  assert.equal(await focused.getAttribute('data-condition'), 'label_noise_20');
  assert.equal(await focused.getAttribute('data-size'), '128');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'label_noise_20, m = 128, seed 0' }).waitFor();
  await page.getByRole('img', { name: /Training loss over \d+ epochs/ }).waitFor();
  await screenshot(page, shots, '04b-monitor-run-selected');

  await page.getByRole('link', { name: 'Open the results' }).click();
  await page.waitForURL(/#\/studies\/e2e-tiny\/results$/);
  const curve = page.getByTestId('learning-curve').first();
  await curve.waitFor({ timeout: 30_000 });
  const seriesPaths = await curve.locator('path.series').evaluateAll((paths) => paths.map((path) => path.getAttribute('d') ?? ''));
  assert.equal(seriesPaths.length, 2, 'one series per condition');
  assert.ok(
    seriesPaths.every((d) => d.startsWith('M') && d.includes('L')),
    `every series draws a line: ${JSON.stringify(seriesPaths)}`,
  );
  assert.ok((await curve.locator('path.marker').count()) >= 4, 'the markers of the cells are drawn');

  const ecms = page.locator('table.fragility[data-score="ecms"]');
  await ecms.waitFor();
  assert.equal(await ecms.locator('tbody tr[data-measure="param_norm"]').count(), 1);
  assert.equal(await ecms.locator('tbody tr[data-measure="inverse_margin"]').count(), 1);
  const verdictText = await ecms.locator('tbody tr[data-measure="param_norm"] .verdict').innerText();
  assert.match(verdictText, /fragile|robust|undetermined/);
  await screenshot(page, shots, '05-results');

  // The HTML export downloads the report; an export error would show beside its button instead.
  const htmlItem = page.locator('section.exports li').filter({ has: page.getByRole('button', { name: 'HTML' }) });
  const downloadPromise = page.waitForEvent('download', { timeout: 60_000 }).catch(() => null);
  await htmlItem.getByRole('button', { name: 'HTML' }).click();
  const download = await Promise.race([downloadPromise, htmlItem.getByRole('alert').waitFor({ timeout: 60_000 }).then(() => null)]);
  if (download === null) {
    await screenshot(page, shots, '06-export-error');
    assert.fail(`the HTML export did not download: ${await htmlItem.innerText()}`);
  }
  assert.match(download.suggestedFilename(), /^e2e-tiny.*\.html$/);
  const html = readFileSync(await download.path(), 'utf8');
  assert.match(html, /<html/i);
  assert.match(html, /e2e tiny/);
  await htmlItem.getByText(/^Saved e2e-tiny/).waitFor();
  await screenshot(page, shots, '06-exported');

  // A duplicate shares the stored runs, so it can be compared at once; then it is deleted.
  await page.getByRole('link', { name: 'Studies' }).click();
  await page.getByRole('button', { name: 'Duplicate e2e tiny' }).click();
  const duplicateDialog = page.getByRole('dialog', { name: 'Duplicate e2e tiny' });
  assert.equal(await duplicateDialog.getByLabel('Name of the copy').inputValue(), 'e2e tiny copy');
  await duplicateDialog.getByRole('button', { name: 'Duplicate' }).click();
  const copyRow = page.locator('tr[data-study-id="e2e-tiny-copy"]');
  await copyRow.waitFor();
  await copyRow.getByText('4 of 4 runs').waitFor();

  await page.getByRole('link', { name: 'Compare', exact: true }).click();
  await page.getByRole('checkbox', { name: /^e2e tiny\b(?! copy)/ }).check();
  await page.getByRole('checkbox', { name: /^e2e tiny copy/ }).check();
  await page.getByRole('button', { name: 'Compare 2 studies' }).click();
  await page.waitForURL(/#\/compare\?ids=/);
  for (const study of ['e2e-tiny', 'e2e-tiny-copy']) {
    const table = page.locator(`table[data-study="${study}"]`);
    await table.waitFor();
    assert.equal(await table.locator('tbody tr').count(), 2, `${study} has one eCMS row per measure`);
  }
  const diff = page.getByRole('region', { name: 'Spec differences' });
  assert.match(await diff.innerText(), /name\s+e2e tiny\s+e2e tiny copy/);
  await screenshot(page, shots, '07-compare');

  await page.getByRole('link', { name: 'Studies' }).click();
  await page.getByRole('button', { name: 'Delete e2e tiny copy' }).click();
  const deleteDialog = page.getByRole('dialog', { name: 'Delete e2e tiny copy?' });
  await screenshot(page, shots, '08-delete-dialog');
  await deleteDialog.getByRole('button', { name: 'Delete study' }).click();
  await copyRow.waitFor({ state: 'detached' });

  // Settings report the backend the study's worker started with.
  await page.getByRole('link', { name: 'Settings' }).click();
  const backend = page.getByRole('region', { name: 'Compute backend' });
  await backend.getByText('Backend', { exact: true }).waitFor();
  assert.match(await backend.innerText(), /Backend\s+(tensorflow|wasm|cpu)/);
  await screenshot(page, shots, '09-settings');

  // A new browser context with the same URL is a fresh page load: the study is still listed.
  const second = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const reloaded = await second.newPage();
  await reloaded.goto(lab.url);
  const row = reloaded.locator('tr[data-study-id="e2e-tiny"]');
  await row.waitFor();
  assert.match(await row.innerText(), /finished/);
  assert.match(await row.innerText(), /4 of 4 runs/);
  assert.equal(await reloaded.locator('tr[data-study-id="e2e-tiny-copy"]').count(), 0, 'the deleted copy stays deleted');
  await screenshot(reloaded, shots, '10-reloaded-list');
  await second.close();

  assert.deepEqual(pageErrors, []);
  await context.close();
});
