import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { extractSubset } from '../../src/api/gen/extract.js';
import { GENERATED_FILES, generateAll } from '../../src/api/gen/generate.js';
import { toOpenApi } from '../../src/api/gen/openapi.js';
import { schemaPath, USED_ENDPOINTS, type PveSubset } from '../../src/api/gen/schema.js';

const committedSubset = () => JSON.parse(readFileSync(GENERATED_FILES.subset, 'utf8')) as PveSubset;

test('the committed OpenAPI document and types match what the committed subset generates (run npm run gen:api)', async () => {
  const { openapi, types } = await generateAll();
  assert.ok(readFileSync(GENERATED_FILES.openapi, 'utf8') === openapi, 'src/api/pve-openapi.json is stale: run npm run gen:api');
  assert.ok(readFileSync(GENERATED_FILES.types, 'utf8') === types, 'src/api/pve-types.ts is stale: run npm run gen:api');
});

const fullSchema = schemaPath();
test(
  'the committed subset matches the full schema (run npm run gen:api:extract)',
  { skip: !existsSync(fullSchema) && 'full schema not present' },
  () => {
    const extracted = extractSubset(JSON.parse(readFileSync(fullSchema, 'utf8')));
    assert.deepEqual(committedSubset(), JSON.parse(JSON.stringify(extracted)));
  },
);

test('the subset holds exactly the endpoints and methods pvetasks uses', () => {
  const subset = committedSubset();
  const listed = Object.fromEntries(subset.endpoints.map((entry) => [entry.path, Object.keys(entry.info).sort()]));
  const wanted = Object.fromEntries(Object.entries(USED_ENDPOINTS).map(([path, methods]) => [path, [...methods].sort()]));
  assert.deepEqual(listed, wanted);
});

type Json = Record<string, any>;
const responseSchema = (document: Json, path: string, method: string): Json =>
  document.paths[path][method].responses['200'].content['application/json'].schema;
const data = (document: Json, path: string, method = 'get'): Json => responseSchema(document, path, method).properties.data;

test('the OpenAPI document wraps responses, derives required fields and adds what PVE leaves unsaid', () => {
  const document = toOpenApi(committedSubset()) as unknown as Json;
  assert.equal(document.openapi, '3.1.0');

  const envelope = responseSchema(document, '/version', 'get');
  assert.deepEqual(envelope.required, ['data']);
  assert.deepEqual(envelope.properties.total, { type: 'integer' });
  const error = document.paths['/version'].get.responses.default.content['application/json'].schema;
  assert.equal(error.$ref, '#/components/schemas/PveError');
  assert.deepEqual(document.components.schemas.PveError.properties.data, { type: 'null' });

  // required = not `optional: 1`
  const status = data(document, '/nodes/{node}/tasks/{upid}/status');
  assert.ok(status.required.includes('status') && !status.required.includes('exitstatus'));
  assert.ok(status.properties.tokenid && !status.required.includes('tokenid'));

  // "boolean" response fields are 0/1 integers; boolean parameters stay booleans (sent as 1/0)
  const resources = data(document, '/cluster/resources').items;
  assert.deepEqual(resources.properties.template.type, 'integer');
  assert.deepEqual(resources.properties.template.enum, [0, 1]);
  const errorsParam = document.paths['/nodes/{node}/tasks'].get.parameters.find((p: Json) => p.name === 'errors');
  assert.equal(errorsParam.in, 'query');
  assert.equal(errorsParam.schema.type, 'boolean');

  const clusterTasks = data(document, '/cluster/tasks').items;
  for (const field of ['upid', 'node', 'starttime', 'type', 'id', 'user']) assert.ok(clusterTasks.required.includes(field), field);
  for (const field of ['tokenid', 'pid', 'endtime', 'status', 'saved']) assert.ok(clusterTasks.properties[field], field);
  assert.ok(data(document, '/nodes/{node}/tasks').items.properties.tokenid);

  for (const kind of ['qemu', 'lxc']) {
    const snapshot = data(document, `/nodes/{node}/${kind}/{vmid}/snapshot`).items;
    assert.equal(snapshot.properties.running.type, 'integer');
    assert.ok(snapshot.properties.digest && snapshot.properties.snapstate);
  }
  const nodes = data(document, '/nodes').items;
  for (const field of ['id', 'type', 'disk', 'maxdisk']) assert.ok(nodes.properties[field], field);

  const start = data(document, '/nodes/{node}/qemu/{vmid}/status/start', 'post');
  assert.equal(start.type, 'string');
  assert.match(start.description, /UPID/);
  assert.match(data(document, '/nodes/{node}/vzdump', 'post').description, /`OK`/);

  // path parameters in the path, POST parameters in a form body with their required ones
  const snapshotPost = document.paths['/nodes/{node}/qemu/{vmid}/snapshot'].post;
  assert.deepEqual(
    snapshotPost.parameters.map((p: Json) => `${p.in}:${p.name}`),
    ['path:node', 'path:vmid'],
  );
  const form = snapshotPost.requestBody.content['application/x-www-form-urlencoded'].schema;
  assert.deepEqual(form.required, ['snapname']);
  assert.equal(form.properties.vmstate.type, 'boolean');
  assert.equal(data(document, '/access/ticket', 'post').properties.NeedTFA.type, 'integer');
});
