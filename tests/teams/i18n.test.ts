/**
 * Issue 8 items 6–7: every plan and undo error and warning, and every error code the bot can show,
 * has a renderer in both languages (the tables are `Record<Code, Renderer>`, so a missing one does
 * not compile; this checks the runtime tables too), and no rendered Japanese text holds a raw
 * code, `undefined`, an empty placeholder or an ASCII field or role id.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { ErrorCode } from '../../src/domain/errors.ts';
import { PLAN_ERROR_CODES, PLAN_WARNING_CODES, ROLES, type IssueOf, type PlanError, type PlanErrorCode, type PlanWarning, type PlanWarningCode } from '../../src/domain/types.ts';
import { UNDO_ERROR_CODES, UNDO_WARNING_CODES, type UndoError, type UndoErrorCode, type UndoWarning, type UndoWarningCode } from '../../src/domain/undo.ts';
import {
  fieldName,
  glossary,
  issueRenderers,
  langOf,
  LANGS,
  parseLang,
  renderFailure,
  renderPlanError,
  renderPlanWarning,
  renderUndoError,
  renderUndoWarning,
  roleName,
  strings,
  type Lang,
} from '../../src/teams/i18n.ts';

/** One sample per code; the mapped types make this list complete at compile time too. */
const ERRORS: { [C in PlanErrorCode]: IssueOf<PlanError, C> } = {
  DUPLICATE_EMAIL: {
    code: 'DUPLICATE_EMAIL',
    message: 'm',
    email: 'info@contoso.com',
    users: [
      { loginName: 'a@contoso.com', source: 'entra', entraObjectId: 'e1' },
      { loginName: 'b', source: 'service', userId: 'u1' },
    ],
  },
  UNDELETABLE_USER: { code: 'UNDELETABLE_USER', message: 'm', userId: 'u1', loginName: 'boss@contoso.com', name: '山田 太郎', roles: ['systemAdmin', 'autoSendResponsible', 'scheduledSendResponsible'] },
  USER_LIMIT_EXCEEDED: { code: 'USER_LIMIT_EXCEEDED', message: 'm', maxUsers: 150, resultingUsers: 194 },
  PLAN_NOT_ELIGIBLE: { code: 'PLAN_NOT_ELIGIBLE', message: 'm', plan: 'lite' },
  TENANT_MISMATCH: { code: 'TENANT_MISMATCH', message: 'm', companyTenantId: 'contoso.onmicrosoft.com', directoryTenantId: 'fabrikam.onmicrosoft.com' },
  TENANT_ALREADY_LINKED: { code: 'TENANT_ALREADY_LINKED', message: 'm', tenantId: 'contoso.onmicrosoft.com' },
  INITIAL_PASSWORD_MISSING: { code: 'INITIAL_PASSWORD_MISSING', message: 'm', usersToCreate: 188 },
  DUPLICATE_LOGIN_NAME: { code: 'DUPLICATE_LOGIN_NAME', message: 'm', loginName: 'a@contoso.com', entraObjectIds: ['e1', 'e2'] },
};
const WARNINGS: { [C in PlanWarningCode]: IssueOf<PlanWarning, C> } = {
  EMAIL_KEPT: { code: 'EMAIL_KEPT', message: 'm', userId: 'u1', loginName: 'a@contoso.com', email: 'a@contoso.com' },
  DISABLED_USER_UPDATED: { code: 'DISABLED_USER_UPDATED', message: 'm', userId: 'u1', loginName: 'a@contoso.com', entraObjectId: 'e1' },
  DELETIONS_NEED_CONFIRMATION: { code: 'DELETIONS_NEED_CONFIRMATION', message: 'm', deletions: 120, threshold: 50 },
  TENANT_WILL_BE_LINKED: { code: 'TENANT_WILL_BE_LINKED', message: 'm', tenantId: 'contoso.onmicrosoft.com' },
  DEPARTMENT_REUSED: { code: 'DEPARTMENT_REUSED', message: 'm', departmentId: 'd1', departmentCode: '総務部' },
  DIRECTORY_VALUE_ADJUSTED: {
    code: 'DIRECTORY_VALUE_ADJUSTED',
    message: 'm',
    entraObjectId: 'e1',
    userPrincipalName: 'a@contoso.com',
    displayName: '山田 花子',
    fields: [
      { field: 'displayName', adjustments: ['truncated'], maxLength: 100, length: 400 },
      { field: 'businessPhones', adjustments: ['controlCharactersRemoved'], length: 12 },
    ],
  },
};
const UNDO_ERRORS: { [C in UndoErrorCode]: IssueOf<UndoError, C> } = {
  UNDO_CONFLICT: { code: 'UNDO_CONFLICT', message: 'm', loginName: 'a@contoso.com' },
  UNDELETABLE_USER: { code: 'UNDELETABLE_USER', message: 'm', loginName: 'a@contoso.com', roles: ['scheduledSendResponsible'] },
  NOTHING_TO_UNDO: { code: 'NOTHING_TO_UNDO', message: 'm' },
};
const UNDO_WARNINGS: { [C in UndoWarningCode]: IssueOf<UndoWarning, C> } = {
  USER_GONE: { code: 'USER_GONE', message: 'm', loginName: 'a@contoso.com' },
};

