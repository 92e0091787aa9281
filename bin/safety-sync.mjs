#!/usr/bin/env node
// The `safety-sync` command: TypeScript sources run through tsx, so a clone needs no build step.
// restify 11 touches a deprecated Node binding at load; the warning says nothing an operator can act on.
process.noDeprecation = true;
const { register } = await import('tsx/esm/api');

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
