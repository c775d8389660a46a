import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { limitsChange } from '../../agent/compose/liveupdate';
import { LABEL } from '../../agent/compose/model';
import { Current, Desired, foreignClashes, plan } from '../../agent/compose/plan';

const MiB = 1024 * 1024;
const limits = (o: Record<string, unknown> = {}) => ({ Memory: 0, MemorySwap: 0, NanoCpus: 0, CpuQuota: 0, CpuPeriod: 0, PidsLimit: null, CpusetCpus: '', BlkioDeviceWriteBps: [], ...o });

function want(name: string, o: Partial<Desired> = {}): Desired {
  return { name, service: name.replace(/-\d+$/, ''), hash: 'h1', request: { path: 'x', name }, limits: limits(), ...o };
}

function have(name: string, o: Partial<Current> & { hash?: string; project?: string } = {}): Current {
  const { hash = 'h1', project = 'demo', ...rest } = o;
  return { id: `id-${name}`, name, running: true, limits: limits(), labels: { [LABEL.project]: project, [LABEL.hash]: hash }, ...rest };
}

const summary = (a: ReturnType<typeof plan>) => a.map((x) => `${x.do} ${x.name}`);

describe('up: what changes', () => {
  it('creates what is new, leaves what is the same alone, starts what stopped', () => {
    const actions = plan('demo', [want('web'), want('worker-1'), want('worker-2')], [have('web'), have('worker-1', { running: false })]);
    assert.deepEqual(summary(actions), ['keep web', 'start worker-1', 'create worker-2']);
  });

  it('removes what left the file or was scaled away, first, and never touches other projects', () => {
    const current = [have('web'), have('worker-1'), have('worker-2'), have('worker-3'), have('other', { project: 'shop' }), have('bystander', { labels: {} })];
    assert.deepEqual(summary(plan('demo', [want('worker-1')], current)), ['remove web', 'remove worker-2', 'remove worker-3', 'keep worker-1']);
  });

  it('recreates when the recreate-only settings changed (config hash)', () => {
    const [a] = plan('demo', [want('web', { hash: 'h2' })], [have('web')]);
    assert.deepEqual(a, { do: 'recreate', name: 'web', id: 'id-web', desired: want('web', { hash: 'h2' }), why: 'its settings changed' });
  });

  it('updates limits live when only they changed', () => {
    const [a] = plan('demo', [want('web', { limits: limits({ Memory: 96 * MiB, MemorySwap: 192 * MiB }) })], [have('web', { limits: limits({ Memory: 64 * MiB, MemorySwap: 128 * MiB }) })]);
    assert.deepEqual(a, { do: 'update', name: 'web', id: 'id-web', flags: { memory: String(96 * MiB), 'memory-swap': String(192 * MiB) }, fields: ['memory', 'memory-swap'], start: false });
  });

  it('lists names held by workloads that are not the project\'s', () => {
    const clashes = foreignClashes('demo', [want('web'), want('db')], [have('web', { project: 'shop' }), have('db')]);
    assert.deepEqual(clashes.map((c) => `${c.wanted.name} ${c.holder.id}`), ['web id-web']);
  });
});

describe('up: limits, live or not', () => {
  it('says nothing changed when nothing did', () => {
    assert.deepEqual(limitsChange(limits({ Memory: 1 }), limits({ Memory: 1 })), { kind: 'same' });
  });

  it('expresses what update can: exact CPUs, unlimited quota and pids', () => {
    assert.deepEqual(limitsChange(limits({ NanoCpus: 500_000_000, PidsLimit: 50 }), limits({ NanoCpus: 1_500_000_001, PidsLimit: null })),
      { kind: 'update', flags: { cpus: '1500000001e-9', 'pids-limit': '-1' }, fields: ['cpus', 'pids-limit'] });
    assert.deepEqual(limitsChange(limits({ MemorySwap: 128 * MiB, Memory: 64 * MiB }), limits({ MemorySwap: -1, Memory: 64 * MiB })),
      { kind: 'update', flags: { 'memory-swap': '-1' }, fields: ['memory-swap'] });
    assert.deepEqual(limitsChange(limits({ CpuQuota: 50000, CpuPeriod: 100000 }), limits({ CpuQuota: 0, CpuPeriod: 100000 })),
      { kind: 'update', flags: { 'cpu-quota': '-1' }, fields: ['cpu-quota'] });
  });

  it('recreates for what update cannot do: unset a memory limit, change a device rate', () => {
    assert.deepEqual(limitsChange(limits({ Memory: 64 * MiB }), limits({ Memory: 0 })), { kind: 'recreate', why: 'Memory cannot be unset live' });
    assert.deepEqual(limitsChange(limits(), limits({ BlkioDeviceWriteBps: [{ Path: '8:0', Rate: 1 }] })), { kind: 'recreate', why: 'BlkioDeviceWriteBps cannot change live' });
    const [a] = plan('demo', [want('web', { limits: limits({ CpusetCpus: '' }) })], [have('web', { limits: limits({ CpusetCpus: '0' }) })]);
    assert.equal(a!.do, 'recreate');
  });
});
