// Typed readers for request members. A missing required member is a ValidationException and a
// member of the wrong JSON type a SerializationException, which is how the service answers.

import type { JsonObject } from "./json.js";
import { serializationError, validationError } from "./service-errors.js";

function missing(field: string) {
  return validationError(
    `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
  );
}

function wrongType(field: string, expected: string) {
  return serializationError(`Expected ${expected} for member '${field}'`);
}

export function optionalString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw wrongType(field, "a string");
  return value;
}

export function requiredString(body: JsonObject, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw missing(field);
  return value;
}

export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw wrongType(field, "a boolean");
  return value;
}

export function optionalInteger(
  body: JsonObject,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw wrongType(field, "an integer");
  if (value < min || value > max) {
    throw validationError(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  }
  return value;
}

/**
 * Holds a string member to the model's length bounds. The value is not echoed: these members
 * (errors, causes, tokens) are sensitive data, which the service leaves out of its messages.
 */
export function checkLength(
  field: string,
  value: string | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined || (value.length >= min && value.length <= max)) return;
  const bound =
    value.length > max ? `less than or equal to ${max}` : `greater than or equal to ${min}`;
  throw validationError(
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length ${bound}`,
  );
}
