/**
 * A DNS run as the MCP tool answers it: per part every answer (a trace: every step) with all its
 * fields; in text dig's compact lines per answer.
 */
import { z } from 'zod';
import type { FoldPart } from '../../render/measurement-fold.ts';
import { measurementOutput } from '../../render/mcp-output.ts';
import { DnsAnswer } from './dns-answer.ts';
import { answerLines, dnsAnswerOf } from './text.ts';

/** structuredContent of the `dns` tool. */
export const DnsOutput = measurementOutput('dns', {
  answers: z.array(DnsAnswer).describe('The responses, in order (a trace: one per delegation step, the last one the final answer)'),
});
export type DnsOutput = z.infer<typeof DnsOutput>;

/** The dns fields of a part. */
export function dnsMcpFields(p: FoldPart): Record<string, unknown> {
  return { answers: p.answers.flatMap((e) => dnsAnswerOf(e) ?? []) };
}

/** The text of a dns part: each answer as dig's compact lines. */
export function dnsMcpText(who: string, p: FoldPart): string[] {
  const answers = p.answers.flatMap((e) => dnsAnswerOf(e) ?? []);
  const last = answers[answers.length - 1];
  const out = [`${who}: ${last ? `${last.rcode}, ${last.answer.length} record${last.answer.length === 1 ? '' : 's'}` : p.summary ? 'no answer' : 'interrupted'}`];
  for (const a of answers) out.push(...answerLines(a, false).map((l) => `  ${l}`));
  return out;
}
