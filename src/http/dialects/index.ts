import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/services.ts';
import { adminDialect } from './admin/plugin.ts';
import { scimDialect } from './scim/plugin.ts';
import { restUsersDialect } from './rest-users/plugin.ts';
import { accountsDialect } from './accounts/plugin.ts';
import { usermostDialect } from './usermost/plugin.ts';
import { usrDialects } from './usr/plugin.ts';

/** One API surface: its own routes, wire schemas, mapping and error envelope, under one prefix. */
export interface Dialect {
  name: string;
  prefix: string;
  plugin(services: Services): FastifyPluginAsync;
  /** Renders an error in the dialect's envelope (its routes' error handler; also used for errors found before routing). */
  errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): unknown;
  /** Rewrites a URL under the prefix before routing (SCIM: endpoint names in any case, a trailing slash). */
  rewriteUrl?(url: string): string;
}

/** The dialect whose prefix a URL is under (the longest prefix wins). */
export function dialectOf(url: string): Dialect | undefined {
  let best: Dialect | undefined;
  for (const d of dialects)
    if (
      (url === d.prefix || url.startsWith(d.prefix + '/') || url.startsWith(d.prefix + '?')) &&
      (!best || d.prefix.length > best.prefix.length)
    )
      best = d;
  return best;
}

/** Every dialect Roster serves. Add a new one here. */
export const dialects: Dialect[] = [
  adminDialect,
  accountsDialect,
  restUsersDialect,
  usermostDialect,
  ...usrDialects,
  scimDialect,
];
