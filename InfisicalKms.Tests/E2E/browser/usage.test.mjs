// Key usage charts and the project dashboard (issue 17), run by UsageBrowserTests after a real workload through the
// REST API (USAGE_WORKLOAD: the project, its keys with the numbers each must show, the callers). The administrator
// opens the busy key's page and reads its Usage section in the 24h, 7d and 30d windows, an unused key's "No
// operations yet", then the project dashboard from the navigation and from the Key Management page. Every number is
// read from the charts' accessible tables, the pages pass axe in light and dark mode, and the charts' bars must be
// painted in the theme's palette colours in both. Saves docs/images/dashboard.png (the README's screenshot) and
// docs/images/key-usage.png into DOCS_IMAGES.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { artifactsDir, assertAccessible, env, interactive, launch, newPage, screenshot, signIn, steps } from './lib.mjs';

/** The palette variables UsageChartData paints with (operations, then failures). */
const OPERATION_VARS = ['primary', 'info', 'success', 'tertiary', 'secondary', 'warning', 'text-secondary', 'primary-darken', 'info-darken'];
const FAILURE_VARS = ['error', 'error-darken', 'error-lighten'];

/** The text of an element, trimmed and with its white space collapsed. */
async function text(page, selector) {
  return (await page.innerText(selector)).trim().replace(/\s+/g, ' ');
}

/**
 * What a usage table says: the per-column sums over its body rows (one row per bucket with operations), the
 * tfoot's per-column totals, and the number of body rows.
 */
async function usageTable(page, prefix) {
  return page.evaluate((id) => {
    const table = document.getElementById(id);
    const columns = [...table.querySelectorAll('thead th[data-column]')].map((th) => th.dataset.column);
    const rows = [...table.querySelectorAll('tbody tr')];
    const sum = Object.fromEntries(columns.map((c) => [c, rows.reduce((n, row) => n + Number(row.querySelector(`td[data-column="${c}"]`).textContent), 0)]));
    const foot = Object.fromEntries(columns.map((c) => [c, Number(table.querySelector(`tfoot td[data-column="${c}"]`).textContent)]));
    return { columns, sum, foot, rows: rows.length };
  }, `${prefix}-table`);
}

/** The rows of a top-actors table: name, operations, failures. */
async function topActors(page, id) {
  return page.evaluate((tableId) => [...document.querySelectorAll(`#${tableId} tbody tr`)].map((row) => ({
    name: row.querySelector('.top-actor-name').textContent.trim(),
    count: Number(row.querySelector('.top-actor-count').textContent),
    failures: Number(row.querySelector('.top-actor-failures').textContent),
  })), id);
}

/** The failure reasons table as { reason: count }. */
async function failureReasons(page, id) {
  return page.evaluate((tableId) => Object.fromEntries([...document.querySelectorAll(`#${tableId} tbody tr`)].map((row) => [
    row.querySelector('.failure-reason-name').textContent.trim(), Number(row.querySelector('.failure-reason-count').textContent)])), id);
}

/** Asserts the numbers of a usage table against the expected per-column counts, total and failures. */
async function assertUsageTable(page, prefix, expected, what) {
  const table = await usageTable(page, prefix);
  assert.deepEqual(table.sum, expected.columns, `${what}: the columns summed over the table's rows`);
  assert.deepEqual(table.foot, expected.columns, `${what}: the table's Total row`);
  assert.ok(table.rows >= 1, `${what}: the table lists the buckets with operations`);
  if (expected.total !== undefined) {   // a failures-only table has no Total column
    assert.equal(await text(page, `#${prefix}-total`), String(expected.total), `${what}: #${prefix}-total`);
  }
  assert.equal(await text(page, `#${prefix}-failures`), String(expected.failures), `${what}: #${prefix}-failures`);
}

/**
 * Clicks a window button ("24h", "7d", "30d") and waits until it is pressed, the others are not, and the new
 * window's report has replaced the old one (the table's caption names the window, and the progress bar is gone).
 */
async function chooseWindow(page, name, prefix, loading) {
  const caption = `#${prefix}-table caption`;
  const before = await text(page, caption);
  await page.click(`#usage-window-${name}`);
  await page.waitForFunction(([n, c, b, l]) => ['24h', '7d', '30d'].every((w) => document.getElementById(`usage-window-${w}`)?.getAttribute('aria-pressed') === String(w === n))
    && !document.getElementById(l)
    && document.querySelector(c) && document.querySelector(c).textContent.trim().replace(/\s+/g, ' ') !== b, [name, caption, before, loading]);
  assert.match(await text(page, caption), name === '24h' ? /UTC hours from/ : /UTC days from/);
  await assertPressedLooks(page, name);
}

