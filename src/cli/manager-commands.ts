import type { Command } from 'commander';
import type { Manager } from '../domain/manager.ts';
import { ROLES } from '../domain/privileges.ts';
import type { Runtime } from '../runtime.ts';
import { printJson, printRecord, printTable } from './output.ts';
import { oneOf, positiveInt, resolveTenant, TENANT_OPTION, tenantRef } from './options.ts';
import { ROOT, UsageError, withRuntime } from './run.ts';

/** `roster manager list|create|update|delete|rotate-key`. */

const PAGE = 500;
const ROLE_HELP = ROLES.join(' | ');

/** A manager by id; with --tenant, it must be one of that tenant's (a guard against a mistyped id). */
async function managerIn(rt: Runtime, id: number, tenant: string | undefined): Promise<Manager> {
  const m = await rt.services.managers.get(ROOT, id);
  if (tenant !== undefined) {
    const t = await resolveTenant(rt.services, tenant);
    if (m.tenantId !== t.id)
      throw new UsageError(`manager ${id} is not a manager of tenant ${t.id} (${t.licenseCode})`);
  }
  return m;
}

/** The new key goes to stdout alone (easy to capture); what it belongs to goes to stderr. */
function printKey(m: Manager, apiKey: string, json: boolean): void {
  if (json) printJson({ ...m, apiKey });
  else {
    process.stderr.write(`manager ${m.id} (${m.email}, ${m.role}) of tenant ${m.tenantId}; API key, shown once:\n`);
    process.stdout.write(`${apiKey}\n`);
  }
}

export function registerManagerCommands(program: Command): void {
  const manager = program.command('manager').description('managers and their API keys');

  manager
    .command('list')
    .description("a tenant's managers")
    .requiredOption(...TENANT_OPTION, tenantRef)
    .option('--json', 'print JSON (an array)')
    .action((o: { tenant: string; json?: boolean }) =>
      withRuntime(async (rt) => {
        const t = await resolveTenant(rt.services, o.tenant);
        const all: Manager[] = [];
        for (let afterId = 0; ;) {
          const page = await rt.services.managers.list(ROOT, t.id, { afterId, limit: PAGE });
          all.push(...page);
          if (page.length < PAGE) break;
          afterId = page[page.length - 1].id;
        }
        if (o.json) printJson(all);
        else printTable(all, ['id', 'name', 'email', 'role', 'hasPassword', 'createdAt']);
      }),
    );

  manager
    .command('create')
    .description('a new manager; prints its API key once')
    .requiredOption(...TENANT_OPTION, tenantRef)
    .requiredOption('--name <name>', 'manager name')
    .requiredOption('--email <email>', 'manager email')
    .requiredOption('--role <role>', ROLE_HELP, oneOf(ROLES))
    .option('--json', 'print JSON (the manager with apiKey)')
    .action((o: { tenant: string; name: string; email: string; role: string; json?: boolean }) =>
      withRuntime(async (rt) => {
        const t = await resolveTenant(rt.services, o.tenant);
        const { manager: m, apiKey } = await rt.services.managers.create(ROOT, t.id, {
          name: o.name,
          email: o.email,
          role: o.role,
        });
        printKey(m, apiKey, !!o.json);
      }),
    );

  manager
    .command('update')
    .description("change a manager's name, email or role")
    .argument('<id>', 'manager id', positiveInt)
    .option(...TENANT_OPTION, tenantRef)
    .option('--name <name>', 'new name')
    .option('--email <email>', 'new email')
    .option('--role <role>', ROLE_HELP, oneOf(ROLES))
    .option('--json', 'print JSON')
    .action((id: number, o: { tenant?: string; name?: string; email?: string; role?: string; json?: boolean }) =>
      withRuntime(async (rt) => {
        if (o.name === undefined && o.email === undefined && o.role === undefined)
          throw new UsageError('nothing to change: give --name, --email or --role');
        await managerIn(rt, id, o.tenant);
        const m = await rt.services.managers.update(ROOT, id, { name: o.name, email: o.email, role: o.role });
        if (o.json) printJson(m);
        else printRecord(m);
      }),
    );

  manager
    .command('delete')
    .description('delete a manager (its key stops working at once)')
    .argument('<id>', 'manager id', positiveInt)
    .option(...TENANT_OPTION, tenantRef)
    .action((id: number, o: { tenant?: string }) =>
      withRuntime(async (rt) => {
        const m = await managerIn(rt, id, o.tenant);
        await rt.services.managers.delete(ROOT, id);
        process.stderr.write(`manager ${m.id} (${m.email}) deleted\n`);
      }),
    );

  manager
    .command('rotate-key')
    .description('issue a new API key; the old one stops working at once')
    .argument('<id>', 'manager id', positiveInt)
    .option(...TENANT_OPTION, tenantRef)
    .option('--json', 'print JSON (the manager with apiKey)')
    .action((id: number, o: { tenant?: string; json?: boolean }) =>
      withRuntime(async (rt) => {
        await managerIn(rt, id, o.tenant);
        const { manager: m, apiKey } = await rt.services.managers.rotateKey(ROOT, id);
        printKey(m, apiKey, !!o.json);
      }),
    );
}
