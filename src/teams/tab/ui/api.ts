/** The tab's calls to /api/tab/*: the Teams SSO token, and errors as {code, reason} for the catalogue. */
/**
 * teams-js is loaded only inside Teams: its module fetches the list of valid Teams domains from a CDN
 * when it starts, which a page outside Teams (the demo in a browser) never needs.
 */
type TeamsJs = typeof import('@microsoft/teams-js');
let teams: TeamsJs | null = null;

export class ApiError extends Error {
  constructor(readonly code: string, readonly reason?: string, readonly details?: Record<string, unknown>) {
    super(code);
    this.name = 'ApiError';
  }
}

let token: string | null = null;

export interface Host {
  inTeams: boolean;
  locale: string | null;
  theme: string | null;
  /** The deep link's sub-page (a card's "Open in Safety Sync tab" names its plan). */
  subPageId: string | null;
}

/** Teams context when hosted in Teams (initialize answers within 1.5 s), else nothing. */
export async function teamsHost(): Promise<Host> {
  // Teams hosts a tab in a frame (or a window it opened); a page on its own is not in Teams, and then
  // teams-js is not started at all (it would fetch its list of valid Teams domains from a CDN).
  if (window.parent === window && !window.opener) return { inTeams: false, locale: null, theme: null, subPageId: null };
  try {
    teams = await import('@microsoft/teams-js');
    const { app } = teams;
    await Promise.race([app.initialize(), new Promise((_, reject) => setTimeout(() => reject(new Error('not in Teams')), 1500))]);
    const ctx = await app.getContext();
    return { inTeams: true, locale: ctx.app.locale ?? null, theme: ctx.app.theme ?? null, subPageId: ctx.page.subPageId ?? null };
  } catch {
    return { inTeams: false, locale: null, theme: null, subPageId: null };
  }
}

/** Follows the Teams theme as the user changes it (inside Teams only). */
export function onTeamsThemeChange(handler: (theme: string) => void): void {
  teams?.app.registerOnThemeChangeHandler(handler);
}

export async function signIn(host: Host): Promise<void> {
  if (host.inTeams && teams) {
    token = await teams.authentication.getAuthToken();
    return;
  }
  // Outside Teams only the demo hands out a token.
  const res = await fetch('/api/tab/demo-token').catch(() => null);
  if (!res) throw new ApiError('NETWORK');
  if (!res.ok) throw new ApiError('UNAUTHORIZED');
  token = ((await res.json()) as { token: string }).token;
}

async function raw(method: string, path: string, body?: unknown): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('NETWORK');
  }
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; details?: Record<string, unknown> } };
    const details = json.error?.details;
    throw new ApiError(json.error?.code ?? 'INTERNAL', typeof details?.['reason'] === 'string' ? details['reason'] : undefined, details);
  }
  return res;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await raw(method, path, body);
  if (res.status === 204) return null as T;
  return (await res.json()) as T;
}

export async function download(path: string, filename: string): Promise<void> {
  const res = await raw('GET', path);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}
