/**
 * Loading one OpenAPI 3.0 / 3.1 or Swagger 2.0 document (JSON or YAML) into
 * the operations the gateway routes.
 *
 * Parsing and `$ref` resolution are @readme/openapi-parser's (a maintained
 * fork of swagger-parser); this module decides what the gateway needs from
 * the result. The document is not validated against the full OpenAPI schema:
 * large real documents fail it for reasons that do not affect routing (the
 * DigitalOcean document puts `$ref` directly under methods, which OAS 3.0
 * does not allow but every tool resolves). What routing and access control
 * rely on is checked here instead, with messages that name the place.
 */

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { dereference, parse } from '@readme/openapi-parser';
import type { LoadedDocument } from './types.ts';
import { ApiwardenError } from '../errors.ts';
import { invalidDocument } from './errors.ts';
import { detectFormat } from './format.ts';
import { serversBasePaths, swaggerBasePath } from './base-paths.ts';
import { collectOperations } from './operations.ts';
import { collectSecuritySchemes } from './security-schemes.ts';
import { isRecord } from './util.ts';

/**
 * A bound on `$ref` resolution, so that a pathological document fails with a
 * message instead of stalling start-up. The DigitalOcean document (~2,900
 * files) resolves in about a second.
 */
const DEREFERENCE_TIMEOUT_MS = 60_000;

/**
 * Loads a document and its `$ref`s (local, and relative files or URLs).
 * Throws ApiwardenError `OPENAPI_INVALID`, whose message starts with `file`,
 * when the file cannot be read, parsed or resolved, or is not an OpenAPI /
 * Swagger document; the parser's error is kept as `cause`.
 */
/**
 * Reads, checks and dereferences a document: the resolved tree, for
 * loadDocument and for readers of other parts of it (src/openapi/responses.ts).
 * Fails like loadDocument.
 */
export async function readDereferenced(file: string): Promise<{ source: string; format: LoadedDocument['format']; doc: Record<string, unknown> }> {
  const source = resolve(file);
  try {
    const info = await stat(source);
    if (!info.isFile()) throw invalidDocument(file, 'not a regular file');
  } catch (err) {
    if (err instanceof ApiwardenError) throw err;
    throw invalidDocument(file, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }

  // The version field is checked before any `$ref` is followed, so that a
  // file that is not an API description is refused for what it is.
  let raw: unknown;
  try {
    raw = await parse(source);
  } catch (err) {
    throw invalidDocument(file, `cannot parse the document: ${firstLine(err)}`, err);
  }
  const format = detectFormat(file, raw);

  let doc: unknown;
  try {
    doc = await dereference(source, {
      // Circular schemas become cyclic objects (see acyclic.ts for the
      // parameter schemas handed out). Not `circular: 'ignore'`: it leaves
      // unresolved every $ref whose target merely *contains* a cycle, which
      // silently emptied 24 operations of the DigitalOcean document.
      dereference: { circular: true },
      timeoutMs: DEREFERENCE_TIMEOUT_MS,
    });
  } catch (err) {
    throw invalidDocument(file, `cannot resolve a $ref: ${firstLine(err)}`, err);
  }
  if (!isRecord(doc)) throw invalidDocument(file, 'the resolved document is not an object');
  return { source, format, doc };
}

export async function loadDocument(file: string): Promise<LoadedDocument> {
  const { source, format, doc } = await readDereferenced(file);

  const warnings: string[] = [];
  const basePaths = format === 'swagger-2.0'
    ? [swaggerBasePath(doc.basePath, warnings)]
    : serversBasePaths(doc.servers, [''], 'servers', warnings);
  const info = isRecord(doc.info) ? doc.info : {};
  const operations = collectOperations(doc, { format, file, source, rootBasePaths: basePaths, warnings });

  return {
    source,
    format,
    title: typeof info.title === 'string' ? info.title : '',
    version: typeof info.version === 'string' ? info.version : String(info.version ?? ''),
    basePaths: [...basePaths],
    operations,
    securitySchemes: collectSecuritySchemes(doc, format, warnings),
    warnings,
  };
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // json-schema-ref-parser's words for a file whose top level is not an
  // object (empty, a scalar): not what a user of this gateway thinks of.
  if (message.endsWith('is not a valid JSON Schema')) return 'empty, or the top level is not an object';
  return message.split('\n', 1)[0] ?? message;
}
