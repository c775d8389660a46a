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

/** Logins kept at once; past this the oldest is dropped (its browser logs in again). */
export const MAX_SESSIONS = 1000;

/**
 * The web view's optional token. A request proves it with `Authorization: Bearer TOKEN`, Basic
 * with any user and TOKEN as password, or the login cookie. The cookie is `SESSION.MAC`: a random
 * session id the agent keeps (at most MAX_SESSIONS, oldest dropped) and an HMAC of the token and
 * that id under a key made when the agent starts. It never reveals the token; /logout forgets the
 * session, so a copy of the cookie is worthless after it, and every session dies with the agent.
 * Never read from a URL: query strings end up in logs and browser history.
 */
export class WebAuth {
  private readonly key = randomBytes(32);
  /** Session ids of the logins not logged out, oldest first (a Set keeps insertion order). */
  private readonly sessions = new Set<string>();

  constructor(private readonly token: string | undefined, private readonly maxSessions = MAX_SESSIONS) {
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
    return this.sessionOf(req) !== undefined;
  }

  /** The Set-Cookie header for a correct token (a new session), undefined for a wrong one (plain HTTP: no Secure flag). */
  login(token: unknown): string | undefined {
    if (this.token === undefined || typeof token !== 'string' || !sameText(token, this.token)) return undefined;
    const id = randomBytes(16).toString('base64url');
    this.sessions.add(id);
    for (const old of this.sessions) {
      if (this.sessions.size <= this.maxSessions) break;
      this.sessions.delete(old);
    }
    return `${COOKIE}=${id}.${this.mac(id)}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Ends the request's login session (if its cookie names one) and returns the Set-Cookie that makes the browser forget it. */
  logout(req?: http.IncomingMessage): string {
    const id = req ? this.sessionOf(req) : undefined;
    if (id !== undefined) this.sessions.delete(id);
    return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  /** The live session the request's cookie proves, if any. */
  private sessionOf(req: http.IncomingMessage): string | undefined {
    const cookie = cookieValue(req.headers.cookie, COOKIE);
    const dot = cookie?.indexOf('.') ?? -1;
    if (cookie === undefined || dot <= 0) return undefined;
    const id = cookie.slice(0, dot);
    return sameText(cookie.slice(dot + 1), this.mac(id)) && this.sessions.has(id) ? id : undefined;
  }

  private mac(session: string): string {
    return createHmac('sha256', this.key).update(`${session}\n${this.token ?? ''}`, 'utf8').digest('base64url');
  }
}
