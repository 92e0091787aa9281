/**
 * How long the Graph emulator takes to serve one page, for a large emulated tenant.
 * Not a test (no assertion on speed): a measurement printed for docs and reviews.
 *
 *   node --no-deprecation --import tsx bench/emulator-page-cost.ts [users=100000]
 *
 * Prints the median server time of: the first and a middle page of GET /users?$top=999,
 * and the first and a middle page of an initial /users/delta round (Prefer: odata.maxpagesize=999).
 */
import { startGraphEmulator } from '../src/devtools/graph-emulator.ts';

const count = Number(process.argv[2] ?? 100_000);
const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const users = Array.from({ length: count }, (_, i) => ({
  id: id((i * 7919) % count),
  userPrincipalName: `user${i}@contoso.com`,
  displayName: `User ${i}`,
  mail: `user${i}@contoso.com`,
  department: `Dept ${i % 50}`,
}));
const emu = await startGraphEmulator({ tenant: { tenantId: 't', displayName: 'Bench', users, directoryRoles: {} } });
const headers = { authorization: 'Bearer bench', prefer: 'odata.maxpagesize=999' };
const select = '$select=id,userPrincipalName,displayName,mail,businessPhones,department,accountEnabled,userType,identities';

async function timed(url: string): Promise<{ ms: number; next?: string; n: number }> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { headers });
  const body = (await res.json()) as { value: unknown[]; '@odata.nextLink'?: string };
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, n: body.value.length, ...(body['@odata.nextLink'] ? { next: body['@odata.nextLink'] } : {}) };
}

async function pages(first: string): Promise<string[]> {
  const links = [first];
  let link: string | undefined = first;
  while (link) {
    link = (await timed(link)).next;
    if (link) links.push(link);
  }
  return links;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(label: string, link: string): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) times.push((await timed(link)).ms);
  console.log(`${label.padEnd(34)} ${median(times).toFixed(2).padStart(9)} ms (median of 7)`);
}

const list = await pages(`${emu.baseUrl}/users?${select}&$top=999`);
const delta = await pages(`${emu.baseUrl}/users/delta?${select}`);
console.log(`${count} users: ${list.length} /users pages, ${delta.length} delta pages`);
await measure('GET /users page 1', list[0]!);
await measure(`GET /users page ${Math.floor(list.length / 2) + 1}`, list[Math.floor(list.length / 2)]!);
await measure('GET /users/delta page 1', delta[0]!);
await measure(`GET /users/delta page ${Math.floor(delta.length / 2) + 1}`, delta[Math.floor(delta.length / 2)]!);
const t0 = process.hrtime.bigint();
await pages(`${emu.baseUrl}/users?${select}&$top=999`);
console.log(`${'whole /users read'.padEnd(34)} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0).padStart(9)} ms`);
await emu.close();
