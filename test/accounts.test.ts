import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

const BASE = '/api/v1/account/accounts';
// The documented example body, byte for byte.
const SEED_BODY =
  '{"email": "email@company.com","username": "myusername","firstName": "Bob","middleName": "B","lastName": "Smith","company": "Acme Inc","title": "Tester","department": "Product Testing","website": "http://www.acme.com","phoneOffice": "111-222-3333","phoneMobile": "222-333-4444","gender": "male"}';
const SEED_VALUES = {
  email: 'email@company.com',
  username: 'myusername',
  firstName: 'Bob',
  middleName: 'B',
  lastName: 'Smith',
  company: 'Acme Inc',
  title: 'Tester',
  department: 'Product Testing',
  website: 'http://www.acme.com',
  phoneOffice: '111-222-3333',
  phoneMobile: '222-333-4444',
  gender: 'male',
};
const DEFAULT_FIELDS = [
  'id',
  'email',
  'username',
  'firstName',
  'middleName',
  'lastName',
  'displayName',
  'company',
  'title',
  'department',
  'website',
  'phoneHome',
  'phoneOffice',
  'phoneMobile',
  'phoneTollFree',
  'phoneOther',
  'pager',
  'fax',
  'gender',
];

describe.each(backends())('Accounts dialect: requests and writes ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
  });
  afterAll(() => t.close());

  /** A request as the documented curl examples make it: Accept + admin_api_key, `-d` labelled as a form. */
  const curl = (method: string, url: string, key: string, data?: string, extra: Record<string, string> = {}) =>
    t.req({
      method: method as 'GET',
      url,
      key: null,
      headers: {
        accept: 'application/json',
        admin_api_key: key,
        ...(data !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...extra,
      },
      ...(data !== undefined ? { payload: data } : {}),
    });
  const json = (method: string, url: string, key: string, body: unknown) =>
    t.req({
      method: method as 'POST',
      url,
      key: null,
      headers: { accept: 'application/json', admin_api_key: key, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const create = async (key: string, body: Record<string, unknown>) => {
    const r = await json('POST', BASE, key, body);
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as Record<string, unknown> & { id: number };
  };
  const adminUser = async (tenantId: number, id: number) =>
    (await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users/${id}` })).json();
  const userCount = async (tenantId: number) =>
    (await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users?total=exact&limit=1` })).json()
      .total as number;

  it('replays every documented curl example', async () => {
    const key = acme.keys.admin;
    // POST
    const c = await curl('POST', BASE, key, SEED_BODY);
    expect(c.statusCode, c.body).toBe(201);
    expect(c.headers['content-type']).toMatch(/^application\/json/);
    const created = c.json();
    expect(created).toMatchObject({ ...SEED_VALUES, links: [{ rel: 'self', url: `/accounts/${created.id}` }] });
    expect(typeof created.id).toBe('number');
    expect(c.headers.location).toBe(`${BASE}/${created.id}`);

    // GET one: the bare account, every default field present (null when unset)
    const g = await curl('GET', `${BASE}/${created.id}`, key);
    expect(g.statusCode).toBe(200);
    expect(g.json()).toEqual({
      id: created.id,
      ...SEED_VALUES,
      displayName: null,
      phoneHome: null,
      phoneTollFree: null,
      phoneOther: null,
      pager: null,
      fax: null,
    });
    expect(Object.keys(g.json()).sort()).toEqual([...DEFAULT_FIELDS].sort());

    // GET many
    const l = await curl('GET', BASE, key);
    expect(l.statusCode).toBe(200);
    const list = l.json();
    expect(Object.keys(list).sort()).toEqual(['data', 'pagination', 'totalItems']);
    expect(Object.keys(list.pagination).sort()).toEqual([
      'count',
      'currentPage',
      'links',
      'perPage',
      'total',
      'totalPages',
    ]);
    expect(list.data).toEqual([g.json()]);
    expect(list.pagination).toEqual({ currentPage: 1, perPage: 20, count: 1, totalPages: 1, total: 1, links: {} });
    expect(list.totalItems).toBe(1);

    // PUT
    const p = await curl('PUT', `${BASE}/${created.id}`, key, SEED_BODY);
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json()).toMatchObject({
      id: created.id,
      ...SEED_VALUES,
      links: [{ rel: 'self', url: `/accounts/${created.id}` }],
    });

    // PATCH
    const pa = await curl(
      'PATCH',
      `${BASE}/${created.id}`,
      key,
      '{"email": "email@company.com","username": "myusername"}',
    );
    expect(pa.statusCode, pa.body).toBe(200);
    expect(pa.json()).toMatchObject({
      id: created.id,
      ...SEED_VALUES,
      links: [{ rel: 'self', url: `/accounts/${created.id}` }],
    });

    // DELETE
    const d = await curl('DELETE', `${BASE}/${created.id}`, key);
    expect(d.statusCode).toBe(204);
    expect(d.body).toBe('');
    const gone = await curl('GET', `${BASE}/${created.id}`, key);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ error: { status: 404, message: `account ${created.id} not found` } });
    expect((await curl('DELETE', `${BASE}/${created.id}`, key)).statusCode).toBe(404);
  });

  it('reads a JSON body under application/json, a form label, no Content-Type, and a real form', async () => {
    const key = acme.keys.editor;
    const noType = await t.req({
      method: 'POST',
      url: BASE,
      key: null,
      headers: { accept: 'application/json', admin_api_key: key },
      payload: '{"username":"no-type","lastName":"Plain"}',
    });
    expect(noType.statusCode, noType.body).toBe(201);
    expect(noType.json()).toMatchObject({ username: 'no-type', lastName: 'Plain' });

    const charset = await t.req({
      method: 'POST',
      url: BASE,
      key: null,
      headers: { admin_api_key: key, 'content-type': 'application/json; charset=utf-8' },
      payload: '{"username":"charset"}',
    });
    expect(charset.statusCode).toBe(201);

    const proto = await curl('POST', BASE, key, '__proto__=x&username=proto');
    expect(proto.statusCode).toBe(400);
    expect(proto.json().error.message).toMatch(/__proto__/);
    const form = await curl('POST', BASE, key, 'username=form-user&firstName=Ann+Marie&tier=gold');
    expect(form.statusCode, form.body).toBe(201);
    expect(form.json()).toMatchObject({ username: 'form-user', firstName: 'Ann Marie', tier: 'gold' });

    // No body at all: an empty account (no attribute is required).
    const empty = await t.req({
      method: 'POST',
      url: BASE,
      key: null,
      headers: { accept: 'application/json', admin_api_key: key },
    });
    expect(empty.statusCode, empty.body).toBe(201);
    const e = empty.json();
    for (const f of DEFAULT_FIELDS) if (f !== 'id' && f !== 'gender') expect(e[f], f).toBeNull();
    expect(e.gender).toBe('unknown');
    expect((await json('POST', BASE, key, {})).statusCode).toBe(201);

    const before = await userCount(acme.tenantId);
    const xml = await t.req({
      method: 'POST',
      url: BASE,
      key: null,
      headers: { admin_api_key: key, 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.status).toBe(415);
    const broken = await curl('POST', BASE, key, '{"username": ');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toEqual({ error: { status: 400, message: expect.stringMatching(/JSON/) } });
    const brokenNoType = await t.req({
      method: 'POST',
      url: BASE,
      key: null,
      headers: { admin_api_key: key },
      payload: '{"username" "x"}',
    });
    expect(brokenNoType.statusCode).toBe(400);
    const huge = await json('POST', BASE, key, { big: 'x'.repeat(1100 * 1024) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.status).toBe(413);
    expect(await userCount(acme.tenantId)).toBe(before);
  });

  it('answers 406 when the client accepts only other types', async () => {
    const key = acme.keys.viewer;
    for (const accept of ['text/html', 'application/xml', 'text/plain, text/html;q=0.5', 'application/json;q=0']) {
      const r = await t.req({ method: 'GET', url: BASE, key: null, headers: { admin_api_key: key, accept } });
      expect(r.statusCode, accept).toBe(406);
      expect(r.json().error.status).toBe(406);
    }
    const before = await userCount(acme.tenantId);
    const post = await t.req({
      method: 'POST',
      url: BASE,
      key: null,
      headers: { admin_api_key: acme.keys.editor, accept: 'text/html', 'content-type': 'application/json' },
      payload: '{"username":"never"}',
    });
    expect(post.statusCode).toBe(406);
    expect(await userCount(acme.tenantId)).toBe(before);
    for (const accept of [
      'application/json',
      '*/*',
      'application/*',
      'text/html, application/json;q=0.9',
      'application/json; charset=utf-8',
    ]) {
      const r = await t.req({ method: 'GET', url: BASE, key: null, headers: { admin_api_key: key, accept } });
      expect(r.statusCode, accept).toBe(200);
    }
    expect((await t.req({ method: 'GET', url: BASE, key: null, headers: { admin_api_key: key } })).statusCode).toBe(
      200,
    );
  });

  it("authenticates by admin_api_key or Bearer, scopes to the key's tenant, checks roles", async () => {
    const mine = await create(acme.keys.editor, { username: 'scoped' });
    const missing = await t.req({ method: 'GET', url: BASE, key: null, headers: { accept: 'application/json' } });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ error: { status: 401, message: expect.any(String) } });
    expect((await curl('GET', BASE, 'not-a-key')).statusCode).toBe(401);
    expect((await t.req({ method: 'GET', url: `${BASE}/${mine.id}`, key: acme.keys.viewer })).statusCode).toBe(200); // Bearer

    // Another tenant's key sees neither the account nor it in its list.
    expect((await curl('GET', `${BASE}/${mine.id}`, other.keys.owner)).statusCode).toBe(404);
    expect((await curl('PATCH', `${BASE}/${mine.id}`, other.keys.owner, '{"title":"x"}')).statusCode).toBe(404);
    expect((await curl('DELETE', `${BASE}/${mine.id}`, other.keys.owner)).statusCode).toBe(404);
    const otherList = (await curl('GET', BASE, other.keys.owner)).json();
    expect(otherList.data.map((a: { id: number }) => a.id)).not.toContain(mine.id);

    const forbidden = await curl('POST', BASE, acme.keys.viewer, '{"username":"v"}');
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.status).toBe(403);
    expect((await curl('PUT', `${BASE}/${mine.id}`, acme.keys.viewer, '{}')).statusCode).toBe(403);
    expect((await curl('PATCH', `${BASE}/${mine.id}`, acme.keys.viewer, '{"tier":"x"}')).statusCode).toBe(403);
    expect((await curl('DELETE', `${BASE}/${mine.id}`, acme.keys.editor)).statusCode).toBe(403);
    // The root key has no tenant to act on.
    expect((await curl('GET', BASE, ROOT_KEY)).statusCode).toBe(403);
    expect((await adminUser(acme.tenantId, mine.id)).username).toBe('scoped');
  });

  it('puts custom attributes at the top level; PATCH keeps what is not sent, PUT clears it', async () => {
    const key = acme.keys.editor;
    const a = await create(key, {
      username: 'custom',
      firstName: 'Cy',
      lastName: 'Stom',
      company: 'Acme',
      gender: 'female',
      password: 'correct horse',
      tier: 'gold',
      level: 3,
      prefs: { news: true },
    });
    expect(a).toMatchObject({ username: 'custom', gender: 'female', tier: 'gold', level: 3, prefs: { news: true } });
    expect(a).not.toHaveProperty('password');
    expect(JSON.stringify(a)).not.toContain('correct horse');
    expect((await adminUser(acme.tenantId, a.id)).attributes).toEqual({
      tier: 'gold',
      level: 3,
      prefs: { news: true },
    });

    const p = await json('PATCH', `${BASE}/${a.id}`, key, { title: 'CTO', tier: 'platinum', level: null });
    expect(p.statusCode, p.body).toBe(200);
    const patched = p.json();
    expect(patched).toMatchObject({
      username: 'custom',
      firstName: 'Cy',
      lastName: 'Stom',
      company: 'Acme',
      gender: 'female',
      title: 'CTO',
      tier: 'platinum',
      prefs: { news: true },
    });
    expect(patched).not.toHaveProperty('level'); // null removes a custom attribute
    expect(patched.links).toEqual([{ rel: 'self', url: `/accounts/${a.id}` }]);

    // PUT: every attribute not sent is cleared, custom ones too; the password stays.
    const r = await json('PUT', `${BASE}/${a.id}`, key, { username: 'custom', lastName: 'Replaced', color: 'red' });
    expect(r.statusCode, r.body).toBe(200);
    const replaced = r.json();
    expect(replaced).toEqual({
      id: a.id,
      username: 'custom',
      lastName: 'Replaced',
      color: 'red',
      gender: 'unknown',
      email: null,
      firstName: null,
      middleName: null,
      displayName: null,
      company: null,
      title: null,
      department: null,
      website: null,
      phoneHome: null,
      phoneOffice: null,
      phoneMobile: null,
      phoneTollFree: null,
      phoneOther: null,
      pager: null,
      fax: null,
      links: [{ rel: 'self', url: `/accounts/${a.id}` }],
    });
    const core = await adminUser(acme.tenantId, a.id);
    expect(core.attributes).toEqual({ color: 'red' });
    expect(core.hasPassword).toBe(true);
    expect((await curl('GET', `${BASE}/${a.id}`, key)).json()).toEqual({ ...replaced, links: undefined });

    // A read account can be sent back as it is (id and links are read-only and ignored).
    const back = await json('PUT', `${BASE}/${a.id}`, key, { ...replaced, firstName: 'Again' });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toEqual({ ...replaced, firstName: 'Again' });
    expect((await adminUser(acme.tenantId, a.id)).attributes).toEqual({ color: 'red' });
  });

  it('loses no custom attribute when PATCHes of one account run at once', async () => {
    const a = await create(acme.keys.editor, { username: 'racy', base: 'kept' });
    const writes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        json('PATCH', `${BASE}/${a.id}`, acme.keys.editor, { [`k${i}`]: i, ...(i === 0 ? { title: 'T' } : {}) }),
      ),
    );
    expect(writes.map((w) => w.statusCode)).toEqual(Array(8).fill(200));
    const final = (await curl('GET', `${BASE}/${a.id}`, acme.keys.viewer)).json();
    expect(final).toMatchObject({ base: 'kept', title: 'T', k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7 });
  });

  it('leaves the core fields other dialects own alone on PUT and PATCH', async () => {
    const u = (
      await t.req({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/users`,
        payload: { username: 'owned', externalId: 'ext-1', active: false, verified: true, plan: 'gold' },
      })
    ).json();
    expect(
      (await json('PUT', `${BASE}/${u.id}`, acme.keys.editor, { username: 'owned', firstName: 'O' })).statusCode,
    ).toBe(200);
    expect((await json('PATCH', `${BASE}/${u.id}`, acme.keys.editor, { lastName: 'W' })).statusCode).toBe(200);
    expect(await adminUser(acme.tenantId, u.id)).toMatchObject({
      externalId: 'ext-1',
      active: false,
      verified: true,
      plan: 'gold',
      firstName: 'O',
      lastName: 'W',
    });
  });

  it('stores a password write-only and keeps it across PUT', async () => {
    const a = await create(acme.keys.editor, { username: 'pw', password: 'long enough secret' });
    expect((await adminUser(acme.tenantId, a.id)).hasPassword).toBe(true);
    const r = await json('PUT', `${BASE}/${a.id}`, acme.keys.editor, {
      username: 'pw',
      password: 'another long secret',
    });
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain('secret');
    expect(await t.runtime.services.users.login(acme.tenantId, a.id, 'another long secret')).toBe(true);
  });

  it('answers 409 for a duplicate username or email (case-insensitive) and changes nothing', async () => {
    const key = acme.keys.editor;
    const first = await create(key, { username: 'Taken', email: 'taken@acme.test' });
    const second = await create(key, { username: 'free', email: 'free@acme.test', tier: 'silver' });
    const before = await userCount(acme.tenantId);
    const u = await json('POST', BASE, key, { username: 'TAKEN' });
    expect(u.statusCode).toBe(409);
    expect(u.json()).toEqual({ error: { status: 409, message: 'an account with this username already exists' } });
    const e = await curl('POST', BASE, key, '{"email":"Taken@ACME.test"}');
    expect(e.statusCode).toBe(409);
    expect(e.json().error.message).toMatch(/email/);
    expect(await userCount(acme.tenantId)).toBe(before);

    expect((await json('PATCH', `${BASE}/${second.id}`, key, { username: 'taken', tier: 'gold' })).statusCode).toBe(
      409,
    );
    expect((await json('PUT', `${BASE}/${second.id}`, key, { email: 'TAKEN@acme.test' })).statusCode).toBe(409);
    expect((await curl('GET', `${BASE}/${second.id}`, key)).json()).toMatchObject({
      username: 'free',
      email: 'free@acme.test',
      tier: 'silver',
    });
    // The same names are free in another tenant.
    expect(
      (await json('POST', BASE, other.keys.editor, { username: 'taken', email: 'taken@acme.test' })).statusCode,
    ).toBe(201);
    expect(first.id).toBeGreaterThan(0);
  });

  it('answers 400 for wrong types and bad values, and changes nothing', async () => {
    const key = acme.keys.editor;
    const target = await create(key, { username: 'stable', firstName: 'Stay' });
    const before = await userCount(acme.tenantId);
    const cases: [string, RegExp][] = [
      ['{"firstName": 5}', /firstName/],
      ['{"email": true}', /email/],
      ['{"email": "not-an-email"}', /email/],
      ['{"username": ["a"]}', /username/],
      ['{"gender": "robot"}', /gender/],
      ['{"gender": "Male"}', /gender/],
      ['{"password": "short"}', /password/],
      ['{"password": 12345678}', /password/],
      ['{"1bad": 1}', /1bad/],
      ['{"bad-name": 1}', /bad-name/],
      ['[{"username":"x"}]', /object/],
      ['"just a string"', /object/],
      [JSON.stringify({ blob: 'x'.repeat(70 * 1024) }), /64 KiB/],
    ];
    for (const [body, message] of cases) {
      for (const [method, url] of [
        ['POST', BASE],
        ['PUT', `${BASE}/${target.id}`],
        ['PATCH', `${BASE}/${target.id}`],
      ]) {
        const r = await curl(method, url, key, body);
        expect(r.statusCode, `${method} ${body.slice(0, 40)}`).toBe(400);
        expect(r.json().error.status).toBe(400);
        expect(r.json().error.message, body.slice(0, 40)).toMatch(message);
      }
    }
    expect((await curl('GET', `${BASE}/abc`, key)).statusCode).toBe(400);
    expect((await curl('GET', `${BASE}/0`, key)).statusCode).toBe(400);
    expect((await curl('GET', `${BASE}/99999999999`, key)).statusCode).toBe(404);
    expect(await userCount(acme.tenantId)).toBe(before);
    expect((await curl('GET', `${BASE}/${target.id}`, key)).json()).toMatchObject({
      username: 'stable',
      firstName: 'Stay',
      gender: 'unknown',
    });
  });

  it('treats an empty email or username as none, and accepts every documented gender', async () => {
    const a = await create(acme.keys.editor, { username: '', email: '', firstName: 'Nobody' });
    expect(a).toMatchObject({ username: null, email: null });
    const b = await create(acme.keys.editor, { username: '', email: '' });
    expect(b.id).not.toBe(a.id);
    for (const gender of ['male', 'female', 'other', 'unknown']) {
      const r = await json('PATCH', `${BASE}/${a.id}`, acme.keys.editor, { gender });
      expect(r.json().gender).toBe(gender);
    }
    expect((await json('PATCH', `${BASE}/${a.id}`, acme.keys.editor, { gender: null })).json().gender).toBe('unknown');
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await t.req({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/v1/account/accounts']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/account/accounts/{id}']).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    const params = doc.paths['/api/v1/account/accounts'].get.parameters.map(
      (p: { name: string; required: boolean }) => [p.name, p.required],
    );
    expect(params).toEqual([
      ['page', false],
      ['limit', false],
      ['sort', false],
      ['attributes', false],
      ['filters', false], // attributes[<name>]=<value>, one per attribute
    ]);
  });

  it('answers its own 404 for unknown paths and honours If-Match', async () => {
    const r = await curl('GET', '/api/v1/account/nothing', acme.keys.viewer);
    expect(r.statusCode).toBe(404);
    expect(r.json().error.status).toBe(404);
    const a = await create(acme.keys.editor, { username: 'etag' });
    const g = await curl('GET', `${BASE}/${a.id}`, acme.keys.viewer);
    expect(g.headers.etag).toBe('W/"1"');
    expect(
      (await curl('PATCH', `${BASE}/${a.id}`, acme.keys.editor, '{"tier":"x"}', { 'if-match': 'W/"9"' })).statusCode,
    ).toBe(412);
    expect(
      (await curl('PATCH', `${BASE}/${a.id}`, acme.keys.editor, '{"title":"x"}', { 'if-match': 'W/"9"' })).statusCode,
    ).toBe(412);
    expect(
      (await curl('PATCH', `${BASE}/${a.id}`, acme.keys.editor, '{"tier":"x"}', { 'if-match': 'W/"1"' })).statusCode,
    ).toBe(200);
    expect(
      (await curl('DELETE', `${BASE}/${a.id}`, acme.keys.admin, undefined, { 'if-match': 'W/"1"' })).statusCode,
    ).toBe(412);
    expect(
      (await curl('DELETE', `${BASE}/${a.id}`, acme.keys.admin, undefined, { 'if-match': 'W/"2"' })).statusCode,
    ).toBe(204);
  });
});
