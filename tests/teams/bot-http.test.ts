/**
 * The bot end to end over HTTP: activities signed like the Bot Framework's (validated by
 * botbuilder itself against a local OpenID metadata), Teams SSO tokens from the token emulator,
 * the demo tenant read from the Graph emulator, replies captured by a local connector service.
 */
import assert from 'node:assert/strict';
import { DEMO_ADMIN_OBJECT_ID, DEMO_TENANT_ID, DEMO_USERS } from '../../src/devtools/demo-tenant.ts';
import { actionInvoke, BOT_ID, OUTBOUND_TOKEN, startHarness, type Harness } from './helpers/harness.ts';
import { cardOf, cardText, type ConnectorCall } from './helpers/connector.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import { createLogger } from '../../src/log.ts';

const ALEX = { aadObjectId: DEMO_ADMIN_OBJECT_ID, name: 'Alex Wilber' };
const MEGAN = { aadObjectId: DEMO_USERS.meganBowen, name: 'Megan Bowen' };
const MOD = { aadObjectId: DEMO_USERS.modAdministrator, name: 'MOD Administrator' };
const OAUTH = 'application/vnd.microsoft.card.oauth';

const isOAuthCard = (c: ConnectorCall) => c.activity.attachments?.some((a) => a.contentType === OAUTH) ?? false;
// Every plan card asks for its current state (Universal Actions refresh); one without changes has no buttons.
const isPlanCard = (c: ConnectorCall) => c.method === 'POST' && JSON.stringify(cardOf(c) ?? {}).includes('"verb":"refresh"');
const exchangeIdOf = (c: ConnectorCall) =>
  (c.activity.attachments!.find((a) => a.contentType === OAUTH)!.content as { tokenExchangeResource: { id: string } }).tokenExchangeResource.id;
const planIdOf = (card: unknown) => /"planId":"([0-9a-f-]{36})"/.exec(JSON.stringify(card))![1]!;

/** Suppresses botbuilder's console.error of refused tokens for the duration of fn. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const original = console.error;
  console.error = () => undefined;
  try {
    return await fn();
  } finally {
    console.error = original;
  }
}

/** `sync directory` -> OAuth card -> signin/tokenExchange -> the plan card. */
async function planAs(h: Harness, user: { aadObjectId: string; name: string }, locale = 'en-US') {
  const before = h.connector.calls.length;
  const sent = await h.post(h.activity(user, { type: 'message', text: 'sync directory', locale }));
  assert.equal(sent.status, 200);
  const oauth = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isOAuthCard(c));
  const token = await h.tokens.signUserToken(user.aadObjectId);
  const exchange = await h.post(h.activity(user, { type: 'invoke', name: 'signin/tokenExchange', locale, value: { id: exchangeIdOf(oauth), connectionName: '', token } }));
  assert.equal(exchange.status, 200, JSON.stringify(exchange.body));
  const cardCall = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isPlanCard(c));
  const card = cardOf(cardCall)!;
  return { cardCall, card, planId: planIdOf(card) };
}

