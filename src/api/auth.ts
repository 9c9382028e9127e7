/**
 * Who the client is to PVE: an API token (sent with every request), or a ticket login renewed as the
 * web UI renews it (the ticket POSTed as the password), with the CSRF token on writes. A request that
 * meets a 401 because the ticket expired is repeated once after a new login.
 */
import type { Clock } from '../util/clock.js';
import { validateToken, validateUsername, type ParsedToken } from './credentials.js';
import { configError } from './endpoints.js';
import { PveApiError } from './errors.js';
import type { CallInit, Envelope } from './exchange.js';
import type { SendOptions } from './failover.js';
import type { Method } from './transport-errors.js';
import type { PveData } from './types.js';

export const TICKET_PATH = '/access/ticket';

/** A ticket or CSRF token as PVE makes them: printable ASCII, no space (they go into headers as they are). */
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

type LoginAnswer = PveData<typeof TICKET_PATH, 'post'>;

/**
 * The login answer, shape-checked: a ticket or CSRF token that is not a string of printable ASCII (a
 * number, an object, controls or a lone surrogate, which cannot even be put into a header) is a
 * protocol error, not a JavaScript error further on. An answer without a ticket is left to the caller.
 */
function checkLoginAnswer(data: unknown, userid: string, endpoint: string): Partial<LoginAnswer> | null {
  if (data === null || data === undefined) return null;
  const answer = data as Record<string, unknown>;
  const wellFormed = (value: unknown) => value === undefined || (typeof value === 'string' && TOKEN_TEXT.test(value));
  if (typeof data !== 'object' || !wellFormed(answer.ticket) || !wellFormed(answer.CSRFPreventionToken)) {
    const message = `POST ${TICKET_PATH}: login as ${userid} answered with a ticket that is not PVE's`;
    throw new PveApiError({ kind: 'protocol', endpoint, method: 'POST', path: TICKET_PATH, message });
  }
  return answer as Partial<LoginAnswer>;
}

export interface AuthSetup {
  token?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  clock: Clock;
  /** Renew a ticket once it is this old. */
  ticketRenewAfterMs: number;
  /** Sends a request (through failover); bound after both exist. */
  send(method: Method, path: string, init: CallInit, options: SendOptions): Promise<Envelope>;
  /** The endpoint requests go to now, for messages. */
  currentEndpoint(): string;
}

export interface Auth {
  readonly kind: 'token' | 'ticket';
  /** `user@realm`, or `user@realm!tokenid` for an API token; a login may correct its case. */
  readonly userid: string;
  headers(method: Method): Record<string, string>;
  /** Every secret the client holds now, for scrubbing errors. */
  secrets(): Array<string | undefined>;
  unauthorizedHint(path: string): string | undefined;
  /** Sends an authenticated request, logging in first (and once more after a 401) with a ticket. */
  call(method: Method, path: string, init: CallInit): Promise<Envelope>;
  login(): Promise<void>;
  ensureAuthenticated(): Promise<void>;
}

interface Ticket {
  value: string;
  csrf: string | undefined;
  obtainedAt: number;
}

