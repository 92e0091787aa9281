/**
 * The bot's words in English and Japanese (B8), chosen by the activity's locale. Every
 * parameterised sentence is a function so both languages keep their own word order.
 */
import { truncate } from '../domain/text.ts';
import { ROLE_LABELS_EN, type PlanErrorCode, type PlanIssue, type PlanWarningCode, type Role, type SkipReason, type UpdatableField } from '../domain/types.ts';
import type { Refusal } from '../domain/access.ts';

export type Lang = 'en' | 'ja';

export function langOf(locale: string | undefined | null): Lang {
  return (locale ?? '').trim().toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function localeTag(lang: Lang): string {
  return lang === 'ja' ? 'ja-JP' : 'en-US';
}

/** Longest name, email or code a card shows (a 10,000-character Entra name must not outgrow Teams' 28 KB). */
export const SHOWN_NAME_MAX_CHARS = 100;
/** Longest free-form message a card shows (an issue without its own sentence). */
export const SHOWN_MESSAGE_MAX_CHARS = 400;

/**
 * Escapes what Adaptive Cards TextBlock markdown would interpret in text that comes from
 * someone else (names from Entra, emails): a display name must never become a link or
 * a date function. Cuts it at `max` characters with an ellipsis: every card stays small
 * whatever the directory holds (defect 9).
 */
export function md(s: string | null | undefined, max: number = SHOWN_NAME_MAX_CHARS): string {
  const text = s ?? '';
  return (text.length > max ? `${truncate(text, max)}…` : text)
    .replace(/[\\*_[\]()`~#>|]/g, (c) => `\\${c}`)
    .replace(/\{\{/g, '{\u200b{')
    .replace(/[\r\n]+/g, ' ');
}

/** Seconds to one decimal, in the language's format. */
export function seconds(lang: Lang, ms: number): string {
  return new Intl.NumberFormat(localeTag(lang), { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(ms / 1000);
}

export function num(lang: Lang, n: number): string {
  return new Intl.NumberFormat(localeTag(lang)).format(n);
}

/** An instant for Adaptive Cards' DATE()/TIME() functions, which Teams shows in the reader's time zone. */
export function acInstant(isoString: string): string {
  return new Date(isoString).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "1 user", "2 users" (English only; Japanese has no plural). */
const users = (n: number): string => `${num('en', n)} ${n === 1 ? 'user' : 'users'}`;

const ROLE_EN = ROLE_LABELS_EN;
const ROLE_JA: Record<Role, string> = {
  systemAdmin: 'システム管理者',
  crisisManager: '災害対策責任者',
  manager: '管理者',
  departmentManager: '部署管理者',
  autoSendResponsible: '災害発生時の設定の責任者',
  scheduledSendResponsible: '予約送信の責任者',
  guest: 'ゲスト',
};

const FIELD_EN: Record<UpdatableField, string> = {
  name: 'name',
  email: 'email',
  phone: 'phone',
  department: 'department',
  entraObjectId: 'Entra link',
};
const FIELD_JA: Record<UpdatableField, string> = {
  name: '氏名',
  email: 'メール',
  phone: '電話番号',
  department: '部署',
  entraObjectId: 'Entra 連携',
};

const SKIP_EN: Record<SkipReason, string> = {
  guest: 'Guests',
  external: 'External users (another tenant)',
  disabledNew: 'Disabled, not in the service yet',
  noUserPrincipalName: 'Without a user principal name',
};
const SKIP_JA: Record<SkipReason, string> = {
  guest: 'ゲスト',
  external: '外部ユーザー (他テナント)',
  disabledNew: '無効 (サービス未登録)',
  noUserPrincipalName: 'ユーザー プリンシパル名なし',
};

type IssueText = { text: string; remedy: string };

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface Strings {
  lang: Lang;
  // plan card
  planTitle: string;
  subtitle(company: string, tenantId: string): string;
  requested(name: string, usersRead: number | null, ms: number | null): string;
  summary: { create: string; update: string; delete: string; unchanged: string; departments: string };
  samples: { create: string; update: string; delete: string; departments: string };
  more(n: number): string;
  fields(fields: UpdatableField[]): string;
  skippedHeading: string;
  skip: Record<SkipReason, string>;
  warningsHeading(n: number): string;
  errorsHeading(n: number): string;
  errorsMore(n: number): string;
  errorsFooter: string;
  deletionToggle(n: number, threshold: number): string;
  deletionLabel: string;
  deletionError: string;
  expires(at: string, minutes: number): string;
  tabNote: string;
  nothingToChange: string;
  confirm: string;
  cancel: string;
  error(issue: PlanIssue<PlanErrorCode | string>): IssueText;
  warning(issue: PlanIssue<PlanWarningCode | string>): string;
  // after the click
  importingTitle: string;
  confirmedBy(name: string): string;
  importingNote: string;
  resultTitle: string;
  resultCounts: { created: string; updated: string; deleted: string; departmentsCreated: string; duration: string };
  resultConfirmed(name: string, at: string): string;
  resultNote: string;
  failedTitle: string;
  failedReason(reason: string): string;
  importFailure(code: string, message: string): string;
  cancelledTitle(name: string): string;
  expiredTitle: string;
  expiredText: string;
  staleTitle: string;
  staleText: string;
  nothingChanged: string;
  planAgain: string;
  deletionsNotConfirmed: string;
  clickRefused(reason: Refusal | 'NOT_IN_CONVERSATION' | 'OTHER_COMPANY'): string;
  unknownCard: string;
  // help and status
  helpTitle: string;
  helpIntro: string;
  helpCommands: { command: string; text: string }[];
  helpWho: string;
  helpSync: string;
  helpStatus: string;
  statusTitle: string;
  statusSubtitle(company: string): string;
  statusEmpty: string;
  runStatus(status: 'succeeded' | 'failed'): string;
  runCounts(c: { created: number; updated: number; deleted: number; departmentsCreated: number }): string;
  runBy(by: string): string;
  // sign-in and consent
  signInText: string;
  signInButton: string;
  consentTitle: string;
  consentLines: string[];
  consentButton: string;
  consentRetry: string;
  signInFailed(code: string): string;
  signInExpired: string;
  // reading
  reading: string;
  /** Who asked for a plan the schedule made (B7). */
  scheduleName: string;
  readingProgress(n: number): string;
  readDone(n: number, ms: number): string;
  refusal(reason: Refusal, company: string | null): string;
  failure(code: string, message: string): string;
  notConfigured: string;
  /** Defect 14: the account could not be checked (database, Graph or Teams unreachable); never a refusal. */
  accountCheckFailed: string;
}

const en: Strings = {
  lang: 'en',
  planTitle: 'Directory sync plan',
  subtitle: (company, tenantId) => `${md(company)} · Microsoft Entra tenant ${md(tenantId)}`,
  requested: (name, n, ms) =>
    `Requested by ${md(name)}${n === null ? '' : ` · ${num('en', n)} users read${ms === null ? '' : ` in ${seconds('en', ms)} s`}`}`,
  summary: {
    create: 'Users to create',
    update: 'Users to update',
    delete: 'Users to delete',
    unchanged: 'Users unchanged',
    departments: 'Departments to create',
  },
  samples: { create: 'New users', update: 'Updated users', delete: 'Deleted users', departments: 'New departments' },
  more: (n) => `and ${num('en', n)} more`,
  fields: (f) => f.map((x) => FIELD_EN[x]).join(', '),
  skippedHeading: 'Read but not imported',
  skip: SKIP_EN,
  warningsHeading: (n) => `Warnings (${num('en', n)})`,
  errorsHeading: (n) => `Blocking errors (${num('en', n)}): nothing can be imported until they are fixed`,
  errorsMore: (n) => `…and ${num('en', n)} more errors; the full list is in the Safety Sync tab.`,
  errorsFooter: 'Fix these, then type **sync directory** to plan again.',
  deletionToggle: (n, t) => `I confirm that ${users(n)} will be deleted (more than the limit of ${num('en', t)})`,
  deletionLabel: 'Deletion guard',
  deletionError: 'Tick this box to confirm the deletions.',
  expires: (at, minutes) =>
    `This plan expires at {{TIME(${at})}} on {{DATE(${at}, SHORT)}} (${num('en', minutes)} minutes after it was made). After that, plan again.`,
  tabNote: 'The full lists are in the Safety Sync tab.',
  nothingToChange: 'Nothing to change: the safety service already matches Microsoft Entra ID.',
  confirm: 'Confirm import',
  cancel: 'Cancel',
  error: (e) => {
    const d = e as Record<string, unknown>;
    switch (e.code) {
      case 'DUPLICATE_EMAIL':
        return {
          text: `The email ${md(str(d.email))} would be shared by ${list(d.users)
            .map((u) => md(str((u as { loginName?: unknown }).loginName)))
            .join(', ')}.`,
          remedy: 'Fix: remove the address from one of them in the safety service or in Entra ID.',
        };
      case 'UNDELETABLE_USER':
        return {
          text: `${md(str(d.name))} (${md(str(d.loginName))}) was removed from Entra ID but cannot be deleted: they are the ${list(d.roles)
            .map((r) => ROLE_EN[r as Role] ?? str(r))
            .join(' and ')}.`,
          remedy: 'Fix: remove the role in the safety service first.',
        };
      case 'USER_LIMIT_EXCEEDED':
        return {
          text: `After the import the company would have ${num('en', Number(d.resultingUsers))} users, more than its limit of ${num('en', Number(d.maxUsers))}.`,
          remedy: 'Fix: raise the user limit of the contract, or remove users from Entra ID.',
        };
      case 'PLAN_NOT_ELIGIBLE':
        return { text: 'The Entra ID import needs the premier plan or above.', remedy: 'Fix: change the contract plan.' };
      case 'TENANT_MISMATCH':
        return {
          text: `The company is linked to the Entra tenant ${md(str(d.companyTenantId))}, but the directory read belongs to ${md(str(d.directoryTenantId))}.`,
          remedy: 'Fix: sync with an account of the linked tenant.',
        };
      case 'TENANT_ALREADY_LINKED':
        return {
          text: 'This Entra tenant is already linked to another company.',
          remedy: 'Fix: one tenant links to one company only; unlink it from the other company first.',
        };
      case 'INITIAL_PASSWORD_MISSING':
        return {
          text: `No initial password is set, and ${num('en', Number(d.usersToCreate))} users would be created.`,
          remedy: 'Fix: set the initial password in the Safety Sync tab (Settings) first.',
        };
      case 'DUPLICATE_LOGIN_NAME':
        return {
          text: `The login name ${md(str(d.loginName))} cannot be used for a new user: it is already taken.`,
          remedy: 'Fix: change the login name in the safety service or the user principal name in Entra ID.',
        };
      default:
        return { text: md(e.message, SHOWN_MESSAGE_MAX_CHARS), remedy: '' };
    }
  },
  warning: (w) => {
    const d = w as Record<string, unknown>;
    switch (w.code) {
      case 'EMAIL_KEPT':
        return `${md(str(d.loginName))} has no email in Entra ID; the email in the safety service is kept.`;
      case 'DISABLED_USER_UPDATED':
        return `${md(str(d.loginName))} is disabled in Entra ID but linked, so it is still updated.`;
      case 'DELETIONS_NEED_CONFIRMATION':
        return `${users(Number(d.deletions))} would be deleted, more than the limit of ${num('en', Number(d.threshold))}: tick the box below to confirm.`;
      case 'TENANT_WILL_BE_LINKED':
        return `This import links the company to the Entra tenant ${md(str(d.tenantId))}.`;
      case 'DEPARTMENT_REUSED':
        return `The existing department ${md(str(d.departmentCode))} is used for the Entra department of the same name.`;
      case 'DIRECTORY_VALUE_ADJUSTED':
        return `${md(str(d.userPrincipalName ?? d.displayName ?? d.entraObjectId))} has values in Entra ID that are too long or hold control characters; they are imported cut or cleaned. Fix them in Entra ID.`;
      default:
        return md(w.message, SHOWN_MESSAGE_MAX_CHARS);
    }
  },
  importingTitle: 'Importing…',
  confirmedBy: (name) => `Confirmed by ${md(name)}.`,
  importingNote: 'This card shows the result when the import has finished.',
  resultTitle: 'Import completed',
  resultCounts: {
    created: 'Users created',
    updated: 'Users updated',
    deleted: 'Users deleted',
    departmentsCreated: 'Departments created',
    duration: 'Duration',
  },
  resultConfirmed: (name, at) => `Confirmed by ${md(name)} at {{TIME(${at})}} on {{DATE(${at}, SHORT)}}.`,
  resultNote: 'History and undo are in the Safety Sync tab.',
  failedTitle: 'Import failed',
  failedReason: (reason) => `Reason: ${md(reason, SHOWN_MESSAGE_MAX_CHARS)}`,
  importFailure: (code, message) =>
    code === 'INTERRUPTED'
      ? 'The import was interrupted (the server stopped) and the whole import was rolled back.'
      : code === 'IMPORT_IN_PROGRESS'
      ? 'Another import for the company was running.'
      : code === 'INTERNAL'
        ? 'An unexpected error occurred while importing, and the whole import was rolled back.'
        : code === 'PLAN_HAS_ERRORS'
          ? 'The plan has blocking errors.'
          : code === 'DELETIONS_NOT_CONFIRMED'
            ? 'The deletions were not confirmed.'
            : message,
  cancelledTitle: (name) => `Cancelled by ${md(name)}`,
  expiredTitle: 'This plan has expired',
  expiredText: 'A plan can only be confirmed for a limited time. Plan again to see the current differences.',
  staleTitle: 'This plan is out of date',
  staleText: 'The safety service data changed after this plan was made, so it was not applied. Plan again to see the current differences.',
  nothingChanged: 'Nothing was changed.',
  planAgain: 'Plan again',
  deletionsNotConfirmed: 'Tick the deletion box before confirming: this plan deletes more users than the limit allows.',
  clickRefused: (reason) => {
    switch (reason) {
      case 'NOT_IN_CONVERSATION':
      case 'OTHER_COMPANY':
        return 'This card does not belong to this conversation or company; nothing was changed.';
      case 'TENANT_NOT_LINKED':
        return 'Sorry, your Entra tenant is not linked to this company; nothing was changed.';
      case 'NO_ENTRA_ROLE':
        return 'Sorry, confirming needs the Entra ID role Cloud Application Administrator or higher; nothing was changed.';
      case 'IDENTITY_MISMATCH':
        return 'Sorry, the sign-in does not match your Teams account; nothing was changed.';
      default:
        return 'Sorry, only system administrators of the safety service may confirm or cancel an import; nothing was changed.';
    }
  },
  unknownCard: 'This card is no longer valid. Type **sync directory** to plan again.',
  helpTitle: 'Safety Sync',
  helpIntro: 'I keep the staff list of the safety confirmation service in step with Microsoft Entra ID.',
  helpCommands: [
    { command: 'sync directory', text: 'Read Entra ID and show what an import would change. Nothing changes until you press Confirm.' },
    { command: 'status', text: 'Show the last imports.' },
    { command: 'help', text: 'Show this help.' },
  ],
  helpWho:
    'Only system administrators of the safety service who are also Cloud Application Administrators (or higher) in Entra ID may sync.',
  helpSync: 'Sync directory',
  helpStatus: 'Status',
  statusTitle: 'Recent imports',
  statusSubtitle: (company) => md(company),
  statusEmpty: 'No import has run yet. Type **sync directory** to plan the first one.',
  runStatus: (s) => (s === 'succeeded' ? 'Succeeded' : 'Failed'),
  runCounts: (c) =>
    `${num('en', c.created)} created · ${num('en', c.updated)} updated · ${num('en', c.deleted)} deleted · ${num('en', c.departmentsCreated)} departments`,
  runBy: (by) => `Confirmed by ${md(by)}`,
  signInText: 'Sign in so that Safety Sync can read your directory on your behalf.',
  signInButton: 'Sign in',
  consentTitle: 'Admin consent needed',
  consentLines: [
    'Safety Sync may not read your directory yet: an administrator of your Entra tenant has not granted the app the permission it needs (Microsoft Graph User.Read.All, AADSTS65001).',
    'A Global Administrator (or Privileged Role Administrator) can grant it with the button below. Nothing was read or changed.',
  ],
  consentButton: 'Grant admin consent',
  consentRetry: 'Try again',
  signInFailed: (code) => {
    const hint =
      code === 'resourcematchfailed'
        ? 'The app manifest (webApplicationInfo) and the bot sign-in settings do not match; ask the person who installed Safety Sync to check them.'
        : code === 'userconsentrequired' || code === 'interactionrequired'
          ? 'Use the Sign in button to sign in and consent.'
          : 'Try again, or use the Sign in button.';
    return `Teams could not sign you in silently (${md(code)}). ${hint} Nothing was read or changed.`;
  },
  signInExpired:
    'Your sign-in expired while the directory was being read, so nothing was planned or changed. Sign in again to continue.',
  reading: 'Reading the directory from Microsoft Entra ID…',
  scheduleName: 'the scheduled sync',
  readingProgress: (n) => `Reading the directory from Microsoft Entra ID… ${num('en', n)} users so far.`,
  readDone: (n, ms) => `Read ${num('en', n)} users from Microsoft Entra ID in ${seconds('en', ms)} s.`,
  refusal: (reason, company) => {
    const c = company ? md(company) : 'your company';
    switch (reason) {
      case 'TENANT_NOT_LINKED':
        return "Sorry, your Microsoft Entra tenant isn't linked to a company in the safety service, so there is nothing I may sync. A system administrator of the safety service can link it in the Safety Sync tab.";
      case 'PLAN_NOT_ELIGIBLE':
        return `Sorry, ${c} is on the lite plan; the Entra ID import needs the premier plan or above.`;
      case 'NOT_A_SERVICE_USER':
        return `Sorry, I couldn't find you among the users of ${c} in the safety service (by your Entra account or sign-in name). Only its system administrators may sync the directory.`;
      case 'NOT_SYSTEM_ADMIN':
        return `Sorry, only system administrators of the safety service may sync the directory, and your account in ${c} isn't one. Please ask a system administrator.`;
      case 'NO_ENTRA_ROLE':
        return "Sorry, syncing needs the Entra ID role Cloud Application Administrator or higher (Application Administrator, Privileged Role Administrator or Global Administrator), and your account doesn't hold one.";
      case 'IDENTITY_MISMATCH':
        return "Sorry, the sign-in doesn't match your Teams account, so I stopped. Nothing was read.";
    }
  },
  failure: (code, message) => {
    switch (code) {
      case 'DIRECTORY_THROTTLED':
        return 'Microsoft Graph is throttling requests right now, so nothing was planned or changed. Try again in a few minutes.';
      case 'DIRECTORY_TIMEOUT':
        return 'Microsoft Graph did not answer in time, so nothing was planned or changed. Try again later.';
      case 'DIRECTORY_UNAVAILABLE':
        return `I couldn't read the directory from Microsoft Graph (${md(message, SHOWN_MESSAGE_MAX_CHARS)}). Nothing was planned or changed.`;
      case 'TOKEN_UNAVAILABLE':
        return `I couldn't get access to Microsoft Graph (${md(message, SHOWN_MESSAGE_MAX_CHARS)}). Nothing was read or changed.`;
      case 'IMPORT_IN_PROGRESS':
        return 'Another import for your company is running; try again when it has finished. Nothing was changed.';
      default:
        return `Something went wrong (${md(code)}). Nothing was changed.`;
    }
  },
  notConfigured: 'The bot sign-in is not configured (AAD_APP_CLIENT_ID, AAD_APP_CLIENT_SECRET, AAD_APP_TENANT_ID); nothing was read.',
  accountCheckFailed: "Sorry, I couldn't check your account right now, so nothing was read or changed. Please try again in a moment.",
};

const ja: Strings = {
  lang: 'ja',
  planTitle: 'ディレクトリ同期の計画',
  subtitle: (company, tenantId) => `${md(company)}・Microsoft Entra テナント ${md(tenantId)}`,
  requested: (name, n, ms) =>
    `依頼者: ${md(name)}${n === null ? '' : `・${num('ja', n)} 人を読み込み${ms === null ? '' : ` (${seconds('ja', ms)} 秒)`}`}`,
  summary: {
    create: '追加するユーザー',
    update: '更新するユーザー',
    delete: '削除するユーザー',
    unchanged: '変更のないユーザー',
    departments: '作成する部署',
  },
  samples: { create: '追加するユーザー', update: '更新するユーザー', delete: '削除するユーザー', departments: '作成する部署' },
  more: (n) => `ほか ${num('ja', n)} 件`,
  fields: (f) => f.map((x) => FIELD_JA[x]).join('・'),
  skippedHeading: '読み込んだが取り込まないユーザー',
  skip: SKIP_JA,
  warningsHeading: (n) => `注意 (${num('ja', n)} 件)`,
  errorsHeading: (n) => `エラー (${num('ja', n)} 件): 解消するまで取り込めません`,
  errorsMore: (n) => `…ほか ${num('ja', n)} 件のエラーがあります。全件は Safety Sync タブで確認できます。`,
  errorsFooter: '解消してから、もう一度 **ディレクトリ同期** と入力して計画してください。',
  deletionToggle: (n, t) => `${num('ja', n)} 人のユーザーが削除されることを確認しました (上限 ${num('ja', t)} 人を超えています)`,
  deletionLabel: '削除の確認',
  deletionError: '削除を確認するにはチェックを入れてください。',
  expires: (at, minutes) =>
    `この計画の有効期限は {{DATE(${at}, SHORT)}} {{TIME(${at})}} です (作成から ${num('ja', minutes)} 分)。期限を過ぎたら、もう一度計画してください。`,
  tabNote: '全件の一覧は Safety Sync タブで確認できます。',
  nothingToChange: '変更はありません。安否確認サービスは Microsoft Entra ID と一致しています。',
  confirm: '取り込みを実行',
  cancel: 'キャンセル',
  error: (e) => {
    const d = e as Record<string, unknown>;
    switch (e.code) {
      case 'DUPLICATE_EMAIL':
        return {
          text: `メールアドレス ${md(str(d.email))} が ${list(d.users)
            .map((u) => md(str((u as { loginName?: unknown }).loginName)))
            .join('、')} で重複します。`,
          remedy: '対処: 安否確認サービスまたは Entra ID で、どちらかのアドレスを削除してください。',
        };
      case 'UNDELETABLE_USER':
        return {
          text: `${md(str(d.name))} (${md(str(d.loginName))}) は Entra ID から削除されましたが、${list(d.roles)
            .map((r) => ROLE_JA[r as Role] ?? str(r))
            .join('・')}のため削除できません。`,
          remedy: '対処: 先に安否確認サービスでその権限を外してください。',
        };
      case 'USER_LIMIT_EXCEEDED':
        return {
          text: `取り込み後のユーザー数 ${num('ja', Number(d.resultingUsers))} 人が上限 ${num('ja', Number(d.maxUsers))} 人を超えます。`,
          remedy: '対処: 契約のユーザー上限を引き上げるか、Entra ID のユーザーを減らしてください。',
        };
      case 'PLAN_NOT_ELIGIBLE':
        return { text: 'Entra ID の取り込みはプレミアプラン以上で利用できます。', remedy: '対処: 契約プランを変更してください。' };
      case 'TENANT_MISMATCH':
        return {
          text: `会社は Entra テナント ${md(str(d.companyTenantId))} と連携していますが、読み込んだディレクトリはテナント ${md(str(d.directoryTenantId))} のものです。`,
          remedy: '対処: 連携しているテナントのアカウントで同期してください。',
        };
      case 'TENANT_ALREADY_LINKED':
        return {
          text: 'この Entra テナントは別の会社と連携済みです。',
          remedy: '対処: 1 つのテナントは 1 つの会社とだけ連携できます。先に他の会社の連携を解除してください。',
        };
      case 'INITIAL_PASSWORD_MISSING':
        return {
          text: `初期パスワードが設定されていません (${num('ja', Number(d.usersToCreate))} 人を追加する予定です)。`,
          remedy: '対処: 先に Safety Sync タブの設定で初期パスワードを設定してください。',
        };
      case 'DUPLICATE_LOGIN_NAME':
        return {
          text: `ログイン名 ${md(str(d.loginName))} は既に使われているため、新しいユーザーに使えません。`,
          remedy: '対処: 安否確認サービスのログイン名か、Entra ID のユーザー プリンシパル名を変更してください。',
        };
      default:
        return { text: md(e.message, SHOWN_MESSAGE_MAX_CHARS), remedy: '' };
    }
  },
  warning: (w) => {
    const d = w as Record<string, unknown>;
    switch (w.code) {
      case 'EMAIL_KEPT':
        return `${md(str(d.loginName))} は Entra ID にメールがないため、安否確認サービスのメールをそのまま残します。`;
      case 'DISABLED_USER_UPDATED':
        return `${md(str(d.loginName))} は Entra ID で無効ですが、連携済みのため更新します。`;
      case 'DELETIONS_NEED_CONFIRMATION':
        return `${num('ja', Number(d.deletions))} 人が削除され、上限 ${num('ja', Number(d.threshold))} 人を超えます。下のチェックで確認してください。`;
      case 'TENANT_WILL_BE_LINKED':
        return `この取り込みで会社を Entra テナント ${md(str(d.tenantId))} と連携します。`;
      case 'DEPARTMENT_REUSED':
        return `既存の部署 ${md(str(d.departmentCode))} を同名の Entra の部署として使います。`;
      case 'DIRECTORY_VALUE_ADJUSTED':
        return `${md(str(d.userPrincipalName ?? d.displayName ?? d.entraObjectId))} の Entra ID の値に長すぎる文字列または制御文字があるため、切り詰めて(取り除いて)取り込みます。Entra ID 側で修正してください。`;
      default:
        return md(w.message, SHOWN_MESSAGE_MAX_CHARS);
    }
  },
  importingTitle: '取り込み中…',
  confirmedBy: (name) => `${md(name)} さんが実行しました。`,
  importingNote: '完了すると、このカードに結果が表示されます。',
  resultTitle: '取り込みが完了しました',
  resultCounts: {
    created: '追加したユーザー',
    updated: '更新したユーザー',
    deleted: '削除したユーザー',
    departmentsCreated: '作成した部署',
    duration: '所要時間',
  },
  resultConfirmed: (name, at) => `${md(name)} さんが {{DATE(${at}, SHORT)}} {{TIME(${at})}} に実行しました。`,
  resultNote: '履歴と取り消しは Safety Sync タブにあります。',
  failedTitle: '取り込みに失敗しました',
  failedReason: (reason) => `理由: ${md(reason, SHOWN_MESSAGE_MAX_CHARS)}`,
  importFailure: (code, message) =>
    code === 'INTERRUPTED'
      ? 'サーバーが停止したため取り込みが中断され、取り込み全体を元に戻しました。'
      : code === 'IMPORT_IN_PROGRESS'
      ? '別の取り込みを実行中でした。'
      : code === 'INTERNAL'
        ? '取り込み中に予期しないエラーが発生したため、取り込み全体を元に戻しました。'
        : code === 'PLAN_HAS_ERRORS'
          ? '計画にエラーがあります。'
          : code === 'DELETIONS_NOT_CONFIRMED'
            ? '削除が確認されていません。'
            : message,
  cancelledTitle: (name) => `${md(name)} さんがキャンセルしました`,
  expiredTitle: 'この計画は期限切れです',
  expiredText: '計画を実行できるのは一定時間内だけです。もう一度計画して、最新の差分を確認してください。',
  staleTitle: 'この計画は古くなりました',
  staleText: '計画の作成後に安否確認サービスのデータが変わったため、実行しませんでした。もう一度計画して、最新の差分を確認してください。',
  nothingChanged: '何も変更されていません。',
  planAgain: 'もう一度計画する',
  deletionsNotConfirmed: 'この計画は上限を超える人数を削除します。実行する前に削除の確認にチェックを入れてください。',
  clickRefused: (reason) => {
    switch (reason) {
      case 'NOT_IN_CONVERSATION':
      case 'OTHER_COMPANY':
        return 'このカードはこの会話または会社のものではありません。何も変更されていません。';
      case 'TENANT_NOT_LINKED':
        return '申し訳ありません。お使いの Entra テナントはこの会社と連携していません。何も変更されていません。';
      case 'NO_ENTRA_ROLE':
        return '申し訳ありません。実行には Entra ID のクラウド アプリケーション管理者以上のロールが必要です。何も変更されていません。';
      case 'IDENTITY_MISMATCH':
        return '申し訳ありません。サインインしたアカウントが Teams のアカウントと一致しません。何も変更されていません。';
      default:
        return '申し訳ありません。取り込みの実行やキャンセルは安否確認サービスのシステム管理者だけができます。何も変更されていません。';
    }
  },
  unknownCard: 'このカードはもう使えません。**ディレクトリ同期** と入力して、もう一度計画してください。',
  helpTitle: 'Safety Sync',
  helpIntro: '安否確認サービスの名簿を Microsoft Entra ID と同期します。',
  helpCommands: [
    { command: 'ディレクトリ同期', text: 'Entra ID を読み込み、取り込みで何が変わるかを表示します (sync directory)。実行するまで何も変わりません。' },
    { command: 'status', text: '最近の取り込みを表示します。' },
    { command: 'help', text: 'このヘルプを表示します。' },
  ],
  helpWho: '同期できるのは、安否確認サービスのシステム管理者で、かつ Entra ID のクラウド アプリケーション管理者以上の方だけです。',
  helpSync: 'ディレクトリ同期',
  helpStatus: '状況',
  statusTitle: '最近の取り込み',
  statusSubtitle: (company) => md(company),
  statusEmpty: 'まだ取り込みはありません。**ディレクトリ同期** と入力して最初の計画を作成してください。',
  runStatus: (s) => (s === 'succeeded' ? '成功' : '失敗'),
  runCounts: (c) =>
    `追加 ${num('ja', c.created)}・更新 ${num('ja', c.updated)}・削除 ${num('ja', c.deleted)}・部署 ${num('ja', c.departmentsCreated)}`,
  runBy: (by) => `実行者: ${md(by)}`,
  signInText: 'Safety Sync があなたの代わりにディレクトリを読み込めるよう、サインインしてください。',
  signInButton: 'サインイン',
  consentTitle: '管理者の同意が必要です',
  consentLines: [
    'Safety Sync はまだディレクトリを読み込めません。Entra テナントの管理者が、必要なアクセス許可 (Microsoft Graph User.Read.All) をアプリに付与していません (AADSTS65001)。',
    'グローバル管理者 (または特権ロール管理者) が下のボタンから同意できます。何も読み込まず、何も変更していません。',
  ],
  consentButton: '管理者として同意する',
  consentRetry: 'もう一度試す',
  signInFailed: (code) => {
    const hint =
      code === 'resourcematchfailed'
        ? 'アプリ マニフェスト (webApplicationInfo) とボットのサインイン設定が一致していません。Safety Sync を導入した方に確認を依頼してください。'
        : code === 'userconsentrequired' || code === 'interactionrequired'
          ? 'サインイン ボタンからサインインして同意してください。'
          : 'もう一度試すか、サインイン ボタンを使ってください。';
    return `Teams で自動サインインできませんでした (${md(code)})。${hint} 何も読み込まず、何も変更していません。`;
  },
  signInExpired: 'ディレクトリの読み込み中にサインインの有効期限が切れたため、計画は作成せず、何も変更していません。続けるにはもう一度サインインしてください。',
  reading: 'Microsoft Entra ID からディレクトリを読み込んでいます…',
  scheduleName: '定期同期',
  readingProgress: (n) => `Microsoft Entra ID からディレクトリを読み込んでいます… ${num('ja', n)} 人を読み込みました。`,
  readDone: (n, ms) => `Microsoft Entra ID から ${num('ja', n)} 人を ${seconds('ja', ms)} 秒で読み込みました。`,
  refusal: (reason, company) => {
    const c = company ? md(company) : 'お客様の会社';
    switch (reason) {
      case 'TENANT_NOT_LINKED':
        return '申し訳ありません。お使いの Microsoft Entra テナントは安否確認サービスのどの会社とも連携していないため、同期できません。安否確認サービスのシステム管理者が Safety Sync タブで連携できます。';
      case 'PLAN_NOT_ELIGIBLE':
        return `申し訳ありません。${c} はライトプランのため、Entra ID の取り込みは使えません (プレミアプラン以上が必要です)。`;
      case 'NOT_A_SERVICE_USER':
        return `申し訳ありません。${c} の安否確認サービスのユーザーの中に、あなたのアカウント (Entra アカウントまたはログイン名) が見つかりませんでした。ディレクトリ同期はシステム管理者だけが行えます。`;
      case 'NOT_SYSTEM_ADMIN':
        return `申し訳ありません。ディレクトリ同期は安否確認サービスのシステム管理者だけが行えますが、${c} でのあなたのアカウントはシステム管理者ではありません。システム管理者に依頼してください。`;
      case 'NO_ENTRA_ROLE':
        return '申し訳ありません。同期には Entra ID のクラウド アプリケーション管理者以上のロール (アプリケーション管理者、特権ロール管理者、グローバル管理者) が必要ですが、あなたのアカウントにはありません。';
      case 'IDENTITY_MISMATCH':
        return '申し訳ありません。サインインしたアカウントが Teams のアカウントと一致しないため、中止しました。何も読み込んでいません。';
    }
  },
  failure: (code, message) => {
    switch (code) {
      case 'DIRECTORY_THROTTLED':
        return 'Microsoft Graph が要求を制限しているため、計画は作成せず、何も変更していません。数分後にもう一度試してください。';
      case 'DIRECTORY_TIMEOUT':
        return 'Microsoft Graph が時間内に応答しなかったため、計画は作成せず、何も変更していません。しばらくしてからもう一度試してください。';
      case 'DIRECTORY_UNAVAILABLE':
        return `Microsoft Graph からディレクトリを読み込めませんでした (${md(message, SHOWN_MESSAGE_MAX_CHARS)})。計画は作成せず、何も変更していません。`;
      case 'TOKEN_UNAVAILABLE':
        return `Microsoft Graph にアクセスできませんでした (${md(message, SHOWN_MESSAGE_MAX_CHARS)})。何も読み込まず、何も変更していません。`;
      case 'IMPORT_IN_PROGRESS':
        return '別の取り込みを実行中です。終わってからもう一度試してください。何も変更していません。';
      default:
        return `問題が発生しました (${md(code)})。何も変更していません。`;
    }
  },
  notConfigured: 'ボットのサインインが構成されていません (AAD_APP_CLIENT_ID、AAD_APP_CLIENT_SECRET、AAD_APP_TENANT_ID)。何も読み込んでいません。',
  accountCheckFailed: '申し訳ありません。いまアカウントを確認できなかったため、何も読み込まず、何も変更していません。しばらくしてからもう一度お試しください。',
};

export function strings(lang: Lang): Strings {
  return lang === 'ja' ? ja : en;
}
