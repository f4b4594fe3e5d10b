/**
 * Import over HTTP, as a new user would run it (issue: PostgreSQL imports slowing as the table grows).
 * Not part of `npm test`:
 *
 *   npx tsx bench/import-http.ts [--rows 1000000] [--db sqlite|postgres|all] [--cpu-prof <dir>]
 *
 * Starts Roster (`npm start`'s node arguments) on a fresh database (PostgreSQL when
 * BENCH_DATABASE_URL is set: a schema made for the run and dropped after), creates a tenant, writes an
 * NDJSON file of `{"username","email","lastName"}` lines, POSTs it to
 * /admin/v1/tenants/{id}/imports and reads the job until it is done. Prints the rows/s of the stretch
 * of the file before 10 %, 50 % and 100 % of it (a slowdown as the table grows shows as falling
 * numbers), the total time and the server's peak RSS. Results: bench/results/import-http-<db>-<rows>.json.
 */
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ROOT_DIR, startServer } from './roster-process.ts';
import { bearer, http } from './context.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'all' },
    'cpu-prof': { type: 'string' },
  },
});
const rows = Number(args.rows!.replace(/_/g, ''));
const pgUrl = process.env.BENCH_DATABASE_URL;
const dbs = (args.db === 'all' ? (pgUrl ? ['sqlite', 'postgres'] : ['sqlite']) : [args.db!]) as (
  'sqlite' | 'postgres'
)[];
if (dbs.includes('postgres') && !pgUrl) throw new Error('--db postgres needs BENCH_DATABASE_URL=postgres://…');

async function freshDatabase(db: 'sqlite' | 'postgres', dir: string) {
  if (db === 'sqlite') return { url: `sqlite:${join(dir, 'roster.db')}`, drop: async () => {} };
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const settings = await admin.query(
    `select name, setting from pg_settings where name in ('autovacuum', 'plan_cache_mode')`,
  );
  await admin.end();
  return {
    url: `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    settings: Object.fromEntries(settings.rows.map((r) => [r.name, r.setting])),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

async function writeFile(file: string): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < rows; i++) {
    const line = `{"username":"user${i}","email":"user${i}@example.com","lastName":"Last${i % 5000}"}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Sample {
  s: number;
  rows: number;
}

/** Rows/s over the stretch of the file that ends at `to` (a fraction) and starts 10 % earlier. */
function rateBefore(samples: Sample[], to: number): number {
  const at = (fraction: number) => {
    const want = fraction * rows;
    const k = samples.findIndex((x) => x.rows >= want);
    if (k <= 0) return k === 0 ? samples[0].s : NaN;
    const a = samples[k - 1];
    const b = samples[k];
    return a.s + ((b.s - a.s) * (want - a.rows)) / Math.max(1, b.rows - a.rows);
  };
  return Math.round((0.1 * rows) / (at(to) - at(to - 0.1)));
}

async function runOne(db: 'sqlite' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'roster-import-http-'));
  const database = await freshDatabase(db, dir);
  const rootKey = `bench-root-${randomBytes(16).toString('hex')}`;
  const server = await startServer({ databaseUrl: database.url, rootKey, cpuProfDir: args['cpu-prof'] });
  try {
    const t = await http(server.base, 'POST', '/admin/v1/tenants', {
      headers: bearer(rootKey),
      body: { name: 'Import bench', licenseCode: 'importbench' },
    });
    if (t.status !== 201) throw new Error(`tenant create: ${t.status} ${t.body}`);
    const tenantId = (t.json() as { id: number }).id;
    const file = join(dir, 'users.ndjson');
    await writeFile(file);
    const load = loadavg();
    const t0 = performance.now();
    const posted = await fetch(`${server.base}/admin/v1/tenants/${tenantId}/imports`, {
      method: 'POST',
      headers: { ...bearer(rootKey), 'content-type': 'application/x-ndjson' },
      body: Readable.toWeb(createReadStream(file, { highWaterMark: 256 * 1024 })) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    if (posted.status !== 202) throw new Error(`import: ${posted.status} ${await posted.text()}`);
    const jobId = ((await posted.json()) as { id: number }).id;
    const uploadS = (performance.now() - t0) / 1000;
    const samples: Sample[] = [{ s: uploadS, rows: 0 }];
    let job: { state: string; counts: Record<string, number>; message: string | null };
    let shown = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      // A kept-alive connection closed by a busy server (SQLite holds the event loop during a batch) is retried.
      const r = await http(server.base, 'GET', `/admin/v1/tenants/${tenantId}/imports/${jobId}`, {
        headers: bearer(rootKey),
      }).catch(() => null);
      if (!r) continue;
      job = r.json();
      const s = (performance.now() - t0) / 1000;
      if (job.counts.rows > samples[samples.length - 1].rows) samples.push({ s, rows: job.counts.rows });
      if (job.counts.rows - shown >= rows / 10) {
        shown = job.counts.rows;
        console.log(`  ${db}: ${job.counts.rows.toLocaleString('en-US')} rows at ${s.toFixed(1)} s`);
      }
      if (job.state === 'done' || job.state === 'failed') break;
    }
    const totalS = (performance.now() - t0) / 1000;
    samples.push({ s: totalS, rows: job.counts.rows });
    if (job.state !== 'done' || job.counts.created !== rows) throw new Error(`import ended ${JSON.stringify(job)}`);
    const result = {
      at: new Date().toISOString(),
      database: db,
      settings: 'settings' in database ? database.settings : undefined,
      rows,
      fileMB: Math.round(statSync(file).size / 2 ** 20),
      uploadSeconds: Number(uploadS.toFixed(1)),
      totalSeconds: Number(totalS.toFixed(1)),
      rowsPerSecond: {
        overall: Math.round(rows / totalS),
        before10pct: rateBefore(samples, 0.1),
        before50pct: rateBefore(samples, 0.5),
        before100pct: rateBefore(samples, 1),
      },
      serverPeakRssMiB: Math.round(server.memory()?.peakMiB ?? NaN),
      counts: job.counts,
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        loadAverageAtStart: load.map((x) => Number(x.toFixed(2))),
        loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    const out = join(ROOT_DIR, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `import-http-${db}-${rows}.json`), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await server.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const db of dbs) await runOne(db);
