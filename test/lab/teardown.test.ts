/**
 * The lab is always torn down: on SIGTERM/SIGINT of the process that built it, and — when that
 * process was killed outright — by the next lab, which sweeps namespaces of dead pids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Lab, labUnavailable, sweepStaleNamespaces } from './lab.ts';

const skip = labUnavailable();
const labTs = fileURLToPath(new URL('./lab.ts', import.meta.url));

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/** A child process that builds a one-router lab, prints its pid prefix, and waits. */
async function labChild(): Promise<{ child: ReturnType<typeof spawn>; prefix: string }> {
  const code = `import { Lab } from ${JSON.stringify(labTs)}; const l = await Lab.create({ routers: 1 }); console.log(l.id); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, prefix: line.trim() };
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`${sig} to the process that built a lab removes its namespaces`, { skip }, async () => {
    const { child, prefix } = await labChild();
    assert.equal(namespaces().filter((n) => n.startsWith(`${prefix}-`)).length, 3);
    child.kill(sig);
    await once(child, 'exit');
    assert.deepEqual(namespaces().filter((n) => n.startsWith(`${prefix}-`)), []);
  });
}

test('namespaces of a SIGKILLed run are swept by the next lab', { skip }, async () => {
  const { child, prefix } = await labChild();
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(namespaces().filter((n) => n.startsWith(`${prefix}-`)).length, 3, 'left behind by the killed process');
  const removed = sweepStaleNamespaces();
  assert.equal(removed.filter((n) => n.startsWith(`${prefix}-`)).length, 3);
  assert.deepEqual(namespaces().filter((n) => n.startsWith(`${prefix}-`)), []);
  // And a lab of this process is never swept by itself.
  const mine = await Lab.create({ routers: 0 });
  try {
    sweepStaleNamespaces();
    assert.ok(mine.nodes.every((n) => namespaces().includes(n.ns)));
  } finally {
    await mine.destroy();
  }
});
