import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { base, container, eventsOf, userCount, USERMOST_TIME } from './support/usermost.ts';
import { buildApp } from '../src/http/app.ts';

describe.each(backends())('Usermost users ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
  });
  afterAll(() => t.close());

  const users = () => `${base('acme')}/users`;

  it('identifies a new userId (201), then updates only what is sent (200), custom attributes merged', async () => {
    const c = container(
      await t.req({
        method: 'POST',
        url: users(),
        key: acme.keys.editor,
        payload: { userId: 'SinaHamidi', firstName: 'Sina', lastName: 'Hamidi', plan: 'gold', score: 3, tags: ['a'] },
      }),
      201,
    );
    const created = c.response.data;
    expect(created).toEqual({
      userId: 'SinaHamidi',
      firstName: 'Sina',
      lastName: 'Hamidi',
      plan: 'gold',
      score: 3,
      tags: ['a'],
      createdAt: expect.stringMatching(USERMOST_TIME),
      updatedAt: expect.stringMatching(USERMOST_TIME),
    });
    expect(c.response.message).toBe('success');
    // The timestamp is now, in UTC.
    expect(Math.abs(Date.parse(created.createdAt.replace('+0000', 'Z')) - Date.now())).toBeLessThan(60_000);

    const u = container(
      await t.req({
        method: 'POST',
        url: users(),
        key: acme.keys.editor,
        payload: { userId: 'SinaHamidi', email: 'sina@example.com', score: 4, plan: null, lastName: null },
      }),
      200,
    ).response.data;
    expect(u).toEqual({
      userId: 'SinaHamidi',
      firstName: 'Sina',
      email: 'sina@example.com',
      score: 4,
      tags: ['a'],
      createdAt: created.createdAt,
      updatedAt: expect.stringMatching(USERMOST_TIME),
    });

    const g = container(await t.req({ method: 'GET', url: `${users()}/SinaHamidi`, key: acme.keys.viewer }), 200);
    expect(g.response.data).toEqual(u);

    // The same user in the core: userId is the externalId, custom keys are attributes.
    const core = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?externalId=SinaHamidi` })
    ).json().items;
    expect(core).toHaveLength(1);
    expect(core[0]).toMatchObject({
      externalId: 'SinaHamidi',
      firstName: 'Sina',
      lastName: null,
      email: 'sina@example.com',
      attributes: { score: 4, tags: ['a'] },
    });
  });

  it('identifying with only the userId changes nothing', async () => {
    const a = container(
      await t.req({ method: 'POST', url: users(), payload: { userId: 'quiet', company: 'Acme' } }),
      201,
    ).response.data;
    const b = container(await t.req({ method: 'POST', url: users(), payload: { userId: 'quiet' } }), 200).response.data;
    expect(b).toEqual(a);
  });

  it('maps the core fields the API names and shows users made by other dialects by their userId', async () => {
    const payload = {
      userId: 'full',
      username: 'fully',
      email: 'full@example.com',
      firstName: 'F',
      middleName: 'M',
      lastName: 'L',
      company: 'C',
      title: 'T',
      department: 'D',
      website: 'https://x.io',
      phoneHome: '1',
      phoneOffice: '2',
      phoneMobile: '3',
      phoneTollFree: '4',
      phoneOther: '5',
      pager: '6',
      fax: '7',
      gender: 'female',
    };
    const d = container(await t.req({ method: 'POST', url: users(), payload }), 201).response.data;
    expect(d).toMatchObject(payload);
    const core = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?externalId=full` })
    ).json().items[0];
    const { userId, ...fields } = payload;
    expect(core).toMatchObject({ ...fields, externalId: userId, attributes: {} });

    // Created through the management API with an externalId: reachable here by it.
    await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/users`,
      payload: { externalId: 'from-admin', firstName: 'Ad', attributes: { x: 1 } },
    });
    expect(container(await t.req({ method: 'GET', url: `${users()}/from-admin` }), 200).response.data).toMatchObject({
      userId: 'from-admin',
      firstName: 'Ad',
      x: 1,
    });
  });

  it('lists users by page with limit and page', async () => {
    const fresh = await makeTenant(t, 'Pager', 'pager');
    for (let i = 0; i < 5; i++) {
      container(
        await t.req({
          method: 'POST',
          url: `${base('pager')}/users`,
          key: fresh.keys.editor,
          payload: { userId: `u${i}` },
        }),
        201,
      );
    }
    // A core user without a userId is not a Usermost user.
    await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${fresh.tenantId}/users`,
      payload: { username: 'no-external-id' },
    });
    const p1 = container(
      await t.req({ method: 'GET', url: `${base('pager')}/users?limit=2`, key: fresh.keys.viewer }),
      200,
    ).response.data;
    expect(p1).toMatchObject({ page: 1, limit: 2, total: 5 });
    expect(p1.users.map((u: any) => u.userId)).toEqual(['u0', 'u1']);
    const p3 = container(
      await t.req({ method: 'GET', url: `${base('pager')}/users?limit=2&page=3`, key: fresh.keys.viewer }),
      200,
    ).response.data;
    expect(p3.users.map((u: any) => u.userId)).toEqual(['u4']);
    const p4 = container(
      await t.req({ method: 'GET', url: `${base('pager')}/users?limit=2&page=4`, key: fresh.keys.viewer }),
      200,
    ).response.data;
    expect(p4).toMatchObject({ users: [], page: 4, total: 5 });
    const all = container(await t.req({ method: 'GET', url: `${base('pager')}/users`, key: fresh.keys.viewer }), 200)
      .response.data;
    expect(all).toMatchObject({ page: 1, limit: 50, total: 5 });
    for (const u of all.users) {
      expect(u.createdAt).toMatch(USERMOST_TIME);
      expect(u.updatedAt).toMatch(USERMOST_TIME);
    }
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'page=0', 'page=-1', 'page=1.5']) {
      expect(
        container(await t.req({ method: 'GET', url: `${base('pager')}/users?${q}` }), 400).response.message,
      ).toMatch(/limit|page/);
    }
  });

  it('deletes a user and their events (admin); a second delete is 404', async () => {
    container(
      await t.req({
        method: 'POST',
        url: `${base('acme')}/events`,
        payload: { userId: 'doomed', eventName: 'signup' },
      }),
      201,
    );
    expect(await eventsOf(t, 'acme', 'doomed')).toHaveLength(1);
    const d = container(await t.req({ method: 'DELETE', url: `${users()}/doomed`, key: acme.keys.admin }), 200);
    expect(d.response.data).toBeNull();
    expect(container(await t.req({ method: 'GET', url: `${users()}/doomed` }), 404).response.message).toMatch(/doomed/);
    expect(await eventsOf(t, 'acme', 'doomed')).toBeNull();
    container(await t.req({ method: 'DELETE', url: `${users()}/doomed`, key: acme.keys.admin }), 404);
    // Recreated under the same userId, the old events do not come back.
    container(await t.req({ method: 'POST', url: users(), payload: { userId: 'doomed' } }), 201);
    expect(await eventsOf(t, 'acme', 'doomed')).toEqual([]);
  });

  it('answers unknown URLs and resources with 404 in the container', async () => {
    for (const [method, url] of [
      ['GET', `${base('acme')}/nope`],
      ['GET', `${base('acme')}`],
      ['PUT', `${users()}/SinaHamidi`],
      ['PATCH', `${users()}/SinaHamidi`],
      ['GET', '/v1/accounts'],
      ['POST', `${base('acme')}/users/SinaHamidi/events`],
    ] as const) {
      container(await t.req({ method, url }), 404);
      container(await t.req({ method, url, key: null }), 404);
    }
    expect(container(await t.req({ method: 'GET', url: `${users()}/nobody` }), 404).response.message).toMatch(/nobody/);
    container(await t.req({ method: 'GET', url: `${users()}/nobody/events` }), 404);
  });

  it('checks each role: viewer reads, editor writes, admin deletes; anything less is 401', async () => {
    container(await t.req({ method: 'POST', url: users(), payload: { userId: 'roles' } }), 201);
    const read = [
      { method: 'GET' as const, url: users() },
      { method: 'GET' as const, url: `${users()}/roles` },
      { method: 'GET' as const, url: `${users()}/roles/events` },
    ];
    const write = [
      { method: 'POST' as const, url: users(), payload: { userId: 'roles', title: 'x' } },
      { method: 'POST' as const, url: `${base('acme')}/events`, payload: { userId: 'roles', eventName: 'e' } },
      {
        method: 'POST' as const,
        url: `${base('acme')}/eventsBatch`,
        payload: { events: [{ userId: 'roles', eventName: 'e' }] },
      },
    ];
    for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) {
      for (const r of read)
        expect((await t.req({ ...r, key: acme.keys[role] })).statusCode, `${role} ${r.url}`).toBe(200);
    }
    const before = await eventsOf(t, 'acme', 'roles');
    for (const r of write) {
      const denied = container(await t.req({ ...r, key: acme.keys.viewer }), 401);
      expect(denied.response.message).toMatch(/users:write/);
    }
    expect(await eventsOf(t, 'acme', 'roles')).toEqual(before);
    for (const role of ['editor', 'admin', 'owner'] as const) {
      for (const r of write)
        expect((await t.req({ ...r, key: acme.keys[role] })).statusCode, `${role} ${r.url}`).toBeLessThan(300);
    }
    for (const role of ['viewer', 'editor'] as const) {
      expect(
        container(await t.req({ method: 'DELETE', url: `${users()}/roles`, key: acme.keys[role] }), 401).response
          .message,
      ).toMatch(/users:delete/);
    }
    container(await t.req({ method: 'GET', url: `${users()}/roles` }), 200);
    container(await t.req({ method: 'DELETE', url: `${users()}/roles`, key: acme.keys.owner }), 200);
  });

  it('answers 401 for a missing, unknown or revoked key, and for an unknown license code', async () => {
    container(await t.req({ method: 'GET', url: users(), key: null }), 401);
    container(await t.req({ method: 'GET', url: users(), key: 'rk_not-a-key' }), 401);
    container(
      await t.req({ method: 'GET', url: users(), key: null, headers: { authorization: `Basic ${acme.keys.viewer}` } }),
      401,
    );
    container(await t.req({ method: 'GET', url: `${base('no-such-license')}/users` }), 401);
    container(await t.req({ method: 'GET', url: `${base('no-such-license')}/users`, key: acme.keys.owner }), 401);
    // The root key reaches every tenant.
    container(await t.req({ method: 'GET', url: `${base('other')}/users` }), 200);
    // A revoked key (its manager deleted) stops working at once.
    const m = (
      await t.req({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/managers`,
        payload: { name: 'temp', email: 'temp@acme.test', role: 'viewer' },
      })
    ).json();
    container(await t.req({ method: 'GET', url: users(), key: m.apiKey }), 200);
    await t.req({ method: 'DELETE', url: `/admin/v1/managers/${m.id}` });
    container(await t.req({ method: 'GET', url: users(), key: m.apiKey }), 401);
  });

  it("keeps tenants apart: a key of tenant A on tenant B's license is 401 and changes nothing", async () => {
    container(
      await t.req({
        method: 'POST',
        url: `${base('other')}/users`,
        key: other.keys.editor,
        payload: { userId: 'shared', firstName: 'Other' },
      }),
      201,
    );
    container(
      await t.req({
        method: 'POST',
        url: `${base('other')}/events`,
        key: other.keys.editor,
        payload: { userId: 'shared', eventName: 'o' },
      }),
      201,
    );
    const usersBefore = await userCount(t, other.tenantId);
    const eventsBefore = await eventsOf(t, 'other', 'shared');
    const attempts = [
      { method: 'GET' as const, url: `${base('other')}/users` },
      { method: 'GET' as const, url: `${base('other')}/users/shared` },
      { method: 'GET' as const, url: `${base('other')}/users/shared/events` },
      { method: 'POST' as const, url: `${base('other')}/users`, payload: { userId: 'shared', firstName: 'Hijacked' } },
      { method: 'POST' as const, url: `${base('other')}/users`, payload: { userId: 'intruder' } },
      { method: 'POST' as const, url: `${base('other')}/events`, payload: { userId: 'shared', eventName: 'x' } },
      {
        method: 'POST' as const,
        url: `${base('other')}/eventsBatch`,
        payload: { events: [{ userId: 'new-one', eventName: 'x' }] },
      },
      { method: 'DELETE' as const, url: `${base('other')}/users/shared` },
    ];
    for (const a of attempts) {
      for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) {
        const r = container(await t.req({ ...a, key: acme.keys[role] }), 401);
        expect(r.response.message).not.toMatch(/shared|Other/);
      }
    }
    // Tenant A's same userId is a different user.
    container(await t.req({ method: 'GET', url: `${base('acme')}/users/shared` }), 404);
    expect(await userCount(t, other.tenantId)).toBe(usersBefore);
    expect(await eventsOf(t, 'other', 'shared')).toEqual(eventsBefore);
    expect(
      container(await t.req({ method: 'GET', url: `${base('other')}/users/shared`, key: other.keys.viewer }), 200)
        .response.data.firstName,
    ).toBe('Other');
  });

  it('answers bad bodies with 400 in the container and changes nothing', async () => {
    container(
      await t.req({ method: 'POST', url: users(), payload: { userId: 'stable', firstName: 'Stable', score: 1 } }),
      201,
    );
    const stable = container(await t.req({ method: 'GET', url: `${users()}/stable` }), 200).response.data;
    const before = await userCount(t, acme.tenantId);
    const bodies: [string, string | undefined, string | Buffer, RegExp][] = [
      ['not JSON', 'application/json', '{"userId":', /JSON/],
      ['XML', 'application/xml', '<user><userId>x</userId></user>', /JSON/],
      ['form', 'application/x-www-form-urlencoded', 'userId=x&firstName=y', /JSON/],
      ['plain text', 'text/plain', 'hello', /JSON/],
      ['no content type', undefined, 'userId=x', /JSON/],
      ['binary', 'application/octet-stream', Buffer.from([0xff, 0xfe, 0x00, 0x01]), /JSON/],
      ['empty', 'application/json', '', /body/],
      ['array', 'application/json', '[{"userId":"x"}]', /object/],
      ['string', 'application/json', '"x"', /object/],
      ['null', 'application/json', 'null', /object/],
      ['no userId', 'application/json', '{"firstName":"x"}', /userId/],
      ['empty userId', 'application/json', '{"userId":""}', /userId/],
      ['blank userId', 'application/json', '{"userId":"  "}', /userId/],
      ['numeric userId', 'application/json', '{"userId":5}', /userId/],
      ['userId over 500 characters', 'application/json', JSON.stringify({ userId: 'x'.repeat(501) }), /userId/],
      ['number for a core field', 'application/json', '{"userId":"x","firstName":5}', /firstName/],
      ['object for a core field', 'application/json', '{"userId":"x","email":{"a":1}}', /email/],
      ['bad email', 'application/json', '{"userId":"x","email":"nope"}', /email/],
      ['bad gender', 'application/json', '{"userId":"x","gender":"robot"}', /gender/],
      ['bad attribute name', 'application/json', '{"userId":"x","1st":1}', /1st/],
      ['read-only createdAt', 'application/json', '{"userId":"x","createdAt":"2013-01-26T07:31:05+0000"}', /createdAt/],
      ['password', 'application/json', '{"userId":"x","password":"secret-pass"}', /password/],
      [
        'attributes over 64 KiB',
        'application/json',
        JSON.stringify({ userId: 'x', big: 'x'.repeat(70 * 1024) }),
        /64 KiB/,
      ],
      ['body over 1 MiB', 'application/json', JSON.stringify({ userId: 'x', big: 'x'.repeat(1100 * 1024) }), /larger/],
      ['proto pollution', 'application/json', '{"userId":"x","__proto__":{"admin":true}}', /.+/],
      // The same, aimed at the existing user: it must not change.
      ['update with wrong type', 'application/json', '{"userId":"stable","firstName":["S"]}', /firstName/],
      [
        'update with bad email',
        'application/json',
        '{"userId":"stable","firstName":"Changed","email":"nope"}',
        /email/,
      ],
      [
        'update with bad attribute',
        'application/json',
        '{"userId":"stable","firstName":"Changed","bad-name":1}',
        /bad-name/,
      ],
    ];
    for (const [what, type, payload, msg] of bodies) {
      const r = await t.req({ method: 'POST', url: users(), headers: type ? { 'content-type': type } : {}, payload });
      const c = container(r, 400);
      expect(c.response.message, what).toMatch(msg);
    }
    expect(await userCount(t, acme.tenantId)).toBe(before);
    container(await t.req({ method: 'GET', url: `${users()}/x` }), 404);
    expect(container(await t.req({ method: 'GET', url: `${users()}/stable` }), 200).response.data).toEqual(stable);
    // JSON under another label is still JSON: curl -d sends form-urlencoded by default.
    container(
      await t.req({
        method: 'POST',
        url: users(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: '{"userId":"curl-user"}',
      }),
      201,
    );
  });

  it('reaches a userId with spaces, slashes and non-ASCII characters through its encoded URL', async () => {
    const id = 'ann smith/ü?#&x';
    container(await t.req({ method: 'POST', url: users(), payload: { userId: id, firstName: 'Ann' } }), 201);
    container(
      await t.req({ method: 'POST', url: `${base('acme')}/events`, payload: { userId: id, eventName: 'e' } }),
      201,
    );
    expect(
      container(await t.req({ method: 'GET', url: `${users()}/${encodeURIComponent(id)}` }), 200).response.data,
    ).toMatchObject({ userId: id, firstName: 'Ann' });
    expect(await eventsOf(t, 'acme', id)).toHaveLength(1);
    container(await t.req({ method: 'DELETE', url: `${users()}/${encodeURIComponent(id)}` }), 200);
  });

  it('answers text the database cannot hold (NUL, unpaired surrogates) with 400/401/404, never a 500', async () => {
    const before = await userCount(t, acme.tenantId);
    const bodies = [
      '{"userId":"a\\u0000b"}',
      '{"userId":"ok-nul","firstName":"x\\u0000"}',
      '{"userId":"ok-nul","note":"x\\u0000"}',
      '{"userId":"ok-nul","nested":{"k\\u0000":1}}',
      '{"userId":"\\ud800"}',
      '{"userId":"ok-nul","note":"\\udc00x"}',
      '{"userId":"ok-nul","lastName":"\\ud800"}',
    ];
    for (const payload of bodies) {
      container(
        await t.req({ method: 'POST', url: users(), headers: { 'content-type': 'application/json' }, payload }),
        400,
      );
    }
    expect(await userCount(t, acme.tenantId)).toBe(before);
    container(await t.req({ method: 'GET', url: `${base('ac%00me')}/users` }), 401);
    container(await t.req({ method: 'GET', url: `${users()}/a%00b` }), 404);
    container(await t.req({ method: 'GET', url: `${users()}/a%00b/events` }), 404);
    container(await t.req({ method: 'DELETE', url: `${users()}/a%00b` }), 404);
    // A surrogate pair (a real character outside the BMP) is fine.
    expect(
      container(await t.req({ method: 'POST', url: users(), payload: { userId: 'emoji-😀', note: '😀' } }), 201)
        .response.data,
    ).toMatchObject({ userId: 'emoji-😀', note: '😀' });
  });

  it('answers a duplicate email with a conflict in the container', async () => {
    container(
      await t.req({ method: 'POST', url: users(), payload: { userId: 'mail1', email: 'same@example.com' } }),
      201,
    );
    const r = container(
      await t.req({ method: 'POST', url: users(), payload: { userId: 'mail2', email: 'SAME@example.com' } }),
      409,
    );
    expect(r.response.message).toMatch(/email/);
    container(await t.req({ method: 'GET', url: `${users()}/mail2` }), 404);
  });

  it('handles concurrent identifies of one new userId: one creates, the others update', async () => {
    const rs = await Promise.all(
      ['A', 'B', 'C', 'D'].map((c) =>
        t.req({
          method: 'POST',
          url: users(),
          key: acme.keys.editor,
          payload: { userId: 'racer', [`from${c}`]: true },
        }),
      ),
    );
    expect(rs.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 201]);
    const u = container(await t.req({ method: 'GET', url: `${users()}/racer` }), 200).response.data;
    expect(u).toMatchObject({ fromA: true, fromB: true, fromC: true, fromD: true });
    const core = (
      await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?externalId=racer` })
    ).json().items;
    expect(core).toHaveLength(1);
  });

  it('renders a rate limit as 429 with Retry-After in the container', async () => {
    const app = await buildApp(t.runtime.services, { rateLimit: { perKey: 2, perIp: 1000 } });
    try {
      const get = () =>
        app.inject({ method: 'GET', url: users(), headers: { authorization: `Bearer ${acme.keys.viewer}` } });
      container(await get(), 200);
      container(await get(), 200);
      const r = await get();
      container(r, 429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });

  it('describes its routes in the OpenAPI document', async () => {
    const doc = (await t.req({ method: 'GET', url: '/openapi.json' })).json();
    for (const [path, method] of [
      ['/v1/accounts/{licenseCode}/users', 'post'],
      ['/v1/accounts/{licenseCode}/users', 'get'],
      ['/v1/accounts/{licenseCode}/users/{userId}', 'get'],
      ['/v1/accounts/{licenseCode}/users/{userId}', 'delete'],
      ['/v1/accounts/{licenseCode}/users/{userId}/events', 'get'],
      ['/v1/accounts/{licenseCode}/events', 'post'],
      ['/v1/accounts/{licenseCode}/eventsBatch', 'post'],
    ]) {
      expect(doc.paths[path]?.[method]?.summary, `${method} ${path}`).toBeTruthy();
    }
  });
});
