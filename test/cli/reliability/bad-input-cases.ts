// The bad-input cases of bad-input.test.ts: what an operator may type wrong, the command it reaches and
// the fix its one-line error must name. Data only.
import type { Simulator } from '../../reliability/helpers.js';

export type Name = 'wait' | 'start' | 'backup' | 'snapshot' | 'tasks' | 'board';

export interface Case {
  /** What is wrong, for the test's name. */
  what: string;
  command: Name;
  args: string[] | ((sim: Simulator) => string[]);
  env?: NodeJS.ProcessEnv | ((sim: Simulator) => NodeJS.ProcessEnv);
  /** Default 2. */
  code?: number;
  /** The fix the one line must name. */
  fix: RegExp;
}

const UPID_OK = 'UPID:pve1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:';
/** A token secret that must never be repeated. */
export const SECRET = '0b5c1a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

export const CASES: Case[] = [
  // UPIDs
  { what: 'a UPID that is not one', command: 'wait', args: ['not-a-upid'], fix: /invalid UPID 'not-a-upid': a UPID starts with 'UPID:'/ },
  { what: 'a UPID without its trailing colon', command: 'wait', args: [UPID_OK.slice(0, -1)], fix: /ends with ':' after the user/ },
  {
    what: 'a UPID of the old docs without pstart',
    command: 'wait',
    args: ['UPID:pve1:0001A2B3:6700AB12:qmstart:100:root@pam:'],
    fix: /lacks the pstart field/,
  },
  {
    what: 'a UPID with a bad node name',
    command: 'wait',
    args: ['UPID:pve_1:0001A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:'],
    fix: /node 'pve_1' is not a valid node name/,
  },
  {
    what: 'a UPID with a short pid',
    command: 'wait',
    args: ['UPID:pve1:A2B3:00C0FFEE:6700AB12:qmstart:100:root@pam:'],
    fix: /pid 'A2B3' must be 8 hex digits/,
  },
  { what: 'one bad UPID among good ones', command: 'wait', args: [UPID_OK, 'UPID:pve1:'], fix: /invalid UPID 'UPID:pve1:'/ },
  { what: 'wait without a UPID', command: 'wait', args: [], fix: /needs at least one UPID; see 'pvetasks wait --help'/ },
  // VMIDs and guests
  {
    what: 'a VMID that is a word',
    command: 'start',
    args: ['web01'],
    fix: /'web01' is not a guest: use a VMID \(e\.g\. 100\) or NODE:VMID/,
  },
  { what: 'a VMID below 100', command: 'start', args: ['99'], fix: /a VMID is a number from 100 to 999999999/ },
  { what: 'a VMID with a leading zero', command: 'start', args: ['0100'], fix: /a VMID is a number from 100 to 999999999/ },
  {
    what: 'a VMID above 999999999',
    command: 'backup',
    args: ['1000000000', '--storage', 'local'],
    fix: /a VMID is a number from 100 to 999999999/,
  },
  { what: 'a VMID with a fraction', command: 'snapshot', args: ['100.5', '--name', 'pre'], fix: /use a VMID \(e\.g\. 100\) or NODE:VMID/ },
  { what: 'NODE:VMID with a bad node', command: 'start', args: ['pve_1:100'], fix: /'pve_1' is not a node name; use VMID or NODE:VMID/ },
  { what: 'a negative VMID (read as an option)', command: 'start', args: ['-5'], fix: /unknown option -5; see 'pvetasks start --help'/ },
  {
    what: 'a guest that does not exist',
    command: 'start',
    args: ['99999'],
    fix: /guest 99999 does not exist in this cluster \(nothing was started\)/,
  },
  {
    what: 'NODE:VMID on the wrong node',
    command: 'start',
    args: (sim) => {
      const guest = sim.control.guestWithRole('stoppedQemu');
      return [`${guest.node === 'pve1' ? 'pve2' : 'pve1'}:${guest.vmid}`];
    },
    fix: /guest \d+ is on pve\d, not pve\d \(nothing was started\)/,
  },
  { what: 'start without a guest', command: 'start', args: [], fix: /needs at least one guest \(VMID or NODE:VMID\)/ },
  // Node names
  {
    what: 'a node name with an underscore',
    command: 'tasks',
    args: ['--node', 'pve_1'],
    fix: /--node: 'pve_1' is not a node name \(letters, digits and inner dashes, e\.g\. pve1\)/,
  },
  { what: 'a node name that is a host name', command: 'tasks', args: ['--node', 'pve1.example.com'], fix: /is not a node name/ },
  { what: 'a node that does not exist', command: 'tasks', args: ['--node', 'pve9'], code: 1, fix: /cannot list tasks: .*pve9/ },
  // Snapshot names
  {
    what: 'a snapshot name starting with a digit',
    command: 'snapshot',
    args: ['100', '--name', '1st'],
    fix: /--name '1st': a snapshot name starts with a letter/,
  },
  {
    what: 'a snapshot name with a space',
    command: 'snapshot',
    args: ['100', '--name', 'pre upgrade'],
    fix: /only letters, digits, - and _/,
  },
  { what: 'a reserved snapshot name', command: 'snapshot', args: ['100', '--name', 'current'], fix: /'current' is reserved by PVE/ },
  { what: 'a snapshot name too long', command: 'snapshot', args: ['100', '--name', 'a'.repeat(41)], fix: /at most 40 characters/ },
  { what: 'a snapshot without a name', command: 'snapshot', args: ['100'], fix: /needs --name SNAPNAME/ },
  {
    what: 'a snapshot name that is not ASCII',
    command: 'snapshot',
    args: ['100', '--name', 'vor-Änderung'],
    fix: /only letters, digits, - and _/,
  },
  // Backup options
  { what: 'a backup without a storage', command: 'backup', args: ['100'], fix: /needs --storage ID/ },
  {
    what: 'a storage id with a space',
    command: 'backup',
    args: ['100', '--storage', 'my store'],
    fix: /--storage 'my store' is not a storage id/,
  },
  {
    what: 'a storage that takes no backups',
    command: 'backup',
    args: (sim) => [String(sim.control.guestWithRole('stoppedQemu').vmid), '--storage', 'nosuch'],
    fix: /storage 'nosuch' does not take backups on pve\d \(nothing was started\); backup storages there: /,
  },
  {
    what: 'a backup mode that does not exist',
    command: 'backup',
    args: ['100', '--storage', 'local', '--mode', 'fast'],
    fix: /--mode 'fast' is not one of snapshot, suspend, stop/,
  },
  {
    what: 'a compression that does not exist',
    command: 'backup',
    args: ['100', '--storage', 'local', '--compress', 'xz'],
    fix: /--compress 'xz' is not one of zstd, lzo, gzip, 0/,
  },
  // Durations and counts
  {
    what: 'a timeout without a unit',
    command: 'wait',
    args: [UPID_OK, '--timeout', '30'],
    fix: /--timeout: invalid duration '30' \(add a unit\): use a number with ms, s, m or h/,
  },
  {
    what: 'a timeout that is a word',
    command: 'start',
    args: ['100', '--timeout', 'soon'],
    fix: /--timeout: invalid duration 'soon'.*e\.g\. 500ms, 30s, 2m, 1h/,
  },
  { what: 'a zero timeout', command: 'snapshot', args: ['100', '--name', 'pre', '--timeout', '0s'], fix: /it must be more than zero/ },
  {
    what: 'an interval too short',
    command: 'wait',
    args: [UPID_OK, '--interval', '100ms'],
    fix: /--interval: interval '100ms' must be between 500ms and 1h/,
  },
  { what: 'an interval too long', command: 'board', args: ['--interval', '2h'], fix: /interval '2h' must be between 500ms and 1h/ },
  {
    what: 'PVETASKS_INTERVAL that is no duration',
    command: 'tasks',
    args: [],
    env: { PVETASKS_INTERVAL: 'fast' },
    fix: /PVETASKS_INTERVAL: invalid duration 'fast'/,
  },
  { what: '--parallel 0', command: 'start', args: ['100', '--parallel', '0'], fix: /--parallel: '0' must be a whole number from 1 to 64/ },
  {
    what: '--parallel that is a word',
    command: 'board',
    args: ['--parallel', 'many'],
    fix: /--parallel: 'many' must be a whole number from 1 to 64/,
  },
  // Flags
  { what: 'an unknown option', command: 'wait', args: [UPID_OK, '--follow'], fix: /unknown option --follow; see 'pvetasks wait --help'/ },
  { what: 'an option without its value', command: 'backup', args: ['100', '--storage'], fix: /option --storage needs a value/ },
  {
    what: 'a token on the command line',
    command: 'start',
    args: ['100', '--token', 'root@pam!x=y'],
    fix: /--token is not accepted: secrets never go on the command line \(use PROXMOX_VE_API_TOKEN, \.env or --token-file\)/,
  },
  { what: 'a password on the command line', command: 'tasks', args: ['--password=hunter22'], fix: /--password is not accepted/ },
  {
    what: 'a token file that is missing',
    command: 'wait',
    args: [UPID_OK, '--token-file', 'nope.txt'],
    fix: /cannot read --token-file '.*nope\.txt': no such file/,
  },
  // Endpoints
  {
    what: 'no endpoint',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: '' },
    fix: /no Proxmox VE endpoint configured: set PROXMOX_VE_ENDPOINT \(e\.g\. https:\/\/pve1\.example\.com:8006\)/,
  },
  {
    what: 'an ftp:// endpoint',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: 'ftp://pve1.example.com' },
    fix: /invalid endpoint scheme ftp: .*expected https:\/\/pve1\.example\.com/,
  },
  {
    what: 'plain http to another host',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: 'http://pve1.example.com:8006' },
    fix: /refusing plain http:\/\/ for pve1\.example\.com:8006.*use https:\/\/pve1\.example\.com:8006/,
  },
  {
    what: 'an endpoint with a user and password in it',
    command: 'start',
    args: ['100'],
    env: { PROXMOX_VE_ENDPOINT: 'https://root:pw@pve1.example.com:8006' },
    fix: /not an endpoint .*expected https:\/\/HOST:8006|credentials do not belong in the URL/,
  },
  {
    what: 'an endpoint that is not a URL',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: 'https://' },
    fix: /invalid endpoint: expected https:\/\/HOST:8006/,
  },
  {
    what: 'an endpoint with a port out of range',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: 'pve1.example.com:99999' },
    fix: /invalid endpoint: expected https:\/\/HOST:8006/,
  },
  {
    what: 'a token in the endpoint variable',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: 'root@pam!ci=' + SECRET },
    fix: /a token or password in the wrong variable\?\); expected https:\/\/HOST:8006/,
  },
  {
    what: 'a token secret as the endpoint',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_ENDPOINT: SECRET },
    fix: /not an endpoint: it holds what looks like a token, a secret or a password \(not repeated here\); expected https:\/\/HOST:8006/,
  },
  {
    what: 'a token secret in the endpoint path',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_ENDPOINT: `https://pve1.example.com:8006/${SECRET}` },
    fix: /not an endpoint: .*expected https:\/\/HOST:8006/,
  },
  {
    what: 'a bad fingerprint',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_FINGERPRINT: 'AA:BB:CC' },
    fix: /PROXMOX_VE_FINGERPRINT: invalid certificate fingerprint \(not 32 hex pairs\).*pvenode cert info/,
  },
  {
    what: 'a SHA-1 fingerprint',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_FINGERPRINT: 'AB'.repeat(20) },
    fix: /that looks like a SHA-1 fingerprint/,
  },
  {
    what: 'PROXMOX_VE_INSECURE that is not a boolean',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_INSECURE: 'maybe' },
    fix: /PROXMOX_VE_INSECURE: 'maybe' is not true or false/,
  },
  // Tokens and logins
  {
    what: 'a token without its secret',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_API_TOKEN: 'root@pam!ci' },
    fix: /invalid API token: expected USER@REALM!TOKENID=SECRET.*the secret is missing after '='/,
  },
  {
    what: 'only the secret of a token',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: SECRET },
    fix: /only the secret was given: put USER@REALM!TOKENID= in front of it/,
  },
  {
    what: 'a token without a realm',
    command: 'start',
    args: ['100'],
    env: { PROXMOX_VE_API_TOKEN: 'root!ci=0b5c1a52' },
    fix: /the realm is missing: USER@REALM, e\.g\. root@pam/,
  },
  {
    what: 'a token with ":" before the secret',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: 'root@pam!ci:0b5c1a52' },
    fix: /separated by '=', not ':'/,
  },
  {
    what: 'a token with a space in it',
    command: 'board',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: 'root@pam!ci=0b5c 1a52' },
    fix: /it contains whitespace/,
  },
  {
    what: 'a user name without a realm',
    command: 'wait',
    args: [UPID_OK],
    env: { PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: 'root', PROXMOX_VE_PASSWORD: 'x' },
    fix: /invalid user name 'root': expected USER@REALM, e\.g\. root@pam/,
  },
  {
    what: 'a password without a user',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_PASSWORD: 'x' },
    fix: /PROXMOX_VE_PASSWORD is set but PROXMOX_VE_USERNAME is not/,
  },
  {
    what: 'no credentials',
    command: 'tasks',
    args: [],
    env: { PROXMOX_VE_API_TOKEN: '' },
    fix: /no credentials configured: set PROXMOX_VE_API_TOKEN/,
  },
  {
    what: 'a wrong token secret',
    command: 'start',
    args: ['100'],
    env: (sim) => ({ PROXMOX_VE_API_TOKEN: `${sim.token.split('=')[0]}=00000000-0000-0000-0000-000000000000` }),
    code: 3,
    fix: /401 .*the API token was refused: wrong secret, or the token was deleted or has expired\?/,
  },
  {
    what: 'a wrong password',
    command: 'wait',
    args: [UPID_OK],
    env: (sim) => ({ PROXMOX_VE_API_TOKEN: '', PROXMOX_VE_USERNAME: sim.username, PROXMOX_VE_PASSWORD: 'not-the-password' }),
    code: 3,
    fix: /login as root@pam refused: wrong user name, realm or password\?/,
  },
  {
    what: 'a login that needs two factors',
    command: 'tasks',
    args: [],
    env: (sim) => ({
      PROXMOX_VE_API_TOKEN: '',
      PROXMOX_VE_USERNAME: sim.control.tfaUser.username,
      PROXMOX_VE_PASSWORD: sim.control.tfaUser.password,
    }),
    code: 3,
    fix: /needs two-factor authentication, which pvetasks cannot answer: create an API token .* set PROXMOX_VE_API_TOKEN=USER@REALM!TOKENID=SECRET instead/,
  },
  {
    what: 'a login that needs two factors, for a launch',
    command: 'snapshot',
    args: ['100', '--name', 'pre'],
    env: (sim) => ({
      PROXMOX_VE_API_TOKEN: '',
      PROXMOX_VE_USERNAME: sim.control.tfaUser.username,
      PROXMOX_VE_PASSWORD: sim.control.tfaUser.password,
    }),
    code: 3,
    fix: /needs two-factor authentication/,
  },
  // The board
  {
    what: 'the board without a terminal',
    command: 'board',
    args: [],
    fix: /the board needs a terminal; from scripts use 'pvetasks tasks' or 'pvetasks wait'/,
  },
  { what: 'the board with an argument', command: 'board', args: ['100'], fix: /'pvetasks board' takes no arguments, got '100'/ },
];
