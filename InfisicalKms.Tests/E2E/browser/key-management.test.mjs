// The administrator's first run in the browser (issue #3): first-run setup, sign in, create a project,
// an aes-256-gcm key with an encrypt/decrypt round trip, an RSA_4096 key with sign, verify (Valid) and
// verify of changed data (Invalid). Saves a PNG of every panel into ARTIFACTS and, for the roles test,
// ARTIFACTS/state.json with the project and key names.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  artifactsDir, assertAccessible, assertSnackbarsClearOfDialogButtons, closeDialog, closeWithEscape, dialog, dismissSnackbars, env, interactive,
  keyAction, keyRow, launch, newPage, openKeyMenu, screenshot, select, signIn, steps,
} from './lib.mjs';

const SENTENCE = 'The quick brown fox jumps over the lazy dog at 7:45, naïvely — 🦊.';

test('administrator: first-run setup, project, AES-256-GCM encrypt/decrypt, RSA_4096 sign/verify', async (t) => {
  const baseUrl = env('KMS_URL').replace(/\/$/, '');
  const artifacts = artifactsDir();
  const email = env('ADMIN_EMAIL');
  const password = env('ADMIN_PASSWORD');

  const browser = await launch();
  t.after(() => browser.close());
  const page = await newPage(browser);
  const step = steps(t, artifacts, () => page);
  const projectName = 'Payments';
  const aesKey = 'payments-data';
  const rsaKey = 'release-signing';
  let projectId;
  let ciphertext;
  let kmsUrl;
  let signature;

  await step('first-run setup creates the organization and shows the admin token once', async () => {
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(/\/Account\/Setup/);
    await page.fill('[id="Input.Organization"]', 'Example Corp');
    await page.fill('[id="Input.Email"]', email);
    await page.fill('[id="Input.Password"]', password);
    await page.fill('[id="Input.ConfirmPassword"]', password);
    await screenshot(page, artifacts, '01-setup-form');
    await assertAccessible(page, 'the setup page');
    await page.click('#setup-submit');
    await page.waitForSelector('#setup-done');
    const token = (await page.textContent('#admin-token')).trim();
    assert.match(token, /^\S{20,}$/);
    await assertAccessible(page, 'the setup page showing the token');
    // The one-time token has a copy button; it lands on the clipboard as shown.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    await page.click('#copy-admin-token');
    await page.waitForFunction(() => document.getElementById('copy-admin-token-status')?.textContent === 'Copied to the clipboard');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    await page.evaluate(() => { document.getElementById('admin-token').textContent = '(hidden in the screenshot)'; });
    await screenshot(page, artifacts, '02-setup-done');
  });

  await step('the setup page is gone once the instance is set up', async () => {
    await page.click('#continue-to-sign-in');
    await page.waitForURL(/\/Account\/Login/);
    await page.goto(`${baseUrl}/Account/Setup`);
    await page.waitForURL(/\/Account\/Login/);
  });

  await step('sign in', async () => {
    await page.goto(`${baseUrl}/Account/Login`);
    await assertAccessible(page, 'the sign-in page');
    await signIn(page, baseUrl, email, password);
    await page.waitForURL(/\/projects$/);
    await page.waitForSelector('#no-projects');
    assert.equal((await page.textContent('#org-name')).trim(), 'Example Corp');
    await screenshot(page, artifacts, '03-signed-in');
    await assertAccessible(page, 'the projects page');
  });

  await step('the account pages wear the app\'s theme, light and dark', async () => {
    // The app's page background and its primary colour (the palette variable, as the browser resolves it).
    const colours = () => page.evaluate(() => {
      const probe = document.createElement('div');
      probe.style.backgroundColor = 'var(--mud-palette-primary)';
      document.body.append(probe);
      const primary = getComputedStyle(probe).backgroundColor;
      probe.remove();
      return { background: getComputedStyle(document.body).backgroundColor, primary };
    });
    const accountColours = () => page.evaluate(() => ({
      background: getComputedStyle(document.querySelector('.account-page')).backgroundColor,
      primary: getComputedStyle(document.querySelector('.account-card .btn-primary')).backgroundColor,
    }));
    const app = await colours();
    await page.goto(`${baseUrl}/Account/Manage/TwoFactorAuthentication`);
    const account = await accountColours();
    assert.deepEqual(account, app);
    await screenshot(page, artifacts, '03b-account-light');
    await assertAccessible(page, 'the two-factor page (light)');
    await page.goto(`${baseUrl}/Account/Manage/EnableAuthenticator`);
    await assertAccessible(page, 'the two-factor set-up page');

    await page.goto(`${baseUrl}/projects`);
    await interactive(page);
    await page.click('#theme-toggle');
    await page.waitForFunction((light) => getComputedStyle(document.body).backgroundColor !== light, app.background);
    const dark = await colours();
    await page.goto(`${baseUrl}/Account/Manage/TwoFactorAuthentication`);
    assert.deepEqual(await accountColours(), dark);
    assert.notEqual(dark.background, app.background);
    await screenshot(page, artifacts, '03c-account-dark');
    await assertAccessible(page, 'the two-factor page (dark)');

    await page.goto(`${baseUrl}/projects`);
    await interactive(page);
    await page.click('#theme-toggle');
    await page.waitForFunction((light) => getComputedStyle(document.body).backgroundColor === light, app.background);
  });

  await step('create a project', async () => {
    await page.click('#create-project');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the Create Project dialog', '.mud-dialog');
    await closeWithEscape(page);
    await page.click('#create-project');
    await page.fill('#project-name', projectName);
    await page.fill('#project-description', 'Card data and release signing');
    await page.click('#project-create:not([disabled])');
    await page.locator('#projects-table a', { hasText: projectName }).waitFor();
    await screenshot(page, artifacts, '04-projects');
    await dismissSnackbars(page);   // "Project … created" sits over the Add Key button of the next page
    await page.locator('#projects-table a', { hasText: projectName }).click();
    await page.waitForURL(/\/projects\/[^/]+\/kms$/);
    projectId = new URL(page.url()).pathname.split('/')[2];
    await interactive(page);
    await page.waitForSelector('#no-keys');
    assert.match(await page.textContent('#project-title'), new RegExp(`${projectName} · your role: admin`));
    await assertAccessible(page, 'the empty Key Management page');
  });

  await step('add an AES-256-GCM key', async () => {
    await page.click('#add-key');
    await page.fill('#key-name', aesKey);
    await page.check('#usage-encrypt');
    await select(page, 'key-algorithm', 'aes-256-gcm');
    await page.fill('#key-description', 'Encrypts card data');
    await screenshot(page, artifacts, '05-add-key-dialog-aes');
    await assertAccessible(page, 'the Add Key dialog', '.mud-dialog');
    await page.click('#key-save:not([disabled])');
    await dialog(page).waitFor({ state: 'detached' });
    assert.deepEqual(await keyRow(page, aesKey), [aesKey, 'Encrypt/Decrypt', 'aes-256-gcm', 'Active', '1']);
    await dismissSnackbars(page);
  });

  await step('encrypt a sentence', async () => {
    await keyAction(page, aesKey, 'encrypt');
    await page.fill('#encrypt-data', SENTENCE);
    assert.equal(await page.isChecked('#encrypt-base64'), false);
    await page.click('#encrypt-submit');
    await page.waitForSelector('#encrypt-result');
    ciphertext = await page.inputValue('#encrypt-result');
    // v01 blob: 12-byte IV + ciphertext + 16-byte tag + "v01", base64.
    assert.equal(Buffer.from(ciphertext, 'base64').length, Buffer.byteLength(SENTENCE) + 31);
    assert.notEqual(ciphertext, Buffer.from(SENTENCE).toString('base64'));
    await screenshot(page, artifacts, '06-encrypt');
    await closeDialog(page);
  });

  await step('decrypt it with Decode Base64 on and get the same sentence back', async () => {
    await keyAction(page, aesKey, 'decrypt');
    await page.fill('#decrypt-data', ciphertext);
    await page.click('#decrypt-submit');
    await page.waitForSelector('#decrypt-result');
    assert.equal(await page.inputValue('#decrypt-result'), Buffer.from(SENTENCE).toString('base64'));
    await page.check('#decrypt-decode');
    await page.waitForFunction((text) => document.getElementById('decrypt-result')?.value === text, SENTENCE);
    assert.equal(await page.inputValue('#decrypt-result'), SENTENCE);
    await screenshot(page, artifacts, '07-decrypt');
    await assertAccessible(page, 'the Decrypt dialog', '.mud-dialog');
    await closeDialog(page);
  });

  await step('snackbars stacked over a dialog never cover its buttons', async () => {
    await dismissSnackbars(page).catch(() => {});
    await keyAction(page, aesKey, 'decrypt');
    const tampered = Buffer.from(ciphertext, 'base64');
    tampered[20] ^= 1;
    await page.fill('#decrypt-data', tampered.toString('base64'));
    await page.click('#decrypt-submit');                       // an error snackbar
    await page.waitForSelector('#decrypt-error');
    await page.fill('#decrypt-data', ciphertext);
    await page.click('#decrypt-submit');                       // "Decrypted with …"
    await page.waitForSelector('#decrypt-result');
    await page.click('#decrypt-result-copy');                  // "Copied to clipboard"
    await page.waitForFunction(() => document.querySelectorAll('.mud-snackbar').length >= 3);
    const { snackbars, buttons } = await assertSnackbarsClearOfDialogButtons(page);
    assert.ok(buttons.length >= 2, 'the dialog has its Close and Decrypt buttons');
    await screenshot(page, artifacts, '07d-snackbars-over-dialog');
    for (const viewport of [{ width: 1024, height: 640 }, { width: 800, height: 560 }]) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(100);   // layout settles
      await assertSnackbarsClearOfDialogButtons(page);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.ok(snackbars.length >= 3, `three snackbars were stacked (${snackbars.length})`);
    await closeDialog(page);
    await dismissSnackbars(page).catch(() => {});
  });

  await step('rotate the AES key on its details page', async () => {
    kmsUrl = page.url();
    const menu = await openKeyMenu(page, aesKey);
    await menu.locator('.key-action-rotate').click();
    await page.waitForURL(/\/kms\/[0-9a-f-]{36}$/);
    await page.waitForSelector('#rotate-now:not([disabled])');
    assert.equal((await page.textContent('#key-version')).trim(), '1');
    await page.click('#rotate-now');
    await dialog(page).waitFor();
    await page.click('#confirm-button');
    await page.waitForFunction(() => document.getElementById('key-version')?.textContent.trim() === '2');
    assert.equal(await page.locator('#versions-table tbody tr').count(), 2);
    await screenshot(page, artifacts, '07b-key-rotated');
    await assertAccessible(page, 'the key details page');
    await page.goto(kmsUrl);
    await interactive(page);
    assert.deepEqual(await keyRow(page, aesKey), [aesKey, 'Encrypt/Decrypt', 'aes-256-gcm', 'Active', '2']);
    await dismissSnackbars(page).catch(() => {});
  });

  await step('a ciphertext made before the rotation still decrypts to the same sentence', async () => {
    await keyAction(page, aesKey, 'decrypt');
    await page.fill('#decrypt-data', ciphertext);
    await page.click('#decrypt-submit');
    await page.waitForSelector('#decrypt-result');
    await page.check('#decrypt-decode');
    await page.waitForFunction((text) => document.getElementById('decrypt-result')?.value === text, SENTENCE);
    await screenshot(page, artifacts, '07c-decrypt-after-rotation');
    await closeDialog(page);
  });

  await step('add an RSA_4096 key', async () => {
    await page.click('#add-key');
    await page.fill('#key-name', rsaKey);
    await page.check('#usage-sign');
    await select(page, 'key-algorithm', 'RSA_4096');
    await screenshot(page, artifacts, '08-add-key-dialog-rsa');
    await page.click('#key-save:not([disabled])');
    await dialog(page).waitFor({ state: 'detached', timeout: 60_000 });   // RSA-4096 generation takes seconds
    assert.deepEqual(await keyRow(page, rsaKey), [rsaKey, 'Sign/Verify', 'RSA_4096', 'Active', '1']);
    await dismissSnackbars(page);
    await screenshot(page, artifacts, '09-key-table');
  });

  await step('sign the sentence', async () => {
    await keyAction(page, rsaKey, 'sign');
    await page.fill('#sign-data', SENTENCE);
    await select(page, 'sign-algorithm', 'RSASSA_PKCS1_V1_5_SHA_256');
    await page.click('#sign-submit');
    await page.waitForSelector('#sign-result');
    signature = await page.inputValue('#sign-result');
    assert.equal(Buffer.from(signature, 'base64').length, 512);   // RSA-4096
    await screenshot(page, artifacts, '10-sign');
    await closeDialog(page);
  });

  await step('every dialog of the key page closes on Escape and passes axe', async () => {
    for (const [key, action, what] of [
      [aesKey, 'encrypt', 'Encrypt'], [aesKey, 'decrypt', 'Decrypt'], [rsaKey, 'sign', 'Sign'], [rsaKey, 'verify', 'Verify'],
      [aesKey, 'edit', 'Edit Key'], [aesKey, 'delete', 'Delete Key'],
    ]) {
      await keyAction(page, key, action);
      await assertAccessible(page, `the ${what} dialog`, '.mud-dialog');
      await closeWithEscape(page);
    }
    for (const [button, what] of [['#add-key', 'Add Key'], ['#import-keys', 'Import Keys']]) {
      await page.click(button);
      await dialog(page).waitFor();
      await assertAccessible(page, `the ${what} dialog`, '.mud-dialog');
      await closeWithEscape(page);
    }
    await assertAccessible(page, 'the Key Management page with two keys');
  });

  await step('verify the signature: Valid', async () => {
    await keyAction(page, rsaKey, 'verify');
    await page.fill('#verify-data', SENTENCE);
    await page.fill('#verify-signature', signature);
    await select(page, 'verify-algorithm', 'RSASSA_PKCS1_V1_5_SHA_256');
    await page.click('#verify-submit');
    await page.waitForSelector('#verify-status');
    assert.equal((await page.textContent('#verify-status')).trim(), 'Valid');
    await screenshot(page, artifacts, '11-verify-valid');
  });

  await step('change one character of the data and verify again: Invalid', async () => {
    await page.click('#verify-again');
    await page.waitForSelector('#verify-data');
    assert.equal(await page.inputValue('#verify-data'), SENTENCE);
    const changed = SENTENCE.replace('fox', 'box');
    assert.equal(changed.length, SENTENCE.length);
    await page.fill('#verify-data', changed);
    await page.click('#verify-submit');
    await page.waitForSelector('#verify-status');
    assert.equal((await page.textContent('#verify-status')).trim(), 'Invalid');
    await screenshot(page, artifacts, '12-verify-invalid');
    await closeDialog(page);
  });

  await step('hand the project to the roles test', async () => {
    assert.ok(projectId);
    fs.writeFileSync(path.join(artifacts, 'state.json'),
      JSON.stringify({ projectId, projectName, keys: [aesKey, rsaKey] }, null, 2));
  });
});
