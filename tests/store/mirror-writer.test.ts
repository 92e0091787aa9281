/**
 * Issue 9 item 3: a full directory round is staged into the mirror while Graph's pages arrive
 * (src/store/mirror-writer.ts) and switched in at once; on every engine.
 */
import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader, type DirectoryDelta, type DirectoryReader, type ReadOptions } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import type { DirectorySnapshot, DirectoryUser } from '../../src/domain/types.ts';
import { DirectoryMirror } from '../../src/store/directory-mirror.ts';
import { startFullRound } from '../../src/store/mirror-writer.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { incrementalReader } from '../../src/sync/incremental-reader.ts';
import { engines } from '../helpers/databases.ts';
import { dirUser } from '../domain/builders.ts';

const TENANT = '44444444-4444-4555-8666-777777777777';
const gid = (n: number) => `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, '0')}`;
const gu = (n: number, name = `User ${n}`): GraphUser => ({
  id: gid(n),
  userPrincipalName: `u${n}@contoso.com`,
  displayName: name,
  mail: `u${n}@contoso.com`,
  otherMails: [],
  businessPhones: [],
  mobilePhone: null,
  department: `D${n % 5}`,
  jobTitle: null,
  accountEnabled: true,
  userType: 'Member',
  identities: [],
});
const du = (n: number, name = `User ${n}`): DirectoryUser => dirUser({ id: gid(n).toUpperCase(), userPrincipalName: `u${n}@contoso.com`, displayName: name });

/** A Graph reader that streams `users` and, after `pauseAfter` of them, runs `midway` (then throws when `fail`). */
function scriptedReader(users: DirectoryUser[], options: { pauseAfter: number; midway: () => Promise<void>; fail?: Error }): DirectoryReader & {
  readDelta(link: string | null, o?: ReadOptions): Promise<DirectoryDelta>;
  latestDeltaLink(o?: ReadOptions): Promise<string>;
} {
  let round = 0;
  return {
    async tenantId() {
      return TENANT;
    },
    async latestDeltaLink() {
      return `https://graph.example/delta?round=${++round}`;
    },
    async readDelta() {
      throw new Error('not used');
    },
    async read(o: ReadOptions = {}): Promise<DirectorySnapshot> {
      for (let i = 0; i < users.length; i++) {
        if (i === options.pauseAfter) {
          await options.midway();
          if (options.fail) throw options.fail;
        }
        o.onUser?.(users[i]!);
      }
      return { tenantId: TENANT, users };
    },
  };
}

