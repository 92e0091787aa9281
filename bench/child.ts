/**
 * A measurement in a process of its own: the benchmark runs its own script again as
 * `<script> child <args…>`; the child prints one JSON line of results last. Peak RSS is then the
 * child's alone, and a child that runs out of memory fails only its row.
 */
import { execFileSync } from 'node:child_process';

export type ChildResult = Record<string, number> | { error: string };

export function runChild(script: string, args: string[], nodeFlags: string[] = []): ChildResult {
  try {
    const out = execFileSync(process.execPath, [...nodeFlags, '--no-deprecation', '--import', 'tsx', script, 'child', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: (err.stderr ?? err.message).split('\n').find((l) => /error|heap/i.test(l)) ?? 'failed' };
  }
}

/** Milliseconds as the tables print them: "850 ms", "1.25 s", "–" when not measured. */
export const formatMs = (ms: number | undefined): string =>
  ms === undefined ? '–' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
