/**
 * Behaviour of the app shell and the designer in a real browser against the real lab server:
 * validation problems beside their fields, the theme switch, error banners, and keyboard use of
 * dialogs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchChromium, screenshot, screenshotFolder, startTestLab, type TestLab } from './helpers/lab.js';

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

// Page scripts are passed as strings, because the test tsconfig has no DOM library.
const focusedId = 'document.activeElement?.id ?? null';

/** Opens the app at a hash route through the token URL, as a user with the printed link would. */
async function openApp(page: Page, hash = ''): Promise<void> {
  await page.goto(`${lab.url}${hash}`);
}

test('designer shows problems beside their fields', async () => {
  const shots = screenshotFolder(lab, 'designer-validation');
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const page = await context.newPage();
  const pageErrors = collectPageErrors(page);
  await openApp(page, '#/studies/new');
  await page.getByRole('heading', { level: 1, name: 'New study' }).waitFor();
  await page.getByText('The spec is valid.').waitFor({ timeout: 15_000 });

  await page.locator('#field-training-learningRate').fill('-1');
  const learningRateProblems = page.locator('#field-training-learningRate-problems');
  await learningRateProblems.waitFor({ timeout: 10_000 });
  assert.match(await learningRateProblems.innerText(), /training\.learningRate is -1; it must be > 0/);
  assert.equal(await page.locator('#field-training-learningRate').getAttribute('aria-invalid'), 'true');
  assert.match((await page.locator('#field-training-learningRate').getAttribute('aria-describedby')) ?? '', /field-training-learningRate-problems/);

  // A problem inside a perturbation's changes goes beside that change.
  await page.getByRole('button', { name: 'Add perturbation' }).click();
  await page.getByLabel('Setting 1 of perturbation_1').selectOption('data.labelNoise');
  await page.locator('#field-perturbations-0-changes-data-labelNoise').fill('2');
  const noiseProblems = page.locator('#field-perturbations-0-changes-data-labelNoise-problems');
  await noiseProblems.waitFor({ timeout: 10_000 });
  assert.match(await noiseProblems.innerText(), /perturbations\[0\]\.changes\.data\.labelNoise is 2; it must be <= 1/);

  // The plan lists both problems; choosing one focuses its field.
  const plan = page.getByRole('complementary', { name: 'Plan' });
  await page.locator('aside[data-checking="false"]').waitFor();
  await plan.getByText('2 problems to fix before saving.').waitFor();
  await plan.getByRole('button', { name: /training\.learningRate is -1/ }).click();
  assert.equal(await page.evaluate<string | null>(focusedId), 'field-training-learningRate');
  await screenshot(page, shots, '01-problems-beside-fields');

  // Fixing the value clears its problem.
  await page.locator('#field-training-learningRate').fill('0.05');
  await learningRateProblems.waitFor({ state: 'detached', timeout: 10_000 });
  await plan.getByText('1 problem to fix before saving.').waitFor();

  assert.deepEqual(pageErrors, []);
  await context.close();
});

test('theme switch applies and persists', async () => {
  const shots = screenshotFolder(lab, 'theme');
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  await openApp(page);
  await page.getByRole('heading', { level: 1, name: 'Studies' }).waitFor();

  const theme = () => page.locator('html').getAttribute('data-theme');
  const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
  assert.equal(await theme(), 'light');
  const lightBackground = await background();

  await page.getByRole('radio', { name: 'Dark' }).check();
  assert.equal(await theme(), 'dark');
  assert.notEqual(await background(), lightBackground, 'the page background changes with the theme');
  await screenshot(page, shots, '01-dark');

  // The choice is kept in localStorage across a reload.
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Studies' }).waitFor();
  assert.equal(await theme(), 'dark');
  assert.equal(await page.getByRole('radio', { name: 'Dark' }).isChecked(), true);

  // Back to the system preference, which this context sets to light.
  await page.getByRole('radio', { name: 'System' }).check();
  assert.equal(await theme(), 'light');
  await context.close();

  const darkSystem = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1200, height: 800 } });
  const darkPage = await darkSystem.newPage();
  await darkPage.goto(lab.url);
  await darkPage.getByRole('heading', { level: 1, name: 'Studies' }).waitFor();
  assert.equal(await darkPage.locator('html').getAttribute('data-theme'), 'dark');
  await darkSystem.close();
});

test('rejected API call shows an error banner', async () => {
  const shots = screenshotFolder(lab, 'error-banner');
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const failure = { ok: false, error: { kind: 'storage', message: 'reading the study list failed: the database is locked; close other programs that use lab.sqlite' } };
  await page.route('**/api/studies-list', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(failure) }));
  await openApp(page);

  const banner = page.getByRole('alert').filter({ hasText: 'Could not load the studies' });
  await banner.waitFor();
  assert.match(await banner.innerText(), /the database is locked; close other programs that use lab\.sqlite/);
  assert.match(await banner.innerText(), /Error kind: storage/);
  await screenshot(page, shots, '01-banner');

  // Once the call succeeds again, Try again replaces the banner with the list.
  await page.unroute('**/api/studies-list');
  await banner.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('heading', { name: 'No study yet' }).waitFor();
  assert.equal(await banner.count(), 0);

  // A server that does not respond at all gives a banner too, naming the call.
  await page.route('**/api/templates-list', (route) => route.abort('connectionrefused'));
  await page.getByRole('button', { name: 'New study' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New study' });
  const dialogError = dialog.getByRole('alert');
  await dialogError.waitFor();
  assert.match(await dialogError.innerText(), /The lab server did not respond to templates-list/);
  await screenshot(page, shots, '02-dialog-error');
  await context.close();
});

test('dialogs keep focus inside and close on Escape', async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  await openApp(page);
  const opener = page.getByRole('button', { name: 'New study' }).first();
  await opener.waitFor();
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'New study' });
  await dialog.getByRole('button', { name: /Quick audit/ }).waitFor();

  // Tab never leaves the modal dialog.
  for (let step = 0; step < 12; step++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate<boolean>("document.activeElement !== null && document.activeElement.closest('dialog[open]') !== null");
    assert.ok(inside, `focus left the dialog after ${step + 1} Tab presses`);
  }

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.locator(':focus').innerText(), 'New study', 'focus returns to the button that opened the dialog');

  // The template buttons work from the keyboard and open the designer with that template.
  await page.keyboard.press('Enter');
  await dialog.getByRole('button', { name: /Quick audit/ }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/studies\/new\?template=quick-audit$/);
  await page.getByRole('heading', { level: 1, name: 'New study' }).waitFor();
  assert.equal(await page.locator('#field-name').inputValue(), 'quick audit');
  await context.close();
});
