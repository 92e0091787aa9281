// The configuration tab's page script: plain browser JavaScript, no build step.
// Every text shown comes from the dictionary below (Japanese or English by locale);
// data from the server is always set with textContent, never as HTML.
'use strict';

const TEXT = {
  en: {
    title: 'Safety Sync', settings: 'Import settings', initialPassword: 'Initial password for new users',
    threshold: 'Deletion guard: deletions that need a second confirmation above', schedule: 'Scheduled sync (a plan is posted for approval)',
    scheduleOff: 'Off', scheduleDaily: 'Every day at 03:00', scheduleWeekdays: 'Weekdays at 07:00', scheduleCustom: 'Custom (cron)',
    save: 'Save', preview: 'Preview and import',
    previewHelp: 'Reads every Entra ID user now and shows exactly what would change. Nothing is written until you confirm.',
    planButton: 'Preview import', filter: 'Filter', confirm: 'Confirm import', cancel: 'Cancel', history: 'History',
    when: 'When', kind: 'Kind', status: 'Status', counts: 'Created / updated / deleted', confirmedBy: 'Confirmed by',
    csv: 'Download history (CSV)', undo: 'Undo the last import…', scim: 'SCIM provisioning', scimUrl: 'Tenant URL',
    tokenLabel: 'Label (e.g. Entra provisioning)', issue: 'Issue a secret token', label: 'Label', created: 'Created', lastUsed: 'Last used',
    revoke: 'Revoke', revoked: 'revoked', disconnect: 'Disconnect',
    disconnectHelp: 'Unlinks the Entra tenant, stops the schedule and revokes SCIM tokens. Users and their links stay.',
    disconnectButton: 'Disconnect Entra ID', passwordSet: 'Set. Leave blank to keep it.', passwordMissing: 'Not set: new users cannot be created until it is.',
    saved: 'Saved.', reading: 'Reading the directory…', usersToCreate: 'Users to create', usersToUpdate: 'Users to update',
    usersToDelete: 'Users to delete', usersUnchanged: 'Unchanged', departmentsToCreate: 'Departments to create', skipped: 'Skipped',
    errors: 'Blocking errors (fix them, then preview again)', warnings: 'Warnings', confirmDeletions: 'I confirm deleting {n} users (more than the guard of {t}).',
    expires: 'This preview expires at {t}.', applied: 'Imported: {c} created, {u} updated, {d} deleted, {p} departments created.',
    cancelled: 'Cancelled.', undoPreview: 'Undo preview', undoSummary: '{r} users created by the import would be removed, {u} restored to their earlier values, {s} deleted users restored.',
    undone: 'The last import was undone.', tokenShown: 'Copy this token now; it is not shown again: ', confirmDisconnect: 'Disconnect Entra ID from this company?',
    disconnected: 'Disconnected.', signIn: 'Sign in with Teams to use this page.', none: 'None yet.',
    createUsers: 'Users to create', updateUsers: 'Users to update', deleteUsers: 'Users to delete', createDepartments: 'Departments to create', skippedUsers: 'Skipped users',
    reason_guest: 'guest', reason_external: 'external (ExternalAzureAD)', reason_disabledNew: 'disabled', reason_noUserPrincipalName: 'no user principal name',
    succeeded: 'succeeded', failed: 'failed', import: 'import', undoKind: 'undo',
  },
  ja: {
    title: 'Safety Sync', settings: '取り込みの設定', initialPassword: '新規ユーザーの初期パスワード',
    threshold: '削除ガード：この件数を超える削除は追加の確認が必要', schedule: '定期同期（承認用の取り込み内容を投稿）',
    scheduleOff: 'オフ', scheduleDaily: '毎日 03:00', scheduleWeekdays: '平日 07:00', scheduleCustom: 'カスタム (cron)',
    save: '保存', preview: 'プレビューと取り込み',
    previewHelp: 'Entra ID の全ユーザーを今読み込み、変更内容をそのまま表示します。確定するまで何も書き込まれません。',
    planButton: '取り込み内容をプレビュー', filter: '絞り込み', confirm: '取り込みを確定', cancel: 'キャンセル', history: '履歴',
    when: '日時', kind: '種類', status: '結果', counts: '作成 / 更新 / 削除', confirmedBy: '確定した人',
    csv: '履歴をダウンロード (CSV)', undo: '直前の取り込みを元に戻す…', scim: 'SCIM プロビジョニング', scimUrl: 'テナントの URL',
    tokenLabel: 'ラベル（例: Entra プロビジョニング）', issue: 'シークレットトークンを発行', label: 'ラベル', created: '作成日時', lastUsed: '最終使用',
    revoke: '失効', revoked: '失効済み', disconnect: '連携解除',
    disconnectHelp: 'Entra テナントとの連携を解除し、定期同期を停止し、SCIM トークンを失効させます。ユーザーと紐付けは残ります。',
    disconnectButton: 'Entra ID との連携を解除', passwordSet: '設定済みです。変更しない場合は空欄のままにしてください。', passwordMissing: '未設定です。設定するまで新規ユーザーは作成できません。',
    saved: '保存しました。', reading: 'ディレクトリを読み込んでいます…', usersToCreate: '作成するユーザー', usersToUpdate: '更新するユーザー',
    usersToDelete: '削除するユーザー', usersUnchanged: '変更なし', departmentsToCreate: '作成する部署', skipped: '取り込まないユーザー',
    errors: '取り込みを止めるエラー（修正してから再度プレビューしてください）', warnings: '注意', confirmDeletions: '{n} 人の削除を確認しました（削除ガード {t} 人を超えています）。',
    expires: 'このプレビューの有効期限は {t} です。', applied: '取り込みました：作成 {c}、更新 {u}、削除 {d}、部署作成 {p}。',
    cancelled: 'キャンセルしました。', undoPreview: '元に戻す内容', undoSummary: '取り込みで作成された {r} 人を削除し、{u} 人を以前の値に戻し、削除された {s} 人を復元します。',
    undone: '直前の取り込みを元に戻しました。', tokenShown: 'このトークンを今コピーしてください（再表示されません）：', confirmDisconnect: 'この会社と Entra ID の連携を解除しますか？',
    disconnected: '連携を解除しました。', signIn: 'このページを使うには Teams でサインインしてください。', none: 'まだありません。',
    createUsers: '作成するユーザー', updateUsers: '更新するユーザー', deleteUsers: '削除するユーザー', createDepartments: '作成する部署', skippedUsers: '取り込まないユーザー',
    reason_guest: 'ゲスト', reason_external: '外部 (ExternalAzureAD)', reason_disabledNew: '無効', reason_noUserPrincipalName: 'ユーザープリンシパル名なし',
    succeeded: '成功', failed: '失敗', import: '取り込み', undoKind: '元に戻す',
  },
};

