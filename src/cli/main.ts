import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { deliverGeneratedRootKey, describeDelivery } from '../root-key-output.ts';
import { startRuntime, type Runtime } from '../runtime.ts';
import { isDomainError } from '../domain/errors.ts';
import { registerImportExport } from './import-export.ts';
import { registerBackup } from './backup.ts';

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
}

/** Runs fn against the configured database, printing domain errors as one line and exiting 1. */
async function withRuntime(fn: (rt: Runtime, config: Config) => Promise<void>): Promise<void> {
  let rt: Runtime | undefined;
  try {
    const config = loadConfig();
    rt = await startRuntime(config);
    await fn(rt, config);
  } catch (e) {
    if (e instanceof ConfigError || isDomainError(e)) {
      console.error(`roster: ${e.message}`);
      process.exitCode = 1;
    } else throw e;
  } finally {
    await rt?.close();
  }
}

const json = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + '\n');

// src/cli/ and dist/cli/ are both two levels below package.json.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const program = new Command('roster')
  .description('Roster: a self-hosted user & account directory')
  .version(version);

program
  .command('migrate')
  .description('apply database migrations (also done at every start)')
  .action(() =>
    withRuntime(async (rt, config) => {
      if (rt.generatedRootKey) {
        const note = describeDelivery(deliverGeneratedRootKey(rt.generatedRootKey, config.generatedRootKeyFile));
        if (note) console.error(`roster: ${note}`);
      }
      console.log('migrations applied');
    }),
  );

program
  .command('root-key')
  .description('the root key (acts on every tenant)')
  .command('rotate')
  .description('print a new root key; the old one stops working in every running Roster (not with ROSTER_ROOT_KEY set)')
  .action(() =>
    withRuntime(async (rt) => {
      process.stdout.write(`${await rt.services.auth.rotateRoot()}\n`);
    }),
  );

const tenant = program.command('tenant').description('tenants (customer accounts)');
tenant
  .command('create')
  .requiredOption('--name <name>', 'tenant name')
  .option('--license <code>', 'license code (generated when absent)')
  .action((o: { name: string; license?: string }) =>
    withRuntime(async (rt) => {
      const t = await rt.services.tenants.createUnchecked({ name: o.name, licenseCode: o.license });
      json({ id: t.id, name: t.name, licenseCode: t.licenseCode, createdAt: t.createdAt, updatedAt: t.updatedAt });
    }),
  );

const manager = program.command('manager').description('managers and their API keys');
manager
  .command('create')
  .requiredOption('--tenant <id>', 'tenant id', positiveInt)
  .requiredOption('--name <name>', 'manager name')
  .requiredOption('--email <email>', 'manager email')
  .requiredOption('--role <role>', 'owner | admin | editor | viewer')
  .action((o: { tenant: number; name: string; email: string; role: string }) =>
    withRuntime(async (rt) => {
      const { manager: m, apiKey } = await rt.services.managers.createUnchecked(o.tenant, {
        name: o.name,
        email: o.email,
        role: o.role,
      });
      json({
        id: m.id,
        tenantId: m.tenantId,
        name: m.name,
        email: m.email,
        role: m.role,
        apiKey,
        createdAt: m.createdAt,
      });
    }),
  );

registerImportExport(program, withRuntime);
registerBackup(program, withRuntime);

await program.parseAsync(process.argv);
