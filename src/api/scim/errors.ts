/**
 * SCIM errors (RFC 7644 §3.12): every failure on /scim/v2 answers the Error
 * schema with a status and, where RFC 7644 names one, a scimType. Unknown
 * failures are a 500 without a stack trace (a database outage is never a 404).
 */
import { isAppError, type ErrorCode } from '../../domain/errors.ts';
import { ERROR_SCHEMA } from './constants.ts';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
  }
}

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export function errorBody(e: ScimError): ScimErrorBody {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(e.status),
    ...(e.scimType ? { scimType: e.scimType } : {}),
    detail: e.detail,
  };
}

const FROM_APP: Partial<Record<ErrorCode, [number, ScimType | undefined]>> = {
  BAD_REQUEST: [400, 'invalidSyntax'],
  VALIDATION_FAILED: [400, 'invalidValue'],
  INVALID_CHARACTERS: [400, 'invalidValue'],
  UNAUTHORIZED: [401, undefined],
  FORBIDDEN: [403, undefined],
  NOT_FOUND: [404, undefined],
  DUPLICATE_LOGIN_NAME: [409, 'uniqueness'],
  DUPLICATE_EMAIL: [409, 'uniqueness'],
  CONFLICT: [409, 'uniqueness'],
  DUPLICATE_DEPARTMENT_CODE: [409, 'uniqueness'],
  UNDELETABLE_USER: [409, undefined],
  DATABASE_UNAVAILABLE: [503, undefined],
  DATABASE_BUSY: [503, undefined],
};

/** Any thrown value -> a ScimError; `unexpected` is true for what must be logged as a server fault. */
export function toScimError(e: unknown): { error: ScimError; unexpected: boolean } {
  if (e instanceof ScimError) return { error: e, unexpected: e.status >= 500 };
  if (isAppError(e)) {
    const mapped = FROM_APP[e.code];
    if (mapped) return { error: new ScimError(mapped[0], e.message, mapped[1]), unexpected: mapped[0] >= 500 };
    if (e.status < 500) return { error: new ScimError(e.status, e.message), unexpected: false };
  }
  return { error: new ScimError(500, 'An unexpected error occurred.'), unexpected: true };
}
