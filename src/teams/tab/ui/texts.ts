/**
 * Every text of the configuration tab, in English and Japanese (the shared glossary: 読み込み,
 * 作成するユーザー, 読み込みを実行, 削除ガード, 定期実行…). Japanese is typed as the English
 * catalogue, so a missing key does not compile; server error codes map through Record<Code, …>.
 */
import type { Refusal } from '../../../domain/access.ts';
import type { ErrorCode } from '../../../domain/errors.ts';
import type { Role, SkipReason, UpdatableField } from '../../../domain/types.ts';
import { failureText } from '../../i18n/issues.ts';
import { anyFieldName, glossary, type Glossary, type RecordField } from '../../i18n/glossary.ts';
import type { Lang } from '../../i18n/format.ts';

export type { Lang };

/** The one glossary (src/teams/i18n/glossary.ts) the cards and the bot use: the tab's terms come from it. */
const G: Record<Lang, Glossary> = { en: glossary('en'), ja: glossary('ja') };

const en = {
  title: 'Safety Sync',
  subtitle: 'Microsoft Entra ID import for the safety confirmation service',
  loading: 'Loading…',
  dismiss: 'Dismiss',
  close: 'Close',
  cancel: G.en.cancel,
  copy: 'Copy',
  copied: 'Copied to the clipboard.',
  none: 'None yet.',
  // status
  statusTitle: 'Status',
  tenant: 'Tenant',
  tenantNameUnknown: (id: string) => `Name not available (ID ${id})`,
  tenantNotLinked: 'Not linked yet: the first import links it',
  plan: 'Plan',
  planName: { lite: 'Lite', premier: 'Premier', enterprise: 'Enterprise' } as Record<string, string>,
  lastImport: 'Last import',
  lastImportNone: 'No import yet',
  lastImportText: (when: string, who: string, result: string) => `${when} by ${who}: ${result}`,
  nextRun: 'Next scheduled run',
  nextRunOff: 'Schedule off',
  nextRunText: (when: string, tz: string) => `${when} (${tz})`,
  scimActivity: 'SCIM last activity',
  scimNever: 'No SCIM request yet',
  // settings
  settings: 'Import settings',
  initialPassword: 'Initial password for new users',
  passwordSet: 'Set. Leave blank to keep it; users must change it at first sign-in.',
  passwordMissing: 'Not set: new users cannot be created until it is.',
  threshold: 'Deletion guard: more deletions than this need a second confirmation',
  schedule: 'Schedule (a preview is posted to the bot for approval, never imported unattended)',
  scheduleOff: 'Off',
  scheduleDaily: 'Every day at 03:00',
  scheduleWeekdays: 'Weekdays at 07:00',
  scheduleCustom: 'Custom (cron expression)',
  cron: 'Cron expression (minute hour day month weekday)',
  timeZone: 'Company time zone (the schedule and every time on this page)',
  save: 'Save',
  saved: 'Settings saved.',
  // preview
  preview: 'Preview and import',
  previewHelp: 'Reads every Entra ID user now and shows exactly what would change. Nothing is written until you confirm.',
  planButton: 'Preview import',
  reading: 'Reading users from Entra ID and comparing them with the safety service…',
  readingFor: (sec: number) => `${sec} s`,
  usersRead: (n: number, changes: number | null) => `${G.en.directoryUsers}: ${n}${changes === null ? '' : ` · ${G.en.changesRead}: ${changes}`}`,
  usersToCreate: G.en.usersToCreate,
  usersToUpdate: G.en.usersToUpdate,
  usersToDelete: G.en.usersToDelete,
  usersUnchanged: G.en.usersUnchanged,
  departmentsToCreate: G.en.departmentsToCreate,
  skippedUsers: G.en.skippedUsers,
  blockingErrors: 'Blocking errors: fix them, then preview again',
  warnings: 'Warnings',
  upToDate: G.en.alreadyUpToDate,
  filter: 'Filter by name, login name or email',
  moreRows: (n: number) => `${n} more: use the filter to find them.`,
  showMore: G.en.showMore,
  byReason: (parts: [string, number][]) => `${G.en.byReason}: ${parts.map(([reason, n]) => `${reason} ${n}`).join(' · ')}`,
  skippedShown: (shown: number, total: number) => `Showing ${shown} of ${total}. The filter searches the users shown.`,
  col: { loginName: 'Login name', name: 'Name', email: 'Email', phone: 'Phone', department: 'Department', field: 'Field', change: 'Before → after', reason: 'Reason', whatToDo: 'What to do', path: 'Department path', level: 'Level' },
  empty: '—',
  confirmDeletions: (n: number, t: number) => `Also delete ${n} users (more than the deletion guard of ${t}).`,
  expires: (t: string) => `This preview expires at ${t}.`,
  confirm: G.en.confirmImport,
  confirmTitle: 'Confirm the import',
  confirmDeleteBody: (n: number) => `This import deletes ${n} ${n === 1 ? 'user' : 'users'} from the safety service. They stop receiving safety confirmations:`,
  confirmBody: (c: number, u: number, d: number) => `Create ${c} users, update ${u}, delete ${d}.`,
  andMore: (n: number) => `…and ${n} more`,
  applied: 'Import completed.',
  appliedCounts: (c: number, u: number, d: number, p: number) => `${c} created, ${u} updated, ${d} deleted, ${p} departments created.`,
  cancelled: 'Preview cancelled; nothing was imported.',
  planState: {
    applied: 'This preview was already imported. See the history below.',
    cancelled: 'This preview was cancelled; nothing was imported. Preview again to import.',
    expired: 'This preview has expired. Preview again to import.',
    stale: 'The data changed after this preview was made. Preview again to import.',
    pending: '',
  } as Record<string, string>,
  // history
  history: 'History',
  when: 'When',
  kind: 'Kind',
  result: 'Result',
  counts: 'Created / updated / deleted',
  by: 'By',
  details: 'Details',
  kindImport: 'Import',
  kindUndo: 'Undo',
  kindScim: 'SCIM',
  succeeded: 'Succeeded',
  failed: 'Failed',
  filterResult: 'Result',
  filterWho: 'By',
  filterFrom: 'From date',
  all: 'All',
  csv: 'Download history (CSV)',
  csvDone: 'History downloaded.',
  runDetail: 'Run details',
  runChanges: 'Field-level changes',
  noChanges: 'This run changed nothing.',
  action: { create: 'Created', update: 'Updated', delete: 'Deleted' } as Record<string, string>,
  entity: { user: 'User', department: 'Department', company: 'Company' } as Record<string, string>,
  actorSchedule: 'the schedule',
  actorScim: (label: string | null) => (label ? `SCIM (${label})` : 'SCIM'),
  actorApi: (name: string | null) => (name ? `${name} (admin API)` : 'the admin API'),
  actorCli: (name: string | null) => (name ? `${name} (command line)` : 'the command line'),
  actorUnknown: 'someone unknown',
  // undo
  undo: 'Undo the last import…',
  undoTitle: 'Undo the import',
  undoHeadline: (when: string, who: string) => `Undo the import of ${when} by ${who}:`,
  undoRemove: (n: number) => `removes ${n} ${n === 1 ? 'user' : 'users'} it created`,
  undoRevert: (n: number) => `restores ${n} changed users to their earlier values`,
  undoRestore: (n: number) => `brings back ${n} deleted users`,
  undoConfirm: 'Undo the import',
  undoBlocked: 'This import cannot be undone:',
  undone: 'The import was undone.',
  undoneCounts: (r: number, u: number, s: number) => `${r} removed, ${u} restored to earlier values, ${s} brought back.`,
  // SCIM
  scim: 'SCIM provisioning',
  scimHelp: 'Entra ID can push changes continuously. In the Entra admin center, open Enterprise applications › your Safety Sync app › Provisioning, set the mode to Automatic, paste the Tenant URL and a Secret token from here, then press Test connection. It must succeed before you save.',
  scimGuide: 'SCIM setup guide',
  scimUrl: 'Tenant URL',
  tokenLabel: 'Label (e.g. Entra provisioning)',
  issue: 'Issue a secret token',
  tokenShown: 'Copy this secret token now: it is not shown again.',
  tokenIssued: 'Secret token issued.',
  label: 'Label',
  created: 'Created',
  lastUsed: 'Last used',
  neverUsed: 'Never',
  revoke: 'Revoke',
  revoked: 'Revoked',
  revokeTitle: 'Revoke the SCIM token',
  revokeBody: (label: string) => `Revoke "${label}"? Entra provisioning that uses it is refused at once; issue a new token and paste it into Entra to resume.`,
  revokedDone: 'Token revoked.',
  unlabelled: 'Token without a label',
  // disconnect
  disconnect: 'Disconnect',
  disconnectHelp: 'Unlinks the Entra tenant, stops the schedule and revokes every SCIM token. Users and their links stay.',
  disconnectButton: 'Disconnect Entra ID…',
  disconnectTitle: 'Disconnect Entra ID',
  disconnectBody: (tenant: string, tokens: number) =>
    `Unlink the tenant ${tenant} from this company? The schedule stops and ${tokens} SCIM tokens are revoked. Users already imported stay, with their links.`,
  disconnectConfirm: 'Disconnect',
  disconnected: 'Disconnected from Entra ID.',
  reconnect: 'To reconnect, type "sync directory" to the Safety Sync bot in Teams: the first import links your tenant again and finds the same people.',
  // errors and refusals
  errorTitle: 'Something went wrong',
  network: 'The server could not be reached. Check your connection and try again.',
  signIn: 'Sign in with Teams to use this page.',
  theme: 'Theme',
};

