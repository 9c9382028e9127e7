/**
 * Step 2 of the API type generator (`npm run gen:api`): turns the committed subset
 * (src/api/pve-api-subset.json) into the committed OpenAPI document and TypeScript types.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderOpenApi, renderTypes, toOpenApi } from './openapi.js';
import type { PveSubset } from './schema.js';

export const GENERATED_FILES = {
  subset: fileURLToPath(new URL('../pve-api-subset.json', import.meta.url)),
  openapi: fileURLToPath(new URL('../pve-openapi.json', import.meta.url)),
  types: fileURLToPath(new URL('../pve-types.ts', import.meta.url)),
};

/** Everything generated from the committed subset, in memory. */
export async function generateAll(): Promise<{ openapi: string; types: string }> {
  const subset = JSON.parse(readFileSync(GENERATED_FILES.subset, 'utf8')) as PveSubset;
  const document = toOpenApi(subset);
  return { openapi: renderOpenApi(document), types: await renderTypes(document) };
}

async function main(): Promise<void> {
  const { openapi, types } = await generateAll();
  writeFileSync(GENERATED_FILES.openapi, openapi);
  writeFileSync(GENERATED_FILES.types, types);
  console.error(`wrote ${GENERATED_FILES.openapi} and ${GENERATED_FILES.types}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
