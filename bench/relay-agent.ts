/**
 * Child process of the relay bench: one FloodAgent, reachable two ways at once — connected to
 * the hub over WebSocket (the relayed path) and served by its own in-process hub on another
 * port (the direct path, same HTTP code, no relay).
 *   node bench/relay-agent.ts HUB_URL AGENT_TOKEN RATE
 */
import { AgentRuntime } from '../agent/runtime/agent-runtime.ts';
import { createHub } from '../hub/http/server.ts';
import { FloodAgent } from './flood-agent.ts';

const [hubUrl, token, rateText] = process.argv.slice(2);
const rate = Number(rateText ?? '10000');
const flood = new FloodAgent('flood1', rate);
const direct = await createHub({ listen: '127.0.0.1:0', dataDir: `/tmp/mp-bench-direct-${process.pid}`, agents: [new FloodAgent('flood1', rate)], allowAnonymous: true, control: { ipRatePerS: 0, subjectRatePerS: 0 } });
const runtime = new AgentRuntime({
  hub: hubUrl!,
  token: token!,
  agent: flood,
  resolver: { resolve: async (h) => ({ address: h, family: 4 }) },
  onState: (s, d) => {
    if (s === 'connected') process.stdout.write(`direct ${direct.url}\n`);
    if (s === 'fatal') {
      process.stderr.write(d + '\n');
      process.exit(1);
    }
  },
});
runtime.start();
process.once('SIGTERM', () => {
  void runtime.stop().then(() => direct.close()).then(() => process.exit(0));
});
