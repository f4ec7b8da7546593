// The path picture of a multi-agent trace: agents on top, the target below, one box per hop
// address however many agents passed it, RTT on the edges, a title that says where the paths join.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { encodePng } from '../../../shared/render/png.ts';
import { MeasurementFold, type FoldPart } from '../../../shared/render/measurement-fold.ts';
import { MAX_PATH_AGENTS, multiAgentPaths, NODE_BORDER, pathFacts, pathFactsLine, pathGraph, pathPicture } from '../../../shared/render/path-picture.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { multiTraceEvents, tracerouteEvents } from '../../helpers/phone-fixtures.ts';

const PAPER = '255,255,255';

function partsOf(events: MeasurementEvent[]): FoldPart[] {
  const f = new MeasurementFold();
  for (const e of events) f.add(e);
  return multiAgentPaths(f.parts)[0]?.[1] ?? [];
}
function decode(bytes: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(bytes));
}
function px(png: PNG, x: number, y: number): string {
  const o = (y * png.width + x) * 4;
  return `${png.data[o]},${png.data[o + 1]},${png.data[o + 2]}`;
}
function inked(png: PNG, r: { x: number; y: number; width: number; height: number }): boolean {
  for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) if (px(png, x, y) !== PAPER) return true;
  return false;
}
/** Connected groups of pixels of one colour (4-neighbourhood): the box frames, counted in the decoded PNG. */
function components(png: PNG, rgb: readonly number[]): { x: number; y: number; w: number; h: number }[] {
  const want = rgb.join(',');
  const seen = new Uint8Array(png.width * png.height);
  const out: { x: number; y: number; w: number; h: number }[] = [];
  for (let y0 = 0; y0 < png.height; y0++) {
    for (let x0 = 0; x0 < png.width; x0++) {
      if (seen[y0 * png.width + x0] || px(png, x0, y0) !== want) continue;
      let [minX, minY, maxX, maxY] = [x0, y0, x0, y0];
      const stack = [[x0, y0]];
      seen[y0 * png.width + x0] = 1;
      while (stack.length) {
        const [x, y] = stack.pop()!;
        minX = Math.min(minX, x!); maxX = Math.max(maxX, x!); minY = Math.min(minY, y!); maxY = Math.max(maxY, y!);
        for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
          const nx = x! + dx!;
          const ny = y! + dy!;
          if (nx < 0 || ny < 0 || nx >= png.width || ny >= png.height || seen[ny * png.width + nx] || px(png, nx, ny) !== want) continue;
          seen[ny * png.width + nx] = 1;
          stack.push([nx, ny]);
        }
      }
      out.push({ x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 });
    }
  }
  return out;
}

test('three agents to one target: one box per agent, per hop address (shared hops once), per silent hop, and the target', () => {
  const parts = partsOf(multiTraceEvents());
  const pic = pathPicture(parts, { time: '2026-05-01 12:00 UTC' });
  const png = decode(encodePng(pic.image, { deflate: (b) => deflateSync(b) }));
  assert.equal(png.width, pic.image.width);
  assert.ok(png.width <= 600, `fits a phone (${png.width} px)`);
  // 3 agents + 7 distinct hop addresses + 1 silent hop + the target: counted in the pixels.
  const boxes = components(png, NODE_BORDER);
  assert.equal(boxes.length, 12, JSON.stringify(boxes));
  assert.equal(pic.nodes.length, 12);
  // 203.0.113.10 and .20 are on all three paths, at hop 3 and 4 of each: drawn once.
  for (const shared of ['203.0.113.10', '203.0.113.20']) {
    const drawn = pic.nodes.filter((n) => n.node.label === shared);
    assert.equal(drawn.length, 1, `${shared} drawn once`);
    assert.deepEqual(drawn[0]!.node.agents, ['lax1', 'fra1', 'nyc1']);
    // A frame is where the picture says the box is.
    assert.ok(boxes.some((b) => b.x === drawn[0]!.x && b.y === drawn[0]!.y && b.w === drawn[0]!.width && b.h === drawn[0]!.height));
  }
  // Agents on the top row, the target alone on the bottom one.
  const top = Math.min(...pic.nodes.map((n) => n.y));
  const bottom = Math.max(...pic.nodes.map((n) => n.y));
  assert.deepEqual(pic.nodes.filter((n) => n.y === top).map((n) => n.node.label).sort(), ['fra1', 'lax1', 'nyc1']);
  assert.deepEqual(pic.nodes.filter((n) => n.y === bottom).map((n) => n.node.label), ['198.51.100.9']);
  // Title and legend are drawn, and the legend's counts are the boxes'.
  assert.ok(inked(png, pic.title), 'the title is drawn');
  assert.ok(inked(png, pic.legend), 'the legend is drawn');
  for (const e of pic.legend.entries) assert.ok(inked(png, { x: e.at.x, y: e.at.y, width: 6 * e.text.length - 1, height: 7 }), `legend text "${e.text}" drawn`);
  const counts = Object.fromEntries(pic.legend.entries.map((e) => [e.label, e.count]));
  assert.deepEqual(counts, { agent: 3, hop: 5, 'shared hop': 2, 'no answer': 1, target: 1 });
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), boxes.length);
  // The point in the title: where the paths join, the slowest agent.
  assert.equal(pic.title.lines[2], 'paths join at 203.0.113.10 (hop 3); slowest fra1 80.3 ms');
});

