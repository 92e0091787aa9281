/** The store contract suite: the same cases on PGlite and on a real PostgreSQL server. */
import assert from 'node:assert/strict';
import { AppError } from '../../src/domain/errors.ts';
import { migrate } from '../../src/store/migrations.ts';
import { verifyPassword } from '../../src/store/passwords.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { engines } from '../helpers/databases.ts';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected AppError ${code}, got ${String(e)}`);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected ${code}`);
}

for (const engine of engines()) {
  describe(`store on ${engine.name}`, () => {
    let store: SafetyStore;
    before(async () => {
      store = await engine.open();
    });
    after(async () => {
      await store.close();
    });

    it('migrates once: running the migrations again applies nothing', async () => {
      assert.equal(await migrate(store.db), 0);
    });

    it('R7: a new company has exactly one root department at level 0, which cannot be duplicated', async () => {
      const c = await store.createCompany({ name: 'Root Co', plan: 'premier', maxUsers: 10 });
      const deps = await store.listDepartments(c.id);
      assert.equal(deps.length, 1);
      assert.equal(deps[0]!.id, c.rootDepartmentId);
      assert.equal(deps[0]!.level, 0);
      assert.equal(deps[0]!.parentId, null);
      await assert.rejects(
        store.db.query(
          `insert into departments (company_id, code, name, parent_id, level, source) values ($1, 'R2', 'x', null, 0, 'manual')`,
          [c.id],
        ),
      );
    });

    it('R3: an Entra tenant belongs to at most one company (case-insensitive)', async () => {
      await store.createCompany({ name: 'T1', plan: 'premier', maxUsers: 10, entraTenantId: 'AAAA-tenant' });
      await rejectsWith(
        store.createCompany({ name: 'T2', plan: 'premier', maxUsers: 10, entraTenantId: 'aaaa-TENANT' }),
        'TENANT_ALREADY_LINKED',
      );
      const other = await store.createCompany({ name: 'T3', plan: 'lite', maxUsers: 10 });
      await rejectsWith(store.updateCompany(other.id, { entraTenantId: 'AAAA-tenant' }), 'TENANT_ALREADY_LINKED');
      assert.equal((await store.findCompanyByTenant('aaaa-tenant'))?.name, 'T1');
    });

    it('R9: department codes are unique within a company, not across companies', async () => {
      const a = await store.createCompany({ name: 'A', plan: 'premier', maxUsers: 10 });
      const b = await store.createCompany({ name: 'B', plan: 'premier', maxUsers: 10 });
      const d = await store.createDepartment(a.id, { code: 'SALES', name: 'Sales' }, 'admin');
      assert.equal(d.level, 1);
      assert.equal(d.parentId, a.rootDepartmentId);
      const child = await store.createDepartment(a.id, { code: 'SALES-E', name: 'East', parentId: d.id }, 'admin');
      assert.equal(child.level, 2);
      await rejectsWith(store.createDepartment(a.id, { code: 'SALES', name: 'Again' }, 'admin'), 'DUPLICATE_DEPARTMENT_CODE');
      await store.createDepartment(b.id, { code: 'SALES', name: 'Sales' }, 'admin');
      await rejectsWith(
        store.createDepartment(a.id, { code: 'X', name: 'x', parentId: b.rootDepartmentId }, 'admin'),
        'VALIDATION_FAILED',
      );
    });

    it('users: login names unique case-insensitively, emails unique, passwords hashed and never returned', async () => {
      const c = await store.createCompany({ name: 'U', plan: 'premier', maxUsers: 10 });
      const u = await store.createUser(
        c.id,
        { loginName: 'Taro@example.com', password: 'Secret#123', name: '山田 太郎', email: 'taro@example.com', roles: ['manager'] },
        'admin',
      );
      assert.equal(u.name, '山田 太郎');
      assert.deepEqual(u.roles, ['manager']);
      assert.equal(JSON.stringify(u).includes('Secret'), false);
      assert.equal(JSON.stringify(u).includes('scrypt'), false);
      await rejectsWith(
        store.createUser(c.id, { loginName: 'taro@EXAMPLE.com', password: 'x', name: 'dup' }, 'admin'),
        'DUPLICATE_LOGIN_NAME',
      );
      await rejectsWith(
        store.createUser(c.id, { loginName: 'other', password: 'x', name: 'dup', email: 'TARO@example.com' }, 'admin'),
        'DUPLICATE_EMAIL',
      );
      const [row] = await store.db.query<{ password_hash: string }>('select password_hash from users where id = $1', [u.id]);
      assert.ok(await verifyPassword('Secret#123', row!.password_hash));
      assert.ok(!(await verifyPassword('wrong', row!.password_hash)));
    });

    it('users: updates keep unspecified fields, memberships keep their source, history records before/after', async () => {
      const c = await store.createCompany({ name: 'H', plan: 'premier', maxUsers: 10 });
      const d1 = await store.createDepartment(c.id, { code: 'D1', name: 'One' }, 'admin');
      const d2 = await store.createDepartment(c.id, { code: 'D2', name: 'Two' }, 'admin');
      const u = await store.createUser(c.id, { loginName: 'h1', password: 'pw', name: 'Before', departmentIds: [d1.id] }, 'admin');
      const v0 = await store.dataVersion(c.id);
      const updated = await store.updateUser(c.id, u.id, { name: 'After', departmentIds: [d1.id, d2.id] }, 'editor');
      assert.equal(updated.name, 'After');
      assert.equal(updated.loginName, 'h1');
      assert.deepEqual(updated.departments.map((d) => d.code), ['D1', 'D2']);
      assert.ok((await store.dataVersion(c.id)) > v0, 'B3: a user write bumps the data version');
      const [change] = await store.listChanges(c.id, { limit: 1 });
      assert.equal(change!.action, 'update');
      assert.equal(change!.actor, 'editor');
      assert.deepEqual(change!.before?.name, 'Before');
      assert.deepEqual(change!.after?.name, 'After');
    });

    it('R27: a user holding an undeletable role cannot be deleted; others can', async () => {
      const c = await store.createCompany({ name: 'D', plan: 'premier', maxUsers: 10 });
      const admin = await store.createUser(c.id, { loginName: 'boss', password: 'pw', name: 'Boss', roles: ['scheduledSendResponsible'] }, 'a');
      const plain = await store.createUser(c.id, { loginName: 'plain', password: 'pw', name: 'Plain' }, 'a');
      const e = await rejectsWith(store.deleteUser(c.id, admin.id, 'a'), 'UNDELETABLE_USER');
      assert.equal(e.status, 409);
      assert.deepEqual(e.details.roles, ['scheduledSendResponsible']);
      await store.deleteUser(c.id, plain.id, 'a');
      assert.deepEqual((await store.listUsers(c.id)).map((u) => u.loginName), ['boss']);
      const [change] = await store.listChanges(c.id, { limit: 1 });
      assert.equal(change!.action, 'delete');
      assert.equal(JSON.stringify(change).includes('scrypt'), false, 'history never shows a password hash');
    });

    it('settings: the initial password is stored hashed and its change bumps the data version', async () => {
      const c = await store.createCompany({ name: 'S', plan: 'premier', maxUsers: 10 });
      assert.deepEqual(await store.getSettings(c.id), { initialPasswordSet: false, deletionThreshold: 50, schedule: null });
      const v0 = await store.dataVersion(c.id);
      const s = await store.updateSettings(c.id, { initialPassword: 'Welcome#2026', deletionThreshold: 5 });
      assert.deepEqual(s, { initialPasswordSet: true, deletionThreshold: 5, schedule: null });
      assert.ok((await store.dataVersion(c.id)) > v0);
      const [row] = await store.db.query<{ initial_password_hash: string }>('select initial_password_hash from companies where id = $1', [c.id]);
      assert.ok(row!.initial_password_hash.startsWith('scrypt$'));
    });

    it('unknown or malformed ids are NOT_FOUND, never a database error', async () => {
      await rejectsWith(store.getCompany('not-a-uuid'), 'NOT_FOUND');
      await rejectsWith(store.getCompany('00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
      const c = await store.createCompany({ name: 'N', plan: 'premier', maxUsers: 10 });
      await rejectsWith(store.getUser(c.id, "1' or 1=1"), 'NOT_FOUND');
    });
  });
}
