/**
 * PGlite is an in-process database: one process owns ./.data at a time. A
 * running server leaves a lock file (mode 0600) so the CLI talks to it over
 * the admin API instead of opening the same files.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'server.lock.json';

export function writeServerLock(dataDir: string, info: { url: string; apiKey: string }): void {
  writeFileSync(join(dataDir, FILE), JSON.stringify({ pid: process.pid, ...info }), { mode: 0o600 });
}

export function removeServerLock(dataDir: string): void {
  try {
    const cur = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as { pid?: number };
    if (cur.pid === process.pid) rmSync(join(dataDir, FILE), { force: true });
  } catch {
    // no lock: nothing to remove
  }
}

export function readServerLock(dataDir: string): { url: string; apiKey: string } | null {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as { pid?: unknown; url?: unknown; apiKey?: unknown };
    if (typeof v.pid !== 'number' || typeof v.url !== 'string' || typeof v.apiKey !== 'string') return null;
    process.kill(v.pid, 0); // throws when the process is gone: a stale lock
    return { url: v.url, apiKey: v.apiKey };
  } catch {
    return null;
  }
}
