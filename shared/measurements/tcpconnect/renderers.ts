/** How a tcpconnect run renders: the series renderers, refused connects counted. */
import { echoSeriesRenderers } from '../../render/echo-series.ts';

/** The tcpconnect renderers. */
export const tcpconnectRenderers = echoSeriesRenderers({
  type: 'tcpconnect',
  verb: 'TCPCONNECT',
  unit: 'connects',
  reportLines: (r) => (typeof r['refused'] === 'number' && r['refused'] > 0 ? [`refused ${r['refused']} (the port is closed: RST)`] : []),
});
