#!/usr/bin/env node
// The `roster` command runs the compiled CLI (dist/); in a source checkout it first builds dist/
// when it is missing or older than the sources (a digest check, about a millisecond per file).
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src', import.meta.url))) {
  const { ensureBuilt } = await import('../scripts/build-state.mjs');
  ensureBuilt();
}
await import('../dist/cli/main.js');
