/**
 * The other pages: agents, monitors (meshping's table, sortable, loss coloured, heatmaps, add
 * and remove), personal API tokens, sign-in, and a shared result.
 */
import { useEffect, useState } from 'preact/hooks';
import type { MonitorAgentStats, MonitorView } from '../../shared/model/monitor-types.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import type { AgentInfo } from '../../shared/wire/agent-link.ts';
import { api, type SessionInfo } from '../api.ts';
import { html, lossClass, ms } from '../html.ts';
import { RunModel } from '../run-model.ts';
import { MonitorChart } from './monitor-chart.ts';
import { Results } from './results.ts';

/** An agent as GET /v1/agents lists it: what it announced, and when the hub added its link. */
export type ListedAgent = AgentInfo & { connectedAt?: string };

export function AgentsPage(props: { agents: ListedAgent[]; error: string }) {
  const now = Date.now();
  return html`<section><h2>Agents</h2>
    ${props.error ? html`<p class="error">${props.error}</p>` : null}
    <div class="scroll"><table class="agents">
      <thead><tr><th>name</th><th>location</th><th>network</th><th>capabilities</th><th>version</th><th>connected since</th></tr></thead>
      <tbody>${props.agents.map(
        (a) => html`<tr class="agent-row"><td class="name">${a.name}</td><td>${[a.city, a.country].filter(Boolean).join(', ')}</td>
          <td>${a.asn !== undefined ? `AS${a.asn}` : ''}${a.isp ? ` ${a.isp}` : ''}</td><td>${a.capabilities.join(' ')}</td><td>${a.version}</td>
          <td class="since">${a.connectedAt ? html`<time datetime=${a.connectedAt} title=${a.connectedAt}>${since(a.connectedAt, now)}</time>` : '–'}</td></tr>`,
      )}</tbody></table></div></section>`;
}

