/** A planner input of n Entra users against n service users, with every link rule and a tenth deleted. */
import type { CompanySnapshot, DirectorySnapshot, DirectoryUser, SafetyUser } from '../src/domain/types.ts';
import { svcUser } from '../tests/domain/builders.ts';

export function bigPlannerInput(n: number): { directory: DirectorySnapshot; service: CompanySnapshot } {
  const entra: DirectoryUser[] = [];
  for (let i = 0; i < n; i++) {
    entra.push({
      id: `e${i}`,
      userPrincipalName: `user${i}@contoso.com`,
      displayName: `Name ${i}${i % 10 === 0 ? ' (changed)' : ''}`,
      mail: `mail${i}@contoso.com`,
      businessPhones: i % 3 === 0 ? [] : [`03-${i}`],
      department: `Dept ${i % 300}`,
      accountEnabled: i % 97 !== 0,
      userType: i % 50 === 0 ? 'Guest' : 'Member',
      identityIssuers: [],
    });
  }
  const user = (i: number, p: Partial<SafetyUser>): SafetyUser =>
    svcUser({ id: `u${i}`, loginName: `svc${i}@contoso.com`, name: `Name ${i}`, ...p });
  const users: SafetyUser[] = [];
  const a = Math.floor(n * 0.7);
  const b = Math.floor(n * 0.8);
  const c = Math.floor(n * 0.85);
  const d = Math.floor(n * 0.95);
  for (let i = 0; i < n; i++) {
    if (i < a) users.push(user(i, { loginName: `user${i}@contoso.com`, entraObjectId: `e${i}`, email: `mail${i}@contoso.com` }));
    else if (i < b) users.push(user(i, { loginName: `USER${i}@contoso.com` }));
    else if (i < c) users.push(user(i, { loginName: `other${i}`, email: `Mail${i}@contoso.com` }));
    else if (i < d) users.push(user(i, { entraObjectId: `gone${i}` }));
    else users.push(user(i, {}));
  }
  return {
    directory: { tenantId: 't', users: entra },
    service: {
      company: { id: 'c', name: 'Bench', plan: 'enterprise', maxUsers: 10 * n, entraTenantId: 't', rootDepartmentId: 'root' },
      settings: { initialPasswordSet: true, deletionThreshold: n, schedule: null },
      departments: [{ id: 'root', code: 'ROOT', name: 'Bench', parentId: null, level: 0, source: 'manual' }],
      users,
      dataVersion: 1,
    },
  };
}
