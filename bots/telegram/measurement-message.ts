/**
 * A measurement answered in text (every command but the sweep picture): one monospace message that fills in as the hub streams events,
 * with the agent keyboard under it. Re-running from another agent cancels the running
 * measurement (its hub request is aborted, so the agent stops sending) and streams the new run
 * into the same message.
 *
 * The measurement goes first (design §10: the first line within RTT + 150 ms): its request is
 * made before anything else; the agent list (a nicety for the keyboard) is asked for once the
 * stream has begun, and the message is sent with the first result in it (or the header alone
 * after {@link FIRST_RESULT_WAIT_MS}). Sending an empty message first and editing the first line
 * in would cost a second, the pace Telegram allows between edits of one message.
 */
import type { AgentInfo } from '../../shared/wire/agent-link.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import type { HubClient } from '../../shared/wire/hub-client.ts';
import { renderText, TextRenderer } from '../../shared/render/text-renderer.ts';
import { MeasurementFold } from '../../shared/render/measurement-fold.ts';
import { renderersByType, typeOfPart } from '../../shared/render/renderers-by-type.ts';
import { headline, summarizeParts } from '../../shared/render/run-summary.ts';
import { compactMatrix } from '../../shared/render/compact-matrix.ts';
import { GRADE_STYLE } from '../../shared/render/quality.ts';
import { rendererOptions, type DisplayOptions } from '../../shared/command/grammar.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { agentKeyboard, ACTION_DETAILS, ACTION_NEXT, ACTION_RERUN } from './agent-keyboard.ts';
import { nextStep } from '../../shared/registry.ts';
import { escapeHtml, preHtml } from './pre-html.ts';
import { StreamMessage } from './stream-message.ts';
import { pathPhotos } from './path-photo.ts';

/** How the message is edited; bound to one chat and message by the caller. */
export type EditMessage = (html: string, keyboard: InlineKeyboardMarkup | undefined) => Promise<void>;

/** How the message is sent, once; `edit` applies to the message sent. */
export type SendMessage = (html: string, keyboard: InlineKeyboardMarkup | undefined) => Promise<void>;

/** How long the message waits for the first result before it is sent with the header alone. */
export const FIRST_RESULT_WAIT_MS = 500;

/** Options of {@link MeasurementMessage}. */
export interface MeasurementMessageOptions {
  hub: HubClient;
  spec: MeasurementSpec;
  /** The agents offered on the keyboard (GET /v1/agents); asked once the measurement has begun. Never rejects. */
  agents: () => Promise<AgentInfo[]>;
  send: SendMessage;
  edit: EditMessage;
  /** How long to wait for the first result before sending the header alone (default {@link FIRST_RESULT_WAIT_MS}). */
  firstResultWaitMs?: number;
  /** Show the raw events (one JSON object per line) instead of the text rendering. */
  json?: boolean;
  /** ping -q / -O / -D (shared/command/grammar.ts). */
  display?: DisplayOptions;
  /** Least time between edits (default 1000 ms). */
  editIntervalMs?: number;
  /**
   * Sends a photo under the message once a run has ended (the path picture of a trace from
   * several agents, path-photo.ts). Default: no photos.
   */
  sendPhoto?: (png: Uint8Array, caption: string) => Promise<void>;
  log?: (line: string) => void;
}

const RUNNING = '⏳ running…';

/** The grades' symbols in one line under a matrix (shared/render/quality.ts; ≤ 36 columns). */
export const MATRIX_LEGEND = `${GRADE_STYLE.good.symbol} good ${GRADE_STYLE.fair.symbol} fair ${GRADE_STYLE.poor.symbol} poor ${GRADE_STYLE.bad.symbol} bad/down`;

/** Most per-probe lines kept per part for the Details reply (the matrix needs none). */
const DETAIL_LINES = 1000;

export class MeasurementMessage {
  /** The agents on the keyboard (empty until they were fetched). */
  agents: AgentInfo[] = [];
  readonly #o: MeasurementMessageOptions;
  #spec: MeasurementSpec;
  #current: string | undefined;
  #abort: AbortController | undefined;
  #stream: StreamMessage | undefined;
  #run: Promise<void> = Promise.resolve();
  #chain: Promise<void> = Promise.resolve();
  #wanted: string | undefined;
  /** What the message shows; undefined until it was sent. */
  #lastHtml: string | undefined;
  /** The current run's events, folded: the matrix and the Details reply read it. */
  #fold = new MeasurementFold({ keepEvents: true, maxLines: DETAIL_LINES });

  constructor(options: MeasurementMessageOptions) {
    this.#o = options;
    this.#spec = options.spec;
  }

  /** The agent that measured (or is measuring), once known. */
  get current(): string | undefined {
    return this.#current;
  }

  /** The spec of the current run. */
  get spec(): MeasurementSpec {
    return this.#spec;
  }

