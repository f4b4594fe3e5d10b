import { InvalidArgumentError, type Command } from 'commander';
import type { Tenant, TenantSettings } from '../domain/tenant.ts';
import type { Services } from '../services/services.ts';
import { printJson, printRecord, printTable } from './output.ts';
import { positiveInt, resolveTenant, tenantRef } from './options.ts';
import { ROOT, UsageError, withRuntime } from './run.ts';

/** `roster tenant list|show|create|update|delete`. */

const PAGE = 500;

function bool(v: string): boolean {
  if (v !== 'true' && v !== 'false') throw new InvalidArgumentError('must be true or false');
  return v === 'true';
}

interface SettingsOptions {
  publicSignup?: boolean;
  passwordMinLength?: number;
}

const settingsOf = (o: SettingsOptions): Partial<TenantSettings> | undefined => {
  const s: Partial<TenantSettings> = {};
  if (o.publicSignup !== undefined) s.publicSignup = o.publicSignup;
  if (o.passwordMinLength !== undefined) s.passwordMinLength = o.passwordMinLength;
  return Object.keys(s).length ? s : undefined;
};

const withSettings = (c: Command) =>
  c
    .option('--public-signup <bool>', 'anyone may sign up through /rest/users (true | false)', bool)
    .option('--password-min-length <n>', "minimum length of users' passwords", positiveInt);

/** Readable: the settings as columns of their own. */
const flat = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  licenseCode: t.licenseCode,
  publicSignup: t.settings.publicSignup,
  passwordMinLength: t.settings.passwordMinLength,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});

function show(t: Tenant, json: boolean): void {
  if (json) printJson(t);
  else printRecord(flat(t));
}

async function allTenants(services: Services): Promise<Tenant[]> {
  const all: Tenant[] = [];
  for (let afterId = 0; ;) {
    const page = await services.tenants.list(ROOT, { afterId, limit: PAGE });
    all.push(...page);
    if (page.length < PAGE) return all;
    afterId = page[page.length - 1].id;
  }
}

export function registerTenantCommands(program: Command): void {
  const tenant = program.command('tenant').description('tenants (customer accounts)');

  tenant
    .command('list')
    .description('every tenant')
    .option('--json', 'print JSON (an array)')
    .action((o: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const all = await allTenants(rt.services);
        if (o.json) printJson(all);
        else printTable(all.map(flat), ['id', 'name', 'licenseCode', 'publicSignup', 'passwordMinLength', 'createdAt']);
      }),
    );

  tenant
    .command('show')
    .description('one tenant and its settings')
    .argument('<tenant>', 'tenant id or license code', tenantRef)
    .option('--json', 'print JSON')
    .action((ref: string, o: { json?: boolean }) =>
      withRuntime(async (rt) => show(await resolveTenant(rt.services, ref), !!o.json)),
    );

  withSettings(
    tenant
      .command('create')
      .description('a new tenant')
      .requiredOption('--name <name>', 'tenant name')
      .option('--license <code>', 'license code (generated when absent)'),
  )
    .option('--json', 'print JSON')
    .action((o: { name: string; license?: string; json?: boolean } & SettingsOptions) =>
      withRuntime(async (rt) => {
        const t = await rt.services.tenants.create(ROOT, {
          name: o.name,
          licenseCode: o.license,
          settings: settingsOf(o),
        });
        show(t, !!o.json);
      }),
    );

  withSettings(
    tenant
      .command('update')
      .description("change a tenant's name, license code or settings")
      .argument('<tenant>', 'tenant id or license code', tenantRef)
      .option('--name <name>', 'new name')
      .option('--license <code>', 'new license code (clients that use the old one stop working)'),
  )
    .option('--json', 'print JSON')
    .action((ref: string, o: { name?: string; license?: string; json?: boolean } & SettingsOptions) =>
      withRuntime(async (rt) => {
        const settings = settingsOf(o);
        if (o.name === undefined && o.license === undefined && !settings)
          throw new UsageError('nothing to change: give --name, --license, --public-signup or --password-min-length');
        const current = await resolveTenant(rt.services, ref);
        const t = await rt.services.tenants.update(ROOT, current.id, {
          name: o.name,
          licenseCode: o.license,
          settings,
        });
        show(t, !!o.json);
      }),
    );

  tenant
    .command('delete')
    .description('delete a tenant with all its users, managers and keys')
    .argument('<tenant>', 'tenant id or license code', tenantRef)
    .option('--yes', 'really delete (required: nothing of the tenant can be recovered)')
    .action((ref: string, o: { yes?: boolean }) =>
      withRuntime(async (rt) => {
        const t = await resolveTenant(rt.services, ref);
        if (!o.yes)
          throw new UsageError(
            `deleting tenant ${t.id} (${t.name}) removes all its users, managers and keys: add --yes to confirm`,
          );
        await rt.services.tenants.delete(ROOT, t.id);
        process.stderr.write(`tenant ${t.id} (${t.licenseCode}) deleted\n`);
      }),
    );
}
