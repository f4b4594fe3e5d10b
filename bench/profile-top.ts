/**
 * `npx tsx bench/profile-top.ts <file.cpuprofile> [rows]`: the functions with the most self time and
 * the most total (inclusive) time in a V8 CPU profile written by `npm run bench -- --cpu-prof`.
 * A text flame graph for terminals; open the file in Chrome DevTools or speedscope for the picture.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile-top.ts <file.cpuprofile> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: Node) => {
  const url = n.callFrame.url.replace(/^.*\/node_modules\//, '~/').replace(/^file:\/\/.*\/main\//, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};

const total = prof.nodes.reduce((a, n) => a + n.hitCount, 0);
const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const n of prof.nodes) {
  if (!n.hitCount) continue;
  const l = label(n);
  self.set(l, (self.get(l) ?? 0) + n.hitCount);
  // Inclusive: count each distinct frame once per sample stack.
  const seen = new Set<string>();
  for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
    const f = label(byId.get(id)!);
    if (seen.has(f)) continue;
    seen.add(f);
    incl.set(f, (incl.get(f) ?? 0) + n.hitCount);
  }
}

const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (of ${total} samples)`);
  for (const [l, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, rows))
    console.log(`${((100 * c) / total).toFixed(1).padStart(5)}%  ${l}`);
};
show('self time', self);
show('total time', incl);
