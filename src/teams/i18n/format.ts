/**
 * Numbers, durations and instants in the admin's language (B8). Pure: no Node import, no clock;
 * the tab's browser bundle imports this module as it is.
 */

export type Lang = 'en' | 'ja';
export const LANGS: readonly Lang[] = ['en', 'ja'];

/** The language of a BCP 47 tag (an activity's locale, a card's stored language): Japanese for ja*, else English. */
export function langOf(locale: string | undefined | null): Lang {
  return (locale ?? '').trim().toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** A value that names a language ('ja', 'ja-JP', 'en', 'en-US'), or null when it names none. */
export function parseLang(value: unknown): Lang | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  if (/^ja(-[a-z0-9]{2,8})*$/.test(v)) return 'ja';
  if (/^en(-[a-z0-9]{2,8})*$/.test(v)) return 'en';
  return null;
}

export function localeTag(lang: Lang): string {
  return lang === 'ja' ? 'ja-JP' : 'en-US';
}

/** Seconds to one decimal, in the language's format. */
export function seconds(lang: Lang, ms: number): string {
  return new Intl.NumberFormat(localeTag(lang), { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(ms / 1000);
}

export function num(lang: Lang, n: number): string {
  return new Intl.NumberFormat(localeTag(lang)).format(n);
}

/** An instant for Adaptive Cards' DATE()/TIME() functions, which Teams shows in the reader's time zone. */
export function acInstant(isoString: string): string {
  return new Date(isoString).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * An instant as date and time in a time zone (the company's, e.g. 'Asia/Tokyo'), with the zone's
 * short name: "2026/12/02 10:38 JST", "12/2/2026, 10:38 AM GMT+9".
 */
export function dateTime(lang: Lang, isoString: string, timeZone: string = 'UTC'): string {
  return new Intl.DateTimeFormat(localeTag(lang), {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(isoString));
}
