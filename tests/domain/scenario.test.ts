/**
 * The seed manual's example (000_ac420e31edc2b46b.txt, 部署の追加/編集/削除時の挙動):
 * a department renamed in Entra becomes a new department, the old one stays,
 * a department that exists only in the service (安全対策本部) is untouched,
 * and a user deleted in Entra is deleted in the service.
 */
import assert from 'node:assert/strict';
import { planImport } from '../../src/domain/planner.ts';
import { applyPlanToSnapshot } from '../../src/domain/simulate.ts';
import { ENTRA_CONTAINER_DEPARTMENT } from '../../src/domain/types.ts';
import { ROOT_ID, containerDept, dept, directory, dirUser, entraDept, idGen, linkedUser, member, snapshot, svcUser } from './builders.ts';

describe('scenario: the seed manual’s department rename example', () => {
  const marketing = entraDept('マーケティング本部');
  const supportOld = entraDept('サポートT');
  const dev = entraDept('開発部');
  const safetyHq = dept({ code: '安全対策本部', id: 'd-safety', parentId: ROOT_ID, level: 1, source: 'manual' });
  const departments = [containerDept(), marketing, supportOld, dev, safetyHq];

  const sato = dirUser({ id: 'e-sato', userPrincipalName: 'sato@toyokumo.example', displayName: '佐藤 一郎', mail: 'sato@toyokumo.example', department: 'マーケティング本部' });
  const suzukiBefore = dirUser({ id: 'e-suzuki', userPrincipalName: 'suzuki@toyokumo.example', displayName: '鈴木 花子', mail: 'suzuki@toyokumo.example', department: 'サポートT' });
  const suzukiAfter = { ...suzukiBefore, department: 'サポートチーム' };
  const takahashi = dirUser({ id: 'e-takahashi', userPrincipalName: 'takahashi@toyokumo.example', displayName: '高橋 次郎', department: '開発部' });
  const ito = dirUser({ id: 'e-ito', userPrincipalName: 'ito@toyokumo.example', displayName: '伊藤 三郎', mail: 'ito@toyokumo.example', businessPhones: ['03-5555-0000'], department: 'サポートチーム' });

  const service = snapshot({
    departments,
    users: [
      linkedUser(sato, { id: 'u-sato', departments: [member(marketing), member(safetyHq)] }),
      linkedUser(suzukiBefore, { id: 'u-suzuki', departments: [member(supportOld)] }),
      linkedUser(takahashi, { id: 'u-takahashi', departments: [member(dev)] }),
      svcUser({ id: 'u-tanaka', loginName: 'tanaka', name: '田中 四郎', email: 'tanaka@toyokumo.example', departments: [member(safetyHq)], roles: ['crisisManager'] }),
    ],
  });
  // In Entra: サポートT was renamed サポートチーム, 高橋 was deleted, 伊藤 joined.
  const dir = directory([sato, suzukiAfter, ito]);
  const plan = planImport(dir, service);

  it('plans exactly: a new department, one move, one creation, one deletion, no errors', () => {
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.changes.createDepartments, [{ code: 'サポートチーム', name: 'サポートチーム', level: 2 }]);
    assert.deepEqual(plan.changes.updateUsers, [
      {
        userId: 'u-suzuki',
        entraObjectId: 'e-suzuki',
        loginName: 'suzuki@toyokumo.example',
        linkedBy: 'R17',
        fields: { department: { from: 'サポートT', to: 'サポートチーム' } },
      },
    ]);
    assert.deepEqual(plan.changes.createUsers, [
      {
        entraObjectId: 'e-ito',
        loginName: 'ito@toyokumo.example',
        name: '伊藤 三郎',
        email: 'ito@toyokumo.example',
        phone: '03-5555-0000',
        departmentCode: 'サポートチーム',
      },
    ]);
    assert.deepEqual(plan.changes.deleteUsers, [
      { userId: 'u-takahashi', loginName: 'takahashi@toyokumo.example', name: '高橋 次郎', entraObjectId: 'e-takahashi' },
    ]);
    assert.equal(plan.summary.usersUnchanged, 1);
  });

  it('after applying: the old department and 安全対策本部 stay, the tree is as the manual draws it', () => {
    const after = applyPlanToSnapshot(service, plan, idGen());
    const byCode = new Map(after.departments.map((d) => [d.code, d]));
    // nothing deleted or moved
    for (const d of service.departments) assert.deepEqual(byCode.get(d.code), d);
    const container = byCode.get(ENTRA_CONTAINER_DEPARTMENT);
    const renamed = byCode.get('サポートチーム');
    assert.equal(renamed?.parentId, container?.id);
    assert.equal(renamed?.level, 2);
    assert.equal(renamed?.source, 'entra');
    // 安全対策本部 and its members untouched
    const tanaka = after.users.find((u) => u.id === 'u-tanaka');
    assert.deepEqual(tanaka, service.users.find((u) => u.id === 'u-tanaka'));
    const sato2 = after.users.find((u) => u.id === 'u-sato');
    assert.deepEqual(sato2?.departments.map((m) => m.code), ['マーケティング本部', '安全対策本部']);
    // 鈴木 and 伊藤 in the new department; 高橋 gone
    const inRenamed = after.users.filter((u) => u.departments.some((m) => m.code === 'サポートチーム')).map((u) => u.loginName);
    assert.deepEqual(inRenamed.sort(), ['ito@toyokumo.example', 'suzuki@toyokumo.example']);
    assert.ok(!after.users.some((u) => u.id === 'u-takahashi'));
    assert.ok(!after.users.some((u) => u.departments.some((m) => m.code === 'サポートT')));
  });

  it('importing again changes nothing', () => {
    const after = applyPlanToSnapshot(service, plan, idGen());
    const again = planImport(dir, after);
    assert.deepEqual(again.changes, { createDepartments: [], createUsers: [], updateUsers: [], deleteUsers: [] });
    assert.equal(again.summary.usersUnchanged, 3);
  });
});
