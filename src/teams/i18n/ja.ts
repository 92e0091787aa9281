/**
 * The bot's words (B8): the Japanese catalogue. Plan issues and error codes come from ./issues.ts,
 * terms from ./glossary.ts. Pure: no Node import.
 */
import { signInFailureKind, type ReadCounts, type Strings } from './strings.ts';
import { num, seconds } from './format.ts';
import { glossary } from './glossary.ts';
import { renderFailure, renderPlanError, renderPlanWarning } from './issues.ts';
import { md } from './markdown.ts';

const G = glossary('ja');

function readText(read: ReadCounts, ms: number | null): string {
  const parts: string[] = [];
  if (read.directoryUsers !== null) parts.push(`${G.directoryUsers}: ${num('ja', read.directoryUsers)} 人`);
  if (read.changesRead !== null) parts.push(`${G.changesRead}: ${num('ja', read.changesRead)} 件`);
  if (parts.length === 0) return '';
  return `・${parts.join('・')}${ms === null ? '' : `（${seconds('ja', ms)} 秒）`}`;
}

export const ja: Strings = {
  lang: 'ja',
  error: (e) => renderPlanError('ja', e),
  warning: (w) => renderPlanWarning('ja', w),
  importFailure: (code, message) => renderFailure('ja', code, message),
  failure: (code, message) => renderFailure('ja', code, message),
  openInTab: G.openInTab,
  refreshTitle: '最新の状態に更新',
  planTitle: G.preview,
  subtitle: (company, tenant) => `${md(company)}・Microsoft Entra ID ${G.tenant} ${md(tenant)}`,
  requested: (name, read, ms) => `依頼者: ${md(name)} さん${readText(read, ms)}`,
  summary: {
    create: G.usersToCreate,
    update: G.usersToUpdate,
    delete: G.usersToDelete,
    unchanged: G.usersUnchanged,
    departments: G.departmentsToCreate,
  },
  samples: { create: G.usersToCreate, update: G.usersToUpdate, delete: G.usersToDelete, departments: G.departmentsToCreate },
  more: (n) => `ほか ${num('ja', n)} 件`,
  fields: (f) => f.map((x) => G.fields[x]).join('・'),
  skippedHeading: G.skippedUsers,
  skip: G.skipReasons,
  warningsHeading: (n) => `${G.warning}（${num('ja', n)} 件）`,
  errorsHeading: (n) => `${G.blockingError}（${num('ja', n)} 件）: 解消するまで読み込みは実行できません`,
  errorsMore: (n) => `…ほか ${num('ja', n)} 件のエラーがあります。すべてのエラーは Safety Sync タブで確認できます。`,
  errorsFooter: 'エラーを解消してから、もう一度 **ディレクトリ同期** と入力して、読み込み内容を確認してください。',
  deletionToggle: (n, t) => `${num('ja', n)} 人のユーザーを削除することを確認しました（削除ガード ${num('ja', t)} 人を超えています）`,
  deletionLabel: G.deletionGuard,
  deletionError: '削除を実行するには、このチェックボックスをオンにしてください。',
  expires: (at, minutes) =>
    `この内容で読み込みを実行できるのは {{DATE(${at}, SHORT)}} {{TIME(${at})}} までです（作成から ${num('ja', minutes)} 分間）。過ぎた場合は、もう一度 **ディレクトリ同期** と入力してください。`,
  tabNote: 'すべての一覧は Safety Sync タブで確認できます。',
  nothingToChange: '安否確認サービスのユーザーは Microsoft Entra ID と一致しています。',
  upToDate: G.alreadyUpToDate,
  supersededTitle: 'より新しい読み込み内容があります',
  supersededText: 'このカードの後に新しい読み込み内容が作成されたため、このカードからは実行できません。最新のカードを使うか、**ディレクトリ同期** と入力してください。',
  confirm: G.confirmImport,
  cancel: G.cancel,
  importingTitle: '読み込み中…',
  confirmedBy: (name) => `${md(name)} さんが実行しました。`,
  importingNote: '完了すると、このカードに結果が表示されます。',
  resultTitle: G.importCompleted,
  resultCounts: {
    created: '作成したユーザー',
    updated: '編集したユーザー',
    deleted: '削除したユーザー',
    departmentsCreated: '作成した部署',
    duration: '所要時間',
  },
  resultConfirmed: (name, at) => `${md(name)} さんが {{DATE(${at}, SHORT)}} {{TIME(${at})}} に実行しました。`,
  resultNote: '履歴と読み込みの取り消しは Safety Sync タブから行えます。',
  failedTitle: G.importFailedNothingChanged,
  failedReason: (reason) => `理由: ${reason}`,
  cancelledTitle: (name) => `${md(name)} さんが読み込みをキャンセルしました`,
  expiredTitle: '確認の有効期限が過ぎました',
  expiredText: '読み込み内容を確認してから実行できるのは一定時間内だけです。もう一度 **ディレクトリ同期** と入力して、最新の内容を確認してください。',
  staleTitle: '読み込み内容が最新ではありません',
  staleText: '確認画面の作成後に安否確認サービスのデータが変わったため、読み込みは実行していません。もう一度 **ディレクトリ同期** と入力して、最新の内容を確認してください。',
  nothingChanged: '何も反映されていません。',
  planAgain: '最新の内容を確認する',
  deletionsNotConfirmed: '削除ガードを超える人数を削除します。実行する前に、削除ガードのチェックボックスをオンにしてください。',
  clickRefused: (reason) => {
    switch (reason) {
      case 'NOT_IN_CONVERSATION':
      case 'OTHER_COMPANY':
        return 'このカードはこの会話または会社のものではありません。何も変更されていません。';
      case 'TENANT_NOT_LINKED':
        return '申し訳ありません。お使いの Entra ID のテナントはこの会社と連携していません。何も変更されていません。';
      case 'NO_ENTRA_ROLE':
        return '申し訳ありません。実行には Entra ID のクラウド アプリケーション管理者以上のロールが必要です。何も変更されていません。';
      case 'IDENTITY_MISMATCH':
        return '申し訳ありません。サインインしたアカウントが Teams のアカウントと一致しません。何も変更されていません。';
      default:
        return '申し訳ありません。読み込みの実行やキャンセルは安否確認サービスのシステム管理者だけが行えます。何も変更されていません。';
    }
  },
  unknownCard: 'このカードはもう使えません。**ディレクトリ同期** と入力して、最新の読み込み内容を確認してください。',
  helpTitle: 'Safety Sync',
  helpIntro: '安否確認サービスのユーザーを Microsoft Entra ID から読み込みます。',
  helpCommands: [
    { command: 'ディレクトリ同期', text: 'Entra ID のユーザーを取得し、読み込みで何が変わるかを表示します（sync directory）。「読み込みを実行」を押すまで何も変わりません。' },
    { command: 'status', text: '最近の読み込みを表示します。' },
    { command: 'help', text: 'このヘルプを表示します。' },
  ],
  helpWho: '読み込みを実行できるのは、安否確認サービスのシステム管理者で、かつ Entra ID のクラウド アプリケーション管理者以上のロールを持つ方だけです。',
  helpSync: 'ディレクトリ同期',
  helpStatus: '状況',
  statusTitle: `最近の${G.import}`,
  statusSubtitle: (company) => md(company),
  statusEmpty: 'まだ読み込みは実行されていません。**ディレクトリ同期** と入力して、最初の読み込み内容を確認してください。',
  runStatus: (s) => (s === 'succeeded' ? '成功' : '失敗'),
  runCounts: (c) =>
    `作成 ${num('ja', c.created)} 人・編集 ${num('ja', c.updated)} 人・削除 ${num('ja', c.deleted)} 人・部署 ${num('ja', c.departmentsCreated)} 件`,
  runBy: (by) => `実行者: ${md(by)}`,
  signInText: 'Safety Sync があなたの代わりにディレクトリを読み込めるよう、サインインしてください。',
  signInButton: 'サインイン',
  consentTitle: '管理者の同意が必要です',
  consentLines: [
    'Safety Sync はまだディレクトリを読み込めません。Entra ID のテナントの管理者が、必要なアクセス許可（Microsoft Graph User.Read.All）をアプリに付与していません（AADSTS65001）。',
    'グローバル管理者（または特権ロール管理者）が下のボタンから同意できます。何も読み込まず、何も変更していません。',
  ],
  consentButton: '管理者として同意する',
  consentRetry: 'もう一度試す',
  signInHint: {
    manifest: 'アプリ マニフェスト（webApplicationInfo）とボットのサインイン設定が一致していません。Safety Sync を導入した方に確認を依頼してください。',
    consent: 'サインイン ボタンからサインインして同意してください。',
    retry: 'もう一度試すか、サインイン ボタンを使ってください。',
  },
  signInFailed(code) {
    return `Teams で自動的にサインインできませんでした。${ja.signInHint[signInFailureKind(code)]} 何も読み込まず、何も変更していません。（詳細: ${md(code)}）`;
  },
  signInExpired: 'ディレクトリの読み込み中にサインインの有効期限が切れたため、何も反映していません。続けるには、もう一度サインインしてください。',
  reading: 'Microsoft Entra ID からユーザーを取得しています…',
  scheduleName: G.schedule,
  readingProgress: (n) => `Microsoft Entra ID からユーザーを取得しています… ${num('ja', n)} 件を取得しました。`,
  readDone: (read, ms) =>
    read.changesRead !== null
      ? `Microsoft Entra ID から ${num('ja', read.changesRead)} 件の変更を ${seconds('ja', ms)} 秒で取得しました（ディレクトリのユーザー: ${num('ja', read.directoryUsers ?? 0)} 人）。`
      : `Microsoft Entra ID から ${num('ja', read.directoryUsers ?? 0)} 人のユーザーを ${seconds('ja', ms)} 秒で取得しました。`,
  refusal: (reason, company) => {
    const c = company ? md(company) : 'お客様の会社';
    switch (reason) {
      case 'TENANT_NOT_LINKED':
        return '申し訳ありません。お使いの Microsoft Entra ID のテナントは安否確認サービスのどの会社とも連携していないため、読み込めません。安否確認サービスのシステム管理者が Safety Sync タブで連携できます。';
      case 'PLAN_NOT_ELIGIBLE':
        return `申し訳ありません。${c} はライトプランのため、Microsoft Entra ID 読み込みはご利用いただけません（プレミアプラン以上が必要です）。`;
      case 'NOT_A_SERVICE_USER':
        return `申し訳ありません。${c} の安否確認サービスのユーザーの中に、あなたのアカウント（Entra ID のアカウントまたはログイン名）が見つかりませんでした。読み込みはシステム管理者だけが行えます。`;
      case 'NOT_SYSTEM_ADMIN':
        return `申し訳ありません。読み込みは安否確認サービスのシステム管理者だけが行えますが、${c} でのあなたのアカウントはシステム管理者ではありません。システム管理者に依頼してください。`;
      case 'NO_ENTRA_ROLE':
        return '申し訳ありません。読み込みには Entra ID のクラウド アプリケーション管理者以上のロール（アプリケーション管理者、特権ロール管理者、グローバル管理者）が必要ですが、あなたのアカウントにはありません。';
      case 'IDENTITY_MISMATCH':
        return '申し訳ありません。サインインしたアカウントが Teams のアカウントと一致しないため、中止しました。何も読み込んでいません。';
    }
  },
  notConfigured: 'ボットのサインインが構成されていません（AAD_APP_CLIENT_ID、AAD_APP_CLIENT_SECRET、AAD_APP_TENANT_ID）。何も読み込んでいません。',
  accountCheckFailed: '申し訳ありません。いまアカウントを確認できなかったため、何も読み込まず、何も変更していません。しばらくしてからもう一度お試しください。',
};
