/** domain/text.ts: the one home of the limits and the character rule (issue 7 defects 2 and 9). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planImport } from '../../src/domain/planner.ts';
import { findForbiddenCharacters, fitDirectoryUser, TEXT_LIMITS, truncate } from '../../src/domain/text.ts';
import type { DirectoryUser } from '../../src/domain/types.ts';
import { directory, dirUser, linkedUser, snapshot } from './builders.ts';

describe('domain text rules', () => {
  it('finds U+0000 in strings, nested values and keys, and nothing else', () => {
    assert.equal(findForbiddenCharacters({ a: [{ b: 'x' }, { c: 'y\u0000' }] }), 'a.1.c');
    assert.equal(findForbiddenCharacters({ ['k\u0000']: 1 }), 'k\u0000');
    assert.equal(findForbiddenCharacters('\u0000'), '');
    assert.equal(findForbiddenCharacters({ a: 'tab\tnew\nline \u0007 日本語 😀', n: 1, b: true, z: null }), null);
  });

  it('truncate never splits a surrogate pair', () => {
    assert.equal(truncate('ab😀', 3), 'ab');
    assert.equal(truncate('ab😀', 4), 'ab😀');
  });

  it('fitDirectoryUser strips C0 controls (tab and newline stay), cuts texts, drops keys too long to cut, and is idempotent', () => {
    const { user, adjusted } = fitDirectoryUser(
      dirUser({
        id: 'e1',
        displayName: `\u0000A\u0001\tB\n${'x'.repeat(300)}`,
        mail: `${'m'.repeat(300)}@x.jp`,
        department: 'D\u0000',
        businessPhones: ['\u0000', '1'.repeat(100)],
      }),
    );
    assert.equal(user.displayName, `A\tB\n${'x'.repeat(300)}`.slice(0, TEXT_LIMITS.name));
    assert.equal(user.mail, null);
    assert.equal(user.department, 'D');
    assert.deepEqual(user.businessPhones, ['1'.repeat(TEXT_LIMITS.phone)]);
    assert.deepEqual(
      adjusted.map((a) => [a.field, a.adjustments]),
      [
        ['displayName', ['controlCharactersRemoved', 'truncated']],
        ['mail', ['droppedTooLong']],
        ['department', ['controlCharactersRemoved']],
        ['businessPhones', ['controlCharactersRemoved', 'truncated']],
      ],
    );
    assert.deepEqual(fitDirectoryUser(user), { user, adjusted: [] });
  });

  it('defect 2: one Entra user with a NUL character no longer fails the plan: the value is cleaned and a warning names the user', () => {
    const ok = dirUser({ id: 'e-ok', department: '営業部' });
    const bad = dirUser({ id: 'e-nul', userPrincipalName: 'nul@contoso.com', displayName: 'Bad\u0000Name', department: '営\u0000業部' });
    const linked = dirUser({ id: 'e-linked', displayName: 'New\u0000' });
    const body = planImport(directory([ok, bad, linked]), snapshot({ users: [linkedUser(linked, { name: 'Old' })] }));
    assert.deepEqual(body.errors, []);
    assert.deepEqual(body.changes.createUsers.map((u) => [u.loginName, u.name, u.departmentCode]), [
      ['e-ok@contoso.com', 'User e-ok', '営業部'],
      ['nul@contoso.com', 'BadName', '営業部'],
    ]);
    assert.deepEqual(body.changes.updateUsers[0]!.fields.name, { from: 'Old', to: 'New' });
    const warnings = body.warnings.filter((w) => w.code === 'DIRECTORY_VALUE_ADJUSTED');
    assert.deepEqual(warnings.map((w) => [w['entraObjectId'], w['userPrincipalName']]), [
      ['e-linked', 'e-linked@contoso.com'],
      ['e-nul', 'nul@contoso.com'],
    ]);
    assert.match(warnings[1]!.message, /BadName \(nul@contoso\.com\)/);
    assert.ok(!JSON.stringify(body).includes('\\u0000'));
  });

  it('property: whatever text Entra holds, the plan never fails and keeps no NUL and nothing over the limits', () => {
    // Any code point (controls and lone surrogates included), short or far past the limits.
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.tuple(fc.string({ unit: 'binary', maxLength: 3 }), fc.integer({ min: 1, max: 3000 })).map(([s, n]) => (s || 'x').repeat(n)),
    );
    const nullable = fc.option(text, { nil: null });
    const user = fc.record({
      userPrincipalName: nullable,
      displayName: nullable,
      mail: nullable,
      department: nullable,
      businessPhones: fc.array(text, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(user, { maxLength: 6 }), (specs) => {
        const users: DirectoryUser[] = specs.map((p, i) => dirUser({ id: `e-${i}`, ...p }));
        const body = planImport(directory(users), snapshot());
        const json = JSON.stringify(body);
        assert.ok(!json.includes('\\u0000'), 'no NUL in the plan');
        for (const u of body.changes.createUsers) {
          assert.ok(u.loginName.length <= TEXT_LIMITS.loginName && u.name.length <= TEXT_LIMITS.name);
          assert.ok((u.email ?? '').length <= TEXT_LIMITS.email && (u.phone ?? '').length <= TEXT_LIMITS.phone);
          assert.ok((u.departmentCode ?? '').length <= TEXT_LIMITS.department);
        }
        for (const d of body.changes.createDepartments) assert.ok(d.code.length <= TEXT_LIMITS.departmentCode);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('defect 9: a 1,000-character Entra name is planned at the limit, with a warning; a UPN too long to keep is skipped as noUserPrincipalName', () => {
    const long = dirUser({ id: 'e-long', displayName: 'n'.repeat(1000) });
    const hugeUpn = dirUser({ id: 'e-upn', userPrincipalName: `${'u'.repeat(300)}@x.jp` });
    const body = planImport(directory([long, hugeUpn]), snapshot());
    assert.equal(body.changes.createUsers.length, 1);
    assert.equal(body.changes.createUsers[0]!.name, 'n'.repeat(TEXT_LIMITS.name));
    assert.equal(body.summary.skipped.noUserPrincipalName, 1);
    const w = body.warnings.filter((x) => x.code === 'DIRECTORY_VALUE_ADJUSTED');
    assert.deepEqual(w.map((x) => x['entraObjectId']), ['e-long', 'e-upn']);
    assert.ok(w.every((x) => x.message.length < 1000), 'the warning does not repeat the whole value');
  });
});
