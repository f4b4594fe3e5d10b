import { afterAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { ROOT_KEY } from './support/harness.ts';
import { httpRequest, spawnRoster, type Child } from './support/process.ts';

const children: Child[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

/** What a worker sends for a username: the restarted server must hold exactly this, or nothing. */
const payloadOf = (username: string) => ({
  username,
  email: `${username}@crash.test`,
  firstName: 'Crash',
  lastName: username.toUpperCase(),
  company: 'Durable Inc',
  attributes: { seq: username },
  password: `pw-of-${username}`,
});

const WORKERS = 8;
/** Kill once this many creates have been acknowledged (the workers keep going until the kill). */
const KILL_AFTER = 80;

describe.each(backends())('durability under kill -9 ($name)', (backend) => {
  it('keeps every acknowledged create and update, and nothing half-written', async () => {
    const db = await backend.fresh();
    try {
      const env = { DATABASE_URL: db.url, ROSTER_ROOT_KEY: ROOT_KEY };
      const first = await startRoster(env);
      const auth = { authorization: `Bearer ${ROOT_KEY}` };
      const tenant = await httpRequest(first.base, 'POST', '/admin/v1/tenants', {
        headers: auth,
        body: { name: 'Crash', licenseCode: 'crash' },
      });
      expect(tenant.status).toBe(201);
      const tenantId = JSON.parse(tenant.body).id as number;
      const users = `/admin/v1/tenants/${tenantId}/users`;

      const acked = new Map<string, number>(); // username → id, 201 received
      const updated = new Set<string>(); // usernames whose PATCH got its 200
      const attempted = new Set<string>();
      let killed = false;
      let resolveKill!: () => void;
      const killNow = new Promise<void>((r) => (resolveKill = r));

      const worker = async (w: number) => {
        for (let i = 0; !killed; i++) {
          const username = `w${w}-${i}`;
          attempted.add(username);
          try {
            const r = await httpRequest(first.base, 'POST', users, { headers: auth, body: payloadOf(username) });
            expect(r.status, r.body).toBe(201);
            acked.set(username, JSON.parse(r.body).id);
            if (acked.size >= KILL_AFTER) resolveKill();
            if (i % 3 === 0) {
              const p = await httpRequest(first.base, 'PATCH', `${users}/${acked.get(username)}`, {
                headers: auth,
                body: { title: 'updated' },
              });
              expect(p.status, p.body).toBe(200);
              updated.add(username);
            }
          } catch (e) {
            if (!killed) throw e; // only the kill may break a request
            return;
          }
        }
      };
      const running = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      await killNow;
      killed = true;
      first.child.kill('SIGKILL'); // mid-run: requests are in flight on every worker
      expect((await first.exited).signal).toBe('SIGKILL');
      await running;
      expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(attempted.size).toBeGreaterThan(acked.size); // some creates were in flight at the kill

      const second = await startRoster(env);
      const stored = new Map<string, Record<string, unknown>>();
      let cursor: string | null = null;
      do {
        const page = await httpRequest(second.base, 'GET', `${users}?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: auth,
        });
        expect(page.status).toBe(200);
        const body = JSON.parse(page.body) as { items: Record<string, unknown>[]; nextCursor: string | null };
        for (const u of body.items) stored.set(String(u.username), u);
        cursor = body.nextCursor;
      } while (cursor);

      // every acknowledged write is there
      for (const [username, id] of acked) {
        const u = stored.get(username);
        expect(u, `acknowledged ${username} lost`).toBeDefined();
        expect(u!.id).toBe(id);
        if (updated.has(username)) expect(u!.title, `acknowledged update of ${username} lost`).toBe('updated');
      }
      // everything there was attempted and is whole: all fields as sent, never a partial row
      for (const [username, u] of stored) {
        expect(attempted.has(username), `unexpected ${username}`).toBe(true);
        const { password: _pw, ...sent } = payloadOf(username);
        expect(u).toMatchObject({ ...sent, hasPassword: true });
        expect([null, 'updated']).toContain(u.title);
      }
      // and the change and its audit event were one transaction: one create event per stored user
      const created = new Set<string>();
      const updates = new Set<string>();
      cursor = null;
      do {
        const page = await httpRequest(
          second.base,
          'GET',
          `/admin/v1/tenants/${tenantId}/audit?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
          { headers: auth },
        );
        const body = JSON.parse(page.body) as {
          items: { action: string; target: string }[];
          nextCursor: string | null;
        };
        for (const e of body.items) {
          if (e.action === 'user.create') created.add(e.target);
          if (e.action === 'user.update') updates.add(e.target);
        }
        cursor = body.nextCursor;
      } while (cursor);
      expect(created).toEqual(new Set([...stored.values()].map((u) => `user:${u.id}`)));
      expect(updates).toEqual(
        new Set([...stored.values()].filter((u) => u.title === 'updated').map((u) => `user:${u.id}`)),
      );
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      await db.drop();
    }
  }, 120_000);
});

async function startRoster(env: Record<string, string>): Promise<Child> {
  const c = await spawnRoster(env);
  children.push(c);
  return c;
}
