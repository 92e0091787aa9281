/**
 * Pure domain types shared by every layer. No I/O lives here.
 * Names follow ../shared/DESIGN.md §2 exactly: they are the public contract.
 */

export const COMPANY_PLANS = ['lite', 'premier', 'enterprise'] as const;
export type CompanyPlan = (typeof COMPANY_PLANS)[number];

export const ROLES = [
  'systemAdmin',
  'crisisManager',
  'manager',
  'departmentManager',
  'autoSendResponsible',
  'scheduledSendResponsible',
  'guest',
] as const;
export type Role = (typeof ROLES)[number];

/** How messages name a role in English (the cards and the tab translate by code). */
export const ROLE_LABELS_EN: Readonly<Record<Role, string>> = {
  systemAdmin: 'system administrator',
  crisisManager: 'crisis manager',
  manager: 'manager',
  departmentManager: 'department manager',
  autoSendResponsible: 'automatic-send responsible',
  scheduledSendResponsible: 'scheduled-send responsible',
  guest: 'guest',
};

/** R27: holders of these roles cannot be deleted by an import or SCIM. */
export const UNDELETABLE_ROLES: readonly Role[] = ['systemAdmin', 'autoSendResponsible', 'scheduledSendResponsible'];

/** R8: the level-1 department every Entra department is created under. Its code equals its name (R9). */
export const ENTRA_CONTAINER_DEPARTMENT = 'MicrosoftEntraID読み込み部署';

export type DepartmentSource = 'entra' | 'manual';
export type UserStatus = 'active' | 'suspended';

export interface Company {
  id: string;
  name: string;
  plan: CompanyPlan;
  maxUsers: number;
  entraTenantId: string | null;
  rootDepartmentId: string;
}

export interface CompanySettings {
  /** Whether an initial password is set (R22). The value itself never leaves the store. */
  initialPasswordSet: boolean;
  /** B2: more deletions than this need confirmDeletions. Default 50. */
  deletionThreshold: number;
  /** B7: cron expression for the scheduled sync, null when off (the default). */
  schedule: string | null;
}

export interface Department {
  id: string;
  code: string;
  name: string;
  parentId: string | null;
  level: number;
  source: DepartmentSource;
}

export interface Membership {
  id: string;
  code: string;
  source: DepartmentSource;
}

export interface SafetyUser {
  id: string;
  loginName: string;
  name: string;
  yomi: string;
  email: string | null;
  phone: string | null;
  memo: string;
  sortOrder: number | null;
  departments: Membership[];
  roles: Role[];
  entraObjectId: string | null;
  status: UserStatus;
  createdAt: string;
  updatedAt: string;
}

/** One Entra ID user as read from Graph (validated and normalised by src/directory). */
export interface DirectoryUser {
  id: string;
  userPrincipalName: string | null;
  displayName: string | null;
  mail: string | null;
  businessPhones: string[];
  department: string | null;
  accountEnabled: boolean;
  /** "Member" | "Guest" (Graph may return null for very old accounts). */
  userType: string | null;
  /** Issuers of the user's identities (R14 looks for "ExternalAzureAD"). */
  identityIssuers: string[];
  /** Values the reader had to clean or cut to keep them (domain/text.ts); absent when none. */
  adjusted?: DirectoryAdjustment[];
}

/** How a directory value was changed to fit: controls removed, cut to the limit, or dropped (a key cannot be cut). */
export type Adjustment = 'controlCharactersRemoved' | 'truncated' | 'droppedTooLong';

export interface DirectoryAdjustment {
  field: 'userPrincipalName' | 'displayName' | 'mail' | 'businessPhones' | 'department';
  adjustments: Adjustment[];
  /** The limit of the field, when the value was too long. */
  maxLength?: number;
  /** The length Entra sent (before cleaning). */
  length: number;
}

export interface DirectorySnapshot {
  tenantId: string;
  users: DirectoryUser[];
  /**
   * How the snapshot was read: the number of changes a delta read fetched (the snapshot is then
   * the mirror with them applied), or absent/null for a full read of the whole directory.
   */
  changesRead?: number | null;
}

