/** B5: history as CSV, one row per changed field, for spreadsheets an administrator already uses. */
import { stringify } from 'csv-stringify/sync';
import type { ChangeEntry } from '../store/safety-store.ts';

const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export function historyCsv(changes: ChangeEntry[]): string {
  const rows: string[][] = [];
  for (const c of changes) {
    const keys = new Set([...Object.keys(c.before ?? {}), ...Object.keys(c.after ?? {})]);
    const subject = cell((c.after ?? c.before)?.['loginName'] ?? (c.after ?? c.before)?.['code'] ?? c.entityId);
    for (const k of keys.size ? keys : new Set([''])) {
      rows.push([c.at, c.origin, c.runId ?? '', c.actor, c.entity, c.action, subject, k, cell(c.before?.[k]), cell(c.after?.[k])]);
    }
  }
  // A BOM so that Excel opens Japanese text as UTF-8.
  return '\ufeff' + stringify(rows, {
    header: true,
    columns: ['at', 'origin', 'runId', 'actor', 'entity', 'action', 'subject', 'field', 'before', 'after'],
  });
}
