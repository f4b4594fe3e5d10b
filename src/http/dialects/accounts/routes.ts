import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import type { User } from '../../../domain/user.ts';
import { etagOf, expectedVersion } from '../../credentials.ts';
import {
  Account,
  AccountError,
  AccountList,
  AccountListQuery,
  AccountParams,
  AccountWithLinks,
  AccountWrite,
} from './schemas.ts';
import { accountInput, accountWire, selfLinks } from './mapping.ts';
import { accountQuery, pageOf, pagination } from './list-query.ts';
import { ACCOUNTS_PREFIX, contextOf } from './context.ts';

const tags = ['accounts'];
const errors = {
  400: AccountError,
  401: AccountError,
  403: AccountError,
  404: AccountError,
  406: AccountError,
  409: AccountError,
  412: AccountError,
};

/** A written account as POST, PUT and PATCH answer it: the full account plus its self link. */
const written = (reply: FastifyReply, u: User) =>
  reply.header('etag', etagOf(u.version)).send({ ...accountWire(u), links: selfLinks(u.id) });

export const accountRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/accounts',
      {
        schema: {
          tags,
          operationId: 'accountsListAccounts',
          summary: 'List accounts: page, limit (1-200), sort, attributes filters',
          querystring: AccountListQuery,
          response: { 200: AccountList, ...errors },
        },
      },
      async (req) => {
        const { principal, tenantId } = contextOf(req);
        const qs = req.query as AccountListQuery & Record<string, unknown>;
        const page = await s.users.list(principal, tenantId, accountQuery(qs));
        const total = page.total ?? 0;
        const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
        const { page: current, limit } = pageOf(qs);
        return {
          data: page.items.map(accountWire),
          pagination: pagination(rawQuery, current, limit, page.items.length, total),
          totalItems: total,
        };
      },
    );

    app.get(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsGetAccount',
          summary: 'Read an account',
          params: AccountParams,
          response: { 200: Account, ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.users.get(principal, tenantId, req.params.id);
        return reply.header('etag', etagOf(u.version)).send(accountWire(u));
      },
    );

    app.post(
      '/accounts',
      {
        schema: {
          tags,
          operationId: 'accountsCreateAccount',
          summary: 'Add an account (no attribute is required)',
          body: AccountWrite,
          response: { 201: AccountWithLinks, ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.accounts.create(principal, tenantId, accountInput(req.body));
        reply.status(201).header('location', `${ACCOUNTS_PREFIX}/accounts/${u.id}`);
        return written(reply, u);
      },
    );

    app.put(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsReplaceAccount',
          summary: 'Fully edit an account: attributes not sent (custom ones too) are cleared',
          params: AccountParams,
          body: AccountWrite,
          response: { 200: AccountWithLinks, ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.accounts.replace(principal, tenantId, req.params.id, accountInput(req.body), {
          expectedVersion: expectedVersion(req),
        });
        return written(reply, u);
      },
    );

    app.patch(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsUpdateAccount',
          summary: 'Partially edit an account: only attributes sent change',
          params: AccountParams,
          body: AccountWrite,
          response: { 200: AccountWithLinks, ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        const u = await s.accounts.patch(principal, tenantId, req.params.id, accountInput(req.body), {
          expectedVersion: expectedVersion(req),
        });
        return written(reply, u);
      },
    );

    app.delete(
      '/accounts/:id',
      {
        schema: {
          tags,
          operationId: 'accountsDeleteAccount',
          summary: 'Delete an account (204, empty body)',
          params: AccountParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenantId } = contextOf(req);
        await s.users.delete(principal, tenantId, req.params.id, { expectedVersion: expectedVersion(req) });
        return reply.status(204).send(null);
      },
    );
  };
