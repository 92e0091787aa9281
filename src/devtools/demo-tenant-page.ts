/**
 * The demo tenant page: plain HTML and CSS in the Teams look (Segoe UI / the system font, Teams
 * purple #5B5FC7), English or Japanese (`?lang=ja`, else Accept-Language), working without a
 * framework. Its forms call the JSON API under /demo/tenant/api/*; the users table is rendered
 * on the server, so the page reads without script.
 */
import { DEMO_MASS_DELETION_COUNT, type DemoTenantListing, type DemoTenantUserView } from './demo-tenant-control.ts';

export type PageLanguage = 'en' | 'ja';

/** `?lang=ja|en` wins; else the first of Accept-Language that is en or ja; else English. */
export function pageLanguage(query: unknown, acceptLanguage: string | string[] | undefined): PageLanguage {
  if (query === 'ja' || query === 'en') return query;
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage ?? '';
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q) };
    })
    .filter((x) => x.tag && Number.isFinite(x.q) && x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag === 'ja' || tag.startsWith('ja-')) return 'ja';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

const TEXT = {
  en: {
    title: 'Demo tenant',
    intro:
      'Change the emulated Microsoft Entra ID tenant of the demo, then make a new plan (the bot’s “plan”, the Safety Sync tab, or npx safety-sync plan) to see what the import shows: every card and error, without writing code.',
    savedIn: 'Changes are saved in',
    notSaved: 'Changes last until the demo stops (DATABASE_URL is set, so nothing is saved).',
    otherLanguage: '日本語',
    users: (n: number) => `Users in the tenant (${n})`,
    name: 'Name',
    upn: 'User principal name',
    email: 'Email',
    department: 'Department',
    type: 'Type',
    status: 'Account',
    actions: 'Actions',
    enabled: 'Enabled',
    disabled: 'Disabled',
    member: 'Member',
    guest: 'Guest',
    none: '(none)',
    disable: 'Disable',
    enable: 'Enable',
    delete: 'Delete',
    addUser: 'Add a user',
    addUserHint: 'A new enabled user is created by the next import; a new disabled one is a skipped user.',
    mailNickname: 'Sign-in name (before @contoso.onmicrosoft.com, optional)',
    accountEnabled: 'Account enabled',
    add: 'Add user',
    editUser: 'Rename a user or change the department',
    editHint: 'Leave a field blank to keep it.',
    user: 'User',
    newName: 'New name',
    newDepartment: 'New department',
    clearDepartment: 'No department',
    save: 'Save changes',
    duplicate: 'Make a duplicate email',
    duplicateHint:
      'Gives the user the email of a service-only user or of another Entra user: the next plan has a blocking error (duplicate email) and cannot be confirmed.',
    address: 'Email to give',
    serviceUser: 'service user',
    entraUser: 'Entra user',
    makeDuplicate: 'Make the duplicate',
    guest_: 'Add a guest',
    guestHint: 'Guests are skipped users: they are never imported.',
    addGuest: 'Add guest',
    mass: `Make ${DEMO_MASS_DELETION_COUNT} deletions`,
    massHint: `Deletes ${DEMO_MASS_DELETION_COUNT} members (never the administrators). After the first import, the next plan deletes more users than the deletion guard allows (50) and asks for an explicit confirmation.`,
    massButton: `Delete ${DEMO_MASS_DELETION_COUNT} users`,
    reset: 'Reset the tenant',
    resetHint: 'Brings back the tenant the demo ships with (200 users) and removes the saved file.',
    resetButton: 'Reset the tenant',
    working: 'Working…',
    failed: 'Not changed:',
    /** English shows the server's own message; null here means "use it". */
    errors: null,
    fields: null,
    done: {
      add: 'Added {name}.',
      edit: 'Saved {name}.',
      duplicate: '{name} now has the email {mail}. Make a new plan to see the blocking error.',
      guest: 'Added the guest {name}.',
      mass: 'Deleted {count} users.',
      reset: 'The tenant is back to the shipped one ({count} users).',
      disable: 'Disabled {name}.',
      enable: 'Enabled {name}.',
      delete: 'Deleted {name}.',
    },
  },
  ja: {
    title: 'デモ テナント',
    intro:
      'デモのエミュレートされた Microsoft Entra ID テナントを変更し、新しい読み込み内容の確認（ボットの「plan」、Safety Sync タブ、または npx safety-sync plan）で表示を確かめられます。コードを書かずに、すべてのカードとエラーを見られます。',
    savedIn: '変更の保存先:',
    notSaved: '変更はデモを止めるまで有効です（DATABASE_URL が設定されているため保存されません）。',
    otherLanguage: 'English',
    users: (n: number) => `テナントのユーザー（${n} 人）`,
    name: '氏名',
    upn: 'ユーザー プリンシパル名',
    email: 'メールアドレス',
    department: '部署',
    type: '種類',
    status: 'アカウント',
    actions: '操作',
    enabled: '有効',
    disabled: '無効',
    member: 'メンバー',
    guest: 'ゲスト',
    none: '（なし）',
    disable: '無効にする',
    enable: '有効にする',
    delete: '削除',
    addUser: 'ユーザーを追加',
    addUserHint: '有効なユーザーは次の読み込みで作成されます。無効なユーザーは読み込まれないユーザーになります。',
    mailNickname: 'サインイン名（@contoso.onmicrosoft.com の前、省略可）',
    accountEnabled: 'アカウントを有効にする',
    add: 'ユーザーを追加',
    editUser: '氏名または部署を変更',
    editHint: '空欄の項目は変更しません。',
    user: 'ユーザー',
    newName: '新しい氏名',
    newDepartment: '新しい部署',
    clearDepartment: '部署なし',
    save: '変更を保存',
    duplicate: '重複するメールアドレスを作る',
    duplicateHint:
      'サービスだけのユーザーまたは別の Entra ユーザーのメールアドレスをこのユーザーに設定します。次の読み込み内容の確認に読み込みを止めるエラー（メールアドレスの重複）が表示され、読み込みを実行できません。',
    address: '設定するメールアドレス',
    serviceUser: 'サービスのユーザー',
    entraUser: 'Entra のユーザー',
    makeDuplicate: '重複を作る',
    guest_: 'ゲストを追加',
    guestHint: 'ゲストは読み込まれないユーザーです。',
    addGuest: 'ゲストを追加',
    mass: `${DEMO_MASS_DELETION_COUNT} 人を削除する`,
    massHint: `メンバー ${DEMO_MASS_DELETION_COUNT} 人を削除します（管理者は削除しません）。最初の読み込みの後なら、次の読み込み内容の確認で削除するユーザーが削除ガード（50 人）を超え、削除の確認が求められます。`,
    massButton: `${DEMO_MASS_DELETION_COUNT} 人を削除`,
    reset: 'テナントを元に戻す',
    resetHint: 'デモに付属のテナント（200 人）に戻し、保存したファイルを削除します。',
    resetButton: 'テナントを元に戻す',
    working: '処理中…',
    failed: '変更されませんでした:',
    errors: {
      VALIDATION_FAILED: '入力内容を確認してください（{field}）。',
      BAD_REQUEST: '入力内容を確認してください。',
      NOT_FOUND: 'ユーザーが見つかりません。一覧を更新してからもう一度お試しください。',
      CONFLICT: 'そのサインイン名またはメールアドレスは、すでにテナントで使われています。',
      FORBIDDEN: 'この画面からのみ変更できます。',
      INVALID_CHARACTERS: '保存できない文字が含まれています。',
      INTERNAL: '予期しないエラーが発生しました。デモのログを確認してください。',
    },
    fields: {
      displayName: '氏名',
      mail: 'メールアドレス',
      email: 'メールアドレス',
      department: '部署',
      mailNickname: 'サインイン名',
      user: 'ユーザー',
      accountEnabled: 'アカウント',
      count: '人数',
    },
    done: {
      add: '{name} を追加しました。',
      edit: '{name} を保存しました。',
      duplicate: '{name} のメールアドレスを {mail} にしました。新しい読み込み内容の確認で読み込みを止めるエラーを確認できます。',
      guest: 'ゲスト {name} を追加しました。',
      mass: '{count} 人を削除しました。',
      reset: 'テナントを付属のもの（{count} 人）に戻しました。',
      disable: '{name} を無効にしました。',
      enable: '{name} を有効にしました。',
      delete: '{name} を削除しました。',
    },
  },
} as const;

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON that can sit inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