/** Every AppError code, read from the union's source (a new code must be rendered too). */
function errorCodes(): ErrorCode[] {
  const src = readFileSync(new URL('../../src/domain/errors.ts', import.meta.url), 'utf8');
  const union = src.slice(src.indexOf('export type ErrorCode ='), src.indexOf(';', src.indexOf('export type ErrorCode =')));
  return [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1] as ErrorCode);
}

const ALL_CODES = [...PLAN_ERROR_CODES, ...PLAN_WARNING_CODES, ...UNDO_ERROR_CODES, ...UNDO_WARNING_CODES, ...errorCodes(), 'INTERRUPTED'];
const ASCII_IDS = [...ROLES, 'email', 'entraObjectId', 'loginName', 'userPrincipalName', 'displayName', 'businessPhones', 'departmentCode', 'mail'];

/** What no Japanese sentence may hold. */
function assertCleanJapanese(text: string, where: string): void {
  assert.ok(text.trim().length > 0, `${where}: empty`);
  assert.doesNotMatch(text, /undefined|\bnull\b|NaN|\[object Object\]/, `${where}: ${text}`);
  assert.doesNotMatch(text, /\(\s*\)|（\s*）|\{\{\s*\}\}|\$\{|:\s*$|：\s*$|\s{3,}/, `${where}: empty placeholder: ${text}`);
  for (const code of ALL_CODES) assert.ok(!text.includes(code), `${where}: raw code ${code}: ${text}`);
  for (const id of ASCII_IDS) assert.doesNotMatch(text, new RegExp(`(^|[^A-Za-z@.])${id}([^A-Za-z@.]|$)`), `${where}: raw id ${id}: ${text}`);
  assert.doesNotMatch(text, /level \d|レベル \d/, `${where}: ${text}`);
  assert.match(text, /[\u3040-\u30ff\u4e00-\u9fff]/, `${where}: not Japanese: ${text}`);
}

describe('i18n: every message code rendered in both languages', () => {
  it('every plan and undo error and warning code has a renderer in English and Japanese', () => {
    for (const lang of LANGS) {
      const r = issueRenderers(lang);
      assert.deepEqual(Object.keys(r.errors).sort(), [...PLAN_ERROR_CODES].sort(), lang);
      assert.deepEqual(Object.keys(r.warnings).sort(), [...PLAN_WARNING_CODES].sort(), lang);
      assert.deepEqual(Object.keys(r.undoErrors).sort(), [...UNDO_ERROR_CODES].sort(), lang);
      assert.deepEqual(Object.keys(r.undoWarnings).sort(), [...UNDO_WARNING_CODES].sort(), lang);
    }
  });

  it('no rendered Japanese text holds a raw code, undefined, an empty placeholder or an ASCII field or role id', () => {
    for (const e of Object.values(ERRORS)) {
      const t = renderPlanError('ja', e);
      assertCleanJapanese(t.text, e.code);
      assertCleanJapanese(t.remedy, `${e.code} remedy`);
      assert.notEqual(renderPlanError('en', e).text, t.text);
    }
    for (const w of Object.values(WARNINGS)) assertCleanJapanese(renderPlanWarning('ja', w), w.code);
    for (const e of Object.values(UNDO_ERRORS)) {
      const t = renderUndoError('ja', e);
      assertCleanJapanese(t.text, `undo ${e.code}`);
      assertCleanJapanese(t.remedy, `undo ${e.code} remedy`);
    }
    for (const w of Object.values(UNDO_WARNINGS)) assertCleanJapanese(renderUndoWarning('ja', w), `undo ${w.code}`);
  });

  it('roles and fields are named in words (the glossary), e.g. the undeletable roles', () => {
    const t = renderPlanError('ja', ERRORS.UNDELETABLE_USER).text;
    assert.match(t, /システム管理者・災害発生時の設定の責任者・予約送信の責任者のため削除できません/);
    assert.match(renderPlanWarning('ja', WARNINGS.DIRECTORY_VALUE_ADJUSTED), /表示名・電話番号/);
    for (const role of ROLES) assert.match(roleName('ja', role), /[\u3040-\u30ff\u4e00-\u9fff]/, role);
    assert.equal(fieldName('ja', 'email'), 'メールアドレス');
    assert.equal(fieldName('ja', 'entraObjectId'), 'Entra ID オブジェクト ID');
    assert.equal(roleName('ja', 'crisisManager'), '危機管理者');
    assert.equal(strings('ja').fields(['name', 'email', 'phone', 'department', 'entraObjectId']), '氏名・メールアドレス・電話番号・部署・Entra ID オブジェクト ID');
  });

  it('every error code the bot can show (refusals, import failures, API codes) reads in Japanese without the code', () => {
    for (const code of [...errorCodes(), 'INTERRUPTED']) {
      assertCleanJapanese(renderFailure('ja', code, 'Graph said: 503'), code);
      assert.doesNotMatch(renderFailure('en', code, ''), new RegExp(code), code);
      assertCleanJapanese(strings('ja').importFailure(code, 'x'), `importFailure ${code}`);
    }
    // A code from another version reads as an unexpected error, never as itself.
    assertCleanJapanese(renderFailure('ja', 'SOMETHING_NEW'), 'unknown code');
    for (const reason of ['TENANT_NOT_LINKED', 'PLAN_NOT_ELIGIBLE', 'NOT_A_SERVICE_USER', 'NOT_SYSTEM_ADMIN', 'NO_ENTRA_ROLE', 'IDENTITY_MISMATCH'] as const) {
      assertCleanJapanese(strings('ja').refusal(reason, 'Contoso'), `refusal ${reason}`);
      assertCleanJapanese(strings('ja').clickRefused(reason), `clickRefused ${reason}`);
    }
  });

  it('the Japanese glossary terms of the seed manual, exactly', () => {
    const g = glossary('ja');
    assert.equal(g.confirmImport, '読み込みを実行');
    assert.equal(g.usersToUpdate, '編集するユーザー');
    assert.equal(g.skippedUsers, '読み込まれないユーザー');
    assert.equal(g.importCompleted, 'Microsoft Entra ID 読み込みは正常に完了しました。');
    assert.equal(g.importFailedNothingChanged, 'エラーが発生したため、読み込みはキャンセルされ、何も反映されていません。');
    assert.equal(g.alreadyUpToDate, '変更はありません（最新の状態です）');
    assert.equal(g.preview, '読み込み内容の確認');
    // No translated-sounding leftovers anywhere in the Japanese catalogue.
    const ja = JSON.stringify(strings('ja'), (_k, v: unknown) => (typeof v === 'function' ? undefined : v));
    assert.doesNotMatch(ja, /ディレクトリ同期の計画|もう一度計画|取り込み|追加するユーザー/);
  });

  it('the language of a card or a client: ja*, en*, otherwise null (validated)', () => {
    assert.equal(parseLang('ja-JP'), 'ja');
    assert.equal(parseLang('en'), 'en');
    assert.equal(parseLang('fr-FR'), null);
    assert.equal(parseLang(42), null);
    assert.equal(langOf('ja'), 'ja' satisfies Lang);
  });

  it('the i18n modules are pure: no Node import (the tab bundle imports them)', () => {
    const dir = new URL('../../src/teams/i18n/', import.meta.url);
    for (const f of readdirSync(dir)) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      assert.doesNotMatch(src, /from 'node:|from "node:|require\(/, f);
    }
  });
});
