import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpecError, checkName, parseRestartPolicy } from '../../engine/workloads/spec';
import { resolveUser } from '../../engine/workloads/user';
import { budget, hostileText, onlyThrows } from './budget';

describe('fuzz: --name, --restart, --user', () => {
  it('--restart: a policy Docker knows, or a SpecError saying the accepted forms', () => {
    const text = fc.oneof(hostileText('noalwysuetpf-:0123456789', 30), fc.stringMatching(/^(no|always|unless-stopped|on-failure)(:[0-9]{0,25})?(:x)?$/));
    fc.assert(fc.property(text, (t) => {
      const p = onlyThrows(() => parseRestartPolicy(t), [SpecError], (e) => assert.match(e.message, /restart policy/));
      if (!(p instanceof Error)) {
        assert.ok(['no', 'always', 'unless-stopped', 'on-failure'].includes(p.name), t);
        assert.ok(Number.isInteger(p.maximumRetryCount) && p.maximumRetryCount >= 0, t);
      }
    }), budget(4000));
  });

  it('--name: Docker\'s rule exactly, else a SpecError quoting the name', () => {
    fc.assert(fc.property(hostileText('aZ09_.-/ é', 30), (name) => {
      const r = onlyThrows(() => checkName(name), [SpecError], (e) => assert.ok(e.message.includes(`(${name})`), e.message));
      assert.equal(!(r instanceof Error), /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name), name);
    }), budget(4000));
  });

  it('--user: an identity with whole ids, or a SpecError naming --user', () => {
    const text = fc.oneof(hostileText('root:0123456789nobdyg', 24), fc.constantFrom('root', '0', '0:0', 'root:root', 'nobody', '65534:65534', ':', 'root:', ':0', '1:2:3', '99999999999999999999', '0:4294967296', '2147483648'));
    fc.assert(fc.property(text, (u) => {
      const id = onlyThrows(() => resolveUser(u), [SpecError], (e) => assert.match(e.message, /--user/));
      const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1; // Docker's range
      if (!(id instanceof Error)) assert.ok(ok(id.uid) && ok(id.gid), `${u}: ${JSON.stringify(id)}`);
    }), budget(2000));
  });
});