  /**
   * Whether the run is shown as a compact matrix: several agents or targets asked for, or seen.
   * Its per-line detail is then one press away (Details), never interleaved in the message.
   */
  get matrix(): boolean {
    if (this.#o.json) return false;
    const s = this.#spec;
    return s.from.length > 1 || (s.limit ?? 1) > 1 || s.targets.length > 1 || this.#fold.size > 1;
  }

  /** The keyboard as it should look now: other agents (single runs), then the next steps. */
  keyboard(): InlineKeyboardMarkup | undefined {
    const actions = [{ text: '🔁 Re-run', callback_data: ACTION_RERUN }];
    // A path's phone lines may shorten long addresses or leave long names out: Details has them whole.
    if (this.matrix || this.#hasHops()) actions.push({ text: '📄 Details', callback_data: ACTION_DETAILS });
    const next = nextStep(this.#spec.type);
    if (next && this.#spec.targets.length === 1) actions.push({ text: next.label, callback_data: ACTION_NEXT });
    return agentKeyboard(this.matrix ? [] : this.agents, this.#current, { actions });
  }

  /** Whether the current run has hops (a path), whose phone lines may shorten what Details shows whole. */
  #hasHops(): boolean {
    for (const p of this.#fold.parts) if (p.hops.size > 0) return true;
    return false;
  }

  /**
   * The per-line detail of every agent×target, one block each, for a reply under the matrix (or
   * under a path): phone lines, with addresses kept whole.
   */
  detailsHtml(): string {
    const s = this.#spec;
    const text = renderText(this.#fold.grouped(), {
      compact: true,
      fullAddresses: true,
      multiAgent: s.from.length > 1 || (s.limit ?? 1) > 1 || undefined,
      multiTarget: s.targets.length > 1 || undefined,
      ...rendererOptions(this.#o.display, () => Date.now()),
    });
    return preHtml(text || 'no results yet', { limit: 4000 });
  }

  /** Resolves when the current run has ended and its final state was delivered. */
  get done(): Promise<void> {
    return this.#run;
  }

  /** Starts the measurement. */
  start(): Promise<void> {
    this.#run = this.#execute(this.#spec);
    return this.#run;
  }

  /**
   * Cancels the running measurement and runs it again from `agent`, in the same message.
   * Nothing of the old run is shown once the new one starts. Presses in quick succession are
   * serialised and only the last one runs, so two runs never write into one message.
   */
  rerun(agent?: string): Promise<void> {
    const wanted = agent ?? '';
    this.#wanted = wanted;
    this.#abort?.abort();
    void this.#stream?.cancel();
    this.#chain = this.#chain.then(async () => {
      await this.#run.catch(() => {});
      if (this.#wanted !== wanted) return; // a later press superseded this one
      if (agent !== undefined) {
        const { limit: _limit, ...rest } = this.#spec;
        this.#spec = { ...rest, from: [agent] };
        this.#current = agent;
      }
      this.#run = this.#execute(this.#spec);
    });
    return this.#chain.then(() => this.#run);
  }

  async #execute(spec: MeasurementSpec): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    // Several agents: [agent] on every line; several targets: [target] (or [agent → target]).
    // Phone layout: lines of ≤ 36 columns where the format allows (text-renderer.ts `compact`).
    const textOptions = {
      multiAgent: spec.from.length > 1 || (spec.limit ?? 1) > 1,
      multiTarget: spec.targets.length > 1,
      compact: true,
      ...rendererOptions(this.#o.display, () => Date.now()),
    };
    const renderer = new TextRenderer(textOptions);
    const fold = new MeasurementFold({ keepEvents: true, maxLines: DETAIL_LINES });
    this.#fold = fold;
    let text = '';
    let note: string | undefined;
    let running = true;
    const status = (): { suffix?: string } => (running ? { suffix: RUNNING } : note ? { suffix: note } : {});
    // A type drawn whole from the fold (a live table of repeated rounds) is redrawn at every edit; others append.
    const html = (): string => (this.matrix ? matrixHtml(fold, spec, status().suffix) : preHtml((this.#o.json ? undefined : liveText(fold)) ?? (text || `${spec.type} ${spec.targets.join(' ')}`), status()));
    // A re-run streams into the message that exists; the first run sends it (see the top).
    const opening = this.#lastHtml === undefined ? this.#firstMessage(html) : undefined;
    let stream = opening ? undefined : this.#streamFrom(this.#lastHtml!);
    void opening?.sent.then(
      (sent) => {
        stream = this.#streamFrom(sent);
        if (running) stream.update(html);
      },
      () => abort.abort(), // Telegram refused the message: nobody would see the run
    );
    try {
      for await (const event of this.#o.hub.measure(spec, { signal: abort.signal })) {
        if (event.type === 'start' && this.#current === undefined) this.#current = event.agent;
        opening?.event(event.type !== 'start');
        fold.add(event);
        if (this.#o.json) text += JSON.stringify(event) + '\n';
        // Late enrichment (an online provider answered): the lines shown so far are drawn again
        // from the fold, which put it into the hops and the start.
        else if (event.type === 'info') text = renderText(fold.grouped(), textOptions);
        else text += renderer.push(event);
        // Built when the edit goes out (about once a second), not for every event.
        stream?.update(html);
      }
    } catch (err) {
      if (abort.signal.aborted && !opening?.failed) return; // superseded by a re-run: the new run owns the message
      if (!abort.signal.aborted) {
        const { code, message } = describeError(err);
        note = code === ErrorCode.Cancelled ? '✖ cancelled' : `⚠ ${message}`;
      }
    } finally {
      if (this.#abort === abort) this.#abort = undefined;
    }
    running = false;
    opening?.event(true);
    if (opening) await opening.sent; // rejects when the message could not be sent
    if (abort.signal.aborted) return;
    await stream!.finish(html());
    // After the text: the picture of the paths, when several agents traced one target.
    if (this.#o.sendPhoto && !this.#o.json) {
      for (const photo of pathPhotos(fold, `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`)) {
        try {
          await this.#o.sendPhoto(photo.png, photo.caption);
        } catch (err) {
          this.#o.log?.(`telegram: sending a path picture failed: ${describeError(err).message}`);
        }
      }
    }
  }

  /**
   * Sends the message of the first run: once the first result is in (or the run ended, or the
   * wait is over) and the agents for its keyboard are known. The agents are asked for only once
   * the stream has begun, so that the measurement's request reaches the hub first.
   */
  #firstMessage(html: () => string): { event(result: boolean): void; sent: Promise<string>; readonly failed: boolean } {
    let begun!: () => void;
    let result!: () => void;
    const hasBegun = new Promise<void>((r) => (begun = r));
    const hasResult = new Promise<void>((r) => (result = r));
    const timer = setTimeout(() => {
      begun();
      result();
    }, this.#o.firstResultWaitMs ?? FIRST_RESULT_WAIT_MS);
    const agents = hasBegun.then(() => this.#o.agents()).then((agents) => {
      this.agents = agents;
      // With one named source, the keyboard ticks it before its start event arrives.
      if (this.#current === undefined && this.#spec.from.length === 1 && agents.some((a) => a.name === this.#spec.from[0])) this.#current = this.#spec.from[0];
    });
    let failed = false;
    const sent = Promise.all([hasResult, agents]).then(async () => {
      clearTimeout(timer);
      const h = html();
      try {
        await this.#o.send(h, this.keyboard());
      } catch (err) {
        failed = true;
        throw err;
      }
      this.#lastHtml = h;
      return h;
    });
    return {
      event(isResult) {
        begun();
        if (isResult) result();
      },
      sent,
      get failed() {
        return failed;
      },
    };
  }

  /** The paced edits of the message, which shows `shown` now. */
  #streamFrom(shown: string): StreamMessage {
    const stream = new StreamMessage({
      initialText: shown,
      ...(this.#o.editIntervalMs !== undefined ? { minIntervalMs: this.#o.editIntervalMs } : {}),
      edit: async (html) => {
        await this.#o.edit(html, this.keyboard());
        this.#lastHtml = html;
      },
      onError: (err) => this.#o.log?.(`telegram: editing a measurement message failed: ${describeError(err).message}`),
    });
    this.#stream = stream;
    return stream;
  }
}

/**
 * The run drawn whole from the fold when every part's type draws itself so (a live table of
 * repeated rounds, ≤ 36 columns), with the errors under it; undefined otherwise.
 */
export function liveText(fold: MeasurementFold): string | undefined {
  const parts = [...fold.parts];
  if (parts.length === 0) return undefined;
  const lines: string[] = [];
  for (const p of parts) {
    const live = renderersByType[typeOfPart(p)].live;
    if (!live) return undefined;
    lines.push(...live(p), ...p.errors.map((e) => `⚠ ${e.message}`));
  }
  return [...lines, ...fold.generalErrors.map((e) => `⚠ ${e.message}`)].join('\n');
}

/**
 * The live compact matrix: the run's headline (answer first), the agents × targets cells of ≤ 36
 * columns with their grade symbols, the symbols' legend, and the status line.
 */
export function matrixHtml(fold: MeasurementFold, spec: MeasurementSpec, suffix: string | undefined): string {
  const parts = summarizeParts(fold);
  const named = spec.from.filter((f) => !f.includes('='));
  const lines = compactMatrix(parts, { targets: spec.targets, ...(parts.length === 0 ? { agents: named } : {}) });
  const errors = fold.generalErrors.map((e) => `⚠ ${e.message}`);
  const body = [...lines, '', MATRIX_LEGEND].join('\n');
  return `<b>${escapeHtml(headline(parts, { type: spec.type, targets: spec.targets }))}</b>\n` +
    preHtml(body, { limit: 3800, ...(errors.length || suffix ? { suffix: [...errors, ...(suffix ? [suffix] : [])].join('\n') } : {}) });
}
