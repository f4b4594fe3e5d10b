import { invalid } from '../../../domain/errors.ts';
import type { HttpProblem } from '../../errors.ts';
import { URN } from './constants.ts';

/** RFC 7644 §3.12 scimType values this provider answers. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** A 400 with a SCIM scimType: the code is `scim.<scimType>` so the envelope can recover it. */
export const scimInvalid = (scimType: ScimType, detail: string) => invalid(`scim.${scimType}`, detail);

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: string;
  detail: string;
}

const BY_CODE: Record<string, ScimType> = {
  'query.invalid_filter': 'invalidFilter',
  'query.invalid_value': 'invalidFilter',
  'query.invalid_field': 'invalidFilter',
  invalid_request: 'invalidSyntax',
  fst_err_ctp_invalid_json_body: 'invalidSyntax',
  fst_err_ctp_empty_json_body: 'invalidSyntax',
};

function scimTypeOf(p: HttpProblem): ScimType | undefined {
  if (p.code.startsWith('scim.')) return p.code.slice(5) as ScimType;
  if (BY_CODE[p.code]) return BY_CODE[p.code];
  if (p.status === 409 && p.code.endsWith('_taken')) return 'uniqueness';
  if (p.status === 400) return /JSON/.test(p.message) ? 'invalidSyntax' : 'invalidValue';
  return undefined;
}

/** Any problem as a SCIM Error resource (status as a string, RFC 7644 §3.12). */
export function scimError(p: HttpProblem): ScimErrorBody {
  const scimType = scimTypeOf(p);
  let detail = p.message;
  if (p.status === 415) detail = 'unsupported content type: send application/scim+json or application/json';
  return { schemas: [URN.error], status: String(p.status), ...(scimType ? { scimType } : {}), detail };
}
