/**
 * Plain-text rendering of a plan and a run for the terminal (English). Roles, fields and skip
 * reasons are named through the one glossary (src/teams/i18n/glossary.ts, pure), never by id.
 */
import type { Plan, Run, UpdatableField } from '../domain/types.ts';
import { glossary } from '../teams/i18n/glossary.ts';

const G = glossary('en');

const LIMIT = 50;

function section<T>(out: string[], title: string, items: T[], line: (t: T) => string): void {
  if (items.length === 0) return;
  out.push('', `${title} (${items.length})`);
  for (const i of items.slice(0, LIMIT)) out.push(`  ${line(i)}`);
  if (items.length > LIMIT) out.push(`  … and ${items.length - LIMIT} more (use --json for the full list)`);
}

export function formatPlan(plan: Plan): string {
  const s = plan.summary;
  const out: string[] = [
    `Plan ${plan.id}  status: ${plan.status}  expires: ${plan.expiresAt}`,
    `Tenant ${plan.tenantId}`,
    ...(s.directoryUsers !== undefined ? [`${G.directoryUsers}: ${s.directoryUsers}${s.changesRead != null ? `  (${G.changesRead.toLowerCase()}: ${s.changesRead})` : ''}`] : []),
    '',
    `  users to create      ${s.usersToCreate}`,
    `  users to update      ${s.usersToUpdate}`,
    `  users to delete      ${s.usersToDelete}`,
    `  users unchanged      ${s.usersUnchanged}`,
    `  departments to create ${s.departmentsToCreate}`,
    `  skipped              guest ${s.skipped.guest}, external ${s.skipped.external}, disabled ${s.skipped.disabledNew}, no UPN ${s.skipped.noUserPrincipalName}`,
  ];
  section(out, 'Errors (the plan cannot be applied)', plan.errors, (e) => `${e.code}: ${e.message}`);
  section(out, 'Warnings', plan.warnings, (w) => `${w.code}: ${w.message}`);
  section(out, 'Departments to create', plan.changes.createDepartments, (d) => `${'  '.repeat(d.level - 1)}${d.name}${d.level === 1 ? ' (container of the Entra ID departments)' : ''}`);
  section(out, 'Users to create', plan.changes.createUsers, (u) => `${u.loginName}  ${u.name}${u.departmentCode ? `  [${u.departmentCode}]` : ''}`);
  section(out, 'Users to update', plan.changes.updateUsers, (u) =>
    `${u.loginName} (${u.linkedBy}): ` +
    Object.entries(u.fields)
      .map(([k, c]) => `${G.fields[k as UpdatableField] ?? k}: ${c?.from ?? '(none)'} -> ${c?.to ?? '(none)'}`)
      .join(', '),
  );
  section(out, 'Users to delete', plan.changes.deleteUsers, (u) => `${u.loginName}  ${u.name}`);
  section(out, 'Skipped', plan.skippedUsers, (u) => `${u.userPrincipalName ?? u.entraObjectId}  ${u.displayName ?? ''}  (${G.skipReasons[u.reason]})`);
  if (plan.requiresDeletionConfirmation) out.push('', 'Deletions exceed the deletion guard: apply needs --confirm-deletions.');
  return out.join('\n');
}

export function formatRun(run: Run): string {
  const c = run.counts;
  const head = run.status === 'succeeded' ? 'Import succeeded' : `Import failed: ${run.error?.message ?? 'unknown error'} Nothing was changed.`;
  return `${head}\n  created ${c.created}, updated ${c.updated}, deleted ${c.deleted}, departments created ${c.departmentsCreated}\n  run ${run.id}`;
}
