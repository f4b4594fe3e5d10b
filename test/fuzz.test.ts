import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { backends } from './support/backends.ts';
import { ROOT_KEY, startTestApp, type TestApp } from './support/harness.ts';
import { routesOf, type RouteEntry } from '../src/http/app.ts';
import { dialects } from '../src/http/dialects/index.ts';

/**
 * Property-based fuzzing of every route of every dialect: generated malformed requests
 * (methods, paths, params, query strings, headers, content types, JSON of wrong shapes, huge and
 * deeply nested values, invalid UTF-8, numbers out of range) must never get a 5xx or crash the
 * process, and a rejected request (4xx) must leave the database as it was. Fixed seed, bounded
 * runs; FUZZ_SEED / FUZZ_RUNS override them. A failure prints the shrunk request.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
/** To replay one failure: FUZZ_ONLY='^PATCH /scim' (a regex over "METHOD /route"). */
const ONLY = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : null;

/** Tables a rejected request may legitimately write: failed sign-ins (lockout), logins per day, expired sessions. */
const BOOKKEEPING = /^(kysely_|login_attempts|login_locks|login_days|console_login_failures|console_sessions)/;

const PASSWORD = 'fuzz password 1';
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

/** Each route's own seed, so a route's requests do not depend on which other routes run. */
const seedOf = (s: string) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7) & 0x7fffffff;

interface Fixture {
  tenantId: number;
  keys: Record<'owner' | 'admin' | 'editor' | 'viewer', string>;
  userId: number;
  groupId: string;
}

interface Req {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

// ---- generators

const NASTY_TEXT = [
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '1e3',
  '1e309',
  '-0',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '99999999999999999999999',
  '9007199254740993',
  '18446744073709551616',
  '__proto__',
  'constructor',
  "'; drop table users; --",
  '" OR 1=1 --',
  '${jndi:ldap://x}',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'n11\ud800',
  '\udc00x',
  '\u202e\u0301',
  '\u200bzero\u200dwidth',
  'mu\u0308ller',
  ' padded ',
  'a:b',
  '=1+1',
  '😀'.repeat(10),
  'ß'.repeat(300),
  'x'.repeat(5000),
  'a@b',
  'a@@b.c',
  '<script>',
  '../../etc/passwd',
  'userName eq "x"',
  'userName eq',
  '((((((((',
  'name.givenName pr and (title sw "a" or not (x gt 1))',
  'emails[type eq "work" and value co "@"].value',
  'active eq tru',
];
const NASTY_PARAM = [
  '0',
  '-1',
  '1.5',
  '1e3',
  '99999999999999999999999',
  '9007199254740993',
  'NaN',
  'null',
  '%00',
  '%2e%2e%2f',
  '..',
  '%E0%A4%A',
  '%ZZ',
  '%',
  '%F0%9F%98%80',
  'a'.repeat(600),
  '__proto__',
  'constructor',
  '%20',
  '%27%3B--',
  '%C3%28',
  '%FF%FE',
];
const QUERY_NAMES = [
  'limit',
  'count',
  'startIndex',
  'offset',
  'page',
  'pageSize',
  'per_page',
  'cursor',
  'after',
  'sort',
  'sortBy',
  'sortOrder',
  'filter',
  'q',
  'total',
  'attributes',
  'excludedAttributes',
  'username',
  'email',
  'externalId',
  'attr.plan',
  'attr.',
  'a[b]',
  '__proto__',
  'actor',
  'target',
  'action',
  'format',
  'includePasswords',
  'secrets',
  'mode',
  'dryRun',
  'type',
  'from',
  'to',
  'userId',
];
const FIELD_NAMES = [
  'username',
  'userName',
  'email',
  'emails',
  'emailAddress',
  'password',
  'firstName',
  'lastName',
  'name',
  'displayName',
  'contactName',
  'defaultAccountId',
  'active',
  'verified',
  'attributes',
  'externalId',
  'userId',
  'id',
  'schemas',
  'Operations',
  'op',
  'path',
  'value',
  'members',
  'groups',
  'events',
  'eventName',
  'eventTime',
  'params',
  'key',
  'cost',
  'role',
  'settings',
  'licenseCode',
  'gender',
  'phoneNumbers',
  'meta',
  'title',
  'company',
  'plan',
  'type',
  'status',
  'Resources',
  'bulkId',
  'method',
  '__proto__',
  'constructor',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
];
/** Cursors as a client might forge them: wrong types for the sort, out of range, injected text, NUL. */
const TAMPERED_CURSORS = [
  [1.5],
  ['1 OR 1=1'],
  ['x', 1],
  ['2026-01-01T00:00:00Z', 1],
  [null, null],
  ['\u0000', 1],
  ['\ud800', 1],
  [true],
  [{}, 1],
  [],
].map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));
for (const raw of ['[1e309]', '[99999999999999999999]']) TAMPERED_CURSORS.push(Buffer.from(raw).toString('base64url'));
TAMPERED_CURSORS.push('not base64!', '%00');

