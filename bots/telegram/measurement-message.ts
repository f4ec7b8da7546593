/**
 * A measurement answered in text (every command but the sweep picture): one monospace message that fills in as the hub streams events,
 * with the agent keyboard under it. Re-running from another agent cancels the running
 * measurement (its hub request is aborted, so the agent stops sending) and streams the new run
 * into the same message.
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

/** Options of {@link MeasurementMessage}. */
export interface MeasurementMessageOptions {
  hub: HubClient;
  spec: MeasurementSpec;
  /** Agents offered on the keyboard (from GET /v1/agents when the command came in). */
  agents: AgentInfo[];
  edit: EditMessage;
  /** The HTML the message was sent with, so an identical first edit is skipped. */
  initialHtml: string;
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
  readonly agents: AgentInfo[];
  readonly #o: MeasurementMessageOptions;
  #spec: MeasurementSpec;
  #current: string | undefined;
  #abort: AbortController | undefined;
  #stream: StreamMessage | undefined;
  #run: Promise<void> = Promise.resolve();
  #chain: Promise<void> = Promise.resolve();
  #wanted: string | undefined;
  #lastHtml: string;

  constructor(options: MeasurementMessageOptions) {
    this.#o = options;
    this.agents = options.agents;
    this.#spec = options.spec;
    this.#lastHtml = options.initialHtml;
    // With one named source, the keyboard can tick it before the first event arrives.
    if (options.spec.from.length === 1 && options.agents.some((a) => a.name === options.spec.from[0])) this.#current = options.spec.from[0];
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
    const stream = new StreamMessage({
      initialText: this.#lastHtml,
      ...(this.#o.editIntervalMs !== undefined ? { minIntervalMs: this.#o.editIntervalMs } : {}),
      edit: async (html) => {
        await this.#o.edit(html, this.keyboard());
        this.#lastHtml = html;
      },
      onError: (err) => this.#o.log?.(`telegram: editing a measurement message failed: ${describeError(err).message}`),
    });
    this.#stream = stream;
    // Several agents: [agent] on every line; several targets: [target] (or [agent → target]).
    const renderer = new TextRenderer({
      multiAgent: spec.from.length > 1 || (spec.limit ?? 1) > 1,
      multiTarget: spec.targets.length > 1,
      ...rendererOptions(this.#o.display, () => Date.now()),
    });
    let text = '';
    let note: string | undefined;
    const html = (running: boolean): string => preHtml(text || `${spec.type} ${spec.targets.join(' ')}`, running ? { suffix: RUNNING } : note ? { suffix: note } : {});
    try {
      for await (const event of this.#o.hub.measure(spec, { signal: abort.signal })) {
        if (event.type === 'start' && this.#current === undefined) this.#current = event.agent;
        text += this.#o.json ? JSON.stringify(event) + '\n' : renderer.push(event);
        // Built when the edit goes out (about once a second), not for every event.
        stream.update(() => html(true));
      }
    } catch (err) {
      if (abort.signal.aborted) return; // superseded by a re-run: the new run owns the message
      const { code, message } = describeError(err);
      note = code === ErrorCode.Cancelled ? '✖ cancelled' : `⚠ ${message}`;
    } finally {
      if (this.#abort === abort) this.#abort = undefined;
    }
    if (abort.signal.aborted) return;
    await stream.finish(html(false));
  }
}
