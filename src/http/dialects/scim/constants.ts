/** Schema and message URNs of RFC 7643/7644 (and the ones identity providers send besides). */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  searchRequest: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  bulkRequest: 'urn:ietf:params:scim:api:messages:2.0:BulkRequest',
  bulkResponse: 'urn:ietf:params:scim:api:messages:2.0:BulkResponse',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** Every schema URN a path or a body key may be qualified with. */
export const KNOWN_SCHEMAS: readonly string[] = [URN.user, URN.group, URN.enterprise];

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
export const PREFIX = '/scim/v2';

/** Largest page a list answers (ServiceProviderConfig filter.maxResults) and the default page. */
export const MAX_RESULTS = 1000;
export const DEFAULT_COUNT = 100;
export const BULK_MAX_OPERATIONS = 1000;
export const BULK_MAX_PAYLOAD = 1024 * 1024;
