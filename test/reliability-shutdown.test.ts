import { afterAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { ROOT_KEY } from './support/harness.ts';
import { httpRequest, spawnRoster, type Child, type HttpResult } from './support/process.ts';

const children: Child[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const IN_FLIGHT = 32;

describe.each(backends())('SIGTERM under load ($name)', (backend) => {
  it('finishes the requests it received, refuses new connections, exits 0 within 10 s', async () => {
    const db = await backend.fresh();
    try {
      // Costly hashing keeps the creates in flight long enough for the signal to land among them.
      const env = {
        DATABASE_URL: db.url,
        ROSTER_ROOT_KEY: ROOT_KEY,
        ROSTER_ARGON2_MEMORY_KIB: '32768',
        ROSTER_ARGON2_TIME: '4',
        // "incoming request" lines (debug) tell when the server has received the creates
        LOG_LEVEL: 'debug',
      };
      const c = await spawnRoster(env);
      children.push(c);
      const auth = { authorization: `Bearer ${ROOT_KEY}` };
      const tenant = await httpRequest(c.base, 'POST', '/admin/v1/tenants', {
        headers: auth,
        body: { name: 'Shutdown', licenseCode: 'shutdown' },
      });
      const users = `/admin/v1/tenants/${JSON.parse(tenant.body).id}/users`;

      // background load: new connections all along; each answer is a success or a clean 503
      let stopLoad = false;
      const loadStatuses: number[] = [];
      const loadErrors: string[] = [];
      const load = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (!stopLoad) {
            try {
              loadStatuses.push((await httpRequest(c.base, 'GET', `${users}?limit=5`, { headers: auth })).status);
            } catch (e) {
              loadErrors.push((e as NodeJS.ErrnoException).code ?? String(e));
              if (c.child.exitCode !== null || c.child.signalCode !== null) return;
              await sleep(10);
            }
          }
        }),
      );
      await sleep(200);

      // the creates: each on its own connection; wait until the server has logged receiving all of them
      const creates: Promise<HttpResult>[] = [];
      for (let i = 0; i < IN_FLIGHT; i++) {
        creates.push(
          httpRequest(c.base, 'POST', users, {
            headers: auth,
            body: { username: `inflight-${i}`, password: `password-${i}-long` },
          }),
        );
      }
      const received = () =>
        c
          .logs()
          .filter(
            (l) =>
              l.msg === 'incoming request' &&
              (l.req as { method?: string })?.method === 'POST' &&
              String((l.req as { url?: string }).url) === users,
          ).length;
      while (received() < IN_FLIGHT) await sleep(5);
      const done = await Promise.race([Promise.all(creates).then(() => true), sleep(0).then(() => false)]);
      expect(done, 'the creates finished before SIGTERM: the test would prove nothing').toBe(false);

      const signalled = Date.now();
      c.child.kill('SIGTERM');

      // a new connection is refused while the received requests are still being finished
      let refused = false;
      while (c.child.exitCode === null && !refused) {
        try {
          await httpRequest(c.base, 'GET', '/health');
        } catch (e) {
          refused = (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';
        }
        if (!refused) await sleep(10);
      }
      expect(refused).toBe(true);

      const results = await Promise.all(creates);
      expect(results.map((r) => r.status)).toEqual(Array(IN_FLIGHT).fill(201));
      const exit = await c.exited;
      const took = Date.now() - signalled;
      stopLoad = true;
      await load;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(took).toBeLessThan(10_000);
      expect(loadStatuses.length).toBeGreaterThan(0);
      expect(loadStatuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(loadErrors.filter((e) => e !== 'ECONNREFUSED' && e !== 'ECONNRESET')).toEqual([]);

      // and what was acknowledged is there after a restart
      const again = await spawnRoster({ ...env, ROSTER_ARGON2_MEMORY_KIB: '1024', ROSTER_ARGON2_TIME: '1' });
      children.push(again);
      const list = JSON.parse(
        (await httpRequest(again.base, 'GET', `${users}?limit=100&total=exact`, { headers: auth })).body,
      );
      expect(list.total).toBe(IN_FLIGHT);
      again.child.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
