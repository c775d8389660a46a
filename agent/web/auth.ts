import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';

export const COOKIE = 'corral_web';

/** Equal-length digests, so the comparison takes the same time whatever the input. */
function sameText(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

/** The named cookie's value from a Cookie header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * The web view's optional token. A request proves it with `Authorization: Bearer TOKEN`, Basic
 * with any user and TOKEN as password, or the login cookie. The cookie holds an HMAC of the token
 * under a key made when the agent starts: it never reveals the token, and dies with the agent.
 * Never read from a URL: query strings end up in logs and browser history.
 */
export class WebAuth {
  private readonly key = randomBytes(32);

  constructor(private readonly token: string | undefined) {
    if (token !== undefined && token === '') throw new Error('the web token is empty: give a non-empty --web-token, --web-token-file or CORRAL_WEB_TOKEN');
  }

  get enabled(): boolean {
    return this.token !== undefined;
  }

  /** True when no token is set or the request carries it. */
  allows(req: http.IncomingMessage): boolean {
    if (this.token === undefined) return true;
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(auth);
    if (bearer) return sameText(bearer[1]!.trim(), this.token);
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
    if (basic) {
      const pair = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = pair.indexOf(':');
      return colon >= 0 && sameText(pair.slice(colon + 1), this.token);
    }
    const cookie = cookieValue(req.headers.cookie, COOKIE);
    return cookie !== undefined && sameText(cookie, this.cookieSecret());
  }

  /** The Set-Cookie header for a correct token, undefined for a wrong one (plain HTTP: no Secure flag). */
  login(token: unknown): string | undefined {
    if (this.token === undefined || typeof token !== 'string' || !sameText(token, this.token)) return undefined;
    return `${COOKIE}=${this.cookieSecret()}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Set-Cookie that makes the browser forget the login. */
  logout(): string {
    return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  private cookieSecret(): string {
    return createHmac('sha256', this.key).update(this.token ?? '', 'utf8').digest('base64url');
  }
}
