import assert from 'node:assert/strict';
import { planImport } from '../../src/domain/planner.ts';
import { applyPlanToSnapshot } from '../../src/domain/simulate.ts';
import { ENTRA_CONTAINER_DEPARTMENT } from '../../src/domain/types.ts';
import { ROOT_ID, TENANT, containerDept, dept, directory, dirUser, idGen, linkedUser, snapshot, svcUser } from './builders.ts';

describe('applyPlanToSnapshot (reference model of apply)', () => {
  it('does not modify its input and takes ids from newId', () => {
    const svc = snapshot({ users: [svcUser({ id: 'u1', entraObjectId: 'e1', name: 'Old' })] });
    const frozen = structuredClone(svc);
    const plan = planImport(directory([dirUser({ id: 'e1', displayName: 'New', department: 'Sales' }), dirUser({ id: 'e2' })]), svc);
    const after = applyPlanToSnapshot(svc, plan, idGen('x'));
    assert.deepEqual(svc, frozen);
    assert.deepEqual(
      after.departments.map((d) => d.id),
      [ROOT_ID, 'x-1', 'x-2'],
    );
    assert.equal(after.users.find((u) => u.entraObjectId === 'e2')?.id, 'x-3');
    assert.equal(after.users.find((u) => u.id === 'u1')?.name, 'New');
  });

  it('links the tenant when the company had none and bumps the data version', () => {
    const svc = snapshot({ entraTenantId: null, dataVersion: 3 });
    const after = applyPlanToSnapshot(svc, planImport(directory([]), svc), idGen());
    assert.equal(after.company.entraTenantId, TENANT);
    assert.equal(after.dataVersion, 4);
  });

  it('writes nothing for an empty plan: same data version', () => {
    const e1 = dirUser({ id: 'e1' });
    const svc = snapshot({ users: [linkedUser(e1)], dataVersion: 9 });
    const after = applyPlanToSnapshot(svc, planImport(directory([e1]), svc), idGen());
    assert.equal(after.dataVersion, 9);
    assert.deepEqual(after, svc);
  });

  it('a moved container keeps its place; new departments go under it one level deeper', () => {
    const hq = dept({ code: 'HQ', id: 'd-hq', level: 1 });
    const container = { ...containerDept(), parentId: 'd-hq', level: 2 };
    const svc = snapshot({ departments: [hq, container] });
    const after = applyPlanToSnapshot(svc, planImport(directory([dirUser({ department: 'Sales' })]), svc), idGen());
    const sales = after.departments.find((d) => d.code === 'Sales');
    assert.equal(sales?.parentId, container.id);
    assert.equal(sales?.level, 3);
    assert.deepEqual(after.departments.find((d) => d.code === ENTRA_CONTAINER_DEPARTMENT), container);
  });

  it('an Entra department named like the container is the container', () => {
    const svc = snapshot();
    const plan = planImport(directory([dirUser({ id: 'e1', department: ENTRA_CONTAINER_DEPARTMENT })]), svc);
    assert.deepEqual(plan.changes.createDepartments, [
      { code: ENTRA_CONTAINER_DEPARTMENT, name: ENTRA_CONTAINER_DEPARTMENT, level: 1 },
    ]);
    const after = applyPlanToSnapshot(svc, plan, idGen());
    assert.deepEqual(after.users[0]?.departments.map((m) => m.code), [ENTRA_CONTAINER_DEPARTMENT]);
  });

  it('refuses a plan with errors (nothing applied)', () => {
    const svc = snapshot({ initialPasswordSet: false });
    const plan = planImport(directory([dirUser()]), svc);
    assert.throws(() => applyPlanToSnapshot(svc, plan, idGen()), { name: 'AppError', code: 'PLAN_HAS_ERRORS' });
  });
});
