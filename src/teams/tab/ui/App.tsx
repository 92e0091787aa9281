/**
 * The configuration tab on Fluent UI React v9: status at the top, settings, preview and import,
 * history (with run details, filters, CSV), undo as its own flow, SCIM tokens, disconnect.
 * Every message sits next to the action that caused it and stays until dismissed.
 */
import {
  Badge, Body1, Button, Caption1, Card, CardHeader, Checkbox, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface,
  DialogTitle, Dropdown, Field, FluentProvider, Input, Link, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle,
  Option, ProgressBar, Spinner, Subtitle2, Tab, TabList, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, Title3,
  makeStyles, teamsDarkTheme, teamsHighContrastTheme, teamsLightTheme, tokens, type Theme,
} from '@fluentui/react-components';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Plan, Run, SkippedUser, SkipReason } from '../../../domain/types.ts';
import type { PlanIssue } from './issues.ts';
import type { UndoPlan } from '../../../domain/undo.ts';
import { api, ApiError, download, onTeamsThemeChange, signIn, teamsHost } from './api.ts';
import { renderIssue } from './issues.ts';
import { errorText, fieldLabel, SKIP_REASONS, TEXTS, type Lang, type Texts } from './texts.ts';

// ------------------------------------------------------------------ shapes of the tab API

interface Actor { kind: 'person' | 'schedule' | 'scim' | 'api' | 'cli' | 'unknown'; name: string | null }
type TabRun = Run & { kind: string; requestedBy: string | null; confirmedByActor: Actor; requestedByActor: Actor };
interface Settings { initialPasswordSet: boolean; deletionThreshold: number; schedule: string | null; timeZone: string }
interface Context { company: { id: string; name: string; plan: string; entraTenantId: string | null }; settings: Settings; user: { name: string }; scimUrl: string }
interface Status {
  company: { name: string; plan: string };
  tenant: { id: string | null; name: string | null };
  lastRun: TabRun | null;
  schedule: string | null;
  timeZone: string;
  nextRunAt: string | null;
  scimLastUsedAt: string | null;
  scimActiveTokens: number;
}
interface ScimToken { id: string; label: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }
interface Change { id: number; entity: string; action: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; at: string }
type ThemeName = 'light' | 'dark' | 'contrast';

interface Msg { intent: 'success' | 'error' | 'warning' | 'info'; title?: string; text: string; extra?: ReactNode }

const ENTRA_CONTAINER = 'MicrosoftEntraID読み込み部署';
const ROW_LIMIT = 500;
/** How many more users not imported "Show more" loads (the plan keeps the first 100; the tab API pages the rest). */
const SKIPPED_PAGE = 100;
const ACTION_ORDER = ['update', 'delete', 'create'];

const useStyles = makeStyles({
  page: { minHeight: '100vh', padding: '16px 24px 48px', boxSizing: 'border-box', backgroundColor: tokens.colorNeutralBackground2, color: tokens.colorNeutralForeground1 },
  wrap: { maxWidth: '1100px', margin: '0 auto', display: 'flex', flexDirection: 'column', gap: '16px' },
  status: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(220px, 1fr))', gap: '8px 24px' },
  stat: { display: 'flex', flexDirection: 'column', gap: '2px' },
  row: { display: 'flex', gap: '8px', alignItems: 'flex-end', flexWrap: 'wrap' },
  col: { display: 'flex', flexDirection: 'column', gap: '12px' },
  counts: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))', gap: '8px' },
  count: { padding: '8px 12px', borderRadius: tokens.borderRadiusMedium, backgroundColor: tokens.colorNeutralBackground3 },
  big: { fontSize: tokens.fontSizeHero700, fontWeight: tokens.fontWeightSemibold, lineHeight: tokens.lineHeightHero700 },
  scroll: { maxHeight: '480px', overflow: 'auto' },
  code: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all' },
  muted: { color: tokens.colorNeutralForeground3 },
  cell: { wordBreak: 'break-word', overflowWrap: 'anywhere', verticalAlign: 'top', paddingTop: '4px', paddingBottom: '4px' },
  head: { display: 'flex', flexDirection: 'column', gap: '4px' },
});

// ------------------------------------------------------------------ helpers

const pageParams = new URLSearchParams(location.search);

function preferredTheme(hostTheme: string | null): ThemeName {
  const forced = pageParams.get('theme');
  if (forced === 'dark' || forced === 'light' || forced === 'contrast') return forced;
  if (hostTheme === 'dark') return 'dark';
  if (hostTheme === 'contrast') return 'contrast';
  if (hostTheme === 'default') return 'light';
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function preferredLang(hostLocale: string | null): Lang {
  const forced = pageParams.get('lang');
  if (forced === 'ja' || forced === 'en') return forced;
  return /^ja/i.test(hostLocale ?? navigator.language) ? 'ja' : 'en';
}

const THEMES: Record<ThemeName, Theme> = { light: teamsLightTheme, dark: teamsDarkTheme, contrast: teamsHighContrastTheme };

function useFormat(lang: Lang, timeZone: string) {
  return useCallback(
    (iso: string | null | undefined) => {
      if (!iso) return '';
      const d = new Date(iso);
      if (Number.isNaN(d.getTime())) return '';
      return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
    },
    [lang, timeZone],
  );
}

/** `YYYY-MM-DD` of an instant in the company's zone (the history's date filter). */
function dayInZone(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

function actorText(t: Texts, a: Actor | undefined): string {
  if (!a) return t.actorUnknown;
  switch (a.kind) {
    case 'person':
      return a.name ?? t.actorUnknown;
    case 'schedule':
      return t.actorSchedule;
    case 'scim':
      return t.actorScim(a.name);
    case 'api':
      return t.actorApi(a.name);
    case 'cli':
      return t.actorCli(a.name);
    default:
      return t.actorUnknown;
  }
}

function cell(v: unknown, t: Texts): string {
  if (v === null || v === undefined || v === '') return t.empty;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' && x ? String((x as Record<string, unknown>)['code'] ?? JSON.stringify(x)) : String(x))).join(', ') || t.empty;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function messageFor(lang: Lang, e: unknown): Msg {
  const t = TEXTS[lang];
  if (e instanceof ApiError) return { intent: 'error', title: t.errorTitle, text: errorText(lang, e.code, e.reason, e.details) };
  return { intent: 'error', title: t.errorTitle, text: errorText(lang, 'INTERNAL') };
}

/** The inline message of one section: next to its buttons, stays until dismissed or replaced. */
function Inline({ msg, onDismiss, t }: { msg: Msg | null; onDismiss: () => void; t: Texts }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (msg) ref.current?.scrollIntoView({ block: 'center', behavior: 'auto' });
  }, [msg]);
  if (!msg) return null;
  return (
    <div ref={ref} data-testid="message" data-intent={msg.intent} role={msg.intent === 'error' ? 'alert' : 'status'}>
      <MessageBar intent={msg.intent} layout="multiline">
        <MessageBarBody>
          {msg.title ? <MessageBarTitle>{msg.title}</MessageBarTitle> : null}
          {msg.text}
          {msg.extra}
        </MessageBarBody>
        <MessageBarActions containerAction={<Button appearance="transparent" size="small" aria-label={t.dismiss} onClick={onDismiss}>×</Button>} />
      </MessageBar>
    </div>
  );
}

