import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR, runToExit, spawnRoster } from './support/process.ts';

// A copy of the checkout (sources, scripts, package files) in a temp folder, so building and breaking
// it leaves the real dist/ alone.
const COPIED = ['src', 'console', 'client', 'scripts', 'bin', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
/** What only development needs: the compiled server and CLI must run without any of it. */
const DEV_ONLY = new Set(['typescript', 'tsx', 'esbuild', '@esbuild', 'vitest', '.bin']);

let dir: string;
const build = () =>
  execFileSync(process.execPath, ['scripts/build-state.mjs', '--ensure'], { cwd: dir, stdio: 'pipe' });
const mtime = (f: string) => statSync(join(dir, f)).mtimeMs;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'roster-build-'));
  for (const f of COPIED) cpSync(join(ROOT_DIR, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT_DIR, 'node_modules'), join(dir, 'node_modules'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('build once, run compiled', () => {
  it('builds dist/ when it is missing, keeps it while the sources are unchanged, rebuilds after an edit', () => {
    build();
    expect(readFileSync(join(dir, 'dist/main.js'), 'utf8')).toMatch(/from "\.\/config\.js"/);
    expect(statSync(join(dir, 'dist/services/argon2-worker.mjs')).isFile()).toBe(true);
    const first = mtime('dist/main.js');
    build();
    expect(mtime('dist/main.js')).toBe(first);
    appendFileSync(join(dir, 'src/config.ts'), '\nexport const BUILD_PROBE = 1;\n');
    build();
    expect(readFileSync(join(dir, 'dist/config.js'), 'utf8')).toContain('BUILD_PROBE');
  });

  it('the compiled server and CLI run without TypeScript, tsx or esbuild installed', async () => {
    build();
    // As in the container image: no sources, only production packages.
    rmSync(join(dir, 'src'), { recursive: true });
    rmSync(join(dir, 'node_modules'));
    mkdirSync(join(dir, 'node_modules'));
    for (const name of readdirSync(join(ROOT_DIR, 'node_modules')))
      if (!DEV_ONLY.has(name)) symlinkSync(join(ROOT_DIR, 'node_modules', name), join(dir, 'node_modules', name));
    const data = join(dir, 'data');
    const env = { DATABASE_URL: `sqlite:${join(data, 'roster.db')}` };

    const server = await spawnRoster(env, 30_000, { cwd: dir, args: ['dist/main.js'] });
    try {
      const ready = await fetch(`${server.base}/ready`);
      expect(ready.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const cli = await runToExit('cli', ['--version'], {}, dir);
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    expect(cli.stdout.trim()).toBe(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version);
  });
});
