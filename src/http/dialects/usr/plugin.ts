import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../services/services.ts';
import { DomainError } from '../../../domain/errors.ts';
import { errorEnvelope, jsonBodyReader, noRouteMessage, type Dialect } from '../../dialect.ts';
import type { HttpProblem } from '../../errors.ts';
import { apiKeyOf } from '../../credentials.ts';
import { API_KEY } from '../../openapi/security.ts';
import { principal } from './context.ts';
import { WIRE_NAME } from './mapping.ts';
import { listRoutes, userRoutes } from './routes.ts';

/** Core wording → the API's: an account, not a tenant; its field names, not the core's. */
export function messageOf(p: HttpProblem): string {
  if (p.code === 'tenant.not_found') return p.message.replace(/^tenant /, 'account ');
  if (p.code === 'user.username_taken') return 'a user with this username already exists in this account';
  if (p.code === 'user.email_taken') return 'a user with this emailAddress already exists in this account';
  if (p.code === 'user.external_id_taken')
    return 'a user with the same externalId (set through another API) already exists in this account';
  const field = p.field ?? '';
  const wire = WIRE_NAME[field];
  if (wire && field !== wire && p.message.startsWith(`${field} `)) return wire + p.message.slice(field.length);
  return p.message;
}

/** JSON bodies under application/json, text/javascript (what its clients send) or no Content-Type at all. */
function registerBodyParsers(app: FastifyInstance): void {
  const parse = jsonBodyReader(app, { empty: undefined });
  app.removeAllContentTypeParsers();
  for (const type of ['application/json', 'text/javascript', 'application/javascript']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (req, body, done) => parse(req, body as string, false, done));
  }
  // '*' also receives bodies sent without any Content-Type; any other type is refused.
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (req.headers['content-type'] !== undefined) {
      return done(
        new DomainError(
          'unsupported_media_type',
          'usr.unsupported_media_type',
          'send the body as JSON (Content-Type: application/json or text/javascript)',
        ),
      );
    }
    parse(req, body as string, false, done);
  });
}

/** The /usr error envelope: `{ error: { code, message } }` in the API's own words. */
const usrErrors = errorEnvelope((p, _req, reply) =>
  reply.status(p.status).send({ error: { code: p.code, message: messageOf(p) } }),
);

/** One prefix's scope: parsers, the error envelope, the not-found answer and authentication. */
function configureScope(app: FastifyInstance, services: Services): void {
  registerBodyParsers(app);
  app.setErrorHandler(usrErrors);
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: noRouteMessage(req) } }),
  );
  // Before the body is read: a request without a valid key learns nothing from its body.
  app.addHook('onRequest', async (req) => {
    if (req.is404) return;
    principal.attach(req, await services.auth.authenticate(apiKeyOf(req)));
  });
  // A body-less add or modify is an empty object (add then names every missing field).
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && (req.method === 'POST' || req.method === 'PUT')) req.body = {};
    done();
  });
}

/** One of the API's two prefixes: its scope set up by configureScope, then its routes. */
const usrScope = (name: string, prefix: string, routes: (s: Services) => FastifyPluginAsync[]): Dialect => ({
  errorHandler: usrErrors,
  name,
  prefix,
  security: API_KEY,
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      configureScope(app, services);
      for (const r of routes(services)) await app.register(r);
    },
});

/**
 * User management by account id, for manager and root keys: everything under /usr, and
 * the account listing also under /pub/usr (clients use that path too). Two dialect entries, one
 * per prefix, because Fastify wants one not-found handler per prefix.
 */
export const usrDialects: Dialect[] = [
  usrScope('usr', '/usr', (s) => [listRoutes(s, 'usrListAccountUsers'), userRoutes(s)]),
  usrScope('usr-pub', '/pub/usr', (s) => [listRoutes(s, 'usrPubListAccountUsers')]),
];
