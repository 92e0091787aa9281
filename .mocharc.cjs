// Mocha configuration. `npx mocha tests/x.test.ts` runs just that file; with no file named,
// every suite runs. The timeout is generous on purpose: no test may depend on machine speed,
// and CI runs the suites twice (once with the clock a year ahead) on a loaded 2-core machine.
const named = process.argv.slice(2).some((a) => /\.test\.ts$/.test(a));
module.exports = {
  'node-option': ['import=tsx', 'no-deprecation'],
  ...(named ? {} : { spec: ['tests/**/*.test.ts'] }),
  timeout: 60000,
  exit: true,
  require: ['tests/hooks.ts'],
};
