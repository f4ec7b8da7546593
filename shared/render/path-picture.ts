/**
 * The path picture of a run that traced one target from several agents (issue 17 item 3): the
 * agents on top, the target at the bottom, every hop a box between them. A hop address seen by
 * several agents, at any TTL, is one box (the paths join there); a silent hop (`*`) is a box of
 * its own per agent and TTL, since nothing says two silences are the same router. Each edge
 * carries the RTT of the hop below it, as the agents that took it measured it, and is coloured by
 * that RTT's grade (quality.ts), so slow stretches stand out. A title says the point: where the
 * paths join and which agent is slowest ({@link pathFacts}, also the caption's words).
 *
 * Pure pixels on raster.ts (png.ts encodes them): Telegram sends it as a photo, email inline, MCP
 * as image content. Bounded: at most {@link MAX_PATH_AGENTS} agents, {@link MAX_PATH_HOPS} hops
 * each and {@link MAX_PATH_NODES} boxes, whatever the stream holds.
 */
import type { HopEvent } from '../model/events.ts';
import { formatPingTime } from './format.ts';
import type { FoldPart } from './measurement-fold.ts';
import { GRADE_STYLE, latencyGrade } from './quality.ts';
import { Raster, textWidth, LINE_H, GLYPH_H } from './raster.ts';
import { summarizePart } from './run-summary.ts';
import type { Rgb } from './sweep-bitmap.ts';

/** Most agents drawn in one picture (the rest are left out and said so in the title). */
export const MAX_PATH_AGENTS = 12;
/** Most hops drawn per agent. */
export const MAX_PATH_HOPS = 64;
/** Most boxes in one picture. */
export const MAX_PATH_NODES = 400;

/** What a box stands for. */
export type PathNodeKind = 'agent' | 'hop' | 'silent' | 'target';

/** One box of the picture. */
export interface PathNode {
  /** The address for hops and targets, `agent:NAME` for agents, `*NAME#TTL` for a silent hop. */
  id: string;
  kind: PathNodeKind;
  /** What the box says: the address, the agent's name, or `*`. */
  label: string;
  /** The agents whose path passes through this box. */
  agents: string[];
  /** The TTLs at which it answered (agents: none). */
  ttls: number[];
  /** Row of the picture: 0 for the agents, the last for the target. */
  layer: number;
}

/** One edge: a step of one or more agents' paths. */
export interface PathEdge {
  from: string;
  to: string;
  agents: string[];
  /** The RTT of `to` per agent that took this step (averaged over its probes), ms. */
  rttsMs: number[];
  /** The path stopped before the target: a dashed line from its last answer to the target. */
  unreached?: boolean;
}

/** The merged paths of one target. */
export interface PathGraph {
  target: string;
  agents: string[];
  nodes: PathNode[];
  edges: PathEdge[];
  /** Agents, hops or boxes were left out to stay within the bounds. */
  truncated: boolean;
}

/** The point of the picture in words. */
export interface PathFacts {
  /** The first box on every agent's path (or, when there is none, on the most paths, at least 2). */
  joinAt?: { address: string; agents: string[]; hop: number };
  /** The agent that reached the target slowest, and its RTT there. */
  slowest?: { agent: string; ms: number };
  /** Agents whose path did not reach the target. */
  unreached: string[];
  /** Hop boxes (not the target) shared by two or more agents. */
  shared: number;
}

/** A rectangle of the picture. */
export interface PathRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One legend entry with its count and where its text is drawn. */
export interface PathLegendEntry {
  label: string;
  count: number;
  text: string;
  at: { x: number; y: number };
}

/** The picture and where its parts are (for tests and image maps). */
export interface PathPicture {
  image: Raster;
  graph: PathGraph;
  facts: PathFacts;
  title: PathRegion & { lines: string[] };
  nodes: (PathRegion & { node: PathNode })[];
  legend: PathRegion & { entries: PathLegendEntry[] };
}

/** Options of {@link pathPicture}. */
export interface PathPictureOptions {
  /** When, as the reader should see it (`2026-05-01 12:00 UTC`); the caller owns the clock. */
  time?: string;
}

