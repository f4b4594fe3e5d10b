import { expect } from 'vitest';
import type { TestApp } from './harness.ts';

/** Helpers shared by the import/export suites. */
export interface JobWire {
  id: number;
  state: 'queued' | 'running' | 'done' | 'failed';
  counts: { rows: number; created: number; updated: number; unchanged: number; failed: number };
  errors: { line: number; message: string }[];
  message: string | null;
  [k: string]: unknown;
}

export const ndjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Reads a job until it is done or failed (the job runs in the background of the process). */
export async function waitJob(t: TestApp, tenantId: number, jobId: number, key?: string): Promise<JobWire> {
  for (let i = 0; i < 2000; i++) {
    const r = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${tenantId}/imports/${jobId}`,
      ...(key ? { key } : {}),
    });
    expect(r.statusCode, r.body).toBe(200);
    const job = r.json() as JobWire;
    if (job.state === 'done' || job.state === 'failed') return job;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`import ${jobId} did not finish`);
}

/** POSTs a file (202 expected) and answers the finished job. */
export async function importFile(
  t: TestApp,
  tenantId: number,
  body: string | Buffer,
  opts: { type?: string; query?: string; key?: string } = {},
): Promise<JobWire> {
  const r = await t.req({
    method: 'POST',
    url: `/admin/v1/tenants/${tenantId}/imports${opts.query ? `?${opts.query}` : ''}`,
    headers: { 'content-type': opts.type ?? 'application/x-ndjson' },
    payload: body,
    ...(opts.key ? { key: opts.key } : {}),
  });
  expect(r.statusCode, r.body).toBe(202);
  const job = r.json() as JobWire;
  expect(['queued', 'running', 'done', 'failed']).toContain(job.state);
  expect(r.headers.location).toBe(`/admin/v1/tenants/${tenantId}/imports/${job.id}`);
  return waitJob(t, tenantId, job.id, opts.key);
}

/** Every user of a tenant through the management API (by id). */
export async function allUsers(t: TestApp, tenantId: number): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const r = await t.req({
      method: 'GET',
      url: `/admin/v1/tenants/${tenantId}/users?limit=1000&sort=id${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    });
    expect(r.statusCode, r.body).toBe(200);
    const page = r.json() as { items: Record<string, unknown>[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

export const userCount = async (t: TestApp, tenantId: number): Promise<number> =>
  (await t.req({ method: 'GET', url: `/admin/v1/tenants/${tenantId}/users?limit=1&total=exact` })).json()
    .total as number;
