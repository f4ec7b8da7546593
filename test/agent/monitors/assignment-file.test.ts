// The agent's assignments on disk (agent/monitors/assignment-file.ts): a whole set, changes
// journalled after it, a crash's cut line ignored, compaction, and a restarted MonitorService
// resuming exactly the set it was given (whole sets and changes alike).
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AssignmentFile } from '../../../agent/monitors/assignment-file.ts';
import { MonitorService } from '../../../agent/monitors/monitor-service.ts';
import { Resolver } from '../../../agent/runtime/resolver.ts';
import { MonitorLimits, type MonitorAssignment } from '../../../shared/model/monitor-types.ts';

function monitor(id: number, extra: Partial<MonitorAssignment> = {}): MonitorAssignment {
  return { id, type: 'ping', target: `127.0.0.${(id % 250) + 1}`, intervalMs: 1000, timeoutMs: 1000, rev: 1, ...extra };
}

function withDir(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-assign-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const LAN = { policy: 'lan' } as const;

test('changes are journalled after the set and replayed on load; a line cut short is ignored', withDir((dir) => {
  const f = new AssignmentFile(dir);
  f.writeAll([monitor(1), monitor(2), monitor(3)], LAN);
  const whole = () => assert.fail('no compaction expected for small changes');
  f.append([monitor(4)], [], whole);
  f.append([monitor(2, { rev: 2 })], [1], whole);
  f.close();
  // A crash in the middle of the next append: half a line, no newline.
  appendFileSync(join(dir, 'assignments.log'), '{"set":[{"id":9,');

  const again = new AssignmentFile(dir);
  const saved = again.load();
  assert.ok(saved);
  assert.equal(saved.changes, 2);
  assert.deepEqual(saved.scope, LAN);
  assert.deepEqual(saved.list.map((a) => [a.id, a.rev]).sort((a, b) => a[0]! - b[0]!), [[2, 2], [3, 1], [4, 1]]);
  // The next change overwrites the cut tail: the journal reads clean afterwards.
  again.append([], [3], whole);
  again.close();
  const third = new AssignmentFile(dir).load();
  assert.deepEqual(third?.list.map((a) => a.id).sort(), [2, 4]);
  assert.equal(third?.changes, 3);
}));

test('a journal that outgrows the set is folded into a new whole set', withDir((dir) => {
  const f = new AssignmentFile(dir);
  f.writeAll([], LAN);
  const byId = new Map<number, MonitorAssignment>();
  let compactions = 0;
  for (let id = 1; id <= 2000; id++) {
    const a = monitor(id);
    f.append([a], [], () => {
      compactions++;
      return { list: [...byId.values(), a], scope: LAN };
    });
    byId.set(id, a);
  }
  f.close();
  assert.ok(compactions >= 1, 'the journal was compacted');
  // Bounded by the set's own size (plus the 64 KiB floor), not by the number of changes made.
  assert.ok(statSync(join(dir, 'assignments.log')).size <= Math.max(64 * 1024, statSync(join(dir, 'assignments.json')).size));
  const saved = new AssignmentFile(dir).load();
  assert.equal(saved?.list.length, 2000);
  assert.deepEqual(new Set(saved?.list.map((a) => a.id)), new Set(byId.keys()));
}));

test('no saved set, or an unreadable one, loads as nothing', withDir((dir) => {
  assert.equal(new AssignmentFile(dir).load(), undefined);
  appendFileSync(join(dir, 'assignments.json'), '{"list":[');
  assert.equal(new AssignmentFile(dir).load(), undefined);
}));

test('a restarted service resumes the set it was given, whole sets and changes alike', withDir((dir) => {
  // Public policy: loopback targets are refused, so nothing is sent while the set is checked.
  const options = { agent: 'a1', resolver: new Resolver(), policy: 'public' as const, dataDir: dir };
  const first = new MonitorService(options);
  first.assign([monitor(1), monitor(2), monitor(3), monitor(4)], LAN);
  first.change([monitor(5)], [1]);
  // The hub hands an in-process agent whole sets: a small difference is journalled too.
  first.assign([monitor(2), monitor(3), monitor(4, { rev: 7 }), monitor(5)], LAN);
  assert.equal(first.size, 4);
  first.close();
  const journal = readFileSync(join(dir, 'monitors', 'assignments.log'), 'utf8').trim().split('\n');
  assert.equal(journal.length, 2, 'two changes journalled after the first whole set');
  assert.deepEqual(JSON.parse(journal[1]!), { set: [monitor(4, { rev: 7 })], drop: [] });

  const second = new MonitorService(options);
  try {
    assert.equal(second.size, 4);
    // A change past the bound is refused whole and leaves the set as it was.
    const many = Array.from({ length: MonitorLimits.maxAssignmentsPerAgent }, (_, i) => monitor(100 + i));
    assert.throws(() => second.change(many, []), new RegExp(`over the most one agent runs \\(${MonitorLimits.maxAssignmentsPerAgent}\\)`));
    assert.equal(second.size, 4);
  } finally {
    second.close();
  }
  const third = new MonitorService(options);
  try {
    assert.equal(third.size, 4, 'the refused change was never written');
  } finally {
    third.close();
  }
}));