/** A section runs one action at a time; its button is never left greyed after a failure. */
function useAction(lang: Lang) {
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<Msg | null>(null);
  const run = useCallback(
    async (fn: () => Promise<Msg | null | void>) => {
      setBusy(true);
      setMsg(null);
      try {
        const m = await fn();
        setMsg(m ?? null);
      } catch (e) {
        setMsg(messageFor(lang, e));
      } finally {
        setBusy(false);
      }
    },
    [lang],
  );
  return { busy, msg, setMsg, run };
}

// ------------------------------------------------------------------ root

export function Root() {
  const [theme, setTheme] = useState<ThemeName>(() => preferredTheme(null));
  const [lang, setLang] = useState<Lang>(() => preferredLang(null));
  const [phase, setPhase] = useState<'loading' | 'ready' | { error: Msg }>('loading');
  const [planId, setPlanId] = useState<string | null>(null);

  useEffect(() => {
    const media = matchMedia('(prefers-color-scheme: dark)');
    let inTeams = false;
    const onMedia = () => {
      if (!inTeams && !pageParams.get('theme')) setTheme(media.matches ? 'dark' : 'light');
    };
    media.addEventListener('change', onMedia);
    void (async () => {
      const host = await teamsHost();
      inTeams = host.inTeams;
      const l = preferredLang(host.locale);
      setLang(l);
      setTheme(preferredTheme(host.theme));
      if (host.inTeams) onTeamsThemeChange((name) => setTheme(preferredTheme(name)));
      const linked = host.subPageId ?? pageParams.get('plan');
      if (linked && /^[0-9a-f-]{36}$/i.test(linked)) setPlanId(linked);
      try {
        await signIn(host);
        setPhase('ready');
      } catch (e) {
        setPhase({ error: messageFor(l, e) });
      }
    })();
    return () => media.removeEventListener('change', onMedia);
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.documentElement.dataset['theme'] = theme;
  }, [lang, theme]);

  const s = useStyles();
  return (
    <FluentProvider theme={THEMES[theme]}>
      <div className={s.page}>
        <div className={s.wrap}>
          {phase === 'loading' ? <Spinner label={TEXTS[lang].loading} /> : phase === 'ready' ? <App lang={lang} planId={planId} /> : <Inline msg={phase.error} onDismiss={() => undefined} t={TEXTS[lang]} />}
        </div>
      </div>
    </FluentProvider>
  );
}

// ------------------------------------------------------------------ the page

