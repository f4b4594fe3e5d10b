/**
 * Typed domain errors with stable codes. Each dialect renders them in its own envelope;
 * `kind` decides the HTTP status family, `code` is the stable machine name (`user.not_found`).
 */
export type ErrorKind =
  | 'invalid' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'precondition_failed' // 412
  | 'too_large' // 413
  | 'unsupported_media_type' // 415
  | 'rate_limited' // 429
  | 'unavailable'; // 503

export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
};

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** The input field at fault, when one is. */
  readonly field?: string;
  /** Seconds a client should wait (rate limits, lockouts). */
  readonly retryAfter?: number;

  constructor(kind: ErrorKind, code: string, message: string, opts: { field?: string; retryAfter?: number } = {}) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.field = opts.field;
    this.retryAfter = opts.retryAfter;
  }

  get status(): number {
    return statusOfKind[this.kind];
  }
}

export const invalid = (code: string, message: string, field?: string) =>
  new DomainError('invalid', code, message, { field });
export const notFound = (code: string, message: string) => new DomainError('not_found', code, message);
export const conflict = (code: string, message: string, field?: string) =>
  new DomainError('conflict', code, message, { field });
export const forbidden = (message = 'this key lacks the privilege for this action') =>
  new DomainError('forbidden', 'auth.forbidden', message);
export const unauthorized = (message = 'a valid API key is required') =>
  new DomainError('unauthorized', 'auth.unauthorized', message);
export const preconditionFailed = (message = 'the resource has changed (If-Match does not match its ETag)') =>
  new DomainError('precondition_failed', 'precondition_failed', message);

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

/**
 * The database cannot do it now: unreachable, or (`contention`) busy, deadlocked or out of
 * connections, which a retry may get past. The store throws it in place of the driver's error.
 */
export class StoreUnavailable extends DomainError {
  constructor(
    readonly contention: boolean,
    options?: { cause?: unknown },
  ) {
    super('unavailable', 'unavailable', 'the database is unavailable; try again shortly', { retryAfter: 1 });
    this.name = 'StoreUnavailable';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * A write hit a unique index. `constraint` names it (the index, or the database's own words, which
 * name its columns); services turn it into their own conflict (`user.email_taken`, …).
 */
export class UniqueViolation extends DomainError {
  constructor(
    readonly constraint: string,
    options?: { cause?: unknown },
  ) {
    super('conflict', 'conflict', 'a value that must be unique is already taken');
    this.name = 'UniqueViolation';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The unique index a write hit (see UniqueViolation), or null for any other error. */
export const uniqueViolation = (e: unknown): string | null => (e instanceof UniqueViolation ? e.constraint : null);
