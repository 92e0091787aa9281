/**
 * Issue 8 item 7: the tab and the cards share the catalogues. Every role name, field name (also
 * Entra's property names), skip reason, glossary term and error-code sentence the tab shows is the
 * one the cards and the bot show (src/teams/i18n), in English and in Japanese.
 */
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../src/domain/errors.ts';
import type { Role, SkipReason } from '../../src/domain/types.ts';
import { failureText, glossary, renderFailure, type Lang } from '../../src/teams/i18n/index.ts';
import { ERROR_TEXT, errorText, FIELD_NAMES, fieldLabel, fieldName, ROLE_NAMES, SKIP_REASONS, TEXTS } from '../../src/teams/tab/ui/texts.ts';

const LANGS: Lang[] = ['en', 'ja'];
const ROLES: Role[] = ['systemAdmin', 'crisisManager', 'manager', 'departmentManager', 'autoSendResponsible', 'scheduledSendResponsible', 'guest'];
const SKIPS: SkipReason[] = ['guest', 'external', 'disabledNew', 'noUserPrincipalName'];
const TAB_ONLY = new Set(['TAB_NOT_BUILT', 'NETWORK']);
/** Markdown a card would interpret; the tab shows plain text. */
const MARKDOWN = /\*\*|\\[\\*_[\]()`~#>|]/;

describe('shared catalogue: the tab says what the cards say', () => {
  for (const lang of LANGS) {
    const g = glossary(lang);

    it(`${lang}: every role name the tab shows is the glossary's`, () => {
      for (const role of ROLES) assert.equal(ROLE_NAMES[lang][role], g.roles[role], role);
      assert.deepEqual(Object.keys(ROLE_NAMES[lang]).sort(), [...ROLES].sort());
    });

    it(`${lang}: every field name the tab shows is the glossary's, Entra's property names included`, () => {
      for (const [field, name] of Object.entries(g.fields)) {
        assert.equal(fieldName(lang, field), name, field);
        assert.equal(FIELD_NAMES[lang][field as keyof typeof g.fields], name, field);
      }
      for (const [field, name] of Object.entries(g.recordFields)) assert.equal(fieldName(lang, field), name, field);
      // DIRECTORY_VALUE_ADJUSTED names Graph properties: the tab names them as the card does.
      for (const [property, name] of Object.entries(g.directoryFields)) assert.equal(fieldName(lang, property), name, property);
      for (const field of Object.keys(FIELD_NAMES[lang])) {
        assert.ok(field in g.fields || field in g.recordFields, `${field} is a tab-only field name`);
        assert.equal(fieldLabel(lang, field).toLowerCase(), fieldName(lang, field).toLowerCase(), field);
      }
    });

    it(`${lang}: skip reasons and the summary's terms are the glossary's`, () => {
      for (const reason of SKIPS) assert.equal(SKIP_REASONS[lang][reason].reason, g.skipReasons[reason], reason);
      const t = TEXTS[lang];
      assert.equal(t.usersToCreate, g.usersToCreate);
      assert.equal(t.usersToUpdate, g.usersToUpdate);
      assert.equal(t.usersToDelete, g.usersToDelete);
      assert.equal(t.usersUnchanged, g.usersUnchanged);
      assert.equal(t.departmentsToCreate, g.departmentsToCreate);
      assert.equal(t.skippedUsers, g.skippedUsers);
      assert.equal(t.upToDate, g.alreadyUpToDate);
      assert.equal(t.confirm, g.confirmImport);
      assert.equal(t.cancel, g.cancel);
      assert.equal(t.showMore, g.showMore);
      assert.ok(t.byReason([[g.skipReasons.guest, 3]]).startsWith(g.byReason), 'the counts by reason');
      assert.equal(t.usersRead(200, null), `${g.directoryUsers}${lang === 'ja' ? '：200 人' : ': 200'}`);
      assert.ok(t.usersRead(200, 5).includes(g.changesRead), 'a delta read names the changes read as the card does');
    });

    it(`${lang}: defect: the tab's error sentences differed from the cards' for the same code`, () => {
      const codes = Object.keys(ERROR_TEXT[lang]).filter((c) => !TAB_ONLY.has(c)) as ErrorCode[];
      assert.ok(codes.length >= 28, 'every server error code');
      for (const code of codes) {
        const card = renderFailure(lang, code);
        // The card's sentence is markdown; where it holds none, the tab's is the very same text.
        if (!MARKDOWN.test(card)) assert.equal(ERROR_TEXT[lang][code], card, code);
        assert.equal(ERROR_TEXT[lang][code], failureText(lang, code), code);
        assert.equal(errorText(lang, code), ERROR_TEXT[lang][code], code);
      }
    });

    it(`${lang}: the plain-text twin escapes nothing, shows no markdown and no empty parentheses`, () => {
      for (const code of Object.keys(ERROR_TEXT[lang]).filter((c) => !TAB_ONLY.has(c))) {
        for (const message of ['', 'Graph said: [503] *busy* (retry_after)']) {
          const text = failureText(lang, code, message);
          assert.doesNotMatch(text, /\*\*|\\|\(\s*\)|（\s*）/, `${code} ${message}`);
        }
      }
      assert.match(failureText(lang, 'DIRECTORY_UNAVAILABLE', 'Graph said: [503] *busy*'), /Graph said: \[503\] \*busy\*/);
      assert.match(renderFailure(lang, 'DIRECTORY_UNAVAILABLE', 'Graph said: [503] *busy*'), /\\\[503\\\] \\\*busy\\\*/);
    });
  }
});
