/**
 * Property tests over random tenants: random Entra users (guests, external,
 * disabled, blank fields) and random service users (linked, unlinked,
 * orphaned, service-only, with roles and memberships).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planImport } from '../../src/domain/planner.ts';
import { applyPlanToSnapshot } from '../../src/domain/simulate.ts';
import { UNDELETABLE_ROLES, type CompanySnapshot, type PlanBody, type Role, type SafetyUser } from '../../src/domain/types.ts';
import { idGen } from './builders.ts';
import { tenantArb } from './tenant-arbitrary.ts';

const NUM_RUNS = 400;
const noChanges = { createDepartments: [], createUsers: [], updateUsers: [], deleteUsers: [] };

/** Apply the plan's changes even when it has errors, to check what they would do. */
const applyAnyway = (svc: CompanySnapshot, plan: PlanBody): CompanySnapshot => applyPlanToSnapshot(svc, { ...plan, errors: [] }, idGen());

describe('planner properties (fast-check)', () => {
  it('(a) plan, apply, plan again: nothing left to change', () => {
    let clean = 0;
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const first = planImport(dir, svc);
        if (first.errors.length > 0) return;
        clean++;
        const after = applyPlanToSnapshot(svc, first, idGen());
        const second = planImport(dir, after);
        assert.deepEqual(second.changes, noChanges);
        assert.deepEqual(second.errors, []);
        assert.equal(second.summary.usersUnchanged, first.summary.usersToCreate + first.summary.usersToUpdate + first.summary.usersUnchanged);
        assert.deepEqual(second.summary.skipped, first.summary.skipped);
        assert.equal(after.users.length, svc.users.length + first.summary.usersToCreate - first.summary.usersToDelete);
      }),
      { numRuns: NUM_RUNS },
    );
    // the generators must make error-free tenants common, or (a) proves little
    assert.ok(clean > NUM_RUNS / 3, `only ${clean} of ${NUM_RUNS} tenants planned without errors`);
  });

  it('(b) never deletes a department, never touches a service-only user, never changes a login name', () => {
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const plan = planImport(dir, svc);
        const directoryIds = new Set(dir.users.map((u) => u.id));
        const updates = new Map(plan.changes.updateUsers.map((u) => [u.userId, u]));
        for (const d of plan.changes.deleteUsers) {
          assert.ok(d.entraObjectId !== null && !directoryIds.has(d.entraObjectId), `deleted ${d.userId} is not an orphan`);
          assert.ok(!updates.has(d.userId));
        }
        const byId = new Map(svc.users.map((u) => [u.id, u]));
        for (const u of plan.changes.updateUsers) {
          const s = byId.get(u.userId) as SafetyUser;
          assert.equal(u.loginName, s.loginName);
          assert.ok(!('loginName' in u.fields));
          if (s.entraObjectId === null) {
            // a service-only user is changed only when R18/R19 links it
            assert.ok(u.linkedBy === 'R18' || u.linkedBy === 'R19');
            assert.deepEqual(u.fields.entraObjectId, { from: null, to: u.entraObjectId });
          }
        }
        const after = applyAnyway(svc, plan);
        const afterDepts = new Map(after.departments.map((d) => [d.id, d]));
        for (const d of svc.departments) assert.deepEqual(afterDepts.get(d.id), d);
        const afterUsers = new Map(after.users.map((u) => [u.id, u]));
        for (const s of svc.users) {
          const a = afterUsers.get(s.id);
          if (s.entraObjectId === null) assert.ok(a, `service-only ${s.id} was deleted`);
          if (a) assert.equal(a.loginName, s.loginName);
          if (a && !updates.has(s.id)) assert.deepEqual(a, s);
          if (a) {
            // manual memberships, yomi, memo, roles are never changed
            assert.deepEqual(a.departments.filter((m) => m.source === 'manual'), s.departments.filter((m) => m.source === 'manual'));
            assert.deepEqual([a.yomi, a.memo, a.roles], [s.yomi, s.memo, s.roles]);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(c) every UNDELETABLE_USER is a deletion of a holder of such a role, and vice versa', () => {
    let seen = 0;
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const plan = planImport(dir, svc);
        const byId = new Map(svc.users.map((u) => [u.id, u]));
        const deleted = new Set(plan.changes.deleteUsers.map((d) => d.userId));
        const undeletable = plan.errors.filter((e) => e.code === 'UNDELETABLE_USER');
        seen += undeletable.length;
        for (const e of undeletable) {
          const id = e['userId'] as string;
          assert.ok(deleted.has(id));
          const roles = e['roles'] as Role[];
          assert.ok(roles.length > 0);
          assert.deepEqual(roles, UNDELETABLE_ROLES.filter((r) => byId.get(id)?.roles.includes(r)));
        }
        const expected = plan.changes.deleteUsers.filter((d) => byId.get(d.userId)?.roles.some((r) => UNDELETABLE_ROLES.includes(r)));
        assert.deepEqual(
          undeletable.map((e) => e['userId']),
          expected.map((d) => d.userId),
        );
      }),
      { numRuns: NUM_RUNS },
    );
    assert.ok(seen > 0, 'the generators never produced an undeletable user');
  });

  it('(d) every directory user is accounted for once; counts match the lists', () => {
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const p = planImport(dir, svc);
        const s = p.summary;
        const skipped = s.skipped.guest + s.skipped.external + s.skipped.disabledNew + s.skipped.noUserPrincipalName;
        assert.equal(skipped + s.usersToCreate + s.usersToUpdate + s.usersUnchanged, dir.users.length);
        assert.equal(skipped, p.skippedUsers.length);
        assert.equal(s.usersToCreate, p.changes.createUsers.length);
        assert.equal(s.usersToUpdate, p.changes.updateUsers.length);
        assert.equal(s.usersToDelete, p.changes.deleteUsers.length);
        assert.equal(s.departmentsToCreate, p.changes.createDepartments.length);
        const linked = [...p.changes.updateUsers.map((u) => u.entraObjectId), ...p.changes.createUsers.map((u) => u.entraObjectId)];
        assert.equal(new Set(linked).size, linked.length, 'an Entra user is linked or created once');
        assert.equal(new Set(p.changes.updateUsers.map((u) => u.userId)).size, p.changes.updateUsers.length);
        assert.equal(p.requiresDeletionConfirmation, s.usersToDelete > svc.settings.deletionThreshold);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(e) the order users are read in does not change the plan', () => {
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const a = planImport(dir, svc);
        const b = planImport({ ...dir, users: [...dir.users].reverse() }, { ...svc, users: [...svc.users].reverse() });
        assert.deepEqual(b.changes, a.changes);
        assert.deepEqual(b.errors, a.errors);
        assert.deepEqual(b.summary, a.summary);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
