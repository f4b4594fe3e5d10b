import { isDomainError, statusOfKind, type ErrorKind } from '../domain/errors.ts';

/** Any error, reduced to what every dialect needs to render it in its own envelope. */
export interface HttpProblem {
  status: number;
  code: string;
  message: string;
  kind: ErrorKind | 'internal';
  field?: string;
  retryAfter?: number;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown>; keyword?: string }[];
  validationContext?: string;
}

function kindOfStatus(status: number): ErrorKind | 'internal' {
  const hit = (Object.entries(statusOfKind) as [ErrorKind, number][]).find(([, s]) => s === status);
  return hit ? hit[0] : status >= 500 ? 'internal' : 'invalid';
}

/** Describes a schema validation failure by the field at fault: "body.email must be string". */
function validationMessage(err: FastifyLikeError): { message: string; field?: string } {
  const v = err.validation?.[0];
  if (!v) return { message: err.message ?? 'invalid request' };
  const where = err.validationContext ?? 'body';
  let path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  if (v.keyword === 'additionalProperties' && v.params?.additionalProperty) {
    const extra = String(v.params.additionalProperty);
    path = path ? `${path}.${extra}` : extra;
    return { message: `${where}.${path} is not a known field`, field: path };
  }
  if (v.keyword === 'required' && v.params?.missingProperty) {
    const missing = String(v.params.missingProperty);
    path = path ? `${path}.${missing}` : missing;
    return { message: `${where}.${path} is required`, field: path };
  }
  return { message: `${where}${path ? '.' + path : ''} ${v.message ?? 'is invalid'}`, field: path || undefined };
}

export function toProblem(err: unknown): HttpProblem {
  if (isDomainError(err)) {
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      kind: err.kind,
      field: err.field,
      retryAfter: err.retryAfter,
    };
  }
  const e = (err ?? {}) as FastifyLikeError;
  if (e.validation) {
    const { message, field } = validationMessage(e);
    return { status: 400, code: 'invalid_request', message, kind: 'invalid', field };
  }
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status === 500) return { status, code: 'internal', message: 'internal error', kind: 'internal' };
  const byCode: Record<string, string> = {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported content type: send application/json',
    FST_ERR_CTP_BODY_TOO_LARGE: 'request body is larger than the 1 MiB limit',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'request body is empty but Content-Type is application/json',
    FST_ERR_CTP_INVALID_JSON_BODY: 'request body is not valid JSON',
  };
  let message = (e.code && byCode[e.code]) || e.message || 'bad request';
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) message = byCode.FST_ERR_CTP_INVALID_MEDIA_TYPE;
  if (/JSON/.test(e.message ?? '') && status === 400 && !e.code?.startsWith('FST_ERR_CTP_EMPTY'))
    message = `request body is not valid JSON: ${e.message}`;
  return { status, code: (e.code ?? 'bad_request').toLowerCase(), message, kind: kindOfStatus(status) };
}
