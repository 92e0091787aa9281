/**
 * Plan and undo errors and warnings in words, by code and language, from their details (today's
 * `PlanIssue` shapes in src/domain/types.ts and src/domain/undo.ts). Each language is a
 * Record<code, renderer>: a new code does not compile until both languages say it. Each renderer
 * gives the problem and, for blocking errors, the remedy.
 */
import type { UndoError, UndoErrorCode, UndoWarning } from '../../../domain/undo.ts';
import type { PlanError, PlanErrorCode, PlanWarning, PlanWarningCode, Role } from '../../../domain/types.ts';

/** Any issue the tab shows: the discriminated unions of src/domain (plan) and src/domain/undo.ts. */
export type PlanIssue = PlanError | PlanWarning | UndoError | UndoWarning;
import { fieldName, ROLE_NAMES, type Lang } from './texts.ts';

export type IssueCode = PlanErrorCode | PlanWarningCode | UndoErrorCode | 'USER_GONE';
export interface IssueText {
  text: string;
  remedy?: string;
}
type Renderer = (d: Record<string, unknown>) => IssueText;

const str = (v: unknown, fallback = '—') => (typeof v === 'string' && v.trim() ? v : typeof v === 'number' ? String(v) : fallback);
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v) || 0);
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
const roles = (lang: Lang, v: unknown) =>
  (Array.isArray(v) ? v : []).map((r) => ROLE_NAMES[lang][r as Role] ?? String(r)).join(lang === 'ja' ? '、' : ' and ');
const fields = (lang: Lang, v: unknown) => list(v).map((f) => fieldName(lang, str(f['field']))).join(lang === 'ja' ? '、' : ', ');
const person = (d: Record<string, unknown>) => {
  const name = typeof d['displayName'] === 'string' && d['displayName'] ? d['displayName'] : typeof d['name'] === 'string' && d['name'] ? d['name'] : null;
  const login = str(d['loginName'] ?? d['userPrincipalName']);
  return name && name !== login ? `${name} (${login})` : login;
};

const EN: Record<IssueCode, Renderer> = {
  PLAN_NOT_ELIGIBLE: () => ({ text: 'Microsoft Entra ID import needs the Premier plan or above.', remedy: 'Ask your safety service contract contact to upgrade the plan.' }),
  TENANT_MISMATCH: (d) => ({
    text: `This company is linked to another Entra tenant (${str(d['companyTenantId'])}) than the one read (${str(d['directoryTenantId'])}).`,
    remedy: 'Sign in to Teams with an account of the linked tenant, or disconnect first.',
  }),
  TENANT_ALREADY_LINKED: () => ({ text: 'This Entra tenant is already linked to another company.', remedy: 'Disconnect it from the other company first.' }),
  INITIAL_PASSWORD_MISSING: (d) => ({
    text: `No initial password is set; ${num(d['usersToCreate'])} new users cannot be created.`,
    remedy: 'Set the initial password in Import settings above, then preview again.',
  }),
  UNDELETABLE_USER: (d) => ({
    text: `${person(d)} would be deleted but is the ${roles('en', d['roles'])}.`,
    remedy: 'Remove that role in the safety service (give it to someone else), then preview again.',
  }),
  DUPLICATE_EMAIL: (d) => ({
    text: `The email ${str(d['email'])} would be shared by ${list(d['users']).map((u) => `${str(u['loginName'])} (${u['source'] === 'entra' ? 'Entra ID' : 'safety service'})`).join(', ')}.`,
    remedy: 'Remove the address from one of them, in the safety service or in Entra ID, then preview again.',
  }),
  DUPLICATE_LOGIN_NAME: (d) => ({
    text: d['existingLoginName']
      ? `${str(d['loginName'])} cannot be created: the login name is already used by ${str(d['existingLoginName'])}, linked to another Entra user.`
      : `Several Entra users share the user principal name ${str(d['loginName'])}.`,
    remedy: 'Change the login name in the safety service or the user principal name in Entra ID.',
  }),
  USER_LIMIT_EXCEEDED: (d) => ({
    text: `After the import the company would have ${num(d['resultingUsers'])} users, more than its limit of ${num(d['maxUsers'])}.`,
    remedy: 'Raise the user limit of the contract, or remove users in Entra ID.',
  }),
  EMAIL_KEPT: (d) => ({ text: `${person(d)} has no email in Entra ID; the email ${str(d['email'])} in the safety service is kept.` }),
  DISABLED_USER_UPDATED: (d) => ({ text: `${person(d)} is disabled in Entra ID but already linked, so it is still updated.` }),
  DELETIONS_NEED_CONFIRMATION: (d) => ({
    text: `${num(d['deletions'])} users would be deleted, more than the deletion guard of ${num(d['threshold'])}.`,
    remedy: 'Tick the deletion confirmation below to import.',
  }),
  TENANT_WILL_BE_LINKED: () => ({ text: 'This import links the company to your Entra tenant; later imports must come from the same tenant.' }),
  DEPARTMENT_REUSED: (d) => ({ text: `The existing department ${str(d['departmentCode'])} of the safety service is used for the Entra department of the same name.` }),
  DIRECTORY_VALUE_ADJUSTED: (d) => ({ text: `${person(d)} has values the safety service cannot keep as they are (${fields('en', d['fields'])}); they are cleaned or shortened.`, remedy: 'Fix the value in Entra ID.' }),
  UNDO_CONFLICT: (d) => ({ text: `${str(d['loginName'])} was changed after the import; undoing would overwrite that change.`, remedy: 'Preview a new import instead.' }),
  NOTHING_TO_UNDO: () => ({ text: 'The last import changed nothing; there is nothing to undo.' }),
  USER_GONE: (d) => ({ text: `${str(d['loginName'])} no longer exists; nothing to undo for this user.` }),
};

