/**
 * `pvetasks sim`: runs the embedded Proxmox VE simulator standalone, so that pvetasks (or any other PVE
 * client, curl included) can rehearse against a cluster with no Proxmox in reach. It prints every
 * node's URL and the demo credentials (the one place secrets are printed: they are the simulator's
 * own), then serves until interrupted.
 */
import {
  FaultSyntaxError,
  GUEST_ROLES,
  parseApiToken,
  parseFaultSpec,
  PRIVILEGE_PRESETS,
  startSimulator,
  startSimulators,
  type FaultSpec,
  type PrivilegePreset,
  type PveMajor,
  type Simulator,
} from '../../sim/index.js';
import { jsonLine } from '../../util/sanitize.js';
import { echo } from '../../util/echo.js';
import { lastValue, parseCommandArgs } from '../args.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';

const MIN_GUESTS = GUEST_ROLES.length;

export const SIM_HELP = commandHelp('sim');
const OPTIONS = COMMANDS.sim.options;

function integerFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${flag}: ${echo(text, { maxLength: 20 })} must be a whole number from ${min} to ${max}`, ExitCode.usage);
  }
  return Number(text);
}

export const simCommand: Command = async (args, io) => {
  try {
    return await runSim(args, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`pvetasks: ${message.split('\n', 1)[0]}\n`);
    return error instanceof CliError ? error.exitCode : ExitCode.failed;
  }
};

async function runSim(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('sim', args, OPTIONS);
  if (values.help) {
    io.stdout.write(SIM_HELP);
    return ExitCode.ok;
  }
  const nodes = integerFlag('--nodes', lastValue(values.nodes), 3, 1, 64);
  const clusters = integerFlag('--clusters', lastValue(values.clusters), 1, 1, 8);
  const port = integerFlag('--port', lastValue(values.port), 8006, 0, 65535 - nodes * clusters + 1);
  const guests = integerFlag('--guests', lastValue(values.guests), 40, MIN_GUESTS, 10_000);
  const versionText = lastValue(values['pve-version']) ?? '9';
  const pveVersions = versionText.split(',').map((part) => part.trim());
  if (pveVersions.some((version) => version !== '8' && version !== '9')) {
    throw new CliError(`--pve-version: '${versionText.slice(0, 20)}' must be 8 or 9 (or a comma list of them)`, ExitCode.usage);
  }
  const privileges = lastValue(values['token-privileges']) ?? 'admin';
  if (!(PRIVILEGE_PRESETS as readonly string[]).includes(privileges)) {
    throw new CliError(`--token-privileges: '${privileges.slice(0, 20)}' must be one of ${PRIVILEGE_PRESETS.join(', ')}`, ExitCode.usage);
  }
  const seed = integerFlag('--seed', lastValue(values.seed), 1, 0, 2 ** 31 - 1);
  const speedText = lastValue(values.speed);
  const speed = speedText === undefined ? 1 : Number(speedText);
  if (speedText !== undefined && (!/^\d+(\.\d+)?$/.test(speedText) || !(speed > 0) || speed > 10_000)) {
    throw new CliError(`--speed: ${echo(speedText, { maxLength: 20 })} must be a number above 0 (e.g. 10)`, ExitCode.usage);
  }
  const host = lastValue(values.host) ?? '127.0.0.1';
  const faults: FaultSpec[] = [];
  for (const text of values.fault ?? []) {
    try {
      faults.push(parseFaultSpec(text));
    } catch (error) {
      if (error instanceof FaultSyntaxError) throw new CliError(`--fault: ${error.message}`, ExitCode.usage);
      throw error;
    }
  }
  const token = io.env.PVETASKS_SIM_TOKEN?.trim() || undefined;
  if (token !== undefined && !parseApiToken(token)) {
    // Never echo the value: it is meant to be a secret.
    throw new CliError('PVETASKS_SIM_TOKEN must look like USER@REALM!TOKENID=SECRET', ExitCode.usage);
  }
  const tls = values.tls ?? false;

  let sims: Simulator[];
  try {
    const common = {
      nodes,
      guests,
      seed,
      speed,
      tls,
      host,
      port,
      background: values.background ?? false,
      faults,
      tokenPrivileges: privileges as PrivilegePreset,
      ...(token === undefined ? {} : { token }),
    };
    const majors = pveVersions.map((version) => Number(version) as PveMajor);
    // One cluster keeps the plain names (sim, pve1..pveN); several are named alpha, bravo, ...
    sims =
      clusters === 1
        ? [await startSimulator({ ...common, pveVersion: majors[0]! })]
        : await startSimulators({ ...common, clusters, pveVersions: majors });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${host} ports ${port}-${port + nodes * clusters - 1}: ${code}`, ExitCode.failed);
    }
    throw error;
  }

  if (values.json) {
    for (const sim of sims) {
      const { cluster, pveVersion, nodes: names, url, urls, token: simToken, username, password } = sim;
      const info = {
        cluster,
        pveVersion,
        nodes: names,
        url,
        urls,
        token: simToken,
        username,
        password,
        fingerprint: sim.fingerprint ?? null,
      };
      io.stdout.write(jsonLine(info));
    }
  } else {
    io.stdout.write(sims.map((sim) => describe(sim, { nodes, guests, seed, speed, faults })).join('\n'));
    if (sims.length > 1) io.stdout.write(configSnippet(sims));
    io.stdout.write('Press Ctrl-C to stop.\n');
  }

  if (!io.signal.aborted) {
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  await Promise.all(sims.map((sim) => sim.close()));
  if (!values.json) io.stderr.write('pvetasks sim: stopped\n');
  return ExitCode.ok;
}

