import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/harness.ts';
import { operationsOf as opsOf } from '../src/http/openapi/document.ts';
import { TAG_GROUPS } from '../src/http/openapi/tags.ts';
import { Ajv } from 'ajv';
import formatsPlugin from 'ajv-formats';

const addFormats = formatsPlugin as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, any>;
const operationsOf = (doc: Json) => opsOf(doc) as { path: string; method: string; op: Json }[];
const nameOf = (o: { path: string; method: string; op: Json }) =>
  `${o.op.operationId} (${o.method.toUpperCase()} ${o.path})`;

/** Every example the document carries, with the schema it must satisfy and where it is. */
function examplesOf(doc: Json): { where: string; schema: Json; value: unknown }[] {
  const out: { where: string; schema: Json; value: unknown }[] = [];
  const media = (where: string, content: Record<string, Json> | undefined) => {
    for (const [type, m] of Object.entries(content ?? {})) {
      if (m.example !== undefined) out.push({ where: `${where} ${type}`, schema: m.schema, value: m.example });
      for (const [k, e] of Object.entries((m.examples ?? {}) as Record<string, Json>))
        out.push({ where: `${where} ${type} examples.${k}`, schema: m.schema, value: e.value });
    }
  };
  // Schema-level examples anywhere: in components and inline in operations.
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}/${i}`));
    if (typeof node !== 'object' || node === null) return;
    const n = node as Json;
    if (n.example !== undefined && (n.type !== undefined || n.properties || n.allOf || n.$ref))
      out.push({ where: `${where} (schema example)`, schema: n, value: n.example });
    for (const [k, v] of Object.entries(n)) if (k !== 'example' && k !== 'examples') walk(v, `${where}/${k}`);
  };
  walk(doc.components.schemas, '#/components/schemas');
  for (const o of operationsOf(doc)) {
    media(`${nameOf(o)} request`, o.op.requestBody?.content);
    for (const [status, r] of Object.entries(o.op.responses as Record<string, Json>))
      media(`${nameOf(o)} ${status}`, r.content);
    for (const p of o.op.parameters ?? [])
      if (p.example !== undefined)
        out.push({ where: `${nameOf(o)} parameter ${p.name}`, schema: p.schema, value: p.example });
    for (const [k, v] of Object.entries(o.op)) if (k !== 'parameters') walk(v, `${nameOf(o)} ${k}`);
  }
  return out;
}

/** A value that says nothing about the API: what generators put where a real example belongs. */
function placeholdersIn(v: unknown, at = ''): string[] {
  // "string" is a real value only as a type name (SCIM's schemas publish attribute types).
  if (typeof v === 'string') return v === 'string' && !at.endsWith('.type') ? [at || '(root)'] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => placeholdersIn(x, `${at}[${i}]`));
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => placeholdersIn(x, at ? `${at}.${k}` : k));
  return [];
}

describe.each(backends().slice(0, 1))('the OpenAPI document ($name)', (backend) => {
  let t: TestApp;
  let doc: Json;
  beforeAll(async () => {
    t = await startTestApp(backend);
    const r = await t.req({ method: 'GET', url: '/openapi.json', key: null, headers: { host: '127.0.0.1:8443' } });
    expect(r.statusCode).toBe(200);
    doc = r.json();
  });
  afterAll(() => t.close());

  it('names the API, its license, a contact and this server (the request origin)', () => {
    expect(doc.info).toMatchObject({
      title: 'Roster API',
      license: { name: 'Apache-2.0' },
      contact: expect.any(Object),
    });
    expect(doc.servers).toEqual([{ url: 'http://127.0.0.1:8443', description: expect.any(String) }]);
  });

  it('gives every operation a unique camelCase operationId, a summary and a defined tag', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(70);
    const ids = ops.map((o) => o.op.operationId);
    const missing = ops.filter((o) => typeof o.op.operationId !== 'string').map((o) => `${o.method} ${o.path}`);
    expect(missing).toEqual([]);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z0-9]*$/.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    const tags = new Set(TAG_GROUPS.flatMap((g) => g.tags.map((x) => x.name)));
    for (const { op, method, path } of ops) {
      expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const tag of op.tags) expect(tags.has(tag), `${method} ${path}: tag ${tag} is not in TAG_GROUPS`).toBe(true);
    }
    expect(doc.tags.map((x: Json) => x.name)).toEqual([...tags]);
  });

  it('declares a 2xx for every operation and describes every response', () => {
    for (const { op, method, path } of operationsOf(doc)) {
      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => /^2/.test(s)),
        `${method} ${path} declares no 2xx`,
      ).toBe(true);
      for (const s of statuses)
        expect(op.responses[s].description, `${method} ${path} ${s}`).not.toBe('Default Response');
    }
  });

  it('publishes the resources and every dialect’s error envelope as components, referenced with $ref', () => {
    const names = Object.keys(doc.components.schemas);
    for (const n of ['User', 'UserInput', 'UserList', 'Tenant', 'Manager', 'ManagerWithKey', 'AuditEvent', 'ImportJob'])
      expect(names).toContain(n);
    for (const n of ['AdminError', 'AccountsError', 'RestUsersError', 'UsermostError', 'UsrError', 'ScimError'])
      expect(names).toContain(n);
    const getUser = operationsOf(doc).find((o) => o.op.operationId === 'getUser')!.op;
    expect(getUser.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/User' });
    expect(getUser.responses['404'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/AdminError',
    });
    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const r of new Set(refs)) expect(names).toContain(r.slice(22, -1));
  });

  it('marks parameters the server defaults as optional and documents the list filters', () => {
    for (const { op, method, path } of operationsOf(doc))
      for (const p of op.parameters ?? [])
        if (p.schema?.default !== undefined) expect(p.required, `${method} ${path} ${p.name}`).toBe(false);
    const listUsers = operationsOf(doc).find((o) => o.op.operationId === 'listUsers')!.op;
    expect(listUsers.parameters).toContainEqual(
      expect.objectContaining({ name: 'filters', in: 'query', style: 'form', explode: true }),
    );
  });

  it('describes the import body and the export’s content types', () => {
    const byId = (id: string) => operationsOf(doc).find((o) => o.op.operationId === id)!.op;
    expect(Object.keys(byId('importUsers').requestBody.content).sort()).toEqual(['application/x-ndjson', 'text/csv']);
    expect(Object.keys(byId('exportUsers').responses['200'].content).sort()).toEqual([
      'application/x-ndjson',
      'text/csv',
    ]);
  });

  it('gives every operation a description and examples of its request and responses', () => {
    const missing: string[] = [];
    for (const o of operationsOf(doc)) {
      const { op } = o;
      if (typeof op.description !== 'string' || op.description.length < 40 || op.description === op.summary)
        missing.push(`${nameOf(o)}: no description (what it does, who may call it, notable errors)`);
      // A binary file (gzip) has no example a JSON document can carry; its schema describes it.
      const hasExample = (m: Json) =>
        m.example !== undefined ||
        m.examples !== undefined ||
        m.schema?.example !== undefined ||
        m.schema?.format === 'binary';
      for (const [type, m] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>))
        if (!hasExample(m)) missing.push(`${nameOf(o)}: no request example (${type})`);
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        if (/^HTTP \d+$/.test(r.description)) missing.push(`${nameOf(o)}: response ${status} has no description`);
        if (!/^2/.test(status)) continue;
        for (const [type, m] of Object.entries((r.content ?? {}) as Record<string, Json>))
          if (!hasExample(m)) missing.push(`${nameOf(o)}: no example of its ${status} response (${type})`);
      }
    }
    expect(
      missing,
      'document these operations next to their route schemas (docs() in src/http/openapi/route-docs.ts)',
    ).toEqual([]);
  });

  it('has only examples that validate against their schemas and carry real values', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ components: doc.components }, 'doc');
    const relative = (schema: Json) =>
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'));
    const examples = examplesOf(doc);
    const failures: string[] = [];
    for (const { where, schema, value } of examples) {
      const validate = ajv.compile(relative(schema));
      if (!validate(value)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}`);
      const empty = placeholdersIn(value);
      if (empty.length) failures.push(`${where}: placeholder values at ${empty.join(', ')}`);
    }
    expect(failures).toEqual([]);
    expect(examples.length).toBeGreaterThan(operationsOf(doc).length);
  });

  it('lists on every operation the credentials it accepts, HTTP Basic where the dialect takes it', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    expect(doc.components.securitySchemes.basic).toMatchObject({ type: 'http', scheme: 'basic' });
    for (const o of operationsOf(doc)) {
      expect(Array.isArray(o.op.security), `${nameOf(o)} lists no security`).toBe(true);
      for (const req of o.op.security) for (const k of Object.keys(req)) expect(schemes, nameOf(o)).toContain(k);
    }
    const byId = (id: string) => operationsOf(doc).find((o) => o.op.operationId === id)!.op;
    expect(byId('restUsersGetAccount').security).toContainEqual({ basic: [] });
    expect(byId('restUsersGetAccount').security).toContainEqual({ bearer: [] });
    expect(byId('getUser').security).toEqual([{ bearer: [] }, { adminApiKey: [] }, { session: [] }]);
    expect(byId('scimGetUser').security).toEqual([{ bearer: [] }, { adminApiKey: [] }]);
    expect(byId('createSession').security).toEqual([]);
    expect(byId('getHealth').security).toEqual([]);
  });

  it('documents /health and /ready', () => {
    expect(doc.paths['/health'].get.operationId).toBe('getHealth');
    expect(doc.paths['/ready'].get.responses['503']).toBeDefined();
  });
});
