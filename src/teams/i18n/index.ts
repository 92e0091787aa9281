/**
 * The bot's (and later the tab's) words in English and Japanese (B8): formatting, markdown
 * escaping, the glossary, the issue renderers and the two catalogues. Every module here is pure
 * (no Node import), so the tab's browser bundle can import them as they are.
 */
import type { Lang } from './format.ts';
import type { Strings } from './strings.ts';
import { en } from './en.ts';
import { ja } from './ja.ts';

export * from './format.ts';
export * from './markdown.ts';
export * from './glossary.ts';
export * from './issues.ts';
export type { ReadCounts, Strings } from './strings.ts';

const CATALOGUES: Record<Lang, Strings> = { en, ja };

export function strings(lang: Lang): Strings {
  return CATALOGUES[lang];
}
