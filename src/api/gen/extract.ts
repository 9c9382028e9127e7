/**
 * Step 1 of the API type generator (`npm run gen:api:extract`): reads the full PVE API description
 * (present beside the repository in development and CI) and commits only the endpoints pvetasks
 * uses, verbatim, as src/api/pve-api-subset.json. Step 2 (generate.ts) works from that file alone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaPath, USED_ENDPOINTS, type PveMethod, type PveOperation, type PveSubset, type PveSubsetEntry } from './schema.js';

interface PveTreeNode {
  path: string;
  info?: Partial<Record<PveMethod, PveOperation>>;
  children?: PveTreeNode[];
}

export const SUBSET_FILE = fileURLToPath(new URL('../pve-api-subset.json', import.meta.url));

export function extractSubset(tree: PveTreeNode[]): PveSubset {
  const byPath = new Map<string, PveTreeNode>();
  const walk = (nodes: PveTreeNode[]) => {
    for (const node of nodes) {
      byPath.set(node.path, node);
      if (node.children) walk(node.children);
    }
  };
  walk(tree);

  const endpoints: PveSubsetEntry[] = [];
  for (const path of Object.keys(USED_ENDPOINTS).sort()) {
    const node = byPath.get(path);
    if (!node?.info) throw new Error(`${path}: not in the PVE API schema`);
    const info: PveSubsetEntry['info'] = {};
    for (const method of USED_ENDPOINTS[path]!) {
      const operation = node.info[method];
      if (!operation) throw new Error(`${method} ${path}: not in the PVE API schema`);
      info[method] = operation;
    }
    endpoints.push({ path, info });
  }
  return { source: 'pve-api-schema.json (PVE API viewer apiSchema, PVE 9.x, January 2026)', endpoints };
}

function main(): void {
  const tree = JSON.parse(readFileSync(schemaPath(), 'utf8')) as PveTreeNode[];
  const subset = extractSubset(tree);
  writeFileSync(SUBSET_FILE, `${JSON.stringify(subset, null, 2)}\n`);
  const operations = subset.endpoints.reduce((count, entry) => count + Object.keys(entry.info).length, 0);
  console.error(`wrote ${SUBSET_FILE}: ${subset.endpoints.length} paths, ${operations} operations`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
