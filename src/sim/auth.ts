/**
 * Authentication as PVE does it: API tokens (`PVEAPIToken=USER@REALM!TOKENID=SECRET`, no CSRF), and
 * tickets from `POST /access/ticket` (`PVE:<user>:<hex time>::<signature>`, sent as the
 * `PVEAuthCookie` cookie, with `CSRFPreventionToken` on every non-GET). Tickets live 2 h (+5 min grace),
 * renew by posting the ticket as the password, and all die at once with `expireTickets()`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AccessControl, presetAcl, type AclEntry } from './access.js';
import type { Rng } from './rng.js';

/** Who made a request; what they may do is in the AccessControl (core.access). */
export interface Principal {
  /** `user@realm` or `user@realm!tokenid`. */
  authid: string;
  userid: string;
  tokenid?: string;
  viaTicket: boolean;
}

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
    /** Failed logins carry a JSON body; other 401s are empty. */
    readonly jsonBody = false,
  ) {
    super(message);
  }
}

interface UserEntry {
  password: string;
  tfa: boolean;
}

/** A user's or token's privileges: ACL entries, or a preset (default `admin`: Administrator on `/`). */
export interface PrincipalAcl {
  acl?: readonly AclEntry[];
}

const TOKEN_RE = /^([^\s!@:=]+@[A-Za-z][A-Za-z0-9.\-_]+)!([A-Za-z][A-Za-z0-9.\-_]+)=(\S+)$/;

/** Splits `USER@REALM!TOKENID=SECRET`; undefined when the form is wrong. */
export function parseApiToken(text: string): { userid: string; tokenid: string; secret: string } | undefined {
  const match = TOKEN_RE.exec(text.trim());
  return match ? { userid: match[1]!, tokenid: match[2]!, secret: match[3]! } : undefined;
}

const GRACE_MS = 5 * 60_000;
const CSRF_WINDOW_MS = 2 * 3600_000;

export class AuthRegistry {
  private users = new Map<string, UserEntry>();
  private tokens = new Map<string, string>();
  readonly access = new AccessControl();
  private ticketKey: Buffer;
  private readonly csrfKey: Buffer;

  constructor(
    private readonly now: () => number,
    private readonly ticketLifetimeMs: number,
    rng: Rng,
    private readonly clusterName: string,
  ) {
    this.ticketKey = keyFrom(rng);
    this.csrfKey = keyFrom(rng);
  }

  /** Adds (or replaces) a user with its ACL (default: Administrator on `/`). */
  addUser(userid: string, password: string, options: PrincipalAcl & { tfa?: boolean } = {}): void {
    this.users.set(userid, { password, tfa: options.tfa ?? false });
    this.access.setAcl(userid, options.acl ?? presetAcl('admin'));
  }

  hasUser(userid: string): boolean {
    return this.users.has(userid);
  }

  /**
   * Registers `USER@REALM!TOKENID=SECRET`; returns the auth id. Without privilege separation the token
   * has its user's privileges; with it, the intersection of its own ACL and the user's. A user that
   * does not exist yet is created with `userAcl` (default Administrator on `/`).
   */
  addToken(token: string, options: { privsep?: boolean; acl?: readonly AclEntry[]; userAcl?: readonly AclEntry[] } = {}): string {
    const parsed = parseApiToken(token);
    if (!parsed) throw new Error(`invalid API token '${token.split('=')[0]}=...': expected USER@REALM!TOKENID=SECRET`);
    const authid = `${parsed.userid}!${parsed.tokenid}`;
    if (!this.users.has(parsed.userid)) {
      this.addUser(parsed.userid, randomBytes(12).toString('base64url'), options.userAcl ? { acl: options.userAcl } : {});
    }
    this.tokens.set(authid, parsed.secret);
    this.access.addToken(authid, { ...(options.privsep ? { privsep: true } : {}), ...(options.acl ? { acl: options.acl } : {}) });
    return authid;
  }

  /** Invalidates every ticket issued so far (a rotated auth key). */
  expireTickets(): void {
    this.ticketKey = randomBytes(32);
  }

  /** Authenticates a request from its headers, as pve-http-server does (cookie first, then token). */
  authenticate(headers: { cookie?: string; authorization?: string; csrf?: string }, method: string): Principal {
    const ticket = cookieTicket(headers.cookie) ?? authorizationTicket(headers.authorization);
    if (ticket !== undefined) {
      const userid = this.verifyTicket(ticket);
      if (!userid) throw new AuthError(401, 'Authentication failed!');
      if (method !== 'GET' && !this.verifyCsrf(userid, headers.csrf)) {
        throw new AuthError(401, 'Permission denied - invalid csrf token');
      }
      return { authid: userid, userid, viaTicket: true };
    }
    const tokenText = apiTokenHeader(headers.authorization);
    if (tokenText === undefined) throw new AuthError(401, 'No ticket');
    const split = tokenText.lastIndexOf('=');
    const authid = split < 0 ? tokenText : tokenText.slice(0, split);
    const secret = split < 0 ? '' : tokenText.slice(split + 1);
    const expected = this.tokens.get(authid);
    if (expected === undefined || !safeEqual(expected, secret)) throw new AuthError(401, 'Authentication failed!');
    const bang = authid.indexOf('!');
    return { authid, userid: authid.slice(0, bang), tokenid: authid.slice(bang + 1), viaTicket: false };
  }

