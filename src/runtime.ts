import type { Config } from './config.ts';
import { openDatabase, type Db } from './store/database.ts';
import { migrateToLatest } from './store/migrations/index.ts';
import { buildServices, type Services } from './services/services.ts';

export interface Runtime {
  db: Db;
  services: Services;
  generatedRootKey: string | null;
  close(): Promise<void>;
}

/** Opens the database, migrates it, seeds the default tenant and settles the root key. */
export async function startRuntime(
  config: Pick<Config, 'databaseUrl' | 'rootKey' | 'argon2'> & Partial<Pick<Config, 'webhooks'>>,
  /** The server sends webhooks; the CLI and most tests do not. */
  opts: { deliverWebhooks?: boolean } = {},
): Promise<Runtime> {
  const db = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    const services = buildServices(db, config);
    await services.tenants.ensureDefault();
    const { generatedRootKey } = await services.auth.init();
    // Cached keys are trusted only while changes to them can be heard (PostgreSQL: LISTEN).
    await db.accessChanges.start();
    if (opts.deliverWebhooks) services.webhookDispatcher.start();
    const close = async () => {
      await services.webhookDispatcher.stop();
      await services.hasher.close();
      await db.close();
    };
    return { db, services, generatedRootKey, close };
  } catch (e) {
    await db.close();
    throw e;
  }
}
