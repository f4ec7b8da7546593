// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's
// description (prometheus.io/docs/instrumenting/exposition_formats), for tests. prom-client only
// writes the format; a parser package would be one more dependency in the shared node_modules for
// a hundred lines that, being independent of the writer under test, check more than it would:
// it refuses what Prometheus refuses (a sample before its TYPE, a family split in two, a repeated
// series, bad escapes, a histogram whose buckets are not cumulative or lack +Inf = _count).

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: string;
  help?: string;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** The family a sample name belongs to, given the families' types. */
function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = types.get(base);
      if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
    }
  }
  return name;
}

function parseValue(text: string, line: number): number {
  // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes `Nan`).
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

function parseLabels(s: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const m = LABEL.exec(s.slice(i));
    if (!m) throw new Error(`line ${line}: bad label name at ${JSON.stringify(s.slice(i, i + 20))}`);
    const key = m[0];
    i += key.length;
    if (s[i] !== '=' || s[i + 1] !== '"') throw new Error(`line ${line}: expected ="`);
    i += 2;
    let v = '';
    for (;;) {
      const c = s[i++];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i++];
        if (e === '\\') v += '\\';
        else if (e === '"') v += '"';
        else if (e === 'n') v += '\n';
        else throw new Error(`line ${line}: bad escape \\${e}`);
      } else v += c;
    }
    if (key in labels) throw new Error(`line ${line}: label ${key} twice`);
    labels[key] = v;
    while (s[i] === ' ') i++;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`line ${line}: expected , or }`);
  }
}

/** Parses `text`; throws on anything a Prometheus server would refuse. */
export function parsePromText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const types = new Map<string, string>();
  const seen = new Set<string>();
  let current: string | undefined;
  const finished = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('exposition must end with a newline');
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(raw);
      if (!m) return;
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${line}: bad type ${rest}`);
        if (types.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (families.get(name)?.samples.length) throw new Error(`line ${line}: TYPE after samples of ${name}`);
        types.set(name, rest);
      }
      const f = families.get(name) ?? { name, type: 'untyped', samples: [] };
      if (kind === 'TYPE') f.type = rest;
      else f.help = rest;
      families.set(name, f);
      return;
    }
    const nm = NAME.exec(raw);
    if (!nm) throw new Error(`line ${line}: bad metric name`);
    const name = nm[0];
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error(`line ${line}: expected a value (and a timestamp)`);
    const value = parseValue(parts[0]!, line);
    const fam = familyOf(name, types);
    if (current !== fam) {
      if (finished.has(fam)) throw new Error(`line ${line}: family ${fam} split in two`);
      if (current) finished.add(current);
      current = fam;
    }
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    seen.add(key);
    const f = families.get(fam) ?? { name: fam, type: 'untyped', samples: [] };
    f.samples.push({ name, labels, value });
    families.set(fam, f);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Buckets per series: `le` ascending, counts non-decreasing, +Inf present and equal to _count. */
function checkHistogram(f: PromFamily): void {
  const bySeries = new Map<string, { le: number; v: number }[]>();
  const counts = new Map<string, number>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      const list = bySeries.get(key) ?? [];
      list.push({ le: parseValue(le, 0), v: s.value });
      bySeries.set(key, list);
    } else if (s.name === `${f.name}_count`) counts.set(key, s.value);
  }
  for (const [key, list] of bySeries) {
    for (let i = 1; i < list.length; i++) {
      if (!(list[i]!.le > list[i - 1]!.le)) throw new Error(`${f.name}${key}: le not ascending at ${list[i]!.le}`);
      if (list[i]!.v < list[i - 1]!.v) throw new Error(`${f.name}${key}: bucket counts decrease at le=${list[i]!.le}`);
    }
    const last = list.at(-1)!;
    if (last.le !== Number.POSITIVE_INFINITY) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (counts.get(key) !== last.v) throw new Error(`${f.name}${key}: _count ${counts.get(key)} differs from +Inf bucket ${last.v}`);
  }
}
