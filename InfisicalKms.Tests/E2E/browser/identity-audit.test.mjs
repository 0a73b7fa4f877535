// A machine identity end to end (issue #6): in the browser the administrator creates a machine identity,
// attaches Universal Auth, creates a client secret (read from the dialog that shows it once) and adds the
// identity to the project as cryptographic-operator; outside the browser the official @infisical/sdk signs
// in with that client ID and secret and encrypts with the project's AES key (its ID read from the key
// table); back in the browser the project's audit log shows that cmek-encrypt record with the identity as
// actor, and the chain verifies intact. Runs after key-management.test.mjs (ARTIFACTS/state.json).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  artifactsDir, assertAccessible, closeWithEscape, dialog, dismissSnackbars, env, interactive, keyRow, launch, newPage, screenshot, select, signIn,
  steps,
} from './lib.mjs';

const SDK_VERSION = '5.0.2';
const PLAINTEXT = 'Card 4111 1111 1111 1111, encrypted by a machine identity.';

/**
 * The official SDK as the compatibility test installs it (Compat/sdk, `npm ci` from its lock file), so
 * the browser folder's own lock file needs no second copy of it.
 */
function officialSdk() {
  const folder = fileURLToPath(new URL('../../Compat/sdk/', import.meta.url));
  const manifest = path.join(folder, 'node_modules', '@infisical', 'sdk', 'package.json');
  if (!fs.existsSync(manifest)) {
    throw new Error(`@infisical/sdk is not installed in ${folder}: run npm ci there (the C# harness and test.sh do)`);
  }
  assert.equal(JSON.parse(fs.readFileSync(manifest, 'utf8')).version, SDK_VERSION);
  return createRequire(path.join(folder, 'package.json'))('@infisical/sdk');
}

/** The text of one field of the open audit record drawer. */
async function recordField(page, name) {
  return (await page.locator(`#record-drawer [data-field="${name}"]`).innerText()).trim();
}

