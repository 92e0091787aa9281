/**
 * Where the partitioned read's time goes (issue 9 item 2): one partitioned read against the Graph
 * emulator in its own process, every request's start and end logged by partition. A measurement,
 * not a test.
 *
 *   node --no-deprecation --import tsx bench/read-trace.ts [users=100000] [latencyMs=300] [concurrency=8] [numbered|skewed]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { createGraphDirectoryReader } from '../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../src/directory/tokens.ts';

const USERS = Number(process.argv[2] ?? 100_000);
const LATENCY = Number(process.argv[3] ?? 300);
const CONCURRENCY = Number(process.argv[4] ?? 8);
const SHAPE = process.argv[5] === 'skewed' ? 'skewed' : 'numbered';

const child = spawn(process.execPath, ['--no-deprecation', '--import', 'tsx', 'bench/graph-emulator-process.ts', String(USERS), String(LATENCY), SHAPE], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
const baseUrl = (JSON.parse(line) as { baseUrl: string }).baseUrl;

interface Req {
  key: string;
  url: string;
  eventual: boolean;
  start: number;
  headers: number;
  end: number;
}
const reqs: Req[] = [];
const realFetch = globalThis.fetch;
let t0 = 0;
globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const filter = url.searchParams.get('$filter');
  const key = url.pathname.endsWith('/organization') ? 'organization' : filter === null ? 'root' : filter.slice(0, 60);
  const r: Req = { key, url: url.href, eventual: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get('consistencylevel') === 'eventual', start: performance.now() - t0, headers: 0, end: 0 };
  reqs.push(r);
  const res = await realFetch(input, init);
  r.headers = performance.now() - t0;
  const body = await res.arrayBuffer();
  r.end = performance.now() - t0;
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}) as typeof fetch;

try {
  const reader = createGraphDirectoryReader({ graphBaseUrl: baseUrl, tokenProvider: staticTokenProvider('bench'), concurrency: CONCURRENCY });
  // The bare limit first: the same pages (the root's own chain) fetched 8 at a time, fetch + JSON.parse.
  const links: string[] = [];
  for (let l: string | undefined = `${baseUrl}/users?$select=id,userPrincipalName&$top=999`; l; ) {
    links.push(l.replace(/\$select=[^&]*/, ''));
    l = ((await (await realFetch(l, { headers: { authorization: 'Bearer bench' } })).json()) as { '@odata.nextLink'?: string })['@odata.nextLink'];
  }
  const full = links.map((l) => l.replace('/users?', `/users?$select=${encodeURIComponent('id,userPrincipalName,displayName,mail,otherMails,businessPhones,mobilePhone,department,jobTitle,accountEnabled,userType,identities')}`));
  const b0 = performance.now();
  let next = 0;
  const bareAnswers: number[] = [];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < full.length) {
      const s = performance.now();
      const res = await realFetch(full[next++]!, { headers: { authorization: 'Bearer bench' } });
      bareAnswers.push(performance.now() - s);
      JSON.parse(await res.text());
    }
  }));
  console.log(`bare ${CONCURRENCY} at a time: ${full.length} pages in ${(performance.now() - b0).toFixed(0)} ms, mean answer ${(bareAnswers.reduce((a, b) => a + b, 0) / bareAnswers.length).toFixed(0)} ms`);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const snap = await reader.read();
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`reader CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
  const chains = new Map<string, Req[]>();
  for (const r of reqs) chains.set(r.key, [...(chains.get(r.key) ?? []), r]);
  console.log(`${snap.users.length} users in ${total.toFixed(0)} ms, ${reqs.length} requests, concurrency ${CONCURRENCY}, latency ${LATENCY} ms`);
  const ms = (n: number) => n.toFixed(0).padStart(6);
  for (const [key, rs] of chains) {
    const gaps = rs.slice(1).map((r, i) => r.start - rs[i]!.end);
    const waits = rs.map((r) => r.headers - r.start);
    console.log(
      `${ms(rs[0]!.start)} → ${ms(rs[rs.length - 1]!.end)}  ${String(rs.length).padStart(3)} req  mean answer ${ms(waits.reduce((a, b) => a + b, 0) / waits.length)}  mean gap ${ms(gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0)}  ${key}`,
    );
  }
  // The same requests the reader sent, fetched bare 8 at a time (no chain order): the emulator's cost of exactly these pages.
  {
    const b0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < reqs.length) {
        const r = reqs[next++]!;
        const res = await realFetch(r.url, { headers: { authorization: 'Bearer bench', ...(r.eventual ? { consistencylevel: 'eventual' } : {}) } });
        JSON.parse(await res.text());
      }
    }));
    console.log(`the reader's ${reqs.length} requests fetched bare ${CONCURRENCY} at a time: ${(performance.now() - b0).toFixed(0)} ms`);
  }
  // In flight over time (every 250 ms).
  const line: string[] = [];
  for (let t = 0; t < total; t += 250) line.push(String(reqs.filter((r) => r.start <= t && r.end > t).length));
  console.log(`in flight every 250 ms: ${line.join(' ')}`);
} finally {
  child.stdin!.end();
  await once(child, 'exit');
}
