import { Type } from '@sinclair/typebox';
import { named } from './components.ts';

export const Health = named(
  'Health',
  Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]) }, { example: { status: 'ok' } }),
);

export const OpenApiDocument = Type.Object(
  { openapi: Type.String(), info: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: true, description: 'An OpenAPI 3.0 document' },
);
