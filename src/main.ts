import { ConfigError, loadConfig, type Config } from './config.ts';
import { limitHeapGrowth } from './heap-growth.ts';
import { startRuntime } from './runtime.ts';
import { deliverGeneratedRootKey, describeDelivery } from './root-key-output.ts';
import { buildApp, REDACT } from './http/app.ts';
import { FORCED_EXIT_MS, flushLogs, logDestination, startExitWatchdog } from './shutdown.ts';

limitHeapGrowth();

let config: Config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`roster: ${e.message}`);
    process.exit(1);
  }
  throw e;
}

let runtime: Awaited<ReturnType<typeof startRuntime>>;
try {
  runtime = await startRuntime(config, { deliverWebhooks: true });
} catch (e) {
  // Most often the database cannot be reached or migrated: say so in one line (no URL: it may hold a password).
  console.error(`roster: cannot start: ${(e as Error).message}`);
  process.exit(1);
}
// Only on the first start of a new database; only its digest is stored.
const rootKeyDelivery = runtime.generatedRootKey
  ? deliverGeneratedRootKey(runtime.generatedRootKey, config.generatedRootKeyFile)
  : null;
const logs = config.logFormat === 'pretty' ? null : logDestination();
const app = await buildApp(runtime.services, {
  logger: {
    level: config.logLevel,
    redact: REDACT,
    // Readable lines for a person at a terminal (pino-pretty's own thread); JSON (one object a line)
    // for log collectors, written asynchronously so an unread stdout never blocks.
    ...(logs
      ? { stream: logs }
      : { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }),
  },
  metricsToken: config.metricsToken,
  publicUrl: config.publicUrl,
  hosts: config.hosts,
  trustProxy: config.trustProxy,
  rateLimit: { perKey: config.rateLimit, perIp: config.rateLimitIp, redisUrl: config.redisUrl },
});
const rootKeyNote = rootKeyDelivery && describeDelivery(rootKeyDelivery);
if (rootKeyNote) app.log.warn(rootKeyNote);
await app.listen({ port: config.port, host: config.host });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Exit 1 after 10 s; should the main thread be stuck then, the watchdog thread kills the process.
  startExitWatchdog(FORCED_EXIT_MS + 500);
  const force = setTimeout(() => process.exit(1), FORCED_EXIT_MS);
  force.unref();
  app.log.info({ signal }, 'shutting down: finishing in-flight requests');
  try {
    await app.close(); // stops accepting, waits for in-flight requests
    await runtime.close();
    if (logs) await flushLogs(logs, 1000);
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
