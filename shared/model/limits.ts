/**
 * Hard bounds of the measurement spec and the defaults every type shares. A leaf module: the
 * type definitions (shared/measurements/) read it while shared/registry.ts is being built, so it
 * must import nothing that imports the registry.
 */

/** Hard limits of the schema. The hub's policy may be stricter, never looser. */
export const Limits = {
  /** Echo requests per target. */
  maxCount: 10_000,
  /** Interval between probes to one target. iputils allows 0 for root; we keep 1 ms. */
  minIntervalMs: 1,
  maxIntervalMs: 60_000,
  minTimeoutMs: 1,
  maxTimeoutMs: 60_000,
  /** ICMP payload bytes (65535 - 20 IP - 8 ICMP). */
  maxSize: 65_507,
  maxTtl: 255,
  maxHops: 64,
  maxQueriesPerHop: 10,
  /** Targets in one request. */
  maxTargets: 64,
  /** Agent selectors in one request. */
  maxFrom: 64,
  /** Smallest IPv4 prefix a sweep may cover by default (/16 = 65,536 addresses). */
  minSweepPrefixV4: 16,
  /** Smallest IPv6 prefix a sweep may cover by default (/112 = 65,536 addresses). */
  minSweepPrefixV6: 112,
  /**
   * Sweep packets per second. 0 means "as fast as allowed" and must be asked for explicitly: a
   * hub lowers it to its policy's rate limit and the agent's packet budget (hub/core/agent-gate.ts).
   */
  maxRate: 1_000_000,
  /** Ping deadline (iputils -w): the whole run stops after this long, whatever the count. */
  minDeadlineMs: 1,
  maxDeadlineMs: 3_600_000,
  /** dns/http: longest text field (a server, a DoH URL, one header line, one --resolve entry). */
  maxTextField: 512,
  /** http: most `--header` lines and `--resolve` entries; dns: most `--roots`. */
  maxListField: 16,
  /** http: largest body prefix kept (`--max-body`), bytes. */
  maxBody: 65_536,
} as const;

/**
 * Defaults of the fields several types read. A type's own defaults live in its folder
 * (shared/measurements/<type>/) and shared/registry.ts merges them all into `Defaults`.
 */
export const CommonDefaults = {
  timeoutMs: 2000,
  /** UDP base port of path probes and UDP pings: 33434, as since Van Jacobson's original tool. */
  tracePort: 33434,
  tcpPort: 80,
} as const;

/** The record types a DNS query may ask for (`dns --type`). */
export const DNS_QUERY_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SOA', 'PTR', 'SRV', 'CAA', 'HTTPS', 'DS', 'DNSKEY'] as const;