/** encodeURIComponent, except that a lone surrogate (which it refuses) is sent as its WTF-8 bytes. */
const encodeAny = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...s]
      .map((c) => {
        const u = c.charCodeAt(0);
        if (c.length === 1 && u >= 0xd800 && u <= 0xdfff)
          return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
            .map((b) => '%' + b.toString(16).toUpperCase())
            .join('');
        return encodeURIComponent(c);
      })
      .join('');
  }
};

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/scim+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'text/javascript',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/x-ndjson',
  'text/csv',
  '',
  ';;;',
  'application/json, text/plain',
  'application/*',
  'APPLICATION/JSON',
];

const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 1, 2 ** 64, Number.MIN_VALUE, 1e-320, 1.5),
);
const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_TEXT),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const leaf = fc.oneof(nastyString, number, fc.boolean(), fc.constant(null));
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_NAMES), leaf, { maxKeys: 4 }) },
);
const shaped = fc.dictionary(fc.constantFrom(...FIELD_NAMES), fieldValue, { minKeys: 1, maxKeys: 8 });
const scimOps = fc.record(
  {
    schemas: fc.constantFrom(
      ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      'x',
      [],
    ),
    Operations: fc.array(
      fc.record(
        {
          op: fc.oneof(fc.constantFrom('add', 'replace', 'remove', 'Replace', 'POST', 'PUT', 'DELETE'), nastyString),
          path: nastyString,
          value: fieldValue,
          method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'x'),
          bulkId: nastyString,
          data: shaped,
        },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: [] },
);
/** Requests that are almost right: each dialect's create shape with one or two fields made wrong. */
const TEMPLATES: Record<string, unknown>[] = [
  { username: 'nearly', email: 'nearly@fuzz.test', password: 'long enough pw' },
  {
    contactName: 'Near Ly',
    emailAddress: 'nearly@fuzz.test',
    defaultAccountId: 2,
    username: 'nearly',
    password: 'long enough pw',
    active: '1',
  },
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'nearly',
    emails: [{ value: 'nearly@fuzz.test', primary: true }],
    name: { givenName: 'N' },
  },
  { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'near group', members: [{ value: '1' }] },
  { userId: 'nearly', firstName: 'Near', lastName: 'Ly', plan: 'gold' },
  { userId: 'nearly', eventName: 'purchase', eventTime: '2013-01-26T07:31:05+0000', params: { amount: 1 } },
  { events: [{ userId: 'nearly', eventName: 'e' }] },
  { name: 'near', email: 'near@fuzz.test', role: 'viewer' },
  { name: 'Near tenant', licenseCode: 'near', settings: { passwordMinLength: 8 } },
  { key: 'rk_nearly', cost: 1 },
];
const nearly = fc
  .tuple(
    fc.constantFrom(...TEMPLATES),
    fc.dictionary(fc.constantFrom(...FIELD_NAMES), fieldValue, { minKeys: 1, maxKeys: 2 }),
  )
  .map(([base, wrong]) => JSON.stringify({ ...base, ...wrong }));
const deep = fc
  .tuple(fc.constantFrom(33, 40, 200, 5000, 50_000), fc.constantFrom('array', 'object', 'field'), nearly)
  .map(([n, kind, near]) =>
    kind === 'array'
      ? '['.repeat(n) + ']'.repeat(n)
      : kind === 'object'
        ? '{"a":'.repeat(n) + '1' + '}'.repeat(n)
        : // inside a field of a nearly right body (attributes, params, a custom field...)
          near.replace(/\}$/, ',"attributes":' + '{"a":'.repeat(n) + '1' + '}'.repeat(n) + '}'),
  );
