/**
 * `pvetasks sim`: runs the embedded Proxmox VE simulator standalone, so that pvetasks (or any other PVE
 * client, curl included) can rehearse against a cluster with no Proxmox in reach. It prints every
 * node's URL and the demo credentials (the one place secrets are printed: they are the simulator's
 * own), then serves until interrupted.
 */
import { FaultSyntaxError, parseApiToken, parseFaultSpec, startSimulator, type FaultSpec, type Simulator } from '../../sim/index.js';
import { lastValue, parseCommandArgs } from '../args.js';
import { CliError, ExitCode, type CliIo, type Command } from '../io.js';
import { COMMANDS } from '../command-table.js';
import { commandHelp } from '../help.js';

export const SIM_HELP = commandHelp('sim');
const OPTIONS = COMMANDS.sim.options;

function integerFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${flag}: '${text.slice(0, 20)}' must be a whole number from ${min} to ${max}`, ExitCode.usage);
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
  const port = integerFlag('--port', lastValue(values.port), 8006, 0, 65535 - nodes + 1);
  const guests = integerFlag('--guests', lastValue(values.guests), 40, 13, 10_000);
  const seed = integerFlag('--seed', lastValue(values.seed), 1, 0, 2 ** 31 - 1);
  const speedText = lastValue(values.speed);
  const speed = speedText === undefined ? 1 : Number(speedText);
  if (speedText !== undefined && (!/^\d+(\.\d+)?$/.test(speedText) || !(speed > 0) || speed > 10_000)) {
    throw new CliError(`--speed: '${speedText.slice(0, 20)}' must be a number above 0 (e.g. 10)`, ExitCode.usage);
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

  let sim: Simulator;
  try {
    sim = await startSimulator({
      nodes,
      guests,
      seed,
      speed,
      tls,
      host,
      port,
      background: values.background ?? false,
      faults,
      ...(token === undefined ? {} : { token }),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${host} ports ${port}-${port + nodes - 1}: ${code}`, ExitCode.failed);
    }
    throw error;
  }

  if (values.json) {
    const { url, urls, token: simToken, username, password } = sim;
    io.stdout.write(`${JSON.stringify({ url, urls, token: simToken, username, password, fingerprint: sim.fingerprint ?? null })}\n`);
  } else {
    io.stdout.write(describe(sim, { nodes, guests, seed, speed, faults }));
  }

  if (!io.signal.aborted) {
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  await sim.close();
  if (!values.json) io.stderr.write('pvetasks sim: stopped\n');
  return ExitCode.ok;
}

function describe(sim: Simulator, info: { nodes: number; guests: number; seed: number; speed: number; faults: FaultSpec[] }): string {
  const lines = [
    `Simulated Proxmox VE cluster: ${info.nodes} nodes, ${info.guests} guests (seed ${info.seed}, speed ${info.speed})`,
    ...sim.urls.map((url, index) => `  pve${index + 1}  ${url}`),
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
    'Press Ctrl-C to stop.',
    '',
  );
  return lines.join('\n');
}
