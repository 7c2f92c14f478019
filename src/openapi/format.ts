import type { LoadedDocument } from './types.ts';
import { isRecord } from './util.ts';
import { invalidDocument } from './errors.ts';

type Format = LoadedDocument['format'];

/**
 * Tells which specification a parsed document follows, from its version
 * field (OAS 3.x "OpenAPI Object" `openapi`, Swagger 2.0 "Swagger Object"
 * `swagger`), and refuses anything else: a YAML file that is not an API
 * description must not load as an API with no operations.
 */
export function detectFormat(file: string, doc: unknown): Format {
  if (!isRecord(doc)) throw invalidDocument(file, 'not an OpenAPI or Swagger document (the top level is not an object)');
  const { openapi, swagger } = doc;
  let format: Format;
  if (openapi !== undefined) {
    // A YAML `openapi: 3.1` without quotes is a number; tolerate it.
    const version = typeof openapi === 'number' ? String(openapi) : openapi;
    if (typeof version !== 'string') throw invalidDocument(file, `"openapi" is not a version string: ${JSON.stringify(openapi)}`);
    if (/^3\.0(\.|$)/.test(version)) format = 'openapi-3.0';
    else if (/^3\.1(\.|$)/.test(version)) format = 'openapi-3.1';
    else throw invalidDocument(file, `unsupported OpenAPI version ${JSON.stringify(version)} (supported: 3.0.x, 3.1.x, Swagger 2.0)`);
  } else if (swagger !== undefined) {
    // `swagger: 2.0` without quotes parses as the number 2.
    if (swagger !== '2.0' && swagger !== 2) {
      throw invalidDocument(file, `unsupported Swagger version ${JSON.stringify(swagger)} (supported: 2.0)`);
    }
    format = 'swagger-2.0';
  } else {
    throw invalidDocument(file, 'not an OpenAPI or Swagger document (no "openapi" or "swagger" version field)');
  }
  // `paths` is REQUIRED in Swagger 2.0 and OAS 3.0; OAS 3.1 makes it optional
  // when `components` or `webhooks` is present.
  if (doc.paths === undefined && format !== 'openapi-3.1') {
    throw invalidDocument(file, 'no "paths" object');
  }
  // A YAML `paths:` with nothing under it is null: an empty Paths Object.
  if (doc.paths !== undefined && doc.paths !== null && !isRecord(doc.paths)) {
    throw invalidDocument(file, '"paths" is not an object');
  }
  return format;
}
