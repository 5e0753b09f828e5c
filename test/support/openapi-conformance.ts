import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every response the app sends in an e2e suite is checked against the committed OpenAPI document
 * (openapi/openapi.json) with a strict JSON Schema validator: the status must be documented for the
 * route, the content type declared for that status, and a JSON body valid against its schema, null
 * included. Mismatches fail the suite (see openapi-conformance.setup.ts).
 */

const DOCUMENT_PATH = join(__dirname, '..', '..', 'openapi', 'openapi.json');
const BASE = 'urn:lamplight:openapi';

type MediaType = { schema?: object };
type Operation = { responses: Record<string, { content?: Record<string, MediaType> }> };

interface Conformance {
  operations: Map<string, Operation>;
  validator: (schema: object) => ValidateFunction;
}

let loaded: Conformance | undefined;

function load(): Conformance {
  if (loaded) return loaded;
  // Every `#/components/schemas/X` becomes an absolute reference into one registered schema.
  const text = readFileSync(DOCUMENT_PATH, 'utf8').replaceAll('"#/components/schemas/', `"${BASE}#/$defs/`);
  const document = JSON.parse(text) as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: object };
  };
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own annotation, not a validation keyword.
  ajv.addKeyword({ keyword: 'example', schemaType: ['string', 'number', 'boolean', 'object', 'array', 'null'] });
  ajv.addSchema({ $id: BASE, $defs: document.components.schemas });
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item))
      operations.set(`${method.toUpperCase()} ${path}`, operation);
  }
  const cache = new Map<string, ValidateFunction>();
  loaded = {
    operations,
    validator: (schema) => {
      const key = JSON.stringify(schema);
      let validate = cache.get(key);
      if (!validate) cache.set(key, (validate = ajv.compile(schema)));
      return validate;
    },
  };
  return loaded;
}

export interface ObservedResponse {
  method: string;
  /** The route as the router knows it, e.g. `/api/v1/sessions/:sessionId`. */
  route: string;
  status: number;
  contentType: string | undefined;
  /** The body as sent, when it was text (not a stream). */
  body: string | undefined;
}

const mismatches: string[] = [];
let checked = 0;

/** Checks one response against the document; what does not match is kept for `takeMismatches`. */
export function checkResponse(response: ObservedResponse): void {
  const { operations, validator } = load();
  const path = response.route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const operation = operations.get(`${response.method} ${path}`);
  if (!operation) return; // not a documented route (Swagger UI, metrics, an unmatched path)
  checked += 1;
  const where = `${response.method} ${path} → ${response.status}`;
  const documented = operation.responses[String(response.status)] ?? operation.responses.default;
  if (!documented) {
    mismatches.push(`${where}: status not in the document`);
    return;
  }
  const mediaType = response.contentType?.split(';')[0].trim().toLowerCase();
  const content = documented.content;
  if (!content) {
    // A streamed body (undefined here) counts as a body; an empty one does not.
    if (mediaType && response.body !== '')
      mismatches.push(`${where}: the document declares no body, the response had ${mediaType}`);
    return;
  }
  if (!mediaType || !content[mediaType]) {
    mismatches.push(`${where}: content type ${mediaType ?? '(none)'} is not among ${Object.keys(content).join(', ')}`);
    return;
  }
  const schema = content[mediaType].schema;
  if (!schema || response.body === undefined || !/json$/.test(mediaType)) return;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    mismatches.push(`${where}: the ${mediaType} body is not JSON`);
    return;
  }
  const validate = validator(schema);
  if (!validate(body)) {
    mismatches.push(`${where}: ${JSON.stringify(validate.errors?.slice(0, 3))} in ${response.body.slice(0, 300)}`);
  }
}

/** The mismatches seen since the last call, and how many responses were checked. */
export function takeMismatches(): { mismatches: string[]; checked: number } {
  const taken = { mismatches: mismatches.splice(0), checked };
  checked = 0;
  return taken;
}