test('edges carry the RTT of the hop below them; a step taken by several agents is one edge with their range', () => {
  const g = pathGraph(partsOf(multiTraceEvents()));
  const into = (to: string) => g.edges.filter((e) => e.to === to);
  // Three different boxes lead to 203.0.113.10, one edge each.
  assert.equal(into('203.0.113.10').length, 3);
  const shared = into('203.0.113.20');
  assert.equal(shared.length, 1);
  assert.deepEqual(shared[0]!.agents, ['lax1', 'fra1', 'nyc1']);
  assert.equal(shared[0]!.rttsMs.length, 3);
  // The silent hop of fra1 has no RTT to show on the edge into it.
  const silent = g.nodes.find((n) => n.kind === 'silent')!;
  assert.deepEqual(into(silent.id)[0]!.rttsMs, []);
});

test('an agent that did not arrive: a dashed edge to the target, named in the facts; paths with nothing in common say so', () => {
  const events = multiTraceEvents().filter((e) => !(e.type === 'hop' && e.agent === 'nyc1' && e.ttl >= 3)).map((e) =>
    e.type === 'summary' && e.agent === 'nyc1' ? { ...e, reached: false, hops: 2 } : e);
  const parts = partsOf(events);
  const g = pathGraph(parts);
  const dashed = g.edges.filter((e) => e.unreached);
  assert.equal(dashed.length, 1);
  assert.deepEqual([dashed[0]!.from, dashed[0]!.to], ['203.0.113.30', '198.51.100.9']);
  const f = pathFacts(parts, g);
  assert.deepEqual(f.unreached, ['nyc1']);
  assert.match(pathFactsLine(f, 3), /^lax1, fra1 join at 203\.0\.113\.10 \(hop 3\); slowest fra1 [\d.]+ ms; nyc1 did not arrive$/);
  // Disjoint paths: no join point.
  const apart = multiTraceEvents().filter((e) => e.type !== 'hop' || e.agent === 'lax1' || e.ttl <= 2);
  assert.match(pathFactsLine(pathFacts(partsOf(apart)), 3), /^no hop in common/);
});

test('one agent is not a multi-agent picture; many agents are bounded', () => {
  const f = new MeasurementFold();
  for (const e of tracerouteEvents()) f.add(e);
  assert.deepEqual(multiAgentPaths(f.parts), []);
  const many: MeasurementEvent[] = [];
  for (let a = 0; a < 20; a++) {
    for (const e of multiTraceEvents()) if ('agent' in e && e.agent === 'lax1') many.push({ ...e, agent: `a${a}` } as MeasurementEvent);
  }
  const parts = partsOf(many);
  assert.equal(parts.length, 20);
  const pic = pathPicture(parts);
  assert.equal(pic.graph.agents.length, MAX_PATH_AGENTS);
  assert.ok(pic.graph.truncated);
  assert.match(pic.title.lines[1]!, /cut to fit/);
});