export type Texts = typeof en;

const ja: Texts = {
  title: 'Safety Sync',
  subtitle: '安否確認サービスの Microsoft Entra ID 読み込み',
  loading: '読み込んでいます…',
  dismiss: '閉じる',
  close: '閉じる',
  cancel: G.ja.cancel,
  copy: 'コピー',
  copied: 'クリップボードにコピーしました。',
  none: 'まだありません。',
  statusTitle: '状態',
  tenant: 'テナント',
  tenantNameUnknown: (id) => `名前を取得できません（ID ${id}）`,
  tenantNotLinked: '未連携：最初の読み込みで連携されます',
  plan: 'プラン',
  planName: { lite: 'ライト', premier: 'プレミア', enterprise: 'エンタープライズ' },
  lastImport: '前回の読み込み',
  lastImportNone: 'まだ読み込みはありません',
  lastImportText: (when, who, result) => `${when}　${who}　${result}`,
  nextRun: '次回の定期実行',
  nextRunOff: '定期実行はオフです',
  nextRunText: (when, tz) => `${when}（${tz}）`,
  scimActivity: 'SCIM の最終アクセス',
  scimNever: 'SCIM のアクセスはまだありません',
  settings: '読み込みの設定',
  initialPassword: '新規ユーザーの初期パスワード',
  passwordSet: '設定済みです。変更しない場合は空欄のままにしてください。初回サインイン時に変更が必要です。',
  passwordMissing: '未設定です。設定するまで新規ユーザーは作成できません。',
  threshold: '削除ガード：この件数を超える削除には追加の確認が必要です',
  schedule: '定期実行（読み込み内容の確認をボットに投稿します。承認なしには読み込みません）',
  scheduleOff: 'オフ',
  scheduleDaily: '毎日 03:00',
  scheduleWeekdays: '平日 07:00',
  scheduleCustom: 'カスタム（cron 式）',
  cron: 'cron 式（分 時 日 月 曜日）',
  timeZone: '会社のタイムゾーン（定期実行とこのページの日時）',
  save: '保存',
  saved: '設定を保存しました。',
  preview: '読み込み内容の確認',
  previewHelp: 'Entra ID の全ユーザーを今読み込み、変更内容をそのまま表示します。実行するまで何も書き込まれません。',
  planButton: '読み込み内容を確認',
  reading: 'Entra ID からユーザーを取得し、安否確認サービスと照合しています…',
  readingFor: (sec) => `${sec} 秒`,
  usersRead: (n, changes) => `${G.ja.directoryUsers}：${n} 人${changes === null ? '' : `・${G.ja.changesRead}：${changes} 件`}`,
  usersToCreate: G.ja.usersToCreate,
  usersToUpdate: G.ja.usersToUpdate,
  usersToDelete: G.ja.usersToDelete,
  usersUnchanged: G.ja.usersUnchanged,
  departmentsToCreate: G.ja.departmentsToCreate,
  skippedUsers: G.ja.skippedUsers,
  blockingErrors: '読み込みを止めるエラー：修正してから、もう一度確認してください',
  warnings: '注意',
  upToDate: G.ja.alreadyUpToDate,
  filter: '氏名・ログイン名・メールアドレスで絞り込み',
  moreRows: (n) => `ほか ${n} 件：絞り込みで探してください。`,
  showMore: G.ja.showMore,
  byReason: (parts) => `${G.ja.byReason}：${parts.map(([reason, n]) => `${reason} ${n} 人`).join('、')}`,
  skippedShown: (shown, total) => `${total} 人中 ${shown} 人を表示しています。絞り込みは表示中のユーザーが対象です。`,
  col: { loginName: 'ログイン名', name: '氏名', email: 'メールアドレス', phone: '電話番号', department: '部署', field: '項目', change: '変更前 → 変更後', reason: '理由', whatToDo: '対処', path: '部署の階層', level: '階層' },
  empty: '—',
  confirmDeletions: (n, t) => `${n} 人の削除も実行する（削除ガード ${t} 人を超えています）。`,
  expires: (t) => `この確認内容の有効期限は ${t} です。`,
  confirm: G.ja.confirmImport,
  confirmTitle: '読み込みを実行',
  confirmDeleteBody: (n) => `この読み込みで ${n} 人を安否確認サービスから削除します。削除されたユーザーには安否確認が届かなくなります：`,
  confirmBody: (c, u, d) => `作成 ${c} 人、編集 ${u} 人、削除 ${d} 人。`,
  andMore: (n) => `…ほか ${n} 人`,
  applied: G.ja.importCompleted,
  appliedCounts: (c, u, d, p) => `作成 ${c} 人、編集 ${u} 人、削除 ${d} 人、部署作成 ${p} 件。`,
  cancelled: '読み込み内容の確認をキャンセルしました。何も反映されていません。',
  planState: {
    applied: 'この読み込み内容は既に実行されています。下の履歴を確認してください。',
    cancelled: 'この読み込み内容はキャンセルされました。何も反映されていません。読み込むには、もう一度確認してください。',
    expired: 'この読み込み内容は有効期限が切れています。読み込むには、もう一度確認してください。',
    stale: 'この読み込み内容の作成後にデータが変更されました。読み込むには、もう一度確認してください。',
    pending: '',
  },
  history: '履歴',
  when: '日時',
  kind: '種類',
  result: '結果',
  counts: '作成 / 編集 / 削除',
  by: '実行した人',
  details: '詳細',
  kindImport: '読み込み',
  kindUndo: '読み込みの取り消し',
  kindScim: 'SCIM',
  succeeded: '成功',
  failed: '失敗',
  filterResult: '結果',
  filterWho: '実行した人',
  filterFrom: 'この日以降',
  all: 'すべて',
  csv: '履歴をダウンロード（CSV）',
  csvDone: '履歴をダウンロードしました。',
  runDetail: '実行の詳細',
  runChanges: '項目ごとの変更',
  noChanges: 'この実行では何も変更されていません。',
  action: { create: '作成', update: '編集', delete: '削除' },
  entity: { user: 'ユーザー', department: '部署', company: '会社' },
  actorSchedule: '定期実行',
  actorScim: (label) => (label ? `SCIM（${label}）` : 'SCIM'),
  actorApi: (name) => (name ? `${name}（管理 API）` : '管理 API'),
  actorCli: (name) => (name ? `${name}（コマンドライン）` : 'コマンドライン'),
  actorUnknown: '不明',
  undo: '読み込みの取り消し…',
  undoTitle: '読み込みの取り消し',
  undoHeadline: (when, who) => `${when} に ${who} が実行した読み込みを取り消します：`,
  undoRemove: (n) => `読み込みで作成された ${n} 人を削除します`,
  undoRevert: (n) => `編集された ${n} 人を以前の値に戻します`,
  undoRestore: (n) => `削除された ${n} 人を元に戻します`,
  undoConfirm: '読み込みを取り消す',
  undoBlocked: 'この読み込みは取り消せません：',
  undone: '読み込みを取り消しました。',
  undoneCounts: (r, u, s) => `削除 ${r} 人、以前の値に戻した人 ${u} 人、元に戻した人 ${s} 人。`,
  scim: 'SCIM プロビジョニング',
  scimHelp: 'Entra ID から変更を継続的に反映できます。Entra 管理センターで「エンタープライズ アプリケーション › Safety Sync アプリ › プロビジョニング」を開き、モードを「自動」にして、ここのテナントの URL と SCIM トークンを貼り付け、「テスト接続」を押してください。成功してから保存します。',
  scimGuide: 'SCIM 設定ガイド',
  scimUrl: 'テナントの URL',
  tokenLabel: 'ラベル（例：Entra プロビジョニング）',
  issue: 'SCIM トークンを発行',
  tokenShown: 'この SCIM トークンを今コピーしてください。再表示されません。',
  tokenIssued: 'SCIM トークンを発行しました。',
  label: 'ラベル',
  created: '発行日時',
  lastUsed: '最終使用',
  neverUsed: '未使用',
  revoke: '失効',
  revoked: '失効済み',
  revokeTitle: 'SCIM トークンの失効',
  revokeBody: (label) => `「${label}」を失効させますか？このトークンを使う Entra のプロビジョニングはすぐに拒否されます。再開するには新しいトークンを発行して Entra に貼り付けてください。`,
  revokedDone: 'SCIM トークンを失効させました。',
  unlabelled: 'ラベルなしのトークン',
  disconnect: '連携の解除',
  disconnectHelp: 'Entra テナントとの連携を解除し、定期実行を停止し、すべての SCIM トークンを失効させます。ユーザーと紐付けは残ります。',
  disconnectButton: 'Entra ID との連携を解除…',
  disconnectTitle: 'Entra ID との連携の解除',
  disconnectBody: (tenant, tokens) =>
    `テナント ${tenant} とこの会社の連携を解除しますか？定期実行は停止し、SCIM トークン ${tokens} 件が失効します。読み込み済みのユーザーと紐付けは残ります。`,
  disconnectConfirm: '連携を解除',
  disconnected: 'Entra ID との連携を解除しました。',
  reconnect: '再び連携するには、Teams の Safety Sync ボットに「ディレクトリ同期」と送信してください。最初の読み込みでテナントが再び連携され、同じユーザーに紐付きます。',
  errorTitle: 'エラー',
  network: 'サーバーに接続できません。接続を確認して、もう一度お試しください。',
  signIn: 'このページを使うには Teams でサインインしてください。',
  theme: 'テーマ',
};

