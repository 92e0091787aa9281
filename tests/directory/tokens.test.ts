import assert from 'node:assert/strict';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { startTokenEmulator, type TokenEmulator } from '../../src/devtools/token-emulator.ts';
import { startGraphEmulator } from '../../src/devtools/graph-emulator.ts';
import {
  clientCredentialsTokenProvider,
  createLoopbackNetworkClient,
  onBehalfOfTokenProvider,
  staticTokenProvider,
} from '../../src/directory/tokens.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { hasSyncAdminRole, readMemberOfRoles, ROLE_TEMPLATE_IDS } from '../../src/directory/admin-roles.ts';
import { AppError, isAppError } from '../../src/domain/errors.ts';

const TENANT = 'bbbbbbbb-1111-2222-3333-444444444444';
const CLIENT_ID = 'cccccccc-1111-2222-3333-444444444444';
const SECRET = 'emulated-client-secret~value';
const ADMIN = 'dddddddd-0000-0000-0000-000000000001';
const PLAIN = 'dddddddd-0000-0000-0000-000000000002';
const users = [
  { objectId: ADMIN, userPrincipalName: 'admin@contoso.com', name: 'Ada Admin', wids: [ROLE_TEMPLATE_IDS.cloudApplicationAdministrator] },
  { objectId: PLAIN, userPrincipalName: 'plain@contoso.com', name: 'Plain User', wids: ['b79fbf4d-3ef9-4689-8143-76b194e85509'] },
];

