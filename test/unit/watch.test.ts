import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerScanner, cgroupCandidates } from '../../agent/watch/docker';
import { DEFAULT_DOCKER_ROOT, watchOptionsOf } from '../../agent/watch/options';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'watch');
const ID = '288fb5dfb05ea68bc778f3a5f2c89fecca423874ad30420593fef0449aecaebf';
const MiB = 1024 * 1024;

describe('Docker discovery (a data root as dockerd leaves it)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-docker-unit-'));
  const dir = path.join(root, 'containers', ID);
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(root, 'containers', 'not-a-container'));
  fs.copyFileSync(path.join(FIXTURES, 'hostconfig.json'), path.join(dir, 'hostconfig.json'));
  const base = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'config.v2.json'), 'utf8'));
  let tick = 0;
  /** Rewrites config.v2.json with a later mtime, as dockerd's atomic rewrite would. */
  const setConfig = (patch: (c: typeof base) => void, file = 'config.v2.json', from = base) => {
    const c = structuredClone(from);
    patch(c);
    fs.writeFileSync(path.join(dir, file), JSON.stringify(c));
    const t = new Date(Date.now() + ++tick * 1000);
    fs.utimesSync(path.join(dir, file), t, t);
  };
  const scanner = new DockerScanner(root);
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads a running container: prefixed name, labels, log path, limits left to its cgroup', () => {
    setConfig(() => undefined);
    const [c, ...rest] = scanner.scan();
    assert.equal(rest.length, 0, 'only 64-hex folders are containers');
    assert.equal(c!.found.name, 'docker:web');
    assert.equal(c!.found.state, 'running');
    assert.equal(c!.found.pid, 4242);
    assert.equal(c!.found.startedAt, Date.parse('2024-05-14T09:12:33.518046174Z') / 1000);
    assert.equal(c!.found.labels['team'], 'edge');
    assert.equal(c!.found.limits, null);
    assert.equal(c!.found.logPath, path.join(dir, `${ID}-json.log`), 'json-file writes in the container folder, whatever LogPath says');
    assert.deepEqual(c!.cgroups.slice(0, 2), [`/docker/${ID}`, `/system.slice/docker-${ID}.scope`]);
  });

  it('maps Docker states and takes a stopped container\'s limits from hostconfig.json', () => {
    setConfig((c) => Object.assign(c.State, { Running: false, Pid: 0, FinishedAt: '2024-05-14T10:00:00Z' }));
    const stopped = scanner.scan()[0]!.found;
    assert.equal(stopped.state, 'exited');
    assert.equal(stopped.startedAt, 0);
    assert.equal(stopped.limits?.memory, 64 * MiB);
    assert.equal(stopped.limits?.memorySwap, 128 * MiB);
    assert.equal(stopped.limits?.nanoCpus, 500_000_000);
    assert.equal(stopped.limits?.pidsLimit, null);
    setConfig((c) => Object.assign(c.State, { Running: false, StartedAt: '0001-01-01T00:00:00Z' }));
    assert.equal(scanner.scan()[0]!.found.state, 'created');
    setConfig((c) => Object.assign(c.State, { Running: true, Restarting: true }));
    assert.equal(scanner.scan()[0]!.found.state, 'restarting');
    setConfig((c) => Object.assign(c.State, { Running: false, Dead: true }));
    assert.equal(scanner.scan()[0]!.found.state, 'dead');
  });

  it('says why a container with another logging driver has no log, and finds a custom cgroup parent', () => {
    const host = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'hostconfig.json'), 'utf8'));
    setConfig((h) => { h.LogConfig = { Type: 'journald', Config: {} }; h.CgroupParent = '/ci/'; }, 'hostconfig.json', host);
    const c = scanner.scan()[0]!;
    assert.equal(c.found.logPath, '');
    assert.match(c.found.logNote, /logging driver "journald"/);
    assert.deepEqual(c.cgroups.slice(2), [`/ci/${ID}`, `/ci/docker-${ID}.scope`]);
    assert.deepEqual(cgroupCandidates(ID), [`/docker/${ID}`, `/system.slice/docker-${ID}.scope`]);
  });

  it('keeps the last good reading while a config file is half written', () => {
    fs.writeFileSync(path.join(dir, 'config.v2.json'), '{"State":');
    const t = new Date(Date.now() + ++tick * 1000);
    fs.utimesSync(path.join(dir, 'config.v2.json'), t, t);
    assert.equal(scanner.scan()[0]!.found.state, 'dead');
  });
});

describe('agent --watch-* options', () => {
  it('flags win over the environment; --watch-docker alone means /var/lib/docker', () => {
    const env = { CORRAL_WATCH_DOCKER: '/srv/docker', CORRAL_WATCH_SYSTEMD: '1', CORRAL_WATCH_CGROUPS: '/a:/b/c' };
    assert.deepEqual(watchOptionsOf({}, env), { docker: '/srv/docker', systemd: true, cgroups: ['/a', '/b/c'], cgroupRoot: '/', rescanMs: 3000 });
    const o = watchOptionsOf({ watchDocker: true, watchCgroup: ['/x'] }, env);
    assert.equal(o.docker, DEFAULT_DOCKER_ROOT);
    assert.deepEqual(o.cgroups, ['/x']);
    assert.equal(watchOptionsOf({}, { CORRAL_WATCH_DOCKER: '1' }).docker, DEFAULT_DOCKER_ROOT);
    assert.deepEqual(watchOptionsOf({}, {}), { docker: null, systemd: false, cgroups: [], cgroupRoot: '/', rescanMs: 3000 });
  });
});
