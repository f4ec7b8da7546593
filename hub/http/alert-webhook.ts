/**
 * The webhook channel of monitor alerts: the AlertMessage as JSON, POSTed to the monitor's
 * webhook URL. The URL is someone's input that makes the hub send a request, so it is held to the
 * hub's target policy like a measurement: its name is resolved here, every address checked
 * (MESHPROBE_POLICY `public` refuses loopback, private and the other non-public ranges), and the
 * connection made to the checked address (no second lookup a rebinding DNS could answer
 * differently). No redirects are followed (a 3xx is a failure), the answer is read and dropped,
 * and the whole exchange has a deadline.
 *
 * node:http/https rather than fetch: fetch cannot pin the connection to a checked address without
 * undici's Agent, which this package has only as a development dependency.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { isAllowed, type PolicyMode } from '../../shared/net/address-policy.ts';
import type { AlertMessage } from '../core/alert-evaluator.ts';
import { checkWebhookUrl } from '../core/webhook-url.ts';

export interface WebhookOptions {
  /** The hub's target policy (MESHPROBE_POLICY). */
  policy: PolicyMode;
  /** Deadline of one delivery, connect to last byte. Default 5 s. */
  timeoutMs?: number;
  /** Resolves a host name to its addresses. Default node:dns lookup (all addresses). */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

export { checkWebhookUrl, WEBHOOK_MAX_URL_LENGTH } from '../core/webhook-url.ts';
export const WEBHOOK_TIMEOUT_MS = 5000;

/** Posts `message` to `target`; rejects with a one-line reason (policy refusal, timeout, status). */
export async function postWebhook(target: string, message: AlertMessage, o: WebhookOptions): Promise<void> {
  const checked = checkWebhookUrl(target);
  if (!checked.ok) throw new Error(checked.message);
  const url = checked.url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await (o.resolve ?? ((h) => dnsLookup(h, { all: true })))(host);
  if (addresses.length === 0) throw new Error(`webhook: ${host} does not resolve`);
  for (const a of addresses) {
    const verdict = isAllowed(a.address, o.policy);
    if (!verdict.ok) throw new Error(`webhook: ${verdict.reason}`);
  }
  const pinned = addresses[0]!;
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const body = JSON.stringify(message);
  const timeoutMs = o.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        lookup,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'meshprobe-alerts' },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`webhook: ${url.host} answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`));
        });
        res.on('error', (err) => reject(new Error(`webhook: ${url.host}: ${err.message}`)));
      },
    );
    req.on('error', (err) => reject(new Error(err.name === 'AbortError' || err.name === 'TimeoutError' ? `webhook: ${url.host} took longer than ${timeoutMs} ms` : `webhook: ${url.host}: ${err.message}`)));
    req.end(body);
  });
}
