/**
 * The tab's words for plan errors and warnings (src/teams/tab/ui/issues.ts) and for error answers
 * (texts.ts): every code a real plan carries renders in English and Japanese, with no raw code,
 * role id, `undefined` or empty placeholder; Japanese never falls back to English.
 */
import assert from 'node:assert/strict';
import { planImport } from '../../src/domain/planner.ts';
import type { PlanIssue } from '../../src/teams/tab/ui/issues.ts';
import { renderIssue } from '../../src/teams/tab/ui/issues.ts';
import { ERROR_TEXT, errorText, FIELD_ERROR_TEXT, REFUSAL_TEXT, TEXTS } from '../../src/teams/tab/ui/texts.ts';

const RAW = /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|undefined|\bnull\b|NaN|\(\s*\)|（\s*）|autoSendResponsible|systemAdmin|scheduledSendResponsible/;
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

const SAMPLES: PlanIssue[] = [
  { code: 'PLAN_NOT_ELIGIBLE', message: '', plan: 'lite' },
  { code: 'TENANT_MISMATCH', message: '', companyTenantId: 'contoso.example', directoryTenantId: 'fabrikam.example' },
  { code: 'TENANT_ALREADY_LINKED', message: '', tenantId: 'x' },
  { code: 'INITIAL_PASSWORD_MISSING', message: '', usersToCreate: 188 },
  { code: 'UNDELETABLE_USER', message: '', userId: 'u', loginName: 'alex@contoso.jp', name: 'Alex', roles: ['systemAdmin', 'autoSendResponsible'] },
  { code: 'DUPLICATE_EMAIL', message: '', email: 'a@contoso.jp', users: [{ loginName: 'a', source: 'service' }, { loginName: 'b', source: 'entra' }] },
  { code: 'DUPLICATE_LOGIN_NAME', message: '', loginName: 'a@contoso.jp', entraObjectIds: ['x', 'y'] },
  { code: 'DUPLICATE_LOGIN_NAME', message: '', loginName: 'a@contoso.jp', entraObjectIds: ['x'], existingLoginName: 'A@contoso.jp' },
  { code: 'USER_LIMIT_EXCEEDED', message: '', maxUsers: 100, resultingUsers: 188 },
  { code: 'EMAIL_KEPT', message: '', userId: 'u', loginName: 'a@contoso.jp', email: 'a@contoso.jp' },
  { code: 'DISABLED_USER_UPDATED', message: '', userId: 'u', loginName: 'a@contoso.jp', entraObjectId: 'x' },
  { code: 'DELETIONS_NEED_CONFIRMATION', message: '', deletions: 60, threshold: 50 },
  { code: 'TENANT_WILL_BE_LINKED', message: '', tenantId: 'x' },
  { code: 'DEPARTMENT_REUSED', message: '', departmentId: 'd', departmentCode: '総務部' },
  { code: 'DIRECTORY_VALUE_ADJUSTED', message: '', userPrincipalName: 'a@contoso.jp', displayName: 'A', entraObjectId: 'x', fields: [{ field: 'displayName', adjustments: ['truncated'], maxLength: 200, length: 1000 }, { field: 'businessPhones', adjustments: ['controlCharactersRemoved'], length: 12 }] },
  { code: 'UNDO_CONFLICT', message: '', loginName: 'a@contoso.jp' },
  { code: 'NOTHING_TO_UNDO', message: '' },
  { code: 'USER_GONE', message: '', loginName: 'a@contoso.jp' },
];

describe('tab texts: plan issues and error codes in both languages', () => {
  for (const issue of SAMPLES) {
    it(`${issue.code} renders in English and Japanese, with its remedy for blocking errors`, () => {
      for (const lang of ['en', 'ja'] as const) {
        const r = renderIssue(lang, issue);
        const all = `${r.text} ${r.remedy ?? ''}`;
        assert.doesNotMatch(all, RAW, `${lang}: ${all}`);
        if (lang === 'ja') assert.match(r.text, JAPANESE);
      }
    });
  }

  it('a code this tab does not know still speaks the admin\'s language', () => {
    assert.match(renderIssue('ja', { code: 'SOMETHING_NEW', message: 'English only' } as unknown as PlanIssue).text, JAPANESE);
  });

  it('the issues of a real plan (the planner\'s own details) render without placeholders', () => {
    const plan = planImport(
      { tenantId: 't', users: [] },
      {
        company: { id: 'c', name: 'C', plan: 'lite', maxUsers: 0, entraTenantId: 'other', rootDepartmentId: 'r' },
        settings: { initialPasswordSet: false, deletionThreshold: 0, schedule: null },
        departments: [],
        users: [],
        dataVersion: 1,
      },
    );
    assert.ok(plan.errors.length >= 2);
    for (const i of [...plan.errors, ...plan.warnings]) {
      for (const lang of ['en', 'ja'] as const) assert.doesNotMatch(renderIssue(lang, i).text, RAW);
    }
  });

  it('every error code and refusal has a sentence in both languages, never the code itself', () => {
    for (const lang of ['en', 'ja'] as const) {
      for (const [code, text] of Object.entries(ERROR_TEXT[lang])) {
        assert.ok(text.length > 10 && !text.includes(code), `${lang} ${code}`);
        if (lang === 'ja') assert.match(text, JAPANESE, code);
      }
      for (const text of Object.values(REFUSAL_TEXT[lang])) assert.doesNotMatch(text, RAW);
      assert.equal(errorText(lang, 'FORBIDDEN', 'NOT_SYSTEM_ADMIN'), REFUSAL_TEXT[lang].NOT_SYSTEM_ADMIN);
      assert.equal(errorText(lang, 'NOT_A_CODE'), ERROR_TEXT[lang].INTERNAL);
      assert.equal(errorText(lang, 'VALIDATION_FAILED', undefined, { field: 'schedule' }), FIELD_ERROR_TEXT[lang].schedule);
      assert.equal(errorText(lang, 'VALIDATION_FAILED', undefined, { issues: [{ path: 'timeZone', message: 'x' }] }), FIELD_ERROR_TEXT[lang].timeZone);
      assert.equal(errorText(lang, 'VALIDATION_FAILED', undefined, { issues: [{ path: 'other', message: 'x' }] }), ERROR_TEXT[lang].VALIDATION_FAILED);
    }
    assert.deepEqual(Object.keys(TEXTS.ja).sort(), Object.keys(TEXTS.en).sort());
  });

  it('the glossary: the tab says 作成するユーザー, 読み込みを実行, 読み込まれないユーザー, 変更はありません（最新の状態です）', () => {
    const ja = TEXTS.ja;
    assert.equal(ja.usersToCreate, '作成するユーザー');
    assert.equal(ja.usersToUpdate, '編集するユーザー');
    assert.equal(ja.usersToDelete, '削除するユーザー');
    assert.equal(ja.usersUnchanged, '変更のないユーザー');
    assert.equal(ja.departmentsToCreate, '作成する部署');
    assert.equal(ja.skippedUsers, '読み込まれないユーザー');
    assert.equal(ja.confirm, '読み込みを実行');
    assert.equal(ja.cancel, 'キャンセル');
    assert.equal(ja.upToDate, '変更はありません（最新の状態です）');
    assert.equal(ja.applied, 'Microsoft Entra ID 読み込みは正常に完了しました。');
    assert.equal(ja.preview, '読み込み内容の確認');
    assert.equal(ja.history, '履歴');
    assert.match(ja.undoTitle, /読み込みの取り消し/);
    assert.match(ja.warnings, /注意/);
    assert.match(ja.blockingErrors, /読み込みを止めるエラー/);
  });
});
