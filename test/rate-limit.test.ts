import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, ROOT_KEY, type Fixture, type TestApp } from './support/harness.ts';
import { buildApp, routesOf, type App } from '../src/http/app.ts';
import { dialects } from '../src/http/dialects/index.ts';
import type { RateLimitOptions } from '../src/http/rate-limit.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisUp(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
// CI machines run Redis; elsewhere the Redis variant is skipped (not silently in CI).
const withRedis = process.env.CI === 'true' || (await redisUp());

type Counters = { name: string; opts: (o: Omit<RateLimitOptions, 'redisUrl' | 'prefix'>) => RateLimitOptions };
const counters: Counters[] = [
  { name: 'in-process', opts: (o) => ({ ...o }) },
  ...(withRedis
    ? [
        {
          name: 'redis',
          opts: (o: Omit<RateLimitOptions, 'redisUrl' | 'prefix'>) => ({
            ...o,
            redisUrl: REDIS_URL,
            prefix: `roster-test:${randomBytes(6).toString('hex')}:`,
          }),
        },
      ]
    : []),
];

describe.each(backends())('rate limits ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  let other: Fixture;
  const apps: App[] = [];
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
    other = await makeTenant(t, 'Other', 'other');
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await t.close();
  });

  async function limitedApp(opts: RateLimitOptions): Promise<App> {
    const app = await buildApp(t.runtime.services, { rateLimit: opts });
    await app.ready();
    apps.push(app);
    return app;
  }
  const get = (app: App, url: string, key: string | null, ip = '10.0.0.1') =>
    app.inject({ method: 'GET', url, remoteAddress: ip, headers: key ? { authorization: `Bearer ${key}` } : {} });

  describe.each(counters)('with $name counters', ({ opts }) => {
    it('limits each API key on its own: over the limit 429 with Retry-After; another tenant is not starved', async () => {
      const app = await limitedApp(opts({ perKey: 5, perIp: 100 }));
      const url = `/admin/v1/tenants/${acme.tenantId}/users`;
      for (let i = 0; i < 5; i++) {
        const ok = await get(app, url, acme.keys.viewer);
        expect(ok.statusCode).toBe(200);
        // Every limited response says the limit, what is left and when the window ends.
        expect(ok.headers['ratelimit-limit']).toBe('5');
        expect(ok.headers['ratelimit-remaining']).toBe(String(4 - i));
        expect(Number(ok.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
        expect(Number(ok.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
      }
      const r = await get(app, url, acme.keys.viewer);
      expect(r.statusCode).toBe(429);
      expect(r.headers['ratelimit-limit']).toBe('5');
      expect(r.headers['ratelimit-remaining']).toBe('0');
      expect(r.headers['ratelimit-reset']).toBe(r.headers['retry-after']);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(r.json()).toEqual({
        error: { code: 'rate_limited', message: expect.stringMatching(/too many requests/) },
      });
      // another key of the same tenant and another tenant's key, from the same address, still work
      expect((await get(app, url, acme.keys.admin)).statusCode).toBe(200);
      expect((await get(app, `/admin/v1/tenants/${other.tenantId}/users`, other.keys.viewer)).statusCode).toBe(200);
      // the same key sent as admin_api_key is the same key
      const h = await app.inject({
        method: 'GET',
        url,
        remoteAddress: '10.0.0.9',
        headers: { admin_api_key: acme.keys.viewer },
      });
      expect(h.statusCode).toBe(429);
    });

    it('limits unauthenticated requests per client IP, and failed key checks per IP', async () => {
      const app = await limitedApp(opts({ perKey: 1000, perIp: 3 }));
      for (let i = 0; i < 3; i++) expect((await get(app, '/openapi.json', null, '10.1.1.1')).statusCode).toBe(200);
      const r = await get(app, '/openapi.json', null, '10.1.1.1');
      expect(r.statusCode).toBe(429);
      expect(r.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': '0' });
      expect(r.headers['retry-after']).toBeDefined();
      expect((await get(app, '/openapi.json', null, '10.1.1.2')).statusCode).toBe(200);
      // probes are never limited
      const probe = await get(app, '/health', null, '10.1.1.1');
      expect(probe.statusCode).toBe(200);
      expect(probe.headers['ratelimit-limit']).toBeUndefined();

      // guessing keys: each 401 counts against the address; then even a valid key from it waits
      const url = `/admin/v1/tenants/${acme.tenantId}/users`;
      for (let i = 0; i < 3; i++)
        expect((await get(app, url, `rk_guess_${i}_${'x'.repeat(20)}`, '10.2.2.2')).statusCode).toBe(401);
      const blocked = await get(app, url, acme.keys.viewer, '10.2.2.2');
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().error.code).toBe('rate_limited');
      expect((await get(app, url, acme.keys.viewer, '10.2.2.3')).statusCode).toBe(200);
    });

    it('opens again when the window ends', async () => {
      const app = await limitedApp(opts({ perKey: 2, perIp: 2, windowMs: 400 }));
      const url = `/admin/v1/tenants/${acme.tenantId}/users`;
      await get(app, url, acme.keys.editor);
      await get(app, url, acme.keys.editor);
      expect((await get(app, url, acme.keys.editor)).statusCode).toBe(429);
      await new Promise((r) => setTimeout(r, 600));
      expect((await get(app, url, acme.keys.editor)).statusCode).toBe(200);
    });

    it('renders the 429 in every dialect and on unknown paths', async () => {
      const app = await limitedApp(opts({ perKey: 1, perIp: 1 }));
      const routes = routesOf(app);
      let n = 0;
      for (const d of dialects) {
        const route =
          routes.find((r) => r.url.startsWith(d.prefix) && r.method === 'GET') ??
          routes.find((r) => r.url.startsWith(d.prefix));
        expect(route, `a route of ${d.name}`).toBeDefined();
        const url = route!.url.replace(/:[A-Za-z_]+/g, '1').replace(/\*$/, 'x');
        const ip = `10.3.0.${++n}`;
        const send = () => app.inject({ method: route!.method as 'GET', url, remoteAddress: ip });
        await send();
        const r = await send();
        expect(r.statusCode, `${d.name} ${route!.method} ${url}: ${r.body}`).toBe(429);
        expect(r.headers['retry-after'], d.name).toMatch(/^\d+$/);
        expect(r.headers['ratelimit-limit'], d.name).toBe('1');
        expect(r.headers['ratelimit-remaining'], d.name).toBe('0');
        expect(r.body.length, d.name).toBeGreaterThan(0);
        if (String(r.headers['content-type']).includes('json')) expect(() => JSON.parse(r.body), d.name).not.toThrow();
      }
      await get(app, '/no/such/path', null, '10.3.1.1');
      const nf = await get(app, '/no/such/path', null, '10.3.1.1');
      expect(nf.statusCode).toBe(429);
      expect(nf.json().error.code).toBe('rate_limited');
    });
  });

  if (withRedis) {
    it('shares the counters of one key across Roster processes through Redis', async () => {
      const shared = {
        perKey: 4,
        perIp: 100,
        redisUrl: REDIS_URL,
        prefix: `roster-test:${randomBytes(6).toString('hex')}:`,
      };
      const a = await limitedApp(shared);
      const b = await limitedApp(shared);
      const url = `/admin/v1/tenants/${acme.tenantId}/users`;
      expect((await get(a, url, ROOT_KEY)).statusCode).toBe(200);
      expect((await get(b, url, ROOT_KEY)).statusCode).toBe(200);
      expect((await get(a, url, ROOT_KEY)).statusCode).toBe(200);
      expect((await get(b, url, ROOT_KEY)).statusCode).toBe(200);
      expect((await get(a, url, ROOT_KEY)).statusCode).toBe(429);
      expect((await get(b, url, ROOT_KEY)).statusCode).toBe(429);
      // a separate in-process limiter knows nothing of them
      const c = await limitedApp({ perKey: 4, perIp: 100 });
      expect((await get(c, url, ROOT_KEY)).statusCode).toBe(200);
    });

    it('lets requests through when Redis cannot be reached (limits must not cause an outage)', async () => {
      const app = await limitedApp({ perKey: 1, perIp: 1, redisUrl: 'redis://127.0.0.1:1', prefix: 'x:' });
      const url = `/admin/v1/tenants/${acme.tenantId}/users`;
      for (let i = 0; i < 3; i++) expect((await get(app, url, ROOT_KEY)).statusCode).toBe(200);
    });
  }
});
