/**
 * Every Adaptive Card the bot sends: a JSON template in ./cards/ (adaptivecards-templating)
 * filled with data built here. Builders are pure: plan/run in, card JSON out.
 *
 * Size (Teams accepts messages up to about 28 KB): the plan card carries counts and a few
 * names per category, never whole lists; every name is cut at SHOWN_NAME_MAX_CHARS and every
 * line at SHOWN_LINE_MAX_CHARS, whatever Entra holds; the blocking errors are listed while they
 * fit in CARD_BUDGET_BYTES, the rest counted ("…and N more", the full list is in the tab).
 */
import { readFileSync } from 'node:fs';
import * as ACData from 'adaptivecards-templating';
import { truncate } from '../domain/text.ts';
import { hasChanges } from '../domain/plan-status.ts';
import type { PlanWarning, Run, RunCounts, SkipReason, UpdatableField } from '../domain/types.ts';
import type { StoredPlan } from '../store/safety-store.ts';
import { acInstant, md, num, seconds, SHOWN_MESSAGE_MAX_CHARS, strings, type Lang, type Strings } from './i18n.ts';

export type AdaptiveCardJson = Record<string, unknown> & { type: 'AdaptiveCard'; version: string };

export const TEMPLATE_NAMES = ['plan', 'importing', 'result', 'closed', 'help', 'status', 'consent'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Teams refuses messages above ~28 KB (the whole activity); the card itself stays well below. */
export const TEAMS_MESSAGE_LIMIT_BYTES = 28 * 1024;
export const CARD_BUDGET_BYTES = 24 * 1024;
/** Names shown per category on the plan card. */
export const SAMPLES_PER_CATEGORY = 3;

const templates = new Map<TemplateName, unknown>();

export function loadTemplate(name: TemplateName): unknown {
  let t = templates.get(name);
  if (!t) {
    t = JSON.parse(readFileSync(new URL(`./cards/${name}.json`, import.meta.url), 'utf8')) as unknown;
    templates.set(name, t);
  }
  return t;
}

/** Expands a template; `lang` also goes on the card, so Teams formats DATE()/TIME() in that language. */
export function render(name: TemplateName, lang: Lang, data: Record<string, unknown>): AdaptiveCardJson {
  const template = new ACData.Template(loadTemplate(name));
  return template.expand({ $root: { ...data, lang } }) as AdaptiveCardJson;
}

export function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

// ---------------------------------------------------------------- plan card

/** How every card names the linked tenant: by the name the plan recorded, by its id only when none was read. */
export function tenantLabel(plan: Pick<StoredPlan, 'tenantId' | 'tenantName'>): string {
  return plan.tenantName?.trim() || plan.tenantId;
}

export interface PlanCardContext {
  lang: Lang;
  companyName: string;
  requestedByName: string;
  /** How long the directory read took; null when unknown (a card rebuilt later). What was read comes from the plan's summary. */
  readMs: number | null;
  /** "Open in Safety Sync tab": a Teams deep link to the static tab (or the tab's public URL outside Teams); none when null. */
  tabUrl?: string | null;
  /** Universal Actions: the users (Teams MRIs) whose client asks the bot for the card's current state. */
  refreshUserIds?: string[];
  /** The same card, again, with a note for the clicker (e.g. the deletion box was not ticked). */
  notice?: string;
}

interface Fact {
  title: string;
  value: string;
}

function sampleText(s: Strings, names: string[], total: number, separator = s.lang === 'ja' ? '、' : ', '): string {
  const shown = names.join(separator);
  return total > names.length ? `${shown}${separator}${s.more(total - names.length)}` : shown;
}

/**
 * Longest line a card shows. Names inside are already cut (i18n `md`); this bounds a line that
 * lists many of them (an email shared by a thousand users), so the card stays under Teams' limit.
 */
export const SHOWN_LINE_MAX_CHARS = 1500;

function clipLine(text: string): string {
  return text.length > SHOWN_LINE_MAX_CHARS ? `${truncate(text, SHOWN_LINE_MAX_CHARS)}…` : text;
}

function person(name: string | null | undefined, login: string | null | undefined): string {
  const n = (name ?? '').trim();
  const l = (login ?? '').trim();
  if (n && l) return `${md(n)} (${md(l)})`;
  return md(n || l);
}

export function planCardData(plan: StoredPlan, ctx: PlanCardContext, limits: { errors: number; warnings: number } = { errors: 50, warnings: 5 }) {
  const s = strings(ctx.lang);
  const { summary, changes } = plan;
  const summaryFacts: Fact[] = [
    { title: s.summary.create, value: num(ctx.lang, summary.usersToCreate) },
    { title: s.summary.update, value: num(ctx.lang, summary.usersToUpdate) },
    { title: s.summary.delete, value: num(ctx.lang, summary.usersToDelete) },
    { title: s.summary.unchanged, value: num(ctx.lang, summary.usersUnchanged) },
    { title: s.summary.departments, value: num(ctx.lang, summary.departmentsToCreate) },
  ];
  const samples: { heading: string; text: string }[] = [];
  if (changes.createUsers.length > 0) {
    samples.push({
      heading: `${s.samples.create} (${num(ctx.lang, summary.usersToCreate)})`,
      text: sampleText(
        s,
        changes.createUsers.slice(0, SAMPLES_PER_CATEGORY).map((u) => person(u.name, u.loginName)),
        summary.usersToCreate,
      ),
    });
  }
  if (changes.updateUsers.length > 0) {
    samples.push({
      heading: `${s.samples.update} (${num(ctx.lang, summary.usersToUpdate)})`,
      text: sampleText(
        s,
        changes.updateUsers
          .slice(0, SAMPLES_PER_CATEGORY)
          .map((u) => `${md(u.loginName)} (${s.fields(Object.keys(u.fields) as UpdatableField[])})`),
        summary.usersToUpdate,
        ctx.lang === 'ja' ? '、' : '; ',
      ),
    });
  }
  if (changes.deleteUsers.length > 0) {
    samples.push({
      heading: `${s.samples.delete} (${num(ctx.lang, summary.usersToDelete)})`,
      text: sampleText(
        s,
        changes.deleteUsers.slice(0, SAMPLES_PER_CATEGORY).map((u) => person(u.name, u.loginName)),
        summary.usersToDelete,
      ),
    });
  }
  if (changes.createDepartments.length > 0) {
    // The Entra container (level 1, R8) is counted but named last: the level-2 departments say more.
    const list = [...changes.createDepartments].sort((a, b) => b.level - a.level);
    samples.push({
      heading: `${s.samples.departments} (${num(ctx.lang, summary.departmentsToCreate)})`,
      text: sampleText(s, list.slice(0, SAMPLES_PER_CATEGORY).map((d) => md(d.name)), summary.departmentsToCreate),
    });
  }
  const skipped: Fact[] = (Object.keys(summary.skipped) as SkipReason[])
    .filter((r) => summary.skipped[r] > 0)
    .map((r) => ({ title: s.skip[r], value: num(ctx.lang, summary.skipped[r]) }));

  // Warnings: the first few of each kind, then how many more.
  const warnings: { text: string }[] = [];
  const byCode = new Map<string, PlanWarning[]>();
  for (const w of plan.warnings) byCode.set(w.code, [...(byCode.get(w.code) ?? []), w]);
  for (const group of byCode.values()) {
    for (const w of group.slice(0, limits.warnings)) warnings.push({ text: clipLine(`• ${s.warning(w)}`) });
    if (group.length > limits.warnings) warnings.push({ text: `• ${s.more(group.length - limits.warnings)}` });
  }

  const errors = plan.errors.slice(0, limits.errors).map((e) => {
    const t = s.error(e);
    return { ...t, text: clipLine(t.text), remedy: clipLine(t.remedy) };
  });
  const hiddenErrors = plan.errors.length - errors.length;
  const expiresAt = acInstant(plan.expiresAt);
  const minutes = Math.max(1, Math.round((Date.parse(plan.expiresAt) - Date.parse(plan.createdAt)) / 60_000));
  const changing = hasChanges(plan);
  const read = {
    directoryUsers: summary.directoryUsers ?? null,
    changesRead: summary.changesRead ?? null,
  };
  return {
    title: s.planTitle,
    subtitle: s.subtitle(ctx.companyName, tenantLabel(plan)),
    requested: s.requested(ctx.requestedByName, read, ctx.readMs),
    summary: summaryFacts,
    // A note for the clicker (the deletion box was not ticked): right under the title, where they look.
    hasNotice: Boolean(ctx.notice),
    notice: md(ctx.notice ?? '', SHOWN_MESSAGE_MAX_CHARS),
    nothingToChange: !changing && plan.errors.length === 0,
    upToDate: s.upToDate,
    nothingText: s.nothingToChange,
    samples,
    hasSkipped: skipped.length > 0,
    skippedHeading: s.skippedHeading,
    skipped,
    hasWarnings: warnings.length > 0,
    warningsHeading: s.warningsHeading(plan.warnings.length),
    warnings,
    hasErrors: plan.errors.length > 0,
    errorsHeading: s.errorsHeading(plan.errors.length),
    errors,
    errorsMore: hiddenErrors > 0 ? s.errorsMore(hiddenErrors) : '',
    errorsFooter: s.errorsFooter,
    requiresDeletionConfirmation: plan.requiresDeletionConfirmation && plan.errors.length === 0,
    deletionToggle: s.deletionToggle(summary.usersToDelete, deletionThresholdOf(plan)),
    deletionLabel: s.deletionLabel,
    deletionError: s.deletionError,
    expires: s.expires(expiresAt, minutes),
    tabNote: s.tabNote,
    canConfirm: plan.errors.length === 0 && changing,
    canCancel: changing || plan.errors.length > 0,
    confirmTitle: s.confirm,
    tabUrl: ctx.tabUrl ?? '',
    openTabTitle: s.openInTab,
    cancelTitle: s.cancel,
    planId: plan.id,
  };
}

function deletionThresholdOf(plan: StoredPlan): number {
  const w = plan.warnings.find((x) => x.code === 'DELETIONS_NEED_CONFIRMATION');
  const t = w && w.code === 'DELETIONS_NEED_CONFIRMATION' ? w.threshold : NaN;
  return Number.isFinite(t) ? t : 50;
}

/**
 * Universal Actions refresh: Teams asks the bot (verb `refresh`, the plan id and the card's
 * language) for the card's current state whenever it is shown, so a card a newer plan replaced,
 * or that was settled elsewhere, turns read-only by itself. Without user ids, Teams refreshes
 * for everyone in a conversation of up to 60 members.
 */
function withRefresh(card: AdaptiveCardJson, planId: string, ctx: Pick<PlanCardContext, 'lang' | 'refreshUserIds'>): AdaptiveCardJson {
  const action = { type: 'Action.Execute', title: strings(ctx.lang).refreshTitle, verb: 'refresh', data: { planId, lang: ctx.lang } };
  const ids = (ctx.refreshUserIds ?? []).filter((x) => x.length > 0).slice(0, 60);
  return { ...card, refresh: ids.length > 0 ? { action, userIds: ids } : { action } };
}

/** The plan card, shrunk until it fits the budget (errors, then warnings listed one by one). */
export function planCard(plan: StoredPlan, ctx: PlanCardContext): AdaptiveCardJson {
  let limits = { errors: 50, warnings: 5 };
  for (;;) {
    const card = withRefresh(render('plan', ctx.lang, planCardData(plan, ctx, limits)), plan.id, ctx);
    if (byteSize(card) <= CARD_BUDGET_BYTES || (limits.errors === 0 && limits.warnings === 0)) return card;
    limits = { errors: Math.floor(limits.errors / 2), warnings: limits.errors <= 3 ? Math.floor(limits.warnings / 2) : limits.warnings };
  }
}

// ---------------------------------------------------------------- after the click

export function importingCard(plan: StoredPlan, lang: Lang, companyName: string, confirmedByName: string): AdaptiveCardJson {
  const s = strings(lang);
  return render('importing', lang, {
    title: s.importingTitle,
    subtitle: s.subtitle(companyName, tenantLabel(plan)),
    confirmed: s.confirmedBy(confirmedByName),
    summary: [
      { title: s.summary.create, value: num(lang, plan.summary.usersToCreate) },
      { title: s.summary.update, value: num(lang, plan.summary.usersToUpdate) },
      { title: s.summary.delete, value: num(lang, plan.summary.usersToDelete) },
      { title: s.summary.departments, value: num(lang, plan.summary.departmentsToCreate) },
    ],
    note: s.importingNote,
  });
}

export function resultCard(plan: StoredPlan, run: Run, lang: Lang, companyName: string, confirmedByName: string): AdaptiveCardJson {
  const s = strings(lang);
  const c: RunCounts = run.counts;
  const ms = Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt));
  return render('result', lang, {
    title: s.resultTitle,
    subtitle: s.subtitle(companyName, tenantLabel(plan)),
    counts: [
      { title: s.resultCounts.created, value: num(lang, c.created) },
      { title: s.resultCounts.updated, value: num(lang, c.updated) },
      { title: s.resultCounts.deleted, value: num(lang, c.deleted) },
      { title: s.resultCounts.departmentsCreated, value: num(lang, c.departmentsCreated) },
      { title: s.resultCounts.duration, value: lang === 'ja' ? `${seconds(lang, ms)} 秒` : `${seconds(lang, ms)} s` },
    ],
    confirmed: s.resultConfirmed(confirmedByName, acInstant(run.finishedAt)),
    note: s.resultNote,
  });
}

