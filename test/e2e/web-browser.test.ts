import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { ApiClient } from '../../agent/api/client';
import { TestAgent, eventually } from '../helpers/cli';
import { freePort } from '../helpers/net';
import { pacedCommand } from '../helpers/paced';

/**
 * The web view (issue #9) in a real headless Chromium from Debian, against real agents: what an
 * operator sees and clicks. Screenshots of each view go to test-artifacts/web/.
 */

const V1 = fs.existsSync('/sys/fs/cgroup/cpu/cgroup.procs') && process.getuid?.() === 0;
const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
const REPO = path.join(__dirname, '..', '..', '..');
const BUNDLE = path.join(REPO, 'dist', 'web', 'index.html');
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'web');
const SKIP = !V1 ? 'needs root and cgroup v1 controllers' : !HAS_CHROMIUM ? `no browser at ${CHROMIUM}: apt-get install chromium` : false;

/** Generous bounds for the page to catch up (waits, not timing asserts). */
const WAIT = { timeout: 30_000 };

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 60_000,
  });
}

async function webAgent(args: string[] = []): Promise<{ agent: TestAgent; url: string }> {
  assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build (node web/build.js)`);
  const port = await freePort();
  const agent = new TestAgent(undefined, 'off', ['--web-addr', `127.0.0.1:${port}`, ...args]);
  await agent.start();
  return { agent, url: `http://127.0.0.1:${port}/` };
}

/** A page that records its script errors and every request it makes (none may leave the agent). */
async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  page.setDefaultTimeout(WAIT.timeout);
  await page.goto(url);
  return { page, errors, foreign };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** The names of the workload rows in the DOM, top to bottom. */
const rowNames = (page: Page) => page.locator('[data-testid=row]').evaluateAll((els) => els.map((e) => e.dataset['name'] ?? ''));

