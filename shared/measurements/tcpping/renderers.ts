/** How a tcpping run renders: the series renderers, with its adaptive timeout and connection figures. */
import { formatMs3 } from '../../render/format.ts';
import { echoSeriesRenderers } from '../../render/echo-series.ts';

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The tcpping renderers. */
export const tcppingRenderers = echoSeriesRenderers({
  type: 'tcpping',
  verb: 'TCPPING',
  unit: 'probes',
  reportLines: (r) => {
    const out: string[] = [];
    const rto = n(r['rtoMs']);
    const srtt = n(r['srttMs']);
    const rttvar = n(r['rttvarMs']);
    if (rto !== undefined) out.push(`timeout ${formatMs3(rto)} ms (${r['adaptive'] === true ? `adaptive${srtt !== undefined && rttvar !== undefined ? `: srtt ${formatMs3(srtt)} ms, rttvar ${formatMs3(rttvar)} ms` : ''}` : 'fixed'})`);
    out.push(`connects ${n(r['connects']) ?? 0}, drops ${n(r['drops']) ?? 0}, reconnects ${n(r['reconnects']) ?? 0}${r['framing'] === 'legacy' ? ', legacy frames' : ''}`);
    return out;
  },
});