function App({ lang, planId }: { lang: Lang; planId: string | null }) {
  const t = TEXTS[lang];
  const s = useStyles();
  const [ctx, setCtx] = useState<Context | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const [runs, setRuns] = useState<TabRun[]>([]);
  const [tokensList, setTokens] = useState<ScimToken[]>([]);
  const [fatal, setFatal] = useState<Msg | null>(null);
  const [disconnected, setDisconnected] = useState(false);

  const reload = useCallback(async () => {
    const [c, st, r, tk] = await Promise.all([
      api<Context>('GET', '/api/tab/context'),
      api<Status>('GET', '/api/tab/status'),
      api<TabRun[]>('GET', '/api/tab/runs'),
      api<ScimToken[]>('GET', '/api/tab/scim-tokens'),
    ]);
    setCtx(c);
    setStatus(st);
    setRuns(r);
    setTokens(tk);
  }, []);
  useEffect(() => {
    reload().catch((e) => setFatal(messageFor(lang, e)));
  }, [reload, lang]);

  const timeZone = ctx?.settings.timeZone ?? 'Asia/Tokyo';
  const fmt = useFormat(lang, timeZone);

  if (disconnected) {
    return (
      <>
        <Title3 as="h1">{t.title}</Title3>
        <Inline msg={{ intent: 'success', title: t.disconnected, text: t.reconnect }} onDismiss={() => undefined} t={t} />
      </>
    );
  }
  if (fatal) return <><Title3 as="h1">{t.title}</Title3><Inline msg={fatal} onDismiss={() => setFatal(null)} t={t} /></>;
  if (!ctx || !status) return <Spinner label={t.loading} />;

  return (
    <main id="app" data-testid="app">
      <div className={s.col}>
        <div className={s.head}>
          <Title3 as="h1">{t.title}</Title3>
          <Body1 className={s.muted}>{t.subtitle}</Body1>
        </div>
        <StatusCard lang={lang} status={status} fmt={fmt} />
        <SettingsCard lang={lang} ctx={ctx} onSaved={reload} />
        <PreviewCard lang={lang} fmt={fmt} rootName={ctx.company.name} onApplied={reload} planId={planId} />
        <HistoryCard lang={lang} runs={runs} fmt={fmt} timeZone={timeZone} onChanged={reload} />
        <ScimCard lang={lang} ctx={ctx} tokens={tokensList} fmt={fmt} onChanged={reload} />
        <DisconnectCard lang={lang} status={status} onDone={() => setDisconnected(true)} />
      </div>
    </main>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  const s = useStyles();
  return (
    <Card id={id} data-testid={id}>
      <CardHeader header={<Subtitle2 as="h2">{title}</Subtitle2>} />
      <div className={s.col}>{children}</div>
    </Card>
  );
}

// ------------------------------------------------------------------ status

function StatusCard({ lang, status, fmt }: { lang: Lang; status: Status; fmt: (iso: string | null) => string }) {
  const t = TEXTS[lang];
  const s = useStyles();
  const last = status.lastRun;
  const result = last ? (last.status === 'succeeded' ? t.succeeded : t.failed) : '';
  const tenant = status.tenant.id ? status.tenant.name ?? t.tenantNameUnknown(status.tenant.id) : t.tenantNotLinked;
  const items: [string, string, string][] = [
    ['tenant', t.tenant, tenant],
    ['plan', t.plan, t.planName[status.company.plan] ?? status.company.plan],
    ['last-import', t.lastImport, last ? t.lastImportText(fmt(last.startedAt), actorText(t, last.confirmedByActor), result) : t.lastImportNone],
    ['next-run', t.nextRun, status.nextRunAt ? t.nextRunText(fmt(status.nextRunAt), status.timeZone) : t.nextRunOff],
    ['scim-activity', t.scimActivity, status.scimLastUsedAt ? fmt(status.scimLastUsedAt) : t.scimNever],
  ];
  return (
    <Section id="status" title={`${status.company.name} · ${t.statusTitle}`}>
      <div className={s.status}>
        {items.map(([id, label, value]) => (
          <div key={id} className={s.stat} data-testid={`status-${id}`}>
            <Caption1 className={s.muted}>{label}</Caption1>
            <Body1>{value}</Body1>
          </div>
        ))}
      </div>
    </Section>
  );
}

// ------------------------------------------------------------------ settings

const PRESETS = ['', '0 3 * * *', '0 7 * * 1-5'] as const;
const ZONES = ['Asia/Tokyo', 'Asia/Seoul', 'Asia/Shanghai', 'Asia/Singapore', 'Asia/Kolkata', 'Europe/London', 'Europe/Paris', 'America/New_York', 'America/Los_Angeles', 'UTC'];

function SettingsCard({ lang, ctx, onSaved }: { lang: Lang; ctx: Context; onSaved: () => Promise<void> }) {
  const t = TEXTS[lang];
  const s = useStyles();
  const { busy, msg, setMsg, run } = useAction(lang);
  const [password, setPassword] = useState('');
  const [threshold, setThreshold] = useState(String(ctx.settings.deletionThreshold));
  const initialPreset = PRESETS.includes((ctx.settings.schedule ?? '') as (typeof PRESETS)[number]) ? ctx.settings.schedule ?? '' : 'custom';
  const [preset, setPreset] = useState<string>(initialPreset);
  const [cron, setCron] = useState(ctx.settings.schedule ?? '');
  const [zone, setZone] = useState(ctx.settings.timeZone);
  const presetLabel: Record<string, string> = { '': t.scheduleOff, '0 3 * * *': t.scheduleDaily, '0 7 * * 1-5': t.scheduleWeekdays, custom: t.scheduleCustom };
  // The common zones first, then every zone the browser knows.
  const zones = useMemo(() => [...new Set([zone, ...ZONES, ...Intl.supportedValuesOf('timeZone')])], [zone]);

  const save = () =>
    run(async () => {
      const schedule = preset === 'custom' ? cron.trim() || null : preset || null;
      const body: Record<string, unknown> = { deletionThreshold: Number(threshold), schedule, timeZone: zone };
      if (password) body['initialPassword'] = password;
      await api('PATCH', '/api/tab/settings', body);
      setPassword('');
      await onSaved();
      return { intent: 'success', text: t.saved };
    });

  return (
    <Section id="settings" title={t.settings}>
      <Field label={t.initialPassword} hint={ctx.settings.initialPasswordSet ? t.passwordSet : t.passwordMissing}>
        <Input id="initial-password" type="password" autoComplete="new-password" value={password} onChange={(_, d) => setPassword(d.value)} />
      </Field>
      <Field label={t.threshold}>
        <Input id="threshold" type="number" min={0} value={threshold} onChange={(_, d) => setThreshold(d.value)} />
      </Field>
      <Field label={t.schedule}>
        <Dropdown id="schedule-preset" value={presetLabel[preset] ?? ''} selectedOptions={[preset]} onOptionSelect={(_, d) => setPreset(d.optionValue ?? '')}>
          {[...PRESETS, 'custom'].map((p) => <Option key={p} value={p}>{presetLabel[p] ?? p}</Option>)}
        </Dropdown>
      </Field>
      {preset === 'custom' ? (
        <Field label={t.cron}>
          <Input id="schedule" value={cron} placeholder="0 3 * * *" onChange={(_, d) => setCron(d.value)} />
        </Field>
      ) : null}
      <Field label={t.timeZone}>
        <Dropdown id="time-zone" value={zone} selectedOptions={[zone]} onOptionSelect={(_, d) => setZone(d.optionValue ?? zone)}>
          {zones.map((z) => <Option key={z} value={z}>{z}</Option>)}
        </Dropdown>
      </Field>
      <div className={s.row}>
        <Button id="save-button" appearance="primary" disabled={busy} onClick={save}>{t.save}</Button>
        {busy ? <Spinner size="tiny" /> : null}
      </div>
      <Inline msg={msg} onDismiss={() => setMsg(null)} t={t} />
    </Section>
  );
}

// ------------------------------------------------------------------ preview and import

function IssueBars({ lang, issues, intent }: { lang: Lang; issues: PlanIssue[]; intent: 'error' | 'warning' }) {
  return (
    <>
      {issues.map((i, n) => {
        const r = renderIssue(lang, i);
        return (
          <MessageBar key={`${i.code}-${n}`} intent={intent} layout="multiline" data-testid={`issue-${intent}`}>
            <MessageBarBody>
              {r.text}
              {r.remedy ? <div><strong>{r.remedy}</strong></div> : null}
            </MessageBarBody>
          </MessageBar>
        );
      })}
    </>
  );
}

function DataTable({ columns, rows, t, testId, limit = ROW_LIMIT }: { columns: string[]; rows: string[][]; t: Texts; testId: string; limit?: number }) {
  const s = useStyles();
  return (
    <div className={s.scroll}>
      <Table size="small" data-testid={testId}>
        <TableHeader>
          <TableRow>{columns.map((c) => <TableHeaderCell key={c}>{c}</TableHeaderCell>)}</TableRow>
        </TableHeader>
        <TableBody>
          {rows.slice(0, limit).map((r, i) => (
            <TableRow key={i}>{r.map((c, j) => <TableCell key={j} className={s.cell}>{c || t.empty}</TableCell>)}</TableRow>
          ))}
        </TableBody>
      </Table>
      {rows.length > limit ? <Caption1>{t.moreRows(rows.length - limit)}</Caption1> : null}
    </div>
  );
}

/** A long read: a spinner, a bar and the seconds it has taken so far. */
function Reading({ t }: { t: Texts }) {
  const [sec, setSec] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setSec((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <div id="reading" role="status">
      <Spinner labelPosition="after" label={`${t.reading} ${sec ? t.readingFor(sec) : ''}`.trim()} />
      <ProgressBar thickness="large" />
    </div>
  );
}

type ListKey = 'create' | 'update' | 'delete' | 'departments' | 'skipped';

function PreviewCard({ lang, fmt, rootName, onApplied, planId }: { lang: Lang; fmt: (iso: string | null) => string; rootName: string; onApplied: () => Promise<void>; planId: string | null }) {
  const t = TEXTS[lang];
  const s = useStyles();
  const { busy, msg, setMsg, run } = useAction(lang);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [reading, setReading] = useState(false);
  const [filter, setFilter] = useState('');
  const [list, setList] = useState<ListKey>('create');
  const [confirmDeletions, setConfirmDeletions] = useState(false);
  const [dialog, setDialog] = useState(false);
  // Users not imported beyond those the plan carries, loaded page by page ("Show more"), for that plan only.
  const [moreSkipped, setMoreSkipped] = useState<{ planId: string; users: SkippedUser[] }>({ planId: '', users: [] });

  // A deep link from a card opens its plan here; a plan no longer pending says why.
  useEffect(() => {
    if (!planId) return;
    void run(async () => {
      const p = await api<Plan>('GET', `/api/tab/plans/${planId}`);
      if (p.status !== 'pending') return { intent: 'info', text: t.planState[p.status] ?? t.planState['stale']! };
      setPlan(p);
      setList(p.summary.usersToCreate ? 'create' : p.summary.usersToUpdate ? 'update' : p.summary.usersToDelete ? 'delete' : 'skipped');
      requestAnimationFrame(() => document.getElementById('preview')?.scrollIntoView({ block: 'start' }));
      return null;
    });
  }, [planId]);

  const preview = () =>
    run(async () => {
      setPlan(null);
      setReading(true);
      try {
        const p = await api<Plan>('POST', '/api/tab/plans', {});
        setPlan(p);
        setConfirmDeletions(false);
        setList(p.summary.usersToCreate ? 'create' : p.summary.usersToUpdate ? 'update' : p.summary.usersToDelete ? 'delete' : 'skipped');
        return null;
      } finally {
        setReading(false);
      }
    });

  const apply = () =>
    run(async () => {
      setDialog(false);
      if (!plan) return null;
      const r = await api<Run>('POST', `/api/tab/plans/${plan.id}/apply`, { confirmDeletions });
      setPlan(null);
      await onApplied();
      return { intent: 'success', title: t.applied, text: t.appliedCounts(r.counts.created, r.counts.updated, r.counts.deleted, r.counts.departmentsCreated) };
    });

  const cancel = () =>
    run(async () => {
      if (plan) await api('POST', `/api/tab/plans/${plan.id}/cancel`, {});
      setPlan(null);
      return { intent: 'info', text: t.cancelled };
    });

  const q = filter.trim().toLowerCase();
  const match = (...xs: (string | null | undefined)[]) => !q || xs.some((x) => x?.toLowerCase().includes(q));
  const deptPath = (name: string | null, level?: number) => (name ? (level === 1 ? [rootName, name] : [rootName, ENTRA_CONTAINER, name]).join(' › ') : t.empty);
  const newDepartments = useMemo(() => new Set(plan?.changes.createDepartments.map((d) => d.code) ?? []), [plan]);
  const userDept = (code: string | null) => (code === null ? t.empty : newDepartments.has(code) ? deptPath(code) : code);

  const s2 = plan?.summary;
  // The summary counts every user not imported, by reason; the plan lists the first of them, the tab API the rest.
  const skippedCount = s2 ? Object.values(s2.skipped).reduce((a, b) => a + b, 0) : 0;
  const skippedUsers = plan ? (moreSkipped.planId === plan.id ? [...plan.skippedUsers, ...moreSkipped.users] : plan.skippedUsers) : [];
  const loadMoreSkipped = () =>
    run(async () => {
      if (!plan) return null;
      const offset = skippedUsers.length;
      const page = await api<{ offset: number; users: SkippedUser[] }>('GET', `/api/tab/plans/${plan.id}/skipped-users?offset=${offset}&limit=${SKIPPED_PAGE}`);
      setMoreSkipped((cur) => {
        const had = cur.planId === plan.id ? cur.users : [];
        // A page answers for its offset: a second click before the first answer never doubles a user.
        return plan.skippedUsers.length + had.length === page.offset ? { planId: plan.id, users: [...had, ...page.users] } : cur;
      });
      return null;
    });
  const nothing = plan !== null && plan.errors.length === 0 && s2!.usersToCreate + s2!.usersToUpdate + s2!.usersToDelete + s2!.departmentsToCreate === 0;
  const threshold = Number(plan?.warnings.find((w) => w.code === 'DELETIONS_NEED_CONFIRMATION')?.['threshold'] ?? 0);

  const lists: Record<ListKey, { label: string; count: number; columns: string[]; rows: string[][] }> | null = plan
    ? {
        create: {
          label: t.usersToCreate,
          count: plan.changes.createUsers.length,
          columns: [t.col.loginName, t.col.name, t.col.email, t.col.phone, t.col.department],
          rows: plan.changes.createUsers.filter((u) => match(u.loginName, u.name, u.email)).map((u) => [u.loginName, u.name, u.email ?? '', u.phone ?? '', userDept(u.departmentCode)]),
        },
        update: {
          label: t.usersToUpdate,
          count: plan.changes.updateUsers.length,
          columns: [t.col.loginName, t.col.field, t.col.change],
          rows: plan.changes.updateUsers
            .filter((u) => match(u.loginName))
            .flatMap((u) => Object.entries(u.fields).map(([f, c]) => [u.loginName, fieldLabel(lang, f), `${c?.from ?? t.empty} → ${c?.to ?? t.empty}`])),
        },
        delete: {
          label: t.usersToDelete,
          count: plan.changes.deleteUsers.length,
          columns: [t.col.loginName, t.col.name],
          rows: plan.changes.deleteUsers.filter((u) => match(u.loginName, u.name)).map((u) => [u.loginName, u.name]),
        },
        departments: {
          label: t.departmentsToCreate,
          count: plan.changes.createDepartments.length,
          columns: [t.col.path],
          rows: plan.changes.createDepartments.filter((d) => match(d.name)).map((d) => [deptPath(d.name, d.level)]),
        },
        skipped: {
          label: t.skippedUsers,
          count: skippedCount,
          columns: [t.col.name, t.col.loginName, t.col.reason, t.col.whatToDo],
          rows: skippedUsers
            .filter((u) => match(u.displayName, u.userPrincipalName))
            .map((u) => [u.displayName ?? '', u.userPrincipalName ?? '', SKIP_REASONS[lang][u.reason].reason, SKIP_REASONS[lang][u.reason].remedy]),
        },
      }
    : null;

  const deletions = plan?.changes.deleteUsers ?? [];
  const canConfirm = plan !== null && plan.errors.length === 0 && !nothing && (!plan.requiresDeletionConfirmation || confirmDeletions);

  return (
    <Section id="preview" title={t.preview}>
      <Body1 className={s.muted}>{t.previewHelp}</Body1>
      <div className={s.row}>
        <Button id="plan-button" appearance={plan ? 'secondary' : 'primary'} disabled={busy} onClick={preview}>{t.planButton}</Button>
      </div>
      {reading ? <Reading t={t} /> : null}
      {plan && s2 && lists ? (
        <div id="plan" data-testid="plan" className={s.col}>
          {plan.errors.length ? (
            <div className={s.col} data-testid="plan-errors">
              <Subtitle2 as="h3">{t.blockingErrors}</Subtitle2>
              <IssueBars lang={lang} issues={plan.errors} intent="error" />
            </div>
          ) : null}
          {nothing ? (
            <MessageBar intent="success" data-testid="up-to-date"><MessageBarBody>{t.upToDate}</MessageBarBody></MessageBar>
          ) : null}
          <Body1 data-testid="users-read">{t.usersRead(s2.directoryUsers ?? s2.usersToCreate + s2.usersToUpdate + s2.usersUnchanged + skippedCount, s2.changesRead ?? null)}</Body1>
          <div className={s.counts} id="summary">
            {(
              [
                [t.usersToCreate, s2.usersToCreate],
                [t.usersToUpdate, s2.usersToUpdate],
                [t.usersToDelete, s2.usersToDelete],
                [t.usersUnchanged, s2.usersUnchanged],
                [t.departmentsToCreate, s2.departmentsToCreate],
                [t.skippedUsers, skippedCount],
              ] as const
            ).map(([label, n]) => (
              <div key={label} className={s.count} data-testid="count">
                <Caption1>{label}</Caption1>
                <div className={s.big} data-testid="count-value">{n}</div>
              </div>
            ))}
          </div>
          {plan.warnings.length ? (
            <div className={s.col}>
              <Subtitle2 as="h3">{t.warnings}</Subtitle2>
              <IssueBars lang={lang} issues={plan.warnings} intent="warning" />
            </div>
          ) : null}
          <TabList selectedValue={list} onTabSelect={(_, d) => setList(d.value as ListKey)}>
            {(Object.keys(lists) as ListKey[]).map((k) => (
              <Tab key={k} value={k} id={`list-${k}`}>{`${lists[k].label} (${lists[k].count})`}</Tab>
            ))}
          </TabList>
          <Field label={t.filter}>
            <Input id="plan-filter" type="search" value={filter} onChange={(_, d) => setFilter(d.value)} />
          </Field>
          {lists[list].count ? (
            <DataTable columns={lists[list].columns} rows={lists[list].rows} t={t} testId={`table-${list}`} limit={list === 'skipped' ? Infinity : ROW_LIMIT} />
          ) : (
            <Body1>{t.none}</Body1>
          )}
          {list === 'skipped' && skippedCount > 0 ? (
            <div className={s.col}>
              <Body1 data-testid="skipped-by-reason">
                {t.byReason(
                  (Object.keys(s2.skipped) as SkipReason[]).filter((r) => s2.skipped[r] > 0).map((r) => [SKIP_REASONS[lang][r].reason, s2.skipped[r]]),
                )}
              </Body1>
              {skippedUsers.length < skippedCount ? (
                <div className={s.row}>
                  <Caption1 data-testid="skipped-shown">{t.skippedShown(skippedUsers.length, skippedCount)}</Caption1>
                  <Button id="skipped-more" size="small" disabled={busy} onClick={loadMoreSkipped}>{t.showMore}</Button>
                </div>
              ) : null}
            </div>
          ) : null}
          {plan.requiresDeletionConfirmation ? (
            <Checkbox id="confirm-deletions" checked={confirmDeletions} onChange={(_, d) => setConfirmDeletions(d.checked === true)} label={t.confirmDeletions(s2.usersToDelete, threshold)} />
          ) : null}
          <Caption1 className={s.muted}>{t.expires(fmt(plan.expiresAt))}</Caption1>
          <div className={s.row}>
            {plan.errors.length === 0 && !nothing ? (
              <Button id="confirm-button" appearance="primary" disabled={busy || !canConfirm} onClick={() => (deletions.length ? setDialog(true) : void apply())}>{t.confirm}</Button>
            ) : null}
            <Button id="cancel-button" disabled={busy} onClick={cancel}>{nothing ? t.close : t.cancel}</Button>
            {busy ? <Spinner size="tiny" /> : null}
          </div>
        </div>
      ) : null}
      <Inline msg={msg} onDismiss={() => setMsg(null)} t={t} />
      <Dialog open={dialog} onOpenChange={(_, d) => setDialog(d.open)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{t.confirmTitle}</DialogTitle>
            <DialogContent>
              <p>{t.confirmBody(s2?.usersToCreate ?? 0, s2?.usersToUpdate ?? 0, s2?.usersToDelete ?? 0)}</p>
              <p>{t.confirmDeleteBody(deletions.length)}</p>
              <ul data-testid="dialog-people">
                {deletions.slice(0, 10).map((u) => <li key={u.userId}>{`${u.name} (${u.loginName})`}</li>)}
                {deletions.length > 10 ? <li>{t.andMore(deletions.length - 10)}</li> : null}
              </ul>
            </DialogContent>
            <DialogActions>
              <Button id="dialog-confirm" appearance="primary" onClick={apply}>{t.confirm}</Button>
              <Button onClick={() => setDialog(false)}>{t.cancel}</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </Section>
  );
}

// ------------------------------------------------------------------ history and undo

function HistoryCard({ lang, runs, fmt, timeZone, onChanged }: { lang: Lang; runs: TabRun[]; fmt: (iso: string | null) => string; timeZone: string; onChanged: () => Promise<void> }) {
  const t = TEXTS[lang];
  const s = useStyles();
  const { busy, msg, setMsg, run } = useAction(lang);
  const [result, setResult] = useState('all');
  const [who, setWho] = useState('all');
  const [from, setFrom] = useState('');
  const [detail, setDetail] = useState<{ run: TabRun; changes: Change[] } | null>(null);
  const [undo, setUndo] = useState<UndoPlan | null>(null);

  const kindText = (k: string) => (k === 'undo' ? t.kindUndo : k === 'scim' ? t.kindScim : t.kindImport);
  const people = [...new Set(runs.map((r) => actorText(t, r.confirmedByActor)))];
  const shown = runs.filter(
    (r) =>
      (result === 'all' || r.status === result) &&
      (who === 'all' || actorText(t, r.confirmedByActor) === who) &&
      (!from || dayInZone(r.startedAt, timeZone) >= from),
  );
  const undoneRun = undo ? runs.find((r) => r.id === undo.undoOfRunId) : undefined;
  // Only the last import can be undone, and only while it is the last thing that happened.
  const lastRun = runs.find((r) => r.status === 'succeeded' && (r.kind === 'import' || r.kind === 'undo'));
  const undoable = lastRun?.kind === 'import';

  const openDetail = (id: string) =>
    run(async () => {
      setDetail(await api<{ run: TabRun; changes: Change[] }>('GET', `/api/tab/runs/${id}`));
      return null;
    });
  const previewUndo = () =>
    run(async () => {
      setUndo(await api<UndoPlan>('POST', '/api/tab/undo-plans', {}));
      return null;
    });
  const confirmUndo = () =>
    run(async () => {
      const p = undo;
      setUndo(null);
      if (!p) return null;
      await api<Run>('POST', `/api/tab/plans/${p.id}/apply`, {});
      await onChanged();
      return { intent: 'success', title: t.undone, text: t.undoneCounts(p.summary.usersToRemove, p.summary.usersToRevert, p.summary.usersToRestore) };
    });
  const csv = () =>
    run(async () => {
      await download(`/api/tab/history.csv?lang=${lang}&tz=${encodeURIComponent(timeZone)}`, 'safety-sync-history.csv');
      return { intent: 'success', text: t.csvDone };
    });

  const resultLabel: Record<string, string> = { all: t.all, succeeded: t.succeeded, failed: t.failed };
  return (
    <Section id="history" title={t.history}>
      <div className={s.row}>
        <Field label={t.filterResult}>
          <Dropdown id="filter-result" value={resultLabel[result] ?? ''} selectedOptions={[result]} onOptionSelect={(_, d) => setResult(d.optionValue ?? 'all')}>
            {['all', 'succeeded', 'failed'].map((v) => <Option key={v} value={v}>{resultLabel[v] ?? v}</Option>)}
          </Dropdown>
        </Field>
        <Field label={t.filterWho}>
          <Dropdown id="filter-who" value={who === 'all' ? t.all : who} selectedOptions={[who]} onOptionSelect={(_, d) => setWho(d.optionValue ?? 'all')}>
            <Option value="all">{t.all}</Option>
            {people.map((p) => <Option key={p} value={p}>{p}</Option>)}
          </Dropdown>
        </Field>
        <Field label={t.filterFrom}>
          <Input id="filter-from" type="date" value={from} onChange={(_, d) => setFrom(d.value)} />
        </Field>
      </div>
      {shown.length ? (
        <Table size="small" id="runs" data-testid="runs">
          <TableHeader>
            <TableRow>
              {[t.when, t.kind, t.result, t.counts, t.by, ''].map((h, i) => <TableHeaderCell key={i}>{h}</TableHeaderCell>)}
            </TableRow>
          </TableHeader>
          <TableBody>
            {shown.map((r) => (
              <TableRow key={r.id}>
                <TableCell>{fmt(r.startedAt)}</TableCell>
                <TableCell>{kindText(r.kind)}</TableCell>
                <TableCell><Badge appearance="tint" color={r.status === 'succeeded' ? 'success' : 'danger'}>{r.status === 'succeeded' ? t.succeeded : t.failed}</Badge></TableCell>
                <TableCell>{`${r.counts.created} / ${r.counts.updated} / ${r.counts.deleted}`}</TableCell>
                <TableCell>{actorText(t, r.confirmedByActor)}</TableCell>
                <TableCell><Button size="small" data-testid="run-detail" disabled={busy} onClick={() => openDetail(r.id)}>{t.details}</Button></TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : (
        <Body1>{t.none}</Body1>
      )}
      <div className={s.row}>
        <Button id="csv-button" disabled={busy} onClick={csv}>{t.csv}</Button>
        <Button id="undo-button" disabled={busy || !undoable} onClick={previewUndo}>{t.undo}</Button>
        {busy ? <Spinner size="tiny" /> : null}
      </div>
      <Inline msg={msg} onDismiss={() => setMsg(null)} t={t} />

      <Dialog open={detail !== null} onOpenChange={(_, d) => !d.open && setDetail(null)}>
        <DialogSurface style={{ maxWidth: '960px' }}>
          <DialogBody>
            <DialogTitle>{t.runDetail}</DialogTitle>
            <DialogContent>
              {detail ? (
                <div className={s.col} data-testid="run-detail-dialog">
                  <Body1>{`${fmt(detail.run.startedAt)} · ${kindText(detail.run.kind)} · ${actorText(t, detail.run.confirmedByActor)} · ${detail.run.status === 'succeeded' ? t.succeeded : t.failed}`}</Body1>
                  <Subtitle2>{t.runChanges}</Subtitle2>
                  {detail.changes.length ? (
                    <DataTable
                      t={t}
                      testId="run-changes"
                      columns={[t.col.name, t.kind, t.col.field, t.col.change]}
                      rows={[...detail.changes]
                        .sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action))
                        .flatMap((c) => {
                          const doc = c.after ?? c.before ?? {};
                          const name = doc['name'] && doc['loginName'] ? `${cell(doc['name'], t)} (${cell(doc['loginName'], t)})` : cell(doc['loginName'] ?? doc['name'] ?? doc['code'], t);
                          const what = `${t.entity[c.entity] ?? c.entity}: ${t.action[c.action] ?? c.action}`;
                          if (c.action === 'update') {
                            const keys = [...new Set([...Object.keys(c.before ?? {}), ...Object.keys(c.after ?? {})])];
                            return keys.map((k) => [name, what, fieldLabel(lang, k), `${cell(c.before?.[k], t)} → ${cell(c.after?.[k], t)}`]);
                          }
                          const shown = ['email', 'phone'].filter((k) => doc[k]);
                          const values = shown.map((k) => `${fieldLabel(lang, k)}: ${cell(doc[k], t)}`).join(' · ');
                          return [[name, what, '', values ? (c.action === 'create' ? `${t.empty} → ${values}` : `${values} → ${t.empty}`) : '']];
                        })}
                    />
                  ) : (
                    <Body1>{t.noChanges}</Body1>
                  )}
                </div>
              ) : null}
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setDetail(null)}>{t.close}</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>

      <Dialog open={undo !== null} onOpenChange={(_, d) => !d.open && setUndo(null)}>
        <DialogSurface style={{ maxWidth: '800px' }}>
          <DialogBody>
            <DialogTitle>{t.undoTitle}</DialogTitle>
            <DialogContent>
              {undo ? (
                <div className={s.col} data-testid="undo-dialog">
                  {undo.errors.length ? (
                    <>
                      <Body1>{t.undoBlocked}</Body1>
                      <IssueBars lang={lang} issues={undo.errors} intent="error" />
                    </>
                  ) : null}
                  <Body1>{t.undoHeadline(undoneRun ? fmt(undoneRun.startedAt) : t.empty, undoneRun ? actorText(t, undoneRun.confirmedByActor) : t.actorUnknown)}</Body1>
                  <ul>
                    <li>{t.undoRemove(undo.summary.usersToRemove)}</li>
                    <li>{t.undoRevert(undo.summary.usersToRevert)}</li>
                    <li>{t.undoRestore(undo.summary.usersToRestore)}</li>
                  </ul>
                  {undo.changes.removeUsers.length ? (
                    <DataTable t={t} testId="undo-remove" columns={[t.col.loginName, t.col.name]} rows={undo.changes.removeUsers.map((u) => [u.loginName, u.name])} />
                  ) : null}
                  {undo.warnings.length ? <IssueBars lang={lang} issues={undo.warnings} intent="warning" /> : null}
                </div>
              ) : null}
            </DialogContent>
            <DialogActions>
              {undo && undo.errors.length === 0 ? <Button id="undo-confirm" appearance="primary" onClick={confirmUndo}>{t.undoConfirm}</Button> : null}
              <Button onClick={() => setUndo(null)}>{t.cancel}</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </Section>
  );
}

// ------------------------------------------------------------------ SCIM

function ScimCard({ lang, ctx, tokens: list, fmt, onChanged }: { lang: Lang; ctx: Context; tokens: ScimToken[]; fmt: (iso: string | null) => string; onChanged: () => Promise<void> }) {
  const t = TEXTS[lang];
  const s = useStyles();
  const { busy, msg, setMsg, run } = useAction(lang);
  const [label, setLabel] = useState('');
  const [secret, setSecret] = useState<{ id: string; token: string } | null>(null);
  const [revoke, setRevoke] = useState<ScimToken | null>(null);
  const url = new URL(ctx.scimUrl, location.href).href;
  const copy = (text: string) =>
    run(async () => {
      await navigator.clipboard.writeText(text).catch(() => undefined);
      return { intent: 'success', text: t.copied };
    });
  const issue = () =>
    run(async () => {
      const r = await api<{ id: string; token: string }>('POST', '/api/tab/scim-tokens', { label });
      setSecret({ id: r.id, token: r.token });
      setLabel('');
      await onChanged();
      return { intent: 'success', text: t.tokenIssued };
    });
  const doRevoke = () =>
    run(async () => {
      const tok = revoke;
      setRevoke(null);
      if (!tok) return null;
      await api('DELETE', `/api/tab/scim-tokens/${tok.id}`);
      setSecret((cur) => (cur?.id === tok.id ? null : cur));
      await onChanged();
      return { intent: 'success', text: t.revokedDone };
    });
  return (
    <Section id="scim" title={t.scim}>
      <Body1>{t.scimHelp}</Body1>
      <Link href="/tab/scim-guide" target="_blank" rel="noopener">{t.scimGuide}</Link>
      <Field label={t.scimUrl}>
        <div className={s.row}>
          <code className={s.code} id="scim-url">{url}</code>
          <Button size="small" onClick={() => copy(url)}>{t.copy}</Button>
        </div>
      </Field>
      <div className={s.row}>
        <Field label={t.tokenLabel}>
          <Input id="token-label" maxLength={100} value={label} onChange={(_, d) => setLabel(d.value)} />
        </Field>
        <Button id="issue-button" disabled={busy} onClick={issue}>{t.issue}</Button>
      </div>
      {secret ? (
        <MessageBar intent="warning" layout="multiline" data-testid="new-token">
          <MessageBarBody>
            <MessageBarTitle>{t.tokenShown}</MessageBarTitle>
            <div className={s.row}>
              <code className={s.code} id="new-token">{secret.token}</code>
              <Button size="small" onClick={() => copy(secret.token)}>{t.copy}</Button>
            </div>
          </MessageBarBody>
          <MessageBarActions containerAction={<Button appearance="transparent" size="small" aria-label={t.dismiss} onClick={() => setSecret(null)}>×</Button>} />
        </MessageBar>
      ) : null}
      {list.length ? (
        <Table size="small" id="tokens">
          <TableHeader>
            <TableRow>{[t.label, t.created, t.lastUsed, ''].map((h, i) => <TableHeaderCell key={i}>{h}</TableHeaderCell>)}</TableRow>
          </TableHeader>
          <TableBody>
            {list.map((tok) => (
              <TableRow key={tok.id}>
                <TableCell>{tok.label || t.unlabelled}</TableCell>
                <TableCell>{fmt(tok.createdAt)}</TableCell>
                <TableCell>{tok.revokedAt ? t.revoked : tok.lastUsedAt ? fmt(tok.lastUsedAt) : t.neverUsed}</TableCell>
                <TableCell>{tok.revokedAt ? null : <Button size="small" data-testid="revoke" disabled={busy} onClick={() => setRevoke(tok)}>{t.revoke}</Button>}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      <Inline msg={msg} onDismiss={() => setMsg(null)} t={t} />
      <Dialog open={revoke !== null} onOpenChange={(_, d) => !d.open && setRevoke(null)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{t.revokeTitle}</DialogTitle>
            <DialogContent>{revoke ? t.revokeBody(revoke.label || t.unlabelled) : null}</DialogContent>
            <DialogActions>
              <Button id="revoke-confirm" appearance="primary" onClick={doRevoke}>{t.revoke}</Button>
              <Button onClick={() => setRevoke(null)}>{t.cancel}</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </Section>
  );
}

// ------------------------------------------------------------------ disconnect

function DisconnectCard({ lang, status, onDone }: { lang: Lang; status: Status; onDone: () => void }) {
  const t = TEXTS[lang];
  const s = useStyles();
  const { busy, msg, setMsg, run } = useAction(lang);
  const [open, setOpen] = useState(false);
  const tenant = status.tenant.name ?? status.tenant.id ?? t.tenantNotLinked;
  const go = () =>
    run(async () => {
      setOpen(false);
      await api('POST', '/api/tab/disconnect', {});
      onDone();
      return null;
    });
  return (
    <Section id="danger" title={t.disconnect}>
      <Body1 className={s.muted}>{t.disconnectHelp}</Body1>
      <Body1 className={s.muted}>{t.reconnect}</Body1>
      <div className={s.row}>
        <Button id="disconnect-button" disabled={busy || !status.tenant.id} onClick={() => setOpen(true)}>{t.disconnectButton}</Button>
      </div>
      <Inline msg={msg} onDismiss={() => setMsg(null)} t={t} />
      <Dialog open={open} onOpenChange={(_, d) => setOpen(d.open)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{t.disconnectTitle}</DialogTitle>
            <DialogContent>{t.disconnectBody(tenant, status.scimActiveTokens)}</DialogContent>
            <DialogActions>
              <Button id="disconnect-confirm" appearance="primary" onClick={go}>{t.disconnectConfirm}</Button>
              <Button onClick={() => setOpen(false)}>{t.cancel}</Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </Section>
  );
}
