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
import { TextRenderer } from '../../shared/render/text-renderer.ts';
import { rendererOptions, type DisplayOptions } from '../../shared/command/grammar.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { agentKeyboard } from './agent-keyboard.ts';
import { preHtml } from './pre-html.ts';
import { StreamMessage } from './stream-message.ts';

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
  log?: (line: string) => void;
}

const RUNNING = '⏳ running…';

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

  constructor(options: MeasurementMessageOptions) {
    this.#o = options;
    this.#spec = options.spec;
  }

  /** The agent that measured (or is measuring), once known. */
  get current(): string | undefined {
    return this.#current;
  }

  /** The keyboard as it should look now. */
  keyboard(): InlineKeyboardMarkup | undefined {
    return agentKeyboard(this.agents, this.#current);
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
  rerun(agent: string): Promise<void> {
    this.#wanted = agent;
    this.#abort?.abort();
    void this.#stream?.cancel();
    this.#chain = this.#chain.then(async () => {
      await this.#run.catch(() => {});
      if (this.#wanted !== agent) return; // a later press superseded this one
      const { limit: _limit, ...rest } = this.#spec;
      this.#spec = { ...rest, from: [agent] };
      this.#current = agent;
      this.#run = this.#execute(this.#spec);
    });
    return this.#chain.then(() => this.#run);
  }

  async #execute(spec: MeasurementSpec): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    // Several agents: [agent] on every line; several targets: [target] (or [agent → target]).
    const renderer = new TextRenderer({
      multiAgent: spec.from.length > 1 || (spec.limit ?? 1) > 1,
      multiTarget: spec.targets.length > 1,
      ...rendererOptions(this.#o.display, () => Date.now()),
    });
    let text = '';
    let note: string | undefined;
    let running = true;
    const html = (): string => preHtml(text || `${spec.type} ${spec.targets.join(' ')}`, running ? { suffix: RUNNING } : note ? { suffix: note } : {});
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
        text += this.#o.json ? JSON.stringify(event) + '\n' : renderer.push(event);
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
