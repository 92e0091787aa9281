/**
 * The one glossary (issue 8 item 6): the words cards, bot messages, the tab, the CLI and error
 * texts use for the product's things, in English and in Japanese. The Japanese terms follow the
 * safety service's own manual (「Microsoft Entra ID読み込み」, 部署, 初期パスワード…); nothing
 * shown to an admin names a role, a field or a reason by its id. Pure: no Node import.
 */
import { ROLE_LABELS_EN, type DirectoryAdjustment, type Role, type SkipReason, type UpdatableField } from '../../domain/types.ts';
import type { Lang } from './format.ts';

/** Fields of stored users and departments that are not updated by an import but appear in the change log. */
export type RecordField = 'departments' | 'roles' | 'status' | 'yomi' | 'code';

/** Every term, by key; each language must define all of them (the compiler checks). */
export interface Glossary {
  import: string;
  importFull: string;
  confirmImport: string;
  cancel: string;
  usersToCreate: string;
  usersToUpdate: string;
  usersToDelete: string;
  usersUnchanged: string;
  departmentsToCreate: string;
  skippedUsers: string;
  directoryUsers: string;
  changesRead: string;
  /** Loads the next page of a long list (the tab's users not imported). */
  showMore: string;
  /** The counts of users not imported, one per reason. */
  byReason: string;
  blockingError: string;
  warning: string;
  initialPassword: string;
  deletionGuard: string;
  schedule: string;
  systemAdministrator: string;
  undoImport: string;
  history: string;
  tenant: string;
  scimToken: string;
  department: string;
  importCompleted: string;
  importFailedNothingChanged: string;
  alreadyUpToDate: string;
  preview: string;
  openInTab: string;
  roles: Record<Role, string>;
  fields: Record<UpdatableField | 'loginName', string>;
  /** The other fields a change-log entry (history, undo) names: users' and departments'. */
  recordFields: Record<RecordField, string>;
  skipReasons: Record<SkipReason, string>;
  /** Entra's own fields, as the reader reads them. */
  directoryFields: Record<DirectoryAdjustment['field'], string>;
}

const en: Glossary = {
  import: 'import',
  importFull: 'Microsoft Entra ID import',
  confirmImport: 'Confirm import',
  cancel: 'Cancel',
  usersToCreate: 'Users to create',
  usersToUpdate: 'Users to update',
  usersToDelete: 'Users to delete',
  usersUnchanged: 'Users unchanged',
  departmentsToCreate: 'Departments to create',
  skippedUsers: 'Users not imported',
  directoryUsers: 'Users read from Entra ID',
  changesRead: 'Changes read from Entra ID',
  showMore: 'Show more',
  byReason: 'By reason',
  blockingError: 'Blocking error',
  warning: 'Warning',
  initialPassword: 'initial password',
  deletionGuard: 'Deletion guard',
  schedule: 'schedule',
  systemAdministrator: 'system administrator',
  undoImport: 'undo the import',
  history: 'history',
  tenant: 'tenant',
  scimToken: 'SCIM token',
  department: 'department',
  importCompleted: 'Import completed',
  importFailedNothingChanged: 'An error occurred, so the import was cancelled and nothing was changed.',
  alreadyUpToDate: 'Already up to date: nothing to change.',
  preview: 'Microsoft Entra ID import preview',
  openInTab: 'Open in Safety Sync tab',
  roles: ROLE_LABELS_EN,
  fields: {
    name: 'name',
    email: 'email address',
    phone: 'phone number',
    department: 'department',
    loginName: 'login name',
    entraObjectId: 'Entra ID object ID',
  },
  recordFields: { departments: 'departments', roles: 'roles', status: 'status', yomi: 'yomi (reading)', code: 'department code' },
  skipReasons: {
    guest: 'Guests',
    external: 'External users (another tenant)',
    disabledNew: 'Disabled in Entra ID, not in the service yet',
    noUserPrincipalName: 'Without a user principal name',
  },
  directoryFields: {
    userPrincipalName: 'user principal name',
    displayName: 'display name',
    mail: 'mail',
    businessPhones: 'business phone',
    department: 'department',
  },
};

