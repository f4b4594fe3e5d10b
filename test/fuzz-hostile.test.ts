import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { routesOf, type RouteEntry } from '../src/http/app.ts';
import { dialects } from '../src/http/dialects/index.ts';

/**
 * The fuzz suite samples; this sends every route of every dialect each of the hostile inputs a
 * black-box probe found 500s with: deep nesting (in the body and inside a field), NUL and lone
 * surrogates (in path parameters, query filters and written text) and tampered cursors. No 5xx,
 * and a refused request changes nothing.
 */
const BOOKKEEPING = /^(kysely_|login_attempts|login_locks|login_days|console_login_failures|console_sessions)/;
const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const b64 = (v: string) => Buffer.from(v).toString('base64url');
const CURSORS = [
  '[1.5]',
  '["1 OR 1=1"]',
  '[1e309]',
  '[99999999999999999999]',
  '["x",1]',
  '["2026-01-01T00:00:00Z",1]',
  '["\\u0000",1]',
  '["\\ud800",1]',
  '[{},1]',
  '[]',
].map(b64);
const TEXT_FIELDS = [
  'username',
  'userName',
  'email',
  'name',
  'displayName',
  'firstName',
  'lastName',
  'userId',
  'eventName',
  'contactName',
  'description',
  'key',
];
const withText = (s: string) =>
  JSON.stringify({
    ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, `x${s}`])),
    attributes: { lastName: s },
    params: { p: s },
  });

interface Hostile {
  what: string;
  params?: string;
  query?: string;
  body?: string;
}
const HOSTILE: Hostile[] = [
  { what: 'a body nested 5,000 levels', body: deep(5000) },
  { what: 'a field nested 200 levels', body: `{"username":"deep","attributes":${deep(200)},"params":${deep(200)}}` },
  { what: 'NUL in path parameters', params: 'a%00b' },
  { what: 'a lone surrogate in path parameters', params: 'n11%ED%A0%80' },
  { what: 'NUL in written text', body: withText('\u0000') },
  { what: 'a lone surrogate in written text', body: withText('\ud800') },
  {
    what: 'NUL and lone surrogates in filters',
    query:
      '?q=%00&lastName=%00&attr.x=%00&actor=%00&target=%00&action=%00&username=%ED%A0%80' +
      '&filter=userName%20eq%20%22%00%22&attributes%5BlastName%5D=%00',
  },
  ...CURSORS.map((c) => ({ what: `tampered cursor ${c}`, query: `?cursor=${c}&after=${c}&sort=createdAt` })),
];

describe.each(backends())('hostile input on every route ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let userId: number;
  let tables: string[];

  async function counts(): Promise<string> {
    const out: string[] = [];
    for (const name of tables) {
      const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(name)}`.execute(
        t.runtime.db.kysely,
      );
      out.push(`${name}:${r.rows[0].n}`);
    }
    return out.join(' ');
  }

  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    const u = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/users`,
      payload: { username: 'portal', email: 'portal@x.test', externalId: 'portal', password: 'long enough pw' },
    });
    userId = u.json().id;
    const db = t.runtime.db;
    const schema =
      db.kind === 'postgres'
        ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0].s
        : undefined;
    tables = (await db.kysely.introspection.getTables())
      .filter((x) => !x.isView && (schema === undefined || x.schema === schema) && !BOOKKEEPING.test(x.name))
      .map((x) => x.name);
  });
  afterAll(() => t.close());

  /** The value that reaches deepest for a path parameter. */
  const valid = (route: RouteEntry, name: string) => {
    if (/license/i.test(name)) return acme.licenseCode;
    if (/username/i.test(name)) return 'portal';
    if (/userId/.test(name) && route.url.startsWith('/v1/')) return 'portal';
    if (/account|^id$/.test(name) && route.url.startsWith('/admin/v1/tenants')) return String(acme.tenantId);
    if (/accountId/.test(name)) return String(acme.tenantId);
    return String(userId);
  };
  /** Who asks: the key that reaches each dialect's handlers (SCIM, Accounts and Usermost take a manager's). */
  const keyFor = (url: string) =>
    url.startsWith('/scim') || url.startsWith('/api/') || url.startsWith('/v1/') ? acme.keys.owner : ROOT_KEY;

  it('answers every hostile input on every route with a 4xx (or a success), never a 5xx, and a refusal changes nothing', async () => {
    const rank = (r: RouteEntry) => (r.method === 'DELETE' ? (r.url === '/admin/v1/tenants/:id' ? 2 : 1) : 0);
    const routes = routesOf(t.app)
      .filter((r) => r.method !== 'HEAD' && dialects.some((d) => r.url.startsWith(d.prefix)))
      .sort((a, b) => rank(a) - rank(b));
    expect(routes.length).toBeGreaterThan(dialects.length * 3);
    const failures: string[] = [];
    let before = await counts();
    let sent = 0;
    for (const route of routes) {
      for (const h of HOSTILE) {
        const path = route.url.replace(/:([A-Za-z_]+)|\*/g, (_m, name: string) => h.params ?? valid(route, name ?? ''));
        const url = path + (h.query ?? '');
        const contentType = route.url.startsWith('/scim') ? 'application/scim+json' : 'application/json';
        const r = await t.req({
          method: route.method as 'GET',
          url,
          key: keyFor(route.url),
          ...(h.body !== undefined && route.method !== 'GET'
            ? { payload: h.body, headers: { 'content-type': contentType } }
            : {}),
        });
        sent++;
        const after = await counts();
        const what = `${route.method} ${route.url} with ${h.what} → ${r.statusCode} ${r.body.slice(0, 200)}`;
        if (r.statusCode >= 500 && r.statusCode !== 501) failures.push(`5xx: ${what}`);
        else if (r.statusCode >= 400 && after !== before) failures.push(`refused but changed the database: ${what}`);
        before = after;
      }
    }
    expect(sent).toBe(routes.length * HOSTILE.length);
    expect((await t.req({ method: 'GET', url: '/health', key: null })).statusCode).toBe(200);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 600_000);
});
