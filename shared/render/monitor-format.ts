/**
 * What every monitor renderer (monitor-table, monitor-compact, monitor-detail, monitor-html)
 * shares: reading a MonitorView from the wire defensively (a hub of another version, or a bug,
 * must not make a renderer throw or run long), number formats, and the loss classes that colour
 * the Loss column where the medium allows. Pure.
 */
import type { MonitorAgentStats, MonitorDetail, MonitorView } from '../model/monitor-types.ts';

/** Bounds every monitor renderer applies, whatever it is given. */
export const MonitorRenderLimits = {
  /** Monitors shown before "… and K more". */
  maxMonitors: 50,
  /** Agents shown per monitor before "… and K more". */
  maxAgents: 20,
  /** Characters of a name, target or address shown (longer ones end in …). */
  maxField: 64,
  /** Route and address changes shown in `monitor show`, newest first. */
  maxChanges: 5,
  /** Hops of a route shown before "…". */
  maxHops: 30,
} as const;

/** A monitor as the renderers read it: every field present, typed, bounded. */
export interface SafeMonitor {
  id: number | null;
  name: string;
  target: string;
  probe: string;
  intervalMs: number | null;
  traceMs: number | null;
  /** Probe options (MonitorView `legacy`, `fixedTimeout`). */
  legacy: boolean;
  fixedTimeout: boolean;
  from: string[];
  alerts: string[];
  paused: boolean;
  agents: string[];
  stats: MonitorAgentStats[];
  /** Stats entries beyond the bound (not in `stats`). */
  moreStats: number;
}

/** A finite number, or null. */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Text without control characters, at most `max` characters (… at the end when cut). */
export function str(v: unknown, max: number = MonitorRenderLimits.maxField): string {
  if (typeof v !== 'string' && typeof v !== 'number') return '';
  const s = String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return s.length > max ? `${s.slice(0, Math.max(0, max - 1))}…` : s;
}

/** The first `max` items of `v` when it is an array (else none), and how many were left out. */
export function bounded<T = unknown>(v: unknown, max: number): { items: T[]; more: number } {
  if (!Array.isArray(v)) return { items: [], more: 0 };
  return { items: v.slice(0, max) as T[], more: Math.max(0, v.length - max) };
}

function strings(v: unknown, max: number): string[] {
  return bounded(v, max).items.map((s) => str(s)).filter((s) => s !== '');
}

