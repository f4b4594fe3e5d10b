import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type TestApp } from './support/harness.ts';
import { allUsers, ndjson, userCount } from './support/imports.ts';
import type { ImportProgress, RunOptions } from '../src/services/import-service.ts';

/** Batch boundaries, through the service with tiny batches (the HTTP suites use files smaller than one batch). */
describe.each(backends())('import batches ($name)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  const run = (tenantId: number, body: string, o: Partial<RunOptions> = {}) =>
    t.runtime.services.imports.run(tenantId, Readable.from([Buffer.from(body)]), {
      format: 'ndjson',
      mode: 'create',
      dryRun: false,
      atomic: false,
      actor: 'root',
      batchRows: 2,
      ...o,
    });

  it('finds duplicates across batches (already written) and reports progress per batch', async () => {
    const { tenantId } = await makeTenant(t, 'B1', 'b1');
    const progress: ImportProgress[] = [];
    const r = await run(
      tenantId,
      ndjson([
        { username: 'a' },
        { username: 'b' },
        { username: 'c' },
        { username: 'A' },
        { username: 'd', email: 'x' },
        { username: 'e' },
      ]),
      {
        onProgress: (p) => progress.push(p),
      },
    );
    expect(r).toMatchObject({ failed: false, counts: { rows: 6, created: 4, failed: 2 } });
    expect(r.errors.map((e) => e.line)).toEqual([4, 5]);
    expect(r.errors[0].message).toMatch(/line 4: a user with username "A" already exists \(id \d+\)/);
    expect(progress.map((p) => p.counts.created)).toEqual([2, 3, 4]);
    expect(progress.every((p, i) => i === 0 || p.bytes >= progress[i - 1].bytes)).toBe(true);
  });

  it('upsert across batches: the later row wins; atomic across batches writes nothing on a late failure', async () => {
    const { tenantId } = await makeTenant(t, 'B2', 'b2');
    const r = await run(
      tenantId,
      ndjson([{ username: 'u', title: 'one' }, { username: 'v' }, { username: 'U', title: 'two' }]),
      { mode: 'upsert' },
    );
    expect(r.counts).toMatchObject({ created: 2, updated: 1, failed: 0 });
    expect((await allUsers(t, tenantId)).find((u) => u.title)).toMatchObject({ username: 'U', title: 'two' });

    const { tenantId: t3 } = await makeTenant(t, 'B3', 'b3');
    const rows = Array.from({ length: 7 }, (_, i) => ({ username: `z${i}` }));
    const bad = await run(t3, ndjson([...rows, { username: 'z0' }]), { atomic: true });
    expect(bad).toMatchObject({ failed: true, counts: { rows: 8, created: 0, failed: 1 } });
    expect(bad.errors[0].message).toMatch(/line 8: a user with username "z0" already exists/);
    expect(await userCount(t, t3)).toBe(0);
    const dry = await run(t3, ndjson(rows), { dryRun: true });
    expect(dry.counts).toMatchObject({ created: 7 });
    expect(await userCount(t, t3)).toBe(0);
  });
});
