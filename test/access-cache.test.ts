import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { buildApp, type App } from '../src/http/app.ts';
import { startRuntime, type Runtime } from '../src/runtime.ts';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, startTestApp, TEST_ARGON2, type Fixture, type TestApp } from './support/harness.ts';

/**
 * Manager keys and tenants are cached per process (AccessCache); these check that no change to a key,
 * its role, its manager or a tenant is ever answered from a stale entry: not in the process that made the
 * change, not in another Roster process on the same database, not after a change made with plain
 * SQL, and not while PostgreSQL's change listener is down.
 */
describe.each(backends())('cached manager keys ($name)', (backend) => {
  let a: TestApp;
  /** A second Roster process on the same database (its own runtime, store and key cache). */
  let b: { app: App; runtime: Runtime };
  let acme: Fixture;

  const get = (app: App, key: string, tenantId = acme.tenantId) =>
    app.inject({
      method: 'GET',
      url: `/admin/v1/tenants/${tenantId}/users?limit=1`,
      headers: { authorization: `Bearer ${key}` },
    });
  const newManager = async (role = 'viewer') => {
    const r = await a.req({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/managers`,
      payload: { name: 'M', email: `m${Math.random()}@acme.test`, role },
    });
    expect(r.statusCode).toBe(201);
    return r.json() as { id: number; apiKey: string };
  };
  /** Answers the status `request` gets once it is `want`, retrying for up to 5 s (PostgreSQL notifications are asynchronous). */
  const settles = async (request: () => Promise<{ statusCode: number }>, want: number) => {
    const until = Date.now() + 5000;
    let status = 0;
    while (Date.now() < until) {
      status = (await request()).statusCode;
      if (status === want) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return status;
  };
  const eventually = (app: App, key: string, want: number) => settles(() => get(app, key), want);
  /** Runs SQL on the database directly, as an operator (or an older Roster) would. */
  const plainSql = async (text: string, params: unknown[]) => {
    if (backend.name === 'postgres') {
      const c = new pg.Client({ connectionString: a.url });
      await c.connect();
      try {
        await c.query(
          text.replace(/\?/g, (_, i: number) => `$${text.slice(0, i).split('?').length}`),
          params,
        );
      } finally {
        await c.end();
      }
      return;
    }
    const db = new SQLite(a.url.slice('sqlite:'.length));
    try {
      db.prepare(text).run(...params);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    a = await startTestApp(backend);
    acme = await makeTenant(a, 'Acme', 'acme');
    const runtime = await startRuntime({ databaseUrl: a.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    const app = await buildApp(runtime.services);
    await app.ready();
    b = { app, runtime };
  });
  afterAll(async () => {
    await b?.app.close();
    await b?.runtime.close();
    await a?.close();
  });

  it('a rotated key stops working at once in the process that rotated it, and the new one works', async () => {
    const m = await newManager();
    for (let i = 0; i < 3; i++) expect((await get(a.app, m.apiKey)).statusCode).toBe(200);
    const r = await a.req({ method: 'POST', url: `/admin/v1/managers/${m.id}/key` });
    expect(r.statusCode).toBe(200);
    expect((await get(a.app, m.apiKey)).statusCode).toBe(401);
    expect((await get(a.app, r.json().apiKey)).statusCode).toBe(200);
  });

  it('a deleted manager, a lowered role and a deleted tenant take effect at once', async () => {
    const m = await newManager('admin');
    const create = (key: string) =>
      a.app.inject({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/users`,
        headers: { authorization: `Bearer ${key}` },
        payload: { username: `u${Math.random()}` },
      });
    expect((await create(m.apiKey)).statusCode).toBe(201);
    expect(
      (await a.req({ method: 'PATCH', url: `/admin/v1/managers/${m.id}`, payload: { role: 'viewer' } })).statusCode,
    ).toBe(200);
    expect((await create(m.apiKey)).statusCode).toBe(403);
    expect((await get(a.app, m.apiKey)).statusCode).toBe(200);
    expect((await a.req({ method: 'DELETE', url: `/admin/v1/managers/${m.id}` })).statusCode).toBe(204);
    expect((await get(a.app, m.apiKey)).statusCode).toBe(401);

    const other = await makeTenant(a, 'Other', `other${Date.now()}`);
    expect((await get(a.app, other.keys.viewer, other.tenantId)).statusCode).toBe(200);
    expect((await a.req({ method: 'DELETE', url: `/admin/v1/tenants/${other.tenantId}` })).statusCode).toBe(204);
    expect((await get(a.app, other.keys.viewer, other.tenantId)).statusCode).toBe(401);
  });

  it('a key revoked through one process stops working in another that has it cached', async () => {
    const m = await newManager();
    for (let i = 0; i < 3; i++) expect((await get(b.app, m.apiKey)).statusCode).toBe(200);
    expect((await a.req({ method: 'DELETE', url: `/admin/v1/managers/${m.id}` })).statusCode).toBe(204);
    expect(await eventually(b.app, m.apiKey, 401)).toBe(401);
  });

  it('a key changed with plain SQL, outside Roster, stops working in every process', async () => {
    const m = await newManager();
    expect((await get(a.app, m.apiKey)).statusCode).toBe(200);
    expect((await get(b.app, m.apiKey)).statusCode).toBe(200);
    await plainSql('update managers set key_digest = ? where id = ?', ['revoked-by-hand', m.id]);
    expect(await eventually(a.app, m.apiKey, 401)).toBe(401);
    expect(await eventually(b.app, m.apiKey, 401)).toBe(401);
  });

  it("a tenant's new settings and license code take effect at once here, and in another process that has it cached", async () => {
    const code = `lc${Date.now()}`;
    const tenant = (
      await a.req({
        method: 'POST',
        url: '/admin/v1/tenants',
        payload: { name: 'Portal', licenseCode: code, settings: { publicSignup: true } },
      })
    ).json();
    const signUp = (app: App, licenseCode: string) => () => {
      const username = `u${Math.random()}`.replace('.', '');
      return app.inject({
        method: 'POST',
        url: '/rest/users',
        headers: { 'x-roster-tenant': licenseCode },
        payload: { username, email: `${username}@example.com`, password: 'correct horse battery' },
      });
    };
    expect((await signUp(a.app, code)()).statusCode).toBe(201);
    expect((await signUp(b.app, code)()).statusCode).toBe(201);

    expect(
      (
        await a.req({
          method: 'PATCH',
          url: `/admin/v1/tenants/${tenant.id}`,
          payload: { settings: { publicSignup: false } },
        })
      ).statusCode,
    ).toBe(200);
    expect((await signUp(a.app, code)()).statusCode).toBe(401);
    expect(await settles(signUp(b.app, code), 401)).toBe(401);

    const renamed = `${code}x`;
    expect(
      (
        await a.req({
          method: 'PATCH',
          url: `/admin/v1/tenants/${tenant.id}`,
          payload: { licenseCode: renamed, settings: { publicSignup: true } },
        })
      ).statusCode,
    ).toBe(200);
    // The old code names no tenant now: sign-up answers as a closed one (no "does it exist" oracle).
    expect((await signUp(a.app, code)()).statusCode).toBe(401);
    expect((await signUp(a.app, renamed)()).statusCode).toBe(201);
    expect(await settles(signUp(b.app, code), 401)).toBe(401);
    expect((await signUp(b.app, renamed)()).statusCode).toBe(201);
  });

  it.runIf(backend.name === 'postgres')(
    'trusts no cached key while the change listener is disconnected, and caches again once it is back',
    async () => {
      const m = await newManager();
      expect((await get(b.app, m.apiKey)).statusCode).toBe(200);
      const admin = new pg.Client({ connectionString: a.url });
      await admin.connect();
      try {
        // Cut every listener (both processes'), then change the key while nobody listens.
        const killed = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'roster-access-listener'`,
        );
        expect(killed.rowCount).toBeGreaterThan(0);
        await admin.query('update managers set key_digest = $1 where id = $2', ['revoked-while-deaf', m.id]);
      } finally {
        await admin.end();
      }
      expect(await eventually(b.app, m.apiKey, 401)).toBe(401);
      // The listener reconnects by itself; a new key is then cached and still revoked at once.
      const n = await newManager();
      expect((await get(b.app, n.apiKey)).statusCode).toBe(200);
      expect((await a.req({ method: 'POST', url: `/admin/v1/managers/${n.id}/key` })).statusCode).toBe(200);
      expect(await eventually(b.app, n.apiKey, 401)).toBe(401);
    },
  );
});
