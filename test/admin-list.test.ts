import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

interface U {
  id: number;
  username: string;
  lastName: string | null;
  firstName: string | null;
}

describe.each(backends())('management API user lists ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  const url = () => `/admin/v1/tenants/${acme.tenantId}/users`;
  const lastNames = ['Smith', 'adams', 'Baker', null, 'Smith', 'Young', null, 'Baker', 'Clark', 'Smith'];

  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    for (let i = 0; i < lastNames.length; i++) {
      const r = await t.req({
        method: 'POST',
        url: url(),
        payload: {
          username: `user${i}`,
          email: `User${i}@Example.com`,
          lastName: lastNames[i],
          firstName: `F${9 - i}`,
          company: i % 2 ? 'Acme' : 'Globex',
          active: i % 3 !== 0,
          attributes: { plan: i < 4 ? 'gold' : 'basic', seats: i },
        },
      });
      expect(r.statusCode).toBe(201);
    }
  });
  afterAll(() => t.close());

  async function all(query: string): Promise<U[]> {
    const out: U[] = [];
    let cursor: string | null = null;
    do {
      const r = await t.req({ method: 'GET', url: `${url()}?${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}` });
      expect(r.statusCode, r.body).toBe(200);
      out.push(...r.json().items);
      cursor = r.json().nextCursor;
    } while (cursor);
    return out;
  }

  it('pages by cursor in id order by default, with total only on request', async () => {
    const first = (await t.req({ method: 'GET', url: `${url()}?limit=4` })).json();
    expect(first.items).toHaveLength(4);
    expect(first).not.toHaveProperty('total');
    expect(first.nextCursor).toEqual(expect.any(String));
    const withTotal = (await t.req({ method: 'GET', url: `${url()}?limit=4&total=exact` })).json();
    expect(withTotal.total).toBe(10);
    const ids = (await all('')).map((u) => u.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).toHaveLength(10);
  });

  it('sorts on several keys with NULLs first ascending / last descending and ties broken by id', async () => {
    const desc = await all('sort=-lastName,firstName');
    const names = desc.map((u) => u.lastName);
    expect(names).toEqual(['adams', 'Young', 'Smith', 'Smith', 'Smith', 'Clark', 'Baker', 'Baker', null, null]);
    const smiths = desc.filter((u) => u.lastName === 'Smith').map((u) => u.firstName);
    expect(smiths).toEqual([...smiths].sort());
    const asc = await all('sort=lastName');
    expect(asc.map((u) => u.lastName)).toEqual([
      null,
      null,
      'Baker',
      'Baker',
      'Clark',
      'Smith',
      'Smith',
      'Smith',
      'Young',
      'adams',
    ]);
    const ties = asc.filter((u) => u.lastName === 'Smith').map((u) => u.id);
    expect(ties).toEqual([...ties].sort((a, b) => a - b));
  });

  it('walks one-row cursor pages across the NULL group in both directions, as one big page orders them', async () => {
    for (const sort of ['-lastName', 'lastName', '-lastName,firstName', 'lastName,-id', '-attr.plan,lastName']) {
      const whole = (await t.req({ method: 'GET', url: `${url()}?sort=${sort}&limit=100` }))
        .json()
        .items.map((u: U) => u.id);
      const walked: number[] = [];
      let cursor: string | null = null;
      do {
        const r = await t.req({
          method: 'GET',
          url: `${url()}?sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        });
        expect(r.statusCode, r.body).toBe(200);
        walked.push(...r.json().items.map((u: U) => u.id));
        cursor = r.json().nextCursor;
      } while (cursor);
      expect(walked, sort).toEqual(whole);
    }
  });

  it("answers lists of one shape by each request's own values (list SQL is compiled once per shape)", async () => {
    const names = async (query: string) => (await all(query)).map((u) => u.username).sort();
    const page = async (query: string) => (await t.req({ method: 'GET', url: `${url()}?${query}` })).json();
    // The same shapes, alternating values, several times: a reused query must never keep old values.
    for (let round = 0; round < 3; round++) {
      expect(await names('company=Acme&sort=-lastName')).toEqual(['user1', 'user3', 'user5', 'user7', 'user9']);
      expect(await names('company=Globex&sort=-lastName')).toEqual(['user0', 'user2', 'user4', 'user6', 'user8']);
      expect(await names('attr.plan=gold&q=user')).toEqual(['user0', 'user1', 'user2', 'user3']);
      expect(await names('attr.plan=basic&q=er9')).toEqual(['user9']);
      const a = await page('company=Acme&total=exact&limit=2');
      const g = await page('lastName=Smith&total=exact&limit=2');
      expect([a.total, a.items.map((u: U) => u.username)]).toEqual([5, ['user1', 'user3']]);
      expect([g.total, g.items.map((u: U) => u.username)]).toEqual([3, ['user0', 'user4']]);
      // Offset pages (SCIM startIndex), and an empty page past the end, still counted by its own filter.
      const scim = async (filter: string, startIndex: number) => {
        const r = await t.req({
          method: 'GET',
          url: `/scim/v2/Users?filter=${encodeURIComponent(filter)}&startIndex=${startIndex}&count=2`,
          key: acme.keys.admin,
        });
        expect(r.statusCode, r.body).toBe(200);
        return [r.json().totalResults, r.json().Resources.map((x: { userName: string }) => x.userName)];
      };
      expect(await scim('active eq true', 2)).toEqual([6, ['user2', 'user4']]);
      expect(await scim('active eq false', 3)).toEqual([4, ['user6', 'user9']]);
      expect(await scim('active eq true', 20)).toEqual([6, []]);
      expect(await scim('active eq false', 20)).toEqual([4, []]);
    }
  });

  it('filters on core fields and custom attributes, and searches with q', async () => {
    expect((await all('company=Acme')).length).toBe(5);
    expect((await all('company=Acme&active=true')).map((u) => u.username).sort()).toEqual(['user1', 'user5', 'user7']);
    expect((await all('email=user3@example.COM')).map((u) => u.username)).toEqual(['user3']);
    expect((await all('attr.plan=gold')).length).toBe(4);
    expect((await all('attr.plan=gold&sort=-lastName')).map((u) => u.lastName)).toEqual([
      'adams',
      'Smith',
      'Baker',
      null,
    ]);
    expect((await all('attr.seats=7')).map((u) => u.username)).toEqual(['user7']);
    expect((await all('q=USER1')).map((u) => u.username)).toEqual(['user1']);
    expect((await all('q=bak')).length).toBe(2);
    expect((await all('q=100%25')).length).toBe(0);
    expect((await all('lastName=Smith&sort=-attr.seats')).map((u) => u.username)).toEqual(['user9', 'user4', 'user0']);
  });

  it('keeps cursor pages stable while users are inserted concurrently', async () => {
    const r1 = (await t.req({ method: 'GET', url: `${url()}?limit=5&sort=lastName` })).json();
    await Promise.all(
      ['Aaron', 'Zed', null].map((ln, i) =>
        t.req({ method: 'POST', url: url(), payload: { username: `late${i}`, lastName: ln } }),
      ),
    );
    const rest: U[] = [];
    let cursor = r1.nextCursor;
    while (cursor) {
      const r = (await t.req({ method: 'GET', url: `${url()}?limit=5&sort=lastName&cursor=${cursor}` })).json();
      rest.push(...r.items);
      cursor = r.nextCursor;
    }
    const seen = [...r1.items, ...rest].map((u: U) => u.id);
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    for (const u of r1.items) expect(seen).toContain(u.id);
    const originals = (await all('sort=lastName')).filter((u) => u.username.startsWith('user')).map((u) => u.id);
    for (const id of originals) expect(seen).toContain(id); // nothing skipped
  });

  it('rejects unknown filter fields and bad values with 400', async () => {
    expect((await t.req({ method: 'GET', url: `${url()}?password=x` })).json().error.message).toMatch(/password/);
    expect((await t.req({ method: 'GET', url: `${url()}?active=maybe` })).json().error.message).toMatch(/active/);
    expect((await t.req({ method: 'GET', url: `${url()}?attr.bad-name=1` })).statusCode).toBe(400);
    expect((await t.req({ method: 'GET', url: `${url()}?createdAt=yesterday` })).statusCode).toBe(400);
    expect(
      (
        await t.req({
          method: 'GET',
          url: `${url()}?sort=-lastName&cursor=${Buffer.from('[1]').toString('base64url')}`,
        })
      ).statusCode,
    ).toBe(400);
  });
});
