/**
 * The answer to `ipinfo` and `route` (shared/command/path-commands.ts) through a hub client, as
 * text (every front-end prints it, Telegram and mail in monospace) and as data (`--json`).
 */
import type { HubCallOptions, HubClient } from '../wire/hub-client.ts';
import { formatIpinfo, formatRoutes } from '../render/path-info-text.ts';
import type { ParsedCommand } from './grammar.ts';

/** A parsed `ipinfo` or `route` command. */
export type PathCommand = Extract<ParsedCommand, { ok: true; command: 'ipinfo' | 'route' }>;

/** Asks the hub (`nowMs`: the clock, for routes' ages); throws the hub client's errors (one-line messages with codes). */
export async function answerPathCommand(cmd: PathCommand, hub: Pick<HubClient, 'ipinfo' | 'routes'>, o: HubCallOptions & { nowMs: number }): Promise<{ text: string; data: unknown }> {
  const { nowMs, ...call } = o;
  if (cmd.command === 'ipinfo') {
    const a = await hub.ipinfo(cmd.address, call);
    return { text: formatIpinfo(a), data: a };
  }
  const r = await hub.routes(cmd.query, cmd.limit, call);
  return { text: formatRoutes(r.routes, r.done, nowMs), data: r };
}