export const PATH_INK: Rgb = [20, 20, 20];
/** The frame of every box, and nothing else: a reader (or a test) counts boxes by it. */
export const NODE_BORDER: Rgb = [40, 40, 48];
const PAPER: Rgb = [255, 255, 255];
const MUTED: Rgb = [110, 110, 110];
const SILENT_EDGE: Rgb = [170, 170, 170];
const UNREACHED_EDGE: Rgb = [200, 60, 60];
/** Box fills by kind; a hop shared by several agents is marked apart. */
export const NODE_FILL: Readonly<Record<PathNodeKind | 'shared' | 'unreached', Rgb>> = {
  agent: [214, 230, 250],
  hop: [255, 255, 255],
  shared: [255, 236, 179],
  silent: [232, 232, 232],
  target: [198, 239, 206],
  unreached: [255, 205, 205],
};

const PAD = 8;
const NODE_H = 15;
const GAP_X = 12;
const GAP_Y = 30;
const MIN_WIDTH = 320;
const MAX_WIDTH = 4000;

/** The parts of a fold that traced (have hops), grouped by target, in order of first appearance. */
export function pathPartsByTarget(parts: Iterable<FoldPart>): Map<string, FoldPart[]> {
  const out = new Map<string, FoldPart[]>();
  for (const p of parts) {
    if (p.hops.size === 0) continue;
    const list = out.get(p.target) ?? [];
    list.push(p);
    out.set(p.target, list);
  }
  return out;
}

/** The targets worth a path picture: those traced by two agents or more, with their parts. */
export function multiAgentPaths(parts: Iterable<FoldPart>): [string, FoldPart[]][] {
  return [...pathPartsByTarget(parts)].filter(([, ps]) => new Set(ps.map((p) => p.agent)).size >= 2);
}

/** Merges the paths of `parts` (one target, one part per agent) into one graph. */
export function pathGraph(parts: readonly FoldPart[]): PathGraph {
  const nodes = new Map<string, PathNode>();
  const edges = new Map<string, PathEdge>();
  let truncated = parts.length > MAX_PATH_AGENTS;
  const used = parts.slice(0, MAX_PATH_AGENTS);
  const dests = new Set(used.flatMap((p) => [p.start?.address, p.summary?.address].filter((a): a is string => typeof a === 'string' && a.length > 0)));
  const node = (id: string, kind: PathNodeKind, label: string): PathNode | undefined => {
    const have = nodes.get(id);
    if (have) return have;
    if (nodes.size >= MAX_PATH_NODES) {
      truncated = true;
      return undefined;
    }
    const n: PathNode = { id, kind, label, agents: [], ttls: [], layer: 0 };
    nodes.set(id, n);
    return n;
  };
  const edge = (from: string, to: string, agent: string, rtt: number | undefined, unreached = false): void => {
    const key = `${from}\u0000${to}`;
    let e = edges.get(key);
    if (!e) {
      e = { from, to, agents: [], rttsMs: [], ...(unreached ? { unreached: true } : {}) };
      edges.set(key, e);
    }
    if (!e.agents.includes(agent)) e.agents.push(agent);
    if (rtt !== undefined) e.rttsMs.push(rtt);
  };
  const agents: string[] = [];
  for (const p of used) {
    if (agents.includes(p.agent)) continue;
    agents.push(p.agent);
    const a = node(`agent:${p.agent}`, 'agent', p.agent);
    if (!a) break;
    a.agents.push(p.agent);
    const dest = p.start?.address ?? p.summary?.address;
    let prev = [a.id];
    let reached = false;
    const hops: HopEvent[] = [...p.hops.values()].sort((x, y) => x.ttl - y.ttl);
    if (hops.length > MAX_PATH_HOPS) truncated = true;
    for (const h of hops.slice(0, MAX_PATH_HOPS)) {
      const here: string[] = [];
      const seen = new Set<string>();
      for (const r of h.responders) {
        if (seen.has(r.address)) continue;
        seen.add(r.address);
        const n = node(r.address, dests.has(r.address) ? 'target' : 'hop', r.address);
        if (!n) continue;
        if (!n.agents.includes(p.agent)) n.agents.push(p.agent);
        if (!n.ttls.includes(h.ttl)) n.ttls.push(h.ttl);
        const rtts = r.rttsMs;
        const rtt = rtts.length ? rtts.reduce((s, v) => s + v, 0) / rtts.length : undefined;
        for (const from of prev) edge(from, n.id, p.agent, rtt);
        here.push(n.id);
        if (r.address === dest) reached = true;
      }
      if (here.length === 0) {
        const n = node(`*${p.agent}#${h.ttl}`, 'silent', '*');
        if (!n) break;
        n.agents.push(p.agent);
        n.ttls.push(h.ttl);
        for (const from of prev) edge(from, n.id, p.agent, undefined);
        here.push(n.id);
      }
      prev = here;
      if (reached) break;
    }
    if (!reached && dest) {
      const t = node(dest, 'target', dest);
      if (t) for (const from of prev) edge(from, t.id, p.agent, undefined, true);
    }
  }
  layer([...nodes.values()], [...edges.values()]);
  return { target: used[0]?.target ?? '', agents, nodes: [...nodes.values()], edges: [...edges.values()], truncated };
}

