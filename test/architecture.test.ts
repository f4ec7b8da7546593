// The import rules of design §3 are checked by Biome in `npm test` (biome.jsonc: shared/ pure,
// front-ends import shared/ only and never each other, hub/core transport-free, agent/ and hub/
// apart, packet codecs pure). What an import rule cannot see is checked here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of entries) {
    if (name === 'node_modules' || name === 'build') continue;
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(relative(root, p)));
    else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, p));
  }
  return out;
}

// The addon is loaded with createRequire, which no import rule sees.
test('only agent/socket/raw-socket.ts loads the native addon', () => {
  const offences = [...sourceFiles('agent'), ...sourceFiles('hub'), ...sourceFiles('bin'), ...sourceFiles('shared')]
    .filter((f) => f !== join('agent', 'socket', 'raw-socket.ts'))
    .filter((f) => /\.node['"]|build\/Release/.test(readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(offences, []);
});

// One home per measurement type (issue 12): a type lives in shared/measurements/<type>/ and
// agent/probes/<type>/ and is listed once in each registry; outside those folders at most 3
// non-test source files name it (the two registries and the renderers' map by type).
const TYPE_TREES = ['shared', 'hub', 'agent', 'bin', 'mcp', 'bots', 'email-worker'];
const TYPE_LIMIT = 3;
/**
 * `ping` and `probe` are everyday words of the domain ("TCP ping", "a SYN probe"), so for them
 * only code is counted: the name as a string literal or an import path segment. These files
 * still branch on such a literal (a sweep's prefix targets, ping's deadline); listed so that no
 * new one appears, to be emptied as the owning slices move the branch behind the registry.
 */
const EVERYDAY: Record<string, string[]> = {
  ping: ['shared/model/event-guard.ts', 'hub/core/policy-admit.ts', 'bin/start.ts', 'bots/telegram/token-command.ts'],
  probe: [
    'hub/http/remote-agent-link.ts',
    'hub/core/agent-gate.ts',
    'hub/core/policy-admit.ts',
    'agent/runtime/target-guard.ts',
    'bin/sweep-live.ts',
    'bin/cli.ts',
    // pmtu: 'probe' is IP_PMTUDISC_PROBE, another meaning of the word.
    'agent/socket/raw-socket.ts',
    'agent/probes/traceroute/traceroute.ts',
  ],
};

/** A file's text without comments (for the code-only count). */
function codeOf(file: string): string {
  return readFileSync(join(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

function filesNaming(type: string): string[] {
  const homes = [join('shared', 'measurements', type) + sep, join('agent', 'probes', type) + sep];
  const everyday = type in EVERYDAY;
  const names = everyday ? new RegExp(`['"\`]${type}['"\`]|/${type}/`) : new RegExp(`\\b${type}\\b`);
  return TYPE_TREES.flatMap(sourceFiles)
    .filter((f) => !homes.some((h) => f.startsWith(h)))
    .filter((f) => names.test(everyday ? codeOf(f) : readFileSync(join(root, f), 'utf8')));
}

test(`outside its own folders, at most ${TYPE_LIMIT} non-test source files name a measurement type`, async () => {
  const { measurementTypes } = await import('../shared/registry.ts');
  const over: string[] = [];
  for (const { name } of measurementTypes()) {
    const allowed = new Set((EVERYDAY[name] ?? []).map((f) => f.split('/').join(sep)));
    const files = filesNaming(name).filter((f) => !allowed.has(f));
    if (files.length > TYPE_LIMIT) over.push(`${name} is named in ${files.length} files: ${files.join(', ')}`);
  }
  assert.deepEqual(over, []);
});

test('the issue 12 check itself: grep -rlw traceroute outside its folders finds the two registries and the renderers\' map', () => {
  const left = filesNaming('traceroute');
  assert.deepEqual(left.sort(), [join('agent', 'probes', 'registry.ts'), join('shared', 'registry.ts'), join('shared', 'render', 'renderers-by-type.ts')]);
});
