/**
 * The `data` of a dns `answer` event: one DNS response (or one step of a trace), as dig shows
 * it: the server and transport, the time, rcode and flags, the question and the three sections.
 * The hub checks every agent's answer against {@link DnsAnswer} (shared/model/events.ts).
 */
import { z } from 'zod';

/** Most records per section kept (a response larger than this is cut, and says so). */
export const MAX_DNS_RECORDS = 128;

const record = z.object({
  name: z.string().max(256),
  type: z.string().max(16),
  class: z.string().max(8),
  ttl: z.number().int().min(0).max(4_294_967_295),
  /** The record data in presentation form (`10 mx.example.com.`, a TXT's quoted strings). */
  data: z.string().max(4096),
});
/** One resource record. */
export type DnsRecord = z.infer<typeof record>;

const section = () => z.array(record).max(MAX_DNS_RECORDS);

/** One DNS response as the agent received it. */
export const DnsAnswer = z.object({
  /** Who answered: `ADDR#PORT` (dig's form) or the DoH URL. */
  server: z.string().max(600),
  /** The server's name when it has one (a DoT name, a trace step's NS name). */
  serverName: z.string().max(256).optional(),
  transport: z.enum(['udp', 'tcp', 'dot', 'doh']),
  /** From the query sent to the response read, ms (a UDP retry or TCP fallback included). */
  timeMs: z.number().min(0).max(86_400_000),
  /** NOERROR, NXDOMAIN, SERVFAIL, … */
  rcode: z.string().max(16),
  /** Header flags that are set, in dig's order: qr aa tc rd ra ad cd. */
  flags: z.array(z.string().max(4)).max(8),
  question: z.object({ name: z.string().max(256), type: z.string().max(16), class: z.string().max(8) }),
  answer: section(),
  authority: section(),
  additional: section(),
  /** Size of the response message. */
  bytes: z.number().int().min(0).max(65_535),
  /** Records left out of the sections above (a response larger than the caps). */
  omitted: z.number().int().min(0).max(65_535).optional(),
  /** What happened on the way (`truncated over UDP, retried over TCP`). */
  note: z.string().max(256).optional(),
  /** Trace: the zone this step was asked in (`.` for the roots). */
  zone: z.string().max(256).optional(),
});
/** One DNS response as the agent received it. */
export type DnsAnswer = z.infer<typeof DnsAnswer>;