describe('web view in Chromium', { skip: SKIP }, () => {
  let browser: Browser;
  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launch();
  });
  after(async () => { await browser?.close(); });

  it('lists workloads, filters and sorts them, follows logs, draws graphs, shows events; no control buttons without the flag', async () => {
    const { agent, url } = await webAgent();
    try {
      const marker = path.join(agent.root, 'say');
      // ticker prints whatever the test drops into a file, so the test knows what a fresh line is.
      await agent.run(['run', '-d', '--name', 'ticker', '-m', '64m', '--cpus', '0.5', '--pids-limit', '50', '--',
        'sh', '-c', `echo started; echo oops >&2; while :; do if [ -f ${marker} ]; then cat ${marker}; rm -f ${marker}; fi; sleep 0.1; done`]);
      await agent.run(['run', '-d', '--name', 'idle-a', '--', 'sleep', '300']);
      await agent.run(['run', '-d', '--name', 'idle-b', '--', 'sleep', '300']);
      await agent.run(['run', '--name', 'gone', '--', 'true']);
      const hog = await agent.run(['run', '--name', 'hog', '-m', '32m', '--', 'python3', '-c', 'b = bytearray(200 * 1024 * 1024)']);
      assert.equal(hog.code, 137, 'hog was OOM-killed');
      const { page, errors, foreign } = await openPage(browser, url);

      await page.locator('[data-testid=row][data-name=ticker]').waitFor(WAIT);
      await eventually('the three running workloads', async () => (await rowNames(page)).length === 3, 250, 40);
      assert.deepEqual((await rowNames(page)).sort(), ['idle-a', 'idle-b', 'ticker'], 'exited ones hidden by default');
      await shot(page, 'list');

      await page.locator('[data-testid=show-exited]').check();
      await eventually('the exited ones shown', async () => { const n = await rowNames(page); return n.includes('gone') && n.includes('hog'); }, 250, 40);
      // Memory's limit is the workload's own while it runs; never the host's size, never an exited one's.
      const mem = (name: string) => page.locator(`[data-testid=row][data-name=${name}] [data-testid=mem]`).textContent();
      await eventually('ticker\'s memory use sampled', async () => /^\d\S* \/ 64MiB$/.test((await mem('ticker'))!.trim()), 250, 40);
      assert.match((await mem('idle-a'))!.trim(), /^\S+ \/ --$/, 'no limit of its own: --, not the host memory');
      assert.equal((await mem('gone'))!.trim(), '-- / --', 'exited: nothing used, nothing limited');
      assert.equal((await mem('hog'))!.trim(), '-- / --', 'exited with a limit: -- too');
      // "show exited" outlives a reload, as the filter text does.
      await page.reload();
      await page.locator('[data-testid=row][data-name=gone]').waitFor(WAIT);
      assert.equal(await page.locator('[data-testid=show-exited]').isChecked(), true, 'show exited kept across a reload');
      await page.locator('[data-testid=show-exited]').uncheck();
      await eventually('the exited ones hidden again', async () => (await rowNames(page)).length === 3, 250, 40);
      // Every source of a watched workload has its own badge colour (the test can't watch a cgroup of its own: the style is checked).
      const colours = JSON.parse(String(await page.evaluate(`JSON.stringify(['', 'docker', 'systemd', 'cgroup'].map((s) => {
        const b = document.createElement('span'); b.className = 'badge src-' + s; document.body.append(b);
        const c = getComputedStyle(b).color; b.remove(); return c; }))`))) as string[];
      assert.equal(new Set(colours).size, colours.length, `a colour per source (${colours.join(', ')})`);

      await page.locator('[data-testid=sort-name]').click();
      await eventually('sorted A to Z', async () => { const n = await rowNames(page); return n.join() === 'idle-a,idle-b,ticker'; }, 250, 40);
      await page.locator('[data-testid=sort-name]').click();
      await eventually('sorted Z to A', async () => { const n = await rowNames(page); return n.join() === 'ticker,idle-b,idle-a'; }, 250, 40);

      await page.locator('[data-testid=filter]').fill('idle');
      await eventually('only the idle ones', async () => (await rowNames(page)).sort().join() === 'idle-a,idle-b', 250, 40);
      await shot(page, 'list-filtered');
      await page.locator('[data-testid=filter]').fill('');
      await eventually('all three again', async () => (await rowNames(page)).length === 3, 250, 40);

      await page.locator('[data-testid=row][data-name=ticker]').click();
      await page.locator('[data-testid=detail-name]', { hasText: 'ticker' }).waitFor(WAIT);
      await page.locator('[data-testid=log-line]', { hasText: 'started' }).waitFor(WAIT);
      assert.match(page.url(), /#\/w\/[0-9a-f]{64}$/, 'the route names the workload, so a reload keeps the view');
      assert.equal(await page.locator('[data-testid=btn-stop]').count(), 0, 'no stop button without --web-allow-control');
      assert.equal(await page.locator('[data-testid=btn-restart]').count(), 0, 'no restart button without --web-allow-control');
      assert.equal(await page.locator('.logline.stderr', { hasText: 'oops' }).count(), 1, 'stderr lines are marked as such');

      // A line written now shows up in the follow view (no timing asserted: a bounded wait).
      const fresh = `hello-web-${randomBytes(6).toString('hex')}`;
      fs.writeFileSync(`${marker}.tmp`, `${fresh}\n`);
      fs.renameSync(`${marker}.tmp`, marker);
      await page.locator('[data-testid=log-line]', { hasText: fresh }).waitFor(WAIT);

      // A workload's output is text, never markup.
      const bold = `bold-${randomBytes(6).toString('hex')}`;
      const html = `<img src=x onerror="document.title='pwned'"><b>${bold}</b>`;
      fs.writeFileSync(`${marker}.tmp`, `${html}\n`);
      fs.renameSync(`${marker}.tmp`, marker);
      const htmlLine = page.locator('[data-testid=log-line]', { hasText: bold });
      await htmlLine.waitFor(WAIT);
      assert.ok((await htmlLine.textContent())!.includes(html), 'shown as written');
      assert.equal(await page.locator('.logline img, .logline b').count(), 0, 'no element made from the output');
      assert.notEqual(await page.title(), 'pwned');

      for (const g of ['graph-cpu', 'graph-mem', 'graph-io', 'graph-pids']) {
        const graph = page.locator(`[data-testid=${g}]`);
        await eventually(`${g} has points`, async () => Number(await graph.getAttribute('data-points')) >= 2, 250, 40);
        assert.ok(await graph.locator('canvas').count() >= 1, `${g} draws on a canvas`);
        // One format along the time axis, one line per label (no date line drawn over the next label).
        const labels = (await graph.getAttribute('data-x-labels') ?? '').split('|').filter(Boolean);
        assert.ok(labels.length >= 2, `${g} labels its time axis (${labels.join(', ')})`);
        assert.ok(labels.every((l) => /^(\d\d-\d\d )?\d\d:\d\d(:\d\d)?$/.test(l)), `${g}: clock times only (${labels.join(', ')})`);
        assert.equal(new Set(labels.map((l) => l.length)).size, 1, `${g}: one format for all (${labels.join(', ')})`);
        assert.equal(new Set(labels).size, labels.length, `${g}: no label repeated (${labels.join(', ')})`);
      }
      await shot(page, 'detail');

      // Search within the loaded lines, then the download of that selection.
      await page.locator('[data-testid=logs-search]').fill(fresh);
      await eventually('only the matching line', async () => {
        const texts = await page.locator('[data-testid=log-line]').allTextContents();
        return texts.length === 1 && texts[0]!.includes(fresh);
      }, 250, 40);
      assert.equal(await page.locator('[data-testid=log-line] mark').first().textContent(), fresh, 'the match is highlighted');
      const href = await page.locator('[data-testid=logs-download]').getAttribute('href');
      assert.ok(href && !href.includes('token'), 'the download link carries the selection, never a secret');
      const download = await page.request.get(new URL(href, url).toString());
      assert.equal(download.status(), 200);
      assert.match(download.headers()['content-disposition'] ?? '', /^attachment; filename="ticker-logs.txt"/);
      const text = await download.text();
      assert.match(text, new RegExp(`^\\S+ stdout ${fresh}\\n$`), 'only the lines with the search text');
      await shot(page, 'detail-search');
      await page.locator('[data-testid=logs-search]').fill('');

      // The since box reloads from that time; a bad value says why.
      await page.locator('[data-testid=logs-since]').fill('10m');
      await page.locator('[data-testid=logs-since-apply]').click();
      await page.locator('[data-testid=log-line]', { hasText: fresh }).waitFor(WAIT);
      await page.locator('[data-testid=logs-since]').fill('yesterday-ish');
      await page.locator('[data-testid=logs-since-apply]').click();
      await page.locator('[data-testid=logs-error]', { hasText: 'since' }).waitFor(WAIT);

      await page.locator('[data-testid=nav-events]').click();
      await page.locator('[data-testid=event][data-action=oom]', { hasText: 'hog' }).waitFor(WAIT);
      assert.match(await page.locator('[data-testid=event][data-action=oom]').getAttribute('class') ?? '', /\bbad\b/, 'an OOM kill stands out');
      assert.ok(await page.locator('[data-testid=event][data-action=die]').count() >= 2, 'gone and hog died');
      assert.ok(await page.locator('[data-testid=event][data-action=start]').count() >= 3, 'a start event per workload');
      await shot(page, 'events');

      // On a phone the workload's name stays readable on rows with a detail (exit code): the detail gives way.
      await page.setViewportSize({ width: 390, height: 844 });
      await eventually('the event list laid out for a phone', async () => Number(await page.evaluate('document.querySelector("[data-testid=event-list]").clientWidth')) < 390, 250, 40);
      for (const ev of await page.locator('[data-testid=event][data-action=die]').all()) {
        const { shown, full } = await ev.locator('.wname').evaluate((el) => ({ shown: el.clientWidth, full: el.scrollWidth }));
        assert.ok(shown > 0 && shown >= full, `the name on a die row is shown whole at 390 px (${shown} of ${full} px)`);
      }
      const headerHeight = Number(await page.evaluate('document.querySelector("header.top").getBoundingClientRect().height'));
      assert.ok(headerHeight < 50, `the header is one line on a phone (${headerHeight} px)`);
      assert.match(await page.locator('[data-testid=event-count]').textContent() ?? '', /^\d+ events · \d+ in the last 15 minutes/);
      await shot(page, 'events-phone');
      await page.setViewportSize({ width: 1400, height: 900 });

      await page.reload();
      await page.locator('[data-testid=event-list]').waitFor(WAIT);
      assert.ok(page.url().endsWith('#/events'), 'a reload keeps the view');

      assert.deepEqual(errors, [], 'no script errors');
      assert.deepEqual(foreign, [], 'the page asks nothing of any other host (no CDN, no fonts)');
      await page.context().close();
    } finally {
      await agent.stop();
    }
  });

  it('with --web-token asks for it, and with --web-allow-control stop works from the page', async () => {
    const token = randomBytes(16).toString('hex');
    const tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'corral-web-token-')), 'token');
    fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const { agent, url } = await webAgent(['--web-allow-control', '--web-token-file', tokenFile]);
    try {
      await agent.run(['run', '-d', '--name', 'sleeper', '--', 'sleep', '300']);
      const nolog = (await agent.run(['run', '-d', '--name', 'nolog', '--log-driver', 'none', '--', 'sleep', '300'])).stdout.trim();
      const { page, errors } = await openPage(browser, url);
      let logReads = 0;
      page.on('request', (r) => { if (r.url().includes(`/api/workloads/${nolog}/logs`)) logReads++; });

      await page.locator('[data-testid=login-form]').waitFor(WAIT);
      assert.equal(await page.locator('[data-testid=row]').count(), 0, 'nothing shown before the login');
      await shot(page, 'login');
      await page.locator('[data-testid=login-token]').fill('not-the-token');
      await page.locator('[data-testid=login-submit]').click();
      await page.locator('[data-testid=login-error]').waitFor(WAIT);
      await page.locator('[data-testid=login-token]').fill(token);
      await page.locator('[data-testid=login-submit]').click();
      await page.locator('[data-testid=row][data-name=sleeper]').waitFor(WAIT);
      assert.ok(!page.url().includes(token), 'the token is not in the URL');

      await page.locator('[data-testid=row][data-name=sleeper]').click();
      const stop = page.locator('[data-testid=btn-stop]');
      await stop.waitFor(WAIT);
      assert.equal(await page.locator('[data-testid=btn-restart]').count(), 1);
      await shot(page, 'control');
      await stop.click();
      await page.locator('[data-testid=detail-state]', { hasText: 'exited' }).waitFor(WAIT);
      assert.equal((await page.locator('[data-testid=detail-mem]').textContent())!.trim(), '-- / --', 'an exited workload has no memory limit to show');
      const [state] = JSON.parse((await agent.run(['inspect', 'sleeper'])).stdout) as { State: { Status: string; Running: boolean } }[];
      assert.equal(state!.State.Running, false, 'the agent stopped it');

      // A log the agent cannot read (501) is a final answer: the page says why and does not ask again.
      await page.goto(`${url}#/w/${nolog}`);
      await page.locator('[data-testid=logs-error]', { hasText: 'does not support reading' }).waitFor(WAIT);
      const reads = logReads;
      assert.ok(reads >= 1 && reads <= 3, `the stream and one look at why (${reads} reads)`);
      await new Promise((r) => setTimeout(r, 3000)); // longer than the page's first retry delay (2 s)
      assert.equal(logReads, reads, 'no more reads after the final answer');
      await shot(page, 'logs-unreadable');
      assert.deepEqual(errors, [], 'no script errors');
      await page.context().close();
    } finally {
      await agent.stop();
      fs.rmSync(path.dirname(tokenFile), { recursive: true, force: true });
    }
  });

  it('stays responsive with 300 workloads and one writing 10,000 lines/s: the DOM stays bounded', async () => {
    const { agent, url } = await webAgent();
    const api = new ApiClient(agent.socket);
    const ids: string[] = [];
    try {
      const names = Array.from({ length: 300 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
      // Started through the API a few dozen at a time: in parallel, without piling up 300 spawns at once.
      for (let i = 0; i < names.length; i += 30) {
        await Promise.all(names.slice(i, i + 30).map(async (name) => {
          const { Id } = await api.json<{ Id: string }>('POST', '/workloads', { name, path: 'sleep', args: ['600'] });
          ids.push(Id);
          await api.json('POST', `/workloads/${Id}/start`);
        }));
      }
      // 1,000 lines every 100 ms for up to a minute (removed when the test ends).
      const [cmd, ...args] = pacedCommand({ ticks: 600, perTick: 1000 });
      const flood = await api.json<{ Id: string }>('POST', '/workloads', { name: 'flood', path: cmd, args });
      ids.push(flood.Id);
      await api.json('POST', `/workloads/${flood.Id}/start`);

      const { page, errors } = await openPage(browser, url);
      await page.locator('[data-testid=row-count]', { hasText: '301 of 301' }).waitFor(WAIT);
      const rows = await page.locator('[data-testid=row]').count();
      assert.ok(rows > 10 && rows <= 120, `the list renders only what is in view, not 301 rows (${rows})`);
      await shot(page, 'load-list');

      await page.goto(`${url}#/w/${flood.Id}`);
      await page.locator('[data-testid=log-line]').first().waitFor(WAIT);
      // Past the cap: the page keeps the last 5,000 lines and drops older ones.
      await page.locator('[data-testid=logs-status]', { hasText: 'last 5000 kept' }).waitFor(WAIT);
      for (let i = 0; i < 3; i++) {
        const lines = await page.locator('[data-testid=log-line]').count();
        assert.ok(lines > 0 && lines <= 150, `log lines in the DOM stay bounded (${lines})`);
        // Run in the page (a string: this file is compiled without the DOM's types).
        const nodes = Number(await page.evaluate('document.getElementsByTagName("*").length'));
        assert.ok(nodes < 5000, `the whole DOM stays bounded (${nodes} elements)`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await shot(page, 'load-logs');

      // Scrolled up to read, the view holds still while lines keep pouring in; "newest" jumps back.
      await page.locator('[data-testid=log-lines]').evaluate((el) => { el.scrollTop = Math.max(0, el.scrollTop - 2000); });
      const toEnd = page.locator('[data-testid=logs-to-end]');
      await toEnd.waitFor(WAIT);
      const firstLine = () => page.locator('[data-testid=log-line]').first().textContent();
      const held = await firstLine();
      await eventually('more lines arrived meanwhile', async () => /\(([1-9]\d*) more\)/.test(await toEnd.textContent() ?? ''), 250, 40);
      assert.equal(await firstLine(), held, 'the lines under the reader did not move');
      await shot(page, 'load-logs-paused');
      await toEnd.click();
      await toEnd.waitFor({ state: 'detached', ...WAIT });
      await page.locator('[data-testid=logs-status]', { hasText: 'following' }).waitFor(WAIT);

      // Still responsive under the flood: a filter typed now is applied (bounded waits, no timing asserted).
      await page.locator('[data-testid=nav-workloads]').click();
      await page.locator('[data-testid=filter]').fill('bulk-01');
      await eventually('the filter applied', async () => {
        const n = await rowNames(page);
        return n.length === 10 && n.every((x) => x.startsWith('bulk-01'));
      }, 250, 40);
      const answered = await Promise.race([
        page.evaluate('document.querySelector("[data-testid=filter]").value').then(String),
        new Promise<string>((_r, reject) => setTimeout(() => reject(new Error('the page did not answer within 20 s')), 20_000)),
      ]);
      assert.equal(answered, 'bulk-01');
      await shot(page, 'load-filtered');
      assert.deepEqual(errors, [], 'no script errors');
      await page.context().close();
    } finally {
      for (let i = 0; i < ids.length; i += 50) {
        await Promise.all(ids.slice(i, i + 50).map((id) => api.json('DELETE', `/workloads/${id}?force=1`).catch(() => undefined)));
      }
      await agent.stop();
    }
  });
});
