import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Argon2Cost } from '../src/services/argon2-pool.ts';

/**
 * One hashing thread: the same binding and call as Roster's argon2 workers (src/services/
 * argon2-worker.mjs), in a loop for the given time, at normal priority. CommonJS source, because an
 * eval'd worker is a script, not a module.
 */
const HASH_LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
const { hashSync, Algorithm } = require(workerData.binding);
const started = performance.now();
let hashes = 0;
do {
  hashSync('correct horse battery staple', { algorithm: Algorithm.Argon2id, ...workerData.cost });
  hashes++;
} while (performance.now() - started < workerData.ms);
parentPort.postMessage({ hashes, ms: performance.now() - started });
`;

export interface HashCeiling {
  threads: number;
  hashes: number;
  /** Hashes per second over all threads. */
  rps: number;
  /** Wall time of one hash on one thread (each thread has a core, so about its CPU time). */
  msPerHash: number;
}

/**
 * How many argon2id hashes per second this machine computes with one thread per core and nothing
 * else to do: no HTTP, no database, no load generator. A sign-up costs one hash, so this is the
 * most sign-ups per second the machine could answer.
 */
export async function hashCeiling(cost: Argon2Cost, seconds: number): Promise<HashCeiling> {
  const binding = createRequire(import.meta.url).resolve('@node-rs/argon2');
  const threads = availableParallelism();
  const runs = await Promise.all(
    Array.from({ length: threads }, () => {
      const w = new Worker(HASH_LOOP, { eval: true, workerData: { binding, cost, ms: seconds * 1000 } });
      return new Promise<{ hashes: number; ms: number }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }).finally(() => w.terminate());
    }),
  );
  const hashes = runs.reduce((n, r) => n + r.hashes, 0);
  const wallMs = Math.max(...runs.map((r) => r.ms));
  return { threads, hashes, rps: (hashes * 1000) / wallMs, msPerHash: runs.reduce((t, r) => t + r.ms, 0) / hashes };
}
