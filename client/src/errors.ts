/** The code a status stands for when the API's envelope carries none (the compatible APIs' errors). */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  406: 'not_acceptable',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

type Body = Record<string, unknown> | null | undefined;
const obj = (v: unknown): Body => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * A request Roster answered with an error, in any API's envelope. `code` is the API's own code
 * (the management API's and /usr's `error.code`, SCIM's `scimType`), else one named after the status.
 */
export class RosterError extends Error {
  readonly status: number;
  readonly code: string;
  /** The error body as the API sent it. */
  readonly body: unknown;

  constructor(status: number, body: unknown, fallbackMessage = `HTTP ${status}`) {
    const { code, message } = describe(status, body);
    super(message ?? fallbackMessage);
    this.name = 'RosterError';
    this.status = status;
    this.code = code ?? CODE_OF_STATUS[status] ?? `http_${status}`;
    this.body = body;
  }
}

/** Reads code and message from each envelope Roster answers in. */
function describe(status: number, body: unknown): { code?: string; message?: string } {
  const b = obj(body);
  if (!b) return { message: str(body) || undefined };
  const error = obj(b.error);
  if (error) return { code: str(error.code), message: str(error.message) }; // management API, /usr, Accounts
  if (Array.isArray(b.schemas)) return { code: str(b.scimType), message: str(b.detail) }; // SCIM
  const response = obj(b.response);
  if (response) return { message: str(response.message) }; // Usermost
  return { message: str(b.message) }; // /rest/users: { status: 0, message }
}

export const isRosterError = (e: unknown): e is RosterError => e instanceof RosterError;
