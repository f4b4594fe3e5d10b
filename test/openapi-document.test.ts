import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { startTestApp, type TestApp } from './support/harness.ts';
import { operationsOf as opsOf } from '../src/http/openapi/document.ts';
import { TAG_GROUPS } from '../src/http/openapi/tags.ts';

type Json = Record<string, any>;
const operationsOf = (doc: Json) => opsOf(doc) as { path: string; method: string; op: Json }[];

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

  it('documents /health and /ready', () => {
    expect(doc.paths['/health'].get.operationId).toBe('getHealth');
    expect(doc.paths['/ready'].get.responses['503']).toBeDefined();
  });
});
