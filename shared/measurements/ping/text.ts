/**
 * A ping's text, as iputils ping prints it: the `PING …` header, the statistics block, and
 * meshprobe's `rtt p50/p90/p99` line; several agents or targets add the matrix at the end.
 * The per-probe lines (replies, ICMP errors, timeouts) are the generic text renderer's.
 */
import type { StartEvent, SummaryEvent } from '../../model/events.ts';
import { Defaults } from '../../registry.ts';
import { formatDurationMs, formatLossPct, formatMs3, formatPingTime } from '../../render/format.ts';
import type { FoldPart, MeasurementFold } from '../../render/measurement-fold.ts';
import type { PartTextRenderer, TypeTextOptions } from '../../render/measurement-renderers.ts';
import { numParam } from '../../render/num-param.ts';
import { PingMatrix } from './ping-matrix.ts';

/** The text of one ping part. */
export function pingText(): PartTextRenderer {
  return { start, summary };
}

function start(e: StartEvent, _p?: FoldPart, o?: TypeTextOptions): string[] {
  const size = numParam(e.params['size']) ?? Defaults.size;
  if (o?.compact) {
    const port = e.params['port'];
    const via = e.protocol !== 'icmp' ? ` ${e.protocol.toUpperCase()}${port !== undefined ? `:${port}` : ''}` : '';
    return [`PING ${e.target}${e.address !== e.target ? ` (${e.address})` : ''}${via}`];
  }
  if (e.protocol !== 'icmp') {
    const port = e.params['port'];
    return [`PING ${e.target} (${e.address}) ${e.protocol.toUpperCase()}${port !== undefined ? ` port ${port}` : ''}.`];
  }
  // iputils prints no space before the parenthesis for IPv6 (ping6_common.c), unlike IPv4.
  if (e.family === 6) return [`PING ${e.target}(${e.address}) ${size} data bytes`];
  return [`PING ${e.target} (${e.address}) ${size}(${size + 28}) bytes of data.`];
}

function summary(e: SummaryEvent, p: FoldPart, o?: TypeTextOptions): string[] {
  const errors = p.icmpErrors ? `, +${p.icmpErrors} errors` : '';
  if (o?.compact) {
    // The iputils block in lines of ≤ 36 columns: the same figures, shorter words.
    const lines = ['', `--- ${e.target} ---`, `${e.sent} sent, ${e.received} received${p.icmpErrors ? `, +${p.icmpErrors} err` : ''}`, `${formatLossPct(e.lossPct)}% loss, time ${formatDurationMs(e.durationMs)}`];
    if (e.received > 0 && e.minMs !== null && e.avgMs !== null && e.maxMs !== null) {
      lines.push(`min/avg/max ${formatPingTime(e.minMs)}/${formatPingTime(e.avgMs)}/${formatPingTime(e.maxMs)} ms`);
      if (e.p50Ms !== null && e.p90Ms !== null && e.p99Ms !== null) lines.push(`p50/90/99 ${formatPingTime(e.p50Ms)}/${formatPingTime(e.p90Ms)}/${formatPingTime(e.p99Ms)} ms`);
      if (e.mdevMs !== null) lines.push(`mdev ${formatPingTime(e.mdevMs)} ms`);
    }
    return lines;
  }
  const lines = [
    '',
    `--- ${e.target} ping statistics ---`,
    `${e.sent} packets transmitted, ${e.received} received${errors}, ${formatLossPct(e.lossPct)}% packet loss, time ${formatDurationMs(e.durationMs)}`,
  ];
  if (e.received > 0 && e.minMs !== null && e.avgMs !== null && e.maxMs !== null && e.mdevMs !== null) {
    lines.push(`rtt min/avg/max/mdev = ${formatMs3(e.minMs)}/${formatMs3(e.avgMs)}/${formatMs3(e.maxMs)}/${formatMs3(e.mdevMs)} ms`);
    if (e.p50Ms !== null && e.p90Ms !== null && e.p99Ms !== null) {
      lines.push(`rtt p50/p90/p99 = ${formatMs3(e.p50Ms)}/${formatMs3(e.p90Ms)}/${formatMs3(e.p99Ms)} ms`);
    }
  }
  return lines;
}

/** The agents × targets matrix after the stream, when it says something (several agents or targets). */
export function pingTextDone(fold: MeasurementFold): string[] {
  const m = new PingMatrix(fold);
  return m.interesting ? ['', '--- matrix: avg rtt, loss ---', ...m.toLines()] : [];
}
