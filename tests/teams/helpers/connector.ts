/**
 * A local Bot Framework connector service (what Teams' serviceUrl points at): records every
 * activity the bot sends or updates, answers with ids, and serves the conversation member
 * lookup TeamsInfo.getMember uses.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface ConnectorCall {
  method: 'POST' | 'PUT' | 'DELETE' | 'GET';
  conversationId: string;
  /** The activity id in the path (reply-to or the one updated). */
  activityId: string | null;
  /** The id the connector gave (POST) or the updated id (PUT). */
  id: string;
  authorization: string | null;
  activity: Record<string, unknown> & {
    type?: string;
    text?: string;
    attachments?: { contentType: string; content: Record<string, unknown> }[];
  };
}

export interface Member {
  id: string;
  name: string;
  aadObjectId: string;
  userPrincipalName: string;
}

export interface LocalConnector {
  url: string;
  calls: ConnectorCall[];
  members: Map<string, Member>;
  /** While true, the roster (GET …/members/{id}) answers 503, as a Teams outage would. */
  membersDown: boolean;
  /** Resolves once a call matching `pred` arrived (checks earlier calls too). */
  waitFor(pred: (c: ConnectorCall) => boolean, timeoutMs?: number): Promise<ConnectorCall>;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startLocalConnector(): Promise<LocalConnector> {
  const calls: ConnectorCall[] = [];
  const members = new Map<string, Member>();
  const waiters: { pred: (c: ConnectorCall) => boolean; resolve: (c: ConnectorCall) => void }[] = [];
  const server: Server = createServer((req, res) => {
    // restify patches ServerResponse.prototype.writeHead (it returns nothing): no chaining here.
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      // /v3/conversations/{cid}/activities[/{aid}]  |  /v3/conversations/{cid}/members/{mid}
      if (parts[0] !== 'v3' || parts[1] !== 'conversations' || !parts[2]) {
        res.writeHead(404);
        res.end();
        return;
      }
      const conversationId = parts[2];
      if (req.method === 'GET' && parts[3] === 'members' && parts[4]) {
        if (connector.membersDown) {
          send(503, { error: { code: 'ServiceUnavailable', message: 'The roster is unavailable.' } });
          return;
        }
        const m = members.get(parts[4]);
        if (!m) {
          send(404, { error: { code: 'MemberNotFoundInConversation' } });
          return;
        }
        send(200, { ...m, tenantId: 't' });
        return;
      }
      const text = await readBody(req);
      const activity = text ? (JSON.parse(text) as ConnectorCall['activity']) : {};
      const activityId = parts[4] ?? null;
      const id = req.method === 'PUT' && activityId ? activityId : `act-${randomUUID()}`;
      const call: ConnectorCall = {
        method: req.method as ConnectorCall['method'],
        conversationId,
        activityId,
        id,
        authorization: req.headers.authorization ?? null,
        activity,
      };
      calls.push(call);
      for (const w of [...waiters]) {
        if (w.pred(call)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(call);
        }
      }
      send(200, { id });
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const connector: LocalConnector = {
    url: `http://127.0.0.1:${port}/`,
    calls,
    members,
    membersDown: false,
    waitFor(pred, timeoutMs = 15_000) {
      const found = calls.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (c: ConnectorCall) => (clearTimeout(timer), resolve(c)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching connector call within ${timeoutMs} ms; calls so far:\n${calls.map(describe).join('\n')}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return connector;
}

export function describe(c: ConnectorCall): string {
  const card = c.activity.attachments?.[0];
  const title = card?.content && Array.isArray(card.content.body) ? JSON.stringify(card.content.body).slice(0, 120) : '';
  return `${c.method} ${c.activityId ?? ''} ${c.activity.type ?? ''} ${c.activity.text ?? ''} ${card?.contentType ?? ''} ${title}`;
}

/** The Adaptive Card of a call, or null. */
export function cardOf(c: ConnectorCall): Record<string, unknown> | null {
  const a = c.activity.attachments?.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive');
  return a ? a.content : null;
}

/** All TextBlock texts of a card, joined (for assertions). */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      if (typeof o.title === 'string') out.push(o.title);
      if (typeof o.value === 'string') out.push(o.value);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out.join('\n');
}