/**
 * The chosen window's button looks pressed (filled: an opaque primary background) and the others do not (outlined:
 * no background, or the faint tint of a hovered button): aria-pressed alone does not show a sighted user which
 * window the numbers are for. Waits for the buttons' colour transitions to end.
 */
async function assertPressedLooks(page, name) {
  const backgrounds = () => page.evaluate(() => Object.fromEntries(['24h', '7d', '30d'].map((w) =>
    [w, getComputedStyle(document.getElementById(`usage-window-${w}`)).backgroundColor])));
  await page.waitForFunction((chosen) => ['24h', '7d', '30d'].every((w) => {
    const parts = getComputedStyle(document.getElementById(`usage-window-${w}`)).backgroundColor.match(/[\d.]+/g).map(Number);
    const alpha = parts.length === 4 ? parts[3] : 1;
    return w === chosen ? alpha === 1 : alpha < 0.5;
  }), name, { timeout: 10_000 }).catch(async () => {
    throw new Error(`the ${name} button should look pressed and the others not: ${JSON.stringify(await backgrounds())}`);
  });
}

/**
 * Checks that a chart's bars are drawn: its SVG has bar shapes with a size, and each is painted (fill, or stroke
 * when it is drawn as a line) in one of the palette colours the chart asks for, resolved in the current theme;
 * a var() the browser could not resolve in SVG would leave the default black or nothing. `failures` says whether
 * bars in the error colours must be there; `operations` whether bars in the operation colours must be.
 * Returns the colours found.
 */
async function assertBarsPainted(page, chartId, { operations, failures }, what) {
  const found = await page.evaluate(([id, opVars, failVars]) => {
    const resolve = (name) => {
      const probe = document.createElement('span');
      probe.style.color = `var(--mud-palette-${name})`;
      document.body.appendChild(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return colour;
    };
    const operationColours = opVars.map(resolve);
    const failureColours = failVars.map(resolve);
    const invisible = (c) => !c || c === 'none' || c === 'transparent' || /^rgba\(.*,\s*0\)$/.test(c);
    const chart = document.getElementById(id);
    const shapes = [...chart.querySelectorAll('svg rect, svg path, svg line, svg polygon')];
    const bars = shapes.filter((e) => /bar/i.test(e.getAttribute('class') ?? '') || /bar/i.test(e.parentElement?.getAttribute('class') ?? ''));
    return {
      shapes: shapes.length,
      bars: bars.map((e) => {
        const style = getComputedStyle(e);
        const box = e.getBBox();
        const paint = !invisible(style.fill) ? style.fill : style.stroke;
        return {
          tag: e.tagName, cls: e.getAttribute('class'), fillAttr: e.getAttribute('fill'), strokeAttr: e.getAttribute('stroke'),
          fill: style.fill, stroke: style.stroke, paint, visible: !invisible(paint) && (box.width > 0 || box.height > 0),
          kind: operationColours.includes(paint) ? 'operation' : failureColours.includes(paint) ? 'failure' : 'other',
        };
      }),
      operationColours, failureColours,
    };
  }, [chartId, OPERATION_VARS, FAILURE_VARS]);
  const detail = JSON.stringify(found, null, 1);
  assert.ok(found.bars.length > 0, `${what}: no bar shapes in #${chartId}'s SVG (${found.shapes} shapes):\n${detail}`);
  const painted = found.bars.filter((b) => b.visible);
  assert.ok(painted.length > 0, `${what}: no bar in #${chartId} is painted:\n${detail}`);
  const stray = painted.filter((b) => b.kind === 'other');
  assert.equal(stray.length, 0, `${what}: bars in #${chartId} painted in a colour that is not the theme's (an unresolved var()?):\n${detail}`);
  assert.equal(painted.some((b) => b.kind === 'operation'), operations, `${what}: bars in the operation colours in #${chartId}:\n${detail}`);
  assert.equal(painted.some((b) => b.kind === 'failure'), failures, `${what}: bars in the error colours in #${chartId}:\n${detail}`);
  return [...new Set(painted.map((b) => b.paint))].sort();
}

/** Switches the theme with the app bar's toggle and waits until the page's background has changed. */
async function toggleTheme(page) {
  const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.click('#theme-toggle');
  await page.waitForFunction((b) => getComputedStyle(document.body).backgroundColor !== b, before);
}

/** Whether the page is in dark mode: a dark background. */
async function isDark(page) {
  return page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
    return (r + g + b) / 3 < 128;
  });
}

