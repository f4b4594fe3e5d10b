// Compiles src/ to dist/ file by file (the server and the CLI) with esbuild: types are erased, `.ts`
// imports become `.js`, other files (the argon2 worker) are copied. Type-checking is `npm run typecheck`.
import { build } from 'esbuild';
import { cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const out = join(root, 'dist');

const files = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((f) => f.isFile())
  .map((f) => join(f.parentPath, f.name));

// Bundling with every import external is how esbuild rewrites import paths: each file stays a module.
const relativeImportsAsJs = {
  name: 'relative-imports-as-js',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.ts$/, '.js'), external: true },
    );
  },
};

await build({
  entryPoints: files.filter((f) => f.endsWith('.ts')),
  outdir: out,
  outbase: src,
  bundle: true,
  packages: 'external',
  plugins: [relativeImportsAsJs],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
for (const f of files.filter((f) => f.endsWith('.mjs'))) cpSync(f, join(out, relative(src, f)));
