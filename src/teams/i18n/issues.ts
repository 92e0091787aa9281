/**
 * Every plan error and warning, undo error and warning, and every error code the bot can show,
 * rendered per language through a `Record<Code, Renderer>`: a new code does not compile until
 * both languages have a renderer, so a Japanese card can never fall back to English (issue 8
 * item 7). Pure: no Node import.
 */
import type { ErrorCode } from '../../domain/errors.ts';
import type { IssueOf, PlanError, PlanWarning } from '../../domain/types.ts';
import type { UndoError, UndoWarning } from '../../domain/undo.ts';
import type { Lang } from './format.ts';
import { num } from './format.ts';
import { glossary } from './glossary.ts';
import { md, SHOWN_MESSAGE_MAX_CHARS } from './markdown.ts';
import { truncate } from '../../domain/text.ts';

export interface IssueText {
  text: string;
  /** What to do about it; every blocking error has one. */
  remedy: string;
}

/** One renderer per code of the union `I`, each receiving exactly that code's details. */
export type RendererTable<I extends { code: string }, Out> = { [C in I['code']]: (issue: IssueOf<I, C>) => Out };

export interface IssueRenderers {
  errors: RendererTable<PlanError, IssueText>;
  warnings: RendererTable<PlanWarning, string>;
  undoErrors: RendererTable<UndoError, IssueText>;
  undoWarnings: RendererTable<UndoWarning, string>;
  /**
   * Only for an issue stored by another version with a code this one does not know (the compiler
   * rules out any code of the unions above): a sentence in the language, never the code.
   */
  unknownError: IssueText;
  unknownWarning: string;
}

/** Why something failed, per AppError code (plus INTERRUPTED: an import cut by a stopped server). */
export type FailureCode = ErrorCode | 'INTERRUPTED';

/**
 * How a failure sentence is written where it is shown: a card's markdown (the server's message
 * escaped, the bot command in bold) or the tab's plain text (nothing escaped, the tab's own button
 * named instead of the bot command). The sentences themselves are the same.
 */
export interface FailureFormat {
  /** The server's message, quoted in parentheses (" (…)" / "（…）"), or '' when there is none. */
  quote: (message: string) => string;
  /** The sentence telling the admin how to see the current differences again. */
  previewAgain: string;
}
export type FailureTable = Record<FailureCode, (message: string, f: FailureFormat) => string>;

/**
 * Applies the renderer of the issue's own code. The table is complete for every code the types
 * know; `unknown` answers only for data of another version (a plan stored with a retired code).
 */
export function renderWith<I extends { code: string }, Out>(table: RendererTable<I, Out>, issue: I, unknown: Out): Out {
  const render = Object.prototype.hasOwnProperty.call(table, issue.code) ? (table as unknown as Record<string, (i: I) => Out>)[issue.code] : undefined;
  return render ? render(issue) : unknown;
}

const who = (name: string | null | undefined, login: string | null | undefined): string => {
  const n = (name ?? '').trim();
  const l = (login ?? '').trim();
  return n && l && n !== l ? `${md(n)} (${md(l)})` : md(n || l);
};

// ---------------------------------------------------------------- English

const G_EN = glossary('en');
const rolesEn = (roles: readonly (keyof typeof G_EN.roles)[]): string => roles.map((r) => `the ${G_EN.roles[r]}`).join(' and ');
const usersEn = (n: number): string => `${num('en', n)} ${n === 1 ? 'user' : 'users'}`;

