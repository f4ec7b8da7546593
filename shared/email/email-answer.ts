/**
 * What both email gateways do with one accepted message: find the command, run it through the
 * hub within the caller's time budget, and render the answer as text and HTML. The I/O is the
 * hub client the caller passes in; the budget is the caller's AbortSignal. Runtime-neutral, so
 * the Cloudflare Worker and the Node SMTP gateway answer identically.
 */
import { emailSubject } from '../wire/delegated-subject.ts';
import { describeError, ErrorCode } from '../model/errors.ts';
import type { MeasurementEvent } from '../model/events.ts';
import { findEmailCommand } from './email-command.ts';
import type { EmailCommandInput } from './email-command.ts';
import { helpText } from '../command/help.ts';
import type { HubClient, HubLike } from '../wire/hub-client.ts';
import { MeasurementFold } from '../render/measurement-fold.ts';
import { renderHtml, renderHtmlText } from '../render/html-renderer.ts';
import { formatAgentList, formatAgentListHtml } from '../render/agent-list.ts';
import { renderText } from '../render/text-renderer.ts';
import { rendererOptions, type DisplayOptions } from '../command/grammar.ts';
import { headline, summarizeParts } from '../render/run-summary.ts';
import { compactMatrix } from '../render/compact-matrix.ts';
import { probePicture, aliveRanges } from '../render/probe-picture.ts';
import { drawableGrid } from '../render/sweep-bitmap.ts';
import { encodePng, encodePngAsync } from '../render/png.ts';

const NO_STAMPS: DisplayOptions = { quiet: false, outstanding: false, timestamps: false };
import type { MeasurementSpec } from '../model/spec.ts';
import { answerMonitorCommand, HEATMAP_CID, hubMonitorBackend } from '../command/monitor-answer.ts';
import type { MonitorCommand } from '../command/monitor-command.ts';

/** Options of {@link answerEmail}. */
export interface AnswerEmailOptions {
  hub: HubLike;
  /**
   * The time budget: when it aborts, the measurement is cancelled at the hub and the answer
   * holds what arrived until then, marked as partial. Default: no budget.
   */
  signal?: AbortSignal;
  /** Said in the partial-result note, e.g. "25 s". Default "the time limit". */
  budgetLabel?: string;
  /**
   * Highest count (`-c`) an email may ask for (default 10). An email answer is one message, so a
   * long run only delays it; the cap also keeps the Worker within its limits.
   */
  maxCount?: number;
  /** The clock (ms since the Unix epoch) for `-D` stamps and picture titles; without it -D stamps nothing. */
  now?: () => number;
  /**
   * The sender's address: `monitor add` records it as where the monitor's alerts go
   * (notify.email). Default: none (alerts by mail only with a webhook or another front-end).
   */
  sender?: string;
  /**
   * The zlib compressor for the pictures (node:zlib's deflateSync, or workerd's
   * CompressionStream('deflate') wrapped in a promise). Default: none, pictures stored
   * uncompressed (valid, larger).
   */
  deflate?: (data: Uint8Array) => Uint8Array | Promise<Uint8Array>;
}

/** A picture the HTML part shows inline (`<img src="cid:…">`): a MIME part of multipart/related. */
export interface InlineImage {
  /** The Content-ID, without angle brackets. */
  cid: string;
  filename: string;
  contentType: 'image/png';
  data: Uint8Array;
}

/** The rendered answer. */
export interface EmailAnswer {
  /** The command line that was run, when one was found. */
  line?: string;
  /** What happened: a measurement (possibly partial), a text answer, or a refusal. */
  kind: 'measurement' | 'text' | 'refused';
  partial: boolean;
  text: string;
  html: string;
  /** The result in one line (`ping a.example from 3 agents: 12–48 ms, 0% loss`), for the subject. */
  summary?: string;
  /** Pictures the HTML shows inline (probe sweeps). */
  images?: InlineImage[];
}

const NO_COMMAND =
  'No command found in your message. Write one command on the first line of the body, ' +
  'e.g. "ping -c 3 example.com", or "help".';