/** Everything the planner needs to know about one company in the safety service. */
export interface CompanySnapshot {
  company: Company;
  settings: CompanySettings;
  departments: Department[];
  users: SafetyUser[];
  /** Bumped by the store on every write to the company's data; B3 compares it at apply time. */
  dataVersion: number;
}

// ---------------------------------------------------------------- plans

export type PlanStatus = 'pending' | 'applied' | 'cancelled' | 'expired' | 'stale';

export type SkipReason = 'guest' | 'external' | 'disabledNew' | 'noUserPrincipalName';

export interface PlanSummary {
  usersToCreate: number;
  usersToUpdate: number;
  usersToDelete: number;
  usersUnchanged: number;
  departmentsToCreate: number;
  skipped: Record<SkipReason, number>;
  /**
   * Beyond DESIGN's fields: the directory's size (every user the snapshot holds, imported or
   * skipped) and, after a delta read, how many changes Entra sent (null after a full read).
   * Absent on plans stored before they existed.
   */
  directoryUsers?: number;
  changesRead?: number | null;
}

export interface DepartmentCreate {
  code: string;
  name: string;
  /** 1 for the Entra container, 2 for Entra departments (R8). */
  level: 1 | 2;
}

export interface UserCreate {
  entraObjectId: string;
  loginName: string;
  name: string;
  email: string | null;
  phone: string | null;
  departmentCode: string | null;
}

export type UpdatableField = 'name' | 'email' | 'phone' | 'department' | 'entraObjectId';

export interface FieldChange {
  from: string | null;
  to: string | null;
}

export interface UserUpdate {
  userId: string;
  entraObjectId: string;
  loginName: string;
  /** How the service user was linked: R17 (object id), R18 (login name = UPN) or R19 (email = mail). */
  linkedBy: 'R17' | 'R18' | 'R19';
  fields: Partial<Record<UpdatableField, FieldChange>>;
}

export interface UserDelete {
  userId: string;
  loginName: string;
  name: string;
  entraObjectId: string | null;
}

export interface SkippedUser {
  entraObjectId: string;
  userPrincipalName: string | null;
  displayName: string | null;
  reason: SkipReason;
}

export interface PlanChanges {
  createDepartments: DepartmentCreate[];
  createUsers: UserCreate[];
  updateUsers: UserUpdate[];
  deleteUsers: UserDelete[];
}

/** R28: one holder of a shared email, in the service or in Entra. */
export interface EmailHolder {
  loginName: string;
  source: 'service' | 'entra';
  entraObjectId?: string;
  userId?: string;
}

/**
 * Plan errors, one shape of details per code (item 7 of issue 8): the cards, the tab and the
 * CLI render each code through a renderer the compiler checks for completeness. `message` is
 * the English sentence the REST API and the CLI show; the cards write their own per language.
 */
export type PlanError =
  | { code: 'DUPLICATE_EMAIL'; message: string; email: string; users: EmailHolder[] }
  | { code: 'UNDELETABLE_USER'; message: string; userId: string; loginName: string; name: string; roles: Role[] }
  | { code: 'USER_LIMIT_EXCEEDED'; message: string; maxUsers: number; resultingUsers: number }
  | { code: 'PLAN_NOT_ELIGIBLE'; message: string; plan: CompanyPlan }
  | { code: 'TENANT_MISMATCH'; message: string; companyTenantId: string; directoryTenantId: string }
  | { code: 'TENANT_ALREADY_LINKED'; message: string; tenantId: string }
  | { code: 'INITIAL_PASSWORD_MISSING'; message: string; usersToCreate: number }
  | {
      code: 'DUPLICATE_LOGIN_NAME';
      message: string;
      loginName: string;
      entraObjectIds: string[];
      /** The service user already holding the login name, when one does. */
      userId?: string;
      existingLoginName?: string;
    };

