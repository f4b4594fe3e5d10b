import type { FastifyPluginAsync } from 'fastify';
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
}

/** Every dialect Roster serves. Add a new one here. */
export const dialects: Dialect[] = [adminDialect, accountsDialect, restUsersDialect, usermostDialect, ...usrDialects, scimDialect];
