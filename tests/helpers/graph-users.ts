/** Numbered Graph users for the suites that drive the Graph emulator: user n of a test tenant. */
import type { GraphUser } from '../../src/devtools/graph-emulator.ts';

/** The object id of user n; `prefix` keeps the ids of different suites apart. */
export const numberedId = (n: number, prefix = 'aaaaaaaa'): string => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** User n: u{n}@contoso.com, mail the same, one phone, department 営業部, enabled member; `over` replaces any of it. */
export function numberedGraphUser(n: number, over: Partial<GraphUser> = {}, prefix = 'aaaaaaaa'): GraphUser {
  return {
    id: numberedId(n, prefix),
    userPrincipalName: `u${n}@contoso.com`,
    displayName: `User ${n}`,
    mail: `u${n}@contoso.com`,
    otherMails: [],
    businessPhones: [`03-${n}`],
    mobilePhone: null,
    department: '営業部',
    jobTitle: null,
    accountEnabled: true,
    userType: 'Member',
    identities: [],
    ...over,
  };
}