const JA: Record<IssueCode, Renderer> = {
  PLAN_NOT_ELIGIBLE: () => ({ text: 'Microsoft Entra ID 読み込みはプレミアプラン以上で利用できます。', remedy: '安否確認サービスの契約窓口にプランの変更を依頼してください。' }),
  TENANT_MISMATCH: (d) => ({
    text: `この会社は別の Entra テナント（${str(d['companyTenantId'])}）と連携しています。読み込んだのはテナント ${str(d['directoryTenantId'])} です。`,
    remedy: '連携しているテナントのアカウントで Teams にサインインするか、先に連携を解除してください。',
  }),
  TENANT_ALREADY_LINKED: () => ({ text: 'この Entra テナントは別の会社と連携済みです。', remedy: '先にもう一方の会社との連携を解除してください。' }),
  INITIAL_PASSWORD_MISSING: (d) => ({
    text: `初期パスワードが未設定のため、新規ユーザー ${num(d['usersToCreate'])} 人を作成できません。`,
    remedy: '上の「読み込みの設定」で初期パスワードを設定してから、もう一度確認してください。',
  }),
  UNDELETABLE_USER: (d) => ({
    text: `${person(d)} は削除対象ですが、${roles('ja', d['roles'])}です。`,
    remedy: '安否確認サービスでその役割を外して（別の人に割り当てて）から、もう一度確認してください。',
  }),
  DUPLICATE_EMAIL: (d) => ({
    text: `メールアドレス ${str(d['email'])} が ${list(d['users']).map((u) => `${str(u['loginName'])}（${u['source'] === 'entra' ? 'Entra ID' : '安否確認サービス'}）`).join('、')} で重複します。`,
    remedy: '安否確認サービスまたは Entra ID で一方からアドレスを削除してから、もう一度確認してください。',
  }),
  DUPLICATE_LOGIN_NAME: (d) => ({
    text: d['existingLoginName']
      ? `${str(d['loginName'])} は作成できません。ログイン名が、別の Entra ユーザーに紐付いた ${str(d['existingLoginName'])} で使われています。`
      : `複数の Entra ユーザーがユーザープリンシパル名 ${str(d['loginName'])} を共有しています。`,
    remedy: '安否確認サービスのログイン名か、Entra ID のユーザープリンシパル名を変更してください。',
  }),
  USER_LIMIT_EXCEEDED: (d) => ({
    text: `読み込み後のユーザー数 ${num(d['resultingUsers'])} 人が上限 ${num(d['maxUsers'])} 人を超えます。`,
    remedy: '契約のユーザー数の上限を引き上げるか、Entra ID でユーザーを減らしてください。',
  }),
  EMAIL_KEPT: (d) => ({ text: `${person(d)} は Entra ID のメールアドレスが空のため、安否確認サービスのメールアドレス ${str(d['email'])} を残します。` }),
  DISABLED_USER_UPDATED: (d) => ({ text: `${person(d)} は Entra ID で無効ですが、紐付け済みのため編集します。` }),
  DELETIONS_NEED_CONFIRMATION: (d) => ({
    text: `${num(d['deletions'])} 人を削除します（削除ガード ${num(d['threshold'])} 人を超えています）。`,
    remedy: '読み込むには、下の削除の確認にチェックを入れてください。',
  }),
  TENANT_WILL_BE_LINKED: () => ({ text: 'この読み込みで会社が Entra テナントと連携されます。以後の読み込みは同じテナントからに限られます。' }),
  DEPARTMENT_REUSED: (d) => ({ text: `安否確認サービスの既存の部署 ${str(d['departmentCode'])} を、同じ名前の Entra ID の部署として使います。` }),
  DIRECTORY_VALUE_ADJUSTED: (d) => ({ text: `${person(d)} の値（${fields('ja', d['fields'])}）はそのままでは保存できないため、整えるか短くします。`, remedy: 'Entra ID で値を修正してください。' }),
  UNDO_CONFLICT: (d) => ({ text: `${str(d['loginName'])} は読み込みの後に変更されています。取り消すとその変更を上書きします。`, remedy: '代わりに新しい読み込みを確認してください。' }),
  NOTHING_TO_UNDO: () => ({ text: '前回の読み込みでは何も変更されていないため、取り消すものはありません。' }),
  USER_GONE: (d) => ({ text: `${str(d['loginName'])} は既に存在しないため、このユーザーの取り消しはありません。` }),
};

const RENDERERS: Record<Lang, Record<IssueCode, Renderer>> = { en: EN, ja: JA };

/** An issue in words; an unknown code (a newer server) says so in the admin's language, never in English. */
export function renderIssue(lang: Lang, issue: PlanIssue): IssueText {
  const r = (RENDERERS[lang] as Record<string, Renderer | undefined>)[issue.code];
  if (r) return r(issue as Record<string, unknown>);
  return { text: lang === 'ja' ? '確認が必要な項目があります。もう一度確認してください。' : 'Something in this preview needs attention. Preview again.' };
}
