/** How a reply's one-way delays read after its round trip, in every medium. */
import type { ReplyEvent } from '../model/events.ts';
import { formatPingTime } from './format.ts';

/** ` (forward 0.020 ms, reverse 0.015 ms)` for a reply that carries one-way delays; '' otherwise. */
export function directions(e: ReplyEvent): string {
  if (e.forwardMs === undefined && e.reverseMs === undefined) return '';
  const part = (label: string, v: number | undefined) => (v === undefined ? [] : [`${label} ${formatPingTime(v)} ms`]);
  return ` (${[...part('forward', e.forwardMs), ...part('reverse', e.reverseMs)].join(', ')})`;
}
