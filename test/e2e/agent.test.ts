import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corral, eventually, removeCgroupParent, testCgroupParent } from '../helpers/cli';

describe('the agent', () => {
  it('is started in the background by any command when none answers, and writes its pid', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-auto-'));
    const parent = testCgroupParent();
    try {
      const refused = await corral(root, ['ps']);
      assert.equal(refused.code, 125);
      assert.match(refused.stderr, /cannot connect to the corral agent at .*corral\.sock/);

      const r = await corral(root, ['run', '--rm', '--', 'echo', 'auto'], { env: { CORRAL_NO_AUTOSTART: '', CORRAL_CGROUP_PARENT: parent, CORRAL_METRICS_ADDR: 'off' } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'auto\n');
      const pid = Number(fs.readFileSync(path.join(root, 'agent.pid'), 'utf8'));
      assert.ok(pid > 0);
      assert.ok(fs.existsSync(`/proc/${pid}`));
      assert.equal(fs.statSync(path.join(root, 'corral.sock')).mode & 0o777, 0o660);
      process.kill(pid, 'SIGTERM');
      await eventually('agent exit', async () => !fs.existsSync(path.join(root, 'agent.pid')));
    } finally {
      removeCgroupParent(parent);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
