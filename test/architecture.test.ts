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

test('front-ends never import each other (they share shared/ only)', () => {
  // bin/cli.ts is the CLI front-end; bin/start.ts is the launcher that composes them all.
  const frontEnds: Record<string, string[]> = {
    mcp: sourceFiles('mcp'),
    'bots/telegram': sourceFiles(join('bots', 'telegram')),
    'bots/email': sourceFiles(join('bots', 'email')),
    'email-worker': sourceFiles('email-worker'),
    'bin/cli': [join('bin', 'cli.ts')],
  };
  const home = (path: string): string | undefined => {
    for (const [name, files] of Object.entries(frontEnds)) {
      if (files.includes(path) || path.startsWith(name + sep)) return name;
    }
    return undefined;
  };
  const offences: string[] = [];
  for (const [name, files] of Object.entries(frontEnds)) {
    for (const file of files) {
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(root, resolve(root, dirname(file), spec));
        const other = home(target);
        if (other !== undefined && other !== name) offences.push(`${file} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});