const EN: IssueRenderers = {
  errors: {
    DUPLICATE_EMAIL: (e) => ({
      text: `The email address ${md(e.email)} would be shared by ${e.users.map((u) => md(u.loginName)).join(', ')}.`,
      remedy: 'Fix: remove the address from one of them in the safety service or in Entra ID.',
    }),
    UNDELETABLE_USER: (e) => ({
      text: `${who(e.name, e.loginName)} was removed from Entra ID but cannot be deleted: they are ${rolesEn(e.roles)}.`,
      remedy: 'Fix: remove the role in the safety service first.',
    }),
    USER_LIMIT_EXCEEDED: (e) => ({
      text: `After the import the company would have ${usersEn(e.resultingUsers)}, more than its limit of ${num('en', e.maxUsers)}.`,
      remedy: 'Fix: raise the user limit of the contract, or remove users from Entra ID.',
    }),
    PLAN_NOT_ELIGIBLE: () => ({ text: 'The Microsoft Entra ID import needs the premier plan or above.', remedy: 'Fix: change the contract plan.' }),
    TENANT_MISMATCH: (e) => ({
      text: `The company is linked to the Entra tenant ${md(e.companyTenantId)}, but the directory read belongs to ${md(e.directoryTenantId)}.`,
      remedy: 'Fix: sync with an account of the linked tenant.',
    }),
    TENANT_ALREADY_LINKED: () => ({
      text: 'This Entra tenant is already linked to another company.',
      remedy: 'Fix: one tenant links to one company only; unlink it from the other company first.',
    }),
    INITIAL_PASSWORD_MISSING: (e) => ({
      text: `No initial password is set, and ${usersEn(e.usersToCreate)} would be created.`,
      remedy: 'Fix: set the initial password in the Safety Sync tab (Settings) first.',
    }),
    DUPLICATE_LOGIN_NAME: (e) => ({
      text: e.existingLoginName
        ? `The login name ${md(e.loginName)} cannot be used for a new user: it is already taken.`
        : `${num('en', e.entraObjectIds.length)} Entra users share the user principal name ${md(e.loginName)}; login names must be unique.`,
      remedy: 'Fix: change the login name in the safety service or the user principal name in Entra ID.',
    }),
  },
  warnings: {
    EMAIL_KEPT: (w) => `${md(w.loginName)} has no email address in Entra ID; the one in the safety service is kept.`,
    DISABLED_USER_UPDATED: (w) => `${md(w.loginName)} is disabled in Entra ID but linked, so it is still updated.`,
    DELETIONS_NEED_CONFIRMATION: (w) =>
      `${usersEn(w.deletions)} would be deleted, more than the deletion guard of ${num('en', w.threshold)}: tick the box below to confirm.`,
    TENANT_WILL_BE_LINKED: (w) => `This import links the company to the Entra tenant ${md(w.tenantId)}.`,
    DEPARTMENT_REUSED: (w) => `The existing department ${md(w.departmentCode)} is used for the Entra department of the same name.`,
    DIRECTORY_VALUE_ADJUSTED: (w) =>
      `${who(w.displayName, w.userPrincipalName ?? w.entraObjectId)}: the ${w.fields
        .map((f) => G_EN.directoryFields[f.field])
        .join(', ')} in Entra ID is too long or holds control characters, so it is imported cut or cleaned. Fix it in Entra ID.`,
  },
  undoErrors: {
    UNDO_CONFLICT: (e) => ({
      text: `${md(e.loginName)} was changed after the import; undoing would overwrite that change.`,
      remedy: 'Fix: run a new import instead of undoing this one.',
    }),
    UNDELETABLE_USER: (e) => ({
      text: `${md(e.loginName)} is ${rolesEn(e.roles)} and cannot be removed.`,
      remedy: 'Fix: remove the role in the safety service first.',
    }),
    NOTHING_TO_UNDO: () => ({ text: 'The import changed nothing, so there is nothing to undo.', remedy: 'Nothing to do.' }),
  },
  undoWarnings: {
    USER_GONE: (w) => `${md(w.loginName)} no longer exists; nothing to undo for this user.`,
  },
  unknownError: { text: 'The preview has an error this version cannot describe.', remedy: 'Fix: open the Safety Sync tab for the details.' },
  unknownWarning: 'The preview has a warning this version cannot describe; the Safety Sync tab shows the details.',
};