/**
 * Rows: agents on row 0, every other box below each box that leads to it (longest path, so an
 * edge points down), the targets on the last row. Bounded: at most one pass per box (a routing
 * loop would otherwise push boxes down forever), rows capped at 255.
 */
function layer(nodes: PathNode[], edges: PathEdge[]): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) n.layer = n.kind === 'agent' ? 0 : 1;
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      const u = byId.get(e.from);
      const v = byId.get(e.to);
      if (!u || !v || v.kind === 'agent') continue;
      if (v.layer <= u.layer && u.layer < 255) {
        v.layer = u.layer + 1;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const last = Math.max(0, ...nodes.filter((n) => n.kind !== 'target').map((n) => n.layer)) + 1;
  for (const n of nodes) if (n.kind === 'target') n.layer = last;
}

/** Where the paths join, the slowest agent, who did not arrive. */
export function pathFacts(parts: readonly FoldPart[], graph: PathGraph = pathGraph(parts)): PathFacts {
  const all = graph.agents.length;
  const hops = graph.nodes.filter((n) => n.kind === 'hop' || n.kind === 'target');
  const first = (ns: PathNode[]) => ns.sort((a, b) => a.layer - b.layer || Math.min(...a.ttls) - Math.min(...b.ttls))[0];
  const everyone = all >= 2 ? first(hops.filter((n) => n.agents.length === all)) : undefined;
  const most = Math.max(0, ...hops.map((n) => n.agents.length));
  const join = everyone ?? (most >= 2 ? first(hops.filter((n) => n.agents.length === most)) : undefined);
  const facts: PathFacts = { unreached: [], shared: graph.nodes.filter((n) => n.kind === 'hop' && n.agents.length >= 2).length };
  if (join) facts.joinAt = { address: join.label, agents: [...join.agents], hop: Math.min(...join.ttls) };
  for (const p of parts) {
    if (!graph.agents.includes(p.agent)) continue;
    const s = summarizePart(p);
    if (!s.reached) {
      facts.unreached.push(p.agent);
      continue;
    }
    if (s.avgMs !== null && (!facts.slowest || s.avgMs > facts.slowest.ms)) facts.slowest = { agent: p.agent, ms: s.avgMs };
  }
  return facts;
}

/**
 * The facts in one line: `paths join at 203.0.113.4 (hop 4); slowest fra1 151 ms; nyc1 did not
 * arrive`. Said the same way in the picture's title, a Telegram caption and an email's alt text.
 */
export function pathFactsLine(f: PathFacts, agents: number): string {
  const out: string[] = [];
  if (f.joinAt) {
    const who = f.joinAt.agents.length === agents ? 'paths join' : `${f.joinAt.agents.join(', ')} join`;
    out.push(`${who} at ${f.joinAt.address} (hop ${f.joinAt.hop})`);
  } else out.push('no hop in common');
  if (f.slowest) out.push(`slowest ${f.slowest.agent} ${formatPingTime(f.slowest.ms)} ms`);
  if (f.unreached.length) out.push(`${f.unreached.join(', ')} did not arrive`);
  return out.join('; ');
}

