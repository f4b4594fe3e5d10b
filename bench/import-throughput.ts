/**
 * Import throughput and export memory. Not part of `npm test`:
 *
 *   npx tsx bench/import-throughput.ts [rows=1000000] [sqlite|postgres://…]
 *
 * Writes an NDJSON file of `rows` users without plain passwords (every 10th with a bcrypt hash,
 * every 10th with a salted sha256), imports it through the same code the CLI runs into a fresh
 * tenant (batch mode, audit events included), then exports it to nowhere while sampling RSS.
 * Results go to bench/results/import.json.
 */
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../src/runtime.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const target = process.argv[3] ?? 'sqlite';
const dir = mkdtempSync(join(tmpdir(), 'roster-import-bench-'));
const databaseUrl = target === 'sqlite' ? `sqlite:${join(dir, 'roster.db')}` : target;
const file = join(dir, 'users.ndjson');

async function writeFile(): Promise<void> {
  const out = createWriteStream(file);
  const bcrypt = '$2b$04$m1BJoIHfw.aigkYJb5rmFuqN9bmwE08fIrAvIGfk0bo.D3vVpU/EW';
  for (let i = 0; i < rows; i++) {
    const u: Record<string, unknown> = {
      externalId: `ext-${i}`,
      username: `user${i}`,
      email: `user${i}@example.com`,
      firstName: `First${i % 1000}`,
      lastName: `Last${i % 5000}`,
      company: `Company ${i % 300}`,
      phoneMobile: `+1555${String(i).padStart(7, '0')}`,
      active: i % 17 !== 0,
      verified: i % 3 === 0,
      attributes: { plan: i % 2 ? 'gold' : 'free', seats: i % 50 },
    };
    if (i % 10 === 1) u.passwordHash = bcrypt;
    if (i % 10 === 2)
      u.passwordHash = {
        algorithm: 'sha256',
        salt: `s${i}`,
        hash: 'b2f146a7358bad9124bb3a8368ebe4ec738899c5868ef93a0a33062b62d8e884',
      };
    if (!out.write(JSON.stringify(u) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const mb = (n: number) => Math.round(n / 1024 / 1024);

await writeFile();
const rt = await startRuntime({
  databaseUrl,
  rootKey: 'bench-root-key-0123456789abcdef',
  argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
});
try {
  const tenant = await rt.services.tenants.createUnchecked({ name: 'Import bench' });
  let peakImport = process.memoryUsage().rss;
  const load = loadavg()[0];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const job = await rt.services.imports.runLocal(
    tenant.id,
    () => createReadStream(file, { highWaterMark: 256 * 1024 }),
    {
      format: 'ndjson',
      mode: 'create',
      dryRun: false,
      atomic: false,
      actor: 'root',
      onProgress: (p) => {
        peakImport = Math.max(peakImport, process.memoryUsage().rss);
        if (process.env.BENCH_TRACE && p.counts.rows % 100_000 === 0) {
          const c = process.cpuUsage(cpu0);
          console.error(
            `${p.counts.rows} rows: ${((performance.now() - t0) / 1000).toFixed(1)} s, cpu user ${(c.user / 1e6).toFixed(1)} s, system ${(c.system / 1e6).toFixed(1)} s`,
          );
        }
      },
    },
  );
  const importSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (job.state !== 'done' || job.counts.created !== rows)
    throw new Error(`import did not complete: ${JSON.stringify(job)}`);

  // Export: RSS growth over idle while streaming every user to nowhere.
  global.gc?.();
  const idle = process.memoryUsage().rss;
  let peakExport = idle;
  let bytes = 0;
  const t1 = performance.now();
  const lines = await rt.services.exports.openUnchecked(tenant.id, { format: 'ndjson', withPasswordHashes: true });
  for await (const chunk of lines) {
    bytes += chunk.length;
    peakExport = Math.max(peakExport, process.memoryUsage().rss);
  }
  const exportSeconds = (performance.now() - t1) / 1000;

  const result = {
    at: new Date().toISOString(),
    database: target === 'sqlite' ? 'sqlite' : 'postgres',
    rows,
    fileMB: mb(statSync(file).size),
    import: {
      seconds: Number(importSeconds.toFixed(1)),
      rowsPerSecond: Math.round(rows / importSeconds),
      // CPU time of this process (SQLite runs in it): less disturbed by other load than wall time.
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
      peakRssMB: mb(peakImport),
      counts: job.counts,
    },
    export: {
      seconds: Number(exportSeconds.toFixed(1)),
      MB: mb(bytes),
      idleRssMB: mb(idle),
      peakRssMB: mb(peakExport),
      growthMB: mb(peakExport - idle),
    },
    machine: {
      loadAverage1m: Number(load.toFixed(2)),
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memGB: Math.round(totalmem() / 1e9),
      node: process.version,
      note: 'shared machine (about 8 concurrent sessions on 2 cores): numbers are noisy',
    },
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  if (rows >= 1_000_000)
    writeFileSync(new URL('./results/import.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
} finally {
  await rt.close();
  rmSync(dir, { recursive: true, force: true });
}
