// Issue #14, sticky sessions: the web UI through nginx running the shipped example configuration
// (deploy/nginx/infisical-kms.conf) in front of several instances on one database. The administrator signs in,
// creates a project and a key, and walks five more pages by the app's own links. A Blazor Server circuit lives
// in one instance's memory, so this only works if the page, its /_blazor negotiate and the WebSocket all reach
// that instance: every response must name one instance in X-Upstream (the header the example adds), the
// signed-in page must keep its one circuit WebSocket open through every navigation, and the reconnect dialog
// must never show. Saves ARTIFACTS/nginx-01-projects-through-nginx.png, and writes STATE_FILE (the affinity
// cookie, the instance seen) for the C# side (NginxStickySessionTests), which finds every request of this
// browser in nginx's access log, the WebSocket's own line included.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { artifactsDir, dialog, dismissSnackbars, env, interactive, keyRow, launch, newPage, screenshot, select, signIn, steps } from './lib.mjs';

test('through nginx: sign in, a project, a key and five pages on one instance over one WebSocket', async (t) => {
  const baseUrl = env('KMS_URL').replace(/\/$/, '');
  const artifacts = artifactsDir();
  const stateFile = env('STATE_FILE');
  const email = env('ADMIN_EMAIL');
  const password = env('ADMIN_PASSWORD');
  const suffix = Date.now().toString(36);
  const projectName = `Behind nginx ${suffix}`;
  const keyName = `sticky-${suffix}`;

  const browser = await launch();
  t.after(() => browser.close());
  const page = await newPage(browser);
  const step = steps(t, artifacts, () => page);

  // Which instance answered each response of the nginx origin, and every WebSocket the page opened.
  const instances = new Set();
  const unlabelled = [];
  page.on('response', (response) => {
    if (!response.url().startsWith(baseUrl)) return;
    const upstream = response.headers()['x-upstream'];
    if (upstream) instances.add(upstream); else unlabelled.push(`${response.status()} ${response.url()}`);
  });
  const sockets = [];
  page.on('websocket', (socket) => {
    const entry = { url: socket.url(), closed: false, frames: 0 };
    socket.on('framereceived', () => { entry.frames += 1; });
    socket.on('close', () => { entry.closed = true; });
    sockets.push(entry);
  });

  let circuit;
  let projectId;

  /** The circuit the signed-in page opened is the only one, still open, and no reconnect dialog shows. */
  async function sameCircuit(where) {
    assert.equal(sockets.length, 1, `${where}: the page opened ${sockets.length} WebSockets: ${sockets.map((s) => s.url).join(', ')}`);
    assert.equal(sockets[0], circuit);
    assert.equal(circuit.closed, false, `${where}: the circuit's WebSocket closed`);
    assert.equal(await page.locator('#components-reconnect-modal[open]').count(), 0, `${where}: the reconnect dialog is showing`);
  }

  /** Follows a navigation link of the app (client-side, on the circuit) and waits for the page's content. */
  async function navigate(link, url, content) {
    const framesBefore = circuit.frames;
    await (typeof link === 'string' ? page.locator(link) : link).click();
    await page.waitForURL(url);
    await page.locator(content).first().waitFor();
    assert.ok(circuit.frames > framesBefore, `${url}: the page rendered without a frame on the circuit`);
    await sameCircuit(String(url));
  }

  await step('sign in through nginx: one circuit WebSocket to /_blazor', async () => {
    await signIn(page, baseUrl, email, password);
    await page.waitForURL(/\/projects$/);
    assert.equal(sockets.length, 1, `expected one WebSocket, got: ${sockets.map((s) => s.url).join(', ')}`);
    circuit = sockets[0];
    assert.match(circuit.url, /\/_blazor\?id=/);
    await sameCircuit('signed in');
  });

  await step('create a project in the UI', async () => {
    await page.click('#create-project');
    await page.fill('#project-name', projectName);
    await page.fill('#project-description', 'Created through nginx');
    await page.click('#project-create:not([disabled])');
    await page.locator('#projects-table a', { hasText: projectName }).waitFor();
    await dismissSnackbars(page);
    await sameCircuit('project created');
  });

  await step('open it and add an AES-256-GCM key', async () => {
    await navigate(page.locator('#projects-table a', { hasText: projectName }), /\/projects\/[^/]+\/kms$/, '#no-keys');
    projectId = new URL(page.url()).pathname.split('/')[2];
    assert.match(await page.textContent('#project-title'), new RegExp(`${projectName} · your role: admin`));
    await page.click('#add-key');
    await page.fill('#key-name', keyName);
    await page.check('#usage-encrypt');
    await select(page, 'key-algorithm', 'aes-256-gcm');
    await page.click('#key-save:not([disabled])');
    await dialog(page).waitFor({ state: 'detached' });
    assert.deepEqual(await keyRow(page, keyName), [keyName, 'Encrypt/Decrypt', 'aes-256-gcm', 'Active', '1']);
    await dismissSnackbars(page);
    await sameCircuit('key created');
  });

  await step('project members, audit log, organization members, identities and back to projects, on the same circuit', async () => {
    await navigate('#nav-project-members', `${baseUrl}/projects/${projectId}/members`, '#no-user-members');
    await navigate('#nav-audit-logs', `${baseUrl}/projects/${projectId}/audit-logs`, '#audit-table tr.audit-row .audit-event:text-is("create-cmek")');
    await navigate('#nav-org-members', `${baseUrl}/organization/members`, `#org-members :text("${email}")`);
    await navigate('#nav-identities', `${baseUrl}/organization/identities`, '#create-identity');
    await navigate('.mud-nav-link[href="projects"]', `${baseUrl}/projects`, `#projects-table a:text("${projectName}")`);
    await screenshot(page, artifacts, 'nginx-01-projects-through-nginx');
  });

  await step('every response came from one instance, named by X-Upstream', async () => {
    assert.deepEqual(unlabelled, [], 'responses without X-Upstream');
    assert.equal(instances.size, 1, `the browser was served by ${[...instances].join(' and ')}`);
    const affinity = (await page.context().cookies(baseUrl)).find((c) => c.name === 'kms_affinity');
    assert.ok(affinity, 'nginx set no kms_affinity cookie');
    assert.match(affinity.value, /^[0-9a-f]{32}$/);
    await sameCircuit('the end');
    fs.writeFileSync(stateFile, JSON.stringify({
      affinity: affinity.value, instance: [...instances][0], circuit: circuit.url, circuitFrames: circuit.frames, projectId,
    }, null, 2));
  });
});
