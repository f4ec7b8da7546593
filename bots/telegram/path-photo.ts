/**
 * The path picture of a multi-agent trace as Telegram photos (issue 17 item 3): one per target
 * that two or more agents traced (shared/render/path-picture.ts), with a caption that says the
 * point — the run's headline, then where the paths join and the slowest agent. Encoded with
 * node:zlib's compressor, the one Node-only piece.
 */
import { deflateSync } from 'node:zlib';
import type { MeasurementFold } from '../../shared/render/measurement-fold.ts';
import { multiAgentPaths, pathPicture, pathFactsLine } from '../../shared/render/path-picture.ts';
import { encodePng } from '../../shared/render/png.ts';
import { headline, summarizePart } from '../../shared/render/run-summary.ts';
import { escapeHtml } from './pre-html.ts';

/** Most photos one run sends (one per target). */
export const MAX_PATH_PHOTOS = 3;

/** A photo to send: PNG bytes and an HTML caption (≤ 1024 characters). */
export interface PathPhoto {
  png: Uint8Array;
  caption: string;
}

/** The path photos of a finished run: none unless several agents traced the same target. */
export function pathPhotos(fold: MeasurementFold, time?: string): PathPhoto[] {
  return multiAgentPaths(fold.parts).slice(0, MAX_PATH_PHOTOS).map(([, parts]) => {
    const pic = pathPicture(parts, time ? { time } : {});
    const head = headline(parts.map(summarizePart));
    const caption = `<b>${escapeHtml(head)}</b>\n${escapeHtml(pathFactsLine(pic.facts, pic.graph.agents.length))}`;
    return { png: encodePng(pic.image, { deflate: (b) => new Uint8Array(deflateSync(b)) }), caption: caption.slice(0, 1024) };
  });
}