// Plan errors and warnings in Japanese, by code, from their machine-readable details; English
// uses the server's own message.
const ISSUES_JA = {
  PLAN_NOT_ELIGIBLE: () => 'Entra ID からの取り込みはプレミアプラン以上で利用できます。',
  TENANT_MISMATCH: (d) => `この会社は Entra テナント ${d.companyTenantId} と連携しています。読み込んだディレクトリはテナント ${d.directoryTenantId} のものです。`,
  TENANT_ALREADY_LINKED: () => 'この Entra テナントは別の会社と連携済みです。',
  TENANT_WILL_BE_LINKED: (d) => `この取り込みで会社が Entra テナント ${d.tenantId} と連携されます。`,
  INITIAL_PASSWORD_MISSING: (d) => `新規ユーザー ${d.usersToCreate} 人の初期パスワードが未設定です。上の「取り込みの設定」で設定してください。`,
  UNDELETABLE_USER: (d) => `${d.loginName} は ${(d.roles ?? []).join('、')} のため削除できません。先に役割を外してください。`,
  DUPLICATE_EMAIL: (d) => `メールアドレス ${d.email} が複数のユーザー（${(d.users ?? []).map((u) => u.loginName).join('、')}）で重複しています。安否確認サービスまたは Entra ID 側で一方から削除してください。`,
  DUPLICATE_LOGIN_NAME: (d) => `ログイン名 ${d.loginName} は既に使われています。`,
  USER_LIMIT_EXCEEDED: (d) => `ユーザー数の上限 ${d.maxUsers} 人を超えます（取り込み後 ${d.resultingUsers} 人）。`,
  EMAIL_KEPT: (d) => `${d.loginName} は Entra ID のメールが空のため、登録済みのメールアドレス ${d.email} を残します。`,
  DISABLED_USER_UPDATED: (d) => `${d.loginName} は Entra ID で無効ですが、紐付け済みのため更新します。`,
  DEPARTMENT_REUSED: (d) => `安否確認サービスの既存部署 ${d.departmentCode} を同名の Entra ID 部署として使います。`,
  DELETIONS_NEED_CONFIRMATION: (d) => `${d.deletions} 人を削除します（削除ガード ${d.threshold} 人を超えています）。確定時に削除の確認が必要です。`,
  UNDO_CONFLICT: (d) => `${d.loginName} は取り込み後に変更されています。元に戻すとその変更を上書きするため、元に戻せません。`,
  NOTHING_TO_UNDO: () => '直前の取り込みは何も変更していません。',
  USER_GONE: (d) => `${d.loginName} は既に存在しません。`,
};
const issueText = (i) => (lang === 'ja' && ISSUES_JA[i.code] ? ISSUES_JA[i.code](i) : i.message);

