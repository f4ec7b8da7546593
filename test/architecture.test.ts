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
test('only agent/socket/native-addon.ts loads the native addon', () => {
  const offences = [...sourceFiles('agent'), ...sourceFiles('hub'), ...sourceFiles('bin'), ...sourceFiles('shared')]
    .filter((f) => f !== join('agent', 'socket', 'native-addon.ts'))
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
 * only code is counted: the name as a string literal or an import path segment. A type's
 * behaviour elsewhere is a property of its definition (targets, view, pacedByRate, …), never a
 * branch on its name; the files listed use the word in another meaning.
 */
const EVERYDAY: Record<string, string[]> = {
  ping: [],
  // node:dns, node:http, hub/http/, mcp/http/, http:// URLs: other meanings of the words.
  dns: [],
  http: [
    // grammY's webhook adapter for node:http.
    'bots/telegram/main.ts',
  ],
  probe: [
    // pmtu: 'probe' is IP_PMTUDISC_PROBE, another meaning of the word.
    'agent/socket/raw-socket.ts',
    'agent/probes/hop-probe.ts',
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
  // A path segment counts where a type's folder is: shared/measurements/<type>/, agent/probes/<type>/
  // (hub/http/ is the hub's HTTP layer, not the http type).
  const names = everyday ? new RegExp(`['"\`]${type}['"\`]|(?:measurements|probes)/${type}/`) : new RegExp(`\\b${type}\\b`);
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

/** Whether `spec`, imported by `file`, lands under the folder `dir` (e.g. `hub/http`). */
function landsIn(file: string, spec: string, dir: string): boolean {
  if (!spec.startsWith('.')) return false;
  const target = relative(root, resolve(root, dirname(file), spec));
  return target === dir || target.startsWith(dir + sep);
}

test('hub/core imports no transport: nothing of hub/http, node:http(s), node:net, node:tls, node:fs, ws', () => {
  const transports = new Set(['node:http', 'node:https', 'node:http2', 'node:net', 'node:tls', 'node:dgram', 'node:fs', 'node:fs/promises', 'ws']);
  const offences: string[] = [];
  for (const file of sourceFiles(join('hub', 'core'))) {
    for (const spec of importsOf(file)) {
      if (transports.has(spec) || landsIn(file, spec, join('hub', 'http'))) offences.push(`${file} imports ${spec}`);
    }
  }
  assert.deepEqual(offences, []);
});

/** Static (not dynamic) import specifiers of a module, comments stripped first. */
function staticImportsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  const re = /^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2])!);
  return specs;
}

/** Every module `entry` loads before it runs (static imports, transitively): our files and packages. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImportsOf(file)) {
      if (spec.startsWith('.')) pending.push(relative(root, resolve(root, dirname(file), spec)));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  }
  return { files, packages };
}

test('bin/cli.ts imports nothing of hub/, and agent/ only lazily (the local agent, `meshprobe agent`, `meshprobe echo-server`)', () => {
  // The CLI is a front-end: shared/ and its own bin/ modules. Its direct mode measures from this
  // machine, so it may load the local agent — on demand, never at start-up.
  const lazyAgent = new Set([join('agent', 'runtime', 'local-agent.ts'), join('agent', 'runtime', 'local-agent-info.ts'), join('agent', 'runtime', 'agent-command.ts'), join('agent', 'servers', 'serve-command.ts')]);
  const offences: string[] = [];
  for (const file of ['cli.ts', 'cli-command.ts', 'cli-flags.ts', 'direct-measurement.ts', 'stream-tracker.ts', 'sweep-live.ts'].map((f) => join('bin', f))) {
    const statics = new Set(staticImportsOf(file));
    for (const spec of importsOf(file)) {
      const folder = targetFolder(file, spec);
      if (folder === 'hub' || folder === 'mcp' || folder === 'bots' || folder === 'email-worker') offences.push(`${file} imports ${spec}`);
      if (folder === 'agent') {
        const target = relative(root, resolve(root, dirname(file), spec));
        if (statics.has(spec) || !lazyAgent.has(target)) offences.push(`${file} imports ${spec}${statics.has(spec) ? ' statically' : ''}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});

test('only bin/start.ts composes: no other module reaches two of hub/, agent/ and the front-ends', () => {
  const room = (folder: string | undefined) => (folder === 'mcp' || folder === 'bots' || folder === 'email-worker' ? 'front-end' : folder === 'hub' || folder === 'agent' ? folder : undefined);
  const offences: string[] = [];
  for (const dir of ['bin', 'hub', 'agent', 'mcp', 'bots', 'email-worker', 'shared']) {
    for (const file of sourceFiles(dir)) {
      if (file === join('bin', 'start.ts')) continue;
      const rooms = new Set<string>();
      const own = room(file.split(sep)[0]);
      if (own) rooms.add(own);
      for (const spec of importsOf(file)) {
        const r = room(targetFolder(file, spec));
        if (r) rooms.add(r);
      }
      if (rooms.size > 1) offences.push(`${file} reaches ${[...rooms].sort().join(' + ')}`);
    }
  }
  assert.deepEqual(offences, []);
});

test('lean entry points: `meshprobe version` and a remote agent load no front-end, PNG or mail package at start-up', () => {
  // What an entry imports statically is loaded before it runs (and held while it idles); these
  // packages belong to front-ends and are loaded where they are configured, never here.
  const heavy = /^(grammy|@grammyjs\/|@modelcontextprotocol\/sdk|nodemailer|smtp-server|mailparser|pngjs|prom-client|hono|@hono\/)/;
  const offences: string[] = [];
  for (const entry of [join('bin', 'cli.ts'), join('agent', 'main.ts'), join('agent', 'runtime', 'agent-command.ts')]) {
    for (const pkg of staticGraph(entry).packages) if (heavy.test(pkg)) offences.push(`${entry} loads ${pkg}`);
  }
  // `version` itself answers from the entry alone: no grammar (zod, yargs-parser), no agent.
  const cli = staticGraph(join('bin', 'cli.ts'));
  for (const pkg of cli.packages) offences.push(`bin/cli.ts loads ${pkg} before \`version\` runs`);
  for (const file of cli.files) if (file.startsWith('agent' + sep) || file.startsWith('hub' + sep)) offences.push(`bin/cli.ts loads ${file} before \`version\` runs`);
  assert.deepEqual(offences, []);
});

test('docs/architecture.md matches the tree: every path it names exists', () => {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const named = new Set<string>();
  for (const m of doc.matchAll(/`([a-z][a-z0-9_.<>-]*\/[a-z0-9_./<>-]*|[a-z][a-z0-9_-]*\.(?:ts|c|jsonc|md))`/g)) named.add(m[1]!);
  assert.ok(named.size > 40, `only ${named.size} paths found: is the pattern still right?`);
  const missing = [...named].filter((p) => {
    const path = p.replace('<type>', 'ping');
    return !(statSync(join(root, path), { throwIfNoEntry: false }) ?? statSync(join(root, 'docs', path), { throwIfNoEntry: false }));
  });
  assert.deepEqual(missing, []);
});
