// Per-request cost of a few routes through app.inject (no network, no client): `PROBE_ONLY=admin PROBE_N=20000 npx tsx bench/inject-probe.ts`.
// Quick A/B of a store or service change; add --cpu-prof (node --import tsx --cpu-prof bench/inject-probe.ts) for a profile.
import { buildApp } from '../src/http/app.ts';
import { startRuntime } from '../src/runtime.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedUsers } from './seed.ts';

const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'rp-')), 'r.db')}`;
const rootKey = 'probe-root-key-0123456789';
const rt = await startRuntime({ databaseUrl: url, rootKey, argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } });
const app = await buildApp(rt.services);
await app.ready();
const t = (
  await app.inject({
    method: 'POST',
    url: '/admin/v1/tenants',
    headers: { authorization: `Bearer ${rootKey}` },
    payload: { name: 'x', licenseCode: 'bench' },
  })
).json();
const m = (
  await app.inject({
    method: 'POST',
    url: `/admin/v1/tenants/${t.id}/managers`,
    headers: { authorization: `Bearer ${rootKey}` },
    payload: { name: 'v', email: 'v@x.io', role: 'viewer' },
  })
).json();
const { firstId } = await seedUsers(url, t.id, 20000);
const paths: Record<string, (i: number) => string> = {
  health: () => '/health',
  admin: (i) => `/admin/v1/tenants/${t.id}/users/${firstId + (i % 20000)}`,
  accounts: (i) => `/api/v1/account/accounts/${firstId + (i % 20000)}`,
  list: () => `/admin/v1/tenants/${t.id}/users?limit=50&sort=-lastName&company=Acme%200`,
  accountsList: () => `/api/v1/account/accounts?limit=50&sort=-lastName&attributes%5Bcompany%5D=Acme%200`,
};
const pick = process.env.PROBE_ONLY;
const e = (
  await app.inject({
    method: 'POST',
    url: `/admin/v1/tenants/${t.id}/managers`,
    headers: { authorization: `Bearer ${rootKey}` },
    payload: { name: 'e', email: 'e@x.io', role: 'editor' },
  })
).json();
if (!pick || pick === 'create') {
  const n = Number(process.env.PROBE_N ?? 2000);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = await app.inject({
      method: 'POST',
      url: `/admin/v1/tenants/${t.id}/users`,
      headers: { authorization: `Bearer ${e.apiKey}` },
      payload: {
        username: `n${i}`,
        email: `n${i}@x.io`,
        firstName: 'A',
        lastName: 'B',
        company: 'Acme 1',
        attributes: { tier: 'gold' },
      },
    });
    if (r.statusCode !== 201) throw new Error(`create ${r.statusCode} ${r.body}`);
  }
  const c = process.cpuUsage(c0);
  console.log(
    `create: ${(Number(process.hrtime.bigint() - t0) / 1000 / n).toFixed(1)} µs/request wall, ${((c.user + c.system) / n).toFixed(1)} µs CPU`,
  );
}
for (const round of [1, 2]) {
  for (const [name, p] of Object.entries(paths)) {
    if (pick && name !== pick) continue;
    const n = Number(process.env.PROBE_N ?? 4000);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const r = await app.inject({
        method: 'GET',
        url: p(i),
        headers: { authorization: `Bearer ${m.apiKey}`, admin_api_key: m.apiKey },
      });
      if (r.statusCode !== 200) throw new Error(`${name} ${r.statusCode} ${r.body}`);
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
    const c = process.cpuUsage(c0);
    if (round === 2)
      console.log(`${name}: ${us.toFixed(1)} µs/request wall, ${((c.user + c.system) / n).toFixed(1)} µs CPU`);
  }
}
await app.close();
await rt.close();
