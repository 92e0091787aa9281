/**
 * The Teams app package and the Entra app registration manifest, checked the way Teams Toolkit would
 * see them after filling in the environment. The manifest is validated against a local subset of the
 * v1.19 schema (tests/teams/schemas; the published schema cannot be downloaded here and no installed
 * package ships it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { appIdUriFor } from '../../src/teams/index.ts';
import { parseCommand } from '../../src/teams/commands.ts';
import { colorIcon, outlineIcon } from '../../scripts/generate-icons.ts';

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
const readBytes = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url));

const SAMPLE_ENV: Record<string, string> = {
  TEAMS_APP_ID: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  BOT_ID: '11111111-2222-4333-8444-555555555555',
  BOT_DOMAIN: 'safetysync-dev.azurewebsites.net',
  AAD_APP_CLIENT_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  AAD_APP_OBJECT_ID: 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff',
  AAD_APP_ACCESS_AS_USER_PERMISSION_ID: 'cccccccc-dddd-4eee-8fff-000000000000',
  APP_NAME_SUFFIX: 'local',
};

/** What Teams Toolkit does before packaging: replace ${{NAME}} with the environment's values. */
function fill(text: string, env = SAMPLE_ENV): string {
  return text.replace(/\$\{\{([A-Z0-9_]+)\}\}/g, (_m, name: string) => {
    if (!(name in env)) throw new Error(`no sample value for ${name}`);
    return env[name]!;
  });
}

function pngInfo(bytes: Buffer): { width: number; height: number; rgba: Buffer } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  assert.equal(bytes[24], 8, 'bit depth');
  assert.equal(bytes[25], 6, 'RGBA');
  const idat: Buffer[] = [];
  for (let off = 8; off < bytes.length; ) {
    const len = bytes.readUInt32BE(off);
    if (bytes.toString('ascii', off + 4, off + 8) === 'IDAT') idat.push(bytes.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * 4 + 1)], 0, 'filter type none');
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

