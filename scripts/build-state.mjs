// Whether dist/ was built from the sources as they are now, and building it when not: `npm start`
// (prestart), the `roster` CLI and the test setup call ensureBuilt(); `npm run build` ends by stamping.
// The stamp is a digest of the build's inputs' contents, so a checkout or an edit is seen, a touch is not.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(root, 'dist', '.build-stamp');
const LOCK = join(root, '.build-lock');

/** What `npm run build` reads: add a folder or file here when the build script gains a step. */
export const BUILD_INPUTS = [
  'src',
  'console',
  'client/src',
  'scripts',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
];

function digestOfInputs() {
  const h = createHash('sha256');
  for (const input of BUILD_INPUTS) {
    const p = join(root, input);
    if (!existsSync(p)) continue;
    const files = statSync(p).isDirectory()
      ? readdirSync(p, { recursive: true, withFileTypes: true })
          .filter((f) => f.isFile())
          .map((f) => join(f.parentPath, f.name))
          .sort()
      : [p];
    for (const f of files) h.update(f.slice(root.length)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

/** A source checkout builds; an installed copy without sources (a container image) runs dist as it is. */
export const hasSources = () => existsSync(join(root, 'src'));

export function isFresh() {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digestOfInputs();
}

export function stamp() {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(STAMP, digestOfInputs());
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `npm run build` when dist/ is missing or stale; concurrent callers wait for one build. */
export function ensureBuilt() {
  if (!hasSources() || isFresh()) return;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another process is building; a lock older than two minutes belongs to a dead one.
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs > 120_000)
        rmSync(LOCK, { force: true, recursive: true });
      sleep(100);
      if (isFresh()) return;
    }
  }
  try {
    if (isFresh()) return;
    const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], {
      cwd: root,
      stdio: ['ignore', 2, 2],
    });
    if (r.status !== 0) {
      console.error('roster: the build failed (npm run build)');
      process.exit(1);
    }
  } finally {
    rmSync(LOCK, { force: true, recursive: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--stamp') stamp();
  else if (process.argv[2] === '--ensure') ensureBuilt();
  else {
    console.error('usage: node scripts/build-state.mjs --stamp | --ensure');
    process.exit(2);
  }
}
