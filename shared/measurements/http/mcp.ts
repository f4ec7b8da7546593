/**
 * An HTTP run as the MCP tool answers it: per part every response (one per redirect hop) with
 * all its fields; in text the status, timings and TLS lines of each.
 */
import { z } from 'zod';
import type { FoldPart } from '../../render/measurement-fold.ts';
import { measurementOutput } from '../../render/mcp-output.ts';
import { HttpAnswer } from './http-answer.ts';
import { answerLines, httpAnswerOf } from './text.ts';

/** structuredContent of the `http` tool. */
export const HttpOutput = measurementOutput('http', {
  responses: z.array(HttpAnswer).describe('The responses in order: one, or one per redirect hop when following'),
});
export type HttpOutput = z.infer<typeof HttpOutput>;

/** The http fields of a part. */
export function httpMcpFields(p: FoldPart): Record<string, unknown> {
  return { responses: p.answers.flatMap((e) => httpAnswerOf(e) ?? []) };
}

/** The text of an http part: each response's compact lines, then its headers. */
export function httpMcpText(who: string, p: FoldPart): string[] {
  const responses = p.answers.flatMap((e) => httpAnswerOf(e) ?? []);
  const last = responses[responses.length - 1];
  const out = [`${who}: ${last ? `HTTP ${last.status}, ${last.timings.totalMs.toFixed(3)} ms` : p.summary ? 'no response' : 'interrupted'}`];
  for (const a of responses) out.push(...answerLines({ ...a, body: { ...a.body, text: a.body.text.slice(0, 2048) } }, true).map((l) => `  ${l}`));
  return out;
}
