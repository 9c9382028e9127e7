/**
 * Authentication as PVE does it: API tokens (`PVEAPIToken=USER@REALM!TOKENID=SECRET`, no CSRF), and
 * tickets from `POST /access/ticket` (`PVE:<user>:<hex time>::<signature>`, sent as the
 * `PVEAuthCookie` cookie, with `CSRFPreventionToken` on every non-GET). Tickets live 2 h (+5 min grace),
 * renew by posting the ticket as the password, and all die at once with `expireTickets()`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Rng } from './rng.js';

export interface Principal {
  /** `user@realm` or `user@realm!tokenid`. */
  authid: string;
  userid: string;
  tokenid?: string;
  /** Sys.Audit (and, for the simulator, Sys.Modify) on `/`: sees and stops everyone's tasks. */
  audit: boolean;
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
  audit: boolean;
  tfa: boolean;
}

interface TokenEntry {
  secret: string;
  audit: boolean;
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
  private tokens = new Map<string, TokenEntry>();
  private ticketKey: Buffer;
  private readonly csrfKey: Buffer;

  constructor(
    private readonly now: () => number,
    private readonly ticketLifetimeMs: number,
    rng: Rng,
  ) {
    this.ticketKey = keyFrom(rng);
    this.csrfKey = keyFrom(rng);
  }

  addUser(userid: string, password: string, options: { audit?: boolean; tfa?: boolean } = {}): void {
    this.users.set(userid, { password, audit: options.audit ?? true, tfa: options.tfa ?? false });
  }

  /** Registers `USER@REALM!TOKENID=SECRET`; returns the auth id. */
  addToken(token: string, audit: boolean): string {
    const parsed = parseApiToken(token);
    if (!parsed) throw new Error(`invalid API token '${token.split('=')[0]}=...': expected USER@REALM!TOKENID=SECRET`);
    const authid = `${parsed.userid}!${parsed.tokenid}`;
    this.tokens.set(authid, { secret: parsed.secret, audit });
    if (!this.users.has(parsed.userid)) this.addUser(parsed.userid, randomBytes(12).toString('base64url'), { audit });
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
      const user = this.users.get(userid);
      return { authid: userid, userid, audit: user?.audit ?? false, viaTicket: true };
    }
    const tokenText = apiTokenHeader(headers.authorization);
    if (tokenText === undefined) throw new AuthError(401, 'No ticket');
    const split = tokenText.lastIndexOf('=');
    const authid = split < 0 ? tokenText : tokenText.slice(0, split);
    const secret = split < 0 ? '' : tokenText.slice(split + 1);
    const entry = this.tokens.get(authid);
    if (!entry || !safeEqual(entry.secret, secret)) throw new AuthError(401, 'Authentication failed!');
    const bang = authid.indexOf('!');
    return {
      authid,
      userid: authid.slice(0, bang),
      tokenid: authid.slice(bang + 1),
      audit: entry.audit,
      viaTicket: false,
    };
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
      cap: capabilities(),
      clustername: 'sim',
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

/** root@pam's `cap` object (privileges as 1), trimmed to the groups the GUI reads. */
function capabilities(): Record<string, Record<string, 1>> {
  const privs = (names: string[]) => Object.fromEntries(names.map((name) => [name, 1 as const]));
  return {
    vms: privs([
      'VM.Allocate',
      'VM.Audit',
      'VM.Backup',
      'VM.Clone',
      'VM.Config.Disk',
      'VM.Console',
      'VM.Migrate',
      'VM.PowerMgmt',
      'VM.Snapshot',
      'VM.Snapshot.Rollback',
      'Permissions.Modify',
    ]),
    storage: privs([
      'Datastore.Allocate',
      'Datastore.AllocateSpace',
      'Datastore.AllocateTemplate',
      'Datastore.Audit',
      'Permissions.Modify',
    ]),
    nodes: privs(['Sys.Audit', 'Sys.Console', 'Sys.Incoming', 'Sys.Modify', 'Sys.PowerMgmt', 'Sys.Syslog', 'Permissions.Modify']),
    dc: privs(['Sys.Audit', 'Sys.Modify', 'SDN.Audit', 'SDN.Allocate']),
    access: privs(['User.Modify', 'Group.Allocate', 'Permissions.Modify']),
    sdn: privs(['SDN.Allocate', 'SDN.Audit', 'SDN.Use', 'Permissions.Modify']),
    mapping: privs(['Mapping.Audit', 'Mapping.Modify', 'Mapping.Use', 'Permissions.Modify']),
  };
}
