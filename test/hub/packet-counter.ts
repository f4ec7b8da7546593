/**
 * Kept only as a forwarding module: the nftables echo counters live in test/helpers/echo-counter.ts.
 * test/hub/policy/agent-ranges.test.ts (in progress in another change) still imports this path;
 * point it at the helper and delete this file.
 */
export { countEchoRequestsOfSize, echoCounterUnavailable as packetCounterUnavailable, type EchoCounter as PacketCounter } from '../helpers/echo-counter.ts';