test('machine identity: created in the UI, encrypts through the official SDK, found in the audit log', async (t) => {
  const baseUrl = env('KMS_URL').replace(/\/$/, '');
  const artifacts = artifactsDir();
  const email = env('ADMIN_EMAIL');
  const password = env('ADMIN_PASSWORD');
  const state = JSON.parse(fs.readFileSync(path.join(artifacts, 'state.json'), 'utf8'));
  const [aesKey] = state.keys;
  const { InfisicalSDK } = officialSdk();

  const browser = await launch();
  t.after(() => browser.close());
  const page = await newPage(browser);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  const step = steps(t, artifacts, () => page);
  const identityName = 'payments-service';
  let identityId;
  let clientId;
  let clientSecret;
  let keyId;
  let keyVersion;

  await step('admin: create a machine identity', async () => {
    await signIn(page, baseUrl, email, password);
    await page.click('#nav-identities');
    await page.waitForURL(/\/organization\/identities$/);
    await assertAccessible(page, 'the Machine Identities page');
    await page.click('#create-identity');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the Create Identity dialog', '.mud-dialog');
    await closeWithEscape(page);
    await page.click('#create-identity');
    await page.fill('#identity-name', identityName);
    await page.click('#identity-create:not([disabled])');
    await dialog(page).waitFor({ state: 'detached' });
    await page.locator('#identities-table .identity-name', { hasText: identityName }).click();
    await page.waitForURL(/\/organization\/identities\/[0-9a-f-]{36}$/);
    identityId = new URL(page.url()).pathname.split('/')[3];
    await page.waitForSelector('#ua-not-configured');
    assert.equal((await page.textContent('#identity-title')).trim(), identityName);
    assert.equal((await page.textContent('#identity-auth-methods')).trim(), 'none');
    await dismissSnackbars(page);
  });

  await step('attach Universal Auth: the client ID is shown with a copy button', async () => {
    await page.click('#ua-attach:not([disabled])');
    await page.waitForSelector('#client-id');
    clientId = await page.inputValue('#client-id');
    assert.match(clientId, /^[0-9a-f-]{36}$/);
    await page.waitForFunction(() => document.getElementById('identity-auth-methods')?.textContent.trim() === 'universal-auth');
    await page.waitForSelector('#no-secrets');
    await dismissSnackbars(page);
    await page.click('#client-id-copy');
    await page.locator('.mud-snackbar', { hasText: 'Copied to clipboard' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), clientId);
    await dismissSnackbars(page);
  });

  await step('create a client secret: shown once, with a warning and a copy button', async () => {
    await assertAccessible(page, 'the identity details page');
    // Before the secret exists, Escape closes the dialog like any other.
    await page.click('#create-secret');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the Create Client Secret dialog', '.mud-dialog');
    await closeWithEscape(page);
    await page.click('#create-secret');
    await page.fill('#secret-description', 'e2e audit');
    await page.click('#secret-create:not([disabled])');
    await page.waitForSelector('#client-secret');
    clientSecret = await page.inputValue('#client-secret');
    assert.match(clientSecret, /^\S{32,}$/);
    assert.match(await page.textContent('#secret-warning'), /shown only once/);
    await dismissSnackbars(page);
    await page.click('#client-secret-copy');
    await page.locator('.mud-snackbar', { hasText: 'Copied to clipboard' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), clientSecret);
    await screenshot(page, artifacts, '17-client-secret-dialog', { mask: [page.locator('#client-secret')] });
    await assertAccessible(page, 'the dialog showing the client secret', '.mud-dialog');
    // Once it shows the secret (only this once), a click outside does not close it by accident; Escape
    // does, as in every dialog.
    await page.mouse.click(5, 450);
    await page.waitForTimeout(500);
    assert.equal(await page.inputValue('#client-secret'), clientSecret, 'a click outside closed the secret dialog');
    await closeWithEscape(page);
    // Listed by its prefix only, and the dialog is the only place the whole secret was shown.
    const prefix = (await page.locator('#secrets-table .secret-prefix').innerText()).trim().replace(/…$/, '');
    assert.ok(prefix.length > 0 && clientSecret.startsWith(prefix), 'the listed prefix starts the secret');
    const stillShown = await page.evaluate((secret) => document.body.innerText.includes(secret)
      || [...document.querySelectorAll('input, textarea')].some((field) => field.value === secret), clientSecret);
    assert.equal(stillShown, false, 'the secret is still on the page after the dialog closed');
    await dismissSnackbars(page);
  });

  await step('add the identity to the project as cryptographic-operator', async () => {
    await page.click('#add-to-project');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the Add to Project dialog', '.mud-dialog');
    await closeWithEscape(page);
    await page.click('#add-to-project');
    await dialog(page).waitFor();
    await select(page, 'target-project', state.projectName);
    await select(page, 'target-role', 'cryptographic-operator');
    await page.click('#target-add:not([disabled])');
    await dialog(page).waitFor({ state: 'detached' });
    const row = page.locator('#identity-projects tbody tr').filter({ has: page.locator('.project-name', { hasText: state.projectName }) });
    assert.equal((await row.locator('.project-role').innerText()).trim(), 'cryptographic-operator');
    await dismissSnackbars(page);
    await screenshot(page, artifacts, '18-identity-details');
  });

  await step('the project members page lists the identity with its role', async () => {
    await page.locator('#identity-projects .project-name', { hasText: state.projectName }).click();
    await page.waitForURL(`${baseUrl}/projects/${state.projectId}/members`);
    await interactive(page);
    const row = page.locator('#identity-members tbody tr').filter({ has: page.locator('.member-name', { hasText: identityName }) });
    await row.waitFor();
    assert.equal((await page.textContent(`[id="identity-role-${identityId}"] ~ [role="combobox"]`)).trim(), 'cryptographic-operator');
    await assertAccessible(page, 'the Project Members page');
    await page.click('#add-user');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the Add User dialog', '.mud-dialog');
    await closeWithEscape(page);
  });

  await step('organization members, invite dialog and settings: accessible; the invite dialog closes on Escape', async () => {
    await page.click('#nav-org-members');
    await page.waitForURL(`${baseUrl}/organization/members`);
    await interactive(page);
    await page.waitForSelector('#invite-user');
    await assertAccessible(page, 'the organization Members page');
    await page.click('#invite-user');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the Invite User dialog', '.mud-dialog');
    await closeWithEscape(page);
    await page.goto(`${baseUrl}/settings`);
    await interactive(page);
    await assertAccessible(page, 'the Settings page');
  });

  await step('read the AES key ID from the key table', async () => {
    await page.goto(`${baseUrl}/projects/${state.projectId}/kms`);
    await interactive(page);
    const row = page.locator('#keys-table tbody tr').filter({ has: page.locator('.key-name', { hasText: aesKey }) });
    keyId = (await row.locator('.key-id').innerText()).trim();
    assert.match(keyId, /^[0-9a-f-]{36}$/);
    keyVersion = Number((await keyRow(page, aesKey))[4]);   // 2: key-management.test.mjs rotated it
  });

  await step('outside the browser: the official SDK signs in as the identity and encrypts', async () => {
    const sdk = new InfisicalSDK({ siteUrl: baseUrl });
    await sdk.auth().universalAuth.login({ clientId, clientSecret });
    const encryption = sdk.kms().encryption();
    const plaintext = Buffer.from(PLAINTEXT).toString('base64');
    const ciphertext = await encryption.encrypt({ keyId, plaintext });
    // A v02 blob (kms-api.md §6.3): IV(12) || ciphertext || tag(16) || uint32_be(version) || "v02".
    const blob = Buffer.from(ciphertext, 'base64');
    assert.equal(keyVersion > 1, true);
    assert.equal(blob.length, Buffer.byteLength(PLAINTEXT) + 35);
    assert.equal(blob.readUInt32BE(blob.length - 7), keyVersion);
    assert.equal(blob.subarray(-3).toString('latin1'), 'v02');
    assert.equal(await encryption.decrypt({ keyId, ciphertext }), plaintext);
  });

  await step('the audit log shows the identity\'s cmek-encrypt record', async () => {
    await page.click('#nav-audit-logs');
    await page.waitForURL(`${baseUrl}/projects/${state.projectId}/audit-logs`);
    await page.waitForSelector('#audit-table tbody tr.audit-row');
    await select(page, 'filter-event-type', 'cmek-encrypt');
    await page.waitForFunction(() => {
      const events = [...document.querySelectorAll('#audit-table tr.audit-row .audit-event')].map((e) => e.textContent.trim());
      return events.length > 0 && events.every((e) => e === 'cmek-encrypt');
    });
    // The administrator's encryption in the browser is there too; the identity's is the one to find.
    const actors = await page.locator('#audit-table tr.audit-row .audit-actor-name').allInnerTexts();
    assert.deepEqual(actors.map((a) => a.trim()).sort(), [email, identityName].sort());
    await select(page, 'filter-actor', `${identityName} (identity)`);
    await page.waitForFunction(() => document.querySelectorAll('#audit-table tr.audit-row').length === 1);
    const row = page.locator('#audit-table tr.audit-row');
    assert.equal((await row.locator('.audit-actor-name').innerText()).trim(), identityName);
    assert.equal((await row.locator('.audit-key-name').innerText()).trim(), aesKey);   // the key by name, its ID beneath
    assert.equal((await row.locator('.audit-key-id').innerText()).trim(), keyId);
    assert.equal((await row.locator('.audit-outcome').innerText()).trim(), 'success');
    await assertAccessible(page, 'the project Audit Logs page');
  });

  await step('its drawer names the identity, the key and the outcome', async () => {
    await page.locator('#audit-table tr.audit-row .audit-event').click();
    await page.waitForSelector('#record-fields');
    assert.equal(await recordField(page, 'eventType'), 'cmek-encrypt');
    assert.equal(await recordField(page, 'outcome'), 'success');
    assert.equal(await recordField(page, 'actorType'), 'identity');
    assert.equal(await recordField(page, 'actorId'), identityId);
    assert.equal(await recordField(page, 'actorName'), identityName);
    assert.equal(await recordField(page, 'projectId'), state.projectId);
    assert.equal(await recordField(page, 'keyId'), keyId);
    await screenshot(page, artifacts, '19-audit-record');
    await assertAccessible(page, 'the audit record drawer', '#record-drawer');
    await page.click('#record-close');
    await page.locator('#record-fields').waitFor({ state: 'detached' });
  });

  await step('Verify integrity: the chain is intact', async () => {
    await page.click('#verify-chain');
    await page.waitForSelector('#verify-result');
    assert.match((await page.textContent('#verify-result')).trim(), /^\d+ records? checked, chain intact$/);
    await screenshot(page, artifacts, '20-audit-verified');
  });
});
