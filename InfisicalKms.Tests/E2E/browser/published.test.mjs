// Issue #15, "start from anywhere": run by PublishedServerBrowserTests against the `dotnet publish -c Release`
// output started from an unrelated working folder in Production. With the Content-Security-Policy on (any
// violation fails the step), the pages load their styles and scripts, the first-run setup copies its token,
// the administrator signs in, the circuit comes up over its WebSocket, and axe-core finds nothing serious.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  artifactsDir, assertAccessible, closeWithEscape, dialog, env, launch, newPage, screenshot, signIn, steps,
  takeCspViolations,
} from './lib.mjs';

test('published binary: assets, setup, sign-in and a dialog under the CSP', async (t) => {
  const baseUrl = env('KMS_URL').replace(/\/$/, '');
  const artifacts = artifactsDir();
  const email = env('ADMIN_EMAIL');
  const password = env('ADMIN_PASSWORD');

  const browser = await launch();
  t.after(() => browser.close());
  const page = await newPage(browser);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  const step = steps(t, artifacts, () => page);
  let adminToken;

  await step('the setup page is styled and its scripts ran', async () => {
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(/\/Account\/Setup/);
    const loaded = await page.evaluate(() => ({
      blazor: typeof window.Blazor,
      kms: typeof window.kms,
      mud: typeof window.mudElementRef,
      header: getComputedStyle(document.querySelector('.account-header')).backgroundColor,
      font: getComputedStyle(document.body).fontFamily,
    }));
    assert.deepEqual([loaded.blazor, loaded.kms, loaded.mud], ['object', 'object', 'object']);
    assert.notEqual(loaded.header, 'rgba(0, 0, 0, 0)', 'app.css and the theme colour the header');
    assert.match(loaded.font, /Roboto/, 'the theme sets the font');
    await assertAccessible(page, 'the setup page');
  });

  await step('first-run setup shows the token with a working copy button', async () => {
    await page.fill('[id="Input.Organization"]', 'Published Corp');
    await page.fill('[id="Input.Email"]', email);
    await page.fill('[id="Input.Password"]', password);
    await page.fill('[id="Input.ConfirmPassword"]', password);
    await page.click('#setup-submit');
    await page.waitForSelector('#setup-done');
    const token = (await page.textContent('#admin-token')).trim();
    adminToken = token;
    await page.click('#copy-admin-token');
    await page.waitForFunction(() => document.getElementById('copy-admin-token-status')?.textContent === 'Copied to the clipboard');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  });

  await step('sign in: the interactive app comes up with MudBlazor styles', async () => {
    await signIn(page, baseUrl, email, password);
    await page.waitForURL(/\/projects$/);
    await page.waitForSelector('#no-projects');
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.mud-appbar')).position), 'fixed');
    await screenshot(page, artifacts, 'published-01-signed-in');
    await assertAccessible(page, 'the projects page');
  });

  await step('a dialog opens, passes axe and closes on Escape', async () => {
    await page.click('#create-project');
    await dialog(page).waitFor();
    await assertAccessible(page, 'the Create Project dialog', '.mud-dialog');
    await closeWithEscape(page);
  });

  await step('the API reference renders under its own policy, and its calls carry the bearer token', async () => {
    await page.goto(`${baseUrl}/api/docs/`);
    // The first group's operations and the bearer-token field (the others render as they are scrolled to).
    await page.waitForFunction(() => ['/api/v1/auth/universal-auth/login', 'Bearer Token'].every(text => document.body.innerText.includes(text)),
      null, { timeout: 60_000 });
    await screenshot(page, artifacts, 'published-02-api-reference');
    // What "Test Request" does from this page: a same-origin fetch with the token, allowed by connect-src 'self'.
    const status = await page.evaluate(
      async (bearer) => (await fetch('/api/v1/projects', { headers: { Authorization: `Bearer ${bearer}` } })).status, adminToken);
    assert.equal(status, 200);

    // Scalar's bundle carries Zod, which probes once whether it may compile validators (try { Function('') }
    // catch { use the interpreter }). The policy refuses, as it should, and Zod carries on without: that one
    // report is expected; any other violation still fails the step.
    const others = takeCspViolations().filter(v => !/blocked eval in .*\/api\/docs\/scalar\.js/.test(v));
    assert.deepEqual(others, []);
  });
});
