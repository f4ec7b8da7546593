/**
 * A remote agent process for monitor tests: the real LocalAgent + AgentRuntime, with a data dir
 * and a clock 60× real time that all processes of a test share (a minute passes every second).
 * Usage: node monitor-agent-process.ts HUB_URL DATA_DIR CLOCK_START_MS CLOCK_BASE_MS
 */
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { AgentRuntime } from '../../agent/runtime/agent-runtime.ts';

const [hub, dataDir, start, base] = process.argv.slice(2) as [string, string, string, string];
const now = () => Number(base) + (Date.now() - Number(start)) * 60;
const log = (line: string) => process.stdout.write(`${line}\n`);
const local = new LocalAgent({ name: 'mon1', loadRunnersNow: false, dataDir, log, monitorOptions: { now, tickMs: 100, reportEveryMs: 300, retryMs: 200 } });
const runtime = new AgentRuntime({ hub, token: 'test', agent: local, resolver: local.resolver, initialBackoffMs: 50, maxBackoffMs: 200, log, onState: (s, d) => log(`${s}: ${d}`) });
runtime.start();
log('agent started');
process.once('SIGTERM', () => {
  void runtime.stop().then(() => {
    local.close();
    process.exit(0);
  });
});
