/**
 * The shape of a catalogue: every sentence the bot says, as a value or a function so that each
 * language keeps its own word order. Pure: no Node import.
 */
import type { Refusal } from '../../domain/access.ts';
import type { PlanError, PlanWarning, SkipReason, UpdatableField } from '../../domain/types.ts';
import type { Lang } from './format.ts';
import type { IssueText } from './issues.ts';

/** What a plan read: the directory's size, and the changes a delta read fetched (null after a full read). */
export interface ReadCounts {
  directoryUsers: number | null;
  changesRead: number | null;
}

export interface Strings {
  lang: Lang;
  // plan card
  planTitle: string;
  /** The company and its linked tenant, by name (or by id when its name could not be read). */
  subtitle(company: string, tenant: string): string;
  /** Who asked, and what was read: the directory's size and, after a delta read, the changes read. */
  requested(name: string, read: ReadCounts, ms: number | null): string;
  summary: { create: string; update: string; delete: string; unchanged: string; departments: string };
  samples: { create: string; update: string; delete: string; departments: string };
  more(n: number): string;
  fields(fields: UpdatableField[]): string;
  skippedHeading: string;
  skip: Record<SkipReason, string>;
  warningsHeading(n: number): string;
  errorsHeading(n: number): string;
  errorsMore(n: number): string;
  errorsFooter: string;
  deletionToggle(n: number, threshold: number): string;
  deletionLabel: string;
  deletionError: string;
  expires(at: string, minutes: number): string;
  tabNote: string;
  nothingToChange: string;
  confirm: string;
  cancel: string;
  error(issue: PlanError): IssueText;
  warning(issue: PlanWarning): string;
  /** Nothing to change: no Confirm is offered. */
  upToDate: string;
  /** The deep link into the configuration tab. */
  openInTab: string;
  /** The Universal Actions refresh action's title (not shown as a button). */
  refreshTitle: string;
  /** A card a newer plan replaced (applied, cancelled or just newer): read-only. */
  supersededTitle: string;
  supersededText: string;
  // after the click
  importingTitle: string;
  confirmedBy(name: string): string;
  importingNote: string;
  resultTitle: string;
  resultCounts: { created: string; updated: string; deleted: string; departmentsCreated: string; duration: string };
  resultConfirmed(name: string, at: string): string;
  resultNote: string;
  failedTitle: string;
  failedReason(reason: string): string;
  importFailure(code: string, message: string): string;
  cancelledTitle(name: string): string;
  expiredTitle: string;
  expiredText: string;
  staleTitle: string;
  staleText: string;
  nothingChanged: string;
  planAgain: string;
  deletionsNotConfirmed: string;
  clickRefused(reason: Refusal | 'NOT_IN_CONVERSATION' | 'OTHER_COMPANY'): string;
  unknownCard: string;
  // help and status
  helpTitle: string;
  helpIntro: string;
  helpCommands: { command: string; text: string }[];
  helpWho: string;
  helpSync: string;
  helpStatus: string;
  statusTitle: string;
  statusSubtitle(company: string): string;
  statusEmpty: string;
  runStatus(status: 'succeeded' | 'failed'): string;
  runCounts(c: { created: number; updated: number; deleted: number; departmentsCreated: number }): string;
  runBy(by: string): string;
  // sign-in and consent
  signInText: string;
  signInButton: string;
  consentTitle: string;
  consentLines: string[];
  consentButton: string;
  consentRetry: string;
  signInFailed(code: string): string;
  /** What to do after a silent sign-in failed, by `signInFailureKind` of Teams' failure code. */
  signInHint: Record<SignInFailureKind, string>;
  signInExpired: string;
  // reading
  reading: string;
  /** Who asked for a plan the schedule made (B7). */
  scheduleName: string;
  readingProgress(n: number): string;
  readDone(read: ReadCounts, ms: number): string;
  refusal(reason: Refusal, company: string | null): string;
  failure(code: string, message: string): string;
  notConfigured: string;
  /** Defect 14: the account could not be checked (database, Graph or Teams unreachable); never a refusal. */
  accountCheckFailed: string;
}


/** What a failed silent Teams sign-in asks of the administrator, decided once for every language. */
export type SignInFailureKind = 'manifest' | 'consent' | 'retry';

export function signInFailureKind(code: string): SignInFailureKind {
  if (code === 'resourcematchfailed') return 'manifest';
  if (code === 'userconsentrequired' || code === 'interactionrequired') return 'consent';
  return 'retry';
}
