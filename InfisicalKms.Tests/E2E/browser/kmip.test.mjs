// KMIP clients in the web UI (issue 16), run by KmipBrowserTests: on a server with KMIP enabled, the administrator
// opens the project's KMIP page from the navigation, adds a client with every permission, issues it a certificate
// and downloads the bundle (one zip). Outside the browser, PyKMIP connects with exactly the bundle's files and
// creates an AES key; back in the browser that key is on the project's Key Management page.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  artifactsDir, assertAccessible, closeWithEscape, dialog, dismissSnackbars, env, interactive, keyRow, launch, newPage, screenshot, signIn, steps,
} from './lib.mjs';

const PERMISSIONS = ['create', 'register', 'locate', 'get', 'get-attributes', 'activate', 'revoke', 'destroy', 'encrypt', 'decrypt', 'sign', 'verify', 'mac'];
const KEY_NAME = 'from-bundle';

/** Runs a program to the end; fails with its output when it exits non-zero. */
function run(file, args, input) {
  const result = spawnSync(file, args, { input, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`${file} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The cells of a client's row in the KMIP clients table: name, description, permissions, created, status. */
async function clientRow(page, name) {
  const row = page.locator('#kmip-clients-table tbody tr').filter({ has: page.locator('.kmip-client-name', { hasText: name }) });
  await row.waitFor();
  return {
    permissions: (await row.locator('.kmip-permission-chip').allInnerTexts()).map((t) => t.trim()),
    status: (await row.locator('.kmip-client-status').innerText()).trim(),
  };
}

/** Opens the row menu of a KMIP client and clicks one of its actions ("issuecertificate", "edit", ...). */
async function clientAction(page, name, action) {
  const menu = page.locator('.mud-popover-open').filter({ has: page.locator('[class*="kmip-action-"]') });
  await page.click(`button[aria-label="Actions for ${name}"]`);
  await menu.locator(`.kmip-action-${action}`).click();
  await dialog(page).waitFor();
}

test('KMIP clients: a client made in the UI, its bundle downloaded and used by PyKMIP, the key it creates listed', async (t) => {
  const baseUrl = env('KMS_URL').replace(/\/$/, '');
  const artifacts = artifactsDir();
  const projectId = env('PROJECT_ID');
  const kmipPort = env('KMIP_PORT');
  const clientName = env('KMIP_CLIENT');
  const python = env('PYTHON');
  const driver = env('PYKMIP_DRIVER');
  const bundleDir = path.join(artifacts, 'kmip-bundle');
  const zipFile = path.join(bundleDir, `kmip-${clientName}.zip`);
  const unpacked = path.join(bundleDir, 'unpacked');

  const browser = await launch();
  t.after(() => browser.close());
  const page = await newPage(browser);
  const step = steps(t, artifacts, () => page);

  await step('signs in and opens the project\'s KMIP page from the navigation', async () => {
    await signIn(page, baseUrl, env('ADMIN_EMAIL'), env('ADMIN_PASSWORD'));
    await page.goto(`${baseUrl}/projects/${projectId}/kms`);
    await interactive(page);
    await page.click('#nav-kmip');
    await page.waitForURL(`${baseUrl}/projects/${projectId}/kmip`);
    await page.locator('#no-kmip-clients').waitFor();
    assert.equal((await page.innerText('#kmip-status')).trim(), 'Enabled');
    assert.equal((await page.innerText('#kmip-port')).trim(), kmipPort, 'the page gives the port the listener bound');
    assert.equal(await page.locator('#kmip-download-ca').count(), 1);
    await assertAccessible(page, 'the KMIP page');
    await screenshot(page, artifacts, '21-kmip-page');
  });

  await step('adds a client with every permission (the dialog also closes on Escape)', async () => {
    await page.click('#add-kmip-client');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the empty Add KMIP Client dialog', '.mud-dialog');   // also waits for the dialog's animation
    await closeWithEscape(page);
    await page.click('#add-kmip-client');
    await page.fill('#kmip-client-name', clientName);
    await page.fill('#kmip-client-description', 'Used by the browser test with PyKMIP');
    await page.click('#kmip-permission-all');
    // Every box ticks once the circuit has answered the click.
    await page.waitForFunction((names) => names.every((n) => document.getElementById(`kmip-permission-${n}`)?.checked), PERMISSIONS);
    await assertAccessible(page, 'the Add KMIP Client dialog', '.mud-dialog');
    await screenshot(page, artifacts, '22-kmip-add-client');
    await page.click('#kmip-client-save');
    await page.locator('.mud-snackbar', { hasText: `KMIP client ${clientName} created` }).waitFor();
    const row = await clientRow(page, clientName);
    assert.deepEqual(row.permissions, PERMISSIONS);
    assert.equal(row.status, 'Active');
    await dismissSnackbars(page);
    await screenshot(page, artifacts, '23-kmip-client-table');
  });

  await step('the page passes axe in dark mode too', async () => {
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.click('#theme-toggle');
    await page.waitForFunction((before) => getComputedStyle(document.body).backgroundColor !== before, light);
    await assertAccessible(page, 'the KMIP page (dark)');
    await screenshot(page, artifacts, '24-kmip-page-dark');
    await page.click('#theme-toggle');
    await page.waitForFunction((before) => getComputedStyle(document.body).backgroundColor === before, light);
  });

  await step('issues a certificate (the form closes on Escape too) and downloads the bundle', async () => {
    await clientAction(page, clientName, 'issuecertificate');
    await page.locator('#kmip-issue').waitFor();
    await assertAccessible(page, 'the Issue Certificate dialog', '.mud-dialog');   // also waits for the dialog's animation
    await screenshot(page, artifacts, '25-kmip-issue-dialog');
    await closeWithEscape(page);
    await clientAction(page, clientName, 'issuecertificate');
    await page.locator('#kmip-issue').waitFor();
    await page.click('#kmip-issue');
    await page.locator('#kmip-download-bundle').waitFor();
    assert.equal(await page.locator('#kmip-download-bundle').count(), 1);
    assert.match(await page.innerText('#kmip-key-warning'), /cannot be shown or downloaded again/);
    await assertAccessible(page, 'the Issue Certificate dialog showing the bundle', '.mud-dialog');
    await screenshot(page, artifacts, '26-kmip-bundle-ready');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#kmip-download-bundle')]);
    assert.equal(download.suggestedFilename(), `kmip-${clientName}.zip`);
    fs.mkdirSync(bundleDir, { recursive: true });
    await download.saveAs(zipFile);
    await closeWithEscape(page);   // the key goes with the dialog
    await dismissSnackbars(page);
  });

  await step('the bundle holds the four files, and pykmip.conf names this server', async () => {
    run(python, ['-m', 'zipfile', '-e', zipFile, unpacked]);
    assert.deepEqual(fs.readdirSync(unpacked).sort(), ['ca.pem', 'client.key', 'client.pem', 'pykmip.conf']);
    const config = fs.readFileSync(path.join(unpacked, 'pykmip.conf'), 'utf8');
    assert.match(config, /^\[client\]$/m);
    assert.match(config, new RegExp(`^port=${kmipPort}$`, 'm'));
    assert.match(config, /^certfile=client\.pem$/m);
    assert.match(config, /^keyfile=client\.key$/m);
    assert.match(config, /^ca_certs=ca\.pem$/m);
  });

  await step('PyKMIP connects with the bundle and creates an AES key', async () => {
    if (!fs.existsSync(driver)) {
      throw new Error(`the PyKMIP driver ${driver} is missing: it comes with part D of issue 16 (branch kmip-pykmip)`);
    }
    const steps = [{ op: 'create', algorithm: 'AES', length: 256, name: KEY_NAME }];
    const stdout = run(python, [driver, '--host', '127.0.0.1', '--port', kmipPort,
      '--cert', path.join(unpacked, 'client.pem'), '--key', path.join(unpacked, 'client.key'), '--ca', path.join(unpacked, 'ca.pem')], JSON.stringify(steps));
    const results = JSON.parse(stdout);
    assert.equal(results.length, 1, stdout);
    assert.equal(results[0].ok, true, `PyKMIP create failed: ${stdout}`);
    assert.match(results[0].uid, /^[0-9a-f-]{36}$/);
  });

  await step('the bundle\'s pykmip.conf works as it is: PyKMIP reads it and asks the server its versions', async () => {
    // From the bundle's folder, as the README says: its file names are relative.
    const script = [
      'from kmip.core import enums',
      'from kmip.pie.client import ProxyKmipClient',
      "client = ProxyKmipClient(config='client', config_file='pykmip.conf')",
      'client.proxy.timeout = 30',
      'client.open()',
      'result = client.proxy.discover_versions()',
      'client.close()',
      "print('ok' if result.result_status.value == enums.ResultStatus.SUCCESS else result.result_message)",
    ].join('\n');
    const result = spawnSync(python, ['-c', script], { cwd: unpacked, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.stdout.trim(), 'ok', `PyKMIP with pykmip.conf: exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  });

  await step('the key PyKMIP created is on the project\'s Key Management page', async () => {
    await page.click(`.mud-nav-link[href="projects/${projectId}/kms"]`);
    await page.waitForURL(`${baseUrl}/projects/${projectId}/kms`);
    // Created over KMIP, a key is Pre-Active until a client activates it: the product shows it disabled.
    assert.deepEqual(await keyRow(page, KEY_NAME), [KEY_NAME, 'Encrypt/Decrypt', 'aes-256-gcm', 'Disabled', '1']);
    await screenshot(page, artifacts, '27-kmip-key-from-bundle');
  });
});
