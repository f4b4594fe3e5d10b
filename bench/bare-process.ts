import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../test/support/process.ts';
import { ROOT_DIR, watchServer, type Server } from './roster-process.ts';

/** bench/bare-server.ts as its own process on the database Roster serves (see that file). */
export async function startBareServer(databaseUrl: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT_DIR, 'bench', 'bare-server.ts')], {
    cwd: ROOT_DIR,
    env: { ...process.env, BARE_DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watchServer(child, `http://127.0.0.1:${port}`, 'bare server');
}
