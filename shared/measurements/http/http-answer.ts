/**
 * The `data` of an http `answer` event: one response (one per redirect hop with --follow), with
 * the per-phase timings curl's -w reports, the TLS details, the headers and the first bytes of
 * the body. The hub checks every agent's answer against {@link HttpAnswer} (shared/model/events.ts).
 */
import { z } from 'zod';

/** Most response headers kept. */
export const MAX_HTTP_HEADERS = 100;

const ms = () => z.number().min(0).max(86_400_000);

/** What the server's certificate and the TLS session were. */
export const HttpTls = z.object({
  protocol: z.string().max(32),
  cipher: z.string().max(128),
  /** The ALPN protocol agreed (`h2`, `http/1.1`), or '' when none. */
  alpn: z.string().max(32),
  subject: z.string().max(512),
  issuer: z.string().max(512),
  /** subjectAltName entries (`DNS:example.com`, `IP Address:127.0.0.1`). */
  san: z.array(z.string().max(256)).max(100),
  validFrom: z.string().max(64),
  validTo: z.string().max(64),
  /** The chain verified against the agent's trusted CAs. */
  trusted: z.boolean(),
  /** The certificate names the host asked for. */
  validForHost: z.boolean(),
  /** Why it is not trusted or not valid for the host. */
  problem: z.string().max(256).optional(),
});
export type HttpTls = z.infer<typeof HttpTls>;

/** Each phase's own duration, ms (curl -w's time_* are their running sums). */
export const HttpTimings = z.object({
  /** Name lookup (0 for an address or a --resolve entry). */
  dnsMs: ms(),
  /** TCP handshake. */
  connectMs: ms(),
  /** TLS handshake; null over plain HTTP. */
  tlsMs: ms().nullable(),
  /** From the request sent (connection ready) to the first byte of the response. */
  firstByteMs: ms(),
  /** From the first byte to the last one read. */
  downloadMs: ms(),
  /** From the start of the lookup to the last byte read. */
  totalMs: ms(),
});
export type HttpTimings = z.infer<typeof HttpTimings>;

/** One HTTP response as the agent received it. */
export const HttpAnswer = z.object({
  url: z.string().max(2048),
  method: z.string().max(16),
  /** `1.1` or `2`. */
  httpVersion: z.string().max(8),
  status: z.number().int().min(100).max(999),
  statusText: z.string().max(256),
  headers: z.array(z.tuple([z.string().max(256), z.string().max(2048)])).max(MAX_HTTP_HEADERS),
  /** The address and port connected to (the checked one). */
  remoteAddress: z.string().max(64),
  remotePort: z.number().int().min(1).max(65_535),
  timings: HttpTimings,
  tls: HttpTls.optional(),
  body: z.object({
    /** Bytes of the body read (at most the cap plus one chunk). */
    bytes: z.number().int().min(0),
    /** The read stopped at the cap (`--max-body`). */
    truncated: z.boolean(),
    /** The first bytes as text (UTF-8, invalid sequences replaced). */
    text: z.string().max(65_536),
  }),
  /** A redirect's Location, resolved against the URL. */
  location: z.string().max(2048).optional(),
});
export type HttpAnswer = z.infer<typeof HttpAnswer>;