function userLabel(u: DemoTenantUserView): string {
  return `${u.displayName ?? u.id} (${u.userPrincipalName ?? u.id})`;
}

export function renderDemoTenantPage(listing: DemoTenantListing, lang: PageLanguage, nonce: string): string {
  const t = TEXT[lang];
  const other: PageLanguage = lang === 'ja' ? 'en' : 'ja';
  const members = listing.users.filter((u) => u.userType === 'Member');
  const departments = [...new Set(listing.users.map((u) => u.department).filter((d): d is string => !!d))].sort();
  const userOptions = members.map((u) => `<option value="${esc(u.id)}">${esc(userLabel(u))}</option>`).join('');
  const rows = listing.users
    .map((u) => {
      const name = u.displayName ?? u.id;
      return `<tr>
<th scope="row">${esc(name)}</th><td class="addr">${esc(u.userPrincipalName ?? '')}</td><td class="addr">${esc(u.mail ?? t.none)}</td><td>${esc(u.department ?? t.none)}</td>
<td class="nowrap">${u.userType === 'Guest' ? t.guest : t.member}</td><td><span class="pill ${u.accountEnabled ? 'on' : 'off'}">${u.accountEnabled ? t.enabled : t.disabled}</span></td>
<td class="row-actions"><button type="button" class="secondary" data-op="${u.accountEnabled ? 'disable' : 'enable'}" data-user="${esc(u.id)}" data-name="${esc(name)}" aria-label="${esc(`${u.accountEnabled ? t.disable : t.enable}: ${name}`)}">${u.accountEnabled ? t.disable : t.enable}</button>
<button type="button" class="danger" data-op="delete" data-user="${esc(u.id)}" data-name="${esc(name)}" aria-label="${esc(`${t.delete}: ${name}`)}">${t.delete}</button>
<span class="status" role="status" id="status-${esc(u.id)}"></span></td></tr>`;
    })
    .join('\n');
  const choices = listing.duplicateEmailChoices
    .map((c) => `<option value="${esc(c.email)}">${esc(c.email)} — ${esc(c.holder)} (${c.source === 'service' ? t.serviceUser : t.entraUser})</option>`)
    .join('');
  const section = (id: string, title: string, hint: string, body: string) =>
    `<section class="card" aria-labelledby="${id}-title"><h2 id="${id}-title">${title}</h2><p class="hint">${hint}</p>
<form id="${id}" data-action="${id}" novalidate>${body}<p class="status" role="status" id="status-${id}"></p></form></section>`;
  const field = (id: string, label: string, input: string) => `<div class="field"><label for="${id}">${label}</label>${input}</div>`;

  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title} — ${esc(listing.tenant.name)}</title>