/** "14:31 (2 h ago)": the local time of day (with the date when not today) and how long ago. */
function since(iso: string, now: number): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '–';
  const today = new Date(now).toDateString() === t.toDateString();
  const when = today ? t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : t.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
  const s = Math.max(0, Math.round((now - t.getTime()) / 1000));
  const ago = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86_400 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86_400)} d`;
  return `${when} (${ago} ago)`;
}

type Row = { m: MonitorView; s: MonitorAgentStats | undefined };
const COLUMNS: { key: string; label: string; value: (r: Row) => string | number | null }[] = [
  { key: 'name', label: 'monitor', value: (r) => r.m.name },
  { key: 'target', label: 'target', value: (r) => r.m.target },
  { key: 'agent', label: 'agent', value: (r) => r.s?.agent ?? '' },
  { key: 'address', label: 'address', value: (r) => r.s?.address ?? '' },
  { key: 'sent', label: 'sent', value: (r) => r.s?.sent ?? null },
  { key: 'recv', label: 'recv', value: (r) => r.s?.received ?? null },
  { key: 'succ', label: 'succ', value: (r) => r.s?.successPct ?? null },
  { key: 'loss', label: 'loss', value: (r) => r.s?.lossPct ?? null },
  { key: 'min', label: 'min', value: (r) => r.s?.minMs ?? null },
  { key: 'avg15', label: 'avg15m', value: (r) => r.s?.avg15mMs ?? null },
  { key: 'avg6h', label: 'avg6h', value: (r) => r.s?.avg6hMs ?? null },
  { key: 'avg24', label: 'avg24h', value: (r) => r.s?.avg24hMs ?? null },
  { key: 'max', label: 'max', value: (r) => r.s?.maxMs ?? null },
  { key: 'last', label: 'last', value: (r) => r.s?.lastMs ?? null },
];

function cell(key: string, v: string | number | null): string {
  if (v === null) return '–';
  if (typeof v === 'string') return v;
  if (key === 'succ' || key === 'loss') return `${v.toFixed(1)}%`;
  if (key === 'sent' || key === 'recv') return String(v);
  return ms(v);
}

export function MonitorsPage(props: { session: SessionInfo }) {
  const [monitors, setMonitors] = useState<MonitorView[]>([]);
  const [error, setError] = useState('');
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: 'name', desc: false });
  const [target, setTarget] = useState('');
  const [interval, setInterval_] = useState('');
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [chart, setChart] = useState<{ monitor: number; agent: string; name: string } | undefined>(undefined);

  async function load() {
    try {
      setMonitors((await api<{ monitors: MonitorView[] }>('/v1/monitors')).monitors);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 10_000);
    return () => clearInterval(t);
  }, []);

  async function add(e: Event) {
    e.preventDefault();
    try {
      await api('/v1/monitors', { method: 'POST', body: { target: target.trim(), ...(interval.trim() ? { interval: interval.trim() } : {}) } });
      setTarget('');
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  async function remove(id: number) {
    try {
      await api(`/v1/monitors/${id}`, { method: 'DELETE' });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  const rows: Row[] = monitors.flatMap((m): Row[] => (m.stats.length ? m.stats.map((s) => ({ m, s })) : [{ m, s: undefined }]));
  const col = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0]!;
  rows.sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    const d = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
    return sort.desc ? -d : d;
  });
  return html`<section><h2>Monitors</h2>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${props.session.guest ? html`<p class="note">Guests can look; sign in to add monitors.</p>` : html`<form class="inline-form add-monitor" onSubmit=${add}>
      <input name="target" value=${target} onInput=${(e: Event) => setTarget((e.target as HTMLInputElement).value)} placeholder="target, e.g. example.com" aria-label="monitor target" />
      <input name="interval" value=${interval} onInput=${(e: Event) => setInterval_((e.target as HTMLInputElement).value)} placeholder="interval (1s)" aria-label="interval" />
      <button type="submit">Add monitor</button></form>`}
    <div class="scroll"><table class="monitors">
      <thead><tr>${COLUMNS.map(
        (c) => html`<th aria-sort=${sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
          <button type="button" class="sort" onClick=${() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : false }))}>${c.label}</button></th>`,
      )}<th></th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr class="monitor-row" data-id=${r.m.id}>${COLUMNS.map((c) => html`<td class=${c.key === 'loss' ? lossClass(r.s?.lossPct) : c.key.startsWith('avg') || ['min', 'max', 'last', 'sent', 'recv', 'succ'].includes(c.key) ? 'num' : ''}>${cell(c.key, c.value(r))}</td>`)}
          <td class="actions"><button type="button" onClick=${() => {
            const src = `/v1/monitors/${r.m.id}/heatmap.png${r.s ? `?agent=${encodeURIComponent(r.s.agent)}` : ''}`;
            setOpen(open === src ? undefined : src);
          }}>heatmap</button>
          ${r.s ? html`<button type="button" class="chart-toggle" onClick=${() => {
            const c = { monitor: r.m.id, agent: r.s!.agent, name: r.m.name };
            setChart(chart?.monitor === c.monitor && chart.agent === c.agent ? undefined : c);
          }}>chart</button>` : null}
          ${props.session.guest ? null : html`<button type="button" class="danger" onClick=${() => void remove(r.m.id)}>remove</button>`}</td></tr>`,
      )}</tbody></table></div>
    ${chart ? html`<${MonitorChart} key=${`${chart.monitor}/${chart.agent}`} ...${chart} />` : null}
    ${open !== undefined ? html`<figure class="heatmap"><img alt="heatmap of the monitor (latency by hour, loss strip)" src=${open} /></figure>` : null}
  </section>`;
}

interface TokenRow {
  jti: string;
  label: string;
  scope: string;
  createdAt: string;
  expiresAt: string;
  state: string;
}

