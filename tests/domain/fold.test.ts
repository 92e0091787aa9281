/**
 * Issue 7 defect 8: one case folding (foldKey) for the planner and the store's unique keys.
 */
import assert from 'node:assert/strict';
import { foldKey, foldKeyOrNull } from '../../src/domain/fold.ts';
import { planImport } from '../../src/domain/planner.ts';
import { directory, dirUser, snapshot, svcUser } from './builders.ts';

describe('foldKey (defect 8)', () => {
  const cases: [string, string, string][] = [
    ['ASCII case', 'Info@Contoso.COM', 'info@contoso.com'],
    ['capital I with dot above (U+0130)', '\u0130nfo@contoso.com', 'info@contoso.com'],
    ['I + combining dot above (NFD) folds the same', 'I\u0307nfo@contoso.com', 'info@contoso.com'],
    ['full-width letters (NFKC)', 'ＩＮＦＯ＠contoso.com', 'info@contoso.com'],
    ['Kelvin sign (NFKC)', '\u212Aato@contoso.com', 'kato@contoso.com'],
    ['surrounding blanks', '  info@contoso.com ', 'info@contoso.com'],
    ['Japanese stays as it is', '山田@contoso.co.jp', '山田@contoso.co.jp'],
  ];
  for (const [name, input, key] of cases) it(`${name}: ${JSON.stringify(input)}`, () => assert.equal(foldKey(input), key));
  it('is idempotent', () => {
    for (const [, input] of cases) assert.equal(foldKey(foldKey(input)), foldKey(input));
  });
  it('keeps null', () => assert.equal(foldKeyOrNull(null), null));
});

describe('planner case folding (defect 8)', () => {
  it('defect 8: an Entra mail İnfo@… against a service user\'s info@… is DUPLICATE_EMAIL in the plan', () => {
    const plan = planImport(
      directory([
        dirUser({ id: 'e1', userPrincipalName: 'new@contoso.com', mail: '\u0130nfo@contoso.com' }),
        dirUser({ id: 'e2', userPrincipalName: 'old@contoso.com', mail: 'info@contoso.com' }),
      ]),
      snapshot({ users: [svcUser({ id: 'u1', loginName: 'old@contoso.com', email: 'info@contoso.com', entraObjectId: 'e2' })] }),
    );
    assert.deepEqual(plan.errors.map((e) => e.code), ['DUPLICATE_EMAIL']);
  });

  it('defect 8: two new Entra users whose mails differ only by full-width letters are DUPLICATE_EMAIL in the plan', () => {
    const plan = planImport(
      directory([
        dirUser({ id: 'e1', userPrincipalName: 'a@contoso.com', mail: 'info@contoso.com' }),
        dirUser({ id: 'e2', userPrincipalName: 'b@contoso.com', mail: 'ｉｎｆｏ@contoso.com' }),
      ]),
      snapshot(),
    );
    assert.deepEqual(plan.errors.map((e) => e.code), ['DUPLICATE_EMAIL']);
  });
});
