/**
 * Compiles the server (src/**) to plain ESM JavaScript in dist/, one .js (and .js.map) per .ts,
 * so `safety-sync` starts without compiling TypeScript (issue 9, item 8). `npm run build:server`
 * (and `prepare` through `npm run build`, so `npm ci` builds it).
 *
 * Why dist/ and not build/server/: dist/ mirrors src/ at the same depth below the repository, so
 * every path a module computes from its own `import.meta.url` (the tab's static files, the card
 * templates, the demo fixture, `../../../build/tab`) means the same thing compiled as in source.
 * Files that are not TypeScript (JSON, HTML, CSS, JS) are copied beside the compiled modules.
 *
 * Each file is transpiled on its own (no bundling, no type check: `npm run typecheck` does that);
 * relative `./x.ts` imports become `./x.js`, packages stay imports. `dist/.build-stamp.json` is
 * written last: bin/safety-sync.mjs runs dist/ only when the stamp is newer than every file in src/.
 */
import { build, type Plugin } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SRC_DIR = join(ROOT, 'src');
export const DIST_DIR = join(ROOT, 'dist');
export const STAMP_FILE = '.build-stamp.json';
/** The tab's browser sources, bundled separately by `npm run build:tab`; never part of the server. */
const NOT_SERVER = [join('teams', 'tab', 'ui')];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (NOT_SERVER.includes(relative(SRC_DIR, p))) continue;
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Keeps every import an import: relative ones re-pointed at the compiled `.js`, packages as they are. */
const keepImports: Plugin = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('.')) return { path: args.path.replace(/\.(c|m)?tsx?$/, (_, m: string | undefined) => `.${m ?? ''}js`), external: true };
      return { path: args.path, external: true };
    });
  },
};

export interface BuildResult {
  outDir: string;
  modules: number;
  assets: number;
  ms: number;
}

export async function buildServer(options: { outDir?: string } = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? DIST_DIR;
  const started = performance.now();
  const files = walk(SRC_DIR);
  const sources = files.filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'));
  const assets = files.filter((f) => !/\.tsx?$/.test(f));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: sources,
    outbase: SRC_DIR,
    outdir: outDir,
    bundle: true, // only so that the plugin sees every import; each one stays external
    plugins: [keepImports],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  for (const a of assets) cpSync(a, join(outDir, relative(SRC_DIR, a)));
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module', private: true }) + '\n');
  // Written last: a build cut half-way has no stamp and is never run.
  writeFileSync(join(outDir, STAMP_FILE), JSON.stringify({ builtAt: new Date().toISOString(), modules: sources.length }) + '\n');
  return { outDir, modules: sources.length, assets: assets.length, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildServer();
  console.log(`built ${relative(ROOT, r.outDir)}/: ${r.modules} modules, ${r.assets} assets in ${r.ms} ms`);
}