const body: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: shaped.map((o) => JSON.stringify(o)) },
  { weight: 4, arbitrary: nearly },
  { weight: 2, arbitrary: scimOps.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: deep },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 64 })
      .map((b) => Buffer.concat([Buffer.from('{"username":"'), Buffer.from(b), Buffer.from('"}')])),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
      Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'username=a&password=b&username=c',
      '?&username=u&email=e&password=p',
      'a=%ZZ&b',
      '=&=&',
      'username[]=x',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      JSON.stringify({ username: 'big', attributes: { pad: 'x'.repeat(70 * 1024) } }),
      JSON.stringify({ displayName: 'x'.repeat(1100 * 1024) }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"a":1,"a":2}',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '[1,2',
      '{"a":',
      'null',
      '"str"',
      '1e999',
      '-',
      '\u0000',
    ),
  },
);

function requestFor(route: RouteEntry, fx: Fixture): fc.Arbitrary<Req> {
  const valid = [String(fx.tenantId), String(fx.userId), 'acme', 'fuzz-ann', 'portal', fx.groupId, '1', 'default'];
  // The value that reaches deepest for a parameter, by its name and route.
  const best = (name: string): string[] => {
    if (/license|code/i.test(name)) return ['acme'];
    if (/username/i.test(name)) return ['portal', 'fuzz-ann'];
    if (/userId/.test(name)) return route.url.startsWith('/v1/') ? ['fuzz-ann', 'portal'] : [String(fx.userId)];
    if (/account/i.test(name)) return [String(fx.tenantId)];
    if (route.url.includes('/Groups/')) return [fx.groupId];
    if (route.url.includes('/Users/') || route.url.startsWith('/usr/') || route.url.includes('/accounts/:id'))
      return [String(fx.userId)];
    if (route.url.includes('/Schemas/') || route.url.includes('/ResourceTypes/'))
      return ['User', 'Group', 'urn:ietf:params:scim:schemas:core:2.0:User'];
    return [String(fx.tenantId)];
  };
  const param = (name: string) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...best(name)) },
      { weight: 1, arbitrary: fc.constantFrom(...valid) },
      { weight: 3, arbitrary: fc.constantFrom(...NASTY_PARAM) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map(encodeAny) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('%00', 'a%00b', '%ED%A0%80', 'n11%ED%A0%80', '0x3', '+3', '3.0', '3%20'),
      },
    );
  const names = [...route.url.matchAll(/:([A-Za-z_]+)|\*/g)].map((m) => m[0]);
  const path = fc.tuple(...names.map((n) => param(n))).map((vals) => {
    let i = 0;
    return route.url.replace(/:([A-Za-z_]+)|\*/g, () => vals[i++]);
  });
  const queryValue = fc.oneof(
    fc.constantFrom(
      '-1',
      '0',
      '1',
      '1000',
      '1001',
      '1e309',
      '99999999999999999999',
      'abc',
      '',
      'exact',
      'true',
      '%ZZ',
      'x'.repeat(3000),
    ),
    nastyString.map(encodeAny),
    fc.constantFrom(...TAMPERED_CURSORS),
  );
  const query = fc
    .array(fc.tuple(fc.constantFrom(...QUERY_NAMES), queryValue), { maxLength: 4 })
    .map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&') : ''));
  const auth = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { authorization: `Bearer ${fx.keys.owner}` },
        { admin_api_key: fx.keys.owner },
      ),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { authorization: `Bearer ${ROOT_KEY}` },
        { authorization: basic('portal', PASSWORD) },
      ),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom<Record<string, string>>(
        {},
        { authorization: `Bearer ${fx.keys.editor}` },
        { authorization: `Bearer ${fx.keys.viewer}` },
        { admin_api_key: fx.keys.admin },
        { authorization: 'Bearer rk_nope' },
        { authorization: `Bearer ${'x'.repeat(5000)}` },
        { authorization: basic('portal', PASSWORD) },
        { authorization: basic('portal', 'wrong password') },
        { authorization: 'Basic %%%' },
        { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') },
        { authorization: 'Digest x' },
      ),
    },
  );
  const extra = fc.record(
    {
      'content-type': fc.constantFrom(...CONTENT_TYPES),
      'if-match': fc.constantFrom('W/"1"', '"abc"', '*', 'W/"99999999999999999999"', 'W/', '""'),
      'x-request-id': fc.oneof(fc.constantFrom('req-1', 'x'.repeat(2000), ''), fc.string({ maxLength: 20 })),
      'x-roster-tenant': fc.constantFrom('acme', 'default', 'nope', '', 'x'.repeat(300)),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/scim+json', 'application/xml'),
    },
    { requiredKeys: [] },
  );
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constant(route.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') },
  );
  return fc
    .record({ method, path, query, auth, extra, body })
    .map(({ method: m, path: p, query: q, auth: a, extra: e, body: b }) => {
      const headers: Record<string, string> = { ...a, ...(e as Record<string, string>) };
      for (const [k, v] of Object.entries(headers)) if (/[^\t\x20-\x7e]/.test(v)) headers[k] = encodeURIComponent(v); // header values must be sendable
      if (b === undefined) delete headers['content-type'];
      return { method: m, url: p + q, headers, ...(b !== undefined ? { body: b } : {}) };
    });
}

