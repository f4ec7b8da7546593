// The import rule of design §3, checked on every run so the layering cannot rot:
// shared/ is pure and runtime-neutral; front-ends are hub clients; only launchers compose.
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

/** Import specifiers of a module (static and dynamic), comments stripped first. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

/** Top-level folder a relative import lands in, or undefined for packages. */
function targetFolder(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = relative(root, resolve(root, dirname(file), spec));
  return target.split(sep)[0];
}

test('shared/ imports no node: modules and nothing of ours outside shared/', () => {
  const offences: string[] = [];
  for (const file of sourceFiles('shared')) {
    for (const spec of importsOf(file)) {
      if (spec.startsWith('node:')) offences.push(`${file} imports ${spec}`);
      const folder = targetFolder(file, spec);
      if (folder !== undefined && folder !== 'shared') offences.push(`${file} imports ${spec}`);
    }
  }
  assert.deepEqual(offences, []);
});

test('shared/ reads no environment and no process state', () => {
  const offences = sourceFiles('shared').filter((f) => /\bprocess\.(env|argv|exit|hrtime)\b/.test(readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(offences, []);
});

test('front-ends (mcp, bots, email-worker) reach the hub only through its public API', () => {
  const offences: string[] = [];
  for (const dir of ['mcp', 'bots', 'email-worker']) {
    for (const file of sourceFiles(dir)) {
      for (const spec of importsOf(file)) {
        const folder = targetFolder(file, spec);
        if (folder === 'hub' || folder === 'agent') offences.push(`${file} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});

test('agent/ does not import the hub, and the hub imports agent/ only from its launcher', () => {
  const offences: string[] = [];
  for (const file of sourceFiles('agent')) {
    for (const spec of importsOf(file)) if (targetFolder(file, spec) === 'hub') offences.push(`${file} imports ${spec}`);
  }
  for (const file of sourceFiles('hub')) {
    if (file === join('bin', 'start.ts')) continue;
    for (const spec of importsOf(file)) if (targetFolder(file, spec) === 'agent') offences.push(`${file} imports ${spec}`);
  }
  assert.deepEqual(offences, []);
});

test('only agent/socket/raw-socket.ts loads the native addon', () => {
  const offences = [...sourceFiles('agent'), ...sourceFiles('hub'), ...sourceFiles('bin'), ...sourceFiles('shared')]
    .filter((f) => f !== join('agent', 'socket', 'raw-socket.ts'))
    .filter((f) => /\.node['"]|build\/Release/.test(readFileSync(join(root, f), 'utf8')));
  assert.deepEqual(offences, []);
});

// One home per measurement type (issue 12): a type lives in shared/measurements/<type>/ and
// agent/probes/<type>/ and is listed once in each registry; outside those folders at most 3
// non-test source files name it (the registries and the renderers' map by type).
const TYPE_TREES = ['shared', 'hub', 'agent', 'bin', 'mcp', 'bots', 'email-worker'];
const TYPE_LIMIT = 3;
/**
 * Files that name every type while slice "fold" moves the per-type rendering into the types'
 * folders and shared/render/renderers-by-type.ts; measure-tools.ts keys the MCP output schemas
 * by type until it reads them from there. The lead empties this list after merging both.
 */
const PENDING_RENDERING = [
  'shared/render/format.ts',
  'shared/render/html-renderer.ts',
  'shared/render/text-renderer.ts',
  'shared/email/email-answer.ts',
  'mcp/output-schemas.ts',
  'mcp/measurement-result.ts',
  'mcp/tools/measure-tools.ts',
].map((f) => f.split('/').join(sep));
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
    const allowed = new Set([...PENDING_RENDERING, ...(EVERYDAY[name] ?? []).map((f) => f.split('/').join(sep))]);
    const files = filesNaming(name).filter((f) => !allowed.has(f));
    if (files.length > TYPE_LIMIT) over.push(`${name} is named in ${files.length} files: ${files.join(', ')}`);
  }
  assert.deepEqual(over, []);
});

test('the issue 12 check itself: grep -rlw traceroute outside its folders, the renderers and the registries', () => {
  const left = filesNaming('traceroute').filter((f) => !PENDING_RENDERING.includes(f));
  assert.deepEqual(left.sort(), [join('agent', 'probes', 'registry.ts'), join('shared', 'registry.ts')]);
});