describe('Teams bot over HTTP (JWT-validated activities, SSO, local connector)', function () {
  this.timeout(60_000);

  describe('sync directory -> plan card -> confirm -> import', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(async () => h?.close());

    let planId = '';
    let cardCall: ConnectorCall;

    it('asks for Teams SSO first and reads nothing before the token is exchanged', async () => {
      const res = await h.post(h.activity(ALEX, { type: 'message', text: 'sync directory' }));
      assert.equal(res.status, 200);
      const oauth = await h.connector.waitFor(isOAuthCard);
      assert.equal(oauth.authorization, `Bearer ${OUTBOUND_TOKEN}`, 'replies carry the bot credentials');
      assert.match(exchangeIdOf(oauth), /^[0-9a-f-]{36}$/);
      assert.ok(!h.graph.requestLog.some((r) => r.url.startsWith('/v1.0/users')), 'nothing read before SSO');
    });

    it('exchanges the SSO token on-behalf-of, reads the directory and sends the plan card', async () => {
      const oauth = h.connector.calls.find(isOAuthCard)!;
      const token = await h.tokens.signUserToken(ALEX.aadObjectId);
      const res = await h.post(h.activity(ALEX, { type: 'invoke', name: 'signin/tokenExchange', value: { id: exchangeIdOf(oauth), connectionName: '', token } }));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { id: exchangeIdOf(oauth), connectionName: '' });
      cardCall = await h.connector.waitFor(isPlanCard);
      const card = cardOf(cardCall)!;
      planId = planIdOf(card);
      const text = cardText(card);
      assert.match(text, /Directory sync plan/);
      // The linked tenant by its name (Graph /organization), as the tab shows it: no GUID on the card.
      assert.match(text, /Contoso Demo · Microsoft Entra tenant Contoso Demo \\?\(emulated\\?\)/);
      assert.doesNotMatch(text, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      assert.match(text, /Users to create\n188/);
      assert.match(text, /Users to update\n4/);
      assert.match(text, /Users to delete\n1/);
      assert.match(text, /Departments to create\n11/);
      assert.match(text, /Guests\n3/);
      assert.match(text, /This plan expires at \{\{TIME\(/);
      const actions = (card.actions as { type: string; verb?: string; data?: unknown }[]).filter((a) => a.type === 'Action.Execute').map((a) => [a.verb, a.data]);
      assert.deepEqual(actions, [
        ['confirmImport', { planId, lang: 'en' }],
        ['cancelImport', { planId, lang: 'en' }],
      ]);
      // Universal Actions refresh: the card asks for its current state (superseded, settled elsewhere).
      assert.deepEqual((card.refresh as { action: { verb: string; data: unknown } }).action.verb, 'refresh');
      // The on-behalf-of exchange and the Graph read really happened.
      assert.ok(h.tokens.requestLog.some((r) => r.method === 'POST' && r.url.endsWith('/oauth2/v2.0/token')));
      // The first read of a company is the full /users read (DESIGN §2), after a delta link for next time (B7).
      assert.ok(h.graph.requestLog.some((r) => r.url.startsWith('/v1.0/users?')));
      // The progress message was replaced by what was read.
      const progress = await h.connector.waitFor((c) => c.method === 'PUT' && /Read 200 users/.test(c.activity.text ?? ''));
      assert.ok(progress);
      const plan = await h.ctx.store.findPlan(planId);
      assert.equal(plan?.source, 'teams');
      assert.equal(plan?.requestedBy, 'AlexW@contoso.onmicrosoft.com');
      await h.bot.idle();
      const stored = await h.bot.teamsStore.getPlanCard(planId);
      assert.equal(stored?.activityId, cardCall.id, 'the card message id is stored');
    });

    it('Confirm: the card becomes "importing…" then the result, for everyone; the store changed', async () => {
      const usersBefore = (await h.ctx.store.listUsers(h.companyId)).length;
      const res = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.equal(res.status, 200);
      const answer = res.body as { statusCode: number; type: string; value: unknown };
      assert.equal(answer.statusCode, 200);
      assert.equal(answer.type, 'application/vnd.microsoft.card.adaptive');
      assert.match(cardText(answer.value), /Import completed|Importing…/);
      const importing = await h.connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardCall.id && /Importing…/.test(cardText(cardOf(c))));
      const done = await h.connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardCall.id && /Import completed/.test(cardText(cardOf(c))));
      assert.ok(h.connector.calls.indexOf(importing) < h.connector.calls.indexOf(done));
      assert.equal(JSON.stringify(cardOf(importing)).includes('Action.'), false, 'no buttons while importing');
      const result = cardText(cardOf(done));
      assert.match(result, /Microsoft Entra tenant Contoso Demo \\?\(emulated\\?\)/, 'the result card names the tenant too');
      assert.match(result, /Users created\n188/);
      assert.match(result, /Users updated\n4/);
      assert.match(result, /Users deleted\n1/);
      assert.match(result, /Departments created\n11/);
      assert.match(result, /Confirmed by Alex Wilber/);
      assert.match(result, /Duration\n\d/);
      const users = await h.ctx.store.listUsers(h.companyId);
      assert.equal(usersBefore, 7);
      assert.equal(users.length, 194);
      assert.ok(users.some((u) => u.loginName === 'MiriamG@contoso.onmicrosoft.com'));
      const runs = await h.ctx.store.listRuns(h.companyId);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.confirmedBy, 'AlexW@contoso.onmicrosoft.com');
      assert.equal(runs[0]!.status, 'succeeded');
    });

    it('a double-click after the import answers with the result and imports nothing again', async () => {
      const puts = h.connector.calls.filter((c) => c.method === 'PUT').length;
      const res = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.match(cardText((res.body as { value: unknown }).value), /Import completed/);
      assert.equal((await h.ctx.store.listRuns(h.companyId)).length, 1);
      assert.equal(h.connector.calls.filter((c) => c.method === 'PUT').length, puts);
    });

    it('status lists the import', async () => {
      const before = h.connector.calls.length;
      await h.post(h.activity(ALEX, { type: 'message', text: 'status' }));
      const call = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && /Recent imports/.test(cardText(cardOf(c))));
      assert.match(cardText(cardOf(call)), /188 created · 4 updated · 1 deleted · 11 departments/);
      assert.match(cardText(cardOf(call)), /Confirmed by Alex Wilber/);
    });

    it('anything else gets help', async () => {
      const before = h.connector.calls.length;
      await h.post(h.activity(ALEX, { type: 'message', text: 'what can you do?' }));
      const call = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && cardOf(c) !== null);
      assert.match(cardText(cardOf(call)), /sync directory/);
    });

    it('B7: a plan the schedule made is posted for approval where the last plan card went', async () => {
      h.graph.updateUser(DEMO_USERS.leeGu, { displayName: 'Lee Gu (scheduled)' });
      const reader = createGraphDirectoryReader({ graphBaseUrl: h.graph.baseUrl, tokenProvider: staticTokenProvider('app-token') });
      const plan = await h.ctx.sync.createPlan(h.companyId, reader, { requestedBy: 'schedule', source: 'schedule' });
      const before = h.connector.calls.length;
      assert.equal(await h.bot.postScheduledPlan(plan), true);
      const call = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isPlanCard(c));
      const card = cardOf(call)!;
      assert.equal(planIdOf(card), plan.id);
      assert.match(cardText(card), /scheduled sync/);
      assert.match(cardText(card), /Users to update\n1/);
      assert.equal(call.conversationId, cardCall.conversationId, 'the same conversation as the last plan card');
      assert.equal((await h.bot.teamsStore.getPlanCard(plan.id))?.activityId, call.id, 'its Confirm works like any plan card');
    });
  });

  describe('who may sync (R2, R3) and sign-in failures', () => {
    let h: Harness;
    before(async () => {
      // Megan is linked by login name = UPN (R18), which only the Teams roster tells (the connector serves it).
      h = await startHarness();
    });
    after(async () => h?.close());

    const lastText = async (before: number) =>
      (await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && typeof c.activity.text === 'string' && c.activity.text.length > 0)).activity.text!;

    it('a sender from a tenant no company is linked to is refused, and nothing is read', async () => {
      const before = h.connector.calls.length;
      const foreign = 'ffffffff-0000-4000-8000-000000000000';
      const res = await h.post(
        h.activity(ALEX, { type: 'message', text: 'sync directory', conversation: { id: 'a:foreign', conversationType: 'personal', tenantId: foreign }, channelData: { tenant: { id: foreign } } }),
      );
      assert.equal(res.status, 200);
      assert.match(await lastText(before), /tenant isn't linked to a company/);
      assert.ok(!h.connector.calls.some(isOAuthCard));
      assert.ok(!h.graph.requestLog.some((r) => r.url.startsWith('/v1.0/users')));
    });

    it('a service user who is not a system administrator is refused politely, without a sign-in', async () => {
      const before = h.connector.calls.length;
      await h.post(h.activity(MEGAN, { type: 'message', text: 'sync directory' }));
      assert.match(await lastText(before), /only system administrators of the safety service may sync/);
      assert.ok(!h.connector.calls.some(isOAuthCard));
    });

    it('defect 14: with the Teams roster unreachable, a sender linked only by UPN is told "could not check your account", not "not a service user"', async () => {
      h.connector.membersDown = true;
      try {
        const before = h.connector.calls.length;
        await h.post(h.activity(MEGAN, { type: 'message', text: 'sync directory' }));
        const text = await lastText(before);
        assert.match(text, /couldn't check your account/);
        assert.doesNotMatch(text, /couldn't find you/);
      } finally {
        h.connector.membersDown = false;
      }
    });

    it('a sender the roster does not know (404) and the service does not know is refused as no service user', async () => {
      const before = h.connector.calls.length;
      await h.post(h.activity({ aadObjectId: '00000000-0000-4000-8000-0000000000ee', name: 'Nobody' }, { type: 'message', text: 'sync directory' }));
      assert.match(await lastText(before), /couldn't find you among the users/);
    });

    it('a system administrator without the Entra role (User Administrator only) is refused after SSO; nothing is read', async () => {
      const megan = (await h.ctx.store.listUsers(h.companyId)).find((u) => u.loginName === 'MeganB@contoso.onmicrosoft.com')!;
      await h.ctx.store.updateUser(h.companyId, megan.id, { roles: ['systemAdmin'] }, 'test');
      const before = h.connector.calls.length;
      await h.post(h.activity(MEGAN, { type: 'message', text: 'sync directory' }));
      const oauth = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isOAuthCard(c));
      const token = await h.tokens.signUserToken(MEGAN.aadObjectId);
      const res = await h.post(h.activity(MEGAN, { type: 'invoke', name: 'signin/tokenExchange', value: { id: exchangeIdOf(oauth), token } }));
      assert.equal(res.status, 200);
      assert.match(await lastText(h.connector.calls.length - 1), /Cloud Application Administrator or higher/);
      assert.ok(!h.graph.requestLog.some((r) => r.url.startsWith('/v1.0/users')));
      await h.ctx.store.updateUser(h.companyId, megan.id, { roles: [] }, 'test');
    });

    it('an SSO token of another user is refused (it must be the Teams sender’s)', async () => {
      const before = h.connector.calls.length;
      await h.post(h.activity(ALEX, { type: 'message', text: 'sync directory' }));
      const oauth = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isOAuthCard(c));
      const res = await h.post(h.activity(ALEX, { type: 'invoke', name: 'signin/tokenExchange', value: { id: exchangeIdOf(oauth), token: await h.tokens.signUserToken(MEGAN.aadObjectId) } }));
      assert.equal(res.status, 200);
      assert.match(await lastText(before + 1), /doesn't match your Teams account/);
    });

    it('a token that cannot be exchanged answers 412 (Teams falls back to the sign-in link), and the sign-in stays open', async () => {
      const before = h.connector.calls.length;
      await h.post(h.activity(ALEX, { type: 'message', text: 'sync directory' }));
      const oauth = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isOAuthCard(c));
      const card = oauth.activity.attachments!.find((a) => a.contentType === OAUTH)!.content as { buttons: { type: string; value?: string }[] };
      assert.equal(card.buttons[0]!.type, 'signin');
      assert.equal(card.buttons[0]!.value, 'https://bot.example.test/auth/start', 'the fallback sign-in link');
      const bad = await h.post(h.activity(ALEX, { type: 'invoke', name: 'signin/tokenExchange', value: { id: exchangeIdOf(oauth), token: 'not-a-token' } }));
      assert.equal(bad.status, 412);
      const expired = await h.post(
        h.activity(ALEX, { type: 'invoke', name: 'signin/tokenExchange', value: { id: exchangeIdOf(oauth), token: await h.tokens.signUserToken(ALEX.aadObjectId, { expiresInSeconds: -600 }) } }),
      );
      assert.equal(expired.status, 412);
      // After the fallback sign-in, Teams sends signin/verifyState: the bot asks for SSO again.
      const n = h.connector.calls.length;
      const verify = await h.post(h.activity(ALEX, { type: 'invoke', name: 'signin/verifyState', value: { state: 'signed-in' } }));
      assert.equal(verify.status, 200);
      const again = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= n && isOAuthCard(c));
      assert.notEqual(exchangeIdOf(again), exchangeIdOf(oauth));
    });

    it('the fallback sign-in page redirects to the authority with the app and the access_as_user scope', async () => {
      const res = await fetch(`${h.running.url}/auth/start`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location')!);
      assert.equal(location.origin, h.tokens.url);
      assert.equal(location.pathname, `/${DEMO_TENANT_ID}/oauth2/v2.0/authorize`);
      assert.match(location.searchParams.get('scope')!, /^api:\/\/bot\.example\.test\/botid-.+\/access_as_user/);
      assert.equal(location.searchParams.get('redirect_uri'), 'https://bot.example.test/auth/end');
      const end = await (await fetch(`${h.running.url}/auth/end?code=x&state=y`)).text();
      assert.match(end, /notifySuccess/);
    });

    it('missing admin consent (AADSTS65001) answers with a card holding the admin-consent link', async () => {
      h.tokens.setConsentGranted(false);
      try {
        const before = h.connector.calls.length;
        await h.post(h.activity(ALEX, { type: 'message', text: 'sync directory' }));
        const oauth = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isOAuthCard(c));
        const res = await h.post(h.activity(ALEX, { type: 'invoke', name: 'signin/tokenExchange', value: { id: exchangeIdOf(oauth), token: await h.tokens.signUserToken(ALEX.aadObjectId) } }));
        assert.equal(res.status, 200);
        const call = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) > before && /Admin consent needed/.test(cardText(cardOf(c))));
        const open = ((cardOf(call)!.actions as { type: string; url?: string }[]).find((a) => a.type === 'Action.OpenUrl'))!;
        assert.equal(open.url, `${h.tokens.url}/${DEMO_TENANT_ID}/adminconsent?client_id=${encodeURIComponent(h.tokens.clientId)}`);
      } finally {
        h.tokens.setConsentGranted(true);
      }
    });

    it('signin/failure is answered and explained', async () => {
      const before = h.connector.calls.length;
      const res = await h.post(h.activity(ALEX, { type: 'invoke', name: 'signin/failure', value: { code: 'resourcematchfailed', message: 'Resource match failed' } }));
      assert.equal(res.status, 200);
      assert.match(await lastText(before), /could not sign you in silently \(resourcematchfailed\)/);
    });

    it('card actions with unknown verbs or data that is not a plan id are refused', async () => {
      const unknown = await h.post(h.activity(ALEX, actionInvoke('deleteEverything', { planId: '00000000-0000-4000-8000-000000000000' })));
      assert.equal((unknown.body as { statusCode: number }).statusCode, 400);
      const bad = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId: "1' or 1=1 --" })));
      assert.equal((bad.body as { statusCode: number }).statusCode, 400);
      const missing = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId: '00000000-0000-4000-8000-000000000000' })));
      assert.match(String((missing.body as { value: unknown }).value), /no longer valid/);
    });

    it('refuses with 401: no token, a forged signature, an expired token, another bot’s audience, another serviceUrl', async () => {
      await quietly(async () => {
        const body = h.activity(ALEX, { type: 'message', text: 'sync directory' });
        const before = h.connector.calls.length;
        assert.equal((await h.post(body, null)).status, 401, 'anonymous');
        const forged = await h.channel.sign({ aud: BOT_ID, serviceurl: body.serviceUrl }, { key: 'forged' });
        assert.equal((await h.post(body, `Bearer ${forged}`)).status, 401, 'forged signature');
        const unknownKey = await h.channel.sign({ aud: BOT_ID, serviceurl: body.serviceUrl }, { key: 'forged', kid: 'other' });
        assert.equal((await h.post(body, `Bearer ${unknownKey}`)).status, 401, 'unknown key');
        const expired = await h.channel.sign({ aud: BOT_ID, serviceurl: body.serviceUrl }, { expiresInSeconds: -3600 });
        assert.equal((await h.post(body, `Bearer ${expired}`)).status, 401, 'expired');
        const otherBot = await h.channel.sign({ aud: 'another-bot', serviceurl: body.serviceUrl });
        assert.equal((await h.post(body, `Bearer ${otherBot}`)).status, 401, 'audience');
        const otherService = await h.channel.sign({ aud: BOT_ID, serviceurl: 'https://smba.trafficmanager.net/evil/' });
        assert.equal((await h.post(body, `Bearer ${otherService}`)).status, 401, 'serviceUrl claim');
        assert.equal((await h.post(body, 'Bearer garbage')).status, 401, 'not a JWT');
        assert.equal(h.connector.calls.length, before, 'nothing was answered');
      });
    });

    it('with BOT_ID unset outside demo mode, the endpoint refuses everything', async () => {
      const closed = await startHarness({ overrides: { auth: { botId: '' } } });
      try {
        const res = await closed.post(closed.activity(ALEX, { type: 'message', text: 'help' }), null);
        assert.equal(res.status, 401);
        assert.equal(closed.connector.calls.length, 0);
      } finally {
        await closed.close();
      }
    });
  });

  describe('card clicks: cancel, expired, stale, non-admin, second admin, deletion guard', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(async () => h?.close());

    const putsOn = (id: string) => h.connector.calls.filter((c) => c.method === 'PUT' && c.activityId === id);

    it('Cancel replaces the card with "cancelled by NAME" and settles the plan', async () => {
      const { cardCall, planId } = await planAs(h, ALEX);
      const res = await h.post(h.activity(ALEX, actionInvoke('cancelImport', { planId }, cardCall.id)));
      assert.match(cardText((res.body as { value: unknown }).value), /Cancelled by Alex Wilber/);
      const put = await h.connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardCall.id);
      assert.match(cardText(cardOf(put)), /Cancelled by Alex Wilber[\s\S]*Nothing was changed/);
      assert.equal((await h.ctx.store.findPlan(planId))?.status, 'cancelled');
      const late = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.match(cardText((late.body as { value: unknown }).value), /Cancelled by Alex Wilber/);
      assert.equal((await h.ctx.store.listRuns(h.companyId)).length, 0);
    });

    it('an expired plan says so, changes nothing and offers to plan again', async () => {
      const { cardCall, planId } = await planAs(h, ALEX);
      await h.ctx.store.db.query(`update plans set expires_at = now() - interval '1 minute' where id = $1`, [planId]);
      const res = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId }, cardCall.id)));
      const answer = (res.body as { value: Record<string, unknown> }).value;
      assert.match(cardText(answer), /This plan has expired[\s\S]*Nothing was changed/);
      assert.deepEqual((answer.actions as { type: string; data: unknown }[]).map((a) => [a.type, a.data]), [
        ['Action.Submit', { msteams: { type: 'imBack', value: 'sync directory' } }],
      ]);
      assert.equal(putsOn(cardCall.id).length, 1, 'replaced for everyone');
      assert.equal((await h.ctx.store.listRuns(h.companyId)).length, 0);
    });

    it('a stale plan (the service changed after planning) says so and changes nothing', async () => {
      const { cardCall, planId } = await planAs(h, ALEX);
      const someone = (await h.ctx.store.listUsers(h.companyId)).find((u) => u.loginName.startsWith('bousai'))!;
      await h.ctx.store.updateUser(h.companyId, someone.id, { memo: 'edited in the service' }, 'test');
      const res = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.match(cardText((res.body as { value: unknown }).value), /This plan is out of date[\s\S]*Nothing was changed/);
      assert.equal((await h.ctx.store.findPlan(planId))?.status, 'stale');
      assert.equal((await h.ctx.store.listRuns(h.companyId)).length, 0);
    });

    it('a click from someone who is not a system administrator is refused to them only', async () => {
      const { cardCall, planId } = await planAs(h, ALEX);
      const res = await h.post(h.activity(MEGAN, actionInvoke('confirmImport', { planId }, cardCall.id)));
      const answer = res.body as { type: string; value: string };
      assert.equal(answer.type, 'application/vnd.microsoft.activity.message');
      assert.match(answer.value, /only system administrators/);
      assert.equal(putsOn(cardCall.id).length, 0, 'the card is unchanged for everyone');
      assert.equal((await h.ctx.store.findPlan(planId))?.status, 'pending');
      // Leave it cancelled for the next test.
      await h.post(h.activity(ALEX, actionInvoke('cancelImport', { planId }, cardCall.id)));
    });

    it('a card left "importing" by a stopped instance says the import was interrupted and nothing changed', async () => {
      const { cardCall, planId } = await planAs(h, ALEX);
      // As if another instance took the click and died mid-import (its transaction rolled back).
      await h.ctx.store.db.query(
        `update teams_plan_cards set state = 'importing', acted_by = 'AlexW@contoso.onmicrosoft.com', acted_by_name = 'Alex Wilber',
                acted_at = now() - interval '2 hours' where plan_id = $1`,
        [planId],
      );
      const res = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.match(cardText((res.body as { value: unknown }).value), /Import failed[\s\S]*interrupted[\s\S]*Nothing was changed/);
      assert.equal(putsOn(cardCall.id).length, 1);
      assert.equal((await h.ctx.store.listRuns(h.companyId)).length, 0);
      await h.ctx.store.db.query(`update plans set status = 'cancelled' where id = $1`, [planId]);
    });

    it('defect: every plan after the first said "0 users read": a delta read shows the directory size and the changes read', async () => {
      // A first plan reads the whole directory; the next one only the changes (delta).
      const first = await planAs(h, ALEX);
      await h.post(h.activity(ALEX, actionInvoke('cancelImport', { planId: first.planId }, first.cardCall.id)));
      const { card } = await planAs(h, ALEX);
      const text = cardText(card);
      assert.doesNotMatch(text, /\b0 users read/);
      assert.match(text, /Requested by Alex Wilber · 200 users in Entra ID · \d+ changes? read/);
      const plan = (await h.ctx.store.findPlan(planIdOf(card)))!;
      assert.equal(plan.summary.directoryUsers, 200);
      assert.equal(typeof plan.summary.changesRead, 'number');
      await h.post(h.activity(ALEX, actionInvoke('cancelImport', { planId: plan.id }, undefined)));
    });

    it('defect: a Japanese card answered its button in English: the click carries en-US (Agents Playground), the answer stays Japanese', async () => {
      const { cardCall, card, planId } = await planAs(h, ALEX, 'ja-JP');
      assert.match(cardText(card), /読み込み内容の確認/);
      // The Playground (and some clients) send en-US on every invoke, whatever the card's language.
      const res = await h.post(h.activity(ALEX, { ...actionInvoke('cancelImport', { planId, lang: 'ja' }, cardCall.id), locale: 'en-US' }));
      const text = cardText((res.body as { value: unknown }).value);
      assert.match(text, /Alex Wilber さんが読み込みをキャンセルしました/);
      assert.doesNotMatch(text, /Cancelled by/);
      // Without lang in the data (a card sent before), the stored card language decides.
      const again = await h.post(h.activity(ALEX, { ...actionInvoke('confirmImport', { planId }, cardCall.id), locale: 'en-US' }));
      assert.match(cardText((again.body as { value: unknown }).value), /キャンセルしました/);
    });

    it('superseded: a newer plan card turns the older one read-only for everyone; its Confirm and refresh answer "replaced"', async () => {
      const older = await planAs(h, ALEX);
      const runsBefore = (await h.ctx.store.listRuns(h.companyId)).length;
      const newer = await planAs(h, ALEX);
      // The older card is updated for everyone, without a Confirm.
      const put = await h.connector.waitFor((c) => c.method === 'PUT' && c.activityId === older.cardCall.id);
      const replaced = cardOf(put)!;
      assert.match(cardText(replaced), /replaced by a newer one/);
      assert.ok(!JSON.stringify(replaced).includes('confirmImport'));
      // A click that raced the update, and Teams' automatic refresh, get the same read-only card.
      const click = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId: older.planId }, older.cardCall.id)));
      assert.match(cardText((click.body as { value: unknown }).value), /replaced by a newer one/);
      const refresh = await h.post(h.activity(ALEX, { ...actionInvoke('refresh', { planId: older.planId, lang: 'en' }, older.cardCall.id), value: { action: { type: 'Action.Execute', verb: 'refresh', data: { planId: older.planId, lang: 'en' } }, trigger: 'automatic' } }));
      const refreshed = (refresh.body as { value: unknown }).value;
      assert.match(cardText(refreshed), /replaced by a newer one/);
      assert.equal((await h.ctx.store.listRuns(h.companyId)).length, runsBefore, 'nothing was applied');
      // The newest card refreshes to itself, Confirm included.
      const current = await h.post(h.activity(ALEX, actionInvoke('refresh', { planId: newer.planId, lang: 'en' }, newer.cardCall.id)));
      assert.ok(JSON.stringify((current.body as { value: unknown }).value).includes('"verb":"confirmImport"'));
      await h.post(h.activity(ALEX, actionInvoke('cancelImport', { planId: newer.planId }, newer.cardCall.id)));
    });

    it('a second admin is asked to sign in (Universal Actions login request), then confirms', async () => {
      await h.ctx.store.createUser(
        h.companyId,
        { loginName: 'admin@contoso.onmicrosoft.com', password: 'Second#Admin2026', name: 'MOD Administrator', roles: ['systemAdmin'], entraObjectId: MOD.aadObjectId },
        'test',
      );
      const { cardCall, planId } = await planAs(h, ALEX);
      const first = await h.post(h.activity(MOD, actionInvoke('confirmImport', { planId }, cardCall.id)));
      const login = first.body as { statusCode: number; type: string; value: { tokenExchangeResource: { id: string } } };
      assert.equal(login.statusCode, 401);
      assert.equal(login.type, 'application/vnd.microsoft.activity.loginRequest');
      const token = await h.tokens.signUserToken(MOD.aadObjectId);
      const second = await h.post(
        h.activity(MOD, actionInvoke('confirmImport', { planId }, cardCall.id, { authentication: { id: login.value.tokenExchangeResource.id, connectionName: '', token } })),
      );
      assert.match(cardText((second.body as { value: unknown }).value), /Import completed|Importing…/);
      const done = await h.connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardCall.id && /Import completed/.test(cardText(cardOf(c))));
      assert.match(cardText(cardOf(done)), /Confirmed by MOD Administrator/);
      const runs = await h.ctx.store.listRuns(h.companyId);
      assert.equal(runs[0]!.confirmedBy, 'admin@contoso.onmicrosoft.com');
      // Alex's click on the same card now only shows the result.
      const alex = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.match(cardText((alex.body as { value: unknown }).value), /Import completed/);
      assert.equal((await h.ctx.store.listRuns(h.companyId)).length, 1);
    });

    it('deletions above the threshold need the toggle ticked (B2), in Japanese for a ja-JP admin', async () => {
      await h.ctx.store.updateSettings(h.companyId, { deletionThreshold: 0 });
      const gone = (await h.ctx.store.listUsers(h.companyId)).find((u) => u.loginName.startsWith('Lee'))!;
      h.graph.removeUser(gone.entraObjectId!);
      const { cardCall, card, planId } = await planAs(h, ALEX, 'ja-JP');
      const text = cardText(card);
      assert.match(text, /読み込み内容の確認/);
      assert.match(text, /削除するユーザー\n1/);
      const toggle = (card.body as { type: string; id?: string; isRequired?: boolean }[]).find((e) => e.type === 'Input.Toggle')!;
      assert.equal(toggle.id, 'confirmDeletions');
      assert.equal(toggle.isRequired, true);
      const unticked = await h.post(h.activity(ALEX, { ...actionInvoke('confirmImport', { planId, confirmDeletions: 'false' }, cardCall.id), locale: 'ja-JP' }));
      assert.match(cardText((unticked.body as { value: unknown }).value), /削除ガードのチェックボックスをオンにしてください/);
      assert.equal(putsOn(cardCall.id).length, 0);
      const ticked = await h.post(h.activity(ALEX, { ...actionInvoke('confirmImport', { planId, confirmDeletions: 'true' }, cardCall.id), locale: 'ja-JP' }));
      assert.equal((ticked.body as { statusCode: number }).statusCode, 200);
      const done = await h.connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardCall.id && /Microsoft Entra ID 読み込みは正常に完了しました。/.test(cardText(cardOf(c))));
      assert.match(cardText(cardOf(done)), /削除したユーザー\n1/);
      assert.ok(!(await h.ctx.store.listUsers(h.companyId)).some((u) => u.id === gone.id));
    });
  });

  describe('a sign-in that expires during a long read', () => {
    let h: Harness;
    before(async () => {
      // Graph tokens live 121 s (msal renews them at once), the SSO token 3 s, the read takes ~4 s.
      h = await startHarness({ graphLatencyMs: 700, graphDeltaPageSize: 40, accessTokenLifetimeSeconds: 121, overrides: { graphPageSize: 40 } });
    });
    after(async () => h?.close());

    it('stops, changes nothing and asks for a new sign-in', async () => {
      const before = h.connector.calls.length;
      await h.post(h.activity(ALEX, { type: 'message', text: 'sync directory' }));
      const oauth = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && isOAuthCard(c));
      const token = await h.tokens.signUserToken(ALEX.aadObjectId, { expiresInSeconds: 3 });
      const res = await h.post(h.activity(ALEX, { type: 'invoke', name: 'signin/tokenExchange', value: { id: exchangeIdOf(oauth), token } }));
      assert.equal(res.status, 200);
      const again = await h.connector.waitFor((c) => h.connector.calls.indexOf(c) > before + 1 && isOAuthCard(c), 20_000);
      assert.match(again.activity.text ?? '', /sign-in expired while the directory was being read/);
      assert.ok(!h.connector.calls.some(isPlanCard));
      assert.equal((await h.ctx.store.listPlans(h.companyId)).length, 0);
    });
  });
});

