// The layer rules of DESIGN.md are enforced by dependency-cruiser in `npm run lint` (which `npm test`
// runs first). Here: the same configuration refuses planted forbidden imports in a scratch tree laid
// out like the project, and accepts the allowed ones, so a rule that stopped matching would show.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, 'test', 'lint', 'layers.cjs');

/** Runs the layer check over `files` (path -> source) in a scratch tree; returns its exit code and report. */
function cruise(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pvetasks-layers-'));
  try {
    cpSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    // The scratch tree resolves packages (react) from the project's node_modules.
    cpSync(join(ROOT, 'node_modules', 'react'), join(dir, 'node_modules', 'react'), { recursive: true });
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    const result = spawnSync(DEPCRUISE, ['--config', CONFIG, 'src', 'test'], { cwd: dir, encoding: 'utf8' });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LAYERS = {
  'src/util/clock.ts': 'export const now = () => 0;\n',
  'src/api/client.ts': "import { now } from '../util/clock.js';\nexport const client = now;\n",
  'src/tasks/store.ts': "import { client } from '../api/client.js';\nexport const store = client;\n",
  'src/tasks/upid.ts': 'export const parseUpid = (s: string) => s;\n',
  'src/ui/board.ts': "import { store } from '../tasks/store.js';\nexport const board = store;\n",
  'src/cli/main.ts': "import { board } from '../ui/board.js';\nexport const main = board;\n",
  'src/sim/engine.ts': "import { parseUpid } from '../tasks/upid.js';\nexport const engine = parseUpid;\n",
  'test/cli/main.test.ts': "import { main } from '../../src/cli/main.js';\nexport const t = main;\n",
};

test('the allowed imports of every layer pass the check', () => {
  const { status, out } = cruise(LAYERS);
  assert.equal(status, 0, out);
});

test('a planted forbidden import fails the check, naming the rule', () => {
  const cases: Array<[string, string, string]> = [
    ['src/tasks/poller.ts', "import { board } from '../ui/board.js';\nexport const p = board;\n", 'tasks-imports-only-api-and-util'],
    ['src/tasks/actions.ts', "import { useState } from 'react';\nexport const a = useState;\n", 'domain-never-imports-react'],
    ['src/api/tls.ts', "import { store } from '../tasks/store.js';\nexport const t = store;\n", 'api-imports-only-util'],
    ['src/util/x.ts', "import { client } from '../api/client.js';\nexport const x = client;\n", 'util-imports-nothing-of-ours'],
    ['src/sim/routes.ts', "import { store } from '../tasks/store.js';\nexport const r = store;\n", 'sim-imports-only-upid-and-util'],
    ['src/ui/input.ts', "import { main } from '../cli/main.js';\nexport const i = main;\n", 'ui-imports-only-tasks-and-util'],
    ['test/ui/board.test.ts', "import { main } from '../../src/cli/main.js';\nexport const b = main;\n", 'only-cli-tests-import-cli'],
  ];
  for (const [path, source, rule] of cases) {
    const { status, out } = cruise({ ...LAYERS, [path]: source });
    assert.notEqual(status, 0, `${path} should be refused`);
    assert.match(out, new RegExp(`error ${rule}: ${path.replace(/\./g, '\\.')}`), out);
  }
});
