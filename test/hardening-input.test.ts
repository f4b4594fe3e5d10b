import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { BODY_DEPTH_MAX } from '../src/http/body-depth.ts';

/** Hostile input a black-box probe found (nesting, tampered cursors, NUL and lone surrogates): a 4xx and nothing written. */
const DEEP = '__deep__';
/** A body with `{"a":{"a":…}}` nested n levels where DEEP stands (built as text: the test's own JSON code would overflow too). */
const nest = (n: number, body: unknown) =>
  JSON.stringify(body).replace(JSON.stringify(DEEP), '{"a":'.repeat(n) + '1' + '}'.repeat(n));
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(backends())('hostile input ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let users: string;
  const scim = { 'content-type': 'application/scim+json' };

  /** Every table's row count, to show a refused request wrote nothing. */
  async function counts() {
    const r = await t.req({ method: 'GET', url: `${users}?limit=1&total=exact` });
    const tenants = (await t.req({ method: 'GET', url: '/admin/v1/tenants?limit=1000' })).json().items.length;
    const audit = (await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/audit?limit=1000` })).json()
      .items.length;
    return { users: r.json().total, tenants, audit };
  }

  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    users = `/admin/v1/tenants/${acme.tenantId}/users`;
    for (let i = 0; i < 5; i++) {
      const r = await t.req({
        method: 'POST',
        url: users,
        payload: { username: `u${i}`, email: `u${i}@x.test`, lastName: `L${i}`, attributes: { x: `v${i}` } },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
  });
  afterAll(() => t.close());

  it(`refuses bodies nested deeper than ${BODY_DEPTH_MAX} levels on every dialect, before any handler`, async () => {
    const before = await counts();
    const owner = { authorization: `Bearer ${acme.keys.owner}` };
    const deep = (n: number) => [
      { url: users, payload: nest(n, { username: 'deep', attributes: { x: DEEP } }) },
      {
        url: '/api/v1/account/accounts',
        headers: { admin_api_key: acme.keys.owner },
        payload: nest(n, { username: 'deep', custom: DEEP }),
      },
      {
        url: '/v1/accounts/acme/events',
        payload: nest(n, { userId: 'u1', eventName: 'e', params: DEEP }),
        headers: { 'x-request-id': `deep-${n}` },
      },
      {
        url: '/scim/v2/Bulk',
        headers: { ...scim, ...owner },
        payload: nest(n, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [{ method: 'POST', path: '/Users', bulkId: 'b', data: { userName: 'deep', x: DEEP } }],
        }),
      },
      { url: '/rest/users', key: null, payload: nest(n, { username: 'deep', extra: DEEP }) },
      { url: '/usr/new', payload: nest(n, { username: 'deep', x: DEEP }) },
      { url: '/admin/v1/tenants', payload: nest(n, { name: 'deep', settings: DEEP }) },
    ];
    for (const n of [5000, 50_000, BODY_DEPTH_MAX]) {
      for (const r of deep(n)) {
        const res = await t.req({
          method: 'POST',
          url: r.url,
          key: r.key,
          headers: { 'content-type': 'application/json', ...r.headers },
          payload: r.payload,
        });
        expect(res.statusCode, `${r.url} ${n}: ${res.body}`).toBe(400);
        expect(res.body, r.url).toMatch(new RegExp(`deeper than ${BODY_DEPTH_MAX} levels`));
      }
    }
    expect(await counts()).toEqual(before);
    // At the limit, the body is read and judged on its merits.
    const ok = await t.req({
      method: 'POST',
      url: users,
      headers: { 'content-type': 'application/json' },
      payload: nest(BODY_DEPTH_MAX - 3, { username: 'at-limit', attributes: { x: DEEP } }),
    });
    expect(ok.statusCode, ok.body).toBe(201);
    await t.req({ method: 'DELETE', url: `${users}/${ok.json().id}` });
  });

  it('refuses tampered cursors with 400 invalid_cursor, and real ones still page', async () => {
    const page1 = await t.req({ method: 'GET', url: `${users}?sort=createdAt&limit=2` });
    expect(page1.statusCode).toBe(200);
    const next = page1.json().nextCursor as string;
    const page2 = await t.req({ method: 'GET', url: `${users}?sort=createdAt&limit=2&cursor=${next}` });
    expect(page2.statusCode, page2.body).toBe(200);
    expect(page2.json().items).toHaveLength(2);
    const tampered: [string, unknown][] = [
      ['', [1.5]],
      ['', ['1 OR 1=1']],
      ['', '[1e309]'],
      ['', '[99999999999999999999]'],
      ['', ['x', 1]],
      ['', ['\u0000']],
      ['sort=createdAt', ['x', 1]],
      ['sort=createdAt', [new Date().toISOString(), 1]],
      ['sort=createdAt', [1.5, 1]],
      ['sort=createdAt', [null, 1]],
      ['sort=active', [2, 1]],
      ['sort=lastName', [1, 1]],
      ['sort=lastName', ['a\ud800', 1]],
      ['sort=attr.x', [{}, 1]],
    ];
    for (const [sort, v] of tampered) {
      const raw = typeof v === 'string' ? v : JSON.stringify(v);
      const cursor = Buffer.from(raw).toString('base64url');
      const r = await t.req({ method: 'GET', url: `${users}?${sort}&cursor=${cursor}` });
      expect(r.statusCode, `${sort} ${raw}: ${r.body}`).toBe(400);
      expect(r.body).toContain('invalid_cursor');
    }
    expect((await t.req({ method: 'GET', url: `${users}?cursor=${b64([1])}` })).statusCode).toBe(200);
  });

  it('refuses NUL and lone surrogates in text filters with 400 naming the field', async () => {
    const audit = `/admin/v1/tenants/${acme.tenantId}/audit`;
    const accounts = '/api/v1/account/accounts';
    const key = { admin_api_key: acme.keys.owner };
    const owner = { authorization: `Bearer ${acme.keys.owner}` };
    for (const bad of ['%00', 'a%00b']) {
      for (const [url, field] of [
        [`${users}?q=${bad}`, 'q'],
        [`${users}?lastName=${bad}`, 'lastName'],
        [`${users}?attr.x=${bad}`, 'attr.x'],
        [`${audit}?actor=${bad}`, 'actor'],
        [`${audit}?target=${bad}`, 'target'],
        [`${audit}?action=${bad}`, 'action'],
        [`${accounts}?attributes[lastName]=${bad}`, 'lastName'],
        [`${accounts}?attributes=${encodeURIComponent('{"lastName":"\\u0000"}')}`, 'lastName'],
        [`${accounts}?attributes=${encodeURIComponent('{"lastName":"\\ud800"}')}`, 'lastName'],
        [`/scim/v2/Users?filter=${encodeURIComponent('userName eq "a\\u0000"')}`, ''],
      ] as const) {
        const headers = url.startsWith(accounts) ? key : url.startsWith('/scim') ? owner : {};
        const r = await t.req({ method: 'GET', url, headers });
        expect(r.statusCode, `${url}: ${r.body}`).toBe(400);
        if (field) expect(r.body, url).toContain(field);
      }
    }
    // A lookup by a name no stored value can hold finds nobody.
    expect((await t.req({ method: 'GET', url: '/rest/users/a%00b' })).statusCode).toBe(404);
    expect((await t.req({ method: 'GET', url: '/v1/accounts/acme/users/a%00b' })).statusCode).toBe(404);
  });

  it('refuses NUL and lone surrogates in written text on every dialect, naming the field, and stores nothing', async () => {
    const before = await counts();
    const user = (await t.req({ method: 'GET', url: `${users}?username=u1` })).json().items[0];
    const writes: [string, Record<string, unknown>, string][] = [];
    for (const bad of ['n11\ud800', 'a\u0000b', '\udc00x']) {
      writes.push(
        ['POST /rest/users', { username: bad, email: 'n11@x.test', password: 'long enough pw' }, 'username'],
        [`POST ${users}`, { username: 'n13', firstName: bad }, 'firstName'],
        [`POST ${users}`, { username: 'n13', attributes: { x: bad } }, 'attributes.x'],
        [`POST ${users}`, { username: 'n13', attributes: { x: [{ y: bad }] } }, 'attributes.x.0.y'],
        [`PATCH ${users}/${user.id}`, { displayName: bad }, 'displayName'],
        [`PATCH ${users}/${user.id}`, { plan: bad }, 'plan'],
        ['POST /scim/v2/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: bad }, 'userName'],
        ['POST /scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: bad }, ''],
        [
          'POST /usr/new',
          {
            username: 'n14',
            contactName: bad,
            emailAddress: 'n14@x.test',
            password: 'long enough pw',
            defaultAccountId: acme.tenantId,
          },
          '',
        ],
        ['POST /api/v1/account/accounts', { username: 'n15', lastName: bad }, 'lastName'],
        ['POST /api/v1/account/accounts', { username: 'n15', favourite: bad }, 'favourite'],
        ['POST /v1/accounts/acme/users', { userId: 'n16', firstName: bad }, 'firstName'],
        ['POST /admin/v1/tenants', { name: bad }, 'name'],
        [`PATCH /admin/v1/tenants/${acme.tenantId}`, { name: bad }, 'name'],
        [`POST /admin/v1/tenants/${acme.tenantId}/managers`, { name: bad, email: 'm@x.test', role: 'viewer' }, 'name'],
      );
    }
    for (const [what, payload, field] of writes) {
      const [method, url] = what.split(' ');
      const headers: Record<string, string> = url.startsWith('/scim')
        ? { ...scim, authorization: `Bearer ${acme.keys.owner}` }
        : { 'content-type': 'application/json' };
      if (url.startsWith('/api/v1/account')) headers.admin_api_key = acme.keys.owner;
      if (url.startsWith('/usr')) headers['content-type'] = 'text/javascript';
      const r = await t.req({
        method: method as 'POST',
        url,
        headers,
        key: url === '/rest/users' ? null : undefined,
        payload: JSON.stringify(payload),
      });
      expect(r.statusCode, `${what} ${JSON.stringify(payload)}: ${r.body}`).toBe(400);
      if (field) expect(r.body.toLowerCase(), what).toContain(field.toLowerCase());
      expect(r.body, what).toMatch(/NUL characters or unpaired surrogates/);
    }
    expect(await counts()).toEqual(before);
    expect((await t.req({ method: 'GET', url: `${users}/${user.id}` })).json()).toMatchObject({
      displayName: user.displayName,
      plan: user.plan,
    });
    // A surrogate pair (a real character) is text like any other.
    const ok = await t.req({ method: 'POST', url: users, payload: { username: 'emoji😀', firstName: '😀' } });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().username).toBe('emoji😀');
  });
});
