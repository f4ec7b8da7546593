import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readRemoteAgentSettings } from '../../../shared/config/remote-agent-settings.ts';
import { readSettings, remoteAgentSettings } from '../../../shared/config/settings.ts';

test("the agent's zod-free reader yields what the settings schema does", () => {
  const envs: Array<Record<string, string | undefined>> = [
    {},
    { MESHPROBE_HUB: 'http://hub:7464', MESHPROBE_AGENT_NAME: 'lax1', MESHPROBE_ICMP_MODE: 'raw', PATH: '/bin' },
    { MESHPROBE_AGENT_TOKEN_FILE: ' /etc/a.token ', MESHPROBE_POLICY: 'public', MESHPROBE_AGENT_ALLOW: '10.0.0.0/8, 192.168.0.0/16', MESHPROBE_ICMP_MODE: 'dgram' },
    { MESHPROBE_AGENT_TOKEN: 'a.b.c', MESHPROBE_AGENT_COUNTRY: 'de', MESHPROBE_AGENT_CITY: '', MESHPROBE_AGENT_ASN: 'AS64500', MESHPROBE_AGENT_ISP: 'x', MESHPROBE_ICMP_MODE: 'RAW' },
    { MESHPROBE_AGENT_LAT: '52.5', MESHPROBE_AGENT_LON: 'x', MESHPROBE_DNS_SERVERS: '127.0.0.1:5353', MESHPROBE_AGENT_METRICS: '127.0.0.1:0', MESHPROBE_ICMP_MODE: '', MESHPROBE_LISTEN: '0.0.0.0:1' },
  ];
  for (const env of envs) assert.deepEqual(readRemoteAgentSettings(env), readSettings(remoteAgentSettings, env), JSON.stringify(env));
});
