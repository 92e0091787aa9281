/**
 * Filters: the SQL path and the in-memory path must agree on every filter
 * both can answer (same users, case-insensitive userName, caseExact
 * externalId, absent attributes match nothing), and unreadable filters are
 * invalidFilter.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parseFilter } from '../../src/api/scim/dialect.ts';
import { ScimError } from '../../src/api/scim/errors.ts';
import { matches, toUserQuery } from '../../src/api/scim/filter.ts';
import { toResource } from '../../src/api/scim/mapping.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { ScimUserStore } from '../../src/store/scim-users.ts';

describe('SCIM filters: SQL and in-memory agree', () => {
  let store: SafetyStore;
  let users: ScimUserStore;
  let companyId: string;

  before(async () => {
    store = await SafetyStore.open(await openDatabase('memory:'));
    users = new ScimUserStore(store.db);
    companyId = (await store.createCompany({ name: 'Filter Co', plan: 'premier', maxUsers: 100 })).id;
    const make = (loginName: string, extra: Record<string, unknown> = {}) =>
      users.create(companyId, { loginName, name: loginName.split('@')[0]!, role: 'USER', ...extra }, 'test');
    await make('Alice@Contoso.jp', { email: 'alice@contoso.jp', entraObjectId: 'OID-A', department: '営業部', phone: '03-1' });
    await make('bob@contoso.jp', { email: 'Bob@Contoso.jp', entraObjectId: 'oid-b', active: false, role: 'ADMIN' });
    await make('carol@fabrikam.jp', { department: '開発部' });
    await make('dave_x%@contoso.jp', { entraObjectId: 'oid-d', role: 'GUEST' });
    // Another company's user never shows.
    const other = (await store.createCompany({ name: 'Other', plan: 'premier', maxUsers: 10 })).id;
    await users.create(other, { loginName: 'alice@contoso.jp', name: 'Other Alice', role: 'USER' }, 'test');
  });
  after(() => store.close());

  const viaSql = async (text: string) => {
    const query = toUserQuery(parseFilter(text));
    assert.ok(query, `expected a typed query for ${text}`);
    const page = await users.page(companyId, query, 0, 100);
    assert.equal(page.total, page.users.length);
    return page.users.map((u) => u.loginName).sort();
  };
  const inMemory = async (text: string) => {
    const f = parseFilter(text);
    return (await users.all(companyId))
      .filter((u) => matches(toResource(u, ''), f))
      .map((u) => u.loginName)
      .sort();
  };

  const cases: Array<[string, string[]]> = [
    ['userName eq "ALICE@contoso.JP"', ['Alice@Contoso.jp']],
    ['userName eq "nobody@contoso.jp"', []],
    ['externalId eq "oid-b"', ['bob@contoso.jp']],
    ['externalId eq "OID-B"', []],
    ['emails[type eq "work"].value eq "bob@contoso.jp"', ['bob@contoso.jp']],
    ['emails.value eq "ALICE@contoso.jp"', ['Alice@Contoso.jp']],
    // Defect 8: userName and emails compare by the store's key (foldKey) on both paths.
    ['userName eq "ＡＬＩＣＥ@contoso.jp"', ['Alice@Contoso.jp']],
    ['emails.value eq "ＢＯＢ@ＣＯＮＴＯＳＯ.jp"', ['bob@contoso.jp']],
    ['active eq "False"', ['bob@contoso.jp']],
    ['active eq true and userName sw "a"', ['Alice@Contoso.jp']],
    ['userName co "x%"', ['dave_x%@contoso.jp']],
    ['userName ew "@contoso.jp" and not (externalId pr)', []],
    ['not (externalId pr)', ['carol@fabrikam.jp']],
    ['not (phoneNumbers.value eq "03-1")', ['bob@contoso.jp', 'carol@fabrikam.jp', 'dave_x%@contoso.jp']],
    ['userName eq "carol@fabrikam.jp" or externalId eq "oid-d"', ['carol@fabrikam.jp', 'dave_x%@contoso.jp']],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "開発部"', ['carol@fabrikam.jp']],
    ['displayName ne "alice"', ['bob@contoso.jp', 'carol@fabrikam.jp', 'dave_x%@contoso.jp']],
  ];

  for (const [text, expected] of cases) {
    it(`${text} -> ${expected.length} user(s), the same by SQL and in memory`, async () => {
      assert.deepEqual(await viaSql(text), expected);
      assert.deepEqual(await inMemory(text), expected);
    });
  }

  it('filters SQL cannot express (roles, greater-than) fall back to the in-memory path', async () => {
    assert.equal(toUserQuery(parseFilter('roles[value eq "ADMIN"]')), null);
    assert.deepEqual(await inMemory('roles[value eq "ADMIN"]'), ['bob@contoso.jp']);
    assert.deepEqual(await inMemory('roles.value eq "guest"'), ['dave_x%@contoso.jp']);
    assert.equal(toUserQuery(parseFilter('userName gt "c"')), null);
    assert.deepEqual(await inMemory('userName gt "c"'), ['carol@fabrikam.jp', 'dave_x%@contoso.jp']);
  });

  it('unreadable filters and unknown attributes are invalidFilter', () => {
    for (const bad of ['userName eq', 'userName eq "a" and', '(userName eq "a"', 'foo eq "x"', 'urn:example:x:y eq "1"']) {
      assert.throws(() => parseFilter(bad), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidFilter', bad);
    }
  });

  it('issue 9 item 10: no SQL in the SCIM API layer; the store compiles the typed query', () => {
    const dir = new URL('../../src/api/scim/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      assert.doesNotMatch(text, /\b(select\s.+\sfrom|insert into|update \w+ set|delete from)\b|\$\d/i, file);
    }
    assert.deepEqual(toUserQuery(parseFilter('userName eq "A@x.jp" and active eq true')), {
      op: 'and',
      queries: [
        { op: 'eq', attr: 'userName', value: 'A@x.jp' },
        { op: 'eq', attr: 'active', value: true },
      ],
    });
  });
});
