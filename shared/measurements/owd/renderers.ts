/** How an owd run renders: the series renderers, with the one-way delays and the clock offset. */
import { formatMs3 } from '../../render/format.ts';
import { echoSeriesRenderers } from '../../render/echo-series.ts';

const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ms = (v: unknown) => (n(v) === undefined ? '-' : formatMs3(n(v)!));

/** The owd renderers. */
export const owdRenderers = echoSeriesRenderers({
  type: 'owd',
  verb: 'OWD',
  unit: 'messages',
  reportLines: (r) => {
    const out: string[] = [];
    const fwd = r['forward'] as Record<string, unknown> | undefined;
    const rev = r['reverse'] as Record<string, unknown> | undefined;
    if (fwd) out.push(`forward min/avg/max = ${ms(fwd['minMs'])}/${ms(fwd['avgMs'])}/${ms(fwd['maxMs'])} ms`);
    if (rev) out.push(`reverse min/avg/max = ${ms(rev['minMs'])}/${ms(rev['avgMs'])}/${ms(rev['maxMs'])} ms`);
    if (n(r['offsetMs']) !== undefined) {
      out.push(`clock offset ${ms(r['offsetMs'])} ms ± ${ms(r['offsetUncertaintyMs'])} ms (peer minus here, from the least-delayed exchange)`);
    }
    if (r['reliable'] === false) out.push(`one-way delays unreliable: ${String(r['why'] ?? 'the clock offset is unstable')}`);
    if (typeof r['peer'] === 'string') out.push(`peer: ${r['peer']}${typeof r['limits'] === 'string' ? ` (${r['limits']})` : ''}`);
    return out;
  },
});
