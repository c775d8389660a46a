import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveStatic } from '../../agent/web/static';

describe('web view static files', () => {
  it('resolves files inside the bundle and nothing outside it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-web-static-'));
    try {
      const root = path.join(dir, 'web');
      fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
      fs.writeFileSync(path.join(root, 'index.html'), '<p>');
      fs.writeFileSync(path.join(root, 'assets', 'a b.js'), '1');
      fs.writeFileSync(path.join(dir, 'secret.txt'), 'no');
      fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'link.txt'));
      const real = fs.realpathSync(root);
      assert.equal(resolveStatic(root, '/'), path.join(real, 'index.html'));
      assert.equal(resolveStatic(root, '/index.html'), path.join(real, 'index.html'));
      assert.equal(resolveStatic(root, '/assets/a%20b.js'), path.join(real, 'assets', 'a b.js'));
      for (const bad of ['/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt',
        '/link.txt', '/%', '/.hidden', '/index.html%00.js', '/nope.js']) {
        assert.equal(resolveStatic(root, bad), undefined, bad);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
