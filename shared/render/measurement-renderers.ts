/**
 * What a measurement type supplies to the generic renderers: its text lines (iputils-style),
 * its HTML block for email, and its MCP tool output (structured content, its schema and the
 * text a model reads). The generic renderers (text-renderer.ts, html-renderer.ts,
 * mcp/measurement-result.ts) fold the stream once (measurement-fold.ts) and dispatch each part
 * to its type's renderers through renderers-by-type.ts, so a type's rendering lives in its own
 * folder, shared/measurements/<type>/.
 */
import type { z } from 'zod';
import type { AnswerEvent, ErrorEvent, HopEvent, StartEvent, SummaryEvent } from '../model/events.ts';
import type { FoldPart, MeasurementFold } from './measurement-fold.ts';
import type { PartSummary } from './run-summary.ts';

/** Options a type's text renderer reads (the generic ones stay in text-renderer.ts). */
export interface TypeTextOptions {
  /** Print a count line above a listing the picture already captions. Default true. */
  probeCounts: boolean;
  /** `-v`: the full answer (dig's sections, curl's headers and body) instead of the compact one. */
  verbose?: boolean;
  /**
   * Phone layout: lines of at most 36 monospace columns where the format allows (redundant
   * fields dropped, statistics split over short lines). Default false.
   */
  compact?: boolean;
  /** With `compact`: addresses kept whole (a Details reply), not shortened to fit. Default false. */
  fullAddresses?: boolean;
}

/**
 * The text of one part, fed as its events are folded. One instance per part, so it may keep
 * ordering state (lines held back until their predecessors arrive).
 */
export interface PartTextRenderer {
  /** The header lines of the part, the start already folded into `part`. */
  start(e: StartEvent, part: FoldPart, o?: TypeTextOptions): string[];
  /** The lines a hop adds now, in order (types without hops leave it out). */
  hop?(e: HopEvent, part: FoldPart, o?: TypeTextOptions): string[];
  /** The lines an answer (dns, http) adds now (types without answers leave it out). */
  answer?(e: AnswerEvent, part: FoldPart, o: TypeTextOptions): string[];
  /** Lines held back, written out when the part fails or the stream ends. */
  flush?(part: FoldPart, o?: TypeTextOptions): string[];
  /** The closing lines of the part (statistics, listings). */
  summary(e: SummaryEvent, part: FoldPart, o: TypeTextOptions): string[];
}

/** Options a type's HTML block reads. */
export interface TypeHtmlOptions {
  /** Answering hosts listed before "… and N more". */
  maxSweepHosts: number;
  /** The picture of a part, when the answer carries one (an inline image's `cid:` URL and its alt text). */
  picture?: (part: FoldPart) => { src: string; alt: string } | undefined;
}

/** Helpers of the generic HTML renderer a type's block uses, so every block looks alike. */
export interface HtmlKit {
  /** The part's heading, `verb target (address) from agent — note`. */
  heading(p: FoldPart, verb: string): string;
  /** One failure line. */
  errorLine(e: ErrorEvent): string;
  /** The part in the one summary model (shared/render/run-summary.ts). */
  summary(p: FoldPart): PartSummary;
  /** A summary as a compact cell: grade symbol and the figure that matters. */
  cell(s: PartSummary | undefined): string;
}

/** Caps of the MCP structured output. */
export interface McpCaps {
  maxReplies: number;
  maxHosts: number;
}

/** Options of {@link MeasurementRenderers.live}. */
export interface LiveOptions {
  /** Width of the medium. Default 36 (a phone). */
  columns?: number;
  /** Draw the head lines (target and address). Default true. */
  head?: boolean;
}

/** Everything a measurement type renders. */
export interface MeasurementRenderers {
  /** Whether a part without start or summary holds events only this type produces (hops, hosts). */
  claims?(part: FoldPart): boolean;
  /** A fresh text renderer for one part. */
  text(): PartTextRenderer;
  /**
   * A part drawn whole from the fold, for media that redraw (Telegram edits, the CLI on a
   * terminal): the state so far, in lines of at most 36 columns, or the type's wide table when
   * `columns` (default 36) allows 80; `head: false` leaves out the lines the text renderer's
   * `start` already printed. Absent: the text renderer's lines, appended as they come.
   */
  live?(part: FoldPart, o?: LiveOptions): string[];
  /** Lines after the whole stream (e.g. a matrix over every part), when this type ran. */
  textDone?(fold: MeasurementFold): string[];
  /** The HTML block of one part. */
  html(part: FoldPart, o: TypeHtmlOptions, kit: HtmlKit): string;
  /** An HTML overview above the blocks over this type's parts (e.g. a matrix), or ''. */
  htmlOverview?(parts: FoldPart[], kit: HtmlKit): string;
  /** The MCP tool's outputSchema (zod). */
  outputSchema: z.ZodType;
  /** The type's own fields of a part in the structured output. */
  mcpFields(part: FoldPart, caps: McpCaps): Record<string, unknown>;
  /** The MCP text of a part: a head line built from `who` and the substance under it. */
  mcpText(who: string, part: FoldPart, caps: McpCaps): string[];
}
