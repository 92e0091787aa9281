/**
 * Bundles the configuration tab (src/teams/tab/ui, React + Fluent UI v9 + teams-js) into
 * build/tab/tab.js with esbuild: minified, self-contained, nothing fetched at run time.
 * `npm run build:tab` (and `prepare`, so `npm ci` builds it); the browser tests call buildTab()
 * when the bundle is missing.
 */
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function buildTab(): Promise<string> {
  const outfile = `${ROOT}build/tab/tab.js`;
  mkdirSync(`${ROOT}build/tab`, { recursive: true });
  await build({
    entryPoints: [`${ROOT}src/teams/tab/ui/main.tsx`],
    outfile,
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    jsx: 'automatic',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildTab();
  console.log(`built ${out}`);
}