describe('Teams bot when the database is down (defect 14)', function () {
  this.timeout(60_000);
  let h: Harness;
  const logged: { event: string; reason?: string; code?: string }[] = [];
  before(async () => {
    h = await startHarness({ log: createLogger('warn', (line) => logged.push(JSON.parse(line) as { event: string })) });
  });
  after(async () => {
    // The store is closed by the test; close the rest.
    await h?.bot.close();
    await h?.running.close();
    await Promise.all([h?.connector.close(), h?.channel.close(), h?.tokens.close(), h?.graph.close()]);
  });

  let planned: { cardCall: ConnectorCall; planId: string };
  it('plans while the database is up', async () => {
    planned = await planAs(h, ALEX);
  });

  it('defect 14: with the database closed, `sync directory` answers "could not check your account, try again", never a refusal', async () => {
    await h.ctx.store.close(); // the real database goes away under the running bot
    const before = h.connector.calls.length;
    const res = await h.post(h.activity(ALEX, { type: 'message', text: 'sync directory' }));
    assert.equal(res.status, 200);
    const reply = (await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= before && typeof c.activity.text === 'string' && c.activity.text.length > 0)).activity.text!;
    assert.match(reply, /couldn't check your account/);
    assert.doesNotMatch(reply, /tenant isn't linked|couldn't find you|only system administrators/);
    assert.ok(!h.connector.calls.slice(before).some(isOAuthCard), 'no sign-in is asked for');
    assert.ok(logged.some((l) => l.event === 'access.check_failed' && l.reason === 'STORE_UNAVAILABLE'), 'the outage is logged with a code');
    // The same in Japanese.
    const beforeJa = h.connector.calls.length;
    await h.post(h.activity(ALEX, { type: 'message', text: 'ディレクトリ同期', locale: 'ja-JP' }));
    const ja = (await h.connector.waitFor((c) => h.connector.calls.indexOf(c) >= beforeJa && typeof c.activity.text === 'string' && c.activity.text.length > 0)).activity.text!;
    assert.match(ja, /アカウントを確認できなかった/);
  });

  it('defect 14: with the database closed, a Confirm click answers "could not check your account", not a refusal or a dead card', async () => {
    const res = await h.post(h.activity(ALEX, actionInvoke('confirmImport', { planId: planned.planId }, planned.cardCall.id)));
    assert.equal(res.status, 200);
    const text = String((res.body as { value: unknown }).value);
    assert.match(text, /couldn't check your account/);
  });
});

describe('Teams bot in demo mode (npm start / the Agents Playground): anonymous, emulated SSO', function () {
  this.timeout(60_000);

  it('the real wiring accepts unsigned activities, reads the emulated tenant on-behalf-of and imports on Confirm', async () => {
    const { createContext, startServer } = await import('../../src/app.ts');
    const { loadConfig } = await import('../../src/config.ts');
    const { silentLogger } = await import('../../src/log.ts');
    const { seedDemoCompany, startDemoTenant } = await import('../../src/devtools/demo.ts');
    const { extraRegistrars } = await import('../../src/wiring.ts');
    const { startLocalConnector } = await import('./helpers/connector.ts');
    const tenant = await startDemoTenant();
    const ctx = await createContext(
      loadConfig({ DATABASE_URL: 'memory:', PORT: '0', SAFETY_API_KEY: 'demo-test-api-key-0123', GRAPH_BASE_URL: tenant.graphBaseUrl, GRAPH_ACCESS_TOKEN: 'demo-emulated-tenant' }),
      silentLogger,
    );
    const { company } = await seedDemoCompany(ctx.store);
    const running = await startServer(ctx, extraRegistrars(ctx, { demo: true }));
    const connector = await startLocalConnector();
    try {
      const activity = (fields: Record<string, unknown>) => ({
        channelId: 'msteams',
        serviceUrl: connector.url,
        id: `in-${Math.random()}`,
        from: { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: DEMO_ADMIN_OBJECT_ID },
        recipient: { id: 'bot', name: 'Test Bot' },
        conversation: { id: 'personal-chat', conversationType: 'personal', tenantId: DEMO_TENANT_ID },
        channelData: { tenant: { id: DEMO_TENANT_ID } },
        locale: 'en-US',
        ...fields,
      });
      const post = (body: unknown) =>
        fetch(`${running.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal((await post(activity({ type: 'message', text: 'sync directory' }))).status, 200);
      const cardCall = await connector.waitFor(isPlanCard);
      assert.ok(!connector.calls.some(isOAuthCard), 'no sign-in in the demo');
      assert.equal(cardCall.authorization, null, 'no bot credentials in the demo');
      const planId = planIdOf(cardOf(cardCall));
      const res = await post(activity(actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.equal(res.status, 200);
      await connector.waitFor((c) => c.method === 'PUT' && /Import completed/.test(cardText(cardOf(c))));
      assert.equal((await ctx.store.listUsers(company.id)).length, 194);
    } finally {
      await running.close();
      await ctx.store.close();
      await connector.close();
      await tenant.close();
    }
  });
});