export type PlanWarning =
  | { code: 'EMAIL_KEPT'; message: string; userId: string; loginName: string; email: string | null }
  | { code: 'DISABLED_USER_UPDATED'; message: string; userId: string; loginName: string; entraObjectId: string }
  | { code: 'DELETIONS_NEED_CONFIRMATION'; message: string; deletions: number; threshold: number }
  | { code: 'TENANT_WILL_BE_LINKED'; message: string; tenantId: string }
  /** `code` is the issue code, so the department's code goes in departmentCode. */
  | { code: 'DEPARTMENT_REUSED'; message: string; departmentId: string; departmentCode: string }
  | {
      code: 'DIRECTORY_VALUE_ADJUSTED';
      message: string;
      entraObjectId: string;
      userPrincipalName: string | null;
      displayName: string | null;
      fields: DirectoryAdjustment[];
    };

export type PlanErrorCode = PlanError['code'];
export type PlanWarningCode = PlanWarning['code'];
/** Every plan error and warning code, e.g. for completeness tests. */
export const PLAN_ERROR_CODES = [
  'DUPLICATE_EMAIL',
  'UNDELETABLE_USER',
  'USER_LIMIT_EXCEEDED',
  'PLAN_NOT_ELIGIBLE',
  'TENANT_MISMATCH',
  'TENANT_ALREADY_LINKED',
  'INITIAL_PASSWORD_MISSING',
  'DUPLICATE_LOGIN_NAME',
] as const satisfies readonly PlanErrorCode[];
export const PLAN_WARNING_CODES = [
  'EMAIL_KEPT',
  'DISABLED_USER_UPDATED',
  'DELETIONS_NEED_CONFIRMATION',
  'TENANT_WILL_BE_LINKED',
  'DEPARTMENT_REUSED',
  'DIRECTORY_VALUE_ADJUSTED',
] as const satisfies readonly PlanWarningCode[];

/** The issue of one code, e.g. `IssueOf<PlanError, 'DUPLICATE_EMAIL'>`. */
export type IssueOf<I extends { code: string }, C extends I['code']> = Extract<I, { code: C }>;

/**
 * The typed constructor every producer (planner, sync service, undo) builds an issue with: the
 * details must be exactly the shape of that code.
 */
export function issue<I extends { code: string }, C extends I['code']>(code: C, details: Omit<IssueOf<I, C>, 'code'>): IssueOf<I, C> {
  return { code, ...details } as unknown as IssueOf<I, C>;
}
export const planError = <C extends PlanErrorCode>(code: C, details: Omit<IssueOf<PlanError, C>, 'code'>): IssueOf<PlanError, C> =>
  issue<PlanError, C>(code, details);
export const planWarning = <C extends PlanWarningCode>(code: C, details: Omit<IssueOf<PlanWarning, C>, 'code'>): IssueOf<PlanWarning, C> =>
  issue<PlanWarning, C>(code, details);

/** What the pure planner computes: the body of a plan, before it is stored. */
export interface PlanBody {
  tenantId: string;
  summary: PlanSummary;
  changes: PlanChanges;
  errors: PlanError[];
  warnings: PlanWarning[];
  skippedUsers: SkippedUser[];
  /** B2: true when deletions exceed the company's threshold. */
  requiresDeletionConfirmation: boolean;
  /** The company's dataVersion the plan was computed against (B3). */
  baseDataVersion: number;
}

/** What every plan held for confirmation carries, whatever its kind (import or undo). */
export interface HeldPlanFields {
  id: string;
  companyId: string;
  status: PlanStatus;
  createdAt: string;
  expiresAt: string;
  requestedBy: string;
}

export interface Plan extends PlanBody, HeldPlanFields {
  /**
   * Which kind of plan this is: an import (this type) or an undo (`UndoPlan` in undo.ts). Always
   * written as 'import' by the sync service; plans stored before kinds existed have none.
   */
  kind?: 'import';
  source: PlanSource;
  /**
   * The linked tenant's display name (Graph /organization) as read when the plan was made: cards
   * name the tenant by it. Null when it could not be read (the id is shown); absent on older plans.
   */
  tenantName?: string | null;
}

export type PlanSource = 'api' | 'cli' | 'teams' | 'schedule' | 'tab';

export interface RunCounts {
  created: number;
  updated: number;
  deleted: number;
  departmentsCreated: number;
}

export interface Run {
  id: string;
  planId: string;
  status: 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string;
  counts: RunCounts;
  confirmedBy: string;
  error?: { code: string; message: string };
}
