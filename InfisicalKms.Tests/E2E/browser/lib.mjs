// Shared helpers for the browser tests: configuration from the environment, the Chromium launch,
// Blazor circuit readiness, MudBlazor controls, screenshots, Content-Security-Policy violations and the
// axe-core accessibility check.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const HERE = path.dirname(new URL(import.meta.url).pathname);

/** A required environment variable; a missing one fails the test (never skips it). */
export function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: the C# harness (KeyManagementBrowserTests) passes it`);
  }
  return value;
}

/** Where the screenshots go: ARTIFACTS (the harness passes TestResults/e2e), else ./artifacts here. */
export function artifactsDir() {
  const dir = process.env.ARTIFACTS || path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// platform-notes §6: headless, no sandbox (root), and nothing that reaches out to the network.
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with apt-get install chromium (test.sh does)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/**
 * Every Content-Security-Policy violation any page reported: Chromium's console message ("Refused to … because
 * it violates the following Content Security Policy directive") and the page's securitypolicyviolation event.
 * steps() fails the step during which one appears.
 */
const cspViolations = [];

/** Takes (and clears) the CSP violations reported so far. */
export function takeCspViolations() {
  return cspViolations.splice(0);
}

/** A fresh, isolated browser context (its own cookies) with a page that logs browser errors and CSP violations. */
export async function newPage(browser, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(30_000);   // generous: CI machines can be busy
  await context.exposeBinding('kmsReportCspViolation', (_source, text) => { cspViolations.push(text); });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.kmsReportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} in ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`# browser error: ${error.message}`));
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    if (message.type() === 'error') console.log(`# browser console error: ${message.text()}`);
  });
  return page;
}

/** Waits until the Blazor Server circuit is up: prerendered HTML says "false" (platform-notes §6, P12). */
export async function interactive(page) {
  await page.waitForSelector('#circuit[data-interactive="true"]', { state: 'attached' });
}

/** Signs in on the static-SSR login form and waits for the interactive app. */
export async function signIn(page, baseUrl, email, password) {
  await page.goto(`${baseUrl}/Account/Login`);
  await page.fill('[id="Input.Email"]', email);
  await page.fill('[id="Input.Password"]', password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/Account/')), page.click('form button[type="submit"]')]);
  await interactive(page);
}

/** The open MudBlazor dialog (the last one, if several are stacked). */
export function dialog(page) {
  return page.locator('.mud-dialog').last();
}

/** Closes the open dialog with its "Close" button and waits until it is gone. */
export async function closeDialog(page) {
  const count = await page.locator('.mud-dialog').count();
  await dialog(page).getByRole('button', { name: 'Close', exact: true }).click();
  await page.waitForFunction((n) => document.querySelectorAll('.mud-dialog').length < n, count);
}

/**
 * Picks an option of a MudSelect. With a value, the id lands on a hidden input and the visible combobox is
 * its next sibling; with none yet (a nullable value), the input carrying the id is the combobox itself.
 * The options render in a popover.
 */
export async function select(page, id, optionText) {
  await page.click(`[id="${id}"][role="combobox"], [id="${id}"] ~ [role="combobox"]`);
  const exact = optionText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');   // labels like "name (identity)" are text, not patterns
  await page.locator('.mud-popover-open .mud-list-item').filter({ hasText: new RegExp(`^\\s*${exact}\\s*$`) }).click();
  await page.waitForFunction(
    ([selector, text]) => document.querySelector(selector)?.textContent.trim() === text,
    [`[id="${id}"] ~ [role="combobox"]`, optionText]);
}

/**
 * Opens the row menu of a key in the key table and returns the popover that holds its items. A click that
 * lands just as a dialog goes away now and then opens nothing (seen once in three runs right after the
 * encrypt dialog closed), so a menu that has not opened after a few seconds gets one more click.
 */
export async function openKeyMenu(page, keyName) {
  const menu = page.locator('.mud-popover-open').filter({ has: page.locator('[class*="key-action-"]') });
  for (let attempt = 1; ; attempt++) {
    await page.click(`button[aria-label="Actions for ${keyName}"]`);
    try {
      await menu.waitFor({ timeout: attempt < 3 ? 5_000 : undefined });
      return menu;
    } catch (error) {
      if (await menu.isVisible()) return menu;   // it opened just after the wait: do not click it shut
      if (attempt === 3) throw error;
    }
  }
}

/**
 * Runs a row-menu action of a key ("encrypt", "decrypt", "sign", "verify", ...) and waits for its dialog. Right
 * after a dialog closed (on Escape) a menu that had just opened was seen to close again before its item could
 * be clicked (once in four runs), so the menu is opened again, at most twice, when its item is gone.
 */
export async function keyAction(page, keyName, action) {
  for (let attempt = 1; ; attempt++) {
    const menu = await openKeyMenu(page, keyName);
    try {
      await menu.locator(`.key-action-${action}`).click({ timeout: attempt < 3 ? 5_000 : undefined });
      break;
    } catch (error) {
      if (attempt === 3 || await page.locator('.mud-dialog').count() > 0) throw error;
    }
  }
  await dialog(page).waitFor();
}

/**
 * Closes an open MudMenu popover with a click outside it (on the page title): MudBlazor closes menus on
 * outside clicks, not on Escape, and its overlay lets clicks through.
 */
export async function closeMenu(page) {
  await page.click('#project-title');
  await page.locator('.mud-popover-open [class*="key-action-"]').first().waitFor({ state: 'detached' });
}

/** Saves a full-page PNG into ARTIFACTS and returns its path; `mask` lists locators painted over (secrets). */
export async function screenshot(page, artifacts, name, { mask = [] } = {}) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, mask });
  return file;
}

