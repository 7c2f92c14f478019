import { ApiwardenError } from '../errors.ts';

/**
 * The code of every failure to load an OpenAPI / Swagger document. It is a
 * start-up fault, not an answer to a client, so it is not in ERROR_CODES.
 */
export const OPENAPI_INVALID = 'OPENAPI_INVALID';

/** An error whose message starts with the document's path and says what is wrong. */
export function invalidDocument(file: string, reason: string, cause?: unknown): ApiwardenError {
  return new ApiwardenError(OPENAPI_INVALID, `${file}: ${reason}`, cause === undefined ? undefined : { cause });
}
