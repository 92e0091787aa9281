/**
 * `safety-sync demo-tenant …`: changes the emulated Entra tenant of the running demo through its
 * JSON API (/demo/tenant/api/*), found through the lock file in the data dir like `plan` finds it.
 */
import { parseArgs } from 'node:util';
import { AppError, type ErrorCode } from '../domain/errors.ts';
import type { DemoTenantListing, DemoTenantUserView } from '../devtools/demo-tenant-control.ts';
import { readServerLock } from './server-lock.ts';

export const DEMO_TENANT_USAGE = `Usage: safety-sync demo-tenant <action> [arguments]   (changes the tenant of the running demo, npm start)

Actions:
  list [--json]                          the users of the emulated tenant
  add <name> [--department D] [--nickname N] [--disabled]
                                         add a user (sign-in name N@contoso.onmicrosoft.com)
  rename <user> <new name>               <user> is an object id or a user principal name
  department <user> <department>|--none  move a user to another department, or to none
  disable <user> | enable <user>
  delete <user>
  duplicate-email <user> [--email ADDRESS]
                                         give <user> an email another user has (default: the service user's)
  add-guest <name> <email>
  mass-deletion [--count N]              delete 60 (or N) members: more than the deletion guard
  reset                                  back to the shipped tenant

The page /demo/tenant of the running demo does the same in a browser.`;

export interface DemoTenantIo {
  say(s: string): void;
  warn(s: string): void;
}

/** Runs one action; answers the exit code (0 ok, 1 the demo refused or failed, 2 usage or no demo). */
export async function demoTenantCommand(args: string[], dataDir: string, io: DemoTenantIo): Promise<number> {
  let positionals: string[];
  let values: { json?: boolean; department?: string; nickname?: string; disabled?: boolean; none?: boolean; email?: string; count?: string; help?: boolean };
  try {
    ({ positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        department: { type: 'string' },
        nickname: { type: 'string' },
        disabled: { type: 'boolean' },
        none: { type: 'boolean' },
        email: { type: 'string' },
        count: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.warn(`${(e as Error).message}\n\n${DEMO_TENANT_USAGE}`);
    return 2;
  }
  const [action, ...rest] = positionals;
  if (values.help) {
    io.say(DEMO_TENANT_USAGE);
    return 0;
  }
  if (!action) {
    io.warn(DEMO_TENANT_USAGE);
    return 2;
  }
  const arity: Record<string, number> = {
    list: 0,
    add: 1,
    rename: 2,
    department: values.none ? 1 : 2,
    disable: 1,
    enable: 1,
    delete: 1,
    'duplicate-email': 1,
    'add-guest': 2,
    'mass-deletion': 0,
    reset: 0,
  };
  const expected = arity[action];
  if (expected === undefined) {
    io.warn(`Unknown demo-tenant action "${action}".\n\n${DEMO_TENANT_USAGE}`);
    return 2;
  }
  if (rest.length !== expected) {
    io.warn(`demo-tenant ${action} takes ${expected} argument(s), got ${rest.length}.\n\n${DEMO_TENANT_USAGE}`);
    return 2;
  }
  const lock = readServerLock(dataDir);
  if (!lock) {
    io.warn(`No running demo found in ${dataDir} (the demo leaves a lock file there). Start it with \`npm start\` in another terminal, with the same DATA_DIR.`);
    return 2;
  }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${lock.url}/demo/tenant/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: ErrorCode; message?: string } };
    if (!res.ok) {
      if (res.status === 404 && !json.error?.message?.includes('demo tenant')) {
        throw new AppError('NOT_FOUND', `The server at ${lock.url} has no demo tenant (is it \`serve\` rather than the demo?).`);
      }
      throw new AppError(json.error?.code ?? 'INTERNAL', json.error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  };
  const u = (s: string) => encodeURIComponent(s);
  const describe = (x: DemoTenantUserView) =>
    `${x.displayName ?? x.id} <${x.userPrincipalName ?? x.id}> mail ${x.mail ?? '-'}, department ${x.department ?? '-'}, ${x.accountEnabled ? 'enabled' : 'disabled'}${x.userType === 'Guest' ? ', guest' : ''}`;
  try {
    switch (action) {
      case 'list': {
        const listing = await call<DemoTenantListing>('GET', '/users');
        if (values.json) io.say(JSON.stringify(listing, null, 2));
        else {
          io.say(`${listing.tenant.name}: ${listing.users.length} users${listing.dataFile ? ` (saved in ${listing.dataFile})` : ''}`);
          for (const x of listing.users) io.say(`  ${x.id}  ${describe(x)}`);
        }
        return 0;
      }
      case 'add': {
        const body: Record<string, unknown> = { displayName: rest[0] };
        if (values.department !== undefined) body.department = values.department;
        if (values.nickname !== undefined) body.mailNickname = values.nickname;
        if (values.disabled) body.accountEnabled = false;
        const r = await call<{ user: DemoTenantUserView }>('POST', '/users', body);
        io.say(`Added ${r.user.id}  ${describe(r.user)}`);
        return 0;
      }
      case 'rename':
      case 'department':
      case 'disable':
      case 'enable': {
        const body =
          action === 'rename'
            ? { displayName: rest[1] }
            : action === 'department'
              ? { department: values.none ? null : rest[1] }
              : { accountEnabled: action === 'enable' };
        const r = await call<{ user: DemoTenantUserView }>('PATCH', `/users/${u(rest[0]!)}`, body);
        io.say(`Changed ${r.user.id}  ${describe(r.user)}`);
        return 0;
      }
      case 'delete': {
        const r = await call<{ user: DemoTenantUserView }>('DELETE', `/users/${u(rest[0]!)}`);
        io.say(`Deleted ${r.user.id}  ${r.user.displayName ?? ''}`);
        return 0;
      }
      case 'duplicate-email': {
        let address = values.email;
        if (address === undefined) {
          const listing = await call<DemoTenantListing>('GET', '/users');
          address = listing.duplicateEmailChoices[0]?.email;
          if (!address) throw new AppError('VALIDATION_FAILED', 'No address to duplicate; give one with --email.');
        }
        const r = await call<{ user: DemoTenantUserView }>('POST', '/duplicate-email', { user: rest[0], email: address });
        io.say(`${r.user.displayName ?? r.user.id} now has the email ${r.user.mail}: the next plan shows DUPLICATE_EMAIL.`);
        return 0;
      }
      case 'add-guest': {
        const r = await call<{ user: DemoTenantUserView }>('POST', '/guests', { displayName: rest[0], mail: rest[1] });
        io.say(`Added the guest ${r.user.id}  ${describe(r.user)}`);
        return 0;
      }
      case 'mass-deletion': {
        const body = values.count !== undefined ? { count: Number(values.count) } : {};
        const r = await call<{ deleted: DemoTenantUserView[] }>('POST', '/mass-deletion', body);
        io.say(`Deleted ${r.deleted.length} users.`);
        return 0;
      }
      default: {
        const r = await call<{ users: number }>('POST', '/reset');
        io.say(`The demo tenant is back to the shipped one (${r.users} users).`);
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof AppError) {
      io.warn(`${e.code}: ${e.message}`);
      return e.code === 'VALIDATION_FAILED' || e.code === 'NOT_FOUND' || e.code === 'BAD_REQUEST' ? 2 : 1;
    }
    io.warn(`Cannot reach the demo at ${lock.url}: ${(e as Error).message}`);
    return 1;
  }
}
