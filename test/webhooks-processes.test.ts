import { afterEach, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { ROOT_KEY } from './support/harness.ts';
import { httpRequest, spawnRoster, type Child } from './support/process.ts';
import { startReceiver, type Receiver } from './support/webhooks.ts';

const auth = { authorization: `Bearer ${ROOT_KEY}` };
/** Quick polling and retries; a 2 s attempt timeout, so a dead process's claim lapses after 7 s. */
const WEBHOOK_ENV = {
  ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
  ROSTER_WEBHOOK_TIMEOUT: '2s',
  ROSTER_WEBHOOK_POLL: '50ms',
  ROSTER_WEBHOOK_RETRY_SCHEDULE: '100ms',
};

async function call(c: Child, method: string, path: string, body?: unknown) {
  const r = await httpRequest(c.base, method, path, { headers: auth, body });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  return r.body ? JSON.parse(r.body) : null;
}

describe.each(backends())('webhook delivery across processes ($name)', (backend) => {
  const children: Child[] = [];
  const receivers: Receiver[] = [];
  afterEach(async () => {
    for (const c of children.splice(0))
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    for (const r of receivers.splice(0)) await r.close();
  });

  it('loses nothing when the process is killed with kill -9 mid-delivery: the restarted one sends it', async () => {
    const db = await backend.fresh();
    try {
      // the first request is never answered: the process is killed while it waits
      const rx = await startReceiver((n) => (n === 0 ? 'hang' : 200));
      receivers.push(rx);
      const env = { DATABASE_URL: db.url, ROSTER_ROOT_KEY: ROOT_KEY, ...WEBHOOK_ENV };
      const a = await spawnRoster(env, 90_000);
      children.push(a);
      const tenant = await call(a, 'POST', '/admin/v1/tenants', { name: 'Crash', licenseCode: 'crash' });
      await call(a, 'POST', `/admin/v1/tenants/${tenant.id}/webhooks`, { url: rx.url, events: ['user.*'] });
      for (const u of ['u1', 'u2', 'u3'])
        await call(a, 'POST', `/admin/v1/tenants/${tenant.id}/users`, { username: u });
      await rx.until((r) => r.length === 1, 90_000);
      a.child.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');

      const b = await spawnRoster(env, 90_000);
      children.push(b);
      const got = await rx.until((r) => r.length >= 4, 120_000);
      // u1 again (its claim lapsed), then the rest in order
      expect(got.map((r) => r.json.data.after.username)).toEqual(['u1', 'u1', 'u2', 'u3']);
      expect(got[1].json.id).toBe(got[0].json.id);
      b.child.kill('SIGTERM');
      expect((await b.exited).code).toBe(0);
    } finally {
      await db.drop();
    }
  }, 360_000);

  if (backend.name === 'postgres')
    it('two processes on one PostgreSQL share the deliveries without sending any twice', async () => {
      const db = await backend.fresh();
      try {
        const rx = await startReceiver(() => 200);
        receivers.push(rx);
        const env = { DATABASE_URL: db.url, ROSTER_ROOT_KEY: ROOT_KEY, ...WEBHOOK_ENV };
        const a = await spawnRoster(env, 90_000);
        children.push(a);
        const tenant = await call(a, 'POST', '/admin/v1/tenants', { name: 'Pair', licenseCode: 'pair' });
        const SUBS = 6;
        for (let i = 0; i < SUBS; i++)
          await call(a, 'POST', `/admin/v1/tenants/${tenant.id}/webhooks`, {
            url: `${rx.url}/${i}`,
            events: ['user.*'],
          });
        const b = await spawnRoster(env, 90_000);
        children.push(b);
        const USERS = 15;
        // writes through both processes, both sending
        for (let i = 0; i < USERS; i++)
          await call(i % 2 ? a : b, 'POST', `/admin/v1/tenants/${tenant.id}/users`, { username: `p${i}` });
        const got = await rx.until((r) => r.length >= SUBS * USERS, 120_000);
        // a moment for a double send to show up, had there been one
        await new Promise((r) => setTimeout(r, 500));
        expect(got).toHaveLength(SUBS * USERS);
        const expected = Array.from({ length: USERS }, (_, i) => `p${i}`);
        for (let s = 0; s < SUBS; s++) {
          const mine = got.filter((r) => r.path === `/hook/${s}`).map((r) => r.json.data.after.username);
          expect(mine, `subscription ${s}`).toEqual(expected);
        }
        for (const c of [a, b]) c.child.kill('SIGTERM');
        for (const c of [a, b]) expect((await c.exited).code).toBe(0);
      } finally {
        await db.drop();
      }
    }, 360_000);
});