/** One agent's statistics read defensively. */
export function safeStats(v: unknown): MonitorAgentStats {
  const o = (v !== null && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const error = str(o['error'], 200);
  return {
    agent: str(o['agent']) || '?',
    address: str(o['address']) || null,
    sent: Math.max(0, Math.trunc(num(o['sent']) ?? 0)),
    received: Math.max(0, Math.trunc(num(o['received']) ?? 0)),
    successPct: num(o['successPct']),
    lossPct: num(o['lossPct']),
    minMs: num(o['minMs']),
    avg15mMs: num(o['avg15mMs']),
    avg6hMs: num(o['avg6hMs']),
    avg24hMs: num(o['avg24hMs']),
    maxMs: num(o['maxMs']),
    lastMs: num(o['lastMs']),
    p50Ms: num(o['p50Ms']),
    p95Ms: num(o['p95Ms']),
    p99Ms: num(o['p99Ms']),
    lastAt: str(o['lastAt']) || null,
    ...(error ? { error } : {}),
  };
}

/** A monitor read defensively (anything that is not a MonitorView gives a monitor with blanks). */
export function safeMonitor(v: unknown, maxAgents: number = MonitorRenderLimits.maxAgents): SafeMonitor {
  const o = (v !== null && typeof v === 'object' ? v : {}) as Partial<Record<keyof MonitorView, unknown>>;
  const stats = bounded(o.stats, maxAgents);
  const target = str(o.target);
  return {
    id: num(o.id),
    name: str(o.name) || target || '?',
    target,
    probe: str(o.probe) || target,
    intervalMs: num(o.intervalMs),
    traceMs: num(o.traceMs),
    legacy: o.legacy === true,
    fixedTimeout: o.fixedTimeout === true,
    from: strings(o.from, maxAgents),
    alerts: strings(o.alerts, 16),
    paused: o.paused === true,
    agents: strings(o.agents, maxAgents),
    stats: stats.items.map(safeStats),
    moreStats: stats.more,
  };
}

/** The detail fields of `monitor show`, read defensively. */
export function safeDetail(v: unknown): SafeMonitor & Pick<MonitorDetail, 'routeChanges' | 'addressChanges' | 'alerting'> & { rangeMs: number | null; moreRouteChanges: number; moreAddressChanges: number } {
  const o = (v !== null && typeof v === 'object' ? v : {}) as Partial<Record<keyof MonitorDetail, unknown>>;
  const max = MonitorRenderLimits.maxChanges;
  // Newest first: the hub lists them oldest first.
  const routes = Array.isArray(o.routeChanges) ? o.routeChanges.slice(-max).reverse() : [];
  const addresses = Array.isArray(o.addressChanges) ? o.addressChanges.slice(-max).reverse() : [];
  const hops = (h: unknown) => bounded(h, MonitorRenderLimits.maxHops).items.map((x) => (x === null ? null : str(x, 45)));
  const rec = (x: unknown) => (x !== null && typeof x === 'object' ? x : {}) as Record<string, unknown>;
  return {
    ...safeMonitor(v),
    rangeMs: num(o.rangeMs),
    routeChanges: routes.map(rec).map((r) => ({ agent: str(r['agent']) || '?', at: str(r['at']), from: hops(r['from']), to: hops(r['to']) })),
    moreRouteChanges: Array.isArray(o.routeChanges) ? Math.max(0, o.routeChanges.length - max) : 0,
    addressChanges: addresses.map(rec).map((r) => ({ agent: str(r['agent']) || '?', at: str(r['at']), from: str(r['from']) || null, to: str(r['to']) })),
    moreAddressChanges: Array.isArray(o.addressChanges) ? Math.max(0, o.addressChanges.length - max) : 0,
    alerting: strings(o.alerting, 16),
  };
}

/** A round trip in ms with the precision it deserves: 0.031, 1.24, 12.3, 123. '-' when absent. */
export function fmtLatency(ms: number | null): string {
  if (ms === null) return '-';
  const a = Math.abs(ms);
  if (a >= 10_000_000) return ms.toExponential(1);
  if (a < 1) return ms.toFixed(3);
  if (a < 10) return ms.toFixed(2);
  if (a < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** A percentage: 0%, 100%, 99.9%, <0.1%; '-' when absent. */
export function fmtPct(p: number | null): string {
  if (p === null) return '-';
  const c = Math.min(100, Math.max(0, p));
  if (c === 0 || c === 100) return `${c}%`;
  if (c < 0.1) return '<0.1%';
  if (c > 99.9) return '>99.9%';
  return `${c.toFixed(1)}%`;
}

/** A count, with k/M for large ones so columns stay narrow: 999, 12.3k, 4.5M. */
export function fmtCount(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** How bad a loss is, for colours and symbols: none, some (< 5 %), high (< 50 %), total or no data. */
export type LossClass = 'none' | 'low' | 'high' | 'down' | 'unknown';

/** The class of a loss percentage. */
export function lossClass(p: number | null): LossClass {
  if (p === null) return 'unknown';
  if (p <= 0) return 'none';
  if (p < 5) return 'low';
  if (p < 100) return 'high';
  return 'down';
}

/** Per class: an ANSI SGR colour for terminals, an HTML colour, a symbol for media without colour. */
export const LOSS_STYLE: Readonly<Record<LossClass, { ansi: string; html: string; symbol: string }>> = {
  none: { ansi: '32', html: '#1e7b34', symbol: '' },
  low: { ansi: '33', html: '#9a6700', symbol: '!' },
  high: { ansi: '31', html: '#c62828', symbol: '!!' },
  down: { ansi: '1;31', html: '#b00020', symbol: 'x' },
  unknown: { ansi: '2', html: '#777777', symbol: '' },
};

/** "… and K more <what>" for a list cut at a bound; '' when nothing was cut. */
export function andMore(k: number, what: string): string {
  return k > 0 ? `… and ${k} more ${what}` : '';
}