async function rejectsWith(p: Promise<unknown>, code: string, secrets: string[] = []): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isAppError(e), `expected AppError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    const text = JSON.stringify({ m: e.message, d: e.details, s: e.stack });
    for (const s of secrets) assert.ok(!text.includes(s), 'a secret or token leaked into the error');
    return e;
  }
  assert.fail(`expected AppError ${code}`);
}

describe('token providers (a real msal ConfidentialClientApplication against the token emulator)', function () {
  this.timeout(20_000);
  let em: TokenEmulator;
  beforeEach(async () => {
    em = await startTokenEmulator({ tenantId: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, users });
  });
  afterEach(async () => {
    await em?.close();
  });
  const base = () => ({ clientId: CLIENT_ID, clientSecret: SECRET, tenantId: TENANT, authorityHost: em.authorityHost, networkClient: em.networkClient });

  it('the emulator is an https-looking authority reached through msal networkClient', async () => {
    assert.match(em.authorityHost, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(em.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${em.url}/${TENANT}/v2.0/.well-known/openid-configuration`);
    const doc = (await res.json()) as Record<string, string>;
    assert.equal(doc.issuer, `${em.authorityHost}/${TENANT}/v2.0`);
    assert.equal(doc.token_endpoint, `${em.authorityHost}/${TENANT}/oauth2/v2.0/token`);
    const keys = (await (await fetch(`${em.url}/${TENANT}/discovery/v2.0/keys`)).json()) as { keys: unknown[] };
    assert.deepEqual(keys, em.jwks);
    await assert.rejects(createLoopbackNetworkClient(em.url).sendGetRequestAsync('https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration'), /refuses/);
  });

  it('client credentials: an app-only Graph token (tid, roles), cached by msal', async () => {
    const provider = clientCredentialsTokenProvider(base());
    const token = await provider.getToken();
    const claims = await em.verify(token, { audience: 'https://graph.microsoft.com' });
    assert.equal(claims.tid, TENANT);
    assert.equal(claims.idtyp, 'app');
    assert.deepEqual(claims.roles, ['User.Read.All', 'Directory.Read.All']);
    assert.ok(typeof claims.exp === 'number' && claims.exp > Date.now() / 1000);
    assert.equal(await provider.getToken(), token);
    assert.equal(em.requestLog.filter((r) => r.method === 'POST').length, 1);
    assert.ok(em.requestLog.every((r) => r.url.startsWith(`/${TENANT}/`)), 'msal only talked to the emulated tenant');
  });

  it('an http loopback authorityHost works without passing a network client', async () => {
    const provider = clientCredentialsTokenProvider({ clientId: CLIENT_ID, clientSecret: SECRET, tenantId: TENANT, authorityHost: em.url });
    assert.equal(decodeJwt(await provider.getToken()).tid, TENANT);
    assert.throws(
      () => clientCredentialsTokenProvider({ clientId: CLIENT_ID, clientSecret: SECRET, tenantId: TENANT, authorityHost: 'http://login.example.com' }),
      (e: unknown) => isAppError(e) && e.code === 'TOKEN_UNAVAILABLE',
    );
  });

  it('a wrong client secret -> TOKEN_UNAVAILABLE, naming no secret', async () => {
    const wrong = 'wrong-secret-value-123';
    const e = await rejectsWith(clientCredentialsTokenProvider({ ...base(), clientSecret: wrong }).getToken(), 'TOKEN_UNAVAILABLE', [wrong, SECRET]);
    assert.equal(e.details.error, 'invalid_client');
  });

  it('on-behalf-of: exchanges the Teams SSO token for a delegated Graph token with oid and wids', async () => {
    const sso = await em.signUserToken(ADMIN, { audience: `api://localhost/${CLIENT_ID}` });
    const ssoClaims = decodeJwt(sso);
    assert.equal(ssoClaims.oid, ADMIN);
    assert.equal(ssoClaims.preferred_username, 'admin@contoso.com');
    assert.deepEqual(ssoClaims.wids, [ROLE_TEMPLATE_IDS.cloudApplicationAdministrator]);
    const token = await onBehalfOfTokenProvider({ ...base(), userAssertion: sso }).getToken();
    const claims = await em.verify(token, { audience: 'https://graph.microsoft.com' });
    assert.equal(claims.oid, ADMIN);
    assert.equal(claims.tid, TENANT);
    assert.equal(claims.idtyp, 'user');
    assert.match(String(claims.scp), /User\.Read/);
    assert.ok(hasSyncAdminRole(claims.wids as string[]));
  });

  it('on-behalf-of without admin consent -> CONSENT_REQUIRED with the admin consent URL; consenting fixes it', async () => {
    em.setConsentGranted(false);
    const sso = await em.signUserToken(ADMIN);
    const e = await rejectsWith(onBehalfOfTokenProvider({ ...base(), userAssertion: sso }).getToken(), 'CONSENT_REQUIRED', [sso, SECRET]);
    assert.equal(e.status, 403);
    const url = String(e.details.adminConsentUrl);
    assert.equal(url, `${em.authorityHost}/${TENANT}/adminconsent?client_id=${CLIENT_ID}`);
    // the emulator serves the consent page on its http address
    assert.equal((await fetch(url.replace(em.authorityHost, em.url))).status, 200);
    assert.ok(await onBehalfOfTokenProvider({ ...base(), userAssertion: sso }).getToken());
  });

  it('on-behalf-of with an expired or foreign assertion -> TOKEN_UNAVAILABLE, naming no token', async () => {
    const expired = await em.signUserToken(ADMIN, { expiresInSeconds: -300 });
    const e = await rejectsWith(onBehalfOfTokenProvider({ ...base(), userAssertion: expired }).getToken(), 'TOKEN_UNAVAILABLE', [expired, SECRET]);
    assert.equal(e.details.error, 'invalid_grant');
    assert.match(String(e.details.aadsts), /^50013/);

    const other = await startTokenEmulator({ tenantId: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, users });
    try {
      const foreign = await other.signUserToken(ADMIN);
      await rejectsWith(onBehalfOfTokenProvider({ ...base(), userAssertion: foreign }).getToken(), 'TOKEN_UNAVAILABLE', [foreign]);
    } finally {
      await other.close();
    }
    const wrongAudience = await em.signUserToken(ADMIN, { audience: 'api://someone-else' });
    await rejectsWith(onBehalfOfTokenProvider({ ...base(), userAssertion: wrongAudience }).getToken(), 'TOKEN_UNAVAILABLE');
  });

  it('the emulator answers like Entra, and msal itself (unwrapped) is content with it', async () => {
    const app = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, clientSecret: SECRET, authority: em.authority, knownAuthorities: [new URL(em.authorityHost).host] },
      system: { networkClient: em.networkClient },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    assert.equal(result?.tokenType, 'Bearer');
    assert.ok(result!.expiresOn! > new Date());
    const res = await fetch(`${em.url}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: SECRET, grant_type: 'client_credentials', scope: 'User.Read' }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; error_description: string; error_codes: number[] };
    assert.equal(body.error, 'invalid_scope');
    assert.match(body.error_description, /^AADSTS1002012:/);
  });

  it('static tokens are handed out as they are', async () => {
    assert.equal(await staticTokenProvider('abc').getToken(), 'abc');
    assert.throws(() => staticTokenProvider(''));
  });
});

describe('end to end: token emulator + msal + Graph emulator + reader', function () {
  this.timeout(20_000);
  it('reads the directory with an app token, and the roles of the signed-in admin from /me/memberOf', async () => {
    const em = await startTokenEmulator({ tenantId: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, users });
    const graph = await startGraphEmulator({
      tenant: {
        tenantId: TENANT,
        displayName: 'E2E',
        users: [
          { id: ADMIN, userPrincipalName: 'admin@contoso.com', displayName: 'Ada Admin' },
          { id: PLAIN, userPrincipalName: 'plain@contoso.com', displayName: 'Plain User' },
        ],
        directoryRoles: { [ADMIN]: [ROLE_TEMPLATE_IDS.cloudApplicationAdministrator, 'fe930be7-5e62-47db-91af-98c3a49a38b1'] },
      },
      acceptToken: (t) => em.verify(t, { audience: 'https://graph.microsoft.com' }).then(() => true, () => false),
    });
    try {
      const app = clientCredentialsTokenProvider({ clientId: CLIENT_ID, clientSecret: SECRET, tenantId: TENANT, authorityHost: em.url });
      const snapshot = await createGraphDirectoryReader({ graphBaseUrl: graph.baseUrl, tokenProvider: app }).read();
      assert.equal(snapshot.tenantId, TENANT);
      assert.deepEqual(snapshot.users.map((u) => u.userPrincipalName).sort(), ['admin@contoso.com', 'plain@contoso.com']);

      const obo = (oid: string) =>
        em.signUserToken(oid).then((sso) => onBehalfOfTokenProvider({ clientId: CLIENT_ID, clientSecret: SECRET, tenantId: TENANT, authorityHost: em.url, userAssertion: sso }));
      const adminRoles = await readMemberOfRoles(graph.baseUrl, await obo(ADMIN));
      assert.deepEqual(adminRoles, [ROLE_TEMPLATE_IDS.cloudApplicationAdministrator, 'fe930be7-5e62-47db-91af-98c3a49a38b1']);
      assert.equal(hasSyncAdminRole(adminRoles), true);
      const plainRoles = await readMemberOfRoles(graph.baseUrl, await obo(PLAIN));
      assert.deepEqual(plainRoles, []);
      assert.equal(hasSyncAdminRole(plainRoles), false);
      // /me needs a delegated token
      await assert.rejects(readMemberOfRoles(graph.baseUrl, app), (e: unknown) => isAppError(e) && e.code === 'DIRECTORY_UNAVAILABLE' && e.details.status === 400);

      // without admin consent the app token carries no roles and Graph refuses
      em.setConsentGranted(false);
      const noConsent = clientCredentialsTokenProvider({ clientId: CLIENT_ID, clientSecret: SECRET, tenantId: TENANT, authorityHost: em.authorityHost, networkClient: em.networkClient });
      await assert.rejects(
        createGraphDirectoryReader({ graphBaseUrl: graph.baseUrl, tokenProvider: noConsent }).read(),
        (e: unknown) => isAppError(e) && e.code === 'CONSENT_REQUIRED',
      );
    } finally {
      await graph.close();
      await em.close();
    }
  });
});

describe('hasSyncAdminRole (R2)', () => {
  it('admits Global, Privileged Role, Application and Cloud Application Administrators only', () => {
    for (const id of Object.values(ROLE_TEMPLATE_IDS)) assert.equal(hasSyncAdminRole(['b79fbf4d-3ef9-4689-8143-76b194e85509', id]), true, id);
    assert.equal(hasSyncAdminRole([ROLE_TEMPLATE_IDS.globalAdministrator.toUpperCase()]), true);
    assert.equal(hasSyncAdminRole(['fe930be7-5e62-47db-91af-98c3a49a38b1']), false, 'User Administrator is not enough');
    assert.equal(hasSyncAdminRole(['f2ef992c-3afb-46b9-b7cf-a126ee74c451']), false, 'Global Reader is not enough');
    assert.equal(hasSyncAdminRole([]), false);
    assert.equal(hasSyncAdminRole(undefined), false);
    assert.equal(hasSyncAdminRole(null), false);
  });
});
