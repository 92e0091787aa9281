/**
 * A plan's skipped users, one page at a time (issue 9 item 5: a plan's body keeps the first
 * SKIPPED_USERS_INLINE; the rest are fetched on demand). The one home of the page's query and
 * answer for every edge that lists them: the admin API (`GET /api/v1/companies/{cid}/sync/plans/
 * {pid}/skipped-users`) and the tab API (`GET /api/tab/plans/{pid}/skipped-users`). Who may ask is
 * each edge's own check (the API key; the tab's SSO token and R1–R3); the company comes from it.
 */
import { z } from 'zod';
import type { SkippedUser } from '../domain/types.ts';
import type { SafetyStore } from '../store/safety-store.ts';
import { parse } from './http.ts';

/** The largest page an edge hands out. */
export const SKIPPED_USERS_PAGE_MAX = 5000;

const SkippedPage = z
  .object({
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
    limit: z.coerce.number().int().min(1).max(SKIPPED_USERS_PAGE_MAX).default(1000),
  })
  .strict();

export interface SkippedUsersPage {
  offset: number;
  limit: number;
  /** How many users the plan skipped in all (its summary's counts by reason, summed). */
  total: number;
  users: SkippedUser[];
}

/** `query` is the request's query string (validated here: VALIDATION_FAILED with the field). */
export async function skippedUsersPage(store: SafetyStore, companyId: string, planId: string, query: unknown): Promise<SkippedUsersPage> {
  const page = parse(SkippedPage, { ...(query as Record<string, unknown> | undefined) });
  const { total, users } = await store.skippedUsersPage(companyId, planId, page);
  return { offset: page.offset, limit: page.limit, total, users };
}
