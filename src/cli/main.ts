import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerImportExport } from './import-export.ts';
import { registerBackup } from './backup.ts';
import { registerManagerCommands } from './manager-commands.ts';
import { registerTenantCommands } from './tenant-commands.ts';
import { registerUserCommands } from './user-commands.ts';
import { userErrorMessage, withRuntime } from './run.ts';

// src/cli/ and dist/cli/ are both two levels below package.json.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The settings the CLI reads, for `roster --help` (the README's Configuration table has them all). */
export const CLI_ENVIRONMENT: [name: string, meaning: string][] = [
  [
    'DATABASE_URL',
    "the server's database: the CLI works on it directly (default sqlite:./data/roster.db; postgres://user@host:5432/db)",
  ],
  ['ROSTER_ROOT_KEY', 'when set, the root key; `root-key rotate` then has nothing to rotate'],
  ['ROSTER_GENERATED_ROOT_KEY_FILE', 'where the root key of a new database goes when stderr is not a terminal'],
  ['ROSTER_ARGON2_MEMORY_KIB, ROSTER_ARGON2_TIME', 'the password hash cost (user create/update, import)'],
  ['ROSTER_SECRET_KEY', 'the key webhook secrets are encrypted with'],
];

const ENV_HELP = [
  '',
  'Environment (each secret also as NAME_FILE=<path>, read from that file):',
  ...CLI_ENVIRONMENT.map(([name, meaning]) => `  ${name}\n      ${meaning}`),
  '',
  'Tenants are named by id or license code (--tenant 3, --tenant acme). Errors print one line and exit 1.',
].join('\n');

export const program = new Command('roster')
  .description('Roster: a self-hosted user & account directory')
  .version(version)
  .showSuggestionAfterError()
  .configureOutput({ outputError: (s, write) => write(`roster: ${s.replace(/^error: /, '')}`) })
  .addHelpText('after', ENV_HELP);

program
  .command('migrate')
  .description('apply database migrations (also done at every start)')
  .action(() =>
    withRuntime(async () => {
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

registerTenantCommands(program);
registerManagerCommands(program);
registerUserCommands(program);
registerImportExport(program);
registerBackup(program, withRuntime);

/** A reader that stopped reading (`roster export … | head`) is not an error: stop quietly. */
export const isClosedPipe = (e: unknown) =>
  (e as { code?: string } | null)?.code === 'EPIPE' ||
  (e as { code?: string } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE';

process.stdout.on('error', (e) => {
  if (isClosedPipe(e)) process.exit(0);
  throw e;
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (isClosedPipe(e)) process.exit(0);
  const line = userErrorMessage(e);
  if (line === null) throw e; // a bug: its stack trace helps
  process.stderr.write(`roster: ${line}\n`);
  process.exitCode = 1;
}
