/**
 * Every card the bot can send:
 * - validates against a local Adaptive Cards 1.5 JSON schema subset (tests/teams/schemas; the published
 *   schema cannot be downloaded here and no installed package ships it) with ajv, strictly;
 * - parses with the adaptivecards package's own parser targeting 1.5 without a single parse or
 *   validation event;
 * - keeps Action.Execute to the known verbs with a uuid planId;
 * - stays under Teams' 28 KB message limit, also for a 100,000-user tenant;
 * - is rendered by the adaptivecards package in headless Chromium to test-artifacts/cards/*.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { CardFactory } from 'botbuilder';
import { byteSize, TEAMS_MESSAGE_LIMIT_BYTES, TEMPLATE_NAMES, planCard } from '../../src/teams/cards.ts';
import { CARD_VERBS, CardActionDataSchema } from '../../src/teams/bot.ts';
import { allCards, hugePlan, TAB_URL, type NamedCard } from './fixtures/cards.ts';
import { cardText } from './helpers/connector.ts';
import { CHROMIUM_PATH, skipWithoutChromium } from '../helpers/chromium.ts';

const require = createRequire(import.meta.url);
const AC = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const schema = JSON.parse(readFileSync(new URL('./schemas/adaptive-card-1.5.subset.schema.json', import.meta.url), 'utf8')) as object;

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(schema);

/**
 * adaptivecards 3.0.x declares the `lang` pattern with the /g flag, so RegExp.exec alternates between
 * match and no match on consecutive cards ("Invalid value "en" for property "lang"" every other card).
 * Reset it before each parse: the value is valid, the package's regex is stateful.
 */
function resetLangPattern(): void {
  const prop = (AC.CardElement as unknown as { langProperty?: { regEx?: RegExp } }).langProperty;
  if (prop?.regEx) prop.regEx.lastIndex = 0;
}

function parserIssues(card: unknown): string[] {
  resetLangPattern();
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  parsed.parse(card, context);
  const issues: string[] = [];
  for (let i = 0; i < context.eventCount; i++) issues.push(`parse: ${context.getEventAt(i).message}`);
  for (const e of parsed.validateProperties().validationEvents) issues.push(`validate: ${e.message}`);
  return issues;
}

function actionsOf(card: unknown): { type: string; verb?: string; data?: unknown }[] {
  const out: { type: string; verb?: string; data?: unknown }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string' && o.type.startsWith('Action.')) out.push(o as { type: string });
      // The Universal Actions `refresh` is not a button: checked on its own (refreshOf).
      for (const [k, x] of Object.entries(o)) if (k !== 'refresh') walk(x);
    }
  };
  walk(card);
  return out;
}

function refreshOf(card: unknown): { action: { type: string; verb?: string; data?: unknown }; userIds?: string[] } | undefined {
  return (card as { refresh?: { action: { type: string; verb?: string; data?: unknown }; userIds?: string[] } }).refresh;
}

const planIdOf = (card: unknown) => /"planId":"([0-9a-f-]{36})"/.exec(JSON.stringify(card))![1]!;

const messageBytes = (card: unknown) => byteSize({ type: 'message', attachments: [CardFactory.adaptiveCard(card)] });

