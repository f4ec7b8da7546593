/**
 * The check of every connection a self-checking run makes (dns, http: issue 15 item 4), right
 * before it connects, on the address it will connect to and nothing else: the policy mode
 * (`public` refuses every non-public address), the agent's own ranges, the hub's ranges for the
 * agent and, publicly, the ports. The runner resolves once, checks, and connects to the checked
 * literal, so a name whose answer changes between two lookups cannot slip through.
 */
import type { ConnectPolicy } from '../../shared/wire/agent-link.ts';
import { describeAddressClass, isAllowed } from '../../shared/net/address-policy.ts';

/** Ports a `public` agent lets dns and http connect to (MESHPROBE_PUBLIC_PORTS overrides). */
export const DEFAULT_PUBLIC_PORTS: readonly number[] = [53, 853, 80, 443, 8080];

/**
 * Why `address`:`port` may not be connected to, or undefined. `what` names it in the refusal as
 * the user wrote it (`example.com`, `the DNS server 10.0.0.1`, `the redirect to …`).
 */
export function connectRefusal(policy: ConnectPolicy | undefined, address: string, port: number, what: string): string | undefined {
  if (!policy) return undefined;
  const d = isAllowed(address, policy.mode, { allowedRanges: policy.allowedRanges });
  const named = what === address ? address : `${what} (${address})`;
  if (!d.ok) {
    if (d.class && !d.reason.includes('allowed ranges')) return `${named} is ${describeAddressClass(d.class)}; refused by the ${policy.mode} policy`;
    return d.reason.startsWith(address) ? `${named}${d.reason.slice(address.length)}` : `${what}: ${d.reason}`;
  }
  if (policy.hubRanges.length > 0 && !isAllowed(address, 'lan', { allowedRanges: policy.hubRanges }).ok) {
    return `${named} is outside this agent's allowed ranges (${policy.hubRanges.join(', ')}), set at the hub`;
  }
  if (policy.mode === 'public' && !policy.publicPorts.includes(port)) {
    return `${named} port ${port} is not allowed by the public policy (ports ${policy.publicPorts.join(', ')})`;
  }
  return undefined;
}
