/** The tab's calls to /api/tab/*: the Teams SSO token, and errors as {code, reason} for the catalogue. */
import { app, authentication } from '@microsoft/teams-js';

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
  try {
    await Promise.race([app.initialize(), new Promise((_, reject) => setTimeout(() => reject(new Error('not in Teams')), 1500))]);
    const ctx = await app.getContext();
    return { inTeams: true, locale: ctx.app.locale ?? null, theme: ctx.app.theme ?? null, subPageId: ctx.page.subPageId ?? null };
  } catch {
    return { inTeams: false, locale: null, theme: null, subPageId: null };
  }
}

export async function signIn(host: Host): Promise<void> {
  if (host.inTeams) {
    token = await authentication.getAuthToken();
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
