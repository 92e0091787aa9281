import assert from 'node:assert/strict';
import { GraphUserSchema, normaliseOrFail, userShape } from '../../src/directory/graph-user.ts';
import { isAppError } from '../../src/domain/errors.ts';

const ok = { id: 'a1', userPrincipalName: 'a@x', displayName: 'A', mail: null, businessPhones: ['1', null], department: 'D', accountEnabled: true, userType: 'Member', identities: [{ signInType: 'userPrincipalName', issuer: 'x', issuerAssignedId: null, extra: 1 }], extra: { any: 'thing' } };

/** Shapes Graph (or something in front of it) might send; the plain checks and zod must agree on every one. */
const CASES: unknown[] = [
  ok,
  { id: 'a' },
  { id: 'a', userPrincipalName: undefined, displayName: null },
  null,
  undefined,
  'user',
  42,
  [],
  [ok],
  {},
  { id: '' },
  { id: 7 },
  { id: null },
  { id: 'a\u0000b' },
  { id: 'a\u001fb' },
  { id: 'a\u007fb' },
  { id: 'ü😀' },
  { ...ok, userPrincipalName: 5 },
  { ...ok, displayName: {} },
  { ...ok, mail: ['a'] },
  { ...ok, department: true },
  { ...ok, userType: 0 },
  { ...ok, accountEnabled: 'yes' },
  { ...ok, accountEnabled: null },
  { ...ok, accountEnabled: 0 },
  { ...ok, businessPhones: '03-1234' },
  { ...ok, businessPhones: null },
  { ...ok, businessPhones: [1] },
  { ...ok, businessPhones: [{}] },
  { ...ok, businessPhones: [] },
  { ...ok, identities: null },
  { ...ok, identities: {} },
  { ...ok, identities: [null] },
  { ...ok, identities: [[]] },
  { ...ok, identities: ['x'] },
  { ...ok, identities: [{}] },
  { ...ok, identities: [{ issuer: 3 }] },
  { ...ok, identities: [{ signInType: [] }] },
  { ...ok, identities: [{ issuerAssignedId: false }] },
];

describe('Graph user schema', () => {
  it('the plain checks give exactly the zod schema\'s verdict, shape by shape', () => {
    for (const c of CASES) {
      assert.equal(userShape.isGraphUser(c), GraphUserSchema.safeParse(c).success, JSON.stringify(c) ?? String(c));
    }
  });

  it('a user that is not the expected shape: DIRECTORY_UNAVAILABLE with zod\'s paths, never the values', () => {
    try {
      normaliseOrFail({ id: 'a', accountEnabled: 'secret-value' }, 3, 'http://g/v1.0/users?$skiptoken=x');
      assert.fail('accepted');
    } catch (e) {
      assert.ok(isAppError(e) && e.code === 'DIRECTORY_UNAVAILABLE');
      assert.equal(e.details.index, 3);
      assert.equal(e.details.path, '/v1.0/users');
      assert.ok(JSON.stringify(e.details).includes('accountEnabled'));
      assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes('secret-value'));
    }
  });
});
