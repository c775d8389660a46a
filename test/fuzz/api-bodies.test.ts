import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import fc from 'fast-check';
import { RESOURCE_FLAGS } from '../../engine/cgroups/limits';
import { TestAgent } from '../helpers/cli';
import { budget } from './budget';

interface Answer { status: number; body: string }

/** One request on the agent's unix socket; a hang (no answer within 10 s) fails the property. */
function request(socketPath: string, method: string, path: string, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, timeout: 10_000, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s (a hang)`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A refusal is a 4xx with a JSON {message} that says something; never a 5xx. */
function refusedWell(a: Answer, what: string): void {
  assert.ok(a.status < 500, `${what}: answered ${a.status} ${a.body}`);
  if (a.status >= 400) {
    const msg = (JSON.parse(a.body) as { message?: unknown }).message;
    assert.ok(typeof msg === 'string' && msg.length > 0, `${what}: no message in ${a.body}`);
  }
}

/** Only drivers that stay on this machine: no probe may reach out to a log server. */
const LOCAL_DRIVERS = ['json-file', 'none'];
const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
const flags = Object.keys(RESOURCE_FLAGS);

/** A create request as the CLI sends it, every field valid (names random enough not to clash). */
const validCreate = fc.record({
  name: fc.stringMatching(/^fz[a-z0-9_.-]{6,20}$/),
  path: fc.constantFrom('/bin/true', 'true'),
  args: fc.array(text, { maxLength: 3 }),
  env: fc.array(fc.stringMatching(/^[A-Z]{1,5}=[a-z]{0,5}$/), { maxLength: 3 }),
  workingDir: fc.constantFrom('', '/tmp'),
  user: fc.constantFrom('', '0', 'root', '0:0'),
  labels: fc.dictionary(text, text, { maxKeys: 3 }),
  restart: fc.constantFrom('no', 'always', 'on-failure:3', 'unless-stopped'),
  autoRemove: fc.constant(false),
  logDriver: fc.oneof(fc.constantFrom(...LOCAL_DRIVERS), fc.constant(['json-file'])),
  logOpts: fc.constantFrom({}, { 'max-size': '10m', 'max-file': '3' }, { mode: 'non-blocking', 'max-buffer-size': '1m' }, { tag: '{{.Name}}' }),
  resources: fc.constantFrom({}, { memory: '64m' }, { cpus: '0.5', 'pids-limit': '100' }, { 'cpu-shares': '512', 'memory-swap': '-1' }),
}, { requiredKeys: ['path'] });

/** Any field of the request replaced by junk: wrong types, wrong values, huge values. */
const junk = fc.oneof(anyJson, text, fc.string({ unit: 'binary', minLength: 1000, maxLength: 5000 }), fc.array(anyJson, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom(...flags, 'max-size', 'max-file', 'bogus'), fc.oneof(text, anyJson), { maxKeys: 3 }));
const FIELDS = ['name', 'path', 'args', 'env', 'workingDir', 'user', 'labels', 'restart', 'autoRemove', 'logDriver', 'logOpts', 'resources', 'extra'];
const createBody = fc.tuple(validCreate, fc.dictionary(fc.constantFrom(...FIELDS), junk, { maxKeys: 2 })).map(([v, bad]) => ({ ...v, ...bad }));

const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.json().map((j) => j.slice(0, Math.max(1, j.length - 1))), // JSON cut short
  fc.json(),
  anyJson.map((v) => JSON.stringify(v)),
  fc.constantFrom('{"path":', '{"resources":{"memory":{}}}', '{"__proto__":{"path":"/bin/true"}}', '[]', 'null', '""', '{"resources":null}', '\u0000'),
);

describe('fuzz: the API\'s JSON bodies', () => {
  const agent = new TestAgent();
  before(() => agent.start());
  after(() => agent.stop());
  const sock = () => agent.socket;

  it('POST /workloads: 2xx or a 4xx with a message, never a 5xx or a hang', async () => {
    const statuses = new Set<number>();
    await fc.assert(fc.asyncProperty(fc.oneof(createBody.map((b) => JSON.stringify(b)), garbage), async (body) => {
      const a = await request(sock(), 'POST', '/workloads', body);
      refusedWell(a, `POST /workloads ${String(body).slice(0, 200)}`);
      statuses.add(a.status);
    }), budget(600));
    assert.ok(statuses.has(200) && statuses.has(400), `the fuzz reached both outcomes: ${[...statuses]}`);
  });

  it('POST /workloads/<ref>/update: the same, for known and unknown refs', async () => {
    const made = await request(sock(), 'POST', '/workloads', JSON.stringify({ name: 'fuzz-target', path: '/bin/true' }));
    assert.equal(made.status, 200, made.body);
    const ref = fc.oneof(fc.constantFrom('fuzz-target', 'f', 'nope', '%', '%zz', '%E0%A4%A', '..', ''), fc.string({ maxLength: 10 }).map(encodeURIComponent));
    const body = fc.oneof(
      fc.record({ resources: fc.oneof(fc.dictionary(fc.constantFrom(...flags, 'm', 'c', 'bogus'), fc.oneof(text, anyJson, fc.array(text, { maxLength: 2 })), { maxKeys: 3 }), anyJson) }).map((b) => JSON.stringify(b)),
      garbage,
    );
    await fc.assert(fc.asyncProperty(ref, body, async (r, b) => {
      refusedWell(await request(sock(), 'POST', `/workloads/${r}/update`, b), `update ${r} ${String(b).slice(0, 200)}`);
    }), budget(600));
  });

  it('GET query parameters of logs and events: any text is an answer or a 4xx, never a 5xx or a hang', async () => {
    const param = fc.oneof(fc.constantFrom('', '-1', '0', '5', '1e3', '99999999999999999999999', '-99999999999999999999', 'all', '1.5', '%', '\u0000'), fc.string({ maxLength: 12 }));
    const filters = fc.oneof(fc.json({ maxDepth: 2 }), fc.constantFrom('null', '{"event":"die"}', '{"event":[1,null]}', '{"label":["a=b","c"]}', '{"nope":[]}', '{', '[]'));
    await fc.assert(fc.asyncProperty(param, param, param, filters, fc.boolean(), async (tail, since, until, f, follow) => {
      const logs = new URLSearchParams({ tail, since, until, ...(follow ? { follow: '1' } : {}) });
      refusedWell(await request(sock(), 'GET', `/workloads/fuzz-target/logs?${logs}`), `logs ?${logs}`);
      // until=1 (long past) ends the event stream once its history is sent.
      const ev = new URLSearchParams({ since, until: '1', filters: f });
      refusedWell(await request(sock(), 'GET', `/events?${ev}`), `events ?${ev}`);
    }), budget(300));
  });

  it('a body far too big is refused with 413; raw garbage on the socket is dropped', async () => {
    const big = await request(sock(), 'POST', '/workloads', Buffer.alloc(40 << 20, 0x20));
    assert.equal(big.status, 413, big.body);
    assert.match(JSON.parse(big.body).message, /too large/);
    for (const junk of [Buffer.from('\x00\xff\r\n\r\n'), Buffer.from('GET / HTTP/9.9\r\nHost: \x00\r\n\r\n'), Buffer.from('POST /workloads HTTP/1.1\r\nContent-Length: -5\r\n\r\n{}')]) {
      await new Promise<void>((resolve) => {
        const c = net.createConnection(sock(), () => c.end(junk));
        c.on('error', () => resolve());
        c.on('close', () => resolve());
        c.resume();
      });
    }
    assert.equal((await request(sock(), 'GET', '/_ping')).status, 200);
  });

  it('odd paths and methods are refused, and the agent still answers /_ping', async () => {
    for (const [method, path] of [['GET', '/workloads/%'], ['DELETE', '/workloads/%E0%A4%A'], ['POST', '/workloads/%/start'], ['PUT', '/workloads'], ['GET', '/nowhere']] as const) {
      refusedWell(await request(sock(), method, path, method === 'GET' || method === 'DELETE' ? undefined : '{}'), `${method} ${path}`);
    }
    // Whatever the fuzz managed to create, listing it all still works.
    const all = await request(sock(), 'GET', '/workloads?all=1');
    assert.equal(all.status, 200, all.body);
    // The restarted agent starts those with restart=always: only `true` may ever run, never a fuzzed command.
    const listed = JSON.parse(all.body) as Array<{ Id: string; Path: string }>;
    for (const w of listed.filter((x) => x.Path !== 'true' && x.Path !== '/bin/true')) {
      assert.equal((await request(sock(), 'DELETE', `/workloads/${w.Id}?force=1`)).status, 200);
    }
    const ids = listed.filter((x) => x.Path === 'true' || x.Path === '/bin/true').map((w) => w.Id).sort();
    assert.ok(ids.length >= 1);
    // and a restarted agent restores every one of them from disk.
    await agent.stopAgent();
    await agent.start();
    const again = await request(sock(), 'GET', '/workloads?all=1');
    assert.deepEqual((JSON.parse(again.body) as Array<{ Id: string }>).map((w) => w.Id).sort(), ids);
    const ping = await request(sock(), 'GET', '/_ping');
    assert.equal(ping.status, 200);
    assert.equal(JSON.parse(ping.body).ok, true);
  });
});
