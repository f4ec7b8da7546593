/**
 * The ports dns and http may reach under the public policy are configurable (issue 15 item 4):
 * MESHPROBE_PUBLIC_PORTS is read and checked, the target guard hands the configured list to the
 * self-checking runners, and the check refuses other ports naming the list. Public addresses
 * appear here only as inputs to the pure check: nothing connects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectRefusal, DEFAULT_PUBLIC_PORTS } from '../../../agent/runtime/connect-check.ts';
import { TargetGuard } from '../../../agent/runtime/target-guard.ts';
import { launcherSettings, readSettings } from '../../../shared/config/settings.ts';
import type { AgentLink, AgentRunOptions, ConnectPolicy } from '../../../shared/wire/agent-link.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';

test('the default public ports are 53, 853, 80, 443 and 8080', () => {
  assert.deepEqual([...DEFAULT_PUBLIC_PORTS], [53, 853, 80, 443, 8080]);
});

test('a configured port list replaces the default in the check, and the refusal names it', () => {
  const policy: ConnectPolicy = { mode: 'public', allowedRanges: [], hubRanges: [], publicPorts: [8443] };
  assert.equal(connectRefusal(policy, '8.8.8.8', 8443, 'x.example'), undefined);
  assert.equal(connectRefusal(policy, '8.8.8.8', 443, 'x.example'), 'x.example (8.8.8.8) port 443 is not allowed by the public policy (ports 8443)');
  // Under lan the ports are free; refused addresses are refused before ports are looked at.
  assert.equal(connectRefusal({ ...policy, mode: 'lan' }, '10.0.0.1', 22, 'x'), undefined);
  assert.match(connectRefusal(policy, '127.0.0.1', 8443, 'h') ?? '', /loopback.*public policy/);
});

test('MESHPROBE_PUBLIC_PORTS is read as a list of ports and a bad one is refused with its name', () => {
  assert.deepEqual(readSettings(launcherSettings, { MESHPROBE_PUBLIC_PORTS: '443, 8443' }).MESHPROBE_PUBLIC_PORTS, [443, 8443]);
  assert.equal(readSettings(launcherSettings, {}).MESHPROBE_PUBLIC_PORTS, undefined);
  assert.throws(() => readSettings(launcherSettings, { MESHPROBE_PUBLIC_PORTS: '443,70000' }), /MESHPROBE_PUBLIC_PORTS/);
});

test('the target guard hands dns and http runners the configured ports (and the default without a list)', async () => {
  const seen: (ConnectPolicy | undefined)[] = [];
  const inner: AgentLink = {
    info: { name: 'rec', version: '0', capabilities: ['dns', 'http'] },
    async run(_spec: MeasurementSpec, o: AgentRunOptions) {
      seen.push(o.connectPolicy);
    },
  };
  const resolver = { resolve: async () => ({ address: '127.0.0.1', family: 4 as const }) };
  const spec = { type: 'http', targets: ['http://web.test/'] } as unknown as MeasurementSpec;
  const run = { signal: new AbortController().signal, emit: () => {} };
  await new TargetGuard({ inner, resolver, mode: 'public', publicPorts: [8443] }).run(spec, run);
  await new TargetGuard({ inner, resolver, mode: 'lan', publicPorts: [8443] }).withMode('public').run({ ...spec, type: 'dns', targets: ['example.test'] } as MeasurementSpec, run);
  await new TargetGuard({ inner, resolver, mode: 'public' }).run(spec, run);
  assert.deepEqual(seen.map((p) => [p?.mode, p?.publicPorts]), [['public', [8443]], ['public', [8443]], ['public', DEFAULT_PUBLIC_PORTS]]);
});
