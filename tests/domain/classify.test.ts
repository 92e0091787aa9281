import assert from 'node:assert/strict';
import { classifyDirectoryUser } from '../../src/domain/classify.ts';
import type { DirectoryUser, SkipReason } from '../../src/domain/types.ts';
import { dirUser } from './builders.ts';

describe('classifyDirectoryUser (R13–R15)', () => {
  const cases: { name: string; user: Partial<DirectoryUser>; linked: boolean; want: SkipReason | null }[] = [
    { name: 'enabled member is imported', user: {}, linked: false, want: null },
    { name: 'null userType is a member', user: { userType: null }, linked: false, want: null },
    { name: 'Guest', user: { userType: 'Guest' }, linked: false, want: 'guest' },
    { name: 'guest in lower case', user: { userType: 'guest' }, linked: true, want: 'guest' },
    { name: 'ExternalAzureAD issuer', user: { identityIssuers: ['contoso.com', 'ExternalAzureAD'] }, linked: false, want: 'external' },
    { name: 'externalazuread in lower case', user: { identityIssuers: ['externalazuread'] }, linked: true, want: 'external' },
    { name: 'other issuers are fine', user: { identityIssuers: ['contoso.onmicrosoft.com', 'ExternalAzureADX'] }, linked: false, want: null },
    { name: 'null UPN', user: { userPrincipalName: null }, linked: false, want: 'noUserPrincipalName' },
    { name: 'blank UPN', user: { userPrincipalName: '   ' }, linked: true, want: 'noUserPrincipalName' },
    { name: 'disabled and not linked', user: { accountEnabled: false }, linked: false, want: 'disabledNew' },
    { name: 'disabled but linked is still updated (R15)', user: { accountEnabled: false }, linked: true, want: null },
    { name: 'guest beats external', user: { userType: 'Guest', identityIssuers: ['ExternalAzureAD'] }, linked: false, want: 'guest' },
    { name: 'external beats missing UPN', user: { identityIssuers: ['ExternalAzureAD'], userPrincipalName: null }, linked: false, want: 'external' },
    { name: 'missing UPN beats disabled', user: { userPrincipalName: '', accountEnabled: false }, linked: false, want: 'noUserPrincipalName' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(classifyDirectoryUser(dirUser(c.user), c.linked), c.want);
    });
  }
});