test('Key usage: a real workload\'s totals on the key page and the project dashboard, light and dark', async (t) => {
  const baseUrl = env('KMS_URL').replace(/\/$/, '');
  const artifacts = artifactsDir();
  const images = env('DOCS_IMAGES');
  const workload = JSON.parse(env('USAGE_WORKLOAD'));
  const { projectId, keys } = workload;
  const { busy, second, idle } = keys;

  const browser = await launch();
  t.after(() => browser.close());
  const page = await newPage(browser, { viewport: { width: 1280, height: 900 } });
  const step = steps(t, artifacts, () => page);
  let lightColours;

  await step('signs in and opens the busy key\'s page: the Usage section\'s 24h table holds the workload', async () => {
    await signIn(page, baseUrl, env('ADMIN_EMAIL'), env('ADMIN_PASSWORD'));
    if (await isDark(page)) await toggleTheme(page);   // the screenshots are of the light theme first
    await page.goto(`${baseUrl}/projects/${projectId}/kms/${busy.id}`);
    await interactive(page);
    await page.locator('#key-usage-table').waitFor();
    assert.equal(await page.getAttribute('#usage-window-24h', 'aria-pressed'), 'true', '24h is the key page\'s default window');
    assert.equal(await page.getAttribute('#usage-window-7d', 'aria-pressed'), 'false');
    assert.equal(await page.getAttribute('#usage-window-30d', 'aria-pressed'), 'false');
    await assertPressedLooks(page, '24h');
    assert.match(await text(page, '#key-usage-table caption'), /UTC hours from/);
    await assertUsageTable(page, 'key-usage', busy, 'the key\'s 24h table');
    assert.deepEqual(await topActors(page, 'key-top-actors'), workload.busyActors, 'top actors, busiest first');
    assert.deepEqual(await failureReasons(page, 'key-failure-reasons'), workload.failureReasons);
    assert.match(await text(page, '#key-last-used'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/, 'last used is a time, not "Never"');
    assert.match(await page.getAttribute('#key-usage-chart', 'aria-label'), new RegExp(`Total ${busy.total}\\b`), 'the chart\'s label gives the total');
    lightColours = await assertBarsPainted(page, 'key-usage-chart', { operations: true, failures: true }, 'the key chart (light)');
    console.log(`# key chart bars (light): ${lightColours.join(' ')}`);
    await assertAccessible(page, 'the key page with its usage (light)');
    await screenshot(page, artifacts, 'usage-01-key-24h');
    // Clipped from a full-page capture, where the fixed app bar stays at the top instead of covering the section.
    const box = await page.locator('#key-usage').evaluate((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
    });
    await page.screenshot({ path: path.join(images, 'key-usage.png'), fullPage: true, clip: box });
  });

  await step('7d and 30d: the pressed button moves and the totals stay the same', async () => {
    await chooseWindow(page, '7d', 'key-usage', 'key-usage-loading');
    await assertUsageTable(page, 'key-usage', busy, 'the key\'s 7d table');
    assert.equal(await page.locator('#key-usage-table tbody tr').count(), 1, 'a workload of a few seconds is one day (7d)');
    await screenshot(page, artifacts, 'usage-02-key-7d');
    await chooseWindow(page, '30d', 'key-usage', 'key-usage-loading');
    await assertUsageTable(page, 'key-usage', busy, 'the key\'s 30d table');
    assert.deepEqual(await topActors(page, 'key-top-actors'), workload.busyActors);
    await screenshot(page, artifacts, 'usage-03-key-30d');
    await chooseWindow(page, '24h', 'key-usage', 'key-usage-loading');
    await assertUsageTable(page, 'key-usage', busy, 'the key\'s 24h table again');
  });

  await step('the key page in dark mode: axe passes and the bars are painted in the dark palette', async () => {
    await toggleTheme(page);
    assert.ok(await isDark(page), 'the toggle switched to dark mode');
    const dark = await assertBarsPainted(page, 'key-usage-chart', { operations: true, failures: true }, 'the key chart (dark)');
    console.log(`# key chart bars (dark): ${dark.join(' ')}`);
    assert.notDeepEqual(dark, lightColours, 'the bars follow the theme');
    await assertAccessible(page, 'the key page with its usage (dark)');
    await screenshot(page, artifacts, 'usage-04-key-dark');
    await toggleTheme(page);
    assert.ok(!(await isDark(page)), 'back in light mode');
  });

  await step('a key nobody used: "No operations yet" and never used', async () => {
    await page.goto(`${baseUrl}/projects/${projectId}/kms/${idle.id}`);
    await interactive(page);
    await page.locator('#key-usage-empty').waitFor();
    assert.equal(await text(page, '#key-usage-empty'), 'No operations yet');
    assert.equal(await text(page, '#key-last-used'), 'Never');
    assert.equal(await page.locator('#key-usage-table').count(), 0);
    assert.equal(await page.locator('#key-usage-chart').count(), 0);
    assert.equal(await page.locator('#key-top-actors').count(), 0);
    await screenshot(page, artifacts, 'usage-05-idle-key');
  });

  await step('the dashboard from the navigation and from the Key Management page: the project\'s totals', async () => {
    await page.click('#nav-dashboard');
    await page.waitForURL(`${baseUrl}/projects/${projectId}/dashboard`);
    await page.locator('#project-usage-table').waitFor();
    await page.click(`.mud-nav-link[href="projects/${projectId}/kms"]`);
    await page.waitForURL(`${baseUrl}/projects/${projectId}/kms`);
    await page.click('#open-dashboard');
    await page.waitForURL(`${baseUrl}/projects/${projectId}/dashboard`);
    await page.locator('#project-usage-table').waitFor();
    await page.locator('#rotation-due').waitFor();
    assert.equal(await page.getAttribute('#usage-window-7d', 'aria-pressed'), 'true', '7d is the dashboard\'s default window');
    await assertPressedLooks(page, '7d');

    const byColumn = {};
    for (const key of [busy, second]) {
      for (const [column, count] of Object.entries(key.columns)) byColumn[column] = (byColumn[column] ?? 0) + count;
    }
    await assertUsageTable(page, 'project-usage', { columns: byColumn, total: workload.projectTotal, failures: workload.projectFailures }, 'the project\'s 7d table');
    const busiest = await page.evaluate(() => [...document.querySelectorAll('#busiest-keys tbody tr')].map((row) => ({
      name: row.querySelector('.busiest-key-name').textContent.trim(),
      href: row.querySelector('.busiest-key-name a')?.getAttribute('href'),
      total: Number(row.querySelector('.busiest-key-total').textContent),
      failures: Number(row.querySelector('.busiest-key-failures').textContent),
    })));
    assert.deepEqual(busiest, [busy, second].map((k) => ({ name: k.name, href: `projects/${projectId}/kms/${k.id}`, total: k.total, failures: k.failures })),
      'the busiest keys, busiest first, each linking to its page; the unused key is not listed');
    assert.deepEqual(await failureReasons(page, 'failure-reasons'), workload.failureReasons);
    await assertUsageTable(page, 'failures', { columns: { 'decrypt (failed)': 1 }, failures: 1 }, 'the failures table');
    assert.deepEqual(await topActors(page, 'project-top-actors'), workload.projectActors);
    assert.equal(await text(page, '#unused-keys'), 'Every key older than 30 days was used in the last 30 days.');
    assert.equal(await text(page, '#rotation-due'), 'No key is due for rotation.');
  });

  await step('the dashboard in light mode: axe, painted bars, and the README\'s screenshot', async () => {
    const usage = await assertBarsPainted(page, 'project-usage-chart', { operations: true, failures: true }, 'the project chart (light)');
    const failed = await assertBarsPainted(page, 'failures-chart', { operations: false, failures: true }, 'the failures chart (light)');
    console.log(`# dashboard bars (light): ${usage.join(' ')} | failures: ${failed.join(' ')}`);
    await assertAccessible(page, 'the dashboard (light)');
    await page.screenshot({ path: path.join(images, 'dashboard.png') });   // the viewport, 1280x900
    await screenshot(page, artifacts, 'usage-06-dashboard');
  });

  await step('the dashboard\'s 24h and 30d windows hold the same totals', async () => {
    for (const name of ['24h', '30d', '7d']) {
      await chooseWindow(page, name, 'project-usage', 'dashboard-loading');
      assert.equal(await text(page, '#project-usage-total'), String(workload.projectTotal), `the project's total (${name})`);
      assert.equal(await text(page, '#project-usage-failures'), String(workload.projectFailures), `the project's failures (${name})`);
      assert.equal(await text(page, '#busiest-keys tbody tr:first-child .busiest-key-total'), String(busy.total), `the busiest key's total (${name})`);
    }
  });

  await step('the dashboard in dark mode: axe and painted bars', async () => {
    await toggleTheme(page);
    assert.ok(await isDark(page), 'the toggle switched to dark mode');
    const usage = await assertBarsPainted(page, 'project-usage-chart', { operations: true, failures: true }, 'the project chart (dark)');
    const failed = await assertBarsPainted(page, 'failures-chart', { operations: false, failures: true }, 'the failures chart (dark)');
    console.log(`# dashboard bars (dark): ${usage.join(' ')} | failures: ${failed.join(' ')}`);
    await assertAccessible(page, 'the dashboard (dark)');
    await screenshot(page, artifacts, 'usage-07-dashboard-dark');
    await toggleTheme(page);
  });
});
