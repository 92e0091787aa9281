/**
 * Escaping text that comes from someone else (names from Entra, emails) for Adaptive Cards
 * TextBlock markdown. Pure: no Node import.
 */
import { truncate } from '../../domain/text.ts';

/** Longest name, email or code a card shows (a 10,000-character Entra name must not outgrow Teams' 28 KB). */
export const SHOWN_NAME_MAX_CHARS = 100;
/** Longest free-form message a card shows (an issue without its own sentence). */
export const SHOWN_MESSAGE_MAX_CHARS = 400;

/**
 * Escapes what Adaptive Cards TextBlock markdown would interpret: a display name must never
 * become a link or a date function. Cuts it at `max` characters with an ellipsis: every card
 * stays small whatever the directory holds (defect 9).
 */
export function md(s: string | null | undefined, max: number = SHOWN_NAME_MAX_CHARS): string {
  const text = s ?? '';
  return (text.length > max ? `${truncate(text, max)}…` : text)
    .replace(/[\\*_[\]()`~#>|]/g, (c) => `\\${c}`)
    .replace(/\{\{/g, '{\u200b{')
    .replace(/[\r\n]+/g, ' ');
}
