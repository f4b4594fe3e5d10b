import type { FastifyRequest } from 'fastify';
import type { Services } from '../../../services/services.ts';
import type { Tenant } from '../../../domain/tenant.ts';
import type { Principal } from '../../../domain/privileges.ts';
import type { PortalActor, PortalTenant } from '../../../services/portal-account-service.ts';
import { unauthorized } from '../../../domain/errors.ts';
import { apiKeyOf } from '../../credentials.ts';
import { requestContext } from '../../dialect.ts';

export const TENANT_HEADER = 'x-roster-tenant';

/** The tenant the request names, resolved by the dialect's onRequest hook (null tenant: no tenant has the code). */
export const tenant = requestContext<PortalTenant>();
export const tenantOf = (req: FastifyRequest): Tenant | null => tenant.of(req).tenant;
export const tenantIdOf = (req: FastifyRequest): number | null => tenant.of(req).tenant?.id ?? null;

/** `Authorization: Basic base64(username:password)` → the pair; null when the scheme is not Basic. */
export function basicCredentials(req: FastifyRequest): { username: string; password: string } | null {
  const m = /^Basic\s+(\S*)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(m[1]) || colon < 0)
    throw unauthorized('the Basic credentials are malformed (base64 of username:password)');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** A manager's (or root's) API key, when one is presented: Bearer or admin_api_key. */
export async function optionalPrincipal(s: Services, req: FastifyRequest): Promise<Principal | null> {
  return s.auth.optional(apiKeyOf(req));
}

/** Who calls: the account holder by HTTP Basic (lockout applies), or a manager by API key. */
export async function actorOf(s: Services, req: FastifyRequest): Promise<PortalActor> {
  const basic = basicCredentials(req);
  if (basic) {
    const { tenant: t, licenseCode } = tenant.of(req);
    const user = await s.loginGuard.login({ tenantId: t?.id ?? null, licenseCode }, basic.username, basic.password);
    return { kind: 'user', user };
  }
  const principal = await optionalPrincipal(s, req);
  if (!principal) throw unauthorized('sign in with HTTP Basic (username and password) or an API key');
  return { kind: 'manager', principal };
}
