/**
 * Entra's SCIM dialect (DESIGN S8): one regression test per quirk, named
 * after it, on the normalisation step alone. The HTTP-level versions of the
 * same quirks are in quirks.test.ts.
 */
import assert from 'node:assert/strict';
import {
  normalisePatch,
  normaliseUserBody,
  parseFilter,
  parsePath,
  roleFromList,
  roleValue,
  toBoolean,
} from '../../src/api/scim/dialect.ts';
import { ScimError } from '../../src/api/scim/errors.ts';
import { ENTERPRISE, fixture, PATCH, USER } from './harness.ts';

const patch = (...Operations: unknown[]) => normalisePatch({ schemas: [PATCH], Operations });

function throwsScim(fn: () => unknown, status: number, scimType?: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ScimError, `expected ScimError, got ${String(e)}`);
    assert.equal(e.status, status);
    assert.equal(e.scimType, scimType);
    return;
  }
  assert.fail('expected a ScimError');
}

describe('SCIM dialect: Entra quirks, normalised', () => {
  it('quirk: capitalised ops "Add", "Replace", "Remove" become add, replace, remove', () => {
    const ops = patch(
      { op: 'Add', path: 'title', value: 'x' },
      { op: 'Replace', path: 'displayName', value: 'y' },
      { op: 'Remove', path: 'nickName' },
      { op: 'REPLACE', path: 'timezone', value: 'Asia/Tokyo' },
    );
    assert.deepEqual(ops.map((o) => o.op), ['add', 'replace', 'remove', 'replace']);
  });

  it('quirk: "False"/"True" strings for active become booleans', () => {
    assert.deepEqual(patch({ op: 'Replace', path: 'active', value: 'False' }), [{ op: 'replace', path: 'active', value: false }]);
    assert.deepEqual(patch({ op: 'Replace', path: 'active', value: 'True' }), [{ op: 'replace', path: 'active', value: true }]);
    assert.deepEqual(patch({ op: 'replace', path: 'active', value: false }), [{ op: 'replace', path: 'active', value: false }]);
  });

  it('quirk: "True" string for primary inside emails becomes a boolean', () => {
    const [op] = patch({ op: 'Add', path: 'emails', value: [{ type: 'work', value: 'a@b.jp', primary: 'True' }] });
    assert.deepEqual(op!.value, [{ type: 'work', value: 'a@b.jp', primary: true }]);
  });

  it('quirk: a boolean that is neither true nor "True"/"False" is invalidValue', () => {
    throwsScim(() => patch({ op: 'replace', path: 'active', value: 'yes' }), 400, 'invalidValue');
    assert.equal(toBoolean(' tRUE ', 'x'), true);
  });

  it('quirk: "True" in filter comparisons of boolean attributes becomes a boolean', () => {
    assert.deepEqual(parseFilter('active eq "True"'), { op: 'eq', attrPath: 'active', compValue: true });
    assert.deepEqual(parseFilter('roles[primary eq "False"]'), {
      op: '[]',
      attrPath: 'roles',
      valFilter: { op: 'eq', attrPath: 'primary', compValue: false },
    });
    // A string attribute keeps the string "True".
    assert.deepEqual(parseFilter('displayName eq "True"'), { op: 'eq', attrPath: 'displayName', compValue: 'True' });
  });

  it('quirk: attribute names in any letter case become canonical (userName, externalId)', () => {
    assert.deepEqual(parseFilter('USERNAME eq "a"'), { op: 'eq', attrPath: 'userName', compValue: 'a' });
    assert.deepEqual(parseFilter('externalid eq "x"'), { op: 'eq', attrPath: 'externalId', compValue: 'x' });
    assert.deepEqual(patch({ op: 'replace', path: 'DisplayName', value: 'n' }), [{ op: 'replace', path: 'displayName', value: 'n' }]);
  });

  it('quirk: path-less replace with dotted keys becomes one operation per key', () => {
    const ops = patch({ op: 'replace', value: { displayName: 'D', 'name.givenName': 'G', 'name.familyName': 'F' } });
    assert.deepEqual(ops, [
      { op: 'replace', path: 'displayName', value: 'D' },
      { op: 'replace', path: 'name.givenName', value: 'G' },
      { op: 'replace', path: 'name.familyName', value: 'F' },
    ]);
  });

  it('quirk: path-less replace with URN keys keeps the enterprise URN path', () => {
    const ops = patch({ op: 'replace', value: { [`${ENTERPRISE}:department`]: '営業部', [`${ENTERPRISE}:employeeNumber`]: 'E1' } });
    assert.deepEqual(ops, [
      { op: 'replace', path: `${ENTERPRISE}:department`, value: '営業部' },
      { op: 'replace', path: `${ENTERPRISE}:employeeNumber`, value: 'E1' },
    ]);
  });

  it('quirk: path-less replace with a whole enterprise extension object', () => {
    const ops = patch({ op: 'Replace', value: { [ENTERPRISE]: { department: '総務部' } } });
    assert.deepEqual(ops, [{ op: 'replace', path: `${ENTERPRISE}:department`, value: '総務部' }]);
  });

  it('quirk: path-less replace with filtered keys (emails[type eq "work"].value)', () => {
    const ops = patch({ op: 'replace', value: { 'emails[type eq "work"].value': 'a@b.jp', 'phoneNumbers[type eq "work"].value': '03' } });
    assert.deepEqual(ops, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'a@b.jp' },
      { op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '03' },
    ]);
  });

  it('quirk: the whole Entra path-less fixture expands to canonical paths', () => {
    const ops = normalisePatch(fixture('patch-aadopt-update', { email: 'x@y.jp' }));
    assert.ok(ops.every((o) => o.op === 'replace'));
    assert.ok(ops.some((o) => o.path === 'emails[type eq "work"].value' && o.value === 'x@y.jp'));
    assert.ok(ops.some((o) => o.path === `${ENTERPRISE}:department` && o.value === '開発部'));
    assert.ok(ops.some((o) => o.path === `${ENTERPRISE}:manager`));
  });

  it('quirk: emails[type eq "work"].value path parses into attribute, filter and sub-attribute', () => {
    const p = parsePath('emails[type eq "work"].value');
    assert.equal(p.attr, 'emails');
    assert.equal(p.sub, 'value');
    assert.deepEqual(p.filter, { op: 'eq', attrPath: 'type', compValue: 'work' });
  });

  it('quirk: phoneNumbers[type eq "work"].value path parses into attribute, filter and sub-attribute', () => {
    const p = parsePath('phoneNumbers[Type eq "work"].Value');
    assert.equal(p.attr, 'phoneNumbers');
    assert.equal(p.sub, 'value');
    assert.deepEqual(p.filter, { op: 'eq', attrPath: 'type', compValue: 'work' });
  });

  it('quirk: role value as a JSON string', () => {
    assert.equal(roleValue('{"id":"27b3","value":"ADMIN","displayName":"Admin"}'), 'ADMIN');
    const ops = normalisePatch(fixture('patch-legacy-role-json-string', { role: 'GUEST' }));
    assert.deepEqual(ops, [{ op: 'replace', path: 'roles', value: [{ value: 'GUEST', primary: true }] }]);
  });

  it('quirk: role value as an object', () => {
    assert.equal(roleValue({ value: 'guest', primary: true }), 'GUEST');
    const ops = normalisePatch(fixture('patch-role-object', { role: 'USER' }));
    assert.deepEqual(ops, [{ op: 'replace', path: 'roles', value: [{ value: 'USER', primary: true }] }]);
  });

  it('quirk: roles[primary eq "True"].value path sets the one role', () => {
    const ops = normalisePatch(fixture('patch-aadopt-role-primary-path', { role: 'ADMIN' }));
    assert.deepEqual(ops, [{ op: 'replace', path: 'roles', value: [{ value: 'ADMIN', primary: true }] }]);
  });

  it('quirk: roles[primary eq "True"].value as a path-less key sets the one role', () => {
    const ops = normalisePatch(fixture('patch-aadopt-pathless-role', { role: 'GUEST' }));
    assert.deepEqual(ops, [{ op: 'replace', path: 'roles', value: [{ value: 'GUEST', primary: true }] }]);
  });

  it('quirk: a changed role replaces the old one: "add roles" never makes a second primary role', () => {
    const ops = patch({ op: 'Add', path: 'roles', value: [{ value: 'USER', primary: 'False' }, { value: 'GUEST', primary: 'True' }] });
    assert.deepEqual(ops, [{ op: 'replace', path: 'roles', value: [{ value: 'GUEST', primary: true }] }]);
    assert.equal(roleFromList([{ value: 'ADMIN' }, { value: 'GUEST' }]), 'GUEST', 'without primary, the newest (last) wins');
  });

  it('quirk: removing roles leaves none (USER); removing one role by value targets that value only', () => {
    assert.deepEqual(patch({ op: 'Remove', path: 'roles' }), [{ op: 'replace', path: 'roles', value: [] }]);
    assert.deepEqual(patch({ op: 'Remove', path: 'roles', value: [{ value: '{"value":"admin"}' }] }), [
      { op: 'remove', path: 'roles[value eq "ADMIN"]' },
    ]);
  });

  it('quirk: manager as a string becomes {value}', () => {
    assert.deepEqual(patch({ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'mgr-1' }), [
      { op: 'add', path: `${ENTERPRISE}:manager`, value: { value: 'mgr-1' } },
    ]);
  });

  it('quirk: manager as {value} stays {value}', () => {
    assert.deepEqual(normalisePatch(fixture('patch-manager-object')), [
      { op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: '5f1c6a2e-0000-4000-8000-000000000004' } },
    ]);
  });

  it('quirk: a POST body with "False", "True" and a JSON-string role normalises to plain RFC values', () => {
    const doc = normaliseUserBody(fixture('create-user-legacy-strings', { userName: 'u', externalId: 'e', email: 'a@b.jp' }));
    assert.equal(doc['active'], false);
    assert.deepEqual(doc['emails'], [{ primary: true, type: 'work', value: 'a@b.jp' }]);
    assert.deepEqual(doc['roles'], [{ value: 'GUEST', primary: true }]);
    assert.deepEqual((doc[ENTERPRISE] as Record<string, unknown>)['manager'], { value: '5f1c6a2e-0000-4000-8000-000000000002' });
  });

  it('quirk: a POST body with flattened URN keys lands in the enterprise extension', () => {
    const doc = normaliseUserBody({ schemas: [USER, ENTERPRISE], userName: 'u', [`${ENTERPRISE}:department`]: '営業部' });
    assert.deepEqual(doc[ENTERPRISE], { department: '営業部' });
  });

  it('defect 10: emails, phoneNumbers and roles that are not lists of objects are 400 invalidValue, never dropped', () => {
    for (const [attr, value] of [
      ['emails', 'a@b.jp'],
      ['emails', ['a@b.jp']],
      ['emails', 42],
      ['phoneNumbers', '03-1234'],
      ['phoneNumbers', [['03-1234']]],
      ['roles', 'ADMIN'],
      ['roles', 7],
      ['roles', ['ADMIN']],
      ['roles', true],
    ] as const) {
      throwsScim(() => normaliseUserBody({ schemas: [USER], userName: 'u', [attr]: value }), 400, 'invalidValue');
      throwsScim(() => patch({ op: 'replace', path: attr, value }), 400, 'invalidValue');
      throwsScim(() => patch({ op: 'Add', value: { [attr]: value } }), 400, 'invalidValue');
    }
    throwsScim(() => patch({ op: 'replace', path: 'emails[type eq "work"]', value: 'a@b.jp' }), 400, 'invalidValue');
    // The shapes Entra really sends still pass: a list of objects, or one object.
    assert.deepEqual(normaliseUserBody({ schemas: [USER], userName: 'u', emails: { value: 'a@b.jp', type: 'work' } })['emails'], [
      { value: 'a@b.jp', type: 'work' },
    ]);
    assert.deepEqual(normaliseUserBody({ schemas: [USER], userName: 'u', emails: null, roles: null })['emails'], null);
  });

  it('rejects what no dialect sends: unknown op, missing PatchOp schema, unknown schema, id change', () => {
    throwsScim(() => patch({ op: 'move', path: 'x', value: 1 }), 400, 'invalidSyntax');
    throwsScim(() => normalisePatch({ schemas: [USER], Operations: [{ op: 'add', path: 'x', value: 1 }] }), 400, 'invalidSyntax');
    throwsScim(() => normaliseUserBody({ schemas: [USER, 'urn:example:custom:2.0:User'], userName: 'u' }), 400, 'invalidSyntax');
    throwsScim(() => patch({ op: 'replace', path: 'id', value: 'x' }), 400, 'mutability');
    throwsScim(() => patch({ op: 'remove' }), 400, 'noTarget');
    throwsScim(() => patch({ op: 'replace', path: 'emails[type eq ].value', value: 'x' }), 400, 'invalidFilter');
    throwsScim(() => patch({ op: 'replace', path: 'urn:example:x:department', value: 'x' }), 400, 'invalidPath');
  });
});
