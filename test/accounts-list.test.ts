import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';

const BASE = '/api/v1/account/accounts';

interface Wire {
  id: number;
  [k: string]: unknown;
}
interface List {
  data: Wire[];
  pagination: {
    currentPage: number;
    perPage: number;
    count: number;
    totalPages: number;
    total: number;
    links: { next?: string; previous?: string };
  };
  totalItems: number;
}

// 13 accounts: enough for first/middle/last pages at limit 5.
const PEOPLE: Record<string, unknown>[] = [
  {
    username: 'ann',
    email: 'Ann@Acme.test',
    firstName: 'Ann',
    lastName: 'Smith',
    company: 'Acme',
    gender: 'female',
    tier: 'gold',
    level: 3,
  },
  {
    username: 'Bob',
    email: 'bob@acme.test',
    firstName: 'Bob',
    lastName: 'Jones',
    company: 'Acme',
    gender: 'male',
    tier: 'silver',
    level: 1,
  },
  {
    username: 'cat',
    email: 'cat@other.test',
    firstName: 'Cat',
    lastName: 'Smith',
    company: 'Other',
    gender: 'female',
    tier: 'bronze',
    level: 2,
  },
  {
    username: 'dan',
    email: 'dan@acme.test',
    firstName: 'Dan',
    lastName: 'Adams',
    company: 'Acme',
    tier: 'gold',
    level: 5,
    vip: true,
  },
  {
    username: 'eve',
    email: 'eve@acme.test',
    firstName: 'Eve',
    lastName: 'Young',
    company: 'acme',
    gender: 'other',
    tier: 'silver',
  },
  { username: 'fay', firstName: 'Fay', lastName: 'Baker', company: 'Initech', tier: 'gold', level: 4 },
  { username: 'gus', firstName: 'Gus', lastName: 'Clark', company: 'Initech', gender: 'male' },
  { username: 'hal', firstName: 'Hal', lastName: 'Smith', company: 'Acme', gender: 'male', tier: 'silver', level: 7 },
  { username: 'ivy', firstName: 'Ivy', lastName: 'Diaz', company: 'Acme', gender: 'unknown', tier: 'bronze' },
  { username: 'jon', firstName: 'Jon', lastName: 'Evans', tier: 'gold' },
  { username: 'kim', firstName: 'Kim', lastName: 'Frank', company: 'Other', gender: 'female' },
  { username: 'lee', firstName: 'Lee', lastName: 'Green', company: 'Acme', tier: 'silver', level: 6 },
  { username: 'max', firstName: 'Max', lastName: 'Hill', company: 'Initech', gender: 'male', tier: 'bronze' },
];

