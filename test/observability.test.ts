import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { backends } from './support/backends.ts';
import type { InjectOptions } from 'fastify';
import { makeTenant, ROOT_KEY, TEST_ARGON2, type Fixture, type TestApp } from './support/harness.ts';
import { ndjson, waitJob } from './support/imports.ts';
import { family, parseMetrics, samples, valueOf, type Family } from './support/prometheus.ts';
import { buildApp, REDACT, type App } from '../src/http/app.ts';
import { startRuntime, type Runtime } from '../src/runtime.ts';
import { ConfigError, loadConfig } from '../src/config.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';
const ID = /^[\da-f]{32}-[\da-f]{16}$/;

describe.each(backends())('request ids, request logs and /metrics ($name)', (backend) => {
  let runtime: Runtime;
  let app: App;
  let drop: () => Promise<void>;
  let acme: Fixture;
  const lines: Record<string, unknown>[] = [];
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

  beforeAll(async () => {
    const db = await backend.fresh();
    drop = db.drop;
    runtime = await startRuntime({ databaseUrl: db.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    app = await buildApp(runtime.services, {
      logger: { level: 'debug', stream, redact: REDACT },
      metricsToken: METRICS_TOKEN,
      // tight per-IP limit: unauthenticated requests past 3 a minute are refused
      rateLimit: { perKey: 100_000, perIp: 3 },
    });
    await app.ready();
    acme = await makeTenant(asRoot(), 'Acme', 'acme');
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await drop?.();
  });

  /** This app as the harness's TestApp, calling with the root key. */
  const asRoot = (): TestApp =>
    ({
      app,
      runtime,
      req: (o: InjectOptions) => app.inject({ ...o, headers: { ...bearer(ROOT_KEY), ...(o.headers as object) } }),
    }) as unknown as TestApp;

  const scrape = async (): Promise<Family[]> => {
    const r = await app.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    return parseMetrics(r.body);
  };

  it('gives every response a request id: the traceparent’s when valid, else a new one; never x-request-id', async () => {
    const a = await app.inject({ method: 'GET', url: '/health' });
    const b = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'client-chosen' } });
    expect(a.headers['request-id']).toMatch(ID);
    expect(b.headers['request-id']).toMatch(ID);
    expect(a.headers['request-id']).not.toBe(b.headers['request-id']);

    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const c = await app.inject({ method: 'GET', url: '/health', headers: { traceparent: tp } });
    expect(c.headers['request-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7');
    for (const bad of ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf9-00-01', 'garbage']) {
      const d = await app.inject({ method: 'GET', url: '/health', headers: { traceparent: bad } });
      expect(d.headers['request-id'], bad).toMatch(ID);
      expect(d.headers['request-id']).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    }
    // error responses of every kind carry it too: a dialect's 401, a 404 without a route, a bad URL
    for (const url of ['/admin/v1/tenants', '/nowhere', '/admin/v1/tenants/%E0%A4%A']) {
      const e = await app.inject({ method: 'GET', url });
      expect(e.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(e.headers['request-id'], url).toMatch(ID);
    }
  });

  it('logs one completed line per request with its id on every line of it, who called, and the error code', async () => {
    const read = await app.inject({
      method: 'GET',
      url: `/admin/v1/tenants/${acme.tenantId}`,
      headers: bearer(acme.keys.viewer),
    });
    expect(read.statusCode).toBe(200);
    const id = read.headers['request-id'];
    const mine = lines.filter((l) => l.requestId === id);
    expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(mine[1]).toMatchObject({
      api: 'admin',
      method: 'GET',
      route: '/admin/v1/tenants/:id',
      status: 200,
      tenant: acme.tenantId,
      principalKind: 'manager',
      principalId: expect.any(Number),
      durationMs: expect.any(Number),
    });
    expect(mine[1].errorCode).toBeUndefined();

    const denied = await app.inject({
      method: 'DELETE',
      url: `/admin/v1/tenants/${acme.tenantId}`,
      headers: bearer(acme.keys.viewer),
    });
    expect(denied.statusCode).toBe(403);
    const line = lines.find((l) => l.requestId === denied.headers['request-id'] && l.msg === 'request completed');
    expect(line).toMatchObject({ status: 403, errorCode: denied.json().error.code, principalKind: 'manager' });

    // SCIM and Usermost calls name their dialect and tenant
    const scim = await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: bearer(acme.keys.viewer) });
    expect(scim.statusCode).toBe(200);
    expect(
      lines.find((l) => l.requestId === scim.headers['request-id'] && l.msg === 'request completed'),
    ).toMatchObject({
      api: 'scim',
      route: '/scim/v2/Users',
      tenant: acme.tenantId,
    });
    const lost = await app.inject({ method: 'GET', url: '/nowhere/7' });
    expect(
      lines.find((l) => l.requestId === lost.headers['request-id'] && l.msg === 'request completed'),
    ).toMatchObject({
      route: '(unmatched)',
      status: 404,
      errorCode: 'not_found',
    });
    // exactly one completed line per request
    const completed = lines.filter((l) => l.msg === 'request completed').map((l) => l.requestId);
    expect(new Set(completed).size).toBe(completed.length);
  });

  it('serves /metrics behind its token, never rate-limited, with bounded labels', async () => {
    const anon = await app.inject({ method: 'GET', url: '/metrics' });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await app.inject({ method: 'GET', url: '/metrics', headers: bearer('not-the-metrics-token') });
    expect(wrong.statusCode).toBe(401);
    // far past the per-IP limit of 3: scrapes are never refused
    for (let i = 0; i < 8; i++) await scrape();

    // raw ids and unmatched paths never become label values
    await app.inject({ method: 'GET', url: '/admin/v1/tenants/987654321', headers: bearer(ROOT_KEY) });
    await app.inject({ method: 'GET', url: '/no/such/path/5551234' });
    const text = (await app.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) })).body;
    expect(text).not.toContain('987654321');
    expect(text).not.toContain('5551234');
  });

  it('counts known traffic: requests by API, route and status class, latency, refusals, argon2, imports, pool', async () => {
    const before = await scrape();
    const route = { api: 'admin', route: '/admin/v1/tenants/:id', method: 'GET' };
    const ok = { ...route, status_class: '2xx' };
    const notFound = { ...route, status_class: '4xx' };
    const ok0 = valueOf(before, 'roster_http_requests_total', ok);
    const nf0 = valueOf(before, 'roster_http_requests_total', notFound);
    const lat0 = valueOf(before, 'roster_http_request_duration_seconds', ok);
    const limited0 = valueOf(before, 'roster_rate_limited_total', { api: 'none' });
    const hashes0 = valueOf(before, 'roster_argon2_duration_seconds', { kind: 'hash' });
    const rows0 = valueOf(before, 'roster_import_rows_total');

    for (let i = 0; i < 5; i++)
      expect(
        (await app.inject({ method: 'GET', url: `/admin/v1/tenants/${acme.tenantId}`, headers: bearer(ROOT_KEY) }))
          .statusCode,
      ).toBe(200);
    for (let i = 0; i < 2; i++)
      expect(
        (await app.inject({ method: 'GET', url: '/admin/v1/tenants/999999', headers: bearer(ROOT_KEY) })).statusCode,
      ).toBe(404);
    // the per-IP limit (3 a minute without a key): at least 2 of these 5 are refused
    let refused = 0;
    for (let i = 0; i < 5; i++)
      if ((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode === 429) refused++;
    expect(refused).toBeGreaterThanOrEqual(2);
    // two users with passwords: two argon2 hashes
    for (const n of ['ann', 'bob']) {
      const r = await app.inject({
        method: 'POST',
        url: `/admin/v1/tenants/${acme.tenantId}/users`,
        headers: bearer(ROOT_KEY),
        payload: { username: n, email: `${n}@acme.test`, password: 'long-enough-password' },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    const imp = await app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${acme.tenantId}/imports`,
      headers: { ...bearer(ROOT_KEY), 'content-type': 'application/x-ndjson' },
      payload: ndjson([{ username: 'imp1' }, { username: 'imp2' }, { username: 'imp3' }]),
    });
    expect(imp.statusCode, imp.body).toBe(202);
    await waitJob(
      { req: (o: object) => app.inject({ ...o, headers: bearer(ROOT_KEY) }) } as never,
      acme.tenantId,
      imp.json().id,
    );

    const after = await scrape();
    expect(valueOf(after, 'roster_http_requests_total', ok) - ok0).toBe(5);
    expect(valueOf(after, 'roster_http_requests_total', notFound) - nf0).toBe(2);
    expect(valueOf(after, 'roster_http_request_duration_seconds', ok) - lat0).toBe(5);
    const hist = family(after, 'roster_http_request_duration_seconds');
    expect(hist.type).toBe('histogram');
    const buckets = samples(hist, ok, 'roster_http_request_duration_seconds_bucket');
    expect(buckets.map((b) => b.labels.le)).toContain('+Inf');
    expect(buckets.find((b) => b.labels.le === '+Inf')!.value - lat0).toBe(5);
    expect(valueOf(after, 'roster_rate_limited_total', { api: 'none' }) - limited0).toBe(refused);
    expect(valueOf(after, 'roster_argon2_duration_seconds', { kind: 'hash' }) - hashes0).toBe(2);
    expect(valueOf(after, 'roster_argon2_queue_depth')).toBe(0);
    expect(valueOf(after, 'roster_import_rows_total') - rows0).toBe(3);
    expect(valueOf(after, 'roster_import_jobs_running')).toBe(0);
    expect(
      samples(family(after, 'roster_db_pool_connections'))
        .map((s) => s.labels!.state)
        .sort(),
    ).toEqual(['idle', 'in_use', 'waiting']);
    expect(valueOf(after, 'roster_db_query_errors_total')).toBeGreaterThanOrEqual(0);
    // process metrics from prom-client's defaults
    expect(valueOf(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(family(after, 'nodejs_eventloop_lag_seconds').type).toBe('gauge');
    expect(family(after, 'roster_http_requests_total').type).toBe('counter');
  });
});

describe('logging and metrics configuration', () => {
  it('takes LOG_FORMAT and ROSTER_METRICS_TOKEN, refusing bad values by name', () => {
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ ROSTER_METRICS_TOKEN: METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
    expect(() => loadConfig({ ROSTER_METRICS_TOKEN: 'short' })).toThrow(/ROSTER_METRICS_TOKEN/);
  });
});
