/** What the admin typed, as one of the bot's commands (DESIGN §2 Teams). */
export type Command = 'sync' | 'status' | 'help' | 'unknown';

const SYNC = new Set(['sync directory', 'sync', 'ディレクトリ同期', 'ディレクトリを同期', '同期']);
const STATUS = new Set(['status', '状況', 'ステータス']);
const HELP = new Set(['help', '?', 'ヘルプ']);

/** Case, width (full-width letters), surrounding spaces, a trailing period and a leading slash do not matter. */
export function parseCommand(text: string | undefined | null): Command {
  const t = (text ?? '')
    .normalize('NFKC')
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\//, '')
    .replace(/[.。!！]+$/, '')
    .trim()
    .toLowerCase();
  if (SYNC.has(t)) return 'sync';
  if (STATUS.has(t)) return 'status';
  if (HELP.has(t)) return 'help';
  return 'unknown';
}
