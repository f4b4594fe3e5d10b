import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { buildApp, routesOf, type App } from '../src/http/app.ts';
import { dialects } from '../src/http/dialects/index.ts';
import { startRuntime, type Runtime } from '../src/runtime.ts';
import { makeTenant, ROOT_KEY, TEST_ARGON2, type Fixture, type TestApp } from './support/harness.ts';
import { createPgCluster, pgBinDir, type PgCluster } from './support/process.ts';

// Needs PostgreSQL's server binaries to run a private cluster; CI has them (a skip there would hide a failure).
const canRun = pgBinDir() !== null || process.env.CI === 'true';

/** "Fails fast": well under the pool's 5 s connection timeout, let alone a hang. */
const FAST_MS = 4000;

describe.skipIf(!canRun)('PostgreSQL outage (private cluster)', () => {
  let cluster: PgCluster;
  let runtime: Runtime;
  let app: App;
  let t: TestApp;
  let acme: Fixture;
  beforeAll(async () => {
    cluster = await createPgCluster();
    runtime = await startRuntime({ databaseUrl: cluster.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    app = await buildApp(runtime.services);
    await app.ready();
    const req = ({ key, headers, ...opts }: InjectOptions & { key?: string | null }) =>
      app.inject({
        ...opts,
        headers: {
          ...(headers as Record<string, string>),
          ...(key !== null ? { authorization: `Bearer ${key ?? ROOT_KEY}` } : {}),
        },
      });
    t = { app, runtime, url: cluster.url, req, close: async () => {} };
    acme = await makeTenant(t, 'Acme', 'acme');
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    cluster?.destroy();
  });

  async function timed(opts: InjectOptions & { key?: string | null }) {
    const start = Date.now();
    const r = await t.req(opts);
    return { r, ms: Date.now() - start };
  }

  it('answers 503 fast in every dialect while the database is down, then recovers without a restart', async () => {
    const users = `/admin/v1/tenants/${acme.tenantId}/users`;
    const before = await t.req({
      method: 'POST',
      url: users,
      key: acme.keys.editor,
      payload: { username: 'before-outage', password: 'long enough pw' },
    });
    expect(before.statusCode).toBe(201);
    expect((await t.req({ method: 'GET', url: '/ready' })).statusCode).toBe(200);

    cluster.stop('fast');

    // the management API: JSON error envelope, Retry-After, for manager keys (auth needs the DB) and the root key
    for (const [method, key, payload] of [
      ['GET', acme.keys.viewer, undefined],
      ['GET', ROOT_KEY, undefined],
      ['POST', acme.keys.editor, { username: 'during-outage', password: 'long enough pw' }],
    ] as const) {
      const { r, ms } = await timed({ method, url: users, key, ...(payload ? { payload } : {}) });
      expect(r.statusCode, `${method} ${r.body}`).toBe(503);
      expect(r.json()).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
      expect(r.headers['retry-after']).toBe('1');
      expect(ms).toBeLessThan(FAST_MS);
    }
    const ready = await timed({ method: 'GET', url: '/ready', key: null });
    expect(ready.r.statusCode).toBe(503);
    expect(ready.ms).toBeLessThan(FAST_MS);
    expect((await t.req({ method: 'GET', url: '/health', key: null })).statusCode).toBe(200);

    // every route of every dialect: never a 500, never slow; each dialect answers 503 somewhere, as JSON
    const routes = routesOf(app).filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
    for (const d of dialects) {
      const seen: string[] = [];
      let unavailable = 0;
      for (const route of routes.filter((r) => r.url.startsWith(d.prefix))) {
        const url = route.url
          .replace(/:licenseCode|:code|:license/g, acme.licenseCode)
          .replace(/:[A-Za-z_]+/g, '1')
          .replace(/\*$/, 'x');
        for (const auth of [
          `Bearer ${acme.keys.owner}`,
          `Basic ${Buffer.from('someone:some password').toString('base64')}`,
        ]) {
          const { r, ms } = await timed({
            method: route.method as 'GET',
            url,
            key: null,
            headers: { authorization: auth, admin_api_key: acme.keys.owner },
            ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
          });
          seen.push(`${route.method} ${url} → ${r.statusCode} (${ms} ms)`);
          expect(r.statusCode, `${route.method} ${url}: ${r.body}`).not.toBe(500);
          expect(r.statusCode, `${route.method} ${url}: ${r.body}`).toBeLessThan(504);
          expect(ms, `${route.method} ${url}`).toBeLessThan(FAST_MS);
          if (r.statusCode === 503) {
            unavailable++;
            expect(r.body.length).toBeGreaterThan(0);
            if (String(r.headers['content-type']).includes('json')) expect(() => JSON.parse(r.body)).not.toThrow();
          }
        }
      }
      expect(unavailable, `${d.name} never said 503:\n${seen.join('\n')}`).toBeGreaterThan(0);
    }

    cluster.start();

    // Recovers by itself: the pool reconnects on the next request (a first request may still meet a dead connection).
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await t.req({ method: 'GET', url: users, key: acme.keys.viewer })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
    expect((await t.req({ method: 'GET', url: '/ready', key: null })).statusCode).toBe(200);
    const list = (await t.req({ method: 'GET', url: users, key: acme.keys.viewer })).json().items as {
      username: string;
    }[];
    expect(list.map((u) => u.username)).toEqual(['before-outage']); // the rejected create left nothing behind
    expect(
      (await t.req({ method: 'POST', url: users, key: acme.keys.editor, payload: { username: 'after-outage' } }))
        .statusCode,
    ).toBe(201);
  });

  it('survives a crash-like stop (immediate) with clients connected', async () => {
    const users = `/admin/v1/tenants/${acme.tenantId}/users`;
    // hold several pooled connections open, then kill the server under them
    await Promise.all(Array.from({ length: 6 }, () => t.req({ method: 'GET', url: users, key: acme.keys.viewer })));
    cluster.stop('immediate');
    const down = await Promise.all(
      Array.from({ length: 6 }, () => timed({ method: 'GET', url: users, key: acme.keys.viewer })),
    );
    for (const { r, ms } of down) {
      expect(r.statusCode).toBe(503);
      expect(ms).toBeLessThan(FAST_MS);
    }
    cluster.start();
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = (await t.req({ method: 'GET', url: users, key: acme.keys.viewer })).statusCode === 200;
      if (!ok) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ok).toBe(true);
    const after = await Promise.all(
      Array.from({ length: 6 }, () => t.req({ method: 'GET', url: users, key: acme.keys.viewer })),
    );
    expect(after.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
