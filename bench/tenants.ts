/** Deterministic large tenants for the benchmarks (no randomness: the same numbers every run). */
import type { GraphUser } from '../src/devtools/graph-emulator.ts';
import type { DirectoryUser } from '../src/domain/types.ts';

/**
 * UPN shapes: 'numbered' (user0@…, user1@…: ten prefixes of equal size) or 'skewed' (like real
 * names: 60% of the users start with "s", the rest over the alphabet), for the partitioned read.
 */
export type UpnShape = 'numbered' | 'skewed';

export function upnOf(i: number, shape: UpnShape = 'numbered'): string {
  if (shape === 'numbered') return `user${i}@bench.example.com`;
  return i % 10 < 6 ? `s${'aehiouy'[i % 7]}${i}@bench.example.com` : `${'abcdefghijklmnopqrtuvwxyz'[i % 25]}${i}@bench.example.com`;
}

export function graphUsers(n: number, departments = 300, shape: UpnShape = 'numbered'): GraphUser[] {
  const users: GraphUser[] = [];
  for (let i = 0; i < n; i++) {
    const id = `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    users.push({
      id,
      userPrincipalName: upnOf(i, shape),
      displayName: `Bench User ${i}`,
      mail: `user${i}@bench.example.com`,
      otherMails: [],
      businessPhones: i % 3 === 0 ? [] : [`03-1000-${String(i % 10000).padStart(4, '0')}`],
      mobilePhone: null,
      department: i % 11 === 0 ? null : `部署 ${i % departments}`,
      jobTitle: null,
      accountEnabled: i % 97 !== 0,
      userType: i % 50 === 0 ? 'Guest' : 'Member',
      identities: [{ signInType: 'userPrincipalName', issuer: 'bench.example.com', issuerAssignedId: `user${i}@bench.example.com` }],
    });
  }
  return users;
}

/** The same tenant as the reader sees it (what bench:import plans without a Graph read): 300 departments, 1 in 11 without one, 1 in 50 guests, 1 in 97 disabled. */
export function directoryUsers(n: number, renamed = false): DirectoryUser[] {
  const users: DirectoryUser[] = [];
  for (let i = 0; i < n; i++) {
    users.push({
      id: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userPrincipalName: `user${i}@bench.example.com`,
      displayName: renamed && i % 100 === 1 ? `Renamed User ${i}` : `Bench User ${i}`,
      mail: `user${i}@bench.example.com`,
      businessPhones: i % 3 === 0 ? [] : [`03-1000-${String(i % 10000).padStart(4, '0')}`],
      department: i % 11 === 0 ? null : `部署 ${i % 300}`,
      accountEnabled: i % 97 !== 0,
      userType: i % 50 === 0 ? 'Guest' : 'Member',
      identityIssuers: [],
    });
  }
  return users;
}
