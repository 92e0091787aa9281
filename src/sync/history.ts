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

export function historyCsv(changes: ChangeEntry[]): string {
  const rows: string[][] = [];
  for (const c of changes) {
    const keys = new Set([...Object.keys(c.before ?? {}), ...Object.keys(c.after ?? {})]);
    const subject = csvCell((c.after ?? c.before)?.['loginName'] ?? (c.after ?? c.before)?.['code'] ?? c.entityId);
    for (const k of keys.size ? keys : new Set([''])) {
      rows.push([c.at, c.origin, c.runId ?? '', csvCell(c.actor), c.entity, c.action, subject, csvCell(k), csvCell(c.before?.[k]), csvCell(c.after?.[k])]);
    }
  }
  // A BOM so that Excel opens Japanese text as UTF-8.
  return '\ufeff' + stringify(rows, {
    header: true,
    columns: ['at', 'origin', 'runId', 'actor', 'entity', 'action', 'subject', 'field', 'before', 'after'],
  });
}
