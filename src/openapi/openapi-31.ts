import type { OpenAPIObject } from '@nestjs/swagger';

type Schema = Record<string, unknown>;

/** Makes one schema accept null the way OpenAPI 3.1 (JSON Schema 2020-12) says it. */
function allowNull(schema: Schema): void {
  const ref: unknown =
    typeof schema.$ref === 'string'
      ? { $ref: schema.$ref }
      : Array.isArray(schema.allOf) && schema.allOf.length === 1
        ? schema.allOf[0]
        : undefined;
  if (ref) {
    // `nullable` beside `allOf: [$ref]` is what validators rejected null for: the $ref still applies.
    delete schema.$ref;
    delete schema.allOf;
    delete schema.type;
    schema.anyOf = [ref, { type: 'null' }];
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...(schema.enum as unknown[]), null];
  if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  else if (Array.isArray(schema.type) && !schema.type.includes('null'))
    schema.type = [...(schema.type as unknown[]), 'null'];
  else if (Array.isArray(schema.anyOf)) schema.anyOf = [...(schema.anyOf as unknown[]), { type: 'null' }];
  else if (Array.isArray(schema.oneOf)) schema.oneOf = [...(schema.oneOf as unknown[]), { type: 'null' }];
}

function visit(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Schema;
  for (const [key, value] of Object.entries(schema)) {
    // Examples are data, not schemas.
    if (key !== 'example' && key !== 'examples') visit(value);
  }
  if (typeof schema.nullable === 'boolean') {
    const nullable = schema.nullable;
    delete schema.nullable;
    if (nullable) allowNull(schema);
  }
}

/**
 * @nestjs/swagger writes OpenAPI 3.0, where `nullable` cannot say "this object, or null" in a way
 * strict validators and client generators agree on (they read `nullable` + `allOf: [$ref]` as an
 * object that rejects null, and an enum with `nullable` as one without null). The document is
 * published as OpenAPI 3.1 instead, every nullable schema spelled as JSON Schema does it:
 * `type: [..., "null"]`, `null` in the enum, `anyOf: [{$ref}, {type: "null"}]`.
 */
export function toOpenApi31(document: OpenAPIObject): OpenAPIObject {
  visit(document.paths);
  visit(document.components);
  return { ...document, openapi: '3.1.0' };
}
