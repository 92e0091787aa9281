/**
 * Issue 9 item 7: SCIM at 500 requests/s. What Entra's incremental cycle sends (GET by filter
 * userName eq / externalId eq, PATCH replace, POST create) costs a pinned number of SQL statements
 * per request, counted through a wrapped Db on every engine: counts, not durations, so the test
 * does not depend on the machine's speed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Db, type QueryOptions, type Sql } from '../../src/store/database.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { postgresSchemaUrl } from '../helpers/databases.ts';
import { call, companyWithToken, ENTERPRISE, PATCH, startHarness, USER, type Harness } from './harness.ts';

interface Counter {
  statements: string[];
  transactions: number;
}

/** Every statement sent through the Db (and its transactions) is recorded; BEGIN/COMMIT are counted as transactions. */
function counting(db: Db, counter: Counter): Db {
  const wrap = (sql: Sql): Sql => ({
    query<T>(text: string, params?: unknown[], options?: QueryOptions) {
      counter.statements.push(text);
      return sql.query<T>(text, params, options);
    },
    exec(text: string) {
      counter.statements.push(text);
      return sql.exec(text);
    },
  });
  return {
    kind: db.kind,
    ...wrap(db),
    transaction<T>(fn: (tx: Sql) => Promise<T>) {
      counter.transactions++;
      return db.transaction((tx) => fn(wrap(tx)));
    },
    close: () => db.close(),
  };
}

const ENGINES: Array<{ name: string; url: () => Promise<string> }> = [{ name: 'PGlite', url: async () => 'memory:' }];
if (process.env.TEST_DATABASE_URL) {
  const server = process.env.TEST_DATABASE_URL;
  ENGINES.push({ name: 'PostgreSQL', url: () => postgresSchemaUrl(server) });
}

for (const engine of ENGINES) {
  describe(`SCIM statements per request (${engine.name})`, function () {
    this.timeout(60_000);
    const counter: Counter = { statements: [], transactions: 0 };
    let h: Harness;
    let token: string;
    let userId: string;
    const externalId = randomUUID();
    let createdId: string;

    /** The statements one request sends, and its transactions. */
    const measure = async (fn: () => Promise<{ status: number; body?: any }>, expectedStatus: number) => {
      counter.statements = [];
      counter.transactions = 0;
      const r = await fn();
      assert.equal(r.status, expectedStatus);
      return { statements: counter.statements.length, transactions: counter.transactions, texts: counter.statements, body: (r as { body?: any }).body };
    };

    before(async () => {
      h = await startHarness(async () => SafetyStore.open(counting(await openDatabase(await engine.url()), counter)));
      ({ token } = await companyWithToken(h, 'Statements Co', { initialPassword: 'Initial-Pass-1' }));
      // Departments the PATCHes below move between exist already, as in a steady incremental cycle.
      for (const [i, dept] of ['営業部', '開発部'].entries()) {
        const r = await call(h, 'POST', '/scim/v2/Users', {
          token,
          body: {
            schemas: [USER, ENTERPRISE],
            userName: `seed${i}@contoso.jp`,
            externalId: i === 0 ? externalId : randomUUID(),
            displayName: `Seed ${i}`,
            emails: [{ type: 'work', value: `seed${i}@contoso.jp`, primary: true }],
            [ENTERPRISE]: { department: dept },
          },
        });
        assert.equal(r.status, 201, r.text);
        if (i === 0) userId = r.body.id;
      }
    });
    after(() => h?.close());

    it('GET /Users?filter=userName eq sends 2 statements (token, page with its total) and no transaction', async () => {
      const m = await measure(() => call(h, 'GET', `/scim/v2/Users?filter=${encodeURIComponent('userName eq "SEED0@contoso.jp"')}`, { token }), 200);
      assert.ok(m.statements <= 2, `${m.statements} statements:\n${m.texts.join('\n---\n')}`);
      assert.equal(m.transactions, 0);
    });

    it('GET /Users?filter=externalId eq sends 2 statements', async () => {
      const m = await measure(() => call(h, 'GET', `/scim/v2/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`, { token }), 200);
      assert.ok(m.statements <= 2, `${m.statements} statements:\n${m.texts.join('\n---\n')}`);
    });

    it('PATCH replacing name, phone, department and role sends at most 6 statements in one transaction', async () => {
      const m = await measure(
        () =>
          call(h, 'PATCH', `/scim/v2/Users/${userId}`, {
            token,
            body: {
              schemas: [PATCH],
              Operations: [
                { op: 'Replace', path: 'displayName', value: 'Seed Zero' },
                { op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '03-1234-5678' },
                { op: 'Replace', path: `${ENTERPRISE}:department`, value: '開発部' },
                { op: 'Replace', path: 'roles[primary eq "True"].value', value: 'GUEST' },
              ],
            },
          }),
        200,
      );
      assert.ok(m.statements <= 6, `${m.statements} statements:\n${m.texts.join('\n---\n')}`);
      assert.equal(m.transactions, 1);
      // It really changed what it said (the count is not low because nothing was written).
      const after = await call(h, 'GET', `/scim/v2/Users/${userId}`, { token });
      assert.equal(after.body.displayName, 'Seed Zero');
      assert.equal(after.body[ENTERPRISE].department, '開発部');
      assert.equal(after.body.roles[0].value, 'GUEST');
    });

    it('a PATCH that changes nothing sends at most 3 statements and writes nothing', async () => {
      const m = await measure(
        () =>
          call(h, 'PATCH', `/scim/v2/Users/${userId}`, {
            token,
            body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Seed Zero' }] },
          }),
        200,
      );
      assert.ok(m.statements <= 3, `${m.statements} statements:\n${m.texts.join('\n---\n')}`);
    });

    it('POST creating a user in an existing department sends at most 6 statements in one transaction (token, company lock with the user keys, link targets, insert with department, roles and the create lock, read with the user count, log)', async () => {
      const m = await measure(
        () =>
          call(h, 'POST', '/scim/v2/Users', {
            token,
            body: {
              schemas: [USER, ENTERPRISE],
              userName: 'new@contoso.jp',
              externalId: randomUUID(),
              displayName: 'New',
              emails: [{ type: 'work', value: 'new@contoso.jp', primary: true }],
              [ENTERPRISE]: { department: '営業部' },
            },
          }),
        201,
      );
      assert.ok(m.statements <= 6, `${m.statements} statements:\n${m.texts.join('\n---\n')}`);
      assert.equal(m.transactions, 1);
      createdId = m.body.id;
      // It really created the user in that department.
      assert.equal(m.body[ENTERPRISE].department, '営業部');
    });

    it('DELETE sends at most 5 statements in one transaction (token, company lock with the user row, read, delete returning what undo needs, log)', async () => {
      const m = await measure(() => call(h, 'DELETE', `/scim/v2/Users/${createdId}`, { token }), 204);
      assert.ok(m.statements <= 5, `${m.statements} statements:\n${m.texts.join('\n---\n')}`);
      assert.equal(m.transactions, 1);
      // It really deleted, and history can undo it.
      assert.equal((await call(h, 'GET', `/scim/v2/Users/${createdId}`, { token })).status, 404);
      const [entry] = await h.store.db.query<{ restore: { passwordHash?: string } | null }>(
        `select restore from change_log where entity_id = $1 and action = 'delete'`,
        [createdId],
      );
      assert.ok(entry?.restore?.passwordHash, 'the delete kept what undo needs');
    });
  });
}
