/**
 * Whether a URL may be a monitor's alert webhook, checked where it comes in (the monitor service,
 * for POST and PATCH) and again where it is used (hub/http/alert-webhook.ts). Transport-free, so
 * the service can refuse a bad URL before it is stored rather than at the first alert.
 *
 * At the door the URL's form is checked, and a host that is an address literal is held to the
 * hub's target policy; a host name is resolved and its addresses checked when a message is sent
 * (a name's addresses may change; checking them once at creation would prove nothing later).
 */
import { isAllowed, type PolicyMode } from '../../shared/net/address-policy.ts';
import { isIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';

export const WEBHOOK_MAX_URL_LENGTH = 2048;

/** The URL if it may be a webhook (http or https, no credentials, bounded), else a one-line reason. */
export function checkWebhookUrl(text: string): { ok: true; url: URL } | { ok: false; message: string } {
  if (text.length > WEBHOOK_MAX_URL_LENGTH) return { ok: false, message: `webhook: longer than ${WEBHOOK_MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `webhook: ${text.slice(0, 100)} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: `webhook: http or https only, not ${url.protocol.slice(0, -1)}` };
  if (url.username || url.password) return { ok: false, message: 'webhook: no credentials in the URL (put a secret in its path or query instead)' };
  return { ok: true, url };
}

/**
 * {@link checkWebhookUrl}, and for a host that is an address literal the target policy too (as for
 * a measurement's target): the one-line reason of a refusal, or undefined when it may be stored.
 */
export function webhookProblem(text: string, policy: PolicyMode): string | undefined {
  const checked = checkWebhookUrl(text);
  if (!checked.ok) return checked.message;
  const host = checked.url.hostname.replace(/^\[|\]$/g, '');
  if (!isIp(host, TARGET_ADDRESS)) return undefined;
  const verdict = isAllowed(host, policy);
  return verdict.ok ? undefined : `webhook: ${verdict.reason}`;
}
