import { VERSION } from '../util/version.js';

const HELP = `pvetasks ${VERSION}: watch Proxmox VE tasks to their end

Usage:
  pvetasks [--demo]                         the live board
  pvetasks sim                              run the embedded Proxmox VE simulator
  pvetasks --help | --version
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--version')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  process.stderr.write('pvetasks: not implemented yet\n');
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
