import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './support/backends.ts';
import { makeTenant, startTestApp, type TestApp } from './support/harness.ts';
import { importFile, ndjson } from './support/imports.ts';
import { IMPORT_LEASE_MS } from '../src/services/import-service.ts';

/**
 * An import whose process died (kill -9, crash, power) must not stay `running` forever: once its
 * heartbeat is older than the lease, reading the job ends it as `failed` with a message that says
 * what was written. The job rows are written as another process would have left them.
 */
describe.each(backends())('import jobs whose process stopped ($name)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend);
  });
  afterAll(() => t.close());

  async function orphan(tenantId: number, o: { state: string; atomic: boolean; silentForMs: number }): Promise<number> {
    const at = Date.now() - o.silentForMs;
    const r = await t.runtime.db.kysely
      .insertInto('imports')
      .values({
        tenantId,
        state: o.state,
        format: 'ndjson',
        mode: 'create',
        dryRun: 0,
        atomic: o.atomic ? 1 : 0,
        actor: 'manager:1',
        rows: 40_000,
        created: 40_000,
        updated: 0,
        unchanged: 0,
        failed: 0,
        errors: null,
        message: null,
        createdAt: at - 60_000,
        updatedAt: at,
        finishedAt: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(r.id);
  }

  const read = async (tenantId: number, key: string, id: number) => {
    const r = await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/imports/${id}`, key });
    expect(r.statusCode).toBe(200);
    return r.json();
  };

  it('ends a running job with a stale heartbeat as failed, saying which rows are in', async () => {
    const { tenantId, keys } = await makeTenant(t, 'Orphan', 'orphan-1');
    const id = await orphan(tenantId, { state: 'running', atomic: false, silentForMs: IMPORT_LEASE_MS + 5_000 });
    const job = await read(tenantId, keys.viewer, id);
    expect(job).toMatchObject({ state: 'failed', counts: { rows: 40_000, created: 40_000 } });
    expect(job.message).toMatch(/stopped before it finished; rows of the batches committed before the stop are in/);
    expect(job.finishedAt).not.toBeNull();
    // Settled: reading again answers the same.
    expect(await read(tenantId, keys.viewer, id)).toMatchObject({ state: 'failed', message: job.message });
  });

  it('says nothing was written for an atomic job, and ends a queued one too', async () => {
    const { tenantId, keys } = await makeTenant(t, 'Orphan', 'orphan-2');
    const atomic = await orphan(tenantId, { state: 'running', atomic: true, silentForMs: IMPORT_LEASE_MS * 3 });
    expect(await read(tenantId, keys.viewer, atomic)).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/nothing was written/),
    });
    const queued = await orphan(tenantId, { state: 'queued', atomic: false, silentForMs: IMPORT_LEASE_MS * 2 });
    expect((await read(tenantId, keys.viewer, queued)).state).toBe('failed');
  });

  it('leaves a job with a recent heartbeat running, and finished jobs as they are', async () => {
    const { tenantId, keys } = await makeTenant(t, 'Orphan', 'orphan-3');
    const live = await orphan(tenantId, { state: 'running', atomic: false, silentForMs: 1_000 });
    expect(await read(tenantId, keys.viewer, live)).toMatchObject({
      state: 'running',
      message: null,
      finishedAt: null,
    });
    const done = await importFile(t, tenantId, ndjson([{ username: 'kept' }]), { key: keys.editor });
    expect(done.state).toBe('done');
    expect(await read(tenantId, keys.viewer, done.id)).toMatchObject({ state: 'done', message: null });
  });
});