<style nonce="${nonce}">
:root{--brand:#5B5FC7;--brand-dark:#4F52B2;--link:#5B5FC7;--bg:#F5F5F5;--card:#FFFFFF;--text:#242424;--muted:#616161;--border:#D1D1D1;--danger:#C4314B;--ok:#0E700E;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#1F1F1F;--card:#292929;--text:#FFFFFF;--muted:#D6D6D6;--border:#5C5C5C;--brand:#4F52B2;--brand-dark:#5B5FC7;--link:#7F85F5;--danger:#F1707B;--ok:#54B054}}
*{box-sizing:border-box}
body{margin:0;font-family:"Segoe UI","Segoe UI Web (West European)",-apple-system,BlinkMacSystemFont,"Hiragino Sans","Meiryo",Roboto,"Helvetica Neue",sans-serif;font-size:14px;line-height:20px;background:var(--bg);color:var(--text)}
header{background:var(--brand);color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center;justify-content:space-between}
header h1{font-size:20px;line-height:28px;margin:0;font-weight:600}
header a{color:#fff}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
.lead{margin:0 0 4px}
.where{color:var(--muted);margin:0 0 16px}
code{font-family:Consolas,"Courier New",monospace;font-size:13px;overflow-wrap:anywhere}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px;margin-bottom:24px}
.card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card h2{font-size:16px;line-height:22px;margin:0 0 4px;font-weight:600}
.hint{color:var(--muted);margin:0 0 12px}
.field{display:flex;flex-direction:column;gap:4px;margin-bottom:10px}
.check{display:flex;gap:8px;align-items:center;margin-bottom:10px}
label{font-weight:600}
.check label{font-weight:400}
input[type=text],input[type=email],select{font:inherit;color:var(--text);background:var(--card);border:1px solid var(--border);border-bottom-color:var(--muted);border-radius:4px;padding:5px 8px;min-height:32px;width:100%}
input:focus-visible,select:focus-visible,button:focus-visible,a:focus-visible{outline:2px solid var(--link);outline-offset:2px}
button{font:inherit;font-weight:600;border-radius:4px;padding:5px 12px;min-height:32px;cursor:pointer;border:1px solid var(--brand);background:var(--brand);color:#fff}
button:hover{background:var(--brand-dark)}
button.secondary{background:var(--card);color:var(--text);border-color:var(--border)}
button.danger{background:var(--card);color:var(--danger);border-color:var(--danger)}
button[disabled]{opacity:.6;cursor:progress}
.status{margin:8px 0 0;min-height:20px;font-weight:600}
.status.ok{color:var(--ok)}
.status.error{color:var(--danger)}
html,body{overflow-x:hidden}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--border);border-radius:8px}
caption{text-align:left;font-size:16px;font-weight:600;padding:0 0 8px}
th,td{text-align:left;padding:6px 8px;overflow-wrap:break-word;border-bottom:1px solid var(--border);vertical-align:top}
thead th{white-space:nowrap;color:var(--muted);font-weight:600;position:sticky;top:0;background:var(--card)}
tbody th{font-weight:600}
.row-actions,.nowrap{white-space:nowrap}
td.addr{overflow-wrap:anywhere;min-width:12em}
.row-actions .status{display:block;margin:4px 0 0;min-height:0}
.pill{display:inline-block;white-space:nowrap;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}
.pill.on{background:#E7F2DA;color:#0E700E}
.pill.off{background:#FDE7E9;color:#A4262C}
</style>
</head>
<body>
<header><h1>${t.title}: ${esc(listing.tenant.name)}</h1><a href="/demo/tenant?lang=${other}" lang="${other}">${t.otherLanguage}</a></header>
<main id="main">
<p class="lead">${esc(t.intro)}</p>
<p class="where">${listing.dataFile ? `${t.savedIn} <code>${esc(listing.dataFile)}</code>` : t.notSaved}</p>
<datalist id="departments">${departments.map((d) => `<option value="${esc(d)}"></option>`).join('')}</datalist>
<div class="grid">
${section(
  'add',
  t.addUser,
  t.addUserHint,
  field('add-name', t.name, '<input type="text" id="add-name" name="displayName" required maxlength="256" autocomplete="off">') +
    field('add-nick', t.mailNickname, '<input type="text" id="add-nick" name="mailNickname" maxlength="64" autocomplete="off" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*">') +
    field('add-dept', t.department, '<input type="text" id="add-dept" name="department" maxlength="64" list="departments" autocomplete="off">') +
    `<div class="check"><input type="checkbox" id="add-enabled" name="accountEnabled" checked><label for="add-enabled">${t.accountEnabled}</label></div>` +
    `<button type="submit">${t.add}</button>`,
)}
${section(
  'edit',
  t.editUser,
  t.editHint,
  field('edit-user', t.user, `<select id="edit-user" name="user" required>${userOptions}</select>`) +
    field('edit-name', t.newName, '<input type="text" id="edit-name" name="displayName" maxlength="256" autocomplete="off">') +
    field('edit-dept', t.newDepartment, '<input type="text" id="edit-dept" name="department" maxlength="64" list="departments" autocomplete="off">') +
    `<div class="check"><input type="checkbox" id="edit-nodept" name="clearDepartment"><label for="edit-nodept">${t.clearDepartment}</label></div>` +
    `<button type="submit">${t.save}</button>`,
)}
${section(
  'duplicate',
  t.duplicate,
  t.duplicateHint,
  field('dup-user', t.user, `<select id="dup-user" name="user" required>${userOptions}</select>`) +
    field('dup-mail', t.address, `<select id="dup-mail" name="email" required>${choices}</select>`) +
    `<button type="submit">${t.makeDuplicate}</button>`,
)}
${section(
  'guest',
  t.guest_,
  t.guestHint,
  field('guest-name', t.name, '<input type="text" id="guest-name" name="displayName" required maxlength="256" autocomplete="off">') +
    field('guest-mail', t.email, '<input type="email" id="guest-mail" name="mail" required maxlength="254" autocomplete="off">') +
    `<button type="submit">${t.addGuest}</button>`,
)}
${section('mass', t.mass, t.massHint, `<button type="submit" class="danger">${t.massButton}</button>`)}
${section('reset', t.reset, t.resetHint, `<button type="submit" class="danger">${t.resetButton}</button>`)}
</div>
<p class="status" role="status" id="status-table"></p>
<div class="table-wrap"><table id="users">
<caption>${t.users(listing.users.length)}</caption>
<thead><tr><th scope="col">${t.name}</th><th scope="col">${t.upn}</th><th scope="col">${t.email}</th><th scope="col">${t.department}</th><th scope="col">${t.type}</th><th scope="col">${t.status}</th><th scope="col">${t.actions}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
</main>
<script nonce="${nonce}">
(() => {
  const T = ${scriptJson({ working: t.working, failed: t.failed, done: t.done, errors: t.errors, fields: t.fields, lang })};
  const api = '/demo/tenant/api';
  const fill = (s, v) => s.replace(/\\{(\\w+)\\}/g, (_, k) => String(v[k] ?? ''));
  async function call(method, path, body) {
    const res = await fetch(api + path, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body ?? {}) });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(describeError(json.error, res.status));
    return json;
  }
  // In Japanese an error is told by its code, naming the field in words; in English by the server's message.
  function describeError(error, status) {
    const code = (error && error.code) || (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    if (!T.errors) return (error && error.message) || ('HTTP ' + status);
    const issue = error && error.details && error.details.issues && error.details.issues[0];
    const field = issue && issue.path ? (T.fields[issue.path] || T.fields.user) : T.fields.user;
    return fill(T.errors[code] || T.errors.INTERNAL, { field });
  }
  async function refresh() {
    const html = await (await fetch('/demo/tenant?lang=' + T.lang, { headers: { accept: 'text/html' } })).text();
    // Only <main>: the page's own <style> and <script> carry another nonce.
    const part = html.slice(html.indexOf('<main'), html.indexOf('</main>') + 7);
    const fresh = new DOMParser().parseFromString(part, 'text/html').getElementById('main');
    if (fresh) document.getElementById('main').replaceWith(fresh);
  }
  function show(id, ok, text) {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = text;
    el.className = 'status ' + (ok ? 'ok' : 'error');
    el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
  async function run(statusId, button, work, keepStatusId) {
    const status = document.getElementById(statusId);
    if (status) { status.textContent = T.working; status.className = 'status'; }
    if (button) button.disabled = true;
    try {
      const message = await work();
      await refresh();
      show(keepStatusId ?? statusId, true, message);
    } catch (e) {
      if (button) button.disabled = false;
      show(statusId, false, T.failed + ' ' + e.message);
    }
  }
  const value = (form, name) => { const el = form.elements.namedItem(name); return el && 'value' in el ? el.value.trim() : ''; };
  const actions = {
    async add(f) {
      const body = { displayName: value(f, 'displayName'), accountEnabled: f.elements.namedItem('accountEnabled').checked };
      if (value(f, 'mailNickname')) body.mailNickname = value(f, 'mailNickname');
      if (value(f, 'department')) body.department = value(f, 'department');
      const r = await call('POST', '/users', body);
      return fill(T.done.add, { name: r.user.displayName });
    },
    async edit(f) {
      const body = {};
      if (value(f, 'displayName')) body.displayName = value(f, 'displayName');
      if (f.elements.namedItem('clearDepartment').checked) body.department = null;
      else if (value(f, 'department')) body.department = value(f, 'department');
      const r = await call('PATCH', '/users/' + encodeURIComponent(value(f, 'user')), body);
      return fill(T.done.edit, { name: r.user.displayName });
    },
    async duplicate(f) {
      const r = await call('POST', '/duplicate-email', { user: value(f, 'user'), email: value(f, 'email') });
      return fill(T.done.duplicate, { name: r.user.displayName, mail: r.user.mail });
    },
    async guest(f) {
      const r = await call('POST', '/guests', { displayName: value(f, 'displayName'), mail: value(f, 'mail') });
      return fill(T.done.guest, { name: r.user.displayName });
    },
    async mass() {
      const r = await call('POST', '/mass-deletion', {});
      return fill(T.done.mass, { count: r.deleted.length });
    },
    async reset() {
      const r = await call('POST', '/reset', {});
      return fill(T.done.reset, { count: r.users });
    },
  };
  document.addEventListener('submit', (ev) => {
    const form = ev.target;
    const action = form && form.dataset && actions[form.dataset.action];
    if (!action) return;
    ev.preventDefault();
    run('status-' + form.id, form.querySelector('button[type=submit]'), () => action(form));
  });
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest && ev.target.closest('button[data-op]');
    if (!b) return;
    const { op, user, name } = b.dataset;
    const work = op === 'delete'
      ? () => call('DELETE', '/users/' + encodeURIComponent(user)).then(() => fill(T.done.delete, { name }))
      : () => call('PATCH', '/users/' + encodeURIComponent(user), { accountEnabled: op === 'enable' }).then(() => fill(T.done[op], { name }));
    // A deleted row is gone after the refresh: its message goes to the table's caption area.
    run('status-' + user, b, work, op === 'delete' ? 'status-table' : undefined);
  });
})();
</script>
</body>
</html>
`;
}
