/**
 * `npm run bench [-- --users N --duration S --connections C --only a,b --db sqlite|postgres|all]`
 *
 * Starts Roster as a child process on a temporary database, creates a tenant and manager keys
 * through the management API, seeds N users straight into the database, starts the lean bare stack
 * (bare-server.ts) beside it on the same database, then drives every scenario over HTTP with
 * autocannon. Results go to bench/results/*.json (or --out) and, with --update-md, into
 * BENCHMARKS.md. Never part of `npm test`; the CI smoke runs it with a tiny N.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ROOT_DIR, startServer, type Server } from './roster-process.ts';
import { startBareServer } from './bare-process.ts';
import { seedUsers, usernameOf } from './seed.ts';
import { bearer, http, idOf, type BenchContext } from './context.ts';
import { SCENARIOS, type Done, type ScenarioResult } from './scenarios.ts';
import { markdownTable, updateMarkdown, type RunReport } from './report.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string', multiple: true },
    db: { type: 'string' },
    out: { type: 'string', default: join(ROOT_DIR, 'bench', 'results') },
    'update-md': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  console.log(`npm run bench -- [--users N] [--duration S] [--connections C] [--only name[,name]] [--db sqlite|postgres|all] [--out DIR] [--update-md] [--cpu-prof]

  --users N        users seeded (default 100000; the targets are stated for 1000000)
  --duration S     seconds per measured run, after a warm-up of min(2, S/5) s (default 10)
  --connections C  connections for reads by id, SCIM filters and keys-verify (default 50); lists
                   always use 10, create and sign-up 20
  --only a,b       only these scenarios (health always runs)
  --db             sqlite, postgres or all (default: sqlite, plus postgres when BENCH_DATABASE_URL is set)
  --out DIR        where the results JSON goes (default bench/results)
  --update-md      rewrite the <!-- bench:<db> --> block of BENCHMARKS.md with the run's table
  --cpu-prof       V8 CPU profile of the Roster process into <out>/profiles

A scenario with a reference runs alternately with it (reference, scenario, reference) and reports
req/s ÷ the mean of the two reference runs, with the ratio against each and their spread.

scenarios (target):
${SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.title}${s.goal ? `\n  ${' '.repeat(width)}    target: ${s.goal}` : ''}`).join('\n')}
  ${'memory'.padEnd(width)}  Roster's RSS sampled through the run, peak (VmHWM) at the end
  ${' '.repeat(width)}    target: peak RSS ≤ 250 MB (238.4 MiB)

PostgreSQL runs when BENCH_DATABASE_URL is set (a schema is created for the run and dropped after);
the lean bare stack then reads through pg. Ratio targets are judged on SQLite, reported on PostgreSQL.`);
  process.exit(0);
}

function positive(name: string, raw: string): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got "${raw}")`);
  return n;
}

const users = Math.floor(positive('users', args.users!));
const duration = positive('duration', args.duration!);
const connections = Math.floor(positive('connections', args.connections!));
const only = args.only
  ?.flatMap((s) => s.split(','))
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of only ?? [])
  if (!SCENARIOS.some((s) => s.name === name))
    throw new Error(`--only: no scenario "${name}" (have ${SCENARIOS.map((s) => s.name).join(', ')})`);
const pgUrl = process.env.BENCH_DATABASE_URL;
const dbs: ('sqlite' | 'postgres')[] =
  args.db === 'all'
    ? ['sqlite', 'postgres']
    : args.db === 'sqlite' || args.db === 'postgres'
      ? [args.db]
      : pgUrl
        ? ['sqlite', 'postgres']
        : ['sqlite'];
if (dbs.includes('postgres') && !pgUrl) throw new Error('--db postgres needs BENCH_DATABASE_URL=postgres://…');

/** A fresh database for one run, and how to remove it. */
async function freshDatabase(db: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> }> {
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
    return { url: `sqlite:${join(dir, 'roster.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

async function setUpTenant(base: string, rootKey: string) {
  const t = await http(base, 'POST', '/admin/v1/tenants', {
    headers: bearer(rootKey),
    body: { name: 'Bench', licenseCode: 'bench' },
  });
  if (t.status !== 201) throw new Error(`tenant create failed: ${t.status} ${t.body}`);
  const tenant = t.json() as { id: number; licenseCode: string };
  const keys = {} as BenchContext['keys'];
  for (const role of ['owner', 'editor', 'viewer'] as const) {
    const m = await http(base, 'POST', `/admin/v1/tenants/${tenant.id}/managers`, {
      headers: bearer(rootKey),
      body: { name: `bench ${role}`, email: `${role}@bench.test`, role },
    });
    if (m.status !== 201) throw new Error(`manager create failed: ${m.status} ${m.body}`);
    keys[role] = (m.json() as { apiKey: string }).apiKey;
  }
  return { tenantId: tenant.id, licenseCode: tenant.licenseCode, keys };
}

const n0 = (x: number | undefined, d = 0) => (x === undefined ? '–' : x.toFixed(d));

function printLine(r: ScenarioResult): void {
  if (r.skipped) {
    console.log(`  ${r.name.padEnd(22)} skipped: ${r.skipped}`);
    return;
  }
  const t = r.target
    ? `  [${r.target.text}: ${r.target.met ? 'met' : 'MISSED'}${r.target.informational ? ', informational' : ''}]`
    : '';
  const v = r.versus;
  const vs = v
    ? `  ratio ${v.ratio.toFixed(2)} (${v.range[0].toFixed(2)}–${v.range[1].toFixed(2)}; reference ${n0(v.runs[0].rps)} / ${n0(v.runs[1].rps)} req/s, spread ${(v.spread * 100).toFixed(1)} %)`
    : '';
  console.log(
    `  ${r.name.padEnd(22)} ${n0(r.rps).padStart(7)} req/s  p50 ${n0(r.p50).padStart(4)} ms  p99 ${n0(r.p99).padStart(4)} ms  errors ${r.errors}  cpu/req ${n0(r.cpuUs).padStart(5)} µs  ×health ${r.ratio === undefined ? '–' : r.ratio.toFixed(2)}${vs}${t}`,
  );
}

/** Servers of the run in progress, killed if the bench itself is interrupted (they would outlive it). */
const running = new Set<Server>();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const s of running) s.child.kill('SIGKILL');
    process.exit(130);
  });
const started = (s: Server): Server => (running.add(s), s);
async function stopped(s: Server | null): Promise<null> {
  if (s) {
    await s.stop();
    running.delete(s);
  }
  return null;
}

/** The issue's memory budget is 250 MB; RSS is read in MiB (/proc), so the budget is judged in MiB. */
const RSS_TARGET_MIB = 250e6 / 2 ** 20;

async function benchOne(db: 'sqlite' | 'postgres'): Promise<RunReport> {
  const loadAvgStart = loadavg();
  const rootKey = `bench-root-${randomBytes(16).toString('hex')}`;
  const database = await freshDatabase(db);
  let server: Server | null = null;
  let bare: Server | null = null;
  try {
    console.log(
      `\n== ${db}: ${users.toLocaleString('en-US')} users, ${duration} s per scenario, ${connections} connections`,
    );
    server = started(await startServer({ databaseUrl: database.url, rootKey }));
    const fixture = await setUpTenant(server.base, rootKey);
    // Seeded with the server stopped, so it starts on a database as it would be in production.
    server = await stopped(server);
    const t0 = Date.now();
    let shown = 0;
    const { firstId, lastId } = await seedUsers(database.url, fixture.tenantId, users, (done) => {
      if (done - shown >= 100_000 || done === users) {
        shown = done;
        process.stdout.write(
          `  seeded ${done.toLocaleString('en-US')} users (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
        );
      }
    });
    const seedSeconds = (Date.now() - t0) / 1000;
    const profDir = join(args.out!, 'profiles');
    if (args['cpu-prof']) mkdirSync(profDir, { recursive: true });
    server = started(
      await startServer({
        databaseUrl: database.url,
        rootKey,
        cpuProfDir: args['cpu-prof'] ? profDir : undefined,
      }),
    );
    // The lean bare stack beside Roster on the same database: idle except while its runs are measured.
    bare = started(await startBareServer(database.url));
    const memStart = server.memory();
    const ctx: BenchContext = {
      bare: { base: bare.base, cpuSeconds: () => bare!.cpuSeconds() },
      db,
      databaseUrl: database.url,
      base: server.base,
      rootKey,
      ...fixture,
      users,
      firstId,
      lastId,
      duration,
      connections,
      runTag: randomBytes(3).toString('hex'),
      serverCpu: () => server!.cpuSeconds(),
    };
    // Every scenario names users by number (seed.ts) and reads them by id: the seed must have kept the order.
    const check = await http(ctx.base, 'GET', `/admin/v1/tenants/${ctx.tenantId}/users/${idOf(ctx, users)}`, {
      headers: bearer(rootKey),
    });
    if (check.status !== 200 || (check.json() as { username?: string }).username !== usernameOf(users))
      throw new Error(`user ${users} is not id ${idOf(ctx, users)}: ${check.status} ${check.body.slice(0, 160)}`);
    const done: Done = new Map();
    for (const s of SCENARIOS) {
      if (only && s.name !== 'health' && !only.includes(s.name)) continue;
      let r: ScenarioResult;
      // RSS sampled while the scenario runs, so a peak can be traced to the scenario that caused it.
      let rssMax = 0;
      const sampler = setInterval(() => (rssMax = Math.max(rssMax, server?.memory()?.rssMiB ?? 0)), 250);
      try {
        r = await s.run(ctx, done);
      } catch (e) {
        r = { name: s.name, title: s.title, skipped: `failed: ${(e as Error).message}` };
      } finally {
        clearInterval(sampler);
      }
      if (!r.skipped && !r.baseline) r.rssMaxMiB = Math.round(rssMax);
      done.set(s.name, r);
      printLine(r);
    }
    const healthEnd = (await SCENARIOS[0].run(ctx, done)).rps ?? NaN;
    // The baseline is the faster of the two /health runs (the machine is shared: a slow start must
    // not flatter every ratio); ratios and ratio targets are judged again against it.
    const healthStart = done.get('health')?.rps ?? healthEnd;
    const baseline = Math.max(healthStart, healthEnd);
    for (const r of done.values()) {
      if (r.skipped || r.rps === undefined || r.ratio === undefined) continue;
      r.ratio = r.rps / baseline;
      if (r.ratioMin !== undefined && r.target) {
        const exact = (r.extra?.exactness as { exact?: boolean } | undefined)?.exact ?? true;
        r.target = { ...r.target, met: r.ratio >= r.ratioMin && r.errors === 0 && exact };
      }
    }
    const memEnd = server.memory();
    const memOk = memEnd ? memEnd.peakMiB <= RSS_TARGET_MIB : null;
    const report: RunReport = {
      date: new Date().toISOString(),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      db,
      users,
      durationS: duration,
      connections,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? '?',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        loadAvgStart,
        loadAvgEnd: loadavg(),
      },
      seedSeconds,
      healthEndRps: healthEnd,
      healthBaselineRps: baseline,
      memory: {
        startMiB: memStart?.rssMiB,
        endMiB: memEnd?.rssMiB,
        peakMiB: memEnd?.peakMiB,
        target: `peak RSS ≤ 250 MB (${RSS_TARGET_MIB.toFixed(1)} MiB) at 1,000,000 users`,
        met: memOk,
        informational: users < 1_000_000,
      },
      scenarios: [...done.values()],
    };
    console.log(
      `  ratios against the faster /health run (${n0(baseline)} req/s): ${[...done.values()]
        .filter((r) => r.ratio !== undefined && r.name !== 'health')
        .map((r) => `${r.name} ${r.ratio!.toFixed(2)}`)
        .join(', ')}`,
    );
    console.log(
      `  memory: RSS ${n0(memStart?.rssMiB)} MiB at start, ${n0(memEnd?.rssMiB)} MiB at end, peak ${n0(memEnd?.peakMiB)} MiB; /health at end ${n0(healthEnd)} req/s`,
    );
    return report;
  } finally {
    await stopped(bare);
    await stopped(server);
    await database.drop();
  }
}

mkdirSync(args.out!, { recursive: true });
for (const db of dbs) {
  const report = await benchOne(db);
  const file = join(args.out!, `${report.date.replace(/[:.]/g, '-')}-${db}-${users}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\n${markdownTable(report)}\n\nresults: ${file}`);
  if (args['update-md']) {
    const ok = updateMarkdown(join(ROOT_DIR, 'BENCHMARKS.md'), report);
    console.log(ok ? 'BENCHMARKS.md updated' : `BENCHMARKS.md has no <!-- bench:${db} --> block: not updated`);
  }
}
