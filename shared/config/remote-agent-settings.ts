/**
 * The settings of `meshprobe agent` (agent/runtime/agent-command.ts), read without zod: an idle
 * remote agent that loaded zod for its environment alone would hold ~18 MB more. Every one of
 * them but the ICMP mode has a flag that overrides it, so they are read as the text they hold and
 * checked with the flag. shared/config/settings.ts builds `remoteAgentSettings` (its zod schema,
 * documented in the README's table) from the same names and the same {@link icmpMode};
 * test/shared/config/remote-agent-settings.test.ts holds the two readers equal.
 */

/** The variables read as text, in the order the README lists them. */
export const REMOTE_AGENT_TEXT_VARIABLES = [
  'MESHPROBE_HUB',
  'MESHPROBE_AGENT_NAME',
  'MESHPROBE_AGENT_TOKEN_FILE',
  'MESHPROBE_AGENT_TOKEN',
  'MESHPROBE_POLICY',
  'MESHPROBE_AGENT_ALLOW',
  'MESHPROBE_AGENT_COUNTRY',
  'MESHPROBE_AGENT_CITY',
  'MESHPROBE_AGENT_ASN',
  'MESHPROBE_AGENT_ISP',
  'MESHPROBE_AGENT_LAT',
  'MESHPROBE_AGENT_LON',
  'MESHPROBE_DNS_SERVERS',
  'MESHPROBE_AGENT_METRICS',
  'MESHPROBE_DNS_ROOTS',
  'MESHPROBE_PUBLIC_PORTS',
] as const;

/**
 * MESHPROBE_PUBLIC_PORTS / --public-ports: a comma list of ports 1–65535, or a one-line reason.
 * Unset or blank: undefined (the default list applies).
 */
export function parsePorts(name: string, text: string | undefined): number[] | string | undefined {
  const t = text?.trim();
  if (!t) return undefined;
  const ports = t.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = ports.find((x) => !/^[0-9]{1,5}$/.test(x) || Number(x) < 1 || Number(x) > 65_535);
  if (bad !== undefined) return `${name} must be a comma list of ports 1–65535, not '${bad}'`;
  return ports.map(Number);
}

/** MESHPROBE_ICMP_MODE: `raw` or `dgram`; anything else is `auto`, as it always was (the pool falls back rather than refuse). */
export function icmpMode(text: string | undefined): 'raw' | 'dgram' | 'auto' {
  return text === 'raw' || text === 'dgram' ? text : 'auto';
}

/** What {@link readRemoteAgentSettings} yields. */
export type RemoteAgentSettings = { [K in (typeof REMOTE_AGENT_TEXT_VARIABLES)[number]]?: string } & { MESHPROBE_ICMP_MODE: 'raw' | 'dgram' | 'auto' };

/** Reads a remote agent's variables from `env` (never throws: each is text or unset). */
export function readRemoteAgentSettings(env: Readonly<Record<string, string | undefined>>): RemoteAgentSettings {
  const settings: RemoteAgentSettings = { MESHPROBE_ICMP_MODE: icmpMode(env.MESHPROBE_ICMP_MODE) };
  for (const name of REMOTE_AGENT_TEXT_VARIABLES) if (typeof env[name] === 'string') settings[name] = env[name];
  return settings;
}
