import { InvalidArgumentError, type Command } from 'commander';
import { GENDERS, kindOf, USER_FIELD_NAMES, type UserFieldName } from '../domain/user-fields.ts';
import type { User, UserInput } from '../domain/user.ts';
import { parseFieldRef, parseSort, MAX_PAGE, type UserCondition } from '../domain/user-query.ts';
import { printJson, printRecord, printTable } from './output.ts';
import { collectPairs, oneOf, positiveInt, resolveTenant, TENANT_OPTION, tenantRef } from './options.ts';
import { ROOT, UsageError, withRuntime } from './run.ts';

/** `roster user list|show|create|update|delete`; one option per field of the user model. */

const kebab = (f: string) => f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function bool(v: string): boolean {
  if (v !== 'true' && v !== 'false') throw new InvalidArgumentError('must be true or false');
  return v === 'true';
}

/** The writable fields as options (`--first-name <value>`), from the model: a new field gets its option. */
const FIELD_OPTIONS = USER_FIELD_NAMES.filter((f) => kindOf(f) !== 'attributes');
type FieldOptions = Partial<Record<UserFieldName, string | boolean>>;

function withFieldOptions(c: Command): Command {
  for (const f of FIELD_OPTIONS) {
    const k = kindOf(f);
    if (k === 'flag') c.option(`--${kebab(f)} <bool>`, `${f} (true | false)`, bool);
    else if (k === 'gender') c.option(`--${kebab(f)} <gender>`, `${f} (${GENDERS.join(' | ')})`, oneOf(GENDERS));
    else c.option(`--${kebab(f)} <value>`, f);
  }
  return c
    .option(
      '--attr <name=value>',
      'a custom attribute (repeatable); the value is read as JSON when it is JSON (42, true, null removes it), else as text',
      collectPairs,
    )
    .option('--password-stdin', "read the user's password from the first line of stdin");
}

const attrValue = (v: string): unknown => {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

async function readPasswordFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  const password = text.split(/\r?\n/)[0];
  if (!password) throw new UsageError('--password-stdin: stdin gave no password');
  return password;
}

/** The options given → the user input they make (attributes merged into `base`). */
async function inputOf(
  o: FieldOptions & { attr?: [string, string][]; passwordStdin?: boolean; clear?: string[] },
  base: Record<string, unknown> = {},
): Promise<UserInput> {
  const input: Record<string, unknown> = {};
  for (const f of FIELD_OPTIONS) if (o[f] !== undefined) input[f] = o[f];
  for (const name of o.clear ?? []) {
    if (!(FIELD_OPTIONS as string[]).includes(name) || name === 'username')
      throw new UsageError(`--clear ${name}: not a field that can be cleared`);
    if (input[name] !== undefined) throw new UsageError(`--clear ${name} and --${kebab(name)} both given`);
    input[name] = null;
  }
  if (o.attr?.length) {
    const attributes = { ...base };
    for (const [k, v] of o.attr) {
      const value = attrValue(v);
      if (value === null) delete attributes[k];
      else attributes[k] = value;
    }
    input.attributes = attributes;
  }
  if (o.passwordStdin) input.password = await readPasswordFromStdin();
  return input as UserInput;
}

const LIST_COLUMNS = ['id', 'username', 'email', 'firstName', 'lastName', 'active', 'createdAt'] as const;

function show(u: User, json: boolean): void {
  if (json) printJson(u);
  else printRecord(u);
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description("a tenant's users");

  user
    .command('list')
    .description('a page of users (filters, search, sort)')
    .requiredOption(...TENANT_OPTION, tenantRef)
    .option('--search <text>', 'search username, email and names')
    .option('--filter <field=value>', 'exact match on a field or attr.<name> (repeatable)', collectPairs)
    .option('--sort <fields>', 'e.g. -createdAt,lastName')
    .option('--limit <n>', `users per page (at most ${MAX_PAGE})`, positiveInt, 50)
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--json', 'print JSON ({ items, nextCursor })')
    .action(
      (o: {
        tenant: string;
        search?: string;
        filter?: [string, string][];
        sort?: string;
        limit: number;
        cursor?: string;
        json?: boolean;
      }) =>
        withRuntime(async (rt) => {
          const t = await resolveTenant(rt.services, o.tenant);
          const filters: UserCondition[] = (o.filter ?? []).map(([k, v]) => ({
            op: 'eq',
            field: parseFieldRef(k),
            value: v,
          }));
          const page = await rt.services.users.list(ROOT, t.id, {
            limit: o.limit,
            cursor: o.cursor,
            q: o.search,
            sort: parseSort(o.sort),
            where: filters.length ? { op: 'and', items: filters } : undefined,
          });
          if (o.json) {
            printJson(page);
            return;
          }
          printTable(page.items, [...LIST_COLUMNS]);
          if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
        }),
    );

  user
    .command('show')
    .description('one user, every field and its groups')
    .argument('<id>', 'user id', positiveInt)
    .requiredOption(...TENANT_OPTION, tenantRef)
    .option('--json', 'print JSON')
    .action((id: number, o: { tenant: string; json?: boolean }) =>
      withRuntime(async (rt) => {
        const t = await resolveTenant(rt.services, o.tenant);
        show(await rt.services.users.getWithGroups(ROOT, t.id, id), !!o.json);
      }),
    );

  withFieldOptions(
    user
      .command('create')
      .description('a new user')
      .requiredOption(...TENANT_OPTION, tenantRef),
  )
    .option('--json', 'print JSON')
    .action(
      (o: FieldOptions & { tenant: string; json?: boolean; attr?: [string, string][]; passwordStdin?: boolean }) =>
        withRuntime(async (rt) => {
          const t = await resolveTenant(rt.services, o.tenant);
          show(await rt.services.users.create(ROOT, t.id, await inputOf(o)), !!o.json);
        }),
    );

  withFieldOptions(
    user
      .command('update')
      .description('change the fields given; the others stay')
      .argument('<id>', 'user id', positiveInt)
      .requiredOption(...TENANT_OPTION, tenantRef)
      .option('--clear <field>', 'set a field to empty (or its default) (repeatable)', (v, prev: string[] = []) => [
        ...prev,
        v,
      ]),
  )
    .option('--json', 'print JSON')
    .action(
      (
        id: number,
        o: FieldOptions & {
          tenant: string;
          json?: boolean;
          attr?: [string, string][];
          passwordStdin?: boolean;
          clear?: string[];
        },
      ) =>
        withRuntime(async (rt) => {
          const t = await resolveTenant(rt.services, o.tenant);
          const current = await rt.services.users.get(ROOT, t.id, id);
          const input = await inputOf(o, current.attributes);
          if (Object.keys(input).length === 0)
            throw new UsageError('nothing to change: give a field option (see roster user update --help)');
          // If-Match on the version read: a change made in between is reported, not overwritten.
          const u = await rt.services.users.patch(ROOT, t.id, id, input, { expectedVersion: current.version });
          show(u, !!o.json);
        }),
    );

  user
    .command('delete')
    .description('delete a user')
    .argument('<id>', 'user id', positiveInt)
    .requiredOption(...TENANT_OPTION, tenantRef)
    .action((id: number, o: { tenant: string }) =>
      withRuntime(async (rt) => {
        const t = await resolveTenant(rt.services, o.tenant);
        await rt.services.users.delete(ROOT, t.id, id);
        process.stderr.write(`user ${id} of tenant ${t.id} deleted\n`);
      }),
    );
}