const FAILURE_EN: FailureTable = {
  BAD_REQUEST: () => 'The request was not valid. Nothing was changed.',
  VALIDATION_FAILED: (m, f) => `A value was not valid${f.quote(m)}. Nothing was changed.`,
  INVALID_CHARACTERS: () => 'A value holds a character the safety service cannot store. Nothing was changed.',
  UNAUTHORIZED: () => 'You are not signed in, or your sign-in expired. Nothing was changed.',
  FORBIDDEN: () => 'You may not do this. Nothing was changed.',
  NOT_FOUND: () => 'What you asked for does not exist (any more). Nothing was changed.',
  CONFLICT: () => 'Someone else changed this at the same time. Nothing was changed; try again.',
  TENANT_ALREADY_LINKED: () => 'This Entra tenant is already linked to another company. Nothing was changed.',
  TENANT_MISMATCH: () => 'The directory belongs to another Entra tenant than the one linked to the company. Nothing was read or changed.',
  DUPLICATE_LOGIN_NAME: () => 'The login name is already used. Nothing was changed.',
  DUPLICATE_EMAIL: () => 'The email address is already used by another user. Nothing was changed.',
  DUPLICATE_DEPARTMENT_CODE: () => 'The department code is already used. Nothing was changed.',
  UNDELETABLE_USER: () => 'The user holds a role that cannot be deleted. Nothing was changed.',
  PLAN_HAS_ERRORS: () => 'The import preview has blocking errors, so nothing was imported.',
  PLAN_STALE: (_, f) => `The safety service data changed after the preview was made, so nothing was imported. ${f.previewAgain}`,
  PLAN_EXPIRED: (_, f) => `The preview has expired, so nothing was imported. ${f.previewAgain}`,
  PLAN_CANCELLED: () => 'The import was cancelled, so nothing was imported.',
  DELETIONS_NOT_CONFIRMED: () => 'The deletions were not confirmed, so nothing was imported.',
  IMPORT_IN_PROGRESS: () => 'Another import for your company is running; try again when it has finished. Nothing was changed.',
  DIRECTORY_UNAVAILABLE: (m, f) => `I couldn't read the directory from Microsoft Graph${f.quote(m)}. Nothing was read or changed.`,
  DIRECTORY_THROTTLED: () => 'Microsoft Graph is throttling requests right now, so nothing was read or changed. Try again in a few minutes.',
  DIRECTORY_TIMEOUT: () => 'Microsoft Graph did not answer in time, so nothing was read or changed. Try again later.',
  TOKEN_UNAVAILABLE: (m, f) => `I couldn't get access to Microsoft Graph${f.quote(m)}. Nothing was read or changed.`,
  CONSENT_REQUIRED: () => 'An administrator of your Entra tenant has not yet granted Safety Sync the permission to read the directory. Nothing was read or changed.',
  ACCOUNT_CHECK_FAILED: () => "Sorry, I couldn't check your account right now, so nothing was read or changed. Please try again in a moment.",
  DATABASE_UNAVAILABLE: () => 'The service database could not be reached. Nothing was changed; please try again in a moment.',
  DATABASE_BUSY: () => 'Another change (an import or Entra provisioning) is being written. Nothing was changed; please try again in a moment.',
  INTERNAL: () => 'Something unexpected went wrong, and the whole operation was rolled back. Nothing was changed.',
  INTERRUPTED: () => 'The import was interrupted (the server stopped) and the whole import was rolled back.',
};

// ---------------------------------------------------------------- Japanese

const G_JA = glossary('ja');
const rolesJa = (roles: readonly (keyof typeof G_JA.roles)[]): string => roles.map((r) => G_JA.roles[r]).join('・');

