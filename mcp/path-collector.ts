/**
 * Collects the hops of a measurement and draws the path picture (shared/render/path-picture.ts)
 * of every target that several agents traced, for a tool result's image content. Parts without
 * hops are ignored, so any type may feed it and only paths add pictures.
 */
import { deflateSync } from 'node:zlib';
import type { MeasurementEvent } from '../shared/model/events.ts';
import { MeasurementFold } from '../shared/render/measurement-fold.ts';
import { multiAgentPaths, pathFactsLine, pathPicture } from '../shared/render/path-picture.ts';
import { encodePng } from '../shared/render/png.ts';

/** Most path pictures one result carries. */
const MAX_PICTURES = 4;

/** Feed it every event; ask for the pictures at the end. */
export class PathCollector {
  /** Hops only: per-probe lines and hosts are not kept. */
  readonly #fold = new MeasurementFold({ maxLines: 0, maxHosts: 0 });

  add(raw: MeasurementEvent): void {
    this.#fold.add(raw);
  }

  /** One picture per target traced from two or more agents, with where the paths join in words. */
  images(): { target: string; facts: string; data: Uint8Array }[] {
    return multiAgentPaths(this.#fold.parts).slice(0, MAX_PICTURES).map(([target, parts]) => {
      const pic = pathPicture(parts);
      return { target, facts: pathFactsLine(pic.facts, pic.graph.agents.length), data: encodePng(pic.image, { deflate: (b) => new Uint8Array(deflateSync(b)) }) };
    });
  }
}
