import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type Fixture, type TestApp } from './support/harness.ts';
import { buildApp, type App, type AppOptions } from '../src/http/app.ts';
import { loadConfig } from '../src/config.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('proxy settings', () => {
  it('parses ROSTER_TRUST_PROXY, ROSTER_PUBLIC_URL and ROSTER_HOSTS, refusing what is not one', () => {
    expect(loadConfig({})).toMatchObject({
      trustProxy: undefined,
      publicUrl: null,
      hosts: ['localhost', '127.0.0.1', '[::1]'],
    });
    expect(loadConfig({ ROSTER_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ROSTER_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1,::1');
    for (const bad of ['true', '10.0.0.0/33', 'proxy.local', '99'])
      expect(() => loadConfig({ ROSTER_TRUST_PROXY: bad })).toThrow(/ROSTER_TRUST_PROXY/);
    expect(loadConfig({ ROSTER_PUBLIC_URL: 'https://id.example.com/' }).publicUrl).toBe('https://id.example.com');
    expect(() => loadConfig({ ROSTER_PUBLIC_URL: 'id.example.com' })).toThrow(/ROSTER_PUBLIC_URL/);
    expect(loadConfig({ ROSTER_HOSTS: 'ID.example.com, roster.internal:8080' }).hosts).toEqual([
      'id.example.com',
      'roster.internal:8080',
    ]);
    expect(() => loadConfig({ ROSTER_HOSTS: 'a b' })).toThrow(/ROSTER_HOSTS/);
  });
});

describe.each(backends())('behind a reverse proxy ($name)', (backend) => {
  let t: TestApp;
  let acme: Fixture;
  const apps: App[] = [];
  beforeAll(async () => {
    t = await startTestApp(backend);
    acme = await makeTenant(t, 'Acme', 'acme');
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await t.close();
  });
  async function appWith(opts: AppOptions): Promise<App> {
    const app = await buildApp(t.runtime.services, opts);
    await app.ready();
    apps.push(app);
    return app;
  }
  let n = 0;
  /** Creates a SCIM user; answers the Location header and meta.location. */
  async function scimCreate(app: App, headers: Record<string, string>, remoteAddress = '127.0.0.1') {
    const r = await app.inject({
      method: 'POST',
      url: '/scim/v2/Users',
      remoteAddress,
      headers: { authorization: `Bearer ${acme.keys.editor}`, 'content-type': 'application/scim+json', ...headers },
      payload: { schemas: [USER], userName: `proxied${++n}` },
    });
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json();
    expect(r.headers.location).toBe(body.meta.location);
    return { location: String(r.headers.location), id: String(body.id) };
  }

  it('without a public URL: the request origin only for a Host Roster answers for; a forged Host is never echoed', async () => {
    const app = await appWith({});
    const ok = await scimCreate(app, { host: 'localhost:8080' });
    expect(ok.location).toBe(`http://localhost:8080/scim/v2/Users/${ok.id}`);
    const forged = await scimCreate(app, { host: 'evil.example' });
    expect(forged.location).toBe(`/scim/v2/Users/${forged.id}`);
    // X-Forwarded-* from a proxy that is not trusted change nothing.
    const xf = await scimCreate(app, {
      host: 'evil.example',
      'x-forwarded-host': 'localhost',
      'x-forwarded-proto': 'https',
    });
    expect(xf.location).toBe(`/scim/v2/Users/${xf.id}`);
    const doc = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host: 'evil.example' } });
    expect(doc.body).not.toContain('evil.example');
  });

  it('ROSTER_PUBLIC_URL makes every absolute URL, whatever Host or X-Forwarded-Host say', async () => {
    const app = await appWith({ publicUrl: 'https://id.example.com', trustProxy: 1 });
    const a = await scimCreate(app, { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect(a.location).toBe(`https://id.example.com/scim/v2/Users/${a.id}`);
    const doc = await app.inject({ method: 'GET', url: '/openapi.json', headers: { host: 'evil.example' } });
    expect(doc.json().servers).toEqual([expect.objectContaining({ url: 'https://id.example.com' })]);
    const list = await app.inject({
      method: 'GET',
      url: '/scim/v2/Groups',
      headers: { authorization: `Bearer ${acme.keys.editor}`, host: 'evil.example' },
    });
    expect(list.body).not.toContain('evil.example');
  });

  it('from a trusted proxy: X-Forwarded-Proto and X-Forwarded-Host, when the host is one Roster answers for', async () => {
    const app = await appWith({ trustProxy: '10.0.0.0/8', hosts: ['id.example.com'] });
    const via = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
    const a = await scimCreate(app, { host: 'roster:8080', 'x-forwarded-host': 'id.example.com', ...via }, '10.0.0.5');
    expect(a.location).toBe(`https://id.example.com/scim/v2/Users/${a.id}`);
    const b = await scimCreate(app, { host: 'roster:8080', 'x-forwarded-host': 'evil.example', ...via }, '10.0.0.5');
    expect(b.location).toBe(`/scim/v2/Users/${b.id}`);
    // The same headers from an address that is not the proxy are not believed.
    const c = await scimCreate(
      app,
      { host: 'roster:8080', 'x-forwarded-host': 'id.example.com', ...via },
      '198.51.100.7',
    );
    expect(c.location).toBe(`/scim/v2/Users/${c.id}`);
  });

  it('per-IP limits count the client behind a trusted proxy, and never trust a forged X-Forwarded-For', async () => {
    const limits = { perKey: 1000, perIp: 2 };
    const get = (app: App, remoteAddress: string, xff?: string) =>
      app.inject({
        method: 'GET',
        url: '/openapi.json',
        remoteAddress,
        headers: xff ? { 'x-forwarded-for': xff } : {},
      });
    const proxied = await appWith({ trustProxy: '10.0.0.0/8', rateLimit: limits });
    for (let i = 0; i < 2; i++) expect((await get(proxied, '10.0.0.5', '203.0.113.1')).statusCode).toBe(200);
    expect((await get(proxied, '10.0.0.5', '203.0.113.1')).statusCode).toBe(429);
    // another client through the same proxy has its own bucket
    expect((await get(proxied, '10.0.0.5', '203.0.113.2')).statusCode).toBe(200);
    // a client that is not the proxy cannot pick its bucket with X-Forwarded-For
    for (let i = 0; i < 2; i++) expect((await get(proxied, '198.51.100.7', `192.0.2.${i}`)).statusCode).toBe(200);
    expect((await get(proxied, '198.51.100.7', '192.0.2.99')).statusCode).toBe(429);

    // Without ROSTER_TRUST_PROXY every client behind the proxy is the proxy.
    const direct = await appWith({ rateLimit: limits });
    expect((await get(direct, '10.0.0.5', '203.0.113.1')).statusCode).toBe(200);
    expect((await get(direct, '10.0.0.5', '203.0.113.2')).statusCode).toBe(200);
    expect((await get(direct, '10.0.0.5', '203.0.113.3')).statusCode).toBe(429);
  });
});
