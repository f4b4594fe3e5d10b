import { bearer, http, type BenchContext } from './context.ts';
import { LIST_COMPANY } from './seed.ts';
import { measure, p99Target, probe, shuffled, skip, type Scenario } from './scenario.ts';

/** Lists are measured with 10 connections, as the issue states their targets. */
export const LIST_CONNECTIONS = 10;
const FIRST_PAGE_P99_MS = 25;
const DEEP_PAGE_P99_MS = 100;

const company = encodeURIComponent(LIST_COMPANY);
const accountsHeaders = (ctx: BenchContext) => ({ admin_api_key: ctx.keys.viewer, accept: 'application/json' });
const SORTED = '/api/v1/account/accounts?limit=50&sort=-lastName';

const listAccounts: Scenario = {
  name: 'list-accounts',
  title: `GET /api/v1/account/accounts?limit=50&sort=-lastName&attributes[company]=… (first page with a filter)`,
  goal: `p99 ≤ ${FIRST_PAGE_P99_MS} ms`,
  async run(ctx) {
    const path = `${SORTED}&attributes%5Bcompany%5D=${company}`;
    const headers = accountsHeaders(ctx);
    const why = await probe(ctx, 'GET', path, { headers });
    if (why) return skip(this, why);
    const m = await measure(ctx, { path, headers, connections: LIST_CONNECTIONS });
    return p99Target(ctx, { name: this.name, title: this.title, ...m }, FIRST_PAGE_P99_MS, LIST_CONNECTIONS);
  },
};

/** The number of the last page of the unfiltered sorted list (the Accounts page carries it). */
async function lastPage(ctx: BenchContext): Promise<number | string> {
  const r = await http(ctx.base, 'GET', `${SORTED}&page=1`, { headers: accountsHeaders(ctx) });
  if (r.status !== 200) return `GET ${SORTED} answered ${r.status}: ${r.body.slice(0, 160)}`;
  return Math.max(1, (r.json() as { pagination: { totalPages: number } }).pagination.totalPages);
}

const listDeepest: Scenario = {
  name: 'list-accounts-deepest',
  title: 'GET /api/v1/account/accounts?limit=50&sort=-lastName&page=<last> (the deepest page, no filter)',
  goal: `p99 ≤ ${DEEP_PAGE_P99_MS} ms`,
  async run(ctx) {
    const last = await lastPage(ctx);
    if (typeof last === 'string') return skip(this, last);
    const path = `${SORTED}&page=${last}`;
    const m = await measure(ctx, { path, headers: accountsHeaders(ctx), connections: LIST_CONNECTIONS });
    const r = { name: this.name, title: this.title, ...m, extra: { page: last } };
    return p99Target(ctx, r, DEEP_PAGE_P99_MS, LIST_CONNECTIONS);
  },
};

/** 200 page numbers evenly over 1…last (the last included), requested in random order. */
const listDeep: Scenario = {
  name: 'list-accounts-deep',
  title: 'GET /api/v1/account/accounts?limit=50&sort=-lastName&page=N (pages spread over the whole range)',
  goal: `p99 ≤ ${DEEP_PAGE_P99_MS} ms`,
  async run(ctx) {
    const last = await lastPage(ctx);
    if (typeof last === 'string') return skip(this, last);
    const pages = [...new Set(Array.from({ length: 200 }, (_, k) => 1 + Math.round((k * (last - 1)) / 199)))];
    const paths = shuffled(
      pages.map((p) => `${SORTED}&page=${p}`),
      1000,
    );
    const m = await measure(ctx, { paths, headers: accountsHeaders(ctx), connections: LIST_CONNECTIONS });
    const r = { name: this.name, title: this.title, ...m, extra: { pages: pages.length, lastPage: last } };
    return p99Target(ctx, r, DEEP_PAGE_P99_MS, LIST_CONNECTIONS);
  },
};

/** Keyset pages at every depth of one filtered, sorted list (cursors collected by walking it first). */
const listCursor: Scenario = {
  name: 'list-cursor',
  title: 'GET /admin/v1/tenants/{t}/users?limit=50&sort=-lastName&company=… (cursor pages at every depth)',
  goal: `p99 ≤ ${FIRST_PAGE_P99_MS} ms`,
  async run(ctx) {
    const first = `/admin/v1/tenants/${ctx.tenantId}/users?limit=50&sort=-lastName&company=${company}`;
    const headers = bearer(ctx.keys.viewer);
    const paths = [first];
    for (let cursor: string | null = null, i = 0; i < 200; i++) {
      const r = await http(ctx.base, 'GET', cursor ? `${first}&cursor=${encodeURIComponent(cursor)}` : first, {
        headers,
      });
      if (r.status !== 200) return skip(this, `GET ${first} answered ${r.status}: ${r.body.slice(0, 160)}`);
      cursor = (r.json() as { nextCursor: string | null }).nextCursor;
      if (!cursor) break;
      paths.push(`${first}&cursor=${encodeURIComponent(cursor)}`);
    }
    const m = await measure(ctx, { headers, paths: shuffled(paths, 1000), connections: LIST_CONNECTIONS });
    const r = { name: this.name, title: this.title, ...m, extra: { pages: paths.length } };
    return p99Target(ctx, r, FIRST_PAGE_P99_MS, LIST_CONNECTIONS);
  },
};

export const LIST_SCENARIOS: Scenario[] = [listAccounts, listDeep, listDeepest, listCursor];
