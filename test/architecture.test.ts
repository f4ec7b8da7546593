// The import rules of design §3 are checked by Biome in `npm test` (biome.jsonc: shared/ pure,
// front-ends import shared/ only and never each other, hub/core transport-free, agent/ and hub/
// apart, packet codecs pure). What an import rule cannot see is checked here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
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
