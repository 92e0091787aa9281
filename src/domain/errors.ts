/**
 * One error base for the whole product. Each layer throws AppError with a
 * literal code; only the edges (REST, SCIM, cards, CLI) turn it into text or
 * an HTTP status.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_FAILED'
  /** Text holding a character the service cannot store (U+0000): refused at the edge (domain/text.ts). */
  | 'INVALID_CHARACTERS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TENANT_ALREADY_LINKED'
  | 'TENANT_MISMATCH'
  | 'DUPLICATE_LOGIN_NAME'
  | 'DUPLICATE_EMAIL'
  | 'DUPLICATE_DEPARTMENT_CODE'
  | 'UNDELETABLE_USER'
  | 'PLAN_HAS_ERRORS'
  | 'PLAN_STALE'
  | 'PLAN_EXPIRED'
  | 'PLAN_CANCELLED'
  | 'DELETIONS_NOT_CONFIRMED'
  | 'IMPORT_IN_PROGRESS'
  | 'DIRECTORY_UNAVAILABLE'
  | 'DIRECTORY_THROTTLED'
  /** Microsoft Graph did not answer a request, or a whole read, in time (GraphClientOptions). */
  | 'DIRECTORY_TIMEOUT'
  | 'TOKEN_UNAVAILABLE'
  | 'CONSENT_REQUIRED'
  /** The caller's access could not be checked (database, Graph or the authority unreachable): try again. */
  | 'ACCOUNT_CHECK_FAILED'
  | 'DATABASE_UNAVAILABLE'
  | 'DATABASE_BUSY'
  | 'INTERNAL';

const DEFAULT_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  INVALID_CHARACTERS: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TENANT_ALREADY_LINKED: 409,
  TENANT_MISMATCH: 409,
  DUPLICATE_LOGIN_NAME: 409,
  DUPLICATE_EMAIL: 409,
  DUPLICATE_DEPARTMENT_CODE: 409,
  UNDELETABLE_USER: 409,
  PLAN_HAS_ERRORS: 422,
  PLAN_STALE: 409,
  PLAN_EXPIRED: 409,
  PLAN_CANCELLED: 409,
  DELETIONS_NOT_CONFIRMED: 409,
  IMPORT_IN_PROGRESS: 409,
  DIRECTORY_UNAVAILABLE: 502,
  DIRECTORY_THROTTLED: 503,
  DIRECTORY_TIMEOUT: 504,
  TOKEN_UNAVAILABLE: 502,
  CONSENT_REQUIRED: 403,
  ACCOUNT_CHECK_FAILED: 503,
  /** The database connection was lost mid-request (defect 1): nothing was written; try again. */
  DATABASE_UNAVAILABLE: 503,
  /** A lock the write needs was not granted in time (defect 4); try again after Retry-After. */
  DATABASE_BUSY: 503,
  INTERNAL: 500,
};

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? DEFAULT_STATUS[code];
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