  /** `POST /access/ticket`: a password (or a valid ticket, to renew) for a user. */
  login(params: { username: string; password: string; realm?: string }): Record<string, unknown> {
    // PVE appends the realm unconditionally, so `root@pam` with `realm=pam` fails.
    const userid = params.realm ? `${params.username}@${params.realm}` : params.username;
    const user = this.users.get(userid);
    const renewing = params.password.startsWith('PVE:') && this.verifyTicket(params.password) === userid;
    if (!user || (!renewing && !safeEqual(user.password, params.password))) {
      throw new AuthError(401, 'authentication failure', true);
    }
    if (user.tfa && !renewing) {
      // Only the TFA step is allowed with this ticket; it authenticates nothing else.
      const challenge = encodeURIComponent(JSON.stringify({ totp: true, recovery: 'unavailable' }));
      return {
        username: userid,
        ticket: this.sign(`PVE:!tfa!${challenge}:${hex8(this.now())}`),
        CSRFPreventionToken: this.csrfToken(userid),
        NeedTFA: 1,
      };
    }
    return {
      username: userid,
      ticket: this.sign(`PVE:${encodeURIComponent(userid).replace(/%40/g, '@')}:${hex8(this.now())}`),
      CSRFPreventionToken: this.csrfToken(userid),
      cap: capabilities(this.access, userid),
      clustername: this.clusterName,
    };
  }

  /** The user a ticket belongs to, or undefined when forged, expired or a TFA-only ticket. */
  verifyTicket(ticket: string): string | undefined {
    const split = ticket.lastIndexOf('::');
    if (split < 0) return undefined;
    const data = ticket.slice(0, split);
    if (!safeEqual(this.signature(data), ticket.slice(split + 2))) return undefined;
    const match = /^PVE:([^:]+):([0-9A-F]{8})$/.exec(data);
    if (!match || match[1]!.startsWith('!tfa!')) return undefined;
    const age = this.now() - parseInt(match[2]!, 16) * 1000;
    if (age < -GRACE_MS || age > this.ticketLifetimeMs + GRACE_MS) return undefined;
    return decodeURIComponent(match[1]!);
  }

  private sign(data: string): string {
    return `${data}::${this.signature(data)}`;
  }

  private signature(data: string): string {
    return createHmac('sha256', this.ticketKey).update(data).digest('base64');
  }

  private csrfToken(userid: string): string {
    const time = hex8(this.now());
    return `${time}:${createHmac('sha256', this.csrfKey).update(`${time}:${userid}`).digest('base64').replace(/=+$/, '')}`;
  }

  private verifyCsrf(userid: string, token: string | undefined): boolean {
    if (!token) return false;
    const match = /^([0-9A-F]{8}):(\S+)$/.exec(token);
    if (!match) return false;
    const expected = createHmac('sha256', this.csrfKey).update(`${match[1]}:${userid}`).digest('base64').replace(/=+$/, '');
    if (!safeEqual(expected, match[2]!)) return false;
    const age = this.now() - parseInt(match[1]!, 16) * 1000;
    return age >= -GRACE_MS && age <= CSRF_WINDOW_MS + GRACE_MS;
  }
}

function keyFrom(rng: Rng): Buffer {
  // Seeded (so a seed gives stable tickets in tests) but mixed with fresh bytes: tickets of one run
  // never work against another.
  const seeded = Buffer.from(Array.from({ length: 16 }, () => rng.int(0, 255)));
  return Buffer.concat([seeded, randomBytes(16)]);
}

function hex8(ms: number): string {
  return Math.floor(ms / 1000)
    .toString(16)
    .toUpperCase()
    .padStart(8, '0');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function cookieTicket(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'PVEAuthCookie') return safeDecode(rest.join('='));
  }
  return undefined;
}

function authorizationTicket(authorization: string | undefined): string | undefined {
  const match = authorization ? /(?:^|\s)PVEAuthCookie=([^;\s]*)/.exec(authorization) : null;
  return match ? safeDecode(match[1]!) : undefined;
}

/** pve-http-server's extract_auth_value: `PVEAPIToken=` or `PVEAPIToken `, URI-unescaped. */
export function apiTokenHeader(authorization: string | undefined): string | undefined {
  const match = authorization ? /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/.exec(authorization) : null;
  return match ? safeDecode(match[1]!.trim()) : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The login's `cap` object (RPCEnvironment.pm `compute_api_permission`): per GUI group, the privileges
 * the user holds on the group's top paths or any ACL path below it.
 */
function capabilities(access: AccessControl, userid: string): Record<string, Record<string, 1>> {
  const groups: Record<string, RegExp> = {
    vms: /^(VM\.|Permissions\.Modify)/,
    access: /^((User|Group)\.|Permissions\.Modify)/,
    storage: /^(Datastore\.|Permissions\.Modify)/,
    nodes: /^(Sys\.|Permissions\.Modify)/,
    sdn: /^(SDN\.|Permissions\.Modify)/,
    dc: /^(Sys\.Audit|Sys\.Modify|SDN\.)/,
    mapping: /^(Mapping\.|Permissions\.Modify)/,
  };
  const out: Record<string, Record<string, 1>> = Object.fromEntries(Object.keys(groups).map((group) => [group, {}]));
  const paths = new Set(['/', '/nodes', '/access/groups', '/vms', '/storage', '/sdn', '/mapping', ...access.aclPaths()]);
  for (const path of paths) {
    const top = /^\/(\w+)/.exec(path)?.[1] ?? 'dc';
    const pattern = groups[top];
    if (!pattern) continue;
    for (const name of Object.keys(access.permissions(userid, path))) if (pattern.test(name)) out[top]![name] = 1;
  }
  return out;
}
