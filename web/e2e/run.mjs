#!/usr/bin/env node
// Browser tests of the dashboard against a real hookstream server.
//
//   HOOKSTREAM_BIN=../bin/hookstream npm run e2e
//
// Starts `$HOOKSTREAM_BIN serve` on a free port with a fresh data directory and a random
// bootstrap token, waits for /readyz, drives Debian's Chromium (/usr/bin/chromium) through
// playwright-core, and stops the server. Each scenario saves e2e/output/<name>.png. Any browser
// console error or page error fails the scenario it happened in. The last line reads
// `e2e: N passed, M failed`; the exit code is non-zero on any failure.
//
// The binary embeds web/dist at build time: run `npm run build` before `go build`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const webDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.join(webDir, 'e2e', 'output');
const bin = path.resolve(webDir, process.env.HOOKSTREAM_BIN ?? '../bin/hookstream');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const READY_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 15_000;
const POLL_TIMEOUT_MS = 60_000;

function log(...args) {
  console.log('[e2e]', ...args);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitReady(base, proc) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode} before it was ready (see e2e/output/server.log)`);
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  throw new Error(`server not ready after ${READY_TIMEOUT_MS / 1000}s (see e2e/output/server.log)`);
}

async function stopServer(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timeout = sleep(30_000).then(() => 'timeout');
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    log('server did not stop within 30 s after SIGTERM; sending SIGKILL');
    proc.kill('SIGKILL');
    await exited;
  }
}

/** Retries `fn` until it returns without throwing, reloading nothing: pages poll on their own. */
async function eventually(fn, timeoutMs = POLL_TIMEOUT_MS, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      await sleep(1000);
    }
  }
  throw new Error(`timed out waiting for ${what}: ${last?.message ?? last}`);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function main() {
  await mkdir(outDir, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'hookstream-e2e-data-'));
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'hookstream-e2e-chromium-'));
  const token = `e2e_${randomBytes(24).toString('hex')}`;
  const serverLog = createWriteStream(path.join(outDir, 'server.log'));

  log(`starting ${bin} serve on ${base}`);
  const proc = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      HOOKSTREAM_HTTP_ADDR: `127.0.0.1:${port}`,
      HOOKSTREAM_DATA_DIR: dataDir,
      HOOKSTREAM_BOOTSTRAP_TOKEN: token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.pipe(serverLog, { end: false });
  proc.stderr.pipe(serverLog, { end: false });
  const spawnError = new Promise((_, reject) => proc.once('error', reject));

  const results = [];
  let context;
  try {
    await Promise.race([waitReady(base, proc), spawnError]);
    log('server ready');
    const index = await (await fetch(`${base}/`)).text();
    if (!index.includes('id="root"')) {
      throw new Error('GET / does not serve the dashboard: run `npm run build` in web/ before building the binary');
    }

    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1400, height: 1000 },
      acceptDownloads: true,
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    let browserErrors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') browserErrors.push(`console: ${msg.text()} (${msg.location().url ?? ''})`);
    });
    page.on('pageerror', (err) => browserErrors.push(`pageerror: ${err.message}`));

    const state = { webhookName: 'GitHub e2e', webhookPath: `gh-e2e-${randomBytes(3).toString('hex')}` };

    const failedNames = new Set();
    /** Runs one scenario; one whose prerequisite failed fails at once instead of timing out. */
    async function scenario(name, needs, fn) {
      const missing = needs.filter((n) => failedNames.has(n));
      if (missing.length) {
        failedNames.add(name);
        results.push({ name, ok: false });
        log(`FAIL ${name}: not run, needs ${missing.join(', ')}`);
        return;
      }
      browserErrors = [];
      const started = Date.now();
      let error;
      try {
        await fn();
        // Let late responses surface their console errors inside this scenario.
        await page.waitForLoadState('networkidle', { timeout: 2000 }).catch(() => {});
        if (browserErrors.length) error = new Error(`browser errors:\n  ${browserErrors.join('\n  ')}`);
      } catch (e) {
        error = e;
        if (browserErrors.length) error.message += `\nbrowser errors:\n  ${browserErrors.join('\n  ')}`;
      }
      await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true }).catch(() => {});
      const ms = Date.now() - started;
      results.push({ name, ok: !error });
      if (error) failedNames.add(name);
      if (error) log(`FAIL ${name} (${ms} ms): ${error.message}`);
      else log(`ok   ${name} (${ms} ms)`);
    }

    await scenario('login', [], async () => {
      await page.goto(`${base}/`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
      const stored = await page.evaluate(() => sessionStorage.getItem('hookstream.token'));
      assert(stored === token, 'the token is not kept in sessionStorage');
    });

    await scenario('create-webhook', ['login'], async () => {
      await page.getByRole('link', { name: 'New webhook' }).click();
      await page.getByRole('heading', { name: 'New webhook' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill(state.webhookName);
      await page.getByLabel('Path', { exact: true }).fill(state.webhookPath);
      await page.getByLabel('Auth type').selectOption('signature');
      await page.getByLabel('Signature scheme').selectOption('github');
      await page.getByLabel('Priority').selectOption({ label: 'High' });
      await page.getByRole('button', { name: 'Create webhook' }).click();
      await page.getByRole('heading', { name: `Webhook ${state.webhookName}` }).waitFor();
      const m = /\/webhooks\/([^/?#]+)$/.exec(new URL(page.url()).pathname);
      assert(m, `unexpected URL after create: ${page.url()}`);
      state.webhookId = decodeURIComponent(m[1]);
      state.url = (await page.getByTestId('webhook-url').textContent())?.trim();
      assert(state.url?.endsWith(`/api/v1/webhooks/${state.webhookPath}`), `unexpected webhook URL ${state.url}`);
      const secret = await page.getByLabel('Current secret').inputValue();
      assert(secret.length >= 16, 'the created secret is not shown');
    });

    await scenario('copy-url', ['create-webhook'], async () => {
      await page.goto(`${base}/webhooks`);
      const button = page.getByRole('button', { name: `Copy URL of ${state.webhookName}` });
      await button.click();
      await page.getByRole('status').filter({ hasText: `Copied ${state.url}` }).waitFor();
      const clip = await page.evaluate(() => navigator.clipboard.readText());
      assert(clip === state.url, `clipboard holds ${JSON.stringify(clip)}, want ${state.url}`);
    });

    await scenario('signed-test', ['create-webhook'], async () => {
      await page.goto(`${base}/webhooks/${encodeURIComponent(state.webhookId)}/test`);
      await page.getByRole('heading', { name: `Test console: ${state.webhookName}` }).waitFor();
      await page.getByRole('button', { name: 'Add header' }).click();
      await page.getByLabel('Header 2 Name').fill('Authorization');
      await page.getByLabel('Header 2 Value').fill('Bearer should-be-redacted');
      await page.getByRole('textbox', { name: 'Request body', exact: true }).fill('{"action":"opened","number":1,"repository":{"name":"hookstream"}}');
      const sign = page.getByLabel("Sign with this webhook's secret");
      assert(await sign.isChecked(), 'signing is not on by default for a signature webhook');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByLabel('Status 202').waitFor();
      const link = page.getByRole('heading', { name: 'Response', exact: true }).locator('..').locator('a[href^="/events/"]');
      const href = await link.first().getAttribute('href');
      assert(href, 'the response shows no event link');
      state.eventId = decodeURIComponent(href.replace('/events/', ''));
      await page.getByRole('heading', { name: 'Last 10 tests' }).waitFor();
    });

    await scenario('history', ['signed-test'], async () => {
      await page.goto(`${base}/events`);
      await page.getByRole('heading', { name: 'Event history' }).waitFor();
      // The list polls every 5 s; the projection writes the row asynchronously.
      await page.getByRole('link', { name: `View event ${state.eventId}` }).waitFor({ timeout: POLL_TIMEOUT_MS });
    });

    await scenario('event-detail', ['history'], async () => {
      await page.getByRole('link', { name: `View event ${state.eventId}` }).click();
      await page.getByRole('heading', { name: `Event ${state.eventId}` }).waitFor();
      const table = page.getByRole('table', { name: 'Request headers' });
      const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^authorization$/i }) });
      const value = (await row.getByRole('cell').textContent()) ?? '';
      assert(/redacted/i.test(value), `Authorization shows ${JSON.stringify(value)}, want it redacted`);
      assert(!value.includes('should-be-redacted'), 'the Authorization value leaked');
      const body = (await page.getByLabel('Request body', { exact: true }).textContent()) ?? '';
      assert(body.includes('"action": "opened"'), 'the body is not shown formatted');
    });

    await scenario('replay-edited', ['event-detail'], async () => {
      await page.getByRole('button', { name: 'Replay with edited payload' }).click();
      await page.getByRole('textbox', { name: 'Edited payload', exact: true }).fill('{"action":"edited","number":2}');
      await page.getByLabel('Reason').fill('e2e edited replay');
      await page.getByRole('button', { name: 'Send edited replay' }).click();
      const status = page.getByRole('status').filter({ hasText: 'Replayed as' });
      await status.waitFor();
      state.replayId = (await status.getByRole('link').textContent())?.trim();
      // The original's detail polls every 5 s until replay.requested is projected.
      const chain = page.getByRole('list', { name: 'Replay chain' });
      await chain.getByText(`Replay 1: ${state.replayId}`).waitFor({ timeout: POLL_TIMEOUT_MS });
      await chain.getByText('edited payload', { exact: false }).waitFor();
      // And the replay points back at its original.
      await chain.getByRole('link', { name: `Replay 1: ${state.replayId}` }).click();
      await page.getByRole('heading', { name: `Event ${state.replayId}` }).waitFor();
      await page.getByRole('list', { name: 'Replay chain' }).getByRole('link', { name: `Original ${state.eventId}` }).waitFor({ timeout: POLL_TIMEOUT_MS });
      const body = (await page.getByLabel('Request body', { exact: true }).textContent()) ?? '';
      assert(body.includes('"action": "edited"'), 'the replay does not carry the edited body');
    });

    await scenario('rule-builder', ['create-webhook'], async () => {
      await page.goto(`${base}/webhooks/${encodeURIComponent(state.webhookId)}/filters`);
      await page.getByRole('heading', { name: `Filters: ${state.webhookName}` }).waitFor();
      await page.getByRole('button', { name: 'Add rule', exact: true }).click();
      await page.getByLabel('Rule 1 Field').fill('$.action');
      await page.getByLabel('Rule 1 Operator').selectOption('equals');
      await page.getByLabel('Rule 1 Value', { exact: true }).fill('opened');
      const json = JSON.parse(await page.getByRole('textbox', { name: 'Rule set JSON', exact: true }).inputValue());
      const want = { logic: 'and', rules: [{ field: '$.action', operator: 'equals', value: 'opened', enabled: true }], groups: [] };
      assert(JSON.stringify(json) === JSON.stringify(want), `rule set JSON is ${JSON.stringify(json)}`);
      await page.getByRole('button', { name: 'Save filters' }).click();
      await page.getByRole('status').filter({ hasText: 'Filters saved.' }).waitFor();
      await page.getByRole('button', { name: 'Test against the last 20 events' }).click();
      await page.getByRole('heading', { name: 'Test results' }).waitFor();
      await page.getByRole('status').filter({ hasText: /pass(es)? the rule set/ }).waitFor();
    });

    await scenario('export-csv', ['signed-test'], async () => {
      await page.goto(`${base}/events`);
      await page.getByRole('heading', { name: 'Event history' }).waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const name = download.suggestedFilename();
      assert(name.endsWith('.csv'), `download is named ${name}`);
      const file = await download.path();
      const text = await readFile(file, 'utf8');
      assert(text.includes(state.eventId), 'the CSV does not contain the test event');
      await page.getByRole('status').filter({ hasText: 'Downloaded' }).waitFor();
    });

    await scenario('batch-replay', ['history'], async () => {
      await page.goto(`${base}/events`);
      await page.getByRole('checkbox', { name: `Select event ${state.eventId}` }).check();
      await page.getByRole('button', { name: 'Count matching (dry run)' }).click();
      await page.getByRole('status').filter({ hasText: '1 events would be replayed.' }).waitFor();
      await page.getByRole('button', { name: 'Start batch replay' }).click();
      const progress = page.getByRole('progressbar', { name: /Batch replay/ });
      await progress.waitFor();
      await page.getByText('Batch replay completed').waitFor({ timeout: POLL_TIMEOUT_MS });
      await page.getByRole('status').filter({ hasText: /1 of 1 \(\d+ replayed/ }).waitFor();
    });

    await scenario('webhook-edit', ['create-webhook'], async () => {
      await page.goto(`${base}/webhooks/${encodeURIComponent(state.webhookId)}`);
      await page.getByRole('heading', { name: `Webhook ${state.webhookName}` }).waitFor();
      await page.getByLabel('Rate limit').check();
      await page.getByLabel('Requests per second').fill('50');
      await page.getByLabel('Burst').fill('100');
      await page.getByRole('button', { name: 'Add metadata rule' }).click();
      await page.getByLabel('Metadata rule 1 Key').fill('repo');
      await page.getByLabel('Metadata rule 1 Source').selectOption('body');
      await page.getByLabel('Metadata rule 1 JSON path').fill('$.repository.name');
      await page.getByLabel('Mask paths').fill('$.sender.email');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await page.reload();
      assert((await page.getByLabel('Requests per second').inputValue()) === '50', 'rate limit not saved');
      assert((await page.getByLabel('Metadata rule 1 Key').inputValue()) === 'repo', 'metadata rule not saved');
      await page.getByRole('button', { name: 'Show secret' }).click();
      const before = await page.getByLabel('Current secret').inputValue();
      await page.getByRole('button', { name: 'Regenerate secret' }).click();
      const dialog = page.getByRole('dialog', { name: 'Regenerate the signing secret?' });
      await dialog.getByLabel(/Grace period/).fill('1');
      await dialog.getByRole('button', { name: 'Regenerate' }).click();
      await dialog.waitFor({ state: 'detached' });
      await eventually(async () => {
        const after = await page.getByLabel('Current secret').inputValue();
        assert(after && after !== before, 'secret unchanged');
        assert((await page.getByLabel('Previous secret (grace period)').inputValue()) === before, 'old secret not kept for the grace period');
      }, STEP_TIMEOUT_MS, 'the rotated secret');
    });

    await scenario('event-types', ['login'], async () => {
      await page.goto(`${base}/event-types`);
      await page.getByRole('heading', { name: 'Event types', exact: true }).waitFor();
      await page.getByRole('link', { name: 'webhook.received', exact: true }).click();
      await page.getByRole('heading', { name: 'webhook.received' }).waitFor();
      await page.getByRole('heading', { name: 'Schema', exact: true }).waitFor();
      await page.getByRole('textbox', { name: 'Payload to validate', exact: true }).fill('{"method": 5}');
      await page.getByRole('button', { name: 'Validate', exact: true }).click();
      await page.getByRole('status').filter({ hasText: /Invalid|Valid/ }).waitFor();
    });

    await scenario('settings', ['login'], async () => {
      await page.goto(`${base}/settings`);
      await page.getByLabel('Retention (days, 1–365)').fill('14');
      await page.getByRole('button', { name: 'Save retention' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved: 14 days.' }).waitFor();
      await page.reload();
      assert((await page.getByLabel('Retention (days, 1–365)').inputValue()) === '14', 'retention not saved');
    });
  } catch (e) {
    log(`setup failed: ${e.message}`);
    results.push({ name: 'setup', ok: false });
  } finally {
    if (context) await context.close().catch(() => {});
    await stopServer(proc);
    serverLog.end();
    await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    await rm(profileDir, { recursive: true, force: true }).catch(() => {});
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  console.log('e2e: 0 passed, 1 failed');
  process.exit(1);
});