/** Draws the merged paths of `parts` (one target, several agents). */
export function pathPicture(parts: readonly FoldPart[], o: PathPictureOptions = {}): PathPicture {
  const graph = pathGraph(parts);
  const facts = pathFacts(parts, graph);
  const dest = parts[0]?.start?.address;
  const titleLines = [
    `path to ${graph.target}`,
    [`from ${graph.agents.join(', ')}${graph.truncated ? ' (cut to fit)' : ''}`, dest && dest !== graph.target ? dest : undefined, o.time].filter(Boolean).join(' · '),
    pathFactsLine(facts, graph.agents.length),
  ];
  const titleW = Math.max(...titleLines.map((l, i) => textWidth(l, i === 0 ? 2 : 1)));
  const titleH = LINE_H * 2 + LINE_H * 2;

  // Rows and their widths first (they fix the canvas), then left-to-right order row by row.
  const rows: PathNode[][] = [];
  for (const n of graph.nodes) (rows[n.layer] ??= []).push(n);
  const boxW = (n: PathNode) => textWidth(n.label) + 10;
  const rowW = (r: PathNode[] | undefined) => (r ?? []).reduce((s, n) => s + boxW(n), 0) + Math.max(0, (r?.length ?? 0) - 1) * GAP_X;
  const legendText = legendEntries(graph).map((e) => e.text);
  const legendW = legendText.reduce((s, t) => s + 14 + textWidth(t) + 12, 0);
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, PAD * 2 + titleW, PAD * 2 + Math.max(0, ...rows.map(rowW)), PAD * 2 + Math.min(legendW, 600)));
  const graphY = PAD + titleH + 6;
  const rowY = (l: number) => graphY + l * (NODE_H + GAP_Y);
  const placed = new Map<string, PathRegion & { node: PathNode }>();
  const preds = new Map<string, string[]>();
  for (const e of graph.edges) (preds.get(e.to) ?? preds.set(e.to, []).get(e.to)!).push(e.from);
  rows.forEach((row, l) => {
    if (!row) return;
    // Under the boxes that lead to each (barycentre), so edges cross as little as a greedy pass can.
    const want = (n: PathNode) => {
      const xs = (preds.get(n.id) ?? []).map((id) => placed.get(id)).filter((r) => r !== undefined).map((r) => r.x + r.width / 2);
      return xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0;
    };
    if (l > 0) row.sort((a, b) => want(a) - want(b));
    let x = Math.max(PAD, Math.floor((width - rowW(row)) / 2));
    for (const n of row) {
      placed.set(n.id, { x, y: rowY(l), width: boxW(n), height: NODE_H, node: n });
      x += boxW(n) + GAP_X;
    }
  });
  const layers = rows.length;
  const legendY = rowY(layers) + 4;
  const legendH = LINE_H * 2 + 4;
  const height = legendY + legendH + PAD;
  const img = new Raster(width, height, PAPER);

  let ty = PAD;
  titleLines.forEach((l, i) => {
    img.text(PAD, ty, l, i === 1 ? MUTED : PATH_INK, i === 0 ? 2 : 1);
    ty += i === 0 ? LINE_H * 2 : LINE_H;
  });

  // Edges under the boxes, then their RTT labels, then the boxes.
  const labels: { x: number; y: number; text: string }[] = [];
  for (const e of graph.edges) {
    const u = placed.get(e.from);
    const v = placed.get(e.to);
    if (!u || !v) continue;
    const x0 = u.x + u.width / 2;
    const y0 = u.y + u.height;
    const x1 = v.x + v.width / 2;
    const y1 = v.y;
    const worst = e.rttsMs.length ? Math.max(...e.rttsMs) : undefined;
    const colour = e.unreached ? UNREACHED_EDGE : worst === undefined ? SILENT_EDGE : GRADE_STYLE[latencyGrade(worst)].fill;
    const thick = e.agents.length >= 2 ? 3 : 1;
    if (e.unreached) dashed(img, x0, y0, x1, y1, colour);
    else img.line(x0, y0, x1, y1, colour, thick);
    if (e.rttsMs.length) {
      const lo = Math.min(...e.rttsMs);
      const text = formatPingTime(lo) === formatPingTime(worst!) ? formatPingTime(lo) : `${formatPingTime(lo)}-${formatPingTime(worst!)}`;
      // Halfway, where edges that meet in one box are still apart.
      labels.push({ x: Math.round((x0 + x1) / 2) + 4, y: Math.round((y0 + y1) / 2) - 4, text });
    }
  }
  for (const l of labels) {
    img.fill(l.x - 1, l.y - 1, textWidth(l.text) + 2, GLYPH_H + 2, PAPER);
    img.text(l.x, l.y, l.text, PATH_INK);
  }
  const reachedBy = new Set(graph.edges.filter((e) => !e.unreached && graph.nodes.find((n) => n.id === e.to)?.kind === 'target').flatMap((e) => e.agents));
  for (const r of placed.values()) {
    const n = r.node;
    const fill = n.kind === 'hop' && n.agents.length >= 2 ? NODE_FILL.shared : n.kind === 'target' && reachedBy.size === 0 ? NODE_FILL.unreached : NODE_FILL[n.kind];
    img.fill(r.x, r.y, r.width, r.height, fill);
    img.frame(r.x, r.y, r.width, r.height, NODE_BORDER);
    img.text(r.x + 5, r.y + 4, n.label, PATH_INK);
  }

  // Legend: a swatch and `kind count` per kind of box, then what the edges say.
  const entries: PathLegendEntry[] = [];
  let lx = PAD;
  let ly = legendY;
  for (const e of legendEntries(graph)) {
    const w = 14 + textWidth(e.text) + 12;
    if (lx > PAD && lx + w > width - PAD) {
      lx = PAD;
      ly += LINE_H + 2;
    }
    img.fill(lx, ly, 10, 10, e.colour);
    img.frame(lx, ly, 10, 10, MUTED);
    const at = { x: lx + 14, y: ly + 2 };
    img.text(at.x, at.y, e.text, PATH_INK);
    entries.push({ label: e.label, count: e.count, text: e.text, at });
    lx += w;
  }
  img.text(PAD, ly + LINE_H + 4, 'edges: RTT in ms of the hop below', MUTED);
  const nodes = [...placed.values()];
  return {
    image: img,
    graph,
    facts,
    title: { x: PAD, y: PAD, width: titleW, height: titleH, lines: titleLines },
    nodes,
    legend: { x: PAD, y: legendY, width: width - 2 * PAD, height: ly + LINE_H * 2 + 4 - legendY, entries },
  };
}