export const TEXTS: Record<Lang, Texts> = { en, ja };

/** Field names of a plan's updates and the change log, in words: the glossary's, as the cards say them. */
export const FIELD_NAMES: Record<Lang, Record<UpdatableField | 'loginName' | RecordField, string>> = {
  en: { ...G.en.fields, ...G.en.recordFields },
  ja: { ...G.ja.fields, ...G.ja.recordFields },
};

/** A field, a change-log field or an Entra (Graph) property in words (the glossary's anyFieldName). */
export function fieldName(lang: Lang, field: string): string {
  return anyFieldName(lang, field);
}

/** The same name starting a table cell or a label ("Email address"). */
export function fieldLabel(lang: Lang, field: string): string {
  const name = fieldName(lang, field);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Role names: the glossary's. */
export const ROLE_NAMES: Record<Lang, Record<Role, string>> = { en: G.en.roles, ja: G.ja.roles };

/** Why a user read from Entra is not imported (the glossary's words), and what the administrator can do about it. */
export const SKIP_REASONS: Record<Lang, Record<SkipReason, { reason: string; remedy: string }>> = {
  en: {
    guest: { reason: G.en.skipReasons.guest, remedy: 'Guests are never imported. Add the person in the safety service by hand if they need safety confirmations.' },
    external: { reason: G.en.skipReasons.external, remedy: 'External users are never imported. Add them by hand if needed.' },
    disabledNew: { reason: G.en.skipReasons.disabledNew, remedy: 'Enable the account in Entra, or it will never be created.' },
    noUserPrincipalName: { reason: G.en.skipReasons.noUserPrincipalName, remedy: 'Give the user a user principal name in Entra, then preview again.' },
  },
  ja: {
    guest: { reason: G.ja.skipReasons.guest, remedy: 'ゲストは読み込まれません。安否確認が必要な場合は、安否確認サービスで手動で追加してください。' },
    external: { reason: G.ja.skipReasons.external, remedy: '外部ユーザーは読み込まれません。必要な場合は手動で追加してください。' },
    disabledNew: { reason: G.ja.skipReasons.disabledNew, remedy: 'Entra でアカウントを有効にしてください。無効のままでは作成されません。' },
    noUserPrincipalName: { reason: G.ja.skipReasons.noUserPrincipalName, remedy: 'Entra でユーザープリンシパル名を設定してから、もう一度確認してください。' },
  },
};

/** Every error code the tab's API can answer, with the sentence shown for it. */
export type TabErrorCode = ErrorCode | 'TAB_NOT_BUILT' | 'NETWORK';

/** Every server error code: the compiler checks the list is complete (a Record over ErrorCode). */
const ERROR_CODES: Record<ErrorCode, true> = {
  BAD_REQUEST: true, VALIDATION_FAILED: true, INVALID_CHARACTERS: true, UNAUTHORIZED: true, FORBIDDEN: true, NOT_FOUND: true, CONFLICT: true,
  TENANT_ALREADY_LINKED: true, TENANT_MISMATCH: true, DUPLICATE_LOGIN_NAME: true, DUPLICATE_EMAIL: true, DUPLICATE_DEPARTMENT_CODE: true,
  UNDELETABLE_USER: true, PLAN_HAS_ERRORS: true, PLAN_STALE: true, PLAN_EXPIRED: true, PLAN_CANCELLED: true, DELETIONS_NOT_CONFIRMED: true,
  IMPORT_IN_PROGRESS: true, DIRECTORY_UNAVAILABLE: true, DIRECTORY_THROTTLED: true, DIRECTORY_TIMEOUT: true, TOKEN_UNAVAILABLE: true,
  CONSENT_REQUIRED: true, ACCOUNT_CHECK_FAILED: true, DATABASE_UNAVAILABLE: true, DATABASE_BUSY: true, INTERNAL: true,
};

/** The tab's own codes (no server answer): only the tab shows them. */
const TAB_ONLY_TEXT: Record<Lang, Record<Exclude<TabErrorCode, ErrorCode>, string>> = {
  en: {
    TAB_NOT_BUILT: 'The page is not installed completely. Ask the operator to run npm run build:tab.',
    NETWORK: 'The server could not be reached. Check your connection and try again.',
  },
  ja: {
    TAB_NOT_BUILT: 'ページが正しくインストールされていません。運用担当者に npm run build:tab の実行を依頼してください。',
    NETWORK: 'サーバーに接続できません。接続を確認して、もう一度お試しください。',
  },
};

/** Server error codes read as the cards and the bot say them (failureText, the plain-text twin of renderFailure). */
const errorTexts = (lang: Lang): Record<TabErrorCode, string> => ({
  ...(Object.fromEntries(Object.keys(ERROR_CODES).map((code) => [code, failureText(lang, code)])) as Record<ErrorCode, string>),
  ...TAB_ONLY_TEXT[lang],
});

export const ERROR_TEXT: Record<Lang, Record<TabErrorCode, string>> = { en: errorTexts('en'), ja: errorTexts('ja') };

/** Why the tab refused the caller (FORBIDDEN with details.reason). */
export const REFUSAL_TEXT: Record<Lang, Record<Refusal, string>> = {
  en: {
    TENANT_NOT_LINKED: 'Your Entra tenant is not linked to a company in the safety service. To link it, type "sync directory" to the Safety Sync bot.',
    PLAN_NOT_ELIGIBLE: 'Microsoft Entra ID import needs the Premier plan or above.',
    NOT_A_SERVICE_USER: 'You are not a user of the safety service.',
    NOT_SYSTEM_ADMIN: 'Only system administrators of the safety service can use this page.',
    NO_ENTRA_ROLE: 'You need the Cloud Application Administrator role (or higher) in Entra ID.',
    IDENTITY_MISMATCH: 'The sign-in does not match your Teams identity. Reload the tab.',
  },
  ja: {
    TENANT_NOT_LINKED: 'Entra テナントが安否確認サービスの会社と連携していません。連携するには Safety Sync ボットに「ディレクトリ同期」と送信してください。',
    PLAN_NOT_ELIGIBLE: 'Microsoft Entra ID 読み込みはプレミアプラン以上で利用できます。',
    NOT_A_SERVICE_USER: '安否確認サービスのユーザーではありません。',
    NOT_SYSTEM_ADMIN: 'このページは安否確認サービスのシステム管理者だけが使えます。',
    NO_ENTRA_ROLE: 'Entra ID のクラウド アプリケーション管理者（またはそれ以上）のロールが必要です。',
    IDENTITY_MISMATCH: 'サインインが Teams の ID と一致しません。タブを再読み込みしてください。',
  },
};

/** The settings a VALIDATION_FAILED answer can name (details.field, or the path of details.issues[0]). */
export type SettingField = 'schedule' | 'timeZone' | 'initialPassword' | 'deletionThreshold' | 'label';

export const FIELD_ERROR_TEXT: Record<Lang, Record<SettingField, string>> = {
  en: {
    schedule: 'The schedule is not a valid cron expression. Use five fields, for example 0 3 * * * (every day at 03:00).',
    timeZone: 'The time zone is not known. Choose one from the list, for example Asia/Tokyo.',
    initialPassword: 'The initial password must be 8 to 128 characters.',
    deletionThreshold: 'The deletion guard must be a whole number, 0 or more.',
    label: 'The label may have at most 100 characters.',
  },
  ja: {
    schedule: '定期実行の cron 式が正しくありません。例：0 3 * * *（毎日 03:00）のように 5 つの項目で指定してください。',
    timeZone: 'タイムゾーンが正しくありません。一覧から選んでください（例：Asia/Tokyo）。',
    initialPassword: '初期パスワードは 8 文字以上 128 文字以下にしてください。',
    deletionThreshold: '削除ガードは 0 以上の整数にしてください。',
    label: 'ラベルは 100 文字以内にしてください。',
  },
};

/** The field a VALIDATION_FAILED answer is about, from its details. */
export function invalidField(details: Record<string, unknown> | undefined): SettingField | null {
  const issues = details?.['issues'];
  const path = typeof details?.['field'] === 'string' ? details['field'] : Array.isArray(issues) ? (issues[0] as { path?: unknown } | undefined)?.path : undefined;
  return typeof path === 'string' && path in FIELD_ERROR_TEXT.en ? (path as SettingField) : null;
}

/** The sentence for an error answer in the admin's language (never the server's English or a raw code). */
export function errorText(lang: Lang, code: string, reason?: string, details?: Record<string, unknown>): string {
  if (code === 'FORBIDDEN' && reason && reason in REFUSAL_TEXT[lang]) return REFUSAL_TEXT[lang][reason as Refusal];
  const field = code === 'VALIDATION_FAILED' ? invalidField(details) : null;
  if (field) return FIELD_ERROR_TEXT[lang][field];
  return (ERROR_TEXT[lang] as Record<string, string>)[code] ?? ERROR_TEXT[lang].INTERNAL;
}
