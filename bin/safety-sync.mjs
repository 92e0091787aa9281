#!/usr/bin/env node
// The `safety-sync` command. Runs the compiled JavaScript in dist/ (built by `npm run build`, which
// `npm ci` runs through `prepare`) when that build is current, so nothing is compiled at start-up.
// Otherwise (a clone without a build, or sources edited since the last build) it runs the
// TypeScript sources through tsx; a stale build is never run silently: it says so on stderr.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// restify 11 touches a deprecated Node binding at load; the warning says nothing an operator can act on.
process.noDeprecation = true;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** The tab's browser sources: bundled by build:tab, not part of the server build. */
const NOT_SERVER = join(SRC, 'teams', 'tab', 'ui');

/** The newest modification time under dir (files and folders, so a deleted file counts too), and which. */
function newest(dir, best = { ms: 0, path: '' }) {
  const m = statSync(dir).mtimeMs;
  if (m > best.ms) best = { ms: m, path: dir };
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (p === NOT_SERVER) continue;
    if (e.isDirectory()) best = newest(p, best);
    else {
      const f = statSync(p).mtimeMs;
      if (f > best.ms) best = { ms: f, path: p };
    }
  }
  return best;
}

/** 'current', 'missing', or the source file that is newer than the build. */
function buildState() {
  let stamp;
  try {
    stamp = statSync(join(DIST, '.build-stamp.json')).mtimeMs;
  } catch {
    return { state: 'missing' };
  }
  try {
    const n = newest(SRC);
    return n.ms > stamp ? { state: 'stale', changed: n.path.slice(ROOT.length) } : { state: 'current' };
  } catch {
    // No sources beside the build (an installed package without src/): the build is all there is.
    return { state: 'current' };
  }
}

const build = process.env.SAFETY_SYNC_RUN_SOURCES === '1' ? { state: 'forced' } : buildState();
let main;
if (build.state === 'current') {
  // dist/ has source maps; they are not turned on here because Node then reads the maps of every
  // package it loads (botbuilder ships its own), which costs seconds of start-up. For stack traces
  // that name the TypeScript lines: NODE_OPTIONS=--enable-source-maps.
  ({ main } = await import('../dist/cli.js'));
} else {
  if (build.state === 'stale') {
    process.stderr.write(
      `safety-sync: dist/ is older than ${build.changed}; running the TypeScript sources (slower start). ` +
        'Run `npm run build` to start fast again.\n',
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