export type ClosedKind = 'failed' | 'cancelled' | 'expired' | 'stale' | 'superseded';

export function closedCard(
  kind: ClosedKind,
  plan: Pick<StoredPlan, 'tenantId' | 'tenantName'>,
  lang: Lang,
  companyName: string,
  detail: { byName?: string; reason?: string } = {},
): AdaptiveCardJson {
  const s = strings(lang);
  const title =
    kind === 'failed'
      ? s.failedTitle
      : kind === 'cancelled'
        ? s.cancelledTitle(detail.byName ?? '')
        : kind === 'expired'
          ? s.expiredTitle
          : kind === 'superseded'
            ? s.supersededTitle
            : s.staleTitle;
  const lines =
    kind === 'failed'
      ? [s.failedReason(detail.reason ?? '')]
      : kind === 'expired'
        ? [s.expiredText]
        : kind === 'stale'
          ? [s.staleText]
          : kind === 'superseded'
            ? [s.supersededText]
            : [];
  return render('closed', lang, {
    style: kind === 'failed' ? 'attention' : kind === 'cancelled' || kind === 'superseded' ? 'emphasis' : 'warning',
    title,
    subtitle: s.subtitle(companyName, tenantLabel(plan)),
    lines: lines.map((text) => ({ text })),
    nothingChanged: s.nothingChanged,
    // The Japanese failure title already says that nothing was changed (the glossary's sentence).
    showNothingChanged: !title.includes(s.nothingChanged),
    offerPlanAgain: kind !== 'cancelled' && kind !== 'superseded',
    planAgainTitle: s.planAgain,
  });
}