describe('Teams cards', function () {
  this.timeout(60_000);
  const cards: NamedCard[] = allCards();

  it('the templates are JSON files, one per card', () => {
    const files = readdirSync(new URL('../../src/teams/cards/', import.meta.url)).filter((f) => f.endsWith('.json'));
    assert.deepEqual(files.map((f) => f.replace(/\.json$/, '')).sort(), [...TEMPLATE_NAMES].sort());
  });

  for (const { name, card } of allCards()) {
    it(`${name}: valid Adaptive Card 1.5 (local schema subset + adaptivecards parser), known verbs, under 28 KB`, () => {
      assert.ok(validate(card), `${name}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
      assert.deepEqual(parserIssues(card), [], name);
      const refresh = refreshOf(card);
      for (const a of [...actionsOf(card), ...(refresh ? [refresh.action] : [])]) {
        if (a.type !== 'Action.Execute') continue;
        assert.ok((CARD_VERBS as readonly string[]).includes(a.verb!), `${name}: verb ${a.verb}`);
        assert.ok(CardActionDataSchema.safeParse(a.data).success, `${name}: data ${JSON.stringify(a.data)}`);
      }
      assert.ok(messageBytes(card) < TEAMS_MESSAGE_LIMIT_BYTES, `${name}: ${messageBytes(card)} bytes`);
    });
  }

  it('the schema subset is strict: a typo, an unknown element and a leftover ${expression} are refused', () => {
    const ok = cards[0]!.card;
    const typo = JSON.parse(JSON.stringify(ok).replace('"wrap":true', '"warp":true')) as unknown;
    assert.equal(validate(typo), false);
    assert.equal(validate({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Input.Rating', id: 'x' }] }), false);
    assert.equal(validate({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'Hello ${name}' }] }), false);
  });

  it('Confirm is absent when the plan has errors; every error carries its remedy', () => {
    const withErrors = cards.find((c) => c.name === 'plan-errors-en')!.card;
    assert.deepEqual(actionsOf(withErrors).filter((a) => a.type === 'Action.Execute').map((a) => a.verb), ['cancelImport']);
    const text = cardText(withErrors);
    assert.match(text, /The email address info@contoso\.com would be shared by bousai\.tantou, JohannaL@contoso\.onmicrosoft\.com\.\nFix: remove the address from one of them in the safety service or in Entra ID\./);
    assert.match(text, /退職 太郎 \(taro\.taishoku@contoso\.onmicrosoft\.com\) was removed from Entra ID but cannot be deleted: they are the system administrator and the scheduled-send responsible\.\nFix: remove the role in the safety service first\./);
    assert.match(text, /more than its limit of 150/);
    const plain = cards.find((c) => c.name === 'plan-en')!.card;
    assert.deepEqual(actionsOf(plain).filter((a) => a.type === 'Action.Execute').map((a) => a.verb), ['confirmImport', 'cancelImport']);
    const ja = cardText(cards.find((c) => c.name === 'plan-errors-ja')!.card);
    assert.match(ja, /対処: 先に安否確認サービスでその権限を外してください。/);
  });

  it('defect: blocking errors came last, after the counts and samples: they are right under the title', () => {
    for (const lang of ['en', 'ja'] as const) {
      const card = cards.find((c) => c.name === `plan-errors-${lang}`)!.card;
      const body = card.body as { type: string; id?: string; style?: string }[];
      const order = body.map((e) => e.id ?? e.type);
      // Title block first, then the errors, then the counts (summary) and the samples.
      assert.equal(order[0], 'Container');
      assert.equal(order[1], 'errors', `${lang}: ${order.join(',')}`);
      assert.ok(order.indexOf('errors') < order.indexOf('summary'), order.join(','));
      assert.equal(body[1]!.style, 'attention');
      const text = cardText(card);
      const errorsAt = text.indexOf(lang === 'en' ? 'Blocking errors' : '読み込みを止めるエラー');
      const samplesAt = text.indexOf(lang === 'en' ? 'New users (' : '作成するユーザー (');
      assert.ok(errorsAt > 0 && samplesAt > errorsAt, `${lang}: errors at ${errorsAt}, samples at ${samplesAt}`);
    }
  });

  it('readable contrast: no grey (subtle) text and no coloured text on coloured containers', () => {
    for (const { name, card } of cards) {
      const json = JSON.stringify(card);
      assert.ok(!json.includes('"isSubtle":true'), `${name}: subtle text`);
      const walk = (v: unknown, styled: boolean): void => {
        if (Array.isArray(v)) return v.forEach((x) => walk(x, styled));
        if (!v || typeof v !== 'object') return;
        const o = v as Record<string, unknown>;
        const here = styled || (o.type === 'Container' && typeof o.style === 'string' && o.style !== 'default' && o.style !== 'emphasis');
        if (here && o.type === 'TextBlock') assert.ok(o.color === undefined || o.color === 'Default', `${name}: ${String(o.color)} text on a coloured container`);
        for (const x of Object.values(o)) walk(x, here);
      };
      walk(card, false);
    }
  });

  it('defect: a plan with nothing to change offered Confirm: it says "already up to date", without Confirm', () => {
    for (const lang of ['en', 'ja'] as const) {
      const card = cards.find((c) => c.name === `plan-nothing-${lang}`)!.card;
      assert.deepEqual(actionsOf(card).filter((a) => a.type === 'Action.Execute'), [], lang);
      assert.match(cardText(card), lang === 'en' ? /Already up to date/ : /変更はありません（最新の状態です）/);
      const body = card.body as { id?: string; style?: string }[];
      assert.equal(body.find((e) => e.id === 'upToDate')?.style, 'good');
    }
  });

  it('defect: "0 users read" after a delta read: the card shows the directory size and the changes read', () => {
    const full = cardText(cards.find((c) => c.name === 'plan-en')!.card);
    assert.match(full, /Requested by Alex Wilber · 200 users in Entra ID \(read in 1\.8 s\)/);
    const delta = cardText(cards.find((c) => c.name === 'plan-nothing-en')!.card);
    assert.match(delta, /201 users in Entra ID · 3 changes read/);
    const ja = cardText(cards.find((c) => c.name === 'plan-nothing-ja')!.card);
    assert.match(ja, /Entra ID から取得したユーザー: 201 人・Entra ID から取得した変更: 3 件/);
  });

  it('defect: the subtitle named the linked tenant by its id (a GUID); every card of a plan whose tenant name was read names it, in both languages, with no GUID shown', () => {
    const GUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}\b/i;
    for (const lang of ['en', 'ja'] as const) {
      for (const kind of ['plan', 'plan-errors', 'plan-deletion-guard', 'plan-nothing', 'importing', 'result', 'failed', 'cancelled', 'expired', 'stale', 'superseded']) {
        const text = cardText(cards.find((c) => c.name === `${kind}-${lang}`)!.card);
        assert.match(text, lang === 'ja' ? /Contoso Demo・Microsoft Entra ID テナント Contoso/ : /Contoso Demo · Microsoft Entra tenant Contoso/, `${kind}-${lang}`);
        assert.doesNotMatch(text, GUID, `${kind}-${lang}`);
      }
      // Not read (Graph failed, or a plan stored before names were recorded): the id, never an empty subtitle.
      const unnamed = cardText(cards.find((c) => c.name === `plan-tenant-unnamed-${lang}`)!.card);
      assert.match(unnamed, /00000000-0000-0000-0000-0000000000001/);
    }
  });

  it('every plan card links to the Safety Sync tab and asks Teams for its current state (refresh)', () => {
    for (const lang of ['en', 'ja'] as const) {
      const card = cards.find((c) => c.name === `plan-${lang}`)!.card;
      const open = actionsOf(card).find((a) => a.type === 'Action.OpenUrl') as unknown as { title: string; url: string };
      assert.equal(open.url, TAB_URL);
      assert.equal(open.title, lang === 'en' ? 'Open in Safety Sync tab' : 'Safety Sync タブで開く');
      const refresh = refreshOf(card)!;
      assert.deepEqual(refresh.action.data, { planId: planIdOf(card), lang });
      assert.deepEqual(refresh.userIds, ['29:alex']);
    }
  });

  it('the Japanese cards use the glossary: no raw ids, no translated-sounding leftovers', () => {
    for (const { name, card } of cards.filter((c) => c.name.endsWith('-ja'))) {
      const text = cardText(card);
      for (const bad of [/追加するユーザー/, /取り込み/, /計画/, /undefined/, /\bnull\b/, /NaN/, /autoSendResponsible|scheduledSendResponsible|systemAdmin|entraObjectId|\bemail\b|loginName/, /level \d/]) {
        assert.doesNotMatch(text, bad, `${name}: ${bad}`);
      }
    }
  });

  it('the deletion guard is a required toggle, and Cancel does not need it', () => {
    const card = cards.find((c) => c.name === 'plan-deletion-guard-en')!.card;
    const toggle = (card.body as Record<string, unknown>[]).find((e) => e.type === 'Input.Toggle')!;
    assert.equal(toggle.isRequired, true);
    assert.equal(toggle.valueOn, 'true');
    const [confirm, cancel] = actionsOf(card) as { associatedInputs?: string }[];
    assert.equal(confirm!.associatedInputs, 'auto');
    assert.equal(cancel!.associatedInputs, 'none');
  });

  it('names from Entra cannot inject markdown links or date functions', () => {
    const card = planCard(
      {
        ...hugePlanLite(),
        changes: {
          createDepartments: [],
          updateUsers: [],
          deleteUsers: [],
          createUsers: [{ entraObjectId: 'x', loginName: 'x@x', name: '[click](https://evil.example) {{DATE(2020-01-01T00:00:00Z)}}', email: null, phone: null, departmentCode: null }],
        },
      },
      { lang: 'en', companyName: 'C', requestedByName: 'A', readMs: 1 },
    );
    const text = cardText(card);
    assert.ok(!text.includes('[click](https'), text);
    assert.ok(!text.includes('{{DATE(2020'), text);
  });

  for (const length of [1000, 10_000]) {
    it(`defect 9: ${length.toLocaleString('en')}-character names, departments and messages keep every card under 28 KB`, () => {
      const long = (c: string) => c.repeat(length);
      const userOf = (i: number) => ({ loginName: `${long('l')}${i}@contoso.com`, name: `${long('名')}${i}` });
      const plan = {
        ...hugePlanLite(),
        tenantName: long('テ'),
        summary: { ...hugePlanLite().summary, usersToCreate: 5, usersToUpdate: 5, usersToDelete: 5, departmentsToCreate: 5 },
        changes: {
          createDepartments: [0, 1, 2, 3, 4].map((i) => ({ code: `${long('部')}${i}`, name: `${long('部')}${i}`, level: 2 as const })),
          createUsers: [0, 1, 2, 3, 4].map((i) => ({ entraObjectId: `e${i}`, ...userOf(i), email: null, phone: long('0'), departmentCode: long('部') })),
          updateUsers: [0, 1, 2, 3, 4].map((i) => ({
            userId: `u${i}`,
            entraObjectId: `e${i}`,
            loginName: userOf(i).loginName,
            linkedBy: 'R17' as const,
            fields: { name: { from: long('a'), to: long('b') } },
          })),
          deleteUsers: [0, 1, 2, 3, 4].map((i) => ({ userId: `d${i}`, ...userOf(i), entraObjectId: `x${i}` })),
        },
        errors: [
          { code: 'DUPLICATE_EMAIL', message: 'x', email: 'shared@x.jp', users: Array.from({ length: 1000 }, (_, j) => userOf(j)) },
          ...Array.from({ length: 60 }, (_, i) => ({ code: 'DUPLICATE_EMAIL', message: long('m'), email: `${long('e')}@x.jp`, users: [0, 1, 2, 3, 4, 5, 6, 7].map((j) => userOf(i * 10 + j)) })),
          ...Array.from({ length: 60 }, (_, i) => ({ code: 'UNDELETABLE_USER', message: long('m'), ...userOf(i), roles: ['systemAdmin'] })),
          { code: 'SOMETHING_NEW', message: long('m') },
        ],
        warnings: [
          ...Array.from({ length: 20 }, (_, i) => ({ code: 'EMAIL_KEPT', message: long('w'), ...userOf(i) })),
          ...Array.from({ length: 20 }, (_, i) => ({ code: 'DIRECTORY_VALUE_ADJUSTED', message: long('w'), displayName: long('n'), userPrincipalName: userOf(i).loginName, entraObjectId: `e${i}`, fields: [] })),
          { code: 'DEPARTMENT_REUSED', message: long('w'), departmentCode: long('部') },
          { code: 'SOMETHING_ELSE', message: long('w') },
        ],
      } as unknown as Parameters<typeof planCard>[0];
      for (const lang of ['en', 'ja'] as const) {
        const ctx = { lang, companyName: long('社'), requestedByName: long('依'), readMs: 1, notice: long('注') };
        const card = planCard(plan, ctx);
        assert.ok(validate(card), ajv.errorsText(validate.errors));
        assert.deepEqual(parserIssues(card), []);
        assert.ok(messageBytes(card) < TEAMS_MESSAGE_LIMIT_BYTES, `${lang}: ${messageBytes(card)} bytes`);
        const text = cardText(card);
        assert.match(text, /名名名/, 'names are shown, cut');
        assert.ok(text.includes('…'), 'a cut text says so');
      }
    });
  }

  it('a 100,000-user tenant: counts and samples only, valid, under 28 KB with thousands of errors', function () {
    this.timeout(120_000);
    const plan = hugePlan();
    assert.equal(plan.summary.usersToCreate + plan.summary.usersToUpdate + plan.summary.usersUnchanged, 100_000);
    assert.ok(plan.errors.length >= 3000, `errors: ${plan.errors.length}`);
    for (const lang of ['en', 'ja'] as const) {
      const card = planCard(plan, { lang, companyName: 'Contoso Holdings', requestedByName: 'Alex Wilber', readMs: 41_300 });
      assert.ok(validate(card), ajv.errorsText(validate.errors));
      assert.deepEqual(parserIssues(card), []);
      const bytes = messageBytes(card);
      assert.ok(bytes < TEAMS_MESSAGE_LIMIT_BYTES, `${lang}: ${bytes} bytes`);
      const text = cardText(card);
      assert.match(text, lang === 'en' ? /more errors; the full list is in the Safety Sync tab/ : /すべてのエラーは Safety Sync タブで確認できます/);
      assert.match(text, lang === 'en' ? /Users to create\n40,000/ : /作成するユーザー\n40,000/);
    }
  });

  describe('rendered by the adaptivecards package in headless Chromium (test-artifacts/cards/*.png)', () => {
    const executablePath = CHROMIUM_PATH;
    let browser: import('playwright-core').Browser | undefined;
    const outDir = `${ROOT}test-artifacts/cards`;

    before(async function () {
      skipWithoutChromium(this);
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      });
      mkdirSync(outDir, { recursive: true });
    });
    after(async () => browser?.close());

    it('renders every card to a PNG without errors, with its buttons', async function () {
      const context = await browser!.newContext({ viewport: { width: 560, height: 900 }, deviceScaleFactor: 1, timezoneId: 'Asia/Tokyo', locale: 'en-US' });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
      await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>
        body { margin: 0; padding: 16px; background: #f5f5f5; font-family: "Segoe UI", "DejaVu Sans", "Noto Sans CJK JP", "IPAPGothic", sans-serif; }
        #card { width: 480px; background: #fff; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.15); overflow: hidden; }
        .ac-pushButton { border: 1px solid #c8c8c8; background: #fff; border-radius: 4px; padding: 6px 12px; font-weight: 600; cursor: pointer; }
        .ac-pushButton.style-positive { background: #5b5fc7; color: #fff; border-color: #5b5fc7; }
      </style></head><body><div id="card"></div></body></html>`);
      await page.addScriptTag({ path: require.resolve('adaptivecards/dist/adaptivecards.min.js') });
      for (const { name, card } of cards) {
        const result = await page.evaluate(
          ({ card, hostConfig }) => {
            const ACW = (window as unknown as { AdaptiveCards: typeof import('adaptivecards') }).AdaptiveCards;
            const lang = (ACW.CardElement as unknown as { langProperty?: { regEx?: RegExp } }).langProperty;
            if (lang?.regEx) lang.regEx.lastIndex = 0; // see resetLangPattern()
            // Teams renders TextBlock markdown; the package needs a processor for it. Bold, italics and
            // backslash escapes are what the cards use (names are escaped with backslashes).
            ACW.AdaptiveCard.onProcessMarkdown = (text, result) => {
              const escaped: string[] = [];
              let html = text
                .replace(/\\(.)/g, (_m, c: string) => `\u0000${escaped.push(c) - 1}\u0000`)
                .replace(/&/g, '&amp;')
                .replace(/</g, '&lt;')
                .replace(/>/g, '&gt;')
                .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
                .replace(/_(.+?)_/g, '<em>$1</em>');
              html = html.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => (escaped[Number(i)] ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;'));
              result.outputHtml = html;
              result.didProcess = true;
            };
            const ac = new ACW.AdaptiveCard();
            ac.hostConfig = new ACW.HostConfig(hostConfig);
            ac.parse(card);
            const el = ac.render();
            const host = document.getElementById('card')!;
            host.innerHTML = '';
            if (el) host.appendChild(el);
            return {
              rendered: Boolean(el),
              buttons: Array.from(host.querySelectorAll('button'), (b) => b.textContent ?? ''),
              text: host.innerText,
            };
          },
          { card, hostConfig: TEAMS_LIKE_HOST_CONFIG },
        );
        assert.ok(result.rendered, name);
        assert.ok(!/\$\{|\{\{(DATE|TIME)/.test(result.text), `${name}: unexpanded text in\n${result.text}`);
        const expected = actionsOf(card).filter((a) => !('selectAction' in a)).map((a) => (a as { title?: string }).title ?? '');
        assert.deepEqual(result.buttons, expected, name);
        await page.locator('#card').screenshot({ path: `${outDir}/${name}.png` });
      }
      assert.deepEqual(pageErrors, []);
      await context.close();
      assert.ok(existsSync(`${outDir}/plan-en.png`));
    });
  });
});

function hugePlanLite() {
  return { ...JSON.parse(JSON.stringify(allPlanFixture())) } as ReturnType<typeof allPlanFixture>;
}

function allPlanFixture() {
  return {
    id: '6f1c2d3e-1111-4222-8333-944455556666',
    companyId: 'c',
    status: 'pending' as const,
    createdAt: '2026-04-01T01:00:00.000Z',
    expiresAt: '2026-04-01T01:15:00.000Z',
    requestedBy: 'a',
    source: 'teams' as const,
    tenantId: 't',
    baseDataVersion: 1,
    runId: null,
    cancelledBy: null,
    summary: { usersToCreate: 1, usersToUpdate: 0, usersToDelete: 0, usersUnchanged: 0, departmentsToCreate: 0, skipped: { guest: 0, external: 0, disabledNew: 0, noUserPrincipalName: 0 } },
    changes: { createDepartments: [], createUsers: [], updateUsers: [], deleteUsers: [] },
    errors: [],
    warnings: [],
    skippedUsers: [],
    requiresDeletionConfirmation: false,
  };
}

/** Close to Teams' light theme: Segoe-like type ramp, its container styles and accent colours. */
const TEAMS_LIKE_HOST_CONFIG = {
  fontFamily: '"Segoe UI", "DejaVu Sans", "Noto Sans CJK JP", "IPAPGothic", sans-serif',
  supportsInteractivity: true,
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#E1E1E1' },
  fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 300, default: 400, bolder: 600 },
  containerStyles: {
    default: {
      backgroundColor: '#FFFFFF',
      foregroundColors: {
        default: { default: '#242424', subtle: '#616161' },
        accent: { default: '#5B5FC7', subtle: '#7F85F5' },
        good: { default: '#237B4B', subtle: '#2E9E60' },
        warning: { default: '#835C00', subtle: '#A37200' },
        attention: { default: '#C4314B', subtle: '#D04A60' },
      },
    },
    emphasis: { backgroundColor: '#F5F5F5' },
    accent: { backgroundColor: '#E8EBFA' },
    good: { backgroundColor: '#E7F2DA' },
    attention: { backgroundColor: '#FCF4F6' },
    warning: { backgroundColor: '#FBF6D9' },
  },
  actions: { maxActions: 6, spacing: 'default', buttonSpacing: 8, showCard: { actionMode: 'inline' }, actionsOrientation: 'horizontal', actionAlignment: 'left' },
  factSet: { title: { weight: 'bolder', wrap: true, maxWidth: 220 }, value: { wrap: true }, spacing: 12 },
};
