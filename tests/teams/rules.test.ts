/** The bot's small pure parts: commands, who may sync (R1–R3), escaping of names. */
import assert from 'node:assert/strict';
import { decideAccess, findLinkedUser } from '../../src/domain/access.ts';
import { parseCommand } from '../../src/teams/commands.ts';
import { langOf, md } from '../../src/teams/i18n.ts';
import { ROLE_TEMPLATE_IDS } from '../../src/directory/admin-roles.ts';
import type { Company } from '../../src/domain/types.ts';
import { svcUser } from '../domain/builders.ts';

const company: Company = { id: 'c1', name: 'Contoso', plan: 'premier', maxUsers: 100, entraTenantId: 't1', rootDepartmentId: 'd0' };
const CLOUD_APP_ADMIN = [ROLE_TEMPLATE_IDS.cloudApplicationAdministrator];
const USER_ADMIN = ['fe930be7-5e62-47db-91af-98c3a49a38b1'];

describe('Teams bot rules', () => {
  it('commands: sync directory, sync, ディレクトリ同期, status, help; anything else is unknown (help)', () => {
    for (const t of ['sync directory', 'Sync Directory', ' sync ', '/sync', 'ｓｙｎｃ　ｄｉｒｅｃｔｏｒｙ', 'ディレクトリ同期', 'ディレクトリ同期。', '<at>Safety Sync</at> sync directory']) {
      assert.equal(parseCommand(t), 'sync', t);
    }
    assert.equal(parseCommand('status'), 'status');
    assert.equal(parseCommand('HELP'), 'help');
    for (const t of ['', 'sync everything', 'delete all users', undefined]) assert.equal(parseCommand(t), 'unknown', String(t));
  });

  it('R3: no company for the tenant; R1: lite is not eligible', () => {
    assert.deepEqual(decideAccess({ company: null, users: [], aadObjectId: 'o', upn: null, roleTemplateIds: null }), { allowed: false, reason: 'TENANT_NOT_LINKED' });
    const admin = svcUser({ roles: ['systemAdmin'], entraObjectId: 'o1' });
    assert.deepEqual(
      decideAccess({ company: { ...company, plan: 'lite' }, users: [admin], aadObjectId: 'o1', upn: null, roleTemplateIds: CLOUD_APP_ADMIN }),
      { allowed: false, reason: 'PLAN_NOT_ELIGIBLE' },
    );
  });

  it('R2: a system administrator who is a Cloud Application Administrator or higher; department managers and suspended admins are not', () => {
    const admin = svcUser({ roles: ['systemAdmin'], entraObjectId: 'O1' });
    const deptManager = svcUser({ roles: ['departmentManager'], entraObjectId: 'o2' });
    const suspended = svcUser({ roles: ['systemAdmin'], entraObjectId: 'o3', status: 'suspended' });
    const users = [admin, deptManager, suspended];
    assert.equal(decideAccess({ company, users, aadObjectId: 'o1', upn: null, roleTemplateIds: CLOUD_APP_ADMIN }).allowed, true, 'object ids compare case-insensitively');
    assert.deepEqual(decideAccess({ company, users, aadObjectId: 'o1', upn: null, roleTemplateIds: USER_ADMIN }), { allowed: false, reason: 'NO_ENTRA_ROLE' });
    assert.deepEqual(decideAccess({ company, users, aadObjectId: 'o1', upn: null, roleTemplateIds: [] }), { allowed: false, reason: 'NO_ENTRA_ROLE' });
    assert.deepEqual(decideAccess({ company, users, aadObjectId: 'o2', upn: null, roleTemplateIds: CLOUD_APP_ADMIN }), { allowed: false, reason: 'NOT_SYSTEM_ADMIN' });
    assert.deepEqual(decideAccess({ company, users, aadObjectId: 'o3', upn: null, roleTemplateIds: CLOUD_APP_ADMIN }), { allowed: false, reason: 'NOT_SYSTEM_ADMIN' });
    assert.deepEqual(decideAccess({ company, users, aadObjectId: 'nobody', upn: null, roleTemplateIds: CLOUD_APP_ADMIN }), { allowed: false, reason: 'NOT_A_SERVICE_USER' });
    // Roles not known yet (before SSO): only the service side is decided.
    assert.equal(decideAccess({ company, users, aadObjectId: 'o1', upn: null, roleTemplateIds: null }).allowed, true);
  });

  it('links by object id first, else login name = UPN, never to a user linked to someone else', () => {
    const byLogin = svcUser({ loginName: 'AlexW@contoso.com', roles: ['systemAdmin'] });
    const other = svcUser({ loginName: 'megan@contoso.com', entraObjectId: 'megan-oid', roles: ['systemAdmin'] });
    assert.equal(findLinkedUser([byLogin, other], 'alex-oid', 'alexw@CONTOSO.com'), byLogin);
    assert.equal(findLinkedUser([byLogin, other], 'alex-oid', 'megan@contoso.com'), null, 'a UPN does not take over another link');
    assert.equal(findLinkedUser([byLogin, other], 'megan-oid', null), other);
  });

  it('names cannot become markdown or card functions; locale picks the language', () => {
    assert.equal(md('[x](https://evil) **b** {{DATE(2020-01-01T00:00:00Z)}}'), '\\[x\\]\\(https://evil\\) \\*\\*b\\*\\* {\u200b{DATE\\(2020-01-01T00:00:00Z\\)}}');
    assert.equal(langOf('ja-JP'), 'ja');
    assert.equal(langOf('ja'), 'ja');
    assert.equal(langOf('en-US'), 'en');
    assert.equal(langOf(undefined), 'en');
  });
});

describe('the bot language', () => {
  it('BOT_LOCALE (the demo setting) wins over the activity locale; without it the activity decides', async () => {
    const { turnLang } = await import('../../src/teams/bot/context.ts');
    const { loadConfig } = await import('../../src/config.ts');
    assert.equal(turnLang({ options: { locale: 'ja-JP' } } as never, { locale: 'en-US' }), 'ja');
    assert.equal(turnLang({ options: {} } as never, { locale: 'ja-JP' }), 'ja');
    assert.equal(turnLang({ options: {} } as never, { locale: 'en-US' }), 'en');
    assert.equal(loadConfig({ BOT_LOCALE: 'ja-JP' }).botLocale, 'ja-JP');
    assert.throws(() => loadConfig({ BOT_LOCALE: 'klingon' }), /BOT_LOCALE/);
  });

  it('a card action carries its language, validated: en or ja only', async () => {
    const { CardActionDataSchema } = await import('../../src/teams/bot/card-flow.ts');
    const planId = '0b7e6f3c-1d2a-4c5b-8e9f-0a1b2c3d4e5f';
    assert.equal(CardActionDataSchema.parse({ planId, lang: 'ja' }).lang, 'ja');
    assert.equal(CardActionDataSchema.safeParse({ planId, lang: 'fr' }).success, false);
    assert.equal(CardActionDataSchema.safeParse({ planId, lang: '<script>' }).success, false);
  });
});
