import { Ajv } from 'ajv';
import formatsPlugin from 'ajv-formats';

const addFormats = formatsPlugin as unknown as (ajv: Ajv) => Ajv;
import type { FastifySchemaCompiler } from 'fastify';

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    // Unknown fields are rejected where a schema says additionalProperties: false, never silently dropped.
    removeAdditional: false,
    useDefaults: true,
    // Bodies keep their JSON types (a string is not a number); query strings and path params are text by nature.
    coerceTypes: coerce ? 'array' : false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
