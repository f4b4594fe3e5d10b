import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../services/services.ts';
import { DomainError, forbidden } from '../../../domain/errors.ts';
import { errorEnvelope, jsonBodyReader, noRouteMessage, type Dialect } from '../../dialect.ts';
import type { HttpProblem } from '../../errors.ts';
import { apiKeyOf } from '../../credentials.ts';
import { API_KEY } from '../../openapi/security.ts';
import { accountRoutes } from './routes.ts';
import { ACCOUNTS_PREFIX, accountsContext } from './context.ts';

/** True unless the Accept header rules JSON out (absent, application/json, application/* and * / * all accept it). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) return false;
    return type === 'application/json' || type === 'application/*' || type === '*/*' || type === '*';
  });
}

/** This API's clients use its own words: an account, not a user. */
function messageOf(p: HttpProblem, req: FastifyRequest): string {
  const id = (req.params as { id?: unknown } | undefined)?.id;
  if (p.code === 'user.not_found') return id === undefined ? 'account not found' : `account ${String(id)} not found`;
  if (p.code === 'user.username_taken') return 'an account with this username already exists';
  if (p.code === 'user.email_taken') return 'an account with this email already exists';
  return p.message;
}

const sendError = (reply: FastifyReply, status: number, message: string) =>
  reply.status(status).send({ error: { status, message } });

/**
 * JSON bodies under application/json, under application/x-www-form-urlencoded (what `curl -d` says)
 * and with no Content-Type at all. A urlencoded body that is not JSON is read as a form.
 */
function registerBodyParsers(app: FastifyInstance): void {
  const parse = jsonBodyReader(app, { empty: {} });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    parse(req, body as string, false, done),
  );
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) =>
    parse(req, body as string, true, done),
  );
  // '*' also receives bodies sent without any Content-Type; a type we do not read is refused.
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (req.headers['content-type'] !== undefined) {
      return done(
        new DomainError(
          'unsupported_media_type',
          'accounts.unsupported_media_type',
          'send the body as JSON (Content-Type: application/json)',
        ),
      );
    }
    parse(req, body as string, false, done);
  });
}

/** The Accounts error envelope: `{ error: { status, message } }`. */
const accountsErrors = errorEnvelope((p, req, reply) => sendError(reply, p.status, messageOf(p, req)));

/** The Accounts REST API: accounts are the users of the key's tenant. */
export const accountsDialect: Dialect = {
  errorHandler: accountsErrors,
  name: 'accounts',
  security: API_KEY,
  prefix: ACCOUNTS_PREFIX,
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      registerBodyParsers(app);

      app.setErrorHandler(accountsErrors);
      app.setNotFoundHandler((req, reply) => sendError(reply, 404, noRouteMessage(req)));

      app.addHook('onRequest', async (req, reply) => {
        if (!acceptsJson(req.headers.accept)) {
          return sendError(reply, 406, 'this API answers application/json only (send Accept: application/json)');
        }
        const principal = await services.auth.authenticate(apiKeyOf(req));
        // The root key spans every tenant; an account always lives in exactly one.
        if (principal.kind !== 'manager')
          throw forbidden("the Accounts API needs a manager key: it acts on that key's tenant");
        accountsContext.attach(req, { principal, tenantId: principal.tenantId });
      });
      // A body-less POST creates an empty account; a body-less PUT/PATCH is an empty object too.
      app.addHook('preValidation', (req, _reply, done) => {
        if (req.body === undefined && (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH'))
          req.body = {};
        done();
      });

      await app.register(accountRoutes(services));
    },
};
