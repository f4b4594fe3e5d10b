import { afterAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { runCli, runToExit, spawnRoster, type Child } from './support/process.ts';

const started: Child[] = [];
afterAll(() => {
  for (const p of started) p.child.kill('SIGKILL');
});

describe('start-up contract', () => {
  // One process per case: each start-up pays for loading the sources.
  it.each([
    ['PORT', 'eighty'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['ROSTER_ROOT_KEY', 'short'],
    ['ROSTER_ROOT_KEY_FILE', '/nonexistent/root-key'],
    ['DATABASE_URL_FILE', '/nonexistent/database-url'],
  ])('stops with one line naming a bad variable (%s)', async (name, value) => {
    const p = await runToExit('server', [], {
      [name]: value,
      ...(name.startsWith('DATABASE_URL') ? {} : { DATABASE_URL: 'sqlite::memory:' }),
    });
    expect(p.code).toBe(1);
    const lines = (p.stdout + p.stderr).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });
});

describe.each(backends())('processes and CLI ($name)', (backend) => {
  it('runs the CLI: migrate, tenant create, manager create (JSON with apiKey)', async () => {
    const db = await backend.fresh();
    try {
      const env = { DATABASE_URL: db.url, ROSTER_ROOT_KEY: 'cli-root-key-0123456789' };
      const mig = await runCli(['migrate'], env);
      expect(mig.code, mig.stderr).toBe(0);
      const t = await runCli(['tenant', 'create', '--name', 'Acme', '--license', 'acme', '--json'], env);
      expect(t.code, t.stderr).toBe(0);
      const tenant = JSON.parse(t.stdout);
      expect(tenant).toMatchObject({ name: 'Acme', licenseCode: 'acme' });
      const dup = await runCli(['tenant', 'create', '--name', 'Again', '--license', 'acme'], env);
      expect(dup.code).toBe(1);
      expect(dup.stderr).toMatch(/licenseCode/);
      const m = await runCli(
        [
          'manager',
          'create',
          '--tenant',
          String(tenant.id),
          '--name',
          'Ann',
          '--email',
          'ann@acme.test',
          '--role',
          'owner',
          '--json',
        ],
        env,
      );
      expect(m.code, m.stderr).toBe(0);
      const manager = JSON.parse(m.stdout);
      expect(manager).toMatchObject({ tenantId: tenant.id, role: 'owner', apiKey: expect.stringMatching(/^rk_/) });
      const bad = await runCli(
        ['manager', 'create', '--tenant', String(tenant.id), '--name', 'X', '--email', 'x@acme.test', '--role', 'boss'],
        env,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/role/);
      const p = await spawnRoster(env);
      started.push(p);
      const r = await fetch(`${p.base}/admin/v1/tenants/${tenant.id}/users`, {
        headers: { authorization: `Bearer ${manager.apiKey}` },
      });
      expect(r.status).toBe(200);
      p.child.kill('SIGTERM');
      await p.exited;
    } finally {
      await db.drop();
    }
  }, 120_000); // seven CLI processes and a server, each loading the code
});

describe.runIf(backends().some((b) => b.name === 'postgres'))('two Roster processes on one PostgreSQL', () => {
  it('creating the same usernames at once: exactly one success per name, the rest 409', async () => {
    const pg = backends().find((b) => b.name === 'postgres')!;
    const db = await pg.fresh();
    const key = 'race-root-key-0123456789';
    try {
      const [a, b] = await Promise.all([
        spawnRoster({ DATABASE_URL: db.url, ROSTER_ROOT_KEY: key }),
        spawnRoster({ DATABASE_URL: db.url, ROSTER_ROOT_KEY: key }),
      ]);
      started.push(a, b);
      const names = Array.from({ length: 20 }, (_, i) => `racer${i}`);
      const attempts = names.flatMap((n) =>
        [a, b, a, b].map((p, i) => ({
          p,
          body: { username: n.toUpperCase().slice(0, i) + n.slice(i), email: `${n}-${i}@x.io` },
        })),
      );
      const results = await Promise.all(
        attempts.map(async ({ p, body }) => {
          const r = await fetch(`${p.base}/admin/v1/tenants/1/users`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          return { name: body.username.toLowerCase(), status: r.status };
        }),
      );
      for (const n of names) {
        const mine = results
          .filter((r) => r.name === n)
          .map((r) => r.status)
          .sort();
        expect(mine).toEqual([201, 409, 409, 409]);
      }
      const list = await (
        await fetch(`${a.base}/admin/v1/tenants/1/users?limit=1000&total=exact`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).json();
      expect(list.total).toBe(names.length);
    } finally {
      await db.drop().catch(() => {});
    }
  });
});