describe('Teams app package and app registration', () => {
  const manifestText = read('appPackage/manifest.json');
  const manifest = JSON.parse(fill(manifestText)) as Record<string, any>;
  const aad = JSON.parse(fill(read('aad.manifest.json'))) as Record<string, any>;

  it('validates against the local Teams manifest 1.19 schema subset once the environment is filled in', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(read('tests/teams/schemas/teams-manifest-1.19.subset.schema.json')) as object);
    assert.ok(validate(manifest), ajv.errorsText(validate.errors, { separator: '\n' }));
    assert.ok(Number(manifest.manifestVersion) >= 1.17);
    assert.match(manifest.$schema, /teams\/v1\.19\/MicrosoftTeams\.schema\.json$/);
    // The subset is not a rubber stamp.
    assert.equal(validate({ ...manifest, accentColor: 'red' }), false);
    assert.equal(validate({ ...manifest, bots: [{ ...manifest.bots[0], botId: '${{BOT_ID}}' }] }), false);
    assert.equal(validate({ ...manifest, validDomains: ['https://example.com'] }), false);
  });

  it('uses only variables the Teams Toolkit environment files define', () => {
    const used = new Set([...`${manifestText}${read('aad.manifest.json')}`.matchAll(/\$\{\{([A-Z0-9_]+)\}\}/g)].map((m) => m[1]!));
    for (const envFile of ['env/.env.local', 'env/.env.dev']) {
      const defined = new Set([...read(envFile).matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]!));
      for (const name of used) assert.ok(defined.has(name), `${envFile} lacks ${name}`);
    }
  });

  it('declares the bot with its three commands, which the bot understands (also in Japanese)', () => {
    const [bot] = manifest.bots as { botId: string; scopes: string[]; commandLists: { commands: { title: string }[] }[] }[];
    assert.equal(bot!.botId, SAMPLE_ENV.BOT_ID);
    assert.ok(bot!.scopes.includes('personal'));
    const titles = bot!.commandLists[0]!.commands.map((c) => c.title);
    assert.deepEqual(titles.map(parseCommand), ['sync', 'status', 'help']);
    const ja = JSON.parse(read('appPackage/ja-jp.json')) as Record<string, string>;
    assert.equal(parseCommand(ja['bots[0].commandLists[0].commands[0].title']), 'sync');
    for (const [key, value] of Object.entries(ja)) {
      if (key.endsWith('.title')) assert.ok(value.length <= 32, key);
      if (key === 'name.short') assert.ok(value.length <= 30);
      if (key === 'description.short') assert.ok(value.length <= 80);
    }
    assert.deepEqual(manifest.localizationInfo.additionalLanguages, [{ languageTag: 'ja-jp', file: 'ja-jp.json' }]);
  });

  it('webApplicationInfo, the app registration and the bot agree on the SSO resource', () => {
    const resource = manifest.webApplicationInfo.resource as string;
    assert.equal(manifest.webApplicationInfo.id, SAMPLE_ENV.AAD_APP_CLIENT_ID);
    assert.equal(resource, `api://${SAMPLE_ENV.BOT_DOMAIN}/botid-${SAMPLE_ENV.BOT_ID}`);
    assert.deepEqual(aad.identifierUris, [resource]);
    assert.equal(appIdUriFor(SAMPLE_ENV.BOT_ID!, `https://${SAMPLE_ENV.BOT_DOMAIN}`), resource);
    assert.deepEqual(manifest.validDomains, [SAMPLE_ENV.BOT_DOMAIN]);
  });

  it('the app registration: access_as_user, Teams clients pre-authorized, wids on, Graph User.Read.All, single tenant', () => {
    assert.equal(aad.signInAudience, 'AzureADMyOrg');
    assert.equal(aad.groupMembershipClaims, 'DirectoryRole', 'puts the wids claim in the token (R2)');
    const scope = (aad.oauth2Permissions as { value: string; id: string; type: string; isEnabled: boolean }[]).find((p) => p.value === 'access_as_user')!;
    assert.equal(scope.id, SAMPLE_ENV.AAD_APP_ACCESS_AS_USER_PERMISSION_ID);
    assert.ok(scope.isEnabled);
    const pre = new Map((aad.preAuthorizedApplications as { appId: string; permissionIds: string[] }[]).map((p) => [p.appId, p.permissionIds]));
    for (const teams of ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346']) {
      assert.deepEqual(pre.get(teams), [scope.id], `Teams client ${teams}`);
    }
    const graph = (aad.requiredResourceAccess as { resourceAppId: string; resourceAccess: { id: string; type: string }[] }[]).find((r) => r.resourceAppId === 'Microsoft Graph')!;
    assert.ok(graph.resourceAccess.some((a) => a.id === 'User.Read.All' && a.type === 'Scope'), 'delegated, for on-behalf-of');
    assert.ok(graph.resourceAccess.some((a) => a.id === 'User.Read.All' && a.type === 'Role'), 'application, for the CLI and the schedule');
    assert.ok((aad.replyUrlsWithType as { url: string }[]).some((r) => r.url === `https://${SAMPLE_ENV.BOT_DOMAIN}/auth/end`), 'the fallback sign-in page');
  });

  it('icons: color 192x192, outline 32x32 white on transparent, as scripts/generate-icons.ts draws them', () => {
    const color = pngInfo(readBytes('appPackage/color.png'));
    assert.deepEqual([color.width, color.height], [192, 192]);
    const outline = pngInfo(readBytes('appPackage/outline.png'));
    assert.deepEqual([outline.width, outline.height], [32, 32]);
    let opaque = 0;
    for (let i = 0; i < outline.rgba.length; i += 4) {
      if (outline.rgba[i + 3]! === 0) continue;
      opaque++;
      assert.deepEqual([...outline.rgba.subarray(i, i + 3)], [255, 255, 255], 'outline pixels are white');
    }
    assert.ok(opaque > 100 && opaque < 32 * 32 - 100, 'a shape, with transparency around it');
    assert.ok(readBytes('appPackage/color.png').equals(colorIcon()), 'color.png is generated (npx tsx scripts/generate-icons.ts)');
    assert.ok(readBytes('appPackage/outline.png').equals(outlineIcon()), 'outline.png is generated');
  });

  it('Teams Toolkit project files: the bot endpoint, the app registration update and the single-tenant bot settings', () => {
    const local = read('teamsapp.local.yml');
    const dev = read('teamsapp.yml');
    for (const yml of [local, dev]) {
      assert.match(yml, /^version: v1\.\d+$/m);
      assert.match(yml, /uses: aadApp\/update\n\s+with:\n\s+manifestPath: \.\/aad\.manifest\.json/);
      assert.match(yml, /manifestPath: \.\/appPackage\/manifest\.json/);
    }
    assert.match(local, /messagingEndpoint: \$\{\{BOT_ENDPOINT\}\}\/api\/messages/);
    assert.match(local, /BOT_TENANT_ID: \$\{\{AAD_APP_TENANT_ID\}\}/);
    assert.match(local, /PUBLIC_BASE_URL: \$\{\{BOT_ENDPOINT\}\}/);
    assert.match(dev, /path: \.\/infra\/azure\.bicep/);
    assert.match(read('env/.env.local'), /^TEAMSFX_ENV=local$/m);
    assert.match(read('env/.env.dev'), /^TEAMSFX_ENV=dev$/m);
  });
});