/**
 * Runs the steps of one flow in order. A failing step saves a screenshot (failure-<step>.png) and fails
 * every later step at once instead of letting each wait for its timeout.
 */
export function steps(t, artifacts, getPage) {
  let broken = null;
  return async (name, body) => t.test(name, async () => {
    if (broken) {
      throw new Error(`not run: the earlier step "${broken}" failed`);
    }
    try {
      await body();
      const violations = takeCspViolations();
      if (violations.length > 0) {
        throw new Error(`Content-Security-Policy violations:\n${violations.join('\n')}`);
      }
    } catch (error) {
      broken = name;
      const page = getPage();
      if (page) {
        const file = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        await page.screenshot({ path: path.join(artifacts, `failure-${file}.png`), fullPage: true }).catch(() => {});
      }
      throw error;
    }
  });
}

/** The cells of a key's row in the key table: name, usage, algorithm, status, version (the key ID left out). */
export async function keyRow(page, keyName) {
  const row = page.locator('#keys-table tbody tr').filter({ has: page.locator('.key-name', { hasText: keyName }) });
  await row.waitFor();
  const cells = (await row.locator('td').allInnerTexts()).map((text) => text.trim().replace(/\s+/g, ' '));
  return [cells[0], cells[2], cells[3], cells[4], cells[5]];
}

/** Closes every snackbar, so none covers a button the next step clicks. */
export async function dismissSnackbars(page) {
  for (const button of await page.locator('.mud-snackbar button').all()) {
    await button.click().catch(() => {});   // it may have gone by itself meanwhile
  }
  await page.locator('.mud-snackbar').first().waitFor({ state: 'detached' });
}

/** Waits until every MudBlazor dialog is gone. */
export async function noDialog(page) {
  await page.waitForFunction(() => document.querySelectorAll('.mud-dialog').length === 0);
}

/**
 * Presses Escape in the open dialog and waits until it is gone: every dialog closes on Escape. The dialog hears
 * Escape only while the focus is inside it, so this first checks that the dialog has taken the focus, as a
 * keyboard user needs it to, and says where the focus is when it has not.
 */
export async function closeWithEscape(page) {
  const count = await page.locator('.mud-dialog').count();
  await page.waitForFunction(() => {
    const dialogs = document.querySelectorAll('.mud-dialog-container');
    return dialogs.length > 0 && dialogs[dialogs.length - 1].contains(document.activeElement);
  }, null, { timeout: 10_000 }).catch(async () => {
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      return e ? `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} "${(e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 40)}"` : 'nothing';
    });
    throw new Error(`the open dialog does not have the focus (${focused} has it), so Escape cannot close it`);
  });
  await page.keyboard.press('Escape');
  await page.waitForFunction((n) => document.querySelectorAll('.mud-dialog').length < n, count);
}

const AXE_SOURCE = path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js');

/**
 * Runs axe-core on the page (or the part `selector` names, e.g. an open dialog) and fails with every serious
 * or critical violation, each with its rule and the elements it found. axe is evaluated in the page through
 * the DevTools protocol rather than added as a script tag: the app's CSP (rightly) refuses inline scripts,
 * and the check must run with the CSP on.
 */
export async function assertAccessible(page, what, selector) {
  // Colours are measured once snackbars have faded in and transitions have ended (endless ones, spinners, left).
  await page.waitForFunction(() => [...document.querySelectorAll('.mud-snackbar')].every((e) => getComputedStyle(e).opacity === '1'));
  await page.evaluate(() => Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
    .map((a) => a.finished.catch(() => {}))));
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(fs.readFileSync(AXE_SOURCE, 'utf8'));
  }
  const results = await page.evaluate(async (include) => {
    const result = await window.axe.run(include ? { include: [include] } : document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => `${n.target.join(' ')}: ${n.html.slice(0, 160)}${n.any[0]?.message ? ` (${n.any[0].message})` : ''}`) }));
  }, selector ?? null);
  const bad = results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    const lines = bad.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n    ${v.targets.join('\n    ')}`);
    throw new Error(`axe-core found ${bad.length} serious or critical violation(s) on ${what}:\n${lines.join('\n')}`);
  }
  const minor = results.filter((v) => !bad.includes(v));
  if (minor.length > 0) console.log(`# axe on ${what}: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
}

/** The bounding boxes of the shown snackbars and of the open dialog's action buttons; fails if any overlap. */
export async function assertSnackbarsClearOfDialogButtons(page) {
  const boxes = await page.evaluate(() => {
    const box = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, text: e.textContent.trim() }; };
    return {
      snackbars: [...document.querySelectorAll('.mud-snackbar')].map(box),
      buttons: [...document.querySelectorAll('.mud-dialog .mud-dialog-actions button')].map(box),
    };
  });
  const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (const snackbar of boxes.snackbars) {
    for (const button of boxes.buttons) {
      if (overlap(snackbar, button)) {
        throw new Error(`the snackbar "${snackbar.text}" ${JSON.stringify(snackbar)} covers the dialog button "${button.text}" ${JSON.stringify(button)}`);
      }
    }
  }
  return boxes;
}
