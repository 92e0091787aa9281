/**
 * The bot's words (B8): the English catalogue. Plan issues and error codes come from ./issues.ts,
 * terms from ./glossary.ts. Pure: no Node import.
 */
import { signInFailureKind, type ReadCounts, type Strings } from './strings.ts';
import { num, seconds } from './format.ts';
import { glossary } from './glossary.ts';
import { renderFailure, renderPlanError, renderPlanWarning } from './issues.ts';
import { md } from './markdown.ts';

const G = glossary('en');

/** "1 user", "2 users" (English only; Japanese has no plural). */
const users = (n: number): string => `${num('en', n)} ${n === 1 ? 'user' : 'users'}`;

function readText(read: ReadCounts, ms: number | null): string {
  const parts: string[] = [];
  if (read.directoryUsers !== null) parts.push(`${users(read.directoryUsers)} in Entra ID`);
  if (read.changesRead !== null) parts.push(`${num('en', read.changesRead)} ${read.changesRead === 1 ? 'change' : 'changes'} read`);
  if (parts.length === 0) return '';
  return ` · ${parts.join(' · ')}${ms === null ? '' : ` (read in ${seconds('en', ms)} s)`}`;
}

export const en: Strings = {
  lang: 'en',
  error: (e) => renderPlanError('en', e),
  warning: (w) => renderPlanWarning('en', w),
  importFailure: (code, message) => renderFailure('en', code, message),
  failure: (code, message) => renderFailure('en', code, message),
  openInTab: G.openInTab,
  refreshTitle: 'Refresh',
  planTitle: 'Directory sync plan',
  subtitle: (company, tenant) => `${md(company)} · Microsoft Entra tenant ${md(tenant)}`,
  requested: (name, read, ms) => `Requested by ${md(name)}${readText(read, ms)}`,
  summary: {
    create: G.usersToCreate,
    update: G.usersToUpdate,
    delete: G.usersToDelete,
    unchanged: G.usersUnchanged,
    departments: G.departmentsToCreate,
  },
  samples: { create: 'New users', update: 'Updated users', delete: 'Deleted users', departments: 'New departments' },
  more: (n) => `and ${num('en', n)} more`,
  fields: (f) => f.map((x) => G.fields[x]).join(', '),
  skippedHeading: 'Read but not imported',
  skip: G.skipReasons,
  warningsHeading: (n) => `Warnings (${num('en', n)})`,
  errorsHeading: (n) => `Blocking errors (${num('en', n)}): nothing can be imported until they are fixed`,
  errorsMore: (n) => `…and ${num('en', n)} more errors; the full list is in the Safety Sync tab.`,
  errorsFooter: 'Fix these, then type **sync directory** to plan again.',
  deletionToggle: (n, t) => `I confirm that ${users(n)} will be deleted (more than the deletion guard of ${num('en', t)})`,
  deletionLabel: G.deletionGuard,
  deletionError: 'Tick this box to confirm the deletions.',
  expires: (at, minutes) =>
    `This plan expires at {{TIME(${at})}} on {{DATE(${at}, SHORT)}} (${num('en', minutes)} minutes after it was made). After that, plan again.`,
  tabNote: 'The full lists are in the Safety Sync tab.',
  nothingToChange: 'Nothing to change: the safety service already matches Microsoft Entra ID.',
  upToDate: G.alreadyUpToDate,
  supersededTitle: 'This preview was replaced by a newer one',
  supersededText: 'A newer import preview was made after this one, so this card can no longer be confirmed. Use the newest card, or type **sync directory**.',
  confirm: G.confirmImport,
  cancel: G.cancel,
  importingTitle: 'Importing…',
  confirmedBy: (name) => `Confirmed by ${md(name)}.`,
  importingNote: 'This card shows the result when the import has finished.',
  resultTitle: G.importCompleted,
  resultCounts: {
    created: 'Users created',
    updated: 'Users updated',
    deleted: 'Users deleted',
    departmentsCreated: 'Departments created',
    duration: 'Duration',
  },
  resultConfirmed: (name, at) => `Confirmed by ${md(name)} at {{TIME(${at})}} on {{DATE(${at}, SHORT)}}.`,
  resultNote: 'History and undo are in the Safety Sync tab.',
  failedTitle: 'Import failed',
  failedReason: (reason) => `Reason: ${reason}`,
  cancelledTitle: (name) => `Cancelled by ${md(name)}`,
  expiredTitle: 'This plan has expired',
  expiredText: 'A plan can only be confirmed for a limited time. Plan again to see the current differences.',
  staleTitle: 'This plan is out of date',
  staleText: 'The safety service data changed after this plan was made, so it was not applied. Plan again to see the current differences.',
  nothingChanged: 'Nothing was changed.',
  planAgain: 'Plan again',
  deletionsNotConfirmed: 'Tick the deletion box before confirming: this plan deletes more users than the limit allows.',
  clickRefused: (reason) => {
    switch (reason) {
      case 'NOT_IN_CONVERSATION':
      case 'OTHER_COMPANY':
        return 'This card does not belong to this conversation or company; nothing was changed.';
      case 'TENANT_NOT_LINKED':
        return 'Sorry, your Entra tenant is not linked to this company; nothing was changed.';
      case 'NO_ENTRA_ROLE':
        return 'Sorry, confirming needs the Entra ID role Cloud Application Administrator or higher; nothing was changed.';
      case 'IDENTITY_MISMATCH':
        return 'Sorry, the sign-in does not match your Teams account; nothing was changed.';
      default:
        return 'Sorry, only system administrators of the safety service may confirm or cancel an import; nothing was changed.';
    }
  },
  unknownCard: 'This card is no longer valid. Type **sync directory** to plan again.',
  helpTitle: 'Safety Sync',
  helpIntro: 'I keep the staff list of the safety confirmation service in step with Microsoft Entra ID.',
  helpCommands: [
    { command: 'sync directory', text: 'Read Entra ID and show what an import would change. Nothing changes until you press Confirm.' },
    { command: 'status', text: 'Show the last imports.' },
    { command: 'help', text: 'Show this help.' },
  ],
  helpWho:
    'Only system administrators of the safety service who are also Cloud Application Administrators (or higher) in Entra ID may sync.',
  helpSync: 'Sync directory',
  helpStatus: 'Status',
  statusTitle: 'Recent imports',
  statusSubtitle: (company) => md(company),
  statusEmpty: 'No import has run yet. Type **sync directory** to plan the first one.',
  runStatus: (s) => (s === 'succeeded' ? 'Succeeded' : 'Failed'),
  runCounts: (c) =>
    `${num('en', c.created)} created · ${num('en', c.updated)} updated · ${num('en', c.deleted)} deleted · ${num('en', c.departmentsCreated)} departments`,
  runBy: (by) => `Confirmed by ${md(by)}`,
  signInText: 'Sign in so that Safety Sync can read your directory on your behalf.',
  signInButton: 'Sign in',
  consentTitle: 'Admin consent needed',
  consentLines: [
    'Safety Sync may not read your directory yet: an administrator of your Entra tenant has not granted the app the permission it needs (Microsoft Graph User.Read.All, AADSTS65001).',
    'A Global Administrator (or Privileged Role Administrator) can grant it with the button below. Nothing was read or changed.',
  ],
  consentButton: 'Grant admin consent',
  consentRetry: 'Try again',
  signInHint: {
    manifest: 'The app manifest (webApplicationInfo) and the bot sign-in settings do not match; ask the person who installed Safety Sync to check them.',
    consent: 'Use the Sign in button to sign in and consent.',
    retry: 'Try again, or use the Sign in button.',
  },
  signInFailed(code) {
    return `Teams could not sign you in silently (${md(code)}). ${en.signInHint[signInFailureKind(code)]} Nothing was read or changed.`;
  },
  signInExpired:
    'Your sign-in expired while the directory was being read, so nothing was planned or changed. Sign in again to continue.',
  reading: 'Reading the directory from Microsoft Entra ID…',
  scheduleName: 'the scheduled sync',
  readingProgress: (n) => `Reading the directory from Microsoft Entra ID… ${num('en', n)} users so far.`,
  readDone: (read, ms) =>
    read.changesRead !== null
      ? `Read ${num('en', read.changesRead)} ${read.changesRead === 1 ? 'change' : 'changes'} from Microsoft Entra ID in ${seconds('en', ms)} s (${users(read.directoryUsers ?? 0)} in the directory).`
      : `Read ${users(read.directoryUsers ?? 0)} from Microsoft Entra ID in ${seconds('en', ms)} s.`,
  refusal: (reason, company) => {
    const c = company ? md(company) : 'your company';
    switch (reason) {
      case 'TENANT_NOT_LINKED':
        return "Sorry, your Microsoft Entra tenant isn't linked to a company in the safety service, so there is nothing I may sync. A system administrator of the safety service can link it in the Safety Sync tab.";
      case 'PLAN_NOT_ELIGIBLE':
        return `Sorry, ${c} is on the lite plan; the Entra ID import needs the premier plan or above.`;
      case 'NOT_A_SERVICE_USER':
        return `Sorry, I couldn't find you among the users of ${c} in the safety service (by your Entra account or sign-in name). Only its system administrators may sync the directory.`;
      case 'NOT_SYSTEM_ADMIN':
        return `Sorry, only system administrators of the safety service may sync the directory, and your account in ${c} isn't one. Please ask a system administrator.`;
      case 'NO_ENTRA_ROLE':
        return "Sorry, syncing needs the Entra ID role Cloud Application Administrator or higher (Application Administrator, Privileged Role Administrator or Global Administrator), and your account doesn't hold one.";
      case 'IDENTITY_MISMATCH':
        return "Sorry, the sign-in doesn't match your Teams account, so I stopped. Nothing was read.";
    }
  },
  notConfigured: 'The bot sign-in is not configured (AAD_APP_CLIENT_ID, AAD_APP_CLIENT_SECRET, AAD_APP_TENANT_ID); nothing was read.',
  accountCheckFailed: "Sorry, I couldn't check your account right now, so nothing was read or changed. Please try again in a moment.",
};
