import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { backends } from './support/backends.ts';
import { ROOT_KEY, TEST_ARGON2 } from './support/harness.ts';
import { buildApp, redactUrl, REDACT, routesOf, type App } from '../src/http/app.ts';
import { startRuntime, type Runtime } from '../src/runtime.ts';

/** A secret that is easy to find in a haystack and unlikely to occur by chance. */
const secret = (label: string) => `S3cr3t-${label}-${randomBytes(9).toString('hex')}`;

describe.each(backends())('secrets never leak ($name)', (backend) => {
  let runtime: Runtime;
  let app: App;
  let drop: () => Promise<void>;
  const logLines: string[] = [];
  /** Every secret this test sends or receives. */
  const secrets = new Set<string>([ROOT_KEY]);
  /** Request/response pairs, to check error bodies and echoes. */
  const exchanges: { req: string; res: LightMyRequestResponse; issued: boolean }[] = [];

  beforeAll(async () => {
    const db = await backend.fresh();
    drop = db.drop;
    runtime = await startRuntime({ databaseUrl: db.url, rootKey: ROOT_KEY, argon2: TEST_ARGON2 });
    const stream = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    // The most verbose level, as an operator debugging an incident would run it.
    app = await buildApp(runtime.services, { logger: { level: 'trace', stream, redact: REDACT } });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await runtime?.close();
    await drop?.();
  });

  /** Sends a request; `issued` marks responses that legitimately show a new key once. */
  async function send(opts: InjectOptions, issued = false): Promise<LightMyRequestResponse> {
    const res = await app.inject(opts);
    exchanges.push({ req: `${opts.method} ${opts.url}`, res, issued });
    expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body}`).toBeLessThan(500);
    return res;
  }
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
  /** Collects keys a response issues (any field named like a key or secret, at any depth). */
  function harvest(body: string): void {
    try {
      const walk = (v: unknown, name = ''): void => {
        if (typeof v === 'string' && /(^key$|apikey|secret|token)/i.test(name) && v.length >= 16) secrets.add(v);
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
      };
      walk(JSON.parse(body));
    } catch {
      // not JSON
    }
  }

  it('keeps keys and passwords out of logs, error messages and the audit trail', async () => {
    // ---- management API: tenant, managers with keys, a rotation, users with passwords
    const tenant = (
      await send({
        method: 'POST',
        url: '/admin/v1/tenants',
        headers: bearer(ROOT_KEY),
        payload: { name: 'Sec', licenseCode: 'sec' },
      })
    ).json();
    const keys: string[] = [];
    for (const role of ['owner', 'editor']) {
      const m = await send(
        {
          method: 'POST',
          url: `/admin/v1/tenants/${tenant.id}/managers`,
          headers: bearer(ROOT_KEY),
          payload: { name: role, email: `${role}@sec.test`, role },
        },
        true,
      );
      harvest(m.body);
      keys.push(m.json().apiKey);
      const rot = await send(
        { method: 'POST', url: `/admin/v1/managers/${m.json().id}/key`, headers: bearer(ROOT_KEY) },
        true,
      );
      harvest(rot.body);
      keys.push(rot.json().apiKey);
    }
    expect(keys.every((k) => secrets.has(k))).toBe(true);
    const [, owner, , editor] = keys;
    const pw1 = secret('pw-admin');
    const pw2 = secret('pw-put');
    secrets.add(pw1).add(pw2);
    const u = await send({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.id}/users`,
      headers: bearer(editor),
      payload: { username: 'sec-user', email: 'sec@x.io', password: pw1 },
    });
    expect(u.statusCode).toBe(201);
    await send({
      method: 'PUT',
      url: `/admin/v1/tenants/${tenant.id}/users/${u.json().id}`,
      headers: { admin_api_key: owner },
      payload: { username: 'sec-user', password: pw2 },
    });
    // passwords in malformed JSON, a wrong key, keys in the query string
    for (const payload of [`{"username":"x","password":"${pw1}" oops}`, `{"password":"${pw2}",}`]) {
      await send({
        method: 'POST',
        url: `/admin/v1/tenants/${tenant.id}/users`,
        headers: { ...bearer(editor), 'content-type': 'application/json' },
        payload,
      });
    }
    const wrongKey = secret('wrong-key');
    secrets.add(wrongKey);
    expect(
      (await send({ method: 'GET', url: `/admin/v1/tenants/${tenant.id}/users`, headers: bearer(wrongKey) }))
        .statusCode,
    ).toBe(401);
    const urlKey = secret('url-key');
    secrets.add(urlKey);
    await send({
      method: 'GET',
      url: `/admin/v1/tenants/${tenant.id}/users?apiKey=${urlKey}&password=${urlKey}`,
      headers: bearer(owner),
    });

    // ---- the portal dialect: sign-up, HTTP Basic sign-in (right and wrong), an application key and its check
    const pw3 = secret('pw-portal');
    const wrongPw = secret('pw-wrong');
    secrets.add(pw3).add(wrongPw);
    const tenantHeader = { 'x-roster-tenant': 'sec' };
    await send({
      method: 'POST',
      url: '/rest/users',
      headers: tenantHeader,
      payload: { username: 'portal', email: 'portal@x.io', password: pw3 },
    });
    await send({
      method: 'POST',
      url: '/rest/users',
      headers: { ...tenantHeader, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=portal2&email=portal2@x.io&password=${encodeURIComponent(pw3)}`,
    });
    const basic = (user: string, pw: string) => ({
      ...tenantHeader,
      authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`,
    });
    await send({ method: 'GET', url: '/rest/users/portal', headers: basic('portal', pw3) });
    await send({ method: 'GET', url: '/rest/users/portal', headers: basic('portal', wrongPw) });
    const appKey = await send(
      { method: 'POST', url: '/rest/users/portal/keys', headers: basic('portal', pw3), payload: { name: 'k' } },
      true,
    );
    harvest(appKey.body);
    for (const k of [...secrets].filter((s) => !keys.includes(s) && s !== ROOT_KEY && !s.startsWith('S3cr3t'))) {
      await send({ method: 'POST', url: '/rest/keys/verify', headers: tenantHeader, payload: { key: k } });
    }

    // ---- the other dialects, with each one's create shape
    const pw4 = secret('pw-dialects');
    secrets.add(pw4);
    await send({
      method: 'POST',
      url: '/api/v1/account/accounts',
      headers: { admin_api_key: editor },
      payload: { username: 'acc', email: 'acc@x.io', password: pw4 },
    });
    await send({
      method: 'POST',
      url: '/usr/new',
      headers: bearer(editor),
      payload: {
        contactName: 'Usr',
        emailAddress: 'usr@x.io',
        defaultAccountId: tenant.id,
        username: 'usr',
        password: pw4,
      },
    });
    await send({
      method: 'POST',
      url: '/scim/v2/Users',
      headers: { ...bearer(editor), 'content-type': 'application/scim+json' },
      payload: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'scim', password: pw4 },
    });
    await send({
      method: 'POST',
      url: '/v1/accounts/sec/users',
      headers: bearer(editor),
      payload: { userId: 'um', firstName: 'U', password: pw4 },
    });

    // ---- every write route of every dialect, with secrets in the body, the headers and the query string
    const sweep = secret('sweep');
    secrets.add(sweep);
    for (const r of routesOf(app)) {
      if (!['POST', 'PUT', 'PATCH'].includes(r.method)) continue;
      const url = r.url
        .replace(/:licenseCode/g, 'sec')
        .replace(/:accountId/g, String(tenant.id))
        .replace(/:[A-Za-z_]+/g, '1')
        .replace(/\*$/, 'x');
      for (const headers of [
        bearer(sweep),
        { admin_api_key: sweep },
        { authorization: `Basic ${Buffer.from(`portal:${sweep}`).toString('base64')}` },
        bearer(editor),
      ]) {
        await send({
          method: r.method as 'POST',
          url: `${url}?token=${sweep}`,
          headers: { ...tenantHeader, ...headers },
          // (other secret-named fields would be custom attributes in some dialects: data the client stores and reads back)
          payload: {
            password: sweep,
            username: `sw-${randomBytes(3).toString('hex')}`,
            userName: 'sw',
            emailAddress: 'sw@x.io',
            contactName: 'sw',
            defaultAccountId: tenant.id,
          },
        });
      }
    }

    // ---- exports: no hashes unless the explicit flag asks (and never a plain password)
    const exp = await send({ method: 'GET', url: `/admin/v1/tenants/${tenant.id}/export`, headers: bearer(owner) });
    expect(exp.statusCode).toBe(200);
    expect(exp.body).toContain('"username"');
    const flagged = await app.inject({
      method: 'GET',
      url: `/admin/v1/tenants/${tenant.id}/export?withPasswordHashes=true`,
      headers: bearer(owner),
    });
    expect(flagged.body).toMatch(/\$argon2id\$/);
    for (const s of secrets) expect(flagged.body.includes(s)).toBe(false);

    // ---- the audit trail of everything above
    const audit = await send({
      method: 'GET',
      url: `/admin/v1/tenants/${tenant.id}/audit?limit=1000`,
      headers: bearer(ROOT_KEY),
    });
    expect(audit.json().items.length).toBeGreaterThan(5);

    // ==== the checks
    const logs = logLines.join('');
    expect(logLines.length).toBeGreaterThan(exchanges.length); // the log really recorded the run
    expect(logs).toContain('incoming request');
    expect(logs).toContain('[redacted]'); // query-string secrets were there to redact
    for (const s of secrets) expect(logs.includes(s), `a secret (${s.slice(0, 12)}…) is in the logs`).toBe(false);
    expect(logs).not.toMatch(/\$argon2id?\$/);
    expect(logs).not.toMatch(/\$2[aby]\$\d\d\$/);
    // no response echoes a secret, except the one response that issues a new key
    for (const { req, res, issued } of exchanges) {
      for (const s of secrets) {
        if (issued && res.statusCode < 300) continue;
        expect(
          res.body.includes(s),
          `${req} → ${res.statusCode} shows a secret (${s.slice(0, 12)}…): ${res.body.slice(0, 300)}`,
        ).toBe(false);
      }
      expect(res.body, req).not.toMatch(/\$argon2id?\$/);
      expect(JSON.stringify(res.headers), req).not.toContain('S3cr3t');
    }
    const trail = audit.body;
    expect(trail).toContain('[redacted]');
    for (const s of secrets) expect(trail.includes(s)).toBe(false);
  }, 120_000);

  it('redacts secret-looking query parameters in logged URLs', () => {
    expect(redactUrl('/a?apiKey=abc&x=1&password=p&access_token=t&Pwd=q')).toBe(
      '/a?apiKey=[redacted]&x=1&password=[redacted]&access_token=[redacted]&Pwd=[redacted]',
    );
    expect(redactUrl('/a?%61pikey=abc')).toBe('/a?%61pikey=[redacted]');
    expect(redactUrl('/plain/path')).toBe('/plain/path');
    expect(redactUrl('/a?name=ann&flag')).toBe('/a?name=ann&flag');
  });
});