const JA: IssueRenderers = {
  errors: {
    DUPLICATE_EMAIL: (e) => ({
      text: `メールアドレス ${md(e.email)} が ${e.users.map((u) => md(u.loginName)).join('、')} で重複します。`,
      remedy: '対処: 安否確認サービスまたは Entra ID で、どちらかのメールアドレスを削除してください。',
    }),
    UNDELETABLE_USER: (e) => ({
      text: `${who(e.name, e.loginName)} は Entra ID から削除されましたが、${rolesJa(e.roles)}のため削除できません。`,
      remedy: '対処: 先に安否確認サービスでその権限を外してください。',
    }),
    USER_LIMIT_EXCEEDED: (e) => ({
      text: `読み込み後のユーザー数（${num('ja', e.resultingUsers)} 人）が契約の上限（${num('ja', e.maxUsers)} 人）を超えます。`,
      remedy: '対処: 契約のユーザー上限を引き上げるか、Entra ID のユーザーを減らしてください。',
    }),
    PLAN_NOT_ELIGIBLE: () => ({ text: 'Microsoft Entra ID 読み込みはプレミアプラン以上でご利用いただけます。', remedy: '対処: 契約プランを変更してください。' }),
    TENANT_MISMATCH: (e) => ({
      text: `この会社は Entra ID のテナント ${md(e.companyTenantId)} と連携していますが、読み込んだディレクトリはテナント ${md(e.directoryTenantId)} のものです。`,
      remedy: '対処: 連携しているテナントのアカウントで実行してください。',
    }),
    TENANT_ALREADY_LINKED: () => ({
      text: 'この Entra ID のテナントは、すでに別の会社と連携しています。',
      remedy: '対処: 1 つのテナントは 1 つの会社とだけ連携できます。先に別の会社の連携を解除してください。',
    }),
    INITIAL_PASSWORD_MISSING: (e) => ({
      text: `初期パスワードが設定されていません（作成するユーザー: ${num('ja', e.usersToCreate)} 人）。`,
      remedy: '対処: 先に Safety Sync タブの設定で初期パスワードを設定してください。',
    }),
    DUPLICATE_LOGIN_NAME: (e) => ({
      text: e.existingLoginName
        ? `ログイン名 ${md(e.loginName)} はすでに使われているため、新しいユーザーには使えません。`
        : `Entra ID の ${num('ja', e.entraObjectIds.length)} 人のユーザーが同じユーザー プリンシパル名 ${md(e.loginName)} を持っています。ログイン名は重複できません。`,
      remedy: '対処: 安否確認サービスのログイン名か、Entra ID のユーザー プリンシパル名を変更してください。',
    }),
  },
  warnings: {
    EMAIL_KEPT: (w) => `${md(w.loginName)} は Entra ID にメールアドレスがないため、安否確認サービスのメールアドレスをそのまま残します。`,
    DISABLED_USER_UPDATED: (w) => `${md(w.loginName)} は Entra ID で無効になっていますが、連携済みのため編集します。`,
    DELETIONS_NEED_CONFIRMATION: (w) =>
      `${num('ja', w.deletions)} 人を削除します。削除ガード（${num('ja', w.threshold)} 人）を超えるため、下のチェックボックスで確認してください。`,
    TENANT_WILL_BE_LINKED: (w) => `この読み込みで、会社を Entra ID のテナント ${md(w.tenantId)} と連携します。`,
    DEPARTMENT_REUSED: (w) => `既存の部署 ${md(w.departmentCode)} を、同じ名前の Entra ID の部署として使います。`,
    DIRECTORY_VALUE_ADJUSTED: (w) =>
      `${who(w.displayName, w.userPrincipalName ?? w.entraObjectId)}: Entra ID の${w.fields
        .map((f) => G_JA.directoryFields[f.field])
        .join('・')}が長すぎるか制御文字を含むため、切り詰めて（取り除いて）読み込みます。Entra ID 側で修正してください。`,
  },
  undoErrors: {
    UNDO_CONFLICT: (e) => ({
      text: `${md(e.loginName)} は読み込みの後に変更されています。取り消すとその変更を上書きしてしまいます。`,
      remedy: '対処: 取り消さずに、あらためて読み込みを実行してください。',
    }),
    UNDELETABLE_USER: (e) => ({
      text: `${md(e.loginName)} は${rolesJa(e.roles)}のため削除できません。`,
      remedy: '対処: 先に安否確認サービスでその権限を外してください。',
    }),
    NOTHING_TO_UNDO: () => ({ text: 'この読み込みでは何も変更されていないため、取り消すものはありません。', remedy: '対処は必要ありません。' }),
  },
  undoWarnings: {
    USER_GONE: (w) => `${md(w.loginName)} はもう存在しないため、このユーザーについては取り消すものがありません。`,
  },
  unknownError: { text: '読み込み内容に、このバージョンでは表示できないエラーがあります。', remedy: '対処: 詳細は Safety Sync タブで確認してください。' },
  unknownWarning: '読み込み内容に、このバージョンでは表示できない注意があります。詳細は Safety Sync タブで確認してください。',
};