function describe(sim: Simulator, info: { nodes: number; guests: number; seed: number; speed: number; faults: FaultSpec[] }): string {
  const name = sim.cluster === 'sim' ? 'Simulated Proxmox VE cluster' : `Simulated Proxmox VE cluster '${sim.cluster}'`;
  const width = Math.max(...sim.nodes.map((node) => node.length));
  const lines = [
    `${name} (PVE ${sim.pveVersion}): ${info.nodes} nodes, ${info.guests} guests (seed ${info.seed}, speed ${info.speed})`,
    ...sim.urls.map((url, index) => `  ${sim.nodes[index]!.padEnd(width)}  ${url}`),
    `API token:    ${sim.token}`,
    `User:         ${sim.username}`,
    `Password:     ${sim.password}`,
  ];
  if (sim.fingerprint) lines.push(`Fingerprint:  ${sim.fingerprint}`);
  if (info.faults.length > 0) lines.push(`Faults:       ${info.faults.length} active`);
  lines.push(
    'Try:',
    `  curl ${sim.fingerprint ? '-k ' : ''}-H 'Authorization: PVEAPIToken=${sim.token}' ${sim.url}/api2/json/cluster/tasks`,
    `  PROXMOX_VE_ENDPOINT=${sim.urls.join(',')} PROXMOX_VE_API_TOKEN='${sim.token}'${sim.fingerprint ? ` PROXMOX_VE_FINGERPRINT=${sim.fingerprint}` : ''} pvetasks`,
    '',
  );
  return lines.join('\n');
}

/** For several clusters: the `clusters:` list of a pvetasks config file that reaches them all. */
function configSnippet(sims: Simulator[]): string {
  const lines = ['config.yaml for all of them (demo credentials, inline: keep the file mode 0600):', 'clusters:'];
  for (const sim of sims) {
    lines.push(`  - name: ${sim.cluster}`, `    endpoints: [${sim.urls.join(', ')}]`, `    token: '${sim.token}'`);
    if (sim.fingerprint) lines.push(`    fingerprint: ${sim.fingerprint}`);
  }
  return `${lines.join('\n')}\n`;
}
