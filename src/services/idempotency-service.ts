import { createHash } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { invalid, StoreUnavailable, uniqueViolation } from '../domain/errors.ts';

/** A write that may be retried: its x-request-id, and what it asks (a retry must ask the same). */
export interface IdempotentRequest {
  id: string;
  /** Method and path, e.g. `POST /v1/accounts/acme/users`. */
  scope: string;
  payload: unknown;
}

/** What a write answered: status and JSON body, replayed verbatim to a retry. */
export interface Answer {
  status: number;
  body: unknown;
}

/** How long an answer is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const PURGE_EVERY_MS = 60_000;
const ATTEMPTS = 5;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A busy or locked database, which the next attempt may find free. */
const busy = (e: unknown) => e instanceof StoreUnavailable && e.contention;

/**
 * Runs a write in one transaction, at most once per (tenant, request id): the answer is stored in
 * the same transaction as the write's effects, so a retry (from any process, even concurrent with
 * the first attempt) gets the stored answer and records nothing. Failed writes store nothing, so
 * their retry is evaluated afresh.
 */
export class IdempotencyService {
  private lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `retryable` names errors after which the whole transaction is worth running again (a
   * concurrent writer won a race the next attempt will see settled).
   */
  async run(
    tenantId: number,
    request: IdempotentRequest | undefined,
    work: (tx: Store) => Promise<Answer>,
    opts: { retryable?: (e: unknown) => boolean } = {},
  ): Promise<Answer & { replayed: boolean }> {
    if (request && !REQUEST_ID.test(request.id)) {
      throw invalid(
        'request_id.invalid',
        'x-request-id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -',
        'x-request-id',
      );
    }
    const fingerprint = request
      ? createHash('sha256')
          .update(`${request.scope}\n${JSON.stringify(request.payload ?? null)}`)
          .digest('hex')
      : '';
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.store.transaction(async (tx) => {
          const now = this.now();
          if (request) {
            const prior = await tx.idempotency.find(tenantId, request.id);
            if (prior && prior.createdAt > now - IDEMPOTENCY_TTL_MS) {
              if (prior.fingerprint !== fingerprint) {
                throw invalid(
                  'request_id.reused',
                  `x-request-id "${request.id}" was already used for a different request`,
                  'x-request-id',
                );
              }
              return { status: prior.status, body: JSON.parse(prior.body) as unknown, replayed: true };
            }
            if (prior) await tx.idempotency.delete(tenantId, request.id); // expired: the id is free again
            await tx.idempotency.claim(tenantId, request.id, fingerprint, now);
          }
          const answer = await work(tx);
          if (request)
            await tx.idempotency.complete(tenantId, request.id, {
              status: answer.status,
              body: JSON.stringify(answer.body),
            });
          return { ...answer, replayed: false };
        });
        if (request) await this.purgeIfDue();
        return out;
      } catch (e) {
        // A unique violation here is a concurrent duplicate's claim committing first: look again.
        if (attempt < ATTEMPTS && (uniqueViolation(e) !== null || busy(e) || opts.retryable?.(e))) continue;
        throw e;
      }
    }
  }

  /**
   * Forgets expired answers now and then: at most once a minute per process, after a write has
   * committed (one indexed delete). A failure only postpones it; the write has succeeded.
   */
  private async purgeIfDue(): Promise<void> {
    const now = this.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    try {
      await this.store.idempotency.purgeBefore(now - IDEMPOTENCY_TTL_MS);
    } catch {
      this.lastPurge = 0;
    }
  }
}
