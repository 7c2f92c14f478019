/**
 * Resolving secret references, the approach of src/config/auth.ts
 * `resolveSecret`: the parsed policy keeps where the secret is, the value is
 * read only when the sink is built, and an error names the field and the
 * variable or file, never the value. `file` is added for mounted secrets
 * (Docker and Kubernetes secrets, systemd credentials).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiwardenError } from '../errors.ts';
import type { AlertSecretRef } from './config.ts';

export interface SecretSources {
  /** default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** relative `file` paths start here (the policy file's folder; default the working directory) */
  baseDir?: string;
}

/** The secret's value; throws ApiwardenError('ALERT_SECRET_UNAVAILABLE') naming `what` and the source. */
export function resolveAlertSecret(ref: AlertSecretRef, what: string, sources: SecretSources = {}): string {
  const fail = (message: string, cause?: unknown): never => {
    throw new ApiwardenError('ALERT_SECRET_UNAVAILABLE', `${what}: ${message}`, cause === undefined ? undefined : { cause });
  };
  if ('env' in ref) {
    const value = (sources.env ?? process.env)[ref.env];
    if (value === undefined || value === '') fail(`environment variable ${ref.env} is not set`);
    return value!;
  }
  if ('file' in ref) {
    const path = resolve(sources.baseDir ?? process.cwd(), ref.file);
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      // the code only (ENOENT, EACCES): the message is all we need and carries nothing of the file
      fail(`cannot read secret file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // `echo secret > file` leaves a newline that is not part of the secret
    const value = text.replace(/\r?\n$/, '');
    if (value === '') fail(`secret file ${path} is empty`);
    return value;
  }
  if (ref.value === '') fail('the secret is empty');
  return ref.value;
}