const FAILURE_JA: FailureTable = {
  BAD_REQUEST: () => '要求の内容が正しくありません。何も変更していません。',
  VALIDATION_FAILED: (m, f) => `入力された値が正しくありません${f.quote(m)}。何も変更していません。`,
  INVALID_CHARACTERS: () => '安否確認サービスに保存できない文字が含まれています。何も変更していません。',
  UNAUTHORIZED: () => 'サインインしていないか、サインインの有効期限が切れています。何も変更していません。',
  FORBIDDEN: () => 'この操作を行う権限がありません。何も変更していません。',
  NOT_FOUND: () => '対象が見つかりません（すでに削除された可能性があります）。何も変更していません。',
  CONFLICT: () => '同時に別の操作で変更されました。何も変更していません。もう一度お試しください。',
  TENANT_ALREADY_LINKED: () => 'この Entra ID のテナントは、すでに別の会社と連携しています。何も変更していません。',
  TENANT_MISMATCH: () => '会社と連携しているテナントとは別の Entra ID のテナントです。何も読み込まず、何も変更していません。',
  DUPLICATE_LOGIN_NAME: () => 'そのログイン名はすでに使われています。何も変更していません。',
  DUPLICATE_EMAIL: () => 'そのメールアドレスはすでに別のユーザーが使っています。何も変更していません。',
  DUPLICATE_DEPARTMENT_CODE: () => 'その部署コードはすでに使われています。何も変更していません。',
  UNDELETABLE_USER: () => '削除できない権限を持つユーザーです。何も変更していません。',
  PLAN_HAS_ERRORS: () => '読み込みを止めるエラーがあるため、何も反映していません。',
  PLAN_STALE: (_, f) => `確認画面の作成後に安否確認サービスのデータが変わったため、何も反映していません。${f.previewAgain}`,
  PLAN_EXPIRED: (_, f) => `確認の有効期限が過ぎたため、何も反映していません。${f.previewAgain}`,
  PLAN_CANCELLED: () => '読み込みはキャンセルされたため、何も反映していません。',
  DELETIONS_NOT_CONFIRMED: () => '削除の確認がされていないため、何も反映していません。',
  IMPORT_IN_PROGRESS: () => '別の読み込みを実行中です。終わってからもう一度お試しください。何も変更していません。',
  DIRECTORY_UNAVAILABLE: (m, f) => `Microsoft Graph からディレクトリを読み込めませんでした${f.quote(m)}。何も読み込まず、何も変更していません。`,
  DIRECTORY_THROTTLED: () => 'Microsoft Graph が要求を制限しているため、何も読み込まず、何も変更していません。数分後にもう一度お試しください。',
  DIRECTORY_TIMEOUT: () => 'Microsoft Graph が時間内に応答しなかったため、何も読み込まず、何も変更していません。しばらくしてからもう一度お試しください。',
  TOKEN_UNAVAILABLE: (m, f) => `Microsoft Graph にアクセスできませんでした${f.quote(m)}。何も読み込まず、何も変更していません。`,
  CONSENT_REQUIRED: () => 'Entra ID のテナントの管理者が、ディレクトリを読み込むためのアクセス許可をまだ Safety Sync に付与していません。何も読み込まず、何も変更していません。',
  ACCOUNT_CHECK_FAILED: () => '申し訳ありません。いまアカウントを確認できなかったため、何も読み込まず、何も変更していません。しばらくしてからもう一度お試しください。',
  DATABASE_UNAVAILABLE: () => 'サービスのデータベースに接続できませんでした。何も変更されていません。しばらくしてからもう一度お試しください。',
  DATABASE_BUSY: () => '別の変更（読み込みまたは Entra ID からのプロビジョニング）を書き込み中です。何も変更されていません。しばらくしてからもう一度お試しください。',
  INTERNAL: () => '予期しないエラーが発生したため、処理全体を元に戻しました。何も変更していません。',
  INTERRUPTED: () => 'サーバーが停止したため読み込みが中断され、読み込み全体を元に戻しました。何も反映されていません。',
};

