// `npm start` with a monitor database it cannot open (issue 13 item 4): one line naming the file
// and what to do, a non-zero exit, never a stack trace.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startNode } from '../helpers/node-process.ts';

test('npm start on a corrupt meshprobe.db: one line on stderr and exit status 1', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mp-start-store-'));
  try {
    await writeFile(join(dataDir, 'meshprobe.db'), 'not a database; '.repeat(512));
    const p = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir });
    const code = await p.exited;
    assert.equal(code, 1, p.lines.join('\n'));
    const errors = p.lines.filter((l) => l.startsWith('! '));
    assert.equal(errors.length, 1, `one line, no stack trace: ${p.lines.join('\n')}`);
    assert.match(errors[0]!, /^! meshprobe: store .*meshprobe\.db: corrupt or not a SQLite database/);
    assert.ok(!p.lines.some((l) => /listening on/.test(l)), 'it never listened');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
