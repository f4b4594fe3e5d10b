import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { backends } from './support/backends.ts';
import { httpRequest, spawnRoster, type Child } from './support/process.ts';

const children: Child[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

/**
 * Keys sent where no key belongs (in a path, in a query parameter with an innocent name) never
 * reach the log, even at debug level where every incoming request is logged with its URL.
 */
describe.each(backends())('keys in URLs stay out of the log ($name)', (backend) => {
  it('a real Roster at LOG_LEVEL=debug logs no key sent in a path or an unexpected query parameter', async () => {
    const db = await backend.fresh();
    const rootKey = `rk_root_${randomBytes(24).toString('base64url')}`;
    try {
      const c = await spawnRoster({ DATABASE_URL: db.url, ROSTER_ROOT_KEY: rootKey, LOG_LEVEL: 'debug' }, 90_000);
      children.push(c);
      const root = { authorization: `Bearer ${rootKey}` };
      const tenant = await httpRequest(c.base, 'POST', '/admin/v1/tenants', {
        headers: root,
        body: { name: 'Acme', licenseCode: 'acme' },
      });
      expect(tenant.status).toBe(201);
      const tenantId = JSON.parse(tenant.body).id as number;
      const manager = await httpRequest(c.base, 'POST', `/admin/v1/tenants/${tenantId}/managers`, {
        headers: root,
        body: { name: 'Ann', email: 'ann@acme.test', role: 'owner' },
      });
      const managerKey = JSON.parse(manager.body).apiKey as string;
      const signUp = await httpRequest(c.base, 'POST', '/rest/users', {
        headers: { 'x-roster-tenant': 'acme' },
        body: { username: 'dev', email: 'dev@acme.test', password: 'long enough pw' },
      });
      expect(signUp.status).toBe(201);
      const basic = `Basic ${Buffer.from('dev:long enough pw').toString('base64')}`;
      const appKeyAnswer = await httpRequest(c.base, 'POST', '/rest/users/dev/keys', {
        headers: { 'x-roster-tenant': 'acme', authorization: basic },
        body: { name: 'k' },
      });
      const appKey = JSON.parse(appKeyAnswer.body).content.key as string;
      expect(managerKey).toMatch(/^rk_/);
      expect(appKey).toMatch(/^rak_/);

      const keys = [rootKey, managerKey, appKey];
      const urls = keys.flatMap((k) => [
        // in a path, where an id or a name belongs
        `/admin/v1/tenants/${k}`,
        `/usr/${k}`,
        `/rest/users/${k}`,
        `/v1/accounts/${k}/users`,
        `/nowhere/${k}`,
        // in query parameters whose names say nothing of secrets
        `/admin/v1/tenants?x=${k}`,
        `/admin/v1/tenants/${tenantId}/users?q=${k}&limit=5`,
        `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${k}"`)}`,
        `/health?a=1&x=${k}`,
        // spelled with percent-escapes a client may use
        `/admin/v1/tenants?x=${k.replace('_', '%5F')}`,
        `/admin/v1/tenants?x=${encodeURIComponent(k).replace(/-/g, '%2D')}`,
      ]);
      for (const url of urls)
        await httpRequest(c.base, 'GET', url, { headers: { authorization: `Bearer ${managerKey}` } });
      // Every one of them was logged (debug: incoming; info: completed), only without its key.
      const done = () => c.logs().filter((l) => l.msg === 'request completed').length;
      for (let i = 0; i < 200 && done() < urls.length + 4; i++) await new Promise((r) => setTimeout(r, 25));
      expect(c.logs().filter((l) => l.msg === 'incoming request').length).toBeGreaterThanOrEqual(urls.length);
      expect(done()).toBeGreaterThanOrEqual(urls.length);
      const out = c.output();
      expect(out).toContain('[redacted]');
      for (const k of keys) {
        // The secret part, in any spelling seen above: neither the whole nor a telling piece of it.
        const secret = k.slice(k.indexOf('_', k.startsWith('rk_root_') ? 3 : 0) + 1);
        for (const piece of [secret, secret.slice(0, 16), secret.slice(-16)])
          expect(out.includes(piece), `a piece of ${k.slice(0, 8)}… is in the log`).toBe(false);
      }
      c.child.kill('SIGTERM');
      await c.exited;
    } finally {
      await db.drop();
    }
  }, 120_000);
});
