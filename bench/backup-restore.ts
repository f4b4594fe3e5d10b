/**
 * A whole-tenant backup of a 100,000-user tenant restored into a fresh PostgreSQL database, as an
 * operator would run it (the issue's "done when"). Not part of `npm test`:
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/backup-restore.ts [--users 100000]
 *
 * Seeds a SQLite database with a tenant of `--users` users (each with an argon2id password hash),
 * four managers, a group of 1,000 members and an application key, through the services. Then runs
 * the compiled CLI, each command in its own process: `roster backup --with-audit` from the SQLite
 * database, `roster restore` into a fresh PostgreSQL schema (made for the run and dropped after).
 * Prints each command's time and peak RSS and the file's size, then checks on the restored
 * database, through the HTTP stack: a user logs in with their old password, the owner's old key
 * reads users, the application key verifies, the group has its members.
 * Results: bench/results/backup-restore-<users>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ROOT_DIR } from './roster-process.ts';
import { startRuntime } from '../src/runtime.ts';
import { buildApp } from '../src/http/app.ts';

const { values: args } = parseArgs({ options: { users: { type: 'string', default: '100000' } } });
const USERS = Number(args.users!.replace(/_/g, ''));
const pgUrl = process.env.BENCH_DATABASE_URL;
if (!pgUrl) throw new Error('BENCH_DATABASE_URL=postgres://… is needed: the restore goes into PostgreSQL');
const ROOT_KEY = 'bench-root-key-0123456789abcdef';
const PASSWORD = 'the old password 1';
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

const dir = mkdtempSync(join(tmpdir(), 'roster-bench-backup-'));
const sqliteUrl = `sqlite:${join(dir, 'source.db')}`;
const file = join(dir, 'bench.roster.ndjson.gz');
const schema = `bench_${randomBytes(5).toString('hex')}`;
const pgSchemaUrl = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The tenant to back up, through the services (fast: the import path, one hash shared by all users). */
async function seed(): Promise<{ ownerKey: string; appKey: string }> {
  const rt = await startRuntime({ databaseUrl: sqliteUrl, rootKey: ROOT_KEY, argon2: ARGON2 });
  try {
    const s = rt.services;
    const tenant = await s.tenants.createUnchecked({ name: 'Bench', licenseCode: 'bench' });
    let ownerKey = '';
    for (const role of ['owner', 'admin', 'editor', 'viewer'] as const) {
      const m = await s.managers.createUnchecked(tenant.id, { name: role, email: `${role}@bench.test`, role });
      if (role === 'owner') ownerKey = m.apiKey;
    }
    const hash = await s.hasher.hash(PASSWORD);
    async function* lines() {
      for (let i = 0; i < USERS; i += 1000) {
        let out = '';
        for (let j = i; j < Math.min(USERS, i + 1000); j++)
          out += `{"username":"user${j}","email":"user${j}@example.com","firstName":"First${j % 977}","lastName":"Last${j % 5000}","attributes":{"n":${j}},"passwordHash":${JSON.stringify(hash)}}\n`;
        yield out;
      }
    }
    const job = await s.imports.runLocal(tenant.id, () => Readable.from(lines()), {
      format: 'ndjson',
      mode: 'create',
      dryRun: false,
      atomic: false,
    });
    if (job.counts.created !== USERS) throw new Error(`seed import: ${JSON.stringify(job.counts)} ${job.message}`);
    const page = await s.users.list({ kind: 'root' }, tenant.id, { limit: 1000, sort: [] });
    const ids = page.items.map((u) => u.id);
    await s.groups.create({ kind: 'root' }, tenant.id, { displayName: 'Team', externalId: null, members: ids });
    const { secret } = await s.appKeys.create('root', tenant.id, ids[0], 'bench');
    return { ownerKey, appKey: secret };
  } finally {
    await rt.close();
  }
}

/** One CLI command in its own process: its wall time and peak RSS. */
async function cli(argv: string[], databaseUrl: string): Promise<{ seconds: number; peakRssMiB: number }> {
  const report = join(dir, `rss-${argv[0]}`);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', join(ROOT_DIR, 'bench/rss-at-exit.mjs'), join(ROOT_DIR, 'dist/cli/main.js'), ...argv],
    {
      cwd: ROOT_DIR,
      env: { ...process.env, DATABASE_URL: databaseUrl, ROSTER_ROOT_KEY: ROOT_KEY, RSS_REPORT_FILE: report },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`roster ${argv.join(' ')} exited ${code}`);
  if (stdout) process.stdout.write(stdout);
  return {
    seconds: Math.round((performance.now() - started) / 100) / 10,
    peakRssMiB: Math.round(Number(readFileSync(report, 'utf8')) / 1048576),
  };
}