const ja: Glossary = {
  import: '読み込み',
  importFull: 'Microsoft Entra ID 読み込み',
  confirmImport: '読み込みを実行',
  cancel: 'キャンセル',
  usersToCreate: '作成するユーザー',
  usersToUpdate: '編集するユーザー',
  usersToDelete: '削除するユーザー',
  usersUnchanged: '変更のないユーザー',
  departmentsToCreate: '作成する部署',
  skippedUsers: '読み込まれないユーザー',
  directoryUsers: 'Entra ID から取得したユーザー',
  changesRead: 'Entra ID から取得した変更',
  showMore: 'さらに表示',
  byReason: '理由別',
  blockingError: '読み込みを止めるエラー',
  warning: '注意',
  initialPassword: '初期パスワード',
  deletionGuard: '削除ガード',
  schedule: '定期実行',
  systemAdministrator: 'システム管理者',
  undoImport: '読み込みの取り消し',
  history: '履歴',
  tenant: 'テナント',
  scimToken: 'SCIM トークン',
  department: '部署',
  importCompleted: 'Microsoft Entra ID 読み込みは正常に完了しました。',
  importFailedNothingChanged: 'エラーが発生したため、読み込みはキャンセルされ、何も反映されていません。',
  alreadyUpToDate: '変更はありません（最新の状態です）',
  preview: '読み込み内容の確認',
  openInTab: 'Safety Sync タブで開く',
  roles: {
    systemAdmin: 'システム管理者',
    crisisManager: '危機管理者',
    manager: '管理者',
    departmentManager: '部署管理者',
    autoSendResponsible: '災害発生時の設定の責任者',
    scheduledSendResponsible: '予約送信の責任者',
    guest: 'ゲスト',
  },
  fields: {
    name: '氏名',
    email: 'メールアドレス',
    phone: '電話番号',
    department: '部署',
    loginName: 'ログイン名',
    entraObjectId: 'Entra ID オブジェクト ID',
  },
  recordFields: { departments: '部署', roles: '権限', status: '状態', yomi: 'よみがな', code: '部署コード' },
  skipReasons: {
    guest: 'ゲスト',
    external: '外部ユーザー（他のテナント）',
    disabledNew: 'Entra ID で無効（安否確認サービスに未登録）',
    noUserPrincipalName: 'ユーザー プリンシパル名がない',
  },
  directoryFields: {
    userPrincipalName: 'ユーザー プリンシパル名',
    displayName: '表示名',
    mail: 'メールアドレス',
    businessPhones: '電話番号',
    department: '部署',
  },
};

const GLOSSARIES: Record<Lang, Glossary> = { en, ja };

export function glossary(lang: Lang): Glossary {
  return GLOSSARIES[lang];
}

/** A role in words ("災害発生時の設定の責任者"), never its id. */
export function roleName(lang: Lang, role: Role): string {
  return GLOSSARIES[lang].roles[role];
}

/** A field in words ("メールアドレス"), never its id. */
export function fieldName(lang: Lang, field: UpdatableField | 'loginName'): string {
  return GLOSSARIES[lang].fields[field];
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Any field name a plan, the change log or Entra (a Graph property, as DIRECTORY_VALUE_ADJUSTED
 * names it) can carry, in words; an unknown name is shown as it is (data of another version).
 */
export function anyFieldName(lang: Lang, field: string): string {
  const g = GLOSSARIES[lang];
  if (has(g.fields, field)) return g.fields[field as keyof Glossary['fields']];
  if (has(g.recordFields, field)) return g.recordFields[field as RecordField];
  if (has(g.directoryFields, field)) return g.directoryFields[field as keyof Glossary['directoryFields']];
  return field;
}
