import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { PASSWORD, basic, signUp } from './support/rest-users.ts';
import { routesOf } from '../src/http/app.ts';

/** Ids and codes nothing has. */
const ABSENT_ID = 999999;
const ABSENT_CODE = 'no-such-tenant';

/** What a client sees of an answer: status, the headers that carry meaning, the body. */
const seen = (r: LightMyRequestResponse) => ({
  status: r.statusCode,
  type: r.headers['content-type'],
  auth: r.headers['www-authenticate'],
  body: r.body,
});
/** The same answer with the id the client sent (and only it) replaced, so two ids can be compared. */
const seenWith = (r: LightMyRequestResponse, id: number | string) => {
  const s = seen(r);
  return { ...s, body: s.body.replace(new RegExp(`\\b${id}\\b`, 'g'), 'ID') };
};

/**
 * "Does not exist" and "not yours" answer alike on every dialect: byte for byte, whichever tenant,
 * license code, user, manager or account name is asked about, so a key learns nothing about others.
 */
describe.each(backends())('one answer for "does not exist" and "not yours" ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let globex: Fixture;
  let globexUser: number;
  let globexManager: number;
  let globexWebhook: number;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    globex = await makeTenant(t, 'Globex', 'globex');
    const u = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${globex.tenantId}/users`,
      payload: { username: 'gina', email: 'gina@globex.test', password: PASSWORD },
    });
    globexUser = u.json().id;
    const ms = await t.req({ method: 'GET', url: `/admin/v1/tenants/${globex.tenantId}/managers` });
    globexManager = ms.json().items[0].id;
    const w = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${globex.tenantId}/webhooks`,
      payload: { url: 'https://hooks.example.com/x', events: ['*'] },
    });
    expect(w.statusCode, w.body).toBe(201);
    globexWebhook = w.json().id;
  });
  afterAll(() => t.close());

  /** A body each management route would accept, so the answer comes from the tenant check, not the schema. */
  const adminBody = (method: string, url: string): { payload?: string; type?: string } => {
    if (method === 'GET' || method === 'DELETE') return {};
    const json = (o: object) => ({ payload: JSON.stringify(o), type: 'application/json' });
    if (url.endsWith('/imports')) return { payload: '{"username":"x"}\n', type: 'application/x-ndjson' };
    if (url.endsWith('/managers')) return json({ name: 'M', email: 'm@x.test', role: 'viewer' });
    if (url.endsWith('/users')) return json({ username: 'enum-probe' });
    if (url.endsWith('/users/:userId')) return json({ firstName: 'X' });
    if (url.endsWith('/webhooks')) return json({ url: 'https://hooks.example.com/y', events: ['*'] });
    if (url.endsWith('/webhooks/:webhookId')) return json({ description: 'x' });
    if (url === '/admin/v1/tenants/:id') return json({ name: 'Renamed' });
    return json({});
  };

  it('management API: every tenant route answers another tenant and no tenant with the same 404, naming no id', async () => {
    const routes = routesOf(t.app).filter((r) => r.method !== 'HEAD' && r.url.startsWith('/admin/v1/tenants/:id'));
    expect(routes.length).toBeGreaterThan(20);
    let checked = 0;
    for (const route of routes) {
      const call = (tenantId: number) => {
        const url = route.url.replace(':id', String(tenantId)).replace(/:[A-Za-z]+/g, '1');
        const { payload, type } = adminBody(route.method, route.url);
        return t.req({
          method: route.method as 'GET',
          url,
          key: acme.keys.owner,
          ...(payload !== undefined ? { payload, headers: { 'content-type': type! } } : {}),
        });
      };
      const other = await call(globex.tenantId);
      const none = await call(ABSENT_ID);
      const what = `${route.method} ${route.url}`;
      expect(seen(other), what).toEqual(seen(none));
      // Root-only operations are refused before any tenant is looked at: alike, too. A route this
      // sweep has no valid body for is refused by its schema first: alike as well, but it counts
      // for nothing below.
      const expected =
        other.statusCode === 403
          ? { error: { code: 'auth.forbidden', message: 'only the root key manages tenants' } }
          : other.statusCode === 400
            ? { error: { ...other.json().error, code: 'invalid_request' } }
            : { error: { code: 'tenant.not_found', message: 'tenant not found' } };
      expect(other.json(), `${what}: ${other.statusCode} ${other.body}`).toEqual(expected);
      if (other.statusCode === 404) checked++;
    }
    expect(checked).toBeGreaterThan(25);
    // Nothing was written to the other tenant.
    const users = await t.req({ method: 'GET', url: `/admin/v1/tenants/${globex.tenantId}/users` });
    expect(users.json().items.map((u: { username: string }) => u.username)).toEqual(['gina']);
  });

  it("management API: another tenant's user, manager and webhook answer as ones that do not exist", async () => {
    const base = `/admin/v1/tenants/${acme.tenantId}`;
    const pairs: [string, number, string?][] = [
      ['GET', globexUser, `${base}/users/ID`],
      ['PATCH', globexUser, `${base}/users/ID`],
      ['DELETE', globexUser, `${base}/users/ID`],
      ['GET', globexWebhook, `${base}/webhooks/ID`],
      ['GET', globexWebhook, `${base}/webhooks/ID/deliveries`],
      ['POST', globexWebhook, `${base}/webhooks/ID/rotate-secret`],
      ['GET', globexManager, '/admin/v1/managers/ID'],
      ['PATCH', globexManager, '/admin/v1/managers/ID'],
      ['POST', globexManager, '/admin/v1/managers/ID/key'],
      ['DELETE', globexManager, '/admin/v1/managers/ID'],
    ];
    for (const [method, id, url] of pairs) {
      const payload =
        method === 'PATCH' ? (url!.includes('/managers/') ? { name: 'X' } : { firstName: 'X' }) : undefined;
      const call = (n: number) =>
        t.req({ method: method as 'GET', url: url!.replace('ID', String(n)), key: acme.keys.owner, payload });
      const other = await call(id);
      const none = await call(ABSENT_ID);
      expect(seenWith(other, id), `${method} ${url}`).toEqual(seenWith(none, ABSENT_ID));
      expect(other.statusCode, `${method} ${url}: ${other.body}`).toBe(404);
    }
  });

  it('/usr: another account and no account answer alike (lists, public list, adding a user)', async () => {
    const usr = (method: string, url: string, payload?: object) =>
      t.req({ method: method as 'GET', url, key: acme.keys.owner, payload });
    for (const path of ['/usr/acc/ID', '/pub/usr/acc/ID']) {
      const other = await usr('GET', path.replace('ID', String(globex.tenantId)));
      const none = await usr('GET', path.replace('ID', String(ABSENT_ID)));
      expect(seen(other), path).toEqual(seen(none));
      expect(other.statusCode).toBe(404);
      expect(other.body).not.toMatch(/\d{2,}/);
    }
    const add = (accountId: number) =>
      usr('POST', '/usr/new', {
        contactName: 'Probe',
        emailAddress: 'probe@x.test',
        username: `probe-${accountId}`,
        password: 'long enough pw',
        defaultAccountId: accountId,
      });
    const other = await add(globex.tenantId);
    const none = await add(ABSENT_ID);
    expect(seen(other)).toEqual(seen(none));
    expect(other.statusCode).toBe(400);
    for (const method of ['GET', 'POST', 'DELETE']) {
      const payload = method === 'POST' ? { contactName: 'X' } : undefined;
      const o = await usr(method, `/usr/${globexUser}`, payload);
      const n = await usr(method, `/usr/${ABSENT_ID}`, payload);
      expect(seenWith(o, globexUser), method).toEqual(seenWith(n, ABSENT_ID));
      expect(o.statusCode).toBe(404);
    }
  });

  it("Usermost: another tenant's license code and an unknown one answer alike", async () => {
    for (const [method, path, payload] of [
      ['GET', '/users', undefined],
      ['GET', '/users/gina', undefined],
      ['POST', '/users', { userId: 'probe', email: 'probe@x.test' }],
      ['DELETE', '/users/gina', undefined],
      ['POST', '/events', { userId: 'gina', eventName: 'e' }],
    ] as const) {
      const call = (code: string) =>
        t.req({
          method: method as 'GET',
          url: `/v1/accounts/${code}${path}`,
          key: acme.keys.owner,
          ...(payload ? { payload } : {}),
        });
      const other = await call('globex');
      const none = await call(ABSENT_CODE);
      expect(seen(other), `${method} ${path}`).toEqual(seen(none));
      expect(other.statusCode).toBe(401);
    }
  });

  it("Accounts and SCIM: another tenant's user (and group member) answer as one that does not exist", async () => {
    const accounts = (method: string, id: number, payload?: object) =>
      t.req({ method: method as 'GET', url: `/api/v1/account/accounts/${id}`, key: acme.keys.owner, payload });
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const payload = method === 'PATCH' || method === 'PUT' ? { lastName: 'X' } : undefined;
      const o = await accounts(method, globexUser, payload);
      const n = await accounts(method, ABSENT_ID, payload);
      expect(seenWith(o, globexUser), `accounts ${method}`).toEqual(seenWith(n, ABSENT_ID));
      expect(o.statusCode).toBe(method === 'PUT' && o.statusCode === 400 ? 400 : 404);
    }
    const scim = (method: string, url: string, payload?: object) =>
      t.req({
        method: method as 'GET',
        url,
        key: acme.keys.owner,
        headers: { 'content-type': 'application/scim+json' },
        ...(payload ? { payload } : {}),
      });
    const patch = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'title', value: 'X' }],
    };
    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', patch],
      ['DELETE', undefined],
    ] as const) {
      const o = await scim(method, `/scim/v2/Users/${globexUser}`, payload);
      const n = await scim(method, `/scim/v2/Users/${ABSENT_ID}`, payload);
      expect(seenWith(o, globexUser), `SCIM ${method}`).toEqual(seenWith(n, ABSENT_ID));
      expect(o.statusCode).toBe(404);
    }
    const group = (member: number) =>
      scim('POST', '/scim/v2/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: `probe-${member}`,
        members: [{ value: String(member) }],
      });
    // A member that is not the tenant's user is not added, whether it is another tenant's or nobody's.
    const o = await group(globexUser);
    const n = await group(ABSENT_ID);
    expect([o.statusCode, o.json().members]).toEqual([n.statusCode, n.json().members]);
    expect(o.json().members ?? []).toEqual([]);
  });

  it('/rest: an unknown license code answers as a known tenant with a bad key, bad credentials or closed sign-up', async () => {
    await signUp(t, 'rita', { tenant: 'acme' });
    const keyed = await t.req({
      method: 'POST',
      url: '/rest/users/rita/keys',
      key: null,
      headers: { 'x-roster-tenant': 'acme', authorization: basic('rita', PASSWORD) },
      payload: { name: 'k' },
    });
    const appKey = keyed.json().content.key as string;
    const verify = (tenant: string, key: string) =>
      t.req({
        method: 'POST',
        url: '/rest/keys/verify',
        key: null,
        headers: { 'x-roster-tenant': tenant },
        payload: { key },
      });
    // A real key sent to a code nobody has, a wrong key sent to a real tenant, a real key sent to another real tenant.
    const unknownCode = await verify(ABSENT_CODE, appKey);
    const badKey = await verify('acme', 'rak_not_a_key_at_all');
    const otherTenant = await verify('globex', appKey);
    expect(unknownCode.statusCode).toBe(401);
    expect(seen(unknownCode)).toEqual(seen(badKey));
    expect(seen(unknownCode)).toEqual(seen(otherTenant));

    const login = (tenant: string, username: string) =>
      t.req({
        method: 'GET',
        url: `/rest/users/${username}`,
        key: null,
        headers: { 'x-roster-tenant': tenant, authorization: basic(username, 'not the password') },
      });
    expect(seen(await login(ABSENT_CODE, 'rita'))).toEqual(seen(await login('acme', 'rita')));
    expect(seen(await login(ABSENT_CODE, 'nobody'))).toEqual(seen(await login('acme', 'nobody')));

    // A manager key: a code nobody has is "tenant not found", as another tenant is.
    const asManager = (tenant: string) =>
      t.req({ method: 'GET', url: '/rest/users/gina', key: acme.keys.owner, headers: { 'x-roster-tenant': tenant } });
    const none = await asManager(ABSENT_CODE);
    expect(seen(none)).toEqual(seen(await asManager('globex')));
    expect(none.statusCode).toBe(404);

    // Sign-up without a key: a code nobody has answers as a tenant with sign-up closed.
    await t.req({
      method: 'PATCH',
      url: `/admin/v1/tenants/${globex.tenantId}`,
      payload: { settings: { publicSignup: false } },
    });
    const signUpAt = (tenant: string) =>
      t.req({
        method: 'POST',
        url: '/rest/users',
        key: null,
        headers: { 'x-roster-tenant': tenant },
        payload: { username: 'zed', email: 'zed@x.test', password: PASSWORD },
      });
    const closed = await signUpAt('globex');
    expect(closed.statusCode).toBe(401);
    expect(seen(await signUpAt(ABSENT_CODE))).toEqual(seen(closed));
  });

  it('console sign-in: a locked manager and an email nobody has answer alike', async () => {
    const ms = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/managers` });
    const viewer = ms.json().items.find((m: { role: string }) => m.role === 'viewer').id;
    const pw = 'a long console passphrase';
    const set = await t.req({
      method: 'PUT',
      url: `/admin/v1/managers/${viewer}/password`,
      key: acme.keys.viewer,
      payload: { password: pw },
    });
    expect(set.statusCode, set.body).toBe(200);
    const signIn = (email: string, password: string, licenseCode = 'acme') =>
      t.req({ method: 'POST', url: '/admin/v1/session', key: null, payload: { email, password, licenseCode } });
    for (let i = 0; i < 10; i++) {
      const real = await signIn('viewer@acme.test', `wrong ${i}`);
      const ghost = await signIn('ghost@acme.test', `wrong ${i}`);
      expect(real.statusCode).toBe(401);
      expect(seen(ghost)).toEqual(seen(real));
      // A license code nobody has answers as a wrong email or password.
      expect(seen(await signIn('viewer@acme.test', `wrong ${i}`, ABSENT_CODE))).toEqual(seen(real));
    }
    const real = await signIn('viewer@acme.test', pw);
    const ghost = await signIn('ghost@acme.test', pw);
    expect(real.statusCode).toBe(429);
    expect({ ...seen(ghost), retry: undefined }).toEqual({ ...seen(real), retry: undefined });
    expect(ghost.headers['retry-after']).toBeDefined();
    // The unknown code locked too, after its own ten failures.
    expect((await signIn('viewer@acme.test', pw, ABSENT_CODE)).statusCode).toBe(429);
  });
});