/** The restored tenant through the HTTP stack: old password, old manager key, old app key, the group. */
async function check(keys: { ownerKey: string; appKey: string }): Promise<Record<string, unknown>> {
  const rt = await startRuntime({ databaseUrl: pgSchemaUrl, rootKey: ROOT_KEY, argon2: ARGON2 });
  const app = await buildApp(rt.services);
  try {
    const tenant = (await rt.services.tenants.byLicenseCode('bench'))!;
    const who = `user${Math.floor(USERS / 2)}`;
    const login = await app.inject({
      method: 'GET',
      url: `/rest/users/${who}`,
      headers: {
        'x-roster-tenant': 'bench',
        authorization: `Basic ${Buffer.from(`${who}:${PASSWORD}`).toString('base64')}`,
      },
    });
    const list = await app.inject({
      method: 'GET',
      url: `/admin/v1/tenants/${tenant.id}/users?limit=1&sort=-id`,
      headers: { authorization: `Bearer ${keys.ownerKey}` },
    });
    const verify = await app.inject({
      method: 'POST',
      url: '/rest/keys/verify',
      headers: { 'x-roster-tenant': 'bench' },
      payload: { key: keys.appKey },
    });
    const groups = await app.inject({
      method: 'GET',
      url: `/scim/v2/Groups?excludedAttributes=members`,
      headers: { authorization: `Bearer ${keys.ownerKey}` },
    });
    const dash = await app.inject({
      method: 'GET',
      url: `/admin/v1/tenants/${tenant.id}/users?limit=1`,
      headers: { authorization: `Bearer ${keys.ownerKey}` },
    });
    const ok = {
      oldPasswordLogin: login.statusCode,
      oldManagerKey: list.statusCode,
      appKeyVerifies: verify.statusCode === 200 && verify.json().content?.valid === true,
      groups: groups.statusCode === 200 ? groups.json().totalResults : groups.statusCode,
      listed: dash.statusCode,
    };
    if (ok.oldPasswordLogin !== 200 || ok.oldManagerKey !== 200 || !ok.appKeyVerifies)
      throw new Error(`the restored tenant fails its checks: ${JSON.stringify(ok)}`);
    return ok;
  } finally {
    await app.close();
    await rt.close();
  }
}

async function main(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const b = spawn(process.execPath, [join(ROOT_DIR, 'scripts/build-state.mjs'), '--ensure'], {
      cwd: ROOT_DIR,
      stdio: 'inherit',
    });
    b.on('exit', (c) => (c === 0 ? resolve() : reject(new Error('build failed'))));
  });
  await pgAdmin(`create schema ${schema}`);
  try {
    const t0 = performance.now();
    const keys = await seed();
    const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
    console.error(`seeded ${USERS} users in ${seedSeconds} s`);
    const backup = await cli(['backup', '--tenant', 'bench', '--with-audit', '--file', file], sqliteUrl);
    const bytes = statSync(file).size;
    console.error(
      `backup: ${backup.seconds} s, peak RSS ${backup.peakRssMiB} MiB, ${(bytes / 1048576).toFixed(1)} MiB`,
    );
    const restore = await cli(['restore', '--file', file], pgSchemaUrl);
    console.error(`restore into PostgreSQL: ${restore.seconds} s, peak RSS ${restore.peakRssMiB} MiB`);
    const checks = await check(keys);
    const result = {
      users: USERS,
      seedSeconds,
      backup: { from: 'sqlite', ...backup, fileMiB: Math.round((bytes / 1048576) * 10) / 10 },
      restore: { into: 'postgres', ...restore, usersPerSecond: Math.round(USERS / restore.seconds) },
      checks,
      machine: {
        cpus: cpus().length,
        memGiB: Math.round(totalmem() / 2 ** 30),
        loadavg: loadavg().map((l) => +l.toFixed(1)),
      },
      node: process.version,
      at: new Date().toISOString(),
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(join(ROOT_DIR, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT_DIR, `bench/results/backup-restore-${USERS}.json`), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await pgAdmin(`drop schema if exists ${schema} cascade`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
