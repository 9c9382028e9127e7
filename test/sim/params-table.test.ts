// The committed parameter tables must match the PVE API schema they were generated from. The schema
// lives outside the repository (../shared); where it is absent the check is skipped.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PARAM_TABLE } from '../../src/sim/params-table.js';
import { SIM_OPERATIONS, SCHEMA_PATH, TABLE_PATH, buildParamsTable } from './tools/extract-params.js';

test('params-table.ts is what the generator makes from the schema', { skip: !existsSync(SCHEMA_PATH) && 'no PVE API schema here' }, () => {
  const fresh = buildParamsTable(readFileSync(SCHEMA_PATH, 'utf8'));
  assert.equal(readFileSync(TABLE_PATH, 'utf8'), fresh, 'run: node --import tsx test/sim/tools/extract-params.ts');
});

test('every operation the simulator serves has its parameter list', () => {
  for (const operation of SIM_OPERATIONS) assert.ok(PARAM_TABLE[operation], operation);
  assert.deepEqual(Object.keys(PARAM_TABLE['GET /cluster/tasks']!), []);
  assert.equal(PARAM_TABLE['GET /nodes/{node}/tasks']!.source!.enum!.join(), 'archive,active,all');
});
