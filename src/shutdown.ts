import sonicBoom, { type SonicBoom } from 'sonic-boom';

import { Worker } from 'node:worker_threads';

// CommonJS module.exports = the class; its types declare it as a named export.
const Boom = sonicBoom as unknown as typeof SonicBoom;

/** How long a shutdown may take before the process is made to exit (1). */
export const FORCED_EXIT_MS = 10_000;
/** Log lines held while stdout does not take them; past this, new lines are dropped rather than block or grow. */
const LOG_BUFFER_MAX = 16 * 1024 * 1024;

/**
 * stdout for the logger, written asynchronously: a reader that stops reading (a full pipe) never
 * blocks requests or shutdown, where pino's default synchronous destination retries forever.
 * It is not registered for a synchronous flush at exit, which would block the same way.
 */
export function logDestination(fd = 1): SonicBoom {
  const dest = new Boom({ fd, sync: false, maxLength: LOG_BUFFER_MAX });
  dest.on('error', () => {}); // the reader is gone (EPIPE): nothing is left to tell
  return dest;
}

/** Writes out what the logger holds, waiting at most `ms` (a stuck reader must not hold the exit). */
export function flushLogs(dest: SonicBoom, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    try {
      dest.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * Kills the process after `ms` from a thread of its own: it fires even when the main thread is
 * blocked (a stuck write, a busy loop), which a timer on the main event loop cannot.
 */
export function startExitWatchdog(ms: number): Worker {
  const w = new Worker(`setTimeout(() => process.kill(${process.pid}, 'SIGKILL'), ${Math.max(0, Math.floor(ms))});`, {
    eval: true,
  });
  w.unref();
  return w;
}
