/** B5: the history CSV an administrator opens in Excel. */
import assert from 'node:assert/strict';
import type { ChangeEntry } from '../../src/store/safety-store.ts';
import { historyCsv } from '../../src/sync/history.ts';

const entry = (after: Record<string, unknown>, actor = 'api'): ChangeEntry => ({
  id: 1,
  runId: null,
  origin: 'import',
  entity: 'user',
  entityId: 'u-1',
  action: 'create',
  before: null,
  after,
  actor,
  at: '2026-11-24T00:00:00.000Z',
});

/** RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, quotes, tabs and line breaks. */
function rows(csv: string): Record<string, string>[] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  const text = csv.replace(/^\ufeff/, '');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') record.push(cell), (cell = '');
    else if (ch === '\n') record.push(cell), records.push(record), (record = []), (cell = '');
    else cell += ch;
  }
  if (cell !== '' || record.length > 0) record.push(cell), records.push(record);
  const [header, ...body] = records;
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

describe('history CSV', () => {
  it('defect 3: a display name =cmd|\' /C calc\'!A0 is written as text, never a live formula', () => {
    const dangerous = ["=cmd|' /C calc'!A0", '+1+1', '-2+3', '@SUM(A1:A2)', '\t=1', '\r=1'];
    const csv = historyCsv(dangerous.map((name, i) => entry({ loginName: name, name }, i === 0 ? '=HYPERLINK("x")' : 'api')));
    const parsed = rows(csv);
    for (const r of parsed) {
      for (const k of ['subject', 'after', 'actor']) {
        assert.ok(!/^[=+\-@\t\r]/.test(r[k]!), `${k} starts with a formula character: ${JSON.stringify(r[k])}`);
      }
    }
    const names = parsed.filter((r) => r['field'] === 'name').map((r) => r['after']);
    assert.deepEqual(names, dangerous.map((d) => `'${d}`), 'the value is kept, behind a leading apostrophe (OWASP)');
  });

  it('ordinary values are written unchanged', () => {
    const parsed = rows(historyCsv([entry({ loginName: 'taro@contoso.jp', name: '山田 太郎', phone: '03-1234' })]));
    assert.deepEqual(parsed.map((r) => r['after']), ['taro@contoso.jp', '山田 太郎', '03-1234']);
    assert.equal(parsed[0]!['subject'], 'taro@contoso.jp');
  });

  it('in Japanese and the company time zone: columns, actions and field names in words, times in the zone, people by name', () => {
    const csv = historyCsv([entry({ loginName: 'taro@contoso.jp', name: '山田 太郎' }, 'teams:AlexW@contoso.onmicrosoft.com')], {
      lang: 'ja',
      timeZone: 'Asia/Tokyo',
      actorName: (a) => (a === 'teams:AlexW@contoso.onmicrosoft.com' ? 'Alex Wilber' : null),
    });
    const parsed = rows(csv);
    assert.deepEqual(Object.keys(parsed[0]!), ['日時 (Asia/Tokyo)', '種類', '実行 ID', '実行した人', '対象', '操作', '名前', '項目', '変更前', '変更後']);
    assert.equal(parsed[0]!['日時 (Asia/Tokyo)'], '2026-11-24 09:00:00', '00:00 UTC is 09:00 in Tokyo');
    assert.equal(parsed[0]!['種類'], '読み込み');
    assert.equal(parsed[0]!['実行した人'], 'Alex Wilber');
    assert.equal(parsed[0]!['操作'], '作成');
    assert.deepEqual(parsed.map((r) => r['項目']), ['ログイン名', '氏名']);
  });

  it('defect 3 holds in every language: a formula in a name or an actor\'s display name stays text in the Japanese CSV', () => {
    const parsed = rows(historyCsv([entry({ loginName: '=1+1', name: '@SUM(A1)' }, 'teams:x')], { lang: 'ja', timeZone: 'UTC', actorName: () => '=HYPERLINK("x")' }));
    for (const r of parsed) for (const v of Object.values(r)) assert.ok(!/^[=+\-@\t\r]/.test(v), `a live formula: ${v}`);
  });
});