const RENDERERS: Record<Lang, IssueRenderers> = { en: EN, ja: JA };
const FAILURES: Record<Lang, FailureTable> = { en: FAILURE_EN, ja: FAILURE_JA };

export function issueRenderers(lang: Lang): IssueRenderers {
  return RENDERERS[lang];
}

export function renderPlanError(lang: Lang, e: PlanError): IssueText {
  return renderWith(RENDERERS[lang].errors, e, RENDERERS[lang].unknownError);
}
export function renderPlanWarning(lang: Lang, w: PlanWarning): string {
  return renderWith(RENDERERS[lang].warnings, w, RENDERERS[lang].unknownWarning);
}
export function renderUndoError(lang: Lang, e: UndoError): IssueText {
  return renderWith(RENDERERS[lang].undoErrors, e, RENDERERS[lang].unknownError);
}
export function renderUndoWarning(lang: Lang, w: UndoWarning): string {
  return renderWith(RENDERERS[lang].undoWarnings, w, RENDERERS[lang].unknownWarning);
}

const isFailureCode = (lang: Lang, code: string): code is FailureCode => Object.prototype.hasOwnProperty.call(FAILURES[lang], code);

/**
 * Why an operation failed, in the admin's language, from its code; `message` (English, from the
 * server) is only quoted where it names something outside (Graph's answer). An unknown code
 * reads as an unexpected error, never as the code itself.
 */
export function renderFailure(lang: Lang, code: string, message: string = ''): string {
  return failureIn(lang, code, message, MARKDOWN_FORMAT[lang]);
}

/**
 * The same sentence as renderFailure, as plain text for the tab: nothing escaped, and "preview
 * again" names the tab's button instead of the bot command. The tab and the cards share it.
 */
export function failureText(lang: Lang, code: string, message: string = ''): string {
  return failureIn(lang, code, message, PLAIN_FORMAT[lang]);
}

function failureIn(lang: Lang, code: string, message: string, f: FailureFormat): string {
  return (isFailureCode(lang, code) ? FAILURES[lang][code] : FAILURES[lang].INTERNAL)(message, f);
}

const paren = (lang: Lang, s: string): string => (s === '' ? '' : lang === 'ja' ? `（${s}）` : ` (${s})`);
const shown = (m: string): string => {
  const t = m.replace(/[\r\n]+/g, ' ').trim();
  return t.length > SHOWN_MESSAGE_MAX_CHARS ? `${truncate(t, SHOWN_MESSAGE_MAX_CHARS)}…` : t;
};

const MARKDOWN_FORMAT: Record<Lang, FailureFormat> = {
  en: { quote: (m) => paren('en', md(m.trim(), SHOWN_MESSAGE_MAX_CHARS)), previewAgain: 'Type **sync directory** to see the current differences.' },
  ja: { quote: (m) => paren('ja', md(m.trim(), SHOWN_MESSAGE_MAX_CHARS)), previewAgain: '**ディレクトリ同期** と入力して、最新の内容を確認してください。' },
};
const PLAIN_FORMAT: Record<Lang, FailureFormat> = {
  en: { quote: (m) => paren('en', shown(m)), previewAgain: 'Press Preview import again to see the current differences.' },
  ja: { quote: (m) => paren('ja', shown(m)), previewAgain: 'もう一度「読み込み内容を確認」を押して、最新の内容を確認してください。' },
};
