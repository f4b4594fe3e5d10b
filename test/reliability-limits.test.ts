import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { backends } from './support/backends.ts';
import { makeTenant, ROOT_KEY, TEST_ARGON2, type Fixture, type TestApp } from './support/harness.ts';
import { importFile, ndjson } from './support/imports.ts';
import { buildApp, routesOf, type App } from '../src/http/app.ts';
import { dialects } from '../src/http/dialects/index.ts';
import { startRuntime, type Runtime } from '../src/runtime.ts';
import type { InjectOptions } from 'fastify';

const MAX_PAGE = 1000;

/** Sends raw bytes and answers the response text (until the server closes the connection). */
function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(data));
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

describe.each(backends())('request limits ($name)', (backend) => {
  let runtime: Runtime;
  let app: App;
  let drop: () => Promise<void>;
  let port: number;
  let t: TestApp;
  let acme: Fixture;
  beforeAll(async () => {
    const db = await backend.fresh();
    drop = db.drop;
    runtime = await startRuntime({ databaseUrl: db.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    app = await buildApp(runtime.services, { headersTimeoutMs: 1000 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    const req = ({ key, headers, ...opts }: InjectOptions & { key?: string | null }) =>
      app.inject({
        ...opts,
        headers: {
          ...(headers as Record<string, string>),
          ...(key !== null ? { authorization: `Bearer ${key ?? ROOT_KEY}` } : {}),
        },
      });
    t = { app, runtime, url: db.url, req, close: async () => {} };
    acme = await makeTenant(t, 'Acme', 'acme');
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await drop?.();
  });

  it('answers 431 to oversized headers', async () => {
    const res = await raw(
      port,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expect(res).toMatch(/^HTTP\/1\.1 431/);
    const ok = await raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(ok).toMatch(/^HTTP\/1\.1 200/);
  });

  it('drops a client that sends its headers too slowly, serving others meanwhile', async () => {
    const slow: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    let response = '';
    slow.on('data', (d) => (response += d));
    slow.on('error', () => {});
    const drip = setInterval(() => slow.writable && slow.write('X-Drip: 1\r\n'), 200);
    try {
      const others = await Promise.all(
        Array.from({ length: 5 }, () => raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
      );
      for (const o of others) expect(o).toMatch(/^HTTP\/1\.1 200/);
      await new Promise<void>((r) => slow.once('close', () => r()));
      expect(response).not.toMatch(/^HTTP\/1\.1 200/); // closed (or 408), never served
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
  });

  it('answers 413 to a body over the limit (1 MiB unless the route says) on every write route of every dialect', async () => {
    const big = (limit: number) =>
      JSON.stringify({ username: 'big', attributes: { pad: 'x'.repeat(limit + 100 * 1024) } });
    const routes = routesOf(app).filter(
      (r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && dialects.some((d) => r.url.startsWith(d.prefix)),
    );
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes) {
      const url = r.url.replace(/:licenseCode/g, 'acme').replace(/:[A-Za-z_]+/g, String(acme.tenantId));
      const res = await t.req({
        method: r.method as 'POST',
        url,
        key: acme.keys.owner,
        headers: { 'content-type': 'application/json', admin_api_key: acme.keys.owner },
        payload: big(r.bodyLimit ?? 1024 * 1024),
      });
      // (Usermost's seed knows only 400/401/404, so it answers its "invalid" 400 with the size message.)
      expect([400, 413, 415], `${r.method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`).toContain(
        res.statusCode,
      );
      if (res.statusCode === 400) expect(res.body).toMatch(/larger than|too large|1 MiB/i);
    }
  });

  it('caps list pages everywhere, whatever page size is asked for', async () => {
    const rows = Array.from({ length: MAX_PAGE + 50 }, (_, i) => ({
      username: `bulk${i}`,
      email: `bulk${i}@x.io`,
      externalId: `bulk${i}`,
    }));
    const job = await importFile(t, acme.tenantId, ndjson(rows), { key: acme.keys.owner });
    expect(job.counts.created).toBe(rows.length);
    const longest = (v: unknown): number =>
      Array.isArray(v)
        ? Math.max(v.length, ...v.map(longest))
        : v && typeof v === 'object'
          ? Math.max(0, ...Object.values(v).map(longest))
          : 0;
    // each page-size parameter a dialect might take, one at a time (unknown ones may be a 400: also fine), and none
    const asks = [
      '',
      'limit=100000',
      'count=100000',
      'pageSize=100000',
      'per_page=100000',
      'size=100000',
      'max=100000',
    ];
    const biggest = new Map<string, number>();
    for (const r of routesOf(app).filter(
      (x) => x.method === 'GET' && dialects.some((d) => x.url.startsWith(d.prefix)),
    )) {
      const url = r.url
        .replace(/:licenseCode/g, 'acme')
        .replace(/:accountId|:id/g, String(acme.tenantId))
        .replace(/:[A-Za-z_]+/g, '1');
      for (const q of asks) {
        const res = await t.req({
          method: 'GET',
          url: `${url}${q ? `?${q}` : ''}`,
          key: acme.keys.owner,
          headers: { admin_api_key: acme.keys.owner, 'x-roster-tenant': 'acme' },
        });
        expect(res.statusCode, `${url}?${q}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        if (res.statusCode !== 200) continue;
        let body: unknown;
        try {
          body = JSON.parse(res.body);
        } catch {
          continue;
        }
        const n = longest(body);
        expect(n, `GET ${url}?${q} returned ${n} items in one page`).toBeLessThanOrEqual(MAX_PAGE);
        biggest.set(url, Math.max(biggest.get(url) ?? 0, n));
      }
    }
    // the test saw real lists: some route served a full page of the users
    const checked = [...biggest.values()].filter((n) => n >= 50).length;
    expect(checked, JSON.stringify([...biggest])).toBeGreaterThan(3);
  }, 120_000);
});
