import { Worker } from 'node:worker_threads';
import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';

export interface Argon2Cost {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export type Argon2Job = { kind: 'hash'; password: string } | { kind: 'verify'; stored: string; password: string };

interface Pending {
  job: Argon2Job;
  resolve(value: unknown): void;
  reject(err: Error): void;
  settled: boolean;
  /** Waited longer than rescueAfterMs(): may run on the normal-priority lane as well. */
  overdue: boolean;
  rescued: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Niced workers make progress only on idle CPU. When other processes keep every core busy, a job
 * waiting ~100 hashes' worth of time also runs on libuv's pool at normal priority (on at most half
 * the cores, see rescueLanes); the first answer wins. At OWASP's cost (~10 ms a hash) that is the
 * 1 s the bench settled on: sign-ups finish in ~0.1–0.5 s even while GETs saturate the event loop
 * (at 250 ms, rescues raised GET p99 8×). Cheap hashes (tests, low cost settings) are rescued
 * sooner, down to 50 ms: with a fixed 1 s, every cheap hash on a busy machine waited the whole
 * second.
 */
const RESCUE_AFTER_HASHES = 100;
const RESCUE_MIN_MS = 50;
const RESCUE_MAX_MS = 1000;

interface Slot {
  worker: Worker;
  ready: boolean;
  current: Pending | null;
}

type WorkerMessage = { ready: true; niced: boolean } | { result: unknown; ms: number } | { error: string };

const WORKER_URL = new URL('./argon2-worker.mjs', import.meta.url);

/**
 * Runs argon2 on `size` worker threads that lower their own OS priority (nice 19), so hashing can
 * use every core without taking CPU from the event loop. Where a worker cannot lower its priority
 * (not Linux, or refused), at most `unnicedLimit` hashes run at once, leaving a core to the loop.
 * Workers start on first use and hold the process open only while they have a job.
 */
export class Argon2Pool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private limit: number;
  private allNiced = true;
  private closed = false;
  /** Unsettled jobs, oldest first. */
  private readonly pending = new Set<Pending>();
  private rescuing = 0;
  /** The quickest hash seen (ms): what one costs here without contention. */
  private hashMs = Infinity;
  /**
   * Rescued hashes at once: half the workers, at least one. Rescues run at normal priority, beside
   * the niced workers still holding their jobs: one per core raised peak RSS by another 19 MiB per
   * core (each hash holds its memory cost) and took the event loop's core too.
   */
  private readonly rescueLanes: number;

  constructor(
    private readonly cost: Argon2Cost,
    private readonly size: number,
    private readonly unnicedLimit: number,
  ) {
    // Until the workers report their priority, run no more than the un-niced limit.
    this.limit = Math.min(size, unnicedLimit);
    this.rescueLanes = Math.max(1, Math.floor(size / 2));
  }

  /** Told the time of every hash or verification computed (for /metrics). */
  onComputed?: (kind: Argon2Job['kind'], ms: number) => void;

  /** Jobs waiting for a worker, and jobs being computed (for /metrics). */
  depth(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.busy() + this.rescuing };
  }