export function TokensPage(props: { session: SessionInfo }) {
  const [tokens, setTokens] = useState<TokenRow[]>([]);
  const [label, setLabel] = useState('');
  const [days, setDays] = useState('30');
  const [minted, setMinted] = useState('');
  const [error, setError] = useState('');
  async function load() {
    try {
      setTokens((await api<{ tokens: TokenRow[] }>('/v1/me/tokens')).tokens);
    } catch (e) {
      setError((e as Error).message);
    }
  }
  useEffect(() => void load(), []);
  async function mint(e: Event) {
    e.preventDefault();
    try {
      const r = await api<{ token: string }>('/v1/me/tokens', { method: 'POST', body: { label: label.trim(), days: Number(days) } });
      setMinted(r.token);
      setLabel('');
      setError('');
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  async function revoke(jti: string) {
    try {
      await api(`/v1/me/tokens/${encodeURIComponent(jti)}`, { method: 'DELETE' });
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  return html`<section><h2>API tokens</h2>
    <p class="note">Tokens for the CLI (<code>MESHPROBE_TOKEN</code>) and MCP clients, acting as you (${props.session.sub}).</p>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${props.session.guest ? html`<p class="note">Guests cannot mint tokens: sign in.</p>` : html`<form class="inline-form mint" onSubmit=${mint}>
      <input name="label" value=${label} onInput=${(e: Event) => setLabel((e.target as HTMLInputElement).value)} placeholder="label, e.g. laptop CLI" aria-label="token label" />
      <input name="days" value=${days} inputmode="numeric" onInput=${(e: Event) => setDays((e.target as HTMLInputElement).value)} aria-label="days valid" />
      <button type="submit">Mint token</button></form>`}
    ${minted ? html`<p class="minted">Copy it now, it is not shown again: <input readonly class="token" value=${minted} onFocus=${(e: Event) => (e.target as HTMLInputElement).select()} /></p>` : null}
    <div class="scroll"><table class="tokens"><thead><tr><th>label</th><th>scope</th><th>created</th><th>expires</th><th>state</th><th></th></tr></thead>
    <tbody>${tokens.map(
      (t) => html`<tr class="token-row" data-jti=${t.jti}><td>${t.label}</td><td>${t.scope}</td><td>${t.createdAt.slice(0, 16).replace('T', ' ')}</td>
        <td>${t.expiresAt.slice(0, 10)}</td><td class="state">${t.state}</td>
        <td>${t.state === 'active' ? html`<button type="button" class="danger" onClick=${() => void revoke(t.jti)}>revoke</button>` : null}</td></tr>`,
    )}</tbody></table></div></section>`;
}

export function SignInPage(props: { session: SessionInfo; onSignedIn: () => void; error: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(props.error);
  const o = props.session.signIn ?? { guest: false };
  async function guest() {
    try {
      await api('/auth/guest', { method: 'POST', body: {} });
      props.onSignedIn();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  async function paste(e: Event) {
    e.preventDefault();
    try {
      await api('/v1/session', { method: 'POST', body: { token: token.trim() } });
      setToken('');
      props.onSignedIn();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  return html`<section class="signin"><h2>Sign in</h2>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="providers">
      ${o.oidc ? html`<a class="button" href="/auth/oidc/start" id="signin-oidc">Sign in with ${o.oidc}</a>` : null}
      ${o.github ? html`<a class="button" href="/auth/github/start" id="signin-github">Sign in with GitHub</a>` : null}
      ${o.guest ? html`<button type="button" id="signin-guest" onClick=${guest}>Continue as guest</button>` : null}
    </div>
    <form class="inline-form paste" onSubmit=${paste}>
      <input type="password" name="token" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} placeholder="or paste an API token" aria-label="API token" autocomplete="off" />
      <button type="submit">Use token</button>
    </form></section>`;
}

/** A shared result: fetched by its id (no session needed) and shown as it was. */
export function SharePage(props: { id: string }) {
  const [run, setRun] = useState<RunModel | undefined>(undefined);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ command: string; createdAt: string; events: MeasurementEvent[] }>(`/v1/shares/${encodeURIComponent(props.id)}`)
      .then((s) => {
        const m = new RunModel(s.command, undefined);
        for (const e of s.events) m.add(e);
        setRun(m);
      })
      .catch((e) => setError((e as Error).message));
  }, [props.id]);
  return html`<section><h2>Shared result</h2>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${run ? html`<${Results} run=${run} shared=${true} />` : error ? null : html`<p>loading…</p>`}
    <p><a href="/">meshprobe</a></p></section>`;
}