let lang = /^ja/i.test(navigator.language) ? 'ja' : 'en';
let token = null;
let currentPlan = null;
const $ = (id) => document.getElementById(id);
const t = (key, vars = {}) => (TEXT[lang][key] ?? TEXT.en[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US') : '');

function banner(text, kind = 'info') {
  const b = $('banner');
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.hidden = !text;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

async function getToken() {
  if (window.microsoftTeams) {
    try {
      await Promise.race([microsoftTeams.app.initialize(), new Promise((_, r) => setTimeout(() => r(new Error('not in Teams')), 1500))]);
      const ctx = await microsoftTeams.app.getContext();
      if (ctx?.app?.locale) lang = /^ja/i.test(ctx.app.locale) ? 'ja' : 'en';
      return await microsoftTeams.authentication.getAuthToken();
    } catch {
      // Outside Teams: only the demo hands out a token.
    }
  }
  const res = await fetch('/api/tab/demo-token');
  if (!res.ok) throw new Error(t('signIn'));
  return (await res.json()).token;
}

function translatePage() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const e of document.querySelectorAll('[data-tp]')) e.placeholder = t(e.dataset.tp);
}

async function loadContext() {
  const ctx = await api('GET', '/api/tab/context');
  $('who').textContent = `${ctx.company.name} · ${ctx.company.plan} · ${ctx.company.entraTenantId ?? ''} · ${ctx.user.name}`;
  $('password-state').textContent = ctx.settings.initialPasswordSet ? t('passwordSet') : t('passwordMissing');
  $('threshold').value = ctx.settings.deletionThreshold;
  const preset = [...$('schedule-preset').options].find((o) => o.value === (ctx.settings.schedule ?? ''));
  $('schedule-preset').value = preset ? preset.value : 'custom';
  $('schedule').value = ctx.settings.schedule ?? '';
  $('schedule').hidden = $('schedule-preset').value !== 'custom';
  $('scim-url').textContent = new URL(ctx.scimUrl, location.href).href;
}

async function loadRuns() {
  const runs = await api('GET', '/api/tab/runs');
  const body = $('runs');
  body.replaceChildren();
  if (runs.length === 0) body.append(rowOf([t('none')]));
  for (const r of runs) {
    const c = r.counts ?? {};
    body.append(rowOf([fmtTime(r.startedAt), r.kind === 'undo' ? t('undoKind') : t('import'), t(r.status), `${c.created ?? 0} / ${c.updated ?? 0} / ${c.deleted ?? 0}`, r.confirmedBy]));
  }
}

async function loadTokens() {
  const list = await api('GET', '/api/tab/scim-tokens');
  const body = $('tokens');
  body.replaceChildren();
  for (const tok of list) {
    const tr = rowOf([tok.label || tok.id, fmtTime(tok.createdAt), tok.revokedAt ? t('revoked') : fmtTime(tok.lastUsedAt)]);
    const td = el('td');
    if (!tok.revokedAt) {
      const b = el('button', t('revoke'));
      b.onclick = () => run(async () => { await api('DELETE', `/api/tab/scim-tokens/${tok.id}`); await loadTokens(); });
      td.append(b);
    }
    tr.append(td);
    body.append(tr);
  }
}

function rowOf(cells) {
  const tr = el('tr');
  for (const c of cells) tr.append(el('td', c ?? ''));
  return tr;
}

function showPlan(plan) {
  currentPlan = plan;
  $('plan').hidden = false;
  const s = plan.summary;
  const dl = $('summary');
  dl.replaceChildren();
  const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  for (const [k, v] of [['usersToCreate', s.usersToCreate], ['usersToUpdate', s.usersToUpdate], ['usersToDelete', s.usersToDelete],
    ['usersUnchanged', s.usersUnchanged], ['departmentsToCreate', s.departmentsToCreate], ['skipped', skipped]]) {
    const d = el('div');
    d.append(el('dt', t(k)), el('dd', String(v)));
    dl.append(d);
  }
  const errs = $('plan-errors');
  errs.replaceChildren();
  if (plan.errors.length) errs.append(el('h3', t('errors')));
  for (const e of plan.errors) errs.append(el('div', issueText(e), 'issue'));
  const warns = $('plan-warnings');
  warns.replaceChildren();
  if (plan.warnings.length) warns.append(el('h3', t('warnings')));
  for (const w of plan.warnings) warns.append(el('div', issueText(w), 'issue warning'));
  renderLists();
  const needs = Boolean(plan.requiresDeletionConfirmation);
  $('confirm-deletions-row').hidden = !needs;
  $('confirm-deletions').checked = false;
  $('confirm-deletions-text').textContent = t('confirmDeletions', { n: s.usersToDelete, t: plan.warnings.find((w) => w.code === 'DELETIONS_NEED_CONFIRMATION')?.threshold ?? '' });
  $('plan-expiry').textContent = t('expires', { t: fmtTime(plan.expiresAt) });
  $('confirm-button').hidden = plan.errors.length > 0 || plan.kind === 'undo';
  $('confirm-button').disabled = false;
}

function renderLists() {
  const plan = currentPlan;
  const q = $('plan-filter').value.trim().toLowerCase();
  const host = $('plan-lists');
  host.replaceChildren();
  if (!plan || plan.kind === 'undo') return;
  const lists = [
    ['createUsers', plan.changes.createUsers, (u) => [u.loginName, u.name, u.email ?? '', u.departmentCode ?? '']],
    ['updateUsers', plan.changes.updateUsers, (u) => [u.loginName, Object.entries(u.fields).map(([k, c]) => `${k}: ${c.from ?? '—'} → ${c.to ?? '—'}`).join('; ')]],
    ['deleteUsers', plan.changes.deleteUsers, (u) => [u.loginName, u.name]],
    ['createDepartments', plan.changes.createDepartments, (d) => [d.name, `level ${d.level}`]],
    ['skippedUsers', plan.skippedUsers ?? [], (u) => [u.userPrincipalName ?? u.entraObjectId, u.displayName ?? '', t(`reason_${u.reason}`)]],
  ];
  for (const [key, items, cells] of lists) {
    if (!items.length) continue;
    const rows = items.map(cells).filter((c) => !q || c.join(' ').toLowerCase().includes(q));
    const det = el('details');
    det.append(el('summary', `${t(key)} (${rows.length})`));
    const table = el('table');
    const body = el('tbody');
    for (const r of rows.slice(0, 2000)) body.append(rowOf(r));
    table.append(body);
    det.append(table);
    host.append(det);
  }
}

async function run(fn) {
  try {
    banner('');
    await fn();
  } catch (e) {
    banner(e.message, 'error');
  }
}

function wire() {
  $('schedule-preset').onchange = () => { $('schedule').hidden = $('schedule-preset').value !== 'custom'; };
  $('settings-form').onsubmit = (ev) => { ev.preventDefault(); run(async () => {
    const preset = $('schedule-preset').value;
    const schedule = preset === 'custom' ? ($('schedule').value.trim() || null) : (preset || null);
    const body = { deletionThreshold: Number($('threshold').value), schedule };
    if ($('initial-password').value) body.initialPassword = $('initial-password').value;
    await api('PATCH', '/api/tab/settings', body);
    $('initial-password').value = '';
    await loadContext();
    banner(t('saved'), 'ok');
  }); };
  $('plan-button').onclick = () => run(async () => {
    $('plan-button').disabled = true;
    banner(t('reading'));
    try { showPlan(await api('POST', '/api/tab/plans', {})); banner(''); } finally { $('plan-button').disabled = false; }
  });
  $('plan-filter').oninput = renderLists;
  $('confirm-button').onclick = () => run(async () => {
    $('confirm-button').disabled = true;
    const r = await api('POST', `/api/tab/plans/${currentPlan.id}/apply`, { confirmDeletions: $('confirm-deletions').checked });
    $('plan').hidden = true;
    banner(currentPlan.kind === 'undo' ? t('undone') : t('applied', { c: r.counts.created, u: r.counts.updated, d: r.counts.deleted, p: r.counts.departmentsCreated }), 'ok');
    await loadRuns();
  });
  $('cancel-button').onclick = () => run(async () => {
    if (currentPlan.kind !== 'undo') await api('POST', `/api/tab/plans/${currentPlan.id}/cancel`, {});
    $('plan').hidden = true;
    banner(t('cancelled'));
  });
  $('undo-button').onclick = () => run(async () => {
    const p = await api('POST', '/api/tab/undo-plans', {});
    showPlan({ ...p, summary: { usersToCreate: p.summary.usersToRestore, usersToUpdate: p.summary.usersToRevert, usersToDelete: p.summary.usersToRemove, usersUnchanged: 0, departmentsToCreate: 0, skipped: {} } });
    $('confirm-button').hidden = p.errors.length > 0;
    banner(`${t('undoPreview')}: ${t('undoSummary', { r: p.summary.usersToRemove, u: p.summary.usersToRevert, s: p.summary.usersToRestore })}`);
  });
  $('csv-button').onclick = () => run(async () => {
    const res = await fetch('/api/tab/history.csv', { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const a = el('a');
    a.href = URL.createObjectURL(await res.blob());
    a.download = 'safety-sync-history.csv';
    a.click();
  });
  $('token-form').onsubmit = (ev) => { ev.preventDefault(); run(async () => {
    const r = await api('POST', '/api/tab/scim-tokens', { label: $('token-label').value });
    $('new-token').hidden = false;
    $('new-token').textContent = t('tokenShown') + r.token;
    $('token-label').value = '';
    await loadTokens();
  }); };
  $('disconnect-button').onclick = () => run(async () => {
    if (!confirm(t('confirmDisconnect'))) return;
    await api('POST', '/api/tab/disconnect', {});
    $('app').hidden = true;
    banner(t('disconnected'), 'ok');
  });
}

async function main() {
  try {
    token = await getToken();
  } catch (e) {
    translatePage();
    banner(e.message, 'error');
    return;
  }
  translatePage();
  wire();
  try {
    await loadContext();
    await Promise.all([loadRuns(), loadTokens()]);
    $('app').hidden = false;
  } catch (e) {
    banner(e.message, 'error');
  }
}

main();
