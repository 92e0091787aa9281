import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphEmulator, type GraphUserInput } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader, weightedSlots } from '../../src/directory/graph-reader.ts';
import { requestBudget } from '../../src/directory/graph-middleware.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import type { DirectoryUser } from '../../src/domain/types.ts';

const TENANT = 'bbbbbbbb-1111-2222-3333-444444444444';
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** UPNs that start with letters, digits, symbols, Unicode, an emoji, a space, or nothing at all. */
const ODD_STARTS = ["'", '.', '-', '_', '!', '#', '^', '~', '$', '&', '+', '=', '`', '{', '|', 'é', 'É', 'ß', 'İ', 'K', 'Ω', '山', 'ア', '😀', ' ', '@', 'Z', '9'];

function mixedTenant(n: number): GraphUserInput[] {
  const users: GraphUserInput[] = [];
  for (let i = 0; i < n; i++) {
    let upn: string | null;
    if (i % 97 === 13) upn = null;
    else if (i % 3 === 0) upn = `${ODD_STARTS[i % ODD_STARTS.length]}${ODD_STARTS[(i * 7) % ODD_STARTS.length]}x${i}@contoso.com`;
    else if (i % 3 === 1) upn = `User${i}@contoso.com`;
    else upn = `${'abcdefghijklmnopqrstuvwxyz'[i % 26]}${i}@contoso.com`;
    users.push({ id: id(i), userPrincipalName: upn, displayName: `利用者 ${i}`, department: `D${i % 7}` });
  }
  return users;
}

const byId = (users: DirectoryUser[]) => [...users].sort((a, b) => (a.id < b.id ? -1 : 1));

describe('parallel directory read (partitions against the Graph emulator)', function () {
  this.timeout(60_000);
  let emu: GraphEmulator;
  afterEach(async () => {
    await emu?.close();
  });
  const reader = (o: Partial<Parameters<typeof createGraphDirectoryReader>[0]> = {}) =>
    createGraphDirectoryReader({
      graphBaseUrl: emu.baseUrl,
      tokenProvider: staticTokenProvider('t'),
      retryDelayInMs: 1,
      maxRetryDelayInMs: 2000,
      requestsPerSecond: 10_000,
      ...o,
    });

  it('the union equals the sequential read (nobody lost or doubled) under throttling and page faults', async () => {
    const tenant = mixedTenant(3000);
    emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'T', users: tenant, directoryRoles: {} } });
    const sequential = await reader({ concurrency: 1, pageSize: 100 }).read();
    assert.equal(sequential.users.length, 3000);
    const before = emu.requestLog.length;

    // Faults injected while the partitions run: 429s and 503s land on whichever partitions ask next.
    let pages = 0;
    // 16 faults in all: with 20 retries no single request can run out, whichever partition they land on.
    const parallel = await reader({ concurrency: 6, pageSize: 100, maxRetries: 20 }).read({
      onProgress: () => {
        pages++;
        if (pages === 1 || pages === 8 || pages === 20) emu.throttleNext(3, 0, '/users');
        if (pages === 4 || pages === 15 || pages === 30) emu.failNext(2, 503, { path: '/users' });
        if (pages === 25) emu.failNext(1, 504, { path: '/users' });
      },
    });
    const urls = emu.requestLog.slice(before).map((r) => decodeURIComponent(r.url));
    const filtered = urls.filter((u) => u.includes('$filter='));
    assert.ok(filtered.length > 10, `read in ${filtered.length} partitioned requests`);
    assert.ok(filtered.some((u) => u.includes('not(') && u.includes('userPrincipalName eq null')), 'the root\'s rest partition ran');
    assert.ok(pages >= 30, 'every fault was injected');

    assert.equal(new Set(parallel.users.map((u) => u.id.toLowerCase())).size, parallel.users.length, 'nobody doubled');
    assert.deepEqual(byId(parallel.users), byId(sequential.users), 'nobody lost, everyone the same');
    const read = new Set(parallel.users.map((u) => u.id));
    for (const odd of ['😀', ' ', '@', '山', 'İ', 'K', "'", '{']) {
      const those = tenant.filter((u) => u.userPrincipalName?.startsWith(odd));
      assert.ok(those.length > 0 && those.every((u) => read.has(u.id)), `every UPN starting with ${JSON.stringify(odd)} was read`);
    }
    const noUpn = tenant.filter((u) => u.userPrincipalName === null);
    assert.ok(noUpn.length > 0 && noUpn.every((u) => read.has(u.id)), 'every user without a UPN was read');
  });

  it('keeps at most `concurrency` requests in flight, and more than one', async () => {
    emu = await startGraphEmulator({
      tenant: { tenantId: TENANT, displayName: 'T', users: mixedTenant(1500), directoryRoles: {} },
      latencyInMs: 20,
    });
    const snapshot = await reader({ concurrency: 3, pageSize: 50 }).read();
    assert.equal(snapshot.users.length, 1500);
    assert.ok(emu.maxRequestsInFlight <= 3, `${emu.maxRequestsInFlight} in flight`);
    assert.ok(emu.maxRequestsInFlight > 1, 'the partitions ran side by side');
  });

  it('Retry-After holds back only the throttled partition: the others go on meanwhile', async () => {
    emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'T', users: mixedTenant(2000), directoryRoles: {} } });
    const before = emu.requestLog.length;
    let injected = false;
    const snapshot = await reader({ concurrency: 4, pageSize: 50 }).read({
      onProgress: () => {
        if (injected) return;
        injected = true;
        emu.throttleNext(1, 1, '/users');
      },
    });
    assert.equal(snapshot.users.length, 2000);
    const urls = emu.requestLog.slice(before).map((r) => r.url);
    const first = urls.findIndex((u, i) => urls.indexOf(u, i + 1) > i);
    const retry = urls.indexOf(urls[first]!, first + 1);
    assert.ok(first > 0, 'the throttled request was asked again');
    assert.ok(retry - first > 5, `only ${retry - first - 1} requests of other partitions went while it waited`);
  });

  it('a Graph that refuses the partition filters (400) is read in sequence, the same users', async () => {
    emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'T', users: mixedTenant(1200), directoryRoles: {} } });
    let injected = false;
    const snapshot = await reader({ concurrency: 4, pageSize: 100 }).read({
      onProgress: () => {
        if (injected) return;
        injected = true;
        emu.injectNext(1, { status: 400, body: { error: { code: 'Request_UnsupportedQuery', message: 'Unsupported query.' } }, path: '/users' });
      },
    });
    assert.equal(snapshot.users.length, 1200);
    assert.equal(new Set(snapshot.users.map((u) => u.id)).size, 1200);
  });

  it('streams each user once to onUser, the same objects the snapshot holds', async () => {
    emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'T', users: mixedTenant(700), directoryRoles: {} } });
    const streamed: DirectoryUser[] = [];
    const snapshot = await reader({ pageSize: 60 }).read({ onUser: (u) => streamed.push(u) });
    assert.equal(streamed.length, 700);
    assert.deepEqual(new Set(streamed), new Set(snapshot.users));
  });

  it('defect: a UPN prefix holding most of the tenant was read as one long nextLink chain; it is split, no chain much longer than its share', async () => {
    // 3,000 users, 60% of them "s…" (seven second letters), the rest over the alphabet: 30 pages of 100, 4 in flight.
    const users: GraphUserInput[] = Array.from({ length: 3000 }, (_, i) => ({
      id: id(i),
      userPrincipalName: i % 10 < 6 ? `s${'abcdefg'[i % 7]}${i}@contoso.com` : `${'abcdefghijklmnopqrtuvwxyz'[i % 25]}${i}@contoso.com`,
      displayName: `U ${i}`,
    }));
    emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'T', users, directoryRoles: {} } });
    const before = emu.requestLog.length;
    const snapshot = await reader({ concurrency: 4, pageSize: 100 }).read();
    assert.equal(snapshot.users.length, 3000);
    assert.equal(new Set(snapshot.users.map((u) => u.id)).size, 3000);
    // A chain is the requests of one $filter (its first link and its nextLinks).
    const chains = new Map<string, number>();
    for (const r of emu.requestLog.slice(before)) {
      const f = new URL(r.url, 'http://x').searchParams.get('$filter');
      if (f !== null) chains.set(f, (chains.get(f) ?? 0) + 1);
    }
    const longest = Math.max(...chains.values());
    // 30 pages over 4 slots is 7.5 rounds; the "s" prefix alone would be 18 pages in a row.
    assert.ok(longest <= 9, `the longest chain was ${longest} pages (${chains.size} partitions)`);
  });

  it('a partition that fails for good fails the read, and the other partitions stop with it', async () => {
    emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'T', users: mixedTenant(1500), directoryRoles: {} } });
    const before = emu.requestLog.length;
    let injected = false;
    await assert.rejects(
      reader({ concurrency: 4, pageSize: 50, maxRetries: 1 }).read({
        onProgress: () => {
          if (injected) return;
          injected = true;
          emu.failNext(1000, 500, { path: '/users' });
        },
      }),
      (e: unknown) => (e as { code?: string }).code === 'DIRECTORY_UNAVAILABLE',
    );
    // /organization, the first page, then at most two attempts of each of the 4 requests in flight
    // (and a few already on the wire when the failure came): never the 30 pages of the whole read.
    const asked = emu.requestLog.length - before;
    assert.ok(asked <= 2 + 4 * 2 + 4, `${asked} requests`);
  });
});

