import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { importFile, ndjson } from './support/imports.ts';
import { MARK_STRIDE } from '../src/store/page-marks.ts';

const BASE = '/api/v1/account/accounts';
/** Past two marks (page-marks.ts), so deep pages seek from a mark, cross one, and reach the NULL group. */
const USERS = 2 * MARK_STRIDE + 5_000;

interface List {
  data: { id: number; username: string }[];
  pagination: { total: number; totalPages: number };
}

// Offset pages (the Accounts API's page numbers) deep in a big list must be exactly the pages the
// same order gives when walked with cursors, before and after writes.
describe.each(backends())('Accounts pages deep in a big list ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Deep', 'deep');
    const rows = Array.from({ length: USERS }, (_, i) => ({
      username: `u${String(i).padStart(6, '0')}`,
      // Ties (40 names), and no last name for every seventh user: the NULL group of the sort.
      ...(i % 7 === 0 ? {} : { lastName: `Name${String((i * 13) % 40).padStart(2, '0')}` }),
      company: i % 3 === 0 ? 'Other' : 'Acme',
    }));
    const job = await importFile(t, acme.tenantId, ndjson(rows), { key: acme.keys.editor });
    expect(job.counts.created).toBe(USERS);
  }, 120_000);
  afterAll(() => t.close());

  const page = async (query: string): Promise<List> => {
    const r = await t.req({
      method: 'GET',
      url: `${BASE}?${query}`,
      key: null,
      headers: { admin_api_key: acme.keys.viewer },
    });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as List;
  };

  /** The whole order by cursor pages of the management API (keyset reads, no offsets). */
  const walk = async (sort: string, filter = ''): Promise<string[]> => {
    const out: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await t.req({
        method: 'GET',
        url: `/admin/v1/tenants/${acme.tenantId}/users?limit=1000&sort=${sort}${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      });
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json() as { items: { username: string }[]; nextCursor: string | null };
      out.push(...body.items.map((u) => u.username));
      cursor = body.nextCursor;
    } while (cursor);
    return out;
  };

  const expectPages = async (sort: string, order: string[], limit: number, pages: number[], filter = '') => {
    for (const p of pages) {
      const got = await page(`page=${p}&limit=${limit}&sort=${sort}${filter}`);
      const from = (p - 1) * limit;
      expect(
        got.data.map((a) => a.username),
        `page ${p}, limit ${limit}, sort ${sort}`,
      ).toEqual(order.slice(from, from + limit));
      expect(got.pagination.total).toBe(order.length);
    }
  };

  it('answers every deep page as the cursor walk orders the rows, NULLs included, both directions', async () => {
    const desc = await walk('-lastName');
    expect(desc).toHaveLength(USERS);
    // limit 50: pages before, at and after each mark, in the NULL group (last) and past the end.
    const p = (offset: number, limit: number) => Math.floor(offset / limit) + 1;
    const pages50 = [p(MARK_STRIDE - 50, 50), p(MARK_STRIDE, 50), p(2 * MARK_STRIDE + 100, 50), 500, 501, 400, 201];
    await expectPages('-lastName', desc, 50, pages50);
    // limit 7: pages that straddle a mark.
    await expectPages('-lastName', desc, 7, [p(MARK_STRIDE - 3, 7), p(MARK_STRIDE + 3, 7), p(2 * MARK_STRIDE - 2, 7)]);
    const asc = await walk('lastName');
    await expectPages('lastName', asc, 50, [p(MARK_STRIDE, 50), 300, 500]);
    // a filtered list has marks of its own
    const acmeOnly = await walk('-lastName', '&company=Acme');
    expect(acmeOnly.length).toBeGreaterThan(MARK_STRIDE);
    await expectPages(
      '-lastName',
      acmeOnly,
      20,
      [p(MARK_STRIDE + 10, 20), Math.ceil(acmeOnly.length / 20)],
      '&attributes[company]=Acme',
    );
  });

  it('sees writes at once: a deleted and a created user move the deep pages', async () => {
    const before = await walk('-lastName');
    const deepPage = Math.floor((MARK_STRIDE + 5) / 50) + 1;
    await expectPages('-lastName', before, 50, [1, deepPage, 1]);
    // Delete the first user of the order: every later row moves up by one.
    const first = before[0];
    const listed = await t.req({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}/users?username=${first}` });
    const id = (listed.json() as { items: { id: number }[] }).items[0].id;
    const del = await t.req({ method: 'DELETE', url: `/admin/v1/tenants/${acme.tenantId}/users/${id}` });
    expect(del.statusCode, del.body).toBe(204);
    await expectPages('-lastName', before.slice(1), 50, [1, deepPage]);
    // A new user that sorts first moves them back down.
    const made = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/users`,
      payload: { username: 'zz-first', lastName: 'Zzz' },
    });
    expect(made.statusCode, made.body).toBe(201);
    await expectPages('-lastName', ['zz-first', ...before.slice(1)], 50, [2, 1, deepPage, 500]);
  });
});
