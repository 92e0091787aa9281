/**
 * Issue 9, item 8 (start in milliseconds): the server ships as compiled JavaScript in dist/,
 * built by `npm run build` (which `npm ci` runs through `prepare`). These tests check what the
 * build produces and which code `bin/safety-sync.mjs` runs; how fast it starts is measured by
 * `npm run bench:startup`, never asserted here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, DIST_DIR, SRC_DIR, STAMP_FILE } from '../scripts/build-server.ts';
import { freePort } from './helpers/net.ts';
import { spawnCli } from './helpers/spawn.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

/** Runs node with args in the repository, without tsx or any loader the test runner added. */
function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const base = { ...process.env };
  delete base.NODE_OPTIONS;
  delete base.SAFETY_SYNC_RUN_SOURCES;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

const USAGE = /^Usage: safety-sync <command> \[options\][\s\S]*serve[\s\S]*demo[\s\S]*plan[\s\S]*apply/;

describe('build: compiled JavaScript in dist/ (issue 9, item 8)', function () {
  this.timeout(300_000);

  before(async () => {
    await buildServer();
  });

  it('npm ci builds it: prepare runs build, build runs build:server', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.prepare, 'npm run build');
    assert.match(scripts.build ?? '', /npm run build:server/);
    assert.match(scripts['build:server'] ?? '', /scripts\/build-server\.ts/);
    assert.match(readFileSync(join(ROOT, '.gitignore'), 'utf8'), /^dist\/$/m);
  });

  it('every server module is compiled to dist/ with its source map, and every asset is copied beside it', () => {
    const sources = files(SRC_DIR).map((f) => relative(SRC_DIR, f)).filter((f) => !f.startsWith(join('teams', 'tab', 'ui')));
    assert.ok(sources.some((f) => f === 'cli.ts'));
    for (const f of sources) {
      if (f.endsWith('.ts')) {
        const js = join(DIST_DIR, f.replace(/\.ts$/, '.js'));
        assert.ok(existsSync(js), `${f} compiled`);
        assert.ok(existsSync(`${js}.map`), `${f} has a source map`);
        const code = readFileSync(js, 'utf8');
        // ESM, and no import still naming a TypeScript file.
        assert.doesNotMatch(code, /\b(from|import\()\s*["'][^"']+\.ts["']/, `${f} imports no .ts`);
        assert.doesNotMatch(code, /\brequire\(["']\.\.?\//, `${f} is ESM`);
      } else {
        assert.deepEqual(readFileSync(join(DIST_DIR, f)), readFileSync(join(SRC_DIR, f)), `${f} copied`);
      }
    }
    assert.ok(existsSync(join(DIST_DIR, STAMP_FILE)));
  });

  it('every compiled module loads in plain node (no tsx), and dist/cli.js answers --help with the usage', async () => {
    // The compiled modules (each has its source map); the tab's static browser script is an asset.
    const modules = files(DIST_DIR).filter((f) => f.endsWith('.js') && existsSync(`${f}.map`)).map((f) => `./${relative(ROOT, f)}`);
    const script = `
      for (const m of ${JSON.stringify(modules)}) await import(m);
      const { main } = await import('./dist/cli.js');
      process.exitCode = await main(['--help']);
    `;
    const r = await node(['--no-deprecation', '--input-type=module', '-e', script]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, USAGE);
    assert.equal(r.err, '');
  });

  it('bin/safety-sync.mjs runs the current build: --help prints the usage and nothing on stderr', async () => {
    const r = await node(['bin/safety-sync.mjs', '--help']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, USAGE);
    assert.equal(r.err, '');
  });

  it('a source edited after the build is never run stale: the command falls back to the sources and says so on stderr', async () => {
    const edited = join(SRC_DIR, 'cli', 'format.ts');
    const { atime, mtime } = statSync(edited);
    const later = new Date(statSync(join(DIST_DIR, STAMP_FILE)).mtimeMs + 60_000);
    utimesSync(edited, later, later);
    try {
      const r = await node(['bin/safety-sync.mjs', '--help']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, USAGE);
      assert.match(r.err, /dist\/ is older than src\/cli\/format\.ts; running the TypeScript sources[\s\S]*npm run build/);
    } finally {
      utimesSync(edited, atime, mtime);
    }
    // Back to the build's own time: the build is current again.
    assert.equal((await node(['bin/safety-sync.mjs', '--help'])).err, '');
  });

  it('a build cut half-way (no stamp) is never run: the command runs the sources, and says nothing', async () => {
    const stamp = join(DIST_DIR, STAMP_FILE);
    const saved = readFileSync(stamp);
    rmSync(stamp);
    try {
      const r = await node(['bin/safety-sync.mjs', '--help']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, USAGE);
      assert.equal(r.err, '');
    } finally {
      writeFileSync(stamp, saved);
    }
  });

  it('serve answers at once and loads the bot and the tab after listening: their requests wait for them, never a 404', async () => {
    const port = await freePort();
    const p = spawnCli(['serve'], { DATABASE_URL: 'memory:', PORT: String(port), HOST: '127.0.0.1', SAFETY_API_KEY: 'build-test-key-0123456789', LOG_LEVEL: 'warn' });
    try {
      await p.waitFor(/safety-sync listening on/);
      const base = `http://127.0.0.1:${port}`;
      // Sent the moment the server says it listens, while the bot and the tab may still be loading.
      const [tab, bot, ready, unknown] = await Promise.all([
        fetch(`${base}/tab`),
        fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
        fetch(`${base}/readyz`),
        fetch(`${base}/no-such-route`),
      ]);
      assert.equal(tab.status, 200);
      assert.equal(bot.status, 401, 'the bot answers (no BOT_ID: anonymous refused), it is not missing');
      assert.equal(((await bot.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
      assert.equal(ready.status, 200);
      assert.equal(unknown.status, 404, 'an unknown path is still a 404 once everything is loaded');
    } finally {
      p.child.kill('SIGTERM');
      assert.equal(await p.exit(), 0, p.err());
    }
  });
});
