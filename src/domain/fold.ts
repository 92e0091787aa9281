/**
 * Issue 7 defect 8 (B1): the one case-insensitive key of a login name or an email address.
 *
 * The planner compares with it, and the store writes it into the `login_key` / `email_key`
 * columns that the unique indexes use, so the plan and the database can never disagree about
 * whether two values collide (before, JavaScript `toLowerCase` and PostgreSQL `lower()` under the
 * server's collation did: `İnfo@…` and `info@…` passed the plan and failed the apply with 409).
 *
 * Trimmed; NFKC (full-width `ｉｎｆｏ`, ligatures and compatibility forms become their plain
 * letters); capital I with dot above (U+0130) as plain `I`, which is what PostgreSQL's `lower()`
 * gave it under the usual locales, so no pair the old indexes held equal becomes distinct; then
 * locale-independent Unicode lower case. Pure: no locale, no I/O.
 */
export function foldKey(value: string): string {
  return value.trim().normalize('NFKC').replace(/\u0130/g, 'I').toLowerCase();
}

/** foldKey of an optional value: null stays null. */
export function foldKeyOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : foldKey(value);
}
