import { bearer, hotUser, http, idOf, randomUsers, type BenchContext } from './context.ts';
import { emailOf, externalIdOf, usernameOf } from './seed.ts';
import {
  alternate,
  healthRps,
  measure,
  probe,
  skip,
  versusTarget,
  type Scenario,
  type ScenarioResult,
} from './scenario.ts';

/** A dialect's GET of one user: its path for user number i, and the headers of a viewer key. */
export interface DialectGet {
  dialect: string;
  title: string;
  path(ctx: BenchContext, i: number): string;
  headers(ctx: BenchContext): Record<string, string>;
  /** The bare stack's read of the same row. */
  bare: { title: string; path(ctx: BenchContext, i: number): string };
}

const BARE_BY_ID = {
  title: 'lean bare stack: GET /users/{id}, prepared `select * from users where id = ?`',
  path: (ctx: BenchContext, i: number) => `/users/${idOf(ctx, i)}`,
};

/** Every dialect's GET by id (Usermost names its users by userId, the core externalId). */
export const DIALECT_GETS: DialectGet[] = [
  {
    dialect: 'accounts',
    title: 'GET /api/v1/account/accounts/{id} (Accounts, admin_api_key)',
    path: (ctx, i) => `/api/v1/account/accounts/${idOf(ctx, i)}`,
    headers: (ctx) => ({ admin_api_key: ctx.keys.viewer, accept: 'application/json' }),
    bare: BARE_BY_ID,
  },
  {
    dialect: 'usr',
    title: 'GET /usr/{userId} (/usr, Bearer)',
    path: (ctx, i) => `/usr/${idOf(ctx, i)}`,
    headers: (ctx) => bearer(ctx.keys.viewer),
    bare: BARE_BY_ID,
  },
  {
    dialect: 'scim',
    title: 'GET /scim/v2/Users/{id} (SCIM, Bearer)',
    path: (ctx, i) => `/scim/v2/Users/${idOf(ctx, i)}`,
    headers: (ctx) => bearer(ctx.keys.viewer),
    bare: BARE_BY_ID,
  },
  {
    dialect: 'admin',
    title: 'GET /admin/v1/tenants/{t}/users/{id} (management API, Bearer)',
    path: (ctx, i) => `/admin/v1/tenants/${ctx.tenantId}/users/${idOf(ctx, i)}`,
    headers: (ctx) => bearer(ctx.keys.viewer),
    bare: BARE_BY_ID,
  },
  {
    dialect: 'usermost',
    title: 'GET /v1/accounts/{licenseCode}/users/{userId} (Usermost, Bearer)',
    path: (ctx, i) => `/v1/accounts/${encodeURIComponent(ctx.licenseCode)}/users/${externalIdOf(i)}`,
    headers: (ctx) => bearer(ctx.keys.viewer),
    bare: {
      title:
        'lean bare stack: GET /tenants/{t}/external/{externalId}, prepared `select * from users where tenant_id = ? and external_id = ?`',
      path: (ctx, i) => `/tenants/${ctx.tenantId}/external/${externalIdOf(i)}`,
    },
  },
];

export type Variant = 'hot' | 'random';

/** The user numbers a variant reads: one user, or the fixed random sequence over all N. */
export const usersOf = (ctx: BenchContext, variant: Variant): number[] =>
  variant === 'hot' ? [hotUser(ctx)] : randomUsers(ctx);

export const GET_TARGET = 0.8;

/** GET by id through a dialect, alternately with the bare stack reading the same rows (bare, Roster, bare). */
function getById(g: DialectGet, variant: Variant): Scenario {
  const name = `get-${g.dialect}-${variant}`;
  const title = `${g.title}, ${variant === 'hot' ? 'one hot user' : 'random users over all N'}`;
  return {
    name,
    title,
    goal: `≥ ${GET_TARGET} × the lean bare stack (same ids)`,
    async run(ctx, done) {
      const users = usersOf(ctx, variant);
      const headers = g.headers(ctx);
      const why =
        (await probe(ctx, 'GET', g.path(ctx, users[0]), { headers })) ??
        (await probe(ctx.bare, 'GET', g.bare.path(ctx, users[0])));
      if (why) return skip({ name, title }, why);
      const { m, versus } = await alternate(
        { title: g.bare.title, run: () => measure(ctx, { paths: users.map((i) => g.bare.path(ctx, i)) }, ctx.bare) },
        () => measure(ctx, { headers, paths: users.map((i) => g.path(ctx, i)) }),
      );
      const r = { name, title, ...m, ratio: m.rps / healthRps(done), versus };
      return versusTarget(ctx, r, GET_TARGET, 'the lean bare stack');
    },
  };
}

export const GET_SCENARIOS: Scenario[] = DIALECT_GETS.flatMap((g) => [getById(g, 'hot'), getById(g, 'random')]);

const SCIM_GET = DIALECT_GETS.find((g) => g.dialect === 'scim')!;

const FILTERS: { name: string; attribute: string; value: (i: number) => string }[] = [
  { name: 'username', attribute: 'userName', value: usernameOf },
  { name: 'externalid', attribute: 'externalId', value: externalIdOf },
  { name: 'email', attribute: 'emails.value', value: emailOf },
];

export const FILTER_TARGET = 0.8;

/** A SCIM filter that finds one user, alternately with SCIM GET by id of the same random users. */
function scimFilter(f: (typeof FILTERS)[number]): Scenario {
  const name = `scim-filter-${f.name}`;
  const title = `GET /scim/v2/Users?filter=${f.attribute} eq "…" (random users over all N)`;
  return {
    name,
    title,
    goal: `≥ ${FILTER_TARGET} × SCIM GET by id (same users)`,
    async run(ctx, done): Promise<ScenarioResult> {
      const path = (i: number) => `/scim/v2/Users?filter=${encodeURIComponent(`${f.attribute} eq "${f.value(i)}"`)}`;
      const headers = bearer(ctx.keys.viewer);
      const users = usersOf(ctx, 'random');
      // The filter must find the very user GET by id reads (seed.ts numbers users in id order).
      const found = await http(ctx.base, 'GET', path(users[0]), { headers });
      if (found.status !== 200)
        return skip({ name, title }, `GET ${path(users[0])} answered ${found.status}: ${found.body.slice(0, 160)}`);
      const body = found.json() as { Resources?: { id: string }[] };
      if (body.Resources?.length !== 1 || body.Resources[0].id !== String(idOf(ctx, users[0])))
        return skip(
          { name, title },
          `the filter for user ${users[0]} did not answer exactly id ${idOf(ctx, users[0])}`,
        );
      const { m, versus } = await alternate(
        {
          title: `${SCIM_GET.title}, the same random users`,
          run: () => measure(ctx, { headers, paths: users.map((i) => SCIM_GET.path(ctx, i)) }),
        },
        () => measure(ctx, { headers, paths: users.map(path) }),
      );
      const r = { name, title, ...m, ratio: m.rps / healthRps(done), versus };
      return versusTarget(ctx, r, FILTER_TARGET, 'SCIM GET by id');
    },
  };
}

export const FILTER_SCENARIOS: Scenario[] = FILTERS.map(scimFilter);
