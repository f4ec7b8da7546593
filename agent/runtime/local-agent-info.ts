/**
 * What the in-process agent announces, without loading what it measures with: `meshprobe
 * version` and `list` without a hub show it, and need neither the probes nor the native addon.
 */
import type { AgentInfo } from '../../shared/wire/agent-link.ts';
import { VERSION } from '../../shared/model/version.ts';
import { agentCapabilities } from '../probes/registry.ts';

/** The AgentInfo of a LocalAgent named `name`. */
export function localAgentInfo(name: string): AgentInfo {
  return { name, capabilities: agentCapabilities(), version: VERSION };
}
