/**
 * The Graph emulator in a process of its own, for benchmarks: the reader under test and the
 * emulator then do not share one event loop.
 *
 *   node --no-deprecation --import tsx bench/graph-emulator-process.ts USERS LATENCY_IN_MS [numbered|skewed]
 *
 * Prints one JSON line {"baseUrl": …} once it listens; exits when its stdin closes.
 */
import { startGraphEmulator } from '../src/devtools/graph-emulator.ts';
import { graphUsers, type UpnShape } from './tenants.ts';

const users = Number(process.argv[2] ?? 100_000);
const latencyInMs = Number(process.argv[3] ?? 0);
const shape: UpnShape = process.argv[4] === 'skewed' ? 'skewed' : 'numbered';
const emu = await startGraphEmulator({
  tenant: { tenantId: 'bench', displayName: 'bench', users: graphUsers(users, 300, shape), directoryRoles: {} },
  latencyInMs,
});
process.stdout.write(`${JSON.stringify({ baseUrl: emu.baseUrl })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void emu.close().then(() => process.exit(0));
});
