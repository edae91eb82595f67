// Holds the end-to-end tests' traffic to the OpenAPI document: every answer's status must be one
// the document lists for its route, and its body must match the document's schema for it; the
// body of a request that was accepted must match the request schema. A mismatch throws, naming
// the route, the status and what did not match.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { openApiDocument } from "../../functions/api/openapi/document.js";

interface Operation {
  requestBody?: { content?: Record<string, { schema?: object }> };
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components?: object;
}

const document = openApiDocument() as Document;
// OpenAPI's own keywords (example, …) are not JSON Schema's: let them be.
const ajv = new Ajv2020({ strict: false, allErrors: true });
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
addFormats(ajv);

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
}));

const validators = new Map<string, ValidateFunction>();
/** A validator for a schema of the document, its $refs resolved against the document's components. */
const validatorFor = (key: string, schema: object): ValidateFunction => {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ ...schema, components: document.components });
    validators.set(key, validate);
  }
  return validate;
};

export interface Exchange {
  method: string;
  /** The path asked for, with its query string if any. */
  path: string;
  status: number;
  requestBody?: unknown;
  responseBody: unknown;
}

/** Throws unless the exchange is one the OpenAPI document describes. */
export const assertConforms = (exchange: Exchange): void => {
  const method = exchange.method.toLowerCase();
  const path = exchange.path.split("?")[0] ?? "";
  const route = `${exchange.method.toUpperCase()} ${path}`;
  const template = templates.find(({ pattern }) => pattern.test(path))?.template;
  const operation = template ? document.paths[template]?.[method] : undefined;
  if (!template || !operation) {
    throw new Error(`OpenAPI: ${route} is not in the document`);
  }
  const response = operation.responses?.[String(exchange.status)];
  if (!response) {
    throw new Error(
      `OpenAPI: ${route} answered ${exchange.status}, which the document does not list (it lists ${Object.keys(operation.responses ?? {}).join(", ")})`,
    );
  }
  const check = (what: string, key: string, schema: object | undefined, body: unknown) => {
    if (!schema) return;
    const validate = validatorFor(key, schema);
    if (!validate(body)) {
      throw new Error(
        `OpenAPI: ${route} ${what} does not match the document: ${ajv.errorsText(validate.errors)}; body ${JSON.stringify(body).slice(0, 500)}`,
      );
    }
  };
  check(
    `answer ${exchange.status}`,
    `${template} ${method} ${exchange.status}`,
    response.content?.["application/json"]?.schema,
    exchange.responseBody,
  );
  // A refused request was refused for its shape; only an accepted one must match the schema.
  if (exchange.status < 300 && exchange.requestBody !== undefined) {
    check(
      "request",
      `${template} ${method} request`,
      operation.requestBody?.content?.["application/json"]?.schema,
      exchange.requestBody,
    );
  }
};