describe.each(backends())('fuzzing every route ($name)', (backend) => {
  let t: TestApp;
  let fx: Fixture;
  let tables: string[];

  async function snapshot(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const name of tables) {
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(t.runtime.db.kysely))
        .rows;
      // A sign-in that succeeded before authorization failed may record itself (lastLoginAt): bookkeeping, not a change asked for.
      out.set(
        name,
        rows
          .map((r) => JSON.stringify({ ...r, lastLoginAt: undefined }))
          .sort()
          .join('\n'),
      );
    }
    return out;
  }

  /** Waits for background work an accepted request started (import jobs), so it is not taken for a change by the next one. */
  async function settle(): Promise<void> {
    if (!tables.includes('imports')) return;
    for (let i = 0; i < 500; i++) {
      const r = await sql<{
        n: number | string;
      }>`select count(*) as n from imports where state in ('queued', 'running')`.execute(t.runtime.db.kysely);
      if (Number(r.rows[0].n) === 0) return;
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  /** Keeps the fixture usable: earlier (valid, 2xx) requests may have deleted users or rotated keys. */
  async function heal(): Promise<void> {
    const root = (opts: InjectOptions) => t.req({ ...opts, key: ROOT_KEY } as InjectOptions & { key: string });
    const list = (await root({ method: 'GET', url: '/admin/v1/tenants?limit=1000' })).json().items as {
      id: number;
      licenseCode: string;
    }[];
    let tenant = list.find((x) => x.licenseCode === 'acme');
    if (!tenant)
      tenant = (
        await root({ method: 'POST', url: '/admin/v1/tenants', payload: { name: 'Acme', licenseCode: 'acme' } })
      ).json();
    fx = { ...(fx ?? { keys: {}, userId: 0, groupId: '1' }), tenantId: tenant!.id } as Fixture;
    for (const role of ['owner', 'admin', 'editor', 'viewer'] as const) {
      const ok =
        fx.keys[role] &&
        (await t.req({ method: 'GET', url: `/admin/v1/tenants/${fx.tenantId}`, key: fx.keys[role] })).statusCode ===
          200;
      if (!ok) {
        const m = await root({
          method: 'POST',
          url: `/admin/v1/tenants/${fx.tenantId}/managers`,
          payload: { name: role, email: `${role}@fuzz.test`, role },
        });
        fx.keys[role] = m.json().apiKey;
      }
    }
    const users = `/admin/v1/tenants/${fx.tenantId}/users`;
    for (const username of ['fuzz-ann', 'portal']) {
      const found = (await root({ method: 'GET', url: `${users}?username=${username}` })).json().items as {
        id: number;
      }[];
      let id = found[0]?.id;
      if (id === undefined)
        id = (
          await root({
            method: 'POST',
            url: users,
            payload: { username, email: `${username}@fuzz.test`, password: PASSWORD },
          })
        ).json().id;
      else await root({ method: 'PATCH', url: `${users}/${id}`, payload: { password: PASSWORD, active: true } });
      if (username === 'fuzz-ann') fx.userId = id!;
    }
    const g = await root({
      method: 'POST',
      url: '/scim/v2/Groups',
      headers: { authorization: `Bearer ${fx.keys.owner}`, 'content-type': 'application/scim+json' },
      payload: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `g-${Date.now()}` },
    });
    if (g.statusCode === 201) fx.groupId = String(g.json().id);
  }

  beforeAll(async () => {
    t = await startTestApp(backend);
    await heal();
    const db = t.runtime.db;
    const schema =
      db.kind === 'postgres'
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0].s
        : undefined;
    tables = (await db.kysely.introspection.getTables())
      .filter((x) => !x.isView && (schema === undefined || x.schema === schema) && !BOOKKEEPING.test(x.name))
      .map((x) => x.name)
      .sort();
  });
  afterAll(() => t.close());

  it('sees a change when there is one (the detector itself works)', async () => {
    const before = await snapshot();
    await sql`update users set title = ${'canary'} where id = ${fx.userId}`.execute(t.runtime.db.kysely);
    const after = await snapshot();
    expect(tables.filter((n) => before.get(n) !== after.get(n))).toEqual(['users']);
    await sql`update users set title = null where id = ${fx.userId}`.execute(t.runtime.db.kysely);
  });

  it('no 5xx, no crash, and a rejected request changes nothing', async () => {
    const all = routesOf(t.app).filter(
      (r) =>
        dialects.some((d) => r.url.startsWith(d.prefix)) &&
        r.method !== 'HEAD' &&
        (!ONLY || ONLY.test(`${r.method} ${r.url}`)),
    );
    // Deletions last (the tenant's own at the very end), so they do not take the fixture away from the rest.
    const rank = (r: RouteEntry) => (r.method === 'DELETE' ? (r.url === '/admin/v1/tenants/:id' ? 2 : 1) : 0);
    const routes = [...all].sort((a, b) => rank(a) - rank(b));
    // Unknown paths under each prefix, too.
    if (!ONLY)
      for (const d of dialects)
        routes.push({ method: 'GET', url: `${d.prefix}/:x/:y/*` }, { method: 'POST', url: `${d.prefix}/:x` });
    expect(routes.length).toBeGreaterThan(ONLY ? 0 : dialects.length * 3);

    const failures: string[] = [];
    let sent = 0;
    let unsendable = 0;
    for (const route of routes) {
      await heal();
      await settle();
      let before = await snapshot();
      const details = await fc.check(
        fc.asyncProperty(requestFor(route, fx), async (r) => {
          let res: LightMyRequestResponse;
          try {
            res = await t.app.inject({
              method: r.method as 'GET',
              url: r.url,
              headers: r.headers,
              ...(r.body !== undefined ? { payload: r.body } : {}),
            });
          } catch {
            // light-my-request refused to build it (e.g. a URL it cannot parse): never reached the server
            unsendable++;
            return true;
          }
          sent++;
          const what = `${r.method} ${r.url.slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
          if (res.statusCode < 300) await settle();
          const after = await snapshot();
          const changed = tables.filter((n) => before.get(n) !== after.get(n));
          before = after;
          // 501 is a deliberate protocol answer (SCIM's unsupported /Me), not a failure of the server.
          if (res.statusCode >= 500 && res.statusCode !== 501) throw new Error(`5xx: ${what}`);
          if (res.statusCode >= 400 && changed.length)
            throw new Error(`rejected request changed ${changed.join(', ')}: ${what}`);
          return true;
        }),
        { seed: SEED + seedOf(`${route.method} ${route.url}`), numRuns: RUNS, endOnFailure: false },
      );
      if (details.failed) {
        const why =
          details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        const report = fc.defaultReportMessage(details)?.split('\n').slice(0, 4).join('\n') ?? '';
        // long runs of one character (padding values) shortened so the request stays readable
        failures.push(
          `${route.method} ${route.url}: ${why}\n${report}`.replace(
            /(.)\1{40,}/g,
            (m, c: string) => `${c}…(×${m.length})`,
          ),
        );
      }
    }
    expect((await t.req({ method: 'GET', url: '/health', key: null })).statusCode).toBe(200); // still up
    expect(sent).toBeGreaterThan(routes.length * RUNS * 0.5);
    expect(
      failures,
      `${failures.length} routes failed (sent ${sent}, unsendable ${unsendable}):\n\n${failures.join('\n\n')}`,
    ).toEqual([]);
  }, 600_000);
});
