import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COOKIE, WebAuth, cookieValue } from '../../agent/web/auth';
import { localUrl, parseWebAddr, webToken } from '../../agent/web/options';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('web view auth', () => {
  it('lets everything through when no token is set', () => {
    const a = new WebAuth(undefined);
    assert.equal(a.enabled, false);
    assert.equal(a.allows(req({})), true);
    assert.equal(a.login('anything'), undefined);
  });

  it('takes the token as Bearer, or as the Basic password with any user', () => {
    const a = new WebAuth('s3cret-token');
    assert.equal(a.allows(req({})), false);
    assert.equal(a.allows(req({ authorization: 'Bearer s3cret-token' })), true);
    assert.equal(a.allows(req({ authorization: 'bearer s3cret-token' })), true);
    assert.equal(a.allows(req({ authorization: 'Bearer s3cret-toke' })), false);
    assert.equal(a.allows(req({ authorization: 'Bearer s3cret-token2' })), false);
    assert.equal(a.allows(req({ authorization: basic('admin', 's3cret-token') })), true);
    assert.equal(a.allows(req({ authorization: basic('', 's3cret-token') })), true);
    assert.equal(a.allows(req({ authorization: basic('s3cret-token', 'nope') })), false);
    assert.equal(a.allows(req({ authorization: 'Basic !!!' })), false);
  });

  it('sets a cookie that holds an HMAC of the token, never the token, and accepts only that', () => {
    const a = new WebAuth('s3cret-token');
    assert.equal(a.login('wrong'), undefined);
    assert.equal(a.login(42), undefined);
    const set = a.login('s3cret-token')!;
    assert.match(set, new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/$`));
    assert.ok(!set.includes('s3cret-token'));
    const value = cookieValue(set, COOKIE)!;
    assert.equal(a.allows(req({ cookie: `other=1; ${COOKIE}=${value}` })), true);
    assert.equal(a.allows(req({ cookie: `${COOKIE}=s3cret-token` })), false);
    // Another agent (another key) does not take this agent's cookie.
    assert.equal(new WebAuth('s3cret-token').allows(req({ cookie: `${COOKIE}=${value}` })), false);
    assert.match(a.logout(), /^corral_web=; .*Max-Age=0/);
  });

  it('logout revokes that login\'s cookie only; at most maxSessions logins are kept, the oldest dropped', () => {
    const a = new WebAuth('s3cret-token', 3);
    const cookies = [1, 2, 3, 4].map(() => `${COOKIE}=${cookieValue(a.login('s3cret-token'), COOKIE)}`);
    assert.equal(new Set(cookies).size, 4, 'every login is a new session');
    assert.deepEqual(cookies.map((cookie) => a.allows(req({ cookie }))), [false, true, true, true]);
    assert.match(a.logout(req({ cookie: cookies[1]! })), /^corral_web=; .*Max-Age=0/);
    assert.deepEqual(cookies.map((cookie) => a.allows(req({ cookie }))), [false, false, true, true]);
    // A forged session id with another's MAC is refused.
    const [, mac] = cookieValue(cookies[2], COOKIE)!.split('.');
    assert.equal(a.allows(req({ cookie: `${COOKIE}=AAAAAAAAAAAAAAAAAAAAAA.${mac}` })), false);
    assert.equal(a.allows(req({ authorization: 'Bearer s3cret-token' })), true, 'Bearer is untouched by logout');
  });

  it('refuses an empty token', () => {
    assert.throws(() => new WebAuth(''), /web token is empty/);
  });
});

describe('web view options', () => {
  it('parses --web-addr, loopback when no host is given', () => {
    assert.equal(parseWebAddr('off'), null);
    assert.equal(parseWebAddr(''), null);
    assert.deepEqual(parseWebAddr('127.0.0.1:9324'), { host: '127.0.0.1', port: 9324 });
    assert.deepEqual(parseWebAddr(':9324'), { host: '127.0.0.1', port: 9324 });
    assert.deepEqual(parseWebAddr('[::1]:9324'), { host: '::1', port: 9324 });
    assert.throws(() => parseWebAddr('9324'), /invalid value "9324" for --web-addr: expected host:port like 127.0.0.1:9324, or off/);
    assert.throws(() => parseWebAddr('h:99999'), /for --web-addr/);
    assert.equal(localUrl({ host: '0.0.0.0', port: 9324 }), 'http://127.0.0.1:9324/');
    assert.equal(localUrl({ host: '::1', port: 9324 }), 'http://[::1]:9324/');
  });

  it('takes the token from the flag, the file\'s first line or the environment', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-web-token-'));
    try {
      const file = path.join(dir, 'token');
      fs.writeFileSync(file, 'from-file\nignored\n');
      assert.equal(webToken('from-flag', undefined, 'from-env'), 'from-flag');
      assert.equal(webToken(undefined, file, 'from-env'), 'from-file');
      assert.equal(webToken(undefined, undefined, 'from-env'), 'from-env');
      assert.equal(webToken(undefined, undefined, undefined), undefined);
      assert.equal(webToken(undefined, undefined, ''), undefined);
      assert.throws(() => webToken('a', file, undefined), /either --web-token or --web-token-file/);
      assert.throws(() => webToken(undefined, path.join(dir, 'nope'), undefined), /for --web-token-file: ENOENT/);
      fs.writeFileSync(file, '\n');
      assert.throws(() => webToken(undefined, file, undefined), /first line is empty/);
      assert.throws(() => webToken('has space', undefined, undefined), /printable ASCII characters without spaces/);
      // Trailing blanks and a DOS line end are not part of the token; a space inside is named as the file's fault.
      fs.writeFileSync(file, 'tok-with-trailing  \t\r\nignored\n');
      assert.equal(webToken(undefined, file, undefined), 'tok-with-trailing');
      fs.writeFileSync(file, 'two words\n');
      assert.throws(() => webToken(undefined, file, undefined), new RegExp(`invalid value "${file}" for --web-token-file: the file's first line must be the token alone`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
