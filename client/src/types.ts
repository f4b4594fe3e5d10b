import type { components, paths } from './generated/openapi.ts';

type Schemas = components['schemas'];

export type Tenant = Schemas['Tenant'];
export type TenantInput = Schemas['TenantInput'];
export type TenantPatch = Schemas['TenantPatch'];
export type Manager = Schemas['Manager'];
export type ManagerWithKey = Schemas['ManagerWithKey'];
export type ManagerInput = Schemas['ManagerInput'];
export type ManagerPatch = Schemas['ManagerPatch'];
export type User = Schemas['User'];
export type UserInput = Schemas['UserInput'];
export type UserList = Schemas['UserList'];
export type AuditEvent = Schemas['AuditEvent'];
export type ImportJob = Schemas['ImportJob'];
export type Dashboard = Schemas['Dashboard'];
export type WebhookSubscription = Schemas['WebhookSubscription'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type ScimUser = Schemas['ScimUser'];
export type ScimGroup = Schemas['ScimGroup'];
export type ScimResource = ScimUser | ScimGroup;
export type ScimListResponse = Schemas['ScimListResponse'];
/** Who is signed in: root or a manager (with the tenant), and the session's CSRF token. */
export type Session = Schemas['ConsoleSession'];
/** A manager's email and password (and license code), or the root key. */
export type SignIn = NonNullable<paths['/admin/v1/session']['post']['requestBody']>['content']['application/json'];
