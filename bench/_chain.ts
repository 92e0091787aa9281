import { performance } from 'node:perf_hooks';
import { startGraphEmulator } from '../src/devtools/graph-emulator.ts';
import { USER_SELECT } from '../src/directory/graph-reader.ts';
import { graphUsers } from './tenants.ts';
const emu = await startGraphEmulator({ tenant: { tenantId: 'b', displayName: 'b', users: graphUsers(100000), directoryRoles: {} } });
for (let i = 0; i < 3; i++) {
  let link: string | undefined = `${emu.baseUrl}/users?$select=${USER_SELECT}&$top=999`; const t0 = performance.now();
  while (link) { const r = await fetch(link, { headers: { authorization: 'Bearer x' } }); const b = JSON.parse(await r.text()); link = b['@odata.nextLink']; }
  console.log((performance.now() - t0).toFixed(0), 'ms');
}
await emu.close();