  run(job: Argon2Job): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('password hasher is closed'));
    return new Promise((resolve, reject) => {
      const p: Pending = { job, resolve, reject, settled: false, overdue: false, rescued: false };
      p.timer = setTimeout(() => {
        p.overdue = true;
        this.rescue();
      }, this.rescueAfterMs()).unref();
      this.pending.add(p);
      this.queue.push(p);
      this.pump();
    });
  }

  /** Stops the workers; jobs still queued or running are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('password hasher is closed');
    this.queue.length = 0;
    for (const p of [...this.pending]) this.settle(p, err);
    const slots = this.slots.splice(0);
    // Not awaited: terminate() waits for a hash already running in native code, which at nice 19 on
    // a busy machine can take seconds; unref'd, the workers do not hold the process open meanwhile.
    for (const s of slots) {
      s.worker.unref();
      s.worker.terminate().catch(() => {});
    }
  }

  private rescueAfterMs(): number {
    if (!Number.isFinite(this.hashMs)) return RESCUE_MAX_MS;
    return Math.min(RESCUE_MAX_MS, Math.max(RESCUE_MIN_MS, RESCUE_AFTER_HASHES * this.hashMs));
  }

  private pump(): void {
    while (this.slots.length < this.size && this.slots.length < this.queue.length + this.busy()) this.spawn();
    for (const slot of this.slots) {
      if (this.queue.length === 0 || this.busy() >= this.limit) return;
      if (slot.current || !slot.ready) continue;
      const next = this.queue.shift()!;
      if (next.settled) continue;
      slot.current = next;
      slot.worker.ref(); // keeps the process alive until the answer arrives
      slot.worker.postMessage(next.job);
    }
  }

  private busy(): number {
    let n = 0;
    for (const s of this.slots) if (s.current) n++;
    return n;
  }

  private spawn(): void {
    // execArgv []: the worker is plain JavaScript; tsx's loader, inherited, kept the process alive.
    const worker = new Worker(WORKER_URL, { workerData: { cost: this.cost }, execArgv: [] });
    const slot: Slot = { worker, ready: false, current: null };
    this.slots.push(slot);
    worker.unref();
    worker.on('message', (msg: WorkerMessage) => {
      if ('ready' in msg) {
        slot.ready = true;
        if (!msg.niced) this.allNiced = false;
        this.limit =
          this.allNiced && this.slots.every((s) => s.ready) ? this.size : Math.min(this.size, this.unnicedLimit);
      } else {
        const done = slot.current;
        slot.current = null;
        if ('ms' in msg) {
          this.hashMs = Math.min(this.hashMs, msg.ms);
          if (done && !done.settled) this.onComputed?.(done.job.kind, msg.ms); // a rescue may have answered first
        }
        worker.unref();
        if (done)
          this.settle(
            done,
            'error' in msg ? new Error(msg.error) : undefined,
            'result' in msg ? msg.result : undefined,
          );
      }
      this.pump();
    });
    // A worker that dies (out of memory, a bug) fails its job only; a new one is started on demand.
    const drop = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      if (slot.current) this.settle(slot.current, err);
      slot.current = null;
      // A worker that cannot even start would fail the same way again: fail the queue instead.
      if (!slot.ready) for (const p of this.queue.splice(0)) this.settle(p, err);
      if (!this.closed) this.pump();
    };
    worker.on('error', drop);
    worker.on('exit', (code) => drop(new Error(`argon2 worker exited (code ${code})`)));
  }

  private settle(p: Pending, err: Error | undefined, result?: unknown): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    this.pending.delete(p);
    if (err) p.reject(err);
    else p.resolve(result);
  }

  /** Runs overdue jobs, oldest first, on libuv's pool at normal priority (see RESCUE_AFTER_HASHES). */
  private rescue(): void {
    if (this.closed || !this.allNiced) return;
    for (const p of this.pending) {
      if (this.rescuing >= this.rescueLanes) return;
      if (!p.overdue || p.rescued) continue;
      p.rescued = true;
      const i = this.queue.indexOf(p);
      if (i >= 0) this.queue.splice(i, 1);
      this.rescuing++;
      const started = performance.now();
      const work =
        p.job.kind === 'hash'
          ? argonHash(p.job.password, { algorithm: Algorithm.Argon2id, ...this.cost })
          : argonVerify(p.job.stored, p.job.password);
      work
        .then(
          (result) => {
            const ms = performance.now() - started;
            this.hashMs = Math.min(this.hashMs, ms);
            if (!p.settled) this.onComputed?.(p.job.kind, ms);
            this.settle(p, undefined, result);
          },
          (e: unknown) => this.settle(p, e instanceof Error ? e : new Error(String(e))),
        )
        .finally(() => {
          this.rescuing--;
          this.rescue();
        });
    }
  }
}
