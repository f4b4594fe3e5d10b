// Builds the admin console (console/) into dist/console with Vite, then prints the gzipped size of
// what the first page loads (the entry's JS and CSS and their static imports) and fails past 250 KB.
import { build } from 'vite';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIMIT_KB = 250;
// A production bundle whoever runs the build: the test runner's NODE_ENV=test would make Vite ship
// React's development build (~60 KB more gzipped) and fail the size check.
process.env.NODE_ENV = 'production';
const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'console');

await build({ configFile: join(root, 'console', 'vite.config.ts') });

const manifest = JSON.parse(readFileSync(join(out, '.vite', 'manifest.json'), 'utf8'));
const files = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || files.has(chunk.file)) return;
  files.add(chunk.file);
  for (const css of chunk.css ?? []) files.add(css);
  for (const imp of chunk.imports ?? []) visit(imp);
};
visit('index.html');
let total = 0;
for (const f of files) total += gzipSync(readFileSync(join(out, f))).length;
const kb = total / 1024;
console.log(`console: first page ${files.size} files, ${kb.toFixed(1)} KB gzipped (JS+CSS; limit ${LIMIT_KB} KB)`);
if (kb > LIMIT_KB) {
  console.error(`console: the first page is over ${LIMIT_KB} KB gzipped: lazy-load more of it`);
  process.exit(1);
}