// ---------------------------------------------------------------- help, status, consent

export function helpCard(lang: Lang): AdaptiveCardJson {
  const s = strings(lang);
  return render('help', lang, {
    title: s.helpTitle,
    intro: s.helpIntro,
    commands: s.helpCommands,
    who: s.helpWho,
    syncTitle: s.helpSync,
    statusTitle: s.helpStatus,
  });
}

export function statusCard(lang: Lang, companyName: string, runs: (Run & { kind?: string })[], names: Map<string, string> = new Map()): AdaptiveCardJson {
  const s = strings(lang);
  return render('status', lang, {
    title: s.statusTitle,
    subtitle: s.statusSubtitle(companyName),
    empty: s.statusEmpty,
    runs: runs.slice(0, 5).map((r) => {
      const at = acInstant(r.startedAt);
      return {
        when: `{{DATE(${at}, SHORT)}} {{TIME(${at})}}`,
        status: s.runStatus(r.status),
        counts: s.runCounts(r.counts),
        by: s.runBy(names.get(r.confirmedBy) ?? r.confirmedBy),
      };
    }),
  });
}

export function consentCard(lang: Lang, consentUrl: string): AdaptiveCardJson {
  const s = strings(lang);
  return render('consent', lang, {
    title: s.consentTitle,
    lines: s.consentLines.map((text) => ({ text })),
    consentTitle: s.consentButton,
    consentUrl,
    retryTitle: s.consentRetry,
  });
}