/** Finds the command in `mail`, runs it and renders the answer. Never throws. */
export async function answerEmail(mail: EmailCommandInput, options: AnswerEmailOptions): Promise<EmailAnswer> {
  const found = findEmailCommand(mail);
  if (!found.found) {
    if (found.failed) {
      const text = `${found.failed.message}\n${found.failed.usage}`;
      return { line: found.failed.line, kind: 'refused', partial: false, text, html: renderHtmlText(text, { command: found.failed.line }) };
    }
    // An empty message is a question: the help is the answer, without a complaint.
    if (!mail.text?.trim() && !mail.html?.trim() && !mail.subject?.trim().replace(/^((re|fwd?|aw|wg)\s*:\s*)+/i, '')) {
      const help = helpText();
      return { kind: 'text', partial: false, text: help, html: renderHtmlText(help), summary: 'meshprobe help' };
    }
    const text = `${NO_COMMAND}\n\n${helpText()}`;
    return { kind: 'refused', partial: false, text, html: renderHtmlText(text) };
  }
  const { line, command } = found;
  const textAnswer = (text: string): EmailAnswer => ({ line, kind: 'text', partial: false, text, html: renderHtmlText(text, { command: line }) });
  try {
    switch (command.command) {
      case 'help':
        return textAnswer(command.text);
      case 'token':
        // A From header is easy to forge; a bearer token must not be one email away.
        return textAnswer('Tokens are not issued by email. Ask for one with /token in Telegram, or from the hub operator.');
      case 'version': {
        const v = await options.hub.version(signalOpt(options.signal));
        return textAnswer(`${v.name} ${v.version} (API ${v.api})${v.runtime ? `, ${v.runtime}` : ''}`);
      }
      case 'list': {
        const agents = await options.hub.agents(signalOpt(options.signal));
        return { line, kind: 'text', partial: false, text: formatAgentList(agents, { layout: 'lines' }), html: formatAgentListHtml(agents, line) };
      }
      case 'monitor':
        return await monitor(line, command.monitor, command.json, options);
      default:
        return await measure(line, command.spec, options, command.display);
    }
  } catch (err) {
    const { code, message } = describeError(err);
    const text = `${message} (${code})`;
    return { line, kind: 'refused', partial: false, text, html: renderHtmlText(text, { command: line }) };
  }
}

/** `monitor …` by mail: the compact text, the HTML table, and for `show` the heatmap attached inline. */
async function monitor(line: string, cmd: MonitorCommand, json: boolean, options: AnswerEmailOptions): Promise<EmailAnswer> {
  const answer = await answerMonitorCommand(cmd, hubMonitorBackend(options.hub, signalOpt(options.signal)), {
    line,
    pictures: !json,
    ...(options.sender ? { notify: { email: options.sender } } : {}),
  });
  if (json) {
    const text = JSON.stringify(answer.data, null, 1);
    return { line, kind: 'text', partial: false, text, html: renderHtmlText(text, { command: line }) };
  }
  const images: InlineImage[] = answer.heatmap ? [{ cid: HEATMAP_CID, filename: 'heatmap.png', contentType: 'image/png', data: answer.heatmap }] : [];
  return { line, kind: 'text', partial: false, text: answer.compact, html: answer.html, ...(images.length ? { images } : {}) };
}

async function measure(line: string, requested: MeasurementSpec, options: AnswerEmailOptions, display?: DisplayOptions): Promise<EmailAnswer> {
  const maxCount = options.maxCount ?? 10;
  const notes: string[] = [];
  const spec: MeasurementSpec = { ...requested };
  // Only a type that repeats takes a count (or a deadline): the grammar gives no other one either.
  if ((spec.count ?? 0) > maxCount) {
    notes.push(`count lowered from ${spec.count} to ${maxCount}, the most an email answer runs`);
    spec.count = maxCount;
  }
  // -w without -c would keep sending until the deadline: an email answer still runs maxCount at most.
  if (spec.count === undefined && spec.deadlineMs !== undefined) spec.count = maxCount;
  const events: MeasurementEvent[] = [];
  // -D: the answer is rendered at the end, so each line is stamped with its event's arrival.
  // Keyed by what the event is about, not by identity: the renderers work on checked copies.
  const arrived = new Map<string, number>();
  let partial = false;
  try {
    for await (const e of options.hub.measure(spec, signalOpt(options.signal))) {
      events.push(e);
      if (display?.timestamps && options.now) arrived.set(arrivalKey(e), options.now());
    }
  } catch (err) {
    const { code, message } = describeError(err);
    if (code === ErrorCode.Cancelled || options.signal?.aborted) {
      partial = true;
      notes.push(`stopped after ${options.budgetLabel ?? 'the time limit'}: partial results`);
    } else if (events.length === 0) {
      // Refused before anything ran (bad spec, no such agent, auth): a one-line answer.
      const text = `${message} (${code})`;
      return { line, kind: 'refused', partial: false, text, html: renderHtmlText(text, { command: line }) };
    } else {
      partial = true;
      notes.push(`the hub stream broke: ${message}`);
    }
  }
  const note = notes.join('; ');
  const fold = new MeasurementFold({ keepEvents: true });
  for (const e of events) fold.add(e);
  const parts = summarizeParts(fold);
  const general = fold.generalErrors[0];
  const summary = parts.length ? headline(parts, { type: spec.type, targets: spec.targets }) : `${headline([], { type: spec.type, targets: spec.targets })}: ${general ? `failed: ${general.message}` : 'no result'}`;
  // The text part reads well in a plain-text client: the answer, the matrix of a multi run, then the detail.
  const multi = new Set(parts.map((p) => p.agent)).size > 1 || new Set(parts.map((p) => p.target)).size > 1;
  const top = [summary, ...(multi ? ['', ...compactMatrix(parts, { width: 72 })] : []), '', ''].join('\n');
  const text = top + (note ? `(${note})\n\n` : '') + renderText(fold.grouped(), rendererOptions(options.now ? display : { ...(display ?? NO_STAMPS), timestamps: false }, (e) => arrived.get(arrivalKey(e)) ?? Number.NaN));
  const images = await pictures(fold, options);
  const byPart = new Map(images.map((i) => [i.part, i]));
  const html = renderHtml(events, {
    command: line,
    ...(note ? { note } : {}),
    picture: (p) => {
      const i = byPart.get(p.key);
      return i ? { src: `cid:${i.image.cid}`, alt: i.alt } : undefined;
    },
  });
  return { line, kind: 'measurement', partial, text, html, summary, ...(images.length ? { images: images.map((i) => i.image) } : {}) };
}

