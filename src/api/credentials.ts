/** Checking the credentials an operator configures, with messages that say what to fix. */
import { echo } from '../util/echo.js';
import { PveApiError } from './errors.js';

export interface ParsedToken {
  /** `user@realm!tokenid`: the auth id tasks started with this token carry. */
  authId: string;
  /** `user@realm` */
  userid: string;
  tokenid: string;
  secret: string;
}

const EXPECTED = 'expected USER@REALM!TOKENID=SECRET, e.g. root@pam!pvetasks=01234567-89ab-cdef-0123-456789abcdef';
// pve-userid (user@realm) and pve-tokenid ([A-Za-z][A-Za-z0-9.\-_]+) as PVE validates them.
const TOKEN_RE = /^([^\s@:!=]+)@([A-Za-z][A-Za-z0-9.\-_]+)!([A-Za-z][A-Za-z0-9.\-_]+)=(\S+)$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenError(hint: string): PveApiError {
  // Never echo the value: it holds the secret.
  return new PveApiError({ kind: 'config', message: `invalid API token: ${EXPECTED}; ${hint}` });
}

/**
 * Parses `USER@REALM!TOKENID=SECRET` (a leading `PVEAPIToken=`, as copied from a curl line, is
 * accepted). Throws a one-line PveApiError (kind `config`) naming the expected form and the likely
 * mistake; the message never contains the value given.
 */
export function validateToken(token: string): ParsedToken {
  const text = token.trim().replace(/^PVEAPIToken[= ]/, '');
  const match = TOKEN_RE.exec(text);
  if (match) {
    const [, user, realm, tokenid, secret] = match as unknown as [string, string, string, string, string];
    return { authId: `${user}@${realm}!${tokenid}`, userid: `${user}@${realm}`, tokenid, secret };
  }
  if (text === '') throw tokenError('it is empty');
  if (UUID_RE.test(text)) throw tokenError('only the secret was given: put USER@REALM!TOKENID= in front of it');
  if (/\s/.test(text)) throw tokenError('it contains whitespace');
  if (!text.includes('!')) throw tokenError('the token id is missing: a token is named USER@REALM!TOKENID, not just USER@REALM');
  if (!text.includes('=')) {
    if (/![^:]+:/.test(text)) throw tokenError("the token id and the secret are separated by '=', not ':'");
    throw tokenError("the secret is missing after '='");
  }
  if (!/^[^!]+@[^!]+!/.test(text)) throw tokenError('the realm is missing: USER@REALM, e.g. root@pam');
  throw tokenError('check the user, realm and token id');
}

/** Checks a ticket-login user name: PVE needs the realm (root@pam, admin@pve). */
export function validateUsername(username: string): string {
  const text = username.trim();
  if (!/^[^\s@:]+@[A-Za-z][A-Za-z0-9.\-_]+$/.test(text)) {
    throw new PveApiError({
      kind: 'config',
      message: `invalid user name ${echo(text)}: expected USER@REALM, e.g. root@pam or admin@pve`,
    });
  }
  return text;
}
