/** B5: history as CSV, one row per changed field, for spreadsheets an administrator already uses. */
import { stringify } from 'csv-stringify/sync';
import type { ChangeEntry } from '../store/safety-store.ts';

/**
 * A cell a spreadsheet shows as text. A value from Entra, SCIM or an admin
 * that begins with `=`, `+`, `-`, `@`, a tab or a carriage return would be a
 * live formula in Excel (`=cmd|' /C calc'!A0`): it gets a leading `'`
 * (OWASP CSV injection), which Excel hides and keeps the value as typed.
 */
function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export type CsvLanguage = 'en' | 'ja';

export interface HistoryCsvOptions {
  /** Column names, actions, entities and field names in this language. Default: the stable English keys. */
  lang?: CsvLanguage;
  /** Times written as `YYYY-MM-DD HH:mm:ss` in this IANA zone. Default: ISO 8601 in UTC. */
  timeZone?: string;
  /** A display name for an actor (`teams:AlexW@…` -> `Alex Wilber`); null keeps the recorded actor. */
  actorName?: (actor: string) => string | null;
}

const COLUMNS = ['at', 'origin', 'runId', 'actor', 'entity', 'action', 'subject', 'field', 'before', 'after'] as const;
type Column = (typeof COLUMNS)[number];

const WORDS: Record<CsvLanguage, { columns: Record<Column, string>; words: Record<string, string> }> = {
  en: {
    columns: { at: 'When', origin: 'Origin', runId: 'Run', actor: 'By', entity: 'Kind', action: 'Action', subject: 'Subject', field: 'Field', before: 'Before', after: 'After' },
    words: {
      import: 'Import', undo: 'Undo', scim: 'SCIM', api: 'Admin API', user: 'User', department: 'Department', company: 'Company',
      create: 'Created', update: 'Changed', delete: 'Deleted', name: 'Name', email: 'Email', phone: 'Phone', loginName: 'Login name',
      entraObjectId: 'Entra ID object ID', departments: 'Departments', department_: 'Department', roles: 'Roles', status: 'Status', code: 'Code', yomi: 'Yomi',
    },
  },
  ja: {
    columns: { at: '日時', origin: '種類', runId: '実行 ID', actor: '実行した人', entity: '対象', action: '操作', subject: '名前', field: '項目', before: '変更前', after: '変更後' },
    words: {
      import: '読み込み', undo: '読み込みの取り消し', scim: 'SCIM', api: '管理 API', user: 'ユーザー', department: '部署', company: '会社',
      create: '作成', update: '編集', delete: '削除', name: '氏名', email: 'メールアドレス', phone: '電話番号', loginName: 'ログイン名',
      entraObjectId: 'Entra ID オブジェクト ID', departments: '部署', department_: '部署', roles: '役割', status: '状態', code: '部署コード', yomi: 'よみがな',
    },
  },
};

/** `2026-11-24 12:00:00` in the zone (Swedish formatting is ISO-like). */
function inZone(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d);
}

export function historyCsv(changes: ChangeEntry[], options: HistoryCsvOptions = {}): string {
  const lang = options.lang;
  const word = (w: string) => (lang ? WORDS[lang].words[w] ?? WORDS[lang].words[`${w}_`] ?? w : w);
  const at = (iso: string) => (options.timeZone ? inZone(iso, options.timeZone) : iso);
  const actor = (a: string) => options.actorName?.(a) ?? a;
  const rows: Record<Column, string>[] = [];
  for (const c of changes) {
    const keys = new Set([...Object.keys(c.before ?? {}), ...Object.keys(c.after ?? {})]);
    const subject = csvCell((c.after ?? c.before)?.['loginName'] ?? (c.after ?? c.before)?.['code'] ?? c.entityId);
    for (const k of keys.size ? keys : new Set([''])) {
      rows.push({
        at: at(c.at),
        origin: word(c.origin),
        runId: c.runId ?? '',
        actor: csvCell(actor(c.actor)),
        entity: word(c.entity),
        action: word(c.action),
        subject,
        field: csvCell(k ? word(k) : k),
        before: csvCell(c.before?.[k]),
        after: csvCell(c.after?.[k]),
      });
    }
  }
  // A BOM so that Excel opens Japanese text as UTF-8.
  return '\ufeff' + stringify(rows, {
    header: true,
    columns: lang
      ? COLUMNS.map((k) => ({ key: k, header: k === 'at' && options.timeZone ? `${WORDS[lang].columns.at} (${options.timeZone})` : WORDS[lang].columns[k] }))
      : COLUMNS.map((k) => ({ key: k, header: k })),
  });
}