/** The legend's entries: every kind of box with its count (kinds with none left out). */
function legendEntries(g: PathGraph): { label: string; count: number; colour: Rgb; text: string }[] {
  const count = (f: (n: PathNode) => boolean) => g.nodes.filter(f).length;
  const list = [
    { label: 'agent', count: count((n) => n.kind === 'agent'), colour: NODE_FILL.agent },
    { label: 'hop', count: count((n) => n.kind === 'hop' && n.agents.length < 2), colour: NODE_FILL.hop },
    { label: 'shared hop', count: count((n) => n.kind === 'hop' && n.agents.length >= 2), colour: NODE_FILL.shared },
    { label: 'no answer', count: count((n) => n.kind === 'silent'), colour: NODE_FILL.silent },
    { label: 'target', count: count((n) => n.kind === 'target'), colour: NODE_FILL.target },
  ];
  return list.filter((e) => e.count > 0 || e.label === 'agent' || e.label === 'target').map((e) => ({ ...e, text: `${e.label} ${e.count}` }));
}

/** A dashed line: 4 px drawn, 3 px left out. */
function dashed(img: Raster, x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const steps = Math.max(1, Math.ceil(len / 7));
  for (let i = 0; i < steps; i++) {
    const a = i / steps;
    const b = Math.min(1, (i + 4 / 7) / steps);
    img.line(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b, c);
  }
}