for (const engine of engines()) {
  describe(`full directory rounds staged while the read runs (issue 9 item 3) on ${engine.name}`, function () {
    this.timeout(60_000);
    let store: SafetyStore;
    let mirror: DirectoryMirror;
    let now = new Date('2026-12-01T00:00:00Z');
    const clock = () => now;
    const stagedRows = async (companyId: string) =>
      Number((await store.db.query<{ n: string }>('select count(*) as n from directory_mirror_staging where company_id = $1', [companyId]))[0]!.n);
    const names = async (companyId: string) => (await mirror.snapshot(companyId, TENANT)).users.map((u) => u.displayName ?? "").sort();
    const newCompany = async () => (await store.createCompany({ name: `Staging ${Math.random()}`, plan: 'premier', maxUsers: 100_000 })).id;

    before(async () => {
      store = await engine.open();
      mirror = new DirectoryMirror(store.db);
    });
    after(async () => {
      await store.close();
    });

    it('defect: the full round wrote the mirror only after the whole read, in one statement; batches are written while the read runs, and nobody sees them before the switch', async () => {
      const companyId = await newCompany();
      const users = Array.from({ length: 2500 }, (_, i) => du(i));
      let seenMidway: { staged: number; mirrored: number } | undefined;
      const inner = scriptedReader(users, {
        pauseAfter: 2200,
        midway: async () => {
          // The read is not over: two full batches of 1,000 are in the database already, the mirror is still empty.
          while ((await stagedRows(companyId)) < 2000) await new Promise((r) => setImmediate(r)); // no cap: if nothing is staged during the read, the test times out
          seenMidway = { staged: await stagedRows(companyId), mirrored: (await mirror.snapshot(companyId, TENANT)).users.length };
        },
      });
      const snapshot = await incrementalReader(store.db, companyId, inner, { clock }).read();
      assert.equal(snapshot.users.length, 2500);
      assert.deepEqual(seenMidway, { staged: 2000, mirrored: 0 }, 'batches were written during the read, and not shown before the switch');
      assert.equal((await mirror.snapshot(companyId, TENANT)).users.length, 2500, 'the whole round was switched in');
      assert.equal(await stagedRows(companyId), 0, 'the staged rows went with the switch');
      const state = await mirror.state(companyId);
      assert.equal(state.deltaLink, 'https://graph.example/delta?round=1');
      assert.equal(state.tenantId, TENANT);
      assert.deepEqual(state.fullAt, now);
    });

    it('a reader that does not stream its users (no onUser) still leaves the whole round in the mirror, so the next delta plan deletes nobody', async () => {
      const companyId = await newCompany();
      const users = Array.from({ length: 1200 }, (_, i) => du(i));
      const silent = scriptedReader(users, { pauseAfter: -1, midway: async () => {} });
      // The same reader, but its read() returns the users without calling onUser (as a hand-written or older reader may).
      const inner = { ...silent, read: async (): Promise<DirectorySnapshot> => ({ tenantId: TENANT, users }) };
      const snapshot = await incrementalReader(store.db, companyId, inner, { clock }).read();
      assert.equal(snapshot.users.length, 1200);
      assert.equal((await mirror.snapshot(companyId, TENANT)).users.length, 1200, 'the mirror holds every user the read returned');
      assert.equal(await stagedRows(companyId), 0);
    });

    it('a read that fails half way leaves the old mirror and delta link as they were, and no staged rows', async () => {
      const companyId = await newCompany();
      const first = scriptedReader(Array.from({ length: 1500 }, (_, i) => du(i, `Old ${i}`)), { pauseAfter: -1, midway: async () => {} });
      await incrementalReader(store.db, companyId, first, { clock }).read();
      const before = await mirror.state(companyId);
      const oldNames = await names(companyId);
      assert.equal(oldNames.length, 1500);

      now = new Date(now.getTime() + 25 * 60 * 60 * 1000); // a full round is due again
      let mirroredMidway: string[] = [];
      const failing = scriptedReader(Array.from({ length: 3000 }, (_, i) => du(i, `New ${i}`)), {
        pauseAfter: 2500,
        midway: async () => {
          while ((await stagedRows(companyId)) < 2000) await new Promise((r) => setImmediate(r)); // no cap: if nothing is staged during the read, the test times out
          mirroredMidway = await names(companyId);
        },
        fail: new Error('Graph went away'),
      });
      await assert.rejects(incrementalReader(store.db, companyId, failing, { clock }).read(), /Graph went away/);
      assert.deepEqual(mirroredMidway, oldNames, 'half a round was never visible');
      assert.deepEqual(await names(companyId), oldNames, 'the old mirror stays');
      assert.deepEqual(await mirror.state(companyId), before, 'the old delta link stays');
      assert.equal(await stagedRows(companyId), 0, 'the staged rows were removed');
    });

    it('an aborted read of the Graph emulator half way leaves the old mirror and delta link intact; the next read switches in the new round', async () => {
      const companyId = await newCompany();
      const emu: GraphEmulator = await startGraphEmulator({
        tenant: { tenantId: TENANT, displayName: 'Staging', users: Array.from({ length: 1200 }, (_, i) => gu(i, `Old ${i}`)), directoryRoles: {} },
      });
      try {
        const graph = () => createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider('t'), pageSize: 100 });
        await incrementalReader(store.db, companyId, graph(), { clock }).read();
        const before = await mirror.state(companyId);
        const oldNames = await names(companyId);
        assert.equal(oldNames.length, 1200);
        for (let i = 0; i < 1200; i++) emu.updateUser(gid(i), { displayName: `New ${i}` });

        now = new Date(now.getTime() + 25 * 60 * 60 * 1000);
        const abort = new AbortController();
        let usersAtAbort = 0;
        const read = incrementalReader(store.db, companyId, graph(), { clock }).read({
          signal: abort.signal,
          onProgress: (n) => {
            if (n >= 600 && !abort.signal.aborted) {
              usersAtAbort = n;
              abort.abort(new Error('the administrator cancelled'));
            }
          },
        });
        await assert.rejects(read, /the administrator cancelled/);
        assert.ok(usersAtAbort >= 600 && usersAtAbort < 1200, `aborted half way (${usersAtAbort} users read)`);
        assert.deepEqual(await names(companyId), oldNames, 'the old mirror stays');
        assert.deepEqual(await mirror.state(companyId), before, 'the old delta link stays');
        assert.equal(await stagedRows(companyId), 0, 'the staged rows were removed');

        const again = await incrementalReader(store.db, companyId, graph(), { clock }).read();
        assert.equal(again.users.length, 1200);
        assert.ok((await names(companyId)).every((n) => n.startsWith('New ')), 'the next full round replaced the mirror');
        assert.notEqual((await mirror.state(companyId)).deltaLink, before.deltaLink);
      } finally {
        await emu.close();
      }
    });

    it('with `defer`, the snapshot comes back before the switch; the deferred switch is the whole round, and a failed one rejects and leaves the old mirror', async () => {
      const companyId = await newCompany();
      const deferred: Promise<void>[] = [];
      const inner = scriptedReader(Array.from({ length: 1200 }, (_, i) => du(i)), { pauseAfter: -1, midway: async () => {} });
      const snapshot = await incrementalReader(store.db, companyId, inner, { clock }).read({ defer: (w) => void deferred.push(w) });
      assert.equal(snapshot.users.length, 1200);
      assert.equal(deferred.length, 1, 'the switch was handed back');
      await Promise.all(deferred);
      assert.equal((await mirror.snapshot(companyId, TENANT)).users.length, 1200);
      const before = await mirror.state(companyId);

      now = new Date(now.getTime() + 25 * 60 * 60 * 1000);
      const bad = scriptedReader([du(1, 'bad \u0000 text'), du(2)], { pauseAfter: -1, midway: async () => {} });
      const failed: Promise<void>[] = [];
      await incrementalReader(store.db, companyId, bad, { clock }).read({ defer: (w) => void failed.push(w) });
      await assert.rejects(Promise.all(failed));
      assert.deepEqual(await mirror.state(companyId), before);
      assert.equal((await mirror.snapshot(companyId, TENANT)).users.length, 1200);
      assert.equal(await stagedRows(companyId), 0);
    });

    it('defect: a first plan asked Graph for /organization three times in a row (tenant proof, delta link, read); once now, and the tenant is still proved first', async () => {
      const companyId = await newCompany();
      const emu: GraphEmulator = await startGraphEmulator({
        tenant: { tenantId: TENANT, displayName: 'Staging', users: Array.from({ length: 30 }, (_, i) => gu(i)), directoryRoles: {} },
      });
      try {
        const graph = createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider('t') });
        const snapshot = await incrementalReader(store.db, companyId, graph, { clock }).read({ expectedTenantId: TENANT });
        assert.equal(snapshot.users.length, 30);
        const paths = emu.requestLog.map((r) => r.url.split('?')[0]);
        assert.equal(paths.filter((p) => p === '/v1.0/organization').length, 1, paths.join(' '));
        assert.equal(paths[0], '/v1.0/organization', 'the tenant is proved before anything else is asked');
        await assert.rejects(graph.read({ expectedTenantId: '99999999-4444-4555-8666-777777777777' }), (e: unknown) => (e as { code?: string }).code === 'TENANT_MISMATCH');
      } finally {
        await emu.close();
      }
    });

    it('two instances staging a full round from the same link: one switch wins, the mirror is one whole round, nothing staged is left', async () => {
      const companyId = await newCompany();
      const a = startFullRound(store.db, companyId, { now, batchSize: 100 });
      const b = startFullRound(store.db, companyId, { now, batchSize: 100 });
      for (let i = 0; i < 450; i++) {
        a.add(du(i, `A ${i}`));
        b.add(du(i, `B ${i}`));
      }
      b.add(du(999, 'B only'));
      const [wonA, wonB] = await Promise.all([
        a.commit({ expectedLink: null, tenantId: TENANT, deltaLink: 'link-a', now }),
        b.commit({ expectedLink: null, tenantId: TENANT, deltaLink: 'link-b', now }),
      ]);
      assert.equal(Number(wonA !== null) + Number(wonB !== null), 1, 'exactly one round switched in');
      // The winner's round is a new mirror generation (issue 9 item 5): the re-plan starts over from it.
      assert.deepEqual(wonA ?? wonB, { generation: 1, seq: 0 });
      const mirrored = await names(companyId);
      const winner = wonA !== null ? 'A' : 'B';
      assert.equal(mirrored.length, wonA !== null ? 450 : 451);
      assert.ok(mirrored.every((n) => n.startsWith(`${winner} `)), 'one whole round, not a mix');
      assert.equal((await mirror.state(companyId)).deltaLink, wonA !== null ? 'link-a' : 'link-b');
      assert.equal(await stagedRows(companyId), 0);
    });

    it('a round a crashed process left staged is removed by the company\'s next switch after a day; another company\'s round is untouched', async () => {
      const companyId = await newCompany();
      const otherId = await newCompany();
      const crashed = startFullRound(store.db, companyId, { now: new Date(now.getTime() - 2 * 24 * 60 * 60 * 1000), batchSize: 10 });
      for (let i = 0; i < 20; i++) crashed.add(du(i));
      await crashed.settled();
      const other = startFullRound(store.db, otherId, { now: new Date(now.getTime() - 2 * 24 * 60 * 60 * 1000), batchSize: 10 });
      for (let i = 0; i < 10; i++) other.add(du(i));
      await other.settled();
      const live = startFullRound(store.db, companyId, { now, batchSize: 10 });
      live.add(du(1));
      assert.deepEqual(await live.commit({ expectedLink: null, tenantId: TENANT, deltaLink: 'x', now }), { generation: 1, seq: 0 });
      assert.equal(await stagedRows(companyId), 0);
      assert.equal(await stagedRows(otherId), 10);
      await other.discard();
      assert.equal(await stagedRows(otherId), 0);
    });

    it('a staging write that fails fails the round: nothing is switched, the old link stays', async () => {
      const companyId = await newCompany();
      const round = startFullRound(store.db, companyId, { now, batchSize: 1 });
      round.add({ ...du(1), displayName: 'bad \u0000 text' }); // jsonb refuses \u0000: the batch statement fails
      await assert.rejects(round.commit({ expectedLink: null, tenantId: TENANT, deltaLink: 'never', now }));
      assert.equal((await mirror.state(companyId)).deltaLink, null);
      assert.equal(await stagedRows(companyId), 0);
    });
  });
}