export function createAuth(setup: AuthSetup): Auth {
  const { clock } = setup;
  let token: ParsedToken | undefined;
  let username: string | undefined;
  const password = setup.password;
  if (setup.token) {
    token = validateToken(setup.token);
  } else if (setup.username || setup.password) {
    if (!setup.username || !setup.password) {
      throw configError('ticket login needs both PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD (or use PROXMOX_VE_API_TOKEN)');
    }
    username = validateUsername(setup.username);
  } else {
    throw configError(
      'no credentials: set PROXMOX_VE_API_TOKEN (USER@REALM!TOKENID=SECRET), or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD',
    );
  }

  let userid = token ? token.authId : username!;
  let ticket: Ticket | undefined;
  let loginInFlight: Promise<void> | undefined;
  let tokenChecked = false;
  const authenticated: SendOptions = { authenticate: true, failoverLikeGet: false };

  function headers(method: Method): Record<string, string> {
    if (token) return { Authorization: `PVEAPIToken=${token.authId}=${token.secret}` };
    if (!ticket) return {};
    // PVE URI-unescapes the cookie, as the web UI escapes it; a TFA ticket carries '%' itself.
    const cookie: Record<string, string> = { Cookie: `PVEAuthCookie=${encodeURIComponent(ticket.value)}` };
    // PVE requires the CSRF token on every method but GET when a ticket authenticates.
    if (method !== 'GET' && ticket.csrf) cookie.CSRFPreventionToken = ticket.csrf;
    return cookie;
  }

  async function loginWith(secret: string): Promise<void> {
    const envelope = await setup.send(
      'POST',
      TICKET_PATH,
      { body: { username: userid, password: secret } },
      { authenticate: false, failoverLikeGet: true },
    );
    const data = checkLoginAnswer(envelope.data, userid, setup.currentEndpoint());
    if (data?.NeedTFA || data?.ticket?.includes('!tfa!')) {
      throw new PveApiError({
        kind: 'auth',
        endpoint: setup.currentEndpoint(),
        method: 'POST',
        path: TICKET_PATH,
        message: `login as ${userid} needs two-factor authentication, which pvetasks cannot answer: create an API token for it (Datacenter > Permissions > API Tokens) and set PROXMOX_VE_API_TOKEN=USER@REALM!TOKENID=SECRET instead`,
      });
    }
    if (!data?.ticket) {
      throw new PveApiError({
        kind: 'protocol',
        endpoint: setup.currentEndpoint(),
        method: 'POST',
        path: TICKET_PATH,
        message: `POST ${TICKET_PATH}: login as ${userid} answered without a ticket`,
      });
    }
    ticket = { value: data.ticket, csrf: data.CSRFPreventionToken, obtainedAt: clock.now() };
    // PVE may correct the case of the name given; anything else from the server is not taken as our name.
    if (typeof data.username === 'string' && data.username.toLowerCase() === userid.toLowerCase()) userid = data.username;
  }

  /** Logs in, or renews the ticket (POSTing it as the password, as the web UI does). */
  function refreshTicket(force: boolean): Promise<void> {
    if (loginInFlight) return loginInFlight;
    const held = ticket;
    if (!force && held && clock.now() - held.obtainedAt < setup.ticketRenewAfterMs) return Promise.resolve();
    loginInFlight = (async () => {
      try {
        if (held && !force) {
          try {
            await loginWith(held.value);
            return;
          } catch (error) {
            // An expired ticket cannot renew itself: log in with the password instead.
            if (!(error instanceof PveApiError && error.status === 401)) throw error;
          }
        }
        await loginWith(password!);
      } finally {
        loginInFlight = undefined;
      }
    })();
    return loginInFlight;
  }

  async function call(method: Method, path: string, init: CallInit): Promise<Envelope> {
    if (token) return setup.send(method, path, init, authenticated);
    await refreshTicket(false);
    const used = ticket;
    try {
      return await setup.send(method, path, init, authenticated);
    } catch (error) {
      if (!(error instanceof PveApiError && error.status === 401)) throw error;
      // The ticket expired or was revoked. PVE checks authentication before any handler runs, so
      // repeating the request once after a new login cannot run an action twice.
      if (ticket === used) await refreshTicket(true);
      return setup.send(method, path, init, authenticated);
    }
  }

  async function checkToken(): Promise<void> {
    await setup.send('GET', '/version', {}, authenticated);
    tokenChecked = true;
  }

  return {
    kind: token ? 'token' : 'ticket',
    get userid() {
      return userid;
    },
    headers,
    secrets: () => [token?.secret, setup.token?.trim(), password, ticket?.value, ticket && encodeURIComponent(ticket.value), ticket?.csrf],
    unauthorizedHint(path) {
      if (path === TICKET_PATH) return `(login as ${userid} refused: wrong user name, realm or password?)`;
      if (token) return '(the API token was refused: wrong secret, or the token was deleted or has expired?)';
      return undefined;
    },
    call,
    async login() {
      if (token) return checkToken();
      return refreshTicket(true);
    },
    async ensureAuthenticated() {
      if (token) return tokenChecked ? undefined : checkToken();
      return refreshTicket(false);
    },
  };
}
