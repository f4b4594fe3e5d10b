// One argon2 worker thread of PasswordHasher's pool (src/services/argon2-pool.ts). Plain JavaScript
// on purpose: a worker does not inherit tsx's loader under bin/roster.js (register()) or vitest, so
// a .ts entry would not load there.
import { hashSync, verifySync, Algorithm } from '@node-rs/argon2';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Lowers this thread alone to nice 19, so the event loop thread (nice 0) gets the CPU whenever it
 * has work and hashing uses only idle CPU. Linux only: /proc/thread-self names this thread's id.
 */
function lowerOwnPriority() {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0 || tid === process.pid) return false;
    setPriority(tid, 19);
    return true;
  } catch {
    return false;
  }
}

const { cost } = workerData;
parentPort.postMessage({ ready: true, niced: lowerOwnPriority() });

// The sync calls on purpose: the async ones would run on libuv's pool, not on this (niced) thread.
parentPort.on('message', (job) => {
  try {
    const started = performance.now();
    const result =
      job.kind === 'hash'
        ? hashSync(job.password, { algorithm: Algorithm.Argon2id, ...cost })
        : verifySync(job.stored, job.password);
    parentPort.postMessage({ result, ms: performance.now() - started });
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