describe('weighted slots (the partitions\' share of the requests in flight)', () => {
  it('a freed slot goes to the waiting task with the lowest key, the first to ask among equals', async () => {
    const slots = weightedSlots(1);
    let release!: () => void;
    const started: string[] = [];
    const held = slots.run(0, () => new Promise<void>((r) => (release = r)));
    const tasks = (
      [
        ['c', 3],
        ['a1', 1],
        ['b', 2],
        ['a2', 1],
      ] as const
    ).map(([name, key]) =>
      slots.run(key, async () => {
        started.push(name);
      }),
    );
    assert.deepEqual(started, [], 'nothing starts while the one slot is taken');
    release();
    await Promise.all([held, ...tasks]);
    assert.deepEqual(started, ['a1', 'a2', 'b', 'c']);
  });
});

describe('request budget (one token bucket for every partition)', () => {
  it('lets a burst go at once, then paces; a 429 halves the pace for all, successes bring it back', async () => {
    let clock = 0;
    const waits: number[] = [];
    const budget = requestBudget({
      requestsPerSecond: 10,
      burst: 2,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Four requests asked at the same moment: two go, the next wait 100 and 200 ms.
    await Promise.all([budget.take(), budget.take(), budget.take(), budget.take()]);
    assert.deepEqual(waits, [100, 200]);
    clock = 10_000;
    waits.length = 0;
    budget.throttled();
    assert.equal(budget.requestsPerSecond, 5);
    await Promise.all([budget.take(), budget.take(), budget.take()]);
    assert.deepEqual(waits, [200], 'after a quiet spell: the burst, then 200 ms apart at the halved pace');
    for (let i = 0; i < 20; i++) budget.succeeded();
    assert.equal(budget.requestsPerSecond, 10, 'never above the configured pace');
    for (let i = 0; i < 20; i++) budget.throttled();
    assert.equal(budget.requestsPerSecond, 1, 'never below the floor');
  });
});
