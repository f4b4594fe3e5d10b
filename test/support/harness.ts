import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type App } from '../../src/http/app.ts';
import { startRuntime, type Runtime } from '../../src/runtime.ts';
import type { Backend } from './backends.ts';
import { webhookConfig, type WebhookConfig } from '../../src/config.ts';

export const ROOT_KEY = 'test-root-key-0123456789abcdef';
/** Cheap argon2 for tests; production keeps OWASP's minimum. */
export const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestApp {
  app: App;
  runtime: Runtime;
  url: string;
  /** app.inject with the root key unless other headers say otherwise. */
  req(opts: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startTestApp(
  backend: Backend,
  opts: { webhooks?: Partial<WebhookConfig> } = {},
): Promise<TestApp> {
  const db = await backend.fresh();
  const runtime = await startRuntime({
    databaseUrl: db.url,
    rootKey: ROOT_KEY,
    argon2: TEST_ARGON2,
    ...(opts.webhooks ? { webhooks: { ...webhookConfig(), ...opts.webhooks } } : {}),
  });
  const app = await buildApp(runtime.services);
  await app.ready();
  return {
    app,
    runtime,
    url: db.url,
    req: ({ key, headers, ...opts }) => {
      const h: Record<string, string> = { ...(headers as Record<string, string>) };
      const k = key === undefined ? ROOT_KEY : key;
      if (k !== null && !h.authorization && !h['admin_api_key']) h.authorization = `Bearer ${k}`;
      return app.inject({ ...opts, headers: h });
    },
    async close() {
      await app.close();
      await runtime.close();
      await db.drop();
    },
  };
}

export interface Fixture {
  tenantId: number;
  licenseCode: string;
  keys: Record<'owner' | 'admin' | 'editor' | 'viewer', string>;
}

/** A new tenant with one manager per role, through the management API. */
export async function makeTenant(t: TestApp, name = 'Acme', licenseCode?: string): Promise<Fixture> {
  const r = await t.req({
    method: 'POST',
    url: '/admin/v1/tenants',
    payload: { name, ...(licenseCode ? { licenseCode } : {}) },
  });
  if (r.statusCode !== 201) throw new Error(`tenant create failed: ${r.statusCode} ${r.body}`);
  const tenant = r.json() as { id: number; licenseCode: string };
  const keys = {} as Fixture['keys'];
  for (const role of ['owner', 'admin', 'editor', 'viewer'] as const) {
    const m = await t.req({
      method: 'POST',
      url: `/admin/v1/tenants/${tenant.id}/managers`,
      payload: { name: `${role} manager`, email: `${role}@${licenseCode ?? 'acme'}.test`, role },
    });
    if (m.statusCode !== 201) throw new Error(`manager create failed: ${m.statusCode} ${m.body}`);
    keys[role] = (m.json() as { apiKey: string }).apiKey;
  }
  return { tenantId: tenant.id, licenseCode: tenant.licenseCode, keys };
}