/** Most pictures one answer carries (a sweep per agent). */
const MAX_PICTURES = 4;

/** The pictures of the sweep parts: the probe picture of each drawable prefix that had hosts. */
async function pictures(fold: MeasurementFold, options: AnswerEmailOptions): Promise<{ part: string; alt: string; image: InlineImage }[]> {
  const out: { part: string; alt: string; image: InlineImage }[] = [];
  for (const p of fold.parts) {
    if (out.length >= MAX_PICTURES || p.hostsSeen === 0) continue;
    const grid = drawableGrid(p.start?.address?.includes('/') ? p.start.address : p.target);
    if (!grid) continue;
    for (const e of p.events ?? []) if (e.type === 'host') grid.add(e);
    const time = options.now ? `${new Date(options.now()).toISOString().slice(0, 16).replace('T', ' ')} UTC` : undefined;
    const pic = probePicture(grid, { agent: p.agent, ...(time ? { time } : {}) });
    const data = options.deflate ? await encodePngAsync(pic.image, async (b) => options.deflate!(b)) : encodePng(pic.image);
    const c = grid.counts();
    const ranges = aliveRanges(grid);
    out.push({
      part: p.key,
      alt: `${grid.prefix.text} from ${p.agent}: ${c.reachable} alive, ${c.silent} no answer${ranges.length ? `; alive ${ranges.join(' ')}` : ''}`.slice(0, 500),
      image: { cid: `probe-${out.length + 1}@meshprobe`, filename: `probe-${out.length + 1}.png`, contentType: 'image/png', data },
    });
  }
  return out;
}

/** What an event is about (type, agent, target, seq): the key of its arrival time for -D. */
function arrivalKey(e: MeasurementEvent): string {
  const r = e as { type: string; agent?: unknown; target?: unknown; seq?: unknown };
  return `${r.type}\u0000${String(r.agent)}\u0000${String(r.target)}\u0000${String(r.seq)}`;
}

/**
 * The events reordered so that each agent×target part reads as one block (a live stream
 * interleaves them; an email is read at once). Within a part, replies, timeouts and ICMP
 * errors come in sequence order (a timeout for seq 1 is only known after the replies to 2 and
 * 3 may have arrived); everything else keeps its place. `done` stays last. The grouping is the
 * event fold's (shared/render/measurement-fold.ts), so malformed events are bounded or dropped.
 */
export function groupByPart(events: readonly MeasurementEvent[]): MeasurementEvent[] {
  const fold = new MeasurementFold({ keepEvents: true });
  for (const e of events) fold.add(e);
  return fold.grouped();
}

/**
 * The answer to a sender who just went over the per-sender rate limit: said once, after which
 * their messages go unanswered until the limit refills.
 */
export function rateLimitedAnswer(sender: string, retryAfterMs: number): { text: string; html: string } {
  const text = `Too many commands from ${sender}; try again in ${Math.ceil(retryAfterMs / 1000)} s. Further messages until then get no answer.`;
  return { text, html: renderHtmlText(text) };
}

/**
 * `hub` acting for the email `sender` (the hub then limits and logs each sender apart; needs a
 * token with scope `delegate`), or `hub` itself when the address would be refused as a subject.
 */
export function hubForSender(hub: HubClient, sender: string): HubClient {
  try {
    return hub.onBehalfOf(emailSubject(sender));
  } catch {
    return hub;
  }
}

function signalOpt(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}
