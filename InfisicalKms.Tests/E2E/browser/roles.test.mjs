// Project roles in the browser (issue #3): a viewer sees the keys but every crypto and edit item is
// disabled; a user with no membership in the project cannot open it. Runs after key-management.test.mjs
// (ARTIFACTS/state.json names the project and its keys); the C# harness seeds both users in between.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  artifactsDir, closeMenu, env, interactive, keyRow, launch, newPage, openKeyMenu, screenshot, signIn, steps,
} from './lib.mjs';

// Row-menu items that only read (KeyMenu.For): a viewer may use these. Every other item uses key material
// or changes the key (encrypt, decrypt, sign, verify, MAC, rotate, export, edit, enable/disable, delete).
const READ_ONLY = new Set(['copypublickey', 'details']);

/** Asserts a viewer's menu: the read-only items enabled, every other (crypto and edit) item disabled. */
function assertViewerMenu(items, mustHave) {
  for (const action of mustHave) {
    assert.ok(action in items, `the menu lacks ${action}: ${JSON.stringify(items)}`);
  }
  for (const [action, enabled] of Object.entries(items)) {
    assert.equal(enabled, READ_ONLY.has(action), `${action} must be ${READ_ONLY.has(action) ? 'enabled' : 'disabled'} for a viewer`);
  }
}

/** The row-menu items of a key as { action: enabled }. */
async function menuItems(page, keyName) {
  const menu = await openKeyMenu(page, keyName);
  const items = await menu.locator('[class*="key-action-"]').evaluateAll((elements) => elements.map((e) => ({
    action: [...e.classList].find((c) => c.startsWith('key-action-')).slice('key-action-'.length),
    enabled: !(e.matches('[disabled], [aria-disabled="true"], .mud-menu-item-disabled, .mud-list-item-disabled')
      || e.closest('[aria-disabled="true"], .mud-menu-item-disabled, .mud-list-item-disabled') !== null),
  })));
  return Object.fromEntries(items.map((i) => [i.action, i.enabled]));
}

test('project roles: a viewer sees keys with every crypto and edit item disabled; a non-member cannot open the project', async (t) => {
  const baseUrl = env('KMS_URL').replace(/\/$/, '');
  const artifacts = artifactsDir();
  const viewerEmail = env('VIEWER_EMAIL');
  const outsiderEmail = env('OUTSIDER_EMAIL');
  const password = env('USER_PASSWORD');
  const state = JSON.parse(fs.readFileSync(path.join(artifacts, 'state.json'), 'utf8'));
  const [aesKey, rsaKey] = state.keys;
  const kmsUrl = `${baseUrl}/projects/${state.projectId}/kms`;

  const browser = await launch();
  t.after(() => browser.close());
  let page;
  const step = steps(t, artifacts, () => page);

  await step('viewer: signs in in a fresh browser context and sees the project', async () => {
    page = await newPage(browser);
    await signIn(page, baseUrl, viewerEmail, password);
    await page.waitForURL(/\/projects$/);
    await page.locator('#projects-table a', { hasText: state.projectName }).waitFor();
    assert.equal(await page.isDisabled('#create-project'), true, 'Create Project is for organization admins');
    await page.locator('#projects-table a', { hasText: state.projectName }).click();
    await page.waitForURL(kmsUrl);
    await interactive(page);
  });

  await step('viewer: sees both keys, and Add Key and Import Keys are disabled', async () => {
    await page.waitForSelector('#keys-table');
    assert.match(await page.textContent('#project-title'), /your role: viewer/);
    // The administrator's flow rotated the encryption key once.
    assert.deepEqual(await keyRow(page, aesKey), [aesKey, 'Encrypt/Decrypt', 'aes-256-gcm', 'Active', '2']);
    assert.deepEqual(await keyRow(page, rsaKey), [rsaKey, 'Sign/Verify', 'RSA_4096', 'Active', '1']);
    assert.equal(await page.isDisabled('#add-key'), true);
    for (const button of await page.locator('#import-keys').all()) {
      assert.equal(await button.isDisabled(), true);
    }
    await screenshot(page, artifacts, '13-viewer-key-table');
  });

  await step('viewer: every crypto and edit item of the encryption key is disabled', async () => {
    const items = await menuItems(page, aesKey);
    assertViewerMenu(items, ['encrypt', 'decrypt', 'edit', 'toggledisabled', 'delete']);
    // A disabled item says why when hovered.
    await page.hover('.mud-popover-open .key-action-encrypt', { force: true });
    await page.locator('.mud-popover-open.mud-tooltip', { hasText: 'Access Restricted' }).waitFor();
    await screenshot(page, artifacts, '14-viewer-menu-aes');
    // A click on a disabled item opens nothing.
    await page.locator('.mud-popover-open .key-action-encrypt').click({ force: true });
    await page.waitForTimeout(500);
    assert.equal(await page.locator('.mud-dialog').count(), 0);
    await closeMenu(page);
  });

  await step('viewer: every crypto and edit item of the signing key is disabled; Copy Public Key is not', async () => {
    const items = await menuItems(page, rsaKey);
    assertViewerMenu(items, ['sign', 'verify', 'copypublickey', 'edit', 'toggledisabled', 'delete']);
    await screenshot(page, artifacts, '15-viewer-menu-rsa');
    await closeMenu(page);
    await page.context().close();
  });

  await step('non-member: signs in in a fresh browser context and sees no project', async () => {
    page = await newPage(browser);
    await signIn(page, baseUrl, outsiderEmail, password);
    await page.waitForURL(/\/projects$/);
    await page.waitForSelector('#no-projects');
    assert.equal(await page.locator('#projects-table').count(), 0);
    assert.equal(await page.getByText(state.projectName, { exact: true }).count(), 0);
  });

  await step('non-member: opening the project by its URL is refused', async () => {
    await page.goto(kmsUrl);
    await interactive(page);
    await page.waitForSelector('#project-problem');
    assert.match(await page.textContent('#project-problem'), /does not exist, or you are not a member of it/);
    assert.equal(await page.locator('#keys-table').count(), 0);
    assert.equal(await page.locator('#add-key').count(), 0);
    const html = await page.content();
    for (const name of [aesKey, rsaKey]) {
      assert.equal(html.includes(name), false, `the page must not show the key ${name}`);
    }
    await screenshot(page, artifacts, '16-non-member-refused');
  });
});