describe.each(backends())('Accounts dialect: lists ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let ids: number[];
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    const other = await makeTenant(t, 'Other', 'other');
    ids = [];
    for (const p of PEOPLE) {
      const r = await t.req({ method: 'POST', url: BASE, key: acme.keys.editor, payload: p });
      if (r.statusCode !== 201) throw new Error(r.body);
      ids.push(r.json().id);
    }
    // Another tenant's accounts never show up.
    await t.req({
      method: 'POST',
      url: BASE,
      key: other.keys.editor,
      payload: { username: 'zed', lastName: 'Smith', tier: 'gold' },
    });
  });
  afterAll(() => t.close());

  const get = async (query: string): Promise<List> => {
    const r = await t.req({
      method: 'GET',
      url: `${BASE}${query}`,
      key: null,
      headers: { accept: 'application/json', admin_api_key: acme.keys.viewer },
    });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as List;
  };
  const status = async (query: string) =>
    (await t.req({ method: 'GET', url: `${BASE}${query}`, key: null, headers: { admin_api_key: acme.keys.viewer } }))
      .statusCode;
  const names = (l: List) => l.data.map((a) => a.username);

  it('pages by page and limit: count, totalPages, next and previous on first, middle, last and past-the-end pages', async () => {
    const first = await get('?limit=5');
    expect(first.pagination).toEqual({
      currentPage: 1,
      perPage: 5,
      count: 5,
      totalPages: 3,
      total: 13,
      links: { next: '?page=2&limit=5' },
    });
    expect(first.totalItems).toBe(13);
    expect(first.data.map((a) => a.id)).toEqual(ids.slice(0, 5));

    const middle = await get('?page=2&limit=5');
    expect(middle.pagination).toEqual({
      currentPage: 2,
      perPage: 5,
      count: 5,
      totalPages: 3,
      total: 13,
      links: { next: '?page=3&limit=5', previous: '?page=1&limit=5' },
    });
    expect(middle.data.map((a) => a.id)).toEqual(ids.slice(5, 10));

    const last = await get('?page=3&limit=5');
    expect(last.pagination).toEqual({
      currentPage: 3,
      perPage: 5,
      count: 3,
      totalPages: 3,
      total: 13,
      links: { previous: '?page=2&limit=5' },
    });
    expect(last.data.map((a) => a.id)).toEqual(ids.slice(10));

    const past = await get('?page=9&limit=5');
    expect(past.data).toEqual([]);
    expect(past.pagination).toEqual({
      currentPage: 9,
      perPage: 5,
      count: 0,
      totalPages: 3,
      total: 13,
      links: { previous: '?page=3&limit=5' },
    });

    const exact = await get('?limit=13');
    expect(exact.pagination).toMatchObject({ count: 13, totalPages: 1, links: {} });
    const byOne = await get('?page=13&limit=1');
    expect(byOne.pagination).toMatchObject({ count: 1, totalPages: 13, links: { previous: '?page=12&limit=1' } });
    expect(byOne.data[0].id).toBe(ids[12]);

    const all = await get('');
    expect(all.pagination).toEqual({ currentPage: 1, perPage: 20, count: 13, totalPages: 1, total: 13, links: {} });

    // Following next links visits every account once.
    const seen: number[] = [];
    let link: string | undefined = '?limit=4&sort=-lastName';
    while (link) {
      const page = await get(link);
      seen.push(...page.data.map((a) => a.id));
      link = page.pagination.links.next;
    }
    expect(seen.sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
  });

  it("carries the request's other parameters in the links, as the API documents", async () => {
    const seedLike = await get('?limit=6&sort=-lastName');
    expect(seedLike.pagination.links).toEqual({ next: '?page=2&limit=6&sort=-lastName' });
    const filtered = await get('?sort=lastName,-firstName&attributes[company]=Acme&limit=2&page=2');
    expect(filtered.pagination.links).toEqual({
      next: '?page=3&limit=2&sort=lastName,-firstName&attributes[company]=Acme',
      previous: '?page=1&limit=2&sort=lastName,-firstName&attributes[company]=Acme',
    });
    const next = await get(filtered.pagination.links.next!);
    expect(next.pagination.currentPage).toBe(3);
    expect(next.pagination.total).toBe(filtered.pagination.total);

    const jsonForm = await get(`?limit=1&attributes=${encodeURIComponent('{"tier":"gold"}')}`);
    expect(jsonForm.pagination.total).toBe(4);
    const viaLink = await get(jsonForm.pagination.links.next!);
    expect(viaLink.pagination).toMatchObject({ currentPage: 2, total: 4 });
  });

  it('sorts on default attributes, ascending and descending, ties broken by id', async () => {
    const byLast = await get('?sort=lastName');
    expect(byLast.data.map((a) => a.lastName)).toEqual([
      'Adams',
      'Baker',
      'Clark',
      'Diaz',
      'Evans',
      'Frank',
      'Green',
      'Hill',
      'Jones',
      'Smith',
      'Smith',
      'Smith',
      'Young',
    ]);
    expect(byLast.data.filter((a) => a.lastName === 'Smith').map((a) => a.username)).toEqual(['ann', 'cat', 'hal']);

    const desc = await get('?sort=-lastName,firstName');
    expect(names(desc).slice(0, 4)).toEqual(['eve', 'ann', 'cat', 'hal']);
    const twoKeys = await get('?sort=-lastName,-firstName&limit=4');
    expect(names(twoKeys)).toEqual(['eve', 'hal', 'cat', 'ann']);

    const byCompany = await get('?sort=company&attributes[tier]=gold');
    // Unset sorts first (as the smallest value) on both databases.
    expect(names(byCompany)).toEqual(['jon', 'ann', 'dan', 'fay']);
    expect(names(await get('?sort=-company&attributes[tier]=gold'))).toEqual(['fay', 'dan', 'ann', 'jon']);
    const byId = await get('?sort=-id&limit=2');
    expect(byId.data.map((a) => a.id)).toEqual([ids[12], ids[11]]);
  });

  it('sorts on custom attributes like default ones', async () => {
    const byTier = await get('?sort=tier,username');
    expect(byTier.data.map((a) => a.tier ?? null)).toEqual([
      null,
      null,
      'bronze',
      'bronze',
      'bronze',
      'gold',
      'gold',
      'gold',
      'gold',
      'silver',
      'silver',
      'silver',
      'silver',
    ]);
    expect(names(byTier).slice(0, 5)).toEqual(['gus', 'kim', 'cat', 'ivy', 'max']);
    const byLevel = await get('?sort=-level&attributes[company]=Acme');
    expect(byLevel.data.map((a) => a.level ?? null)).toEqual([7, 6, 5, 3, 1, null]);
    const desc = await get('?sort=-tier,-username&limit=3');
    expect(names(desc)).toEqual(['lee', 'hal', 'eve']);
  });

  it('filters by default attributes exactly, case-insensitively for email and username', async () => {
    const smiths = await get('?attributes[lastName]=Smith');
    expect(names(smiths)).toEqual(['ann', 'cat', 'hal']);
    expect(smiths.totalItems).toBe(3);
    expect((await get('?attributes[lastName]=smith')).totalItems).toBe(0);
    expect(names(await get('?attributes[email]=ANN@acme.TEST'))).toEqual(['ann']);
    expect(names(await get('?attributes[username]=bob'))).toEqual(['Bob']);
    expect(names(await get('?attributes[company]=acme'))).toEqual(['eve']);
    expect(names(await get('?attributes[lastName]=Smith&attributes[company]=Acme'))).toEqual(['ann', 'hal']);
    expect(names(await get('?attributes[lastName]=Smith&attributes[lastName]=Jones'))).toEqual([
      'ann',
      'Bob',
      'cat',
      'hal',
    ]);
    expect(names(await get(`?attributes[id]=${ids[3]}`))).toEqual(['dan']);
    // An unset gender reads as "unknown", so it filters as one.
    expect(names(await get('?attributes[gender]=unknown'))).toEqual(['dan', 'fay', 'ivy', 'jon', 'lee']);
    expect(names(await get('?attributes[gender]=female&sort=-username'))).toEqual(['kim', 'cat', 'ann']);
    // Brackets may arrive percent-encoded.
    expect(names(await get('?attributes%5BlastName%5D=Smith&attributes%5Bcompany%5D=Other'))).toEqual(['cat']);
  });

  it('filters by custom attributes, and by attributes given as a JSON object', async () => {
    expect(names(await get('?attributes[tier]=gold'))).toEqual(['ann', 'dan', 'fay', 'jon']);
    expect(names(await get('?attributes[level]=3'))).toEqual(['ann']);
    expect(names(await get('?attributes[vip]=true'))).toEqual(['dan']);
    expect((await get('?attributes[nothing]=x')).totalItems).toBe(0);
    const q = (o: unknown) => `?attributes=${encodeURIComponent(JSON.stringify(o))}`;
    expect(names(await get(q({ lastName: 'Smith', tier: 'gold' })))).toEqual(['ann']);
    expect(names(await get(q({ level: 5 })))).toEqual(['dan']);
    expect(names(await get(q({ tier: ['bronze', 'silver'], company: 'Acme' })))).toEqual(['Bob', 'hal', 'ivy', 'lee']);
    expect(names(await get(q({ company: null })))).toEqual(['jon']);
    const both = await get(`${q({ company: 'Acme' })}&attributes[tier]=gold&sort=-username`);
    expect(names(both)).toEqual(['dan', 'ann']);
    expect(both.pagination.total).toBe(2);
  });

  it('rejects bad list parameters with 400', async () => {
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=abc',
      '?page=0',
      '?page=-1',
      '?page=x',
      '?sort=password',
      '?sort=bad-name',
      '?sort=a,b,c,d,e,f',
      '?attributes=notjson',
      '?attributes=[1]',
      `?attributes=${encodeURIComponent('{"tier":{"a":1}}')}`,
      '?attributes[1bad]=x',
      '?attributes[password]=x',
      '?attributes[id]=abc',
    ]) {
      expect(await status(query), query).toBe(400);
    }
    expect(await status('?limit=200')).toBe(200);
    expect(await status('?unknown=1')).toBe(200);
  });
});
