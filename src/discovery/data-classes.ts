/**
 * The classes of sensitive data that discovery recognises in observed
 * values (bodies, query strings, form fields, path segments). They are finer
 * than the audit's SensitiveKind (src/audit/sensitive.ts), which works from
 * field names in a spec; KIND_OF_CLASS maps one onto the other so that a
 * finding from traffic and a finding from a spec can be shown together.
 */
import type { SensitiveKind } from '../audit/sensitive.ts';

export const DATA_CLASSES = [
  'phone', 'email', 'card', 'iban', 'national-id', 'jwt', 'secret', 'ip', 'birth-date',
] as const;

export type DataClass = typeof DATA_CLASSES[number];

/** The audit's coarser kind of each class; an address is personal data but no audit kind names it. */
export const KIND_OF_CLASS: Readonly<Record<DataClass, SensitiveKind | null>> = {
  phone: 'contact',
  email: 'contact',
  card: 'financial',
  iban: 'financial',
  'national-id': 'government-id',
  jwt: 'credential',
  secret: 'credential',
  ip: null,
  'birth-date': 'birth-date',
};

export function isDataClass(value: string): value is DataClass {
  return (DATA_CLASSES as readonly string[]).includes(value);
}
