/**
 * A /probe answer: the sweep as a bitmap, one cell per address of the prefix (reachable cells
 * coloured by RTT, silent cells grey, pending cells black), sent as a photo and replaced with
 * editMessageMedia while the sweep runs — at most every 5 s, because every update uploads an
 * image — with a Cancel button and the counts in the caption. The final picture is always sent.
 */
import { InputFile, type Api } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import type { HubClient } from '../../shared/wire/hub-client.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { SweepGrid } from '../../shared/render/sweep-grid.ts';
import { saneEvent } from '../../shared/model/event-guard.ts';
import { drawableGrid, MAX_PNG_CELLS } from '../../shared/render/sweep-bitmap.ts';
import { renderProbePng } from './sweep-png.ts';
import { aliveRanges } from '../../shared/render/probe-picture.ts';
import { agentKeyboard } from './agent-keyboard.ts';
import { escapeHtml } from './pre-html.ts';
import { StreamMessage } from './stream-message.ts';

/** Options of {@link ProbePhoto}. */
export interface ProbePhotoOptions {
  hub: HubClient;
  spec: MeasurementSpec;
  api: Api;
  chatId: number;
  /** Least time between photo updates, ms (default 5000). */
  minIntervalMs?: number;
  log?: (line: string) => void;
  /** Called with the photo's message id once it is sent (to route the Cancel button). */
  onSent?: (messageId: number) => void;
}

export class ProbePhoto {
  readonly #o: ProbePhotoOptions;
  readonly #abort = new AbortController();
  #grid: SweepGrid | undefined;
  #agent: string | undefined;
  #note: string | undefined;
  #finished = false;
  #startedAt = Date.now();
  /** When the sweep ended: the caption reports the sweep's time, not the photo pacing. */
  #endedAt = 0;

  constructor(options: ProbePhotoOptions) {
    this.#o = options;
    this.#grid = drawableGrid(options.spec.targets[0] ?? '');
  }

  /** Stops the sweep (the Cancel button); the picture keeps what was found. */
  cancel(): void {
    this.#abort.abort();
  }

  /** Sends the photo, streams the sweep into it, and delivers the final picture. */
  async start(): Promise<void> {
    const { api, chatId, spec } = this.#o;
    const grid = this.#grid;
    if (!grid) {
      await api.sendMessage(chatId, `⚠ ${escapeHtml(`probe: ${spec.targets[0]} is too large to draw (at most ${MAX_PNG_CELLS} addresses)`)}`, { parse_mode: 'HTML' });
      return;
    }
    const sent = await api.sendPhoto(chatId, this.#image(), { caption: this.#caption(), parse_mode: 'HTML', reply_markup: this.#keyboard() });
    const messageId = sent.message_id;
    this.#o.onSent?.(messageId);
    const stream = new StreamMessage({
      minIntervalMs: this.#o.minIntervalMs ?? 5000,
      initialText: this.#key(),
      edit: async () => {
        const keyboard = this.#keyboard();
        await api.editMessageMedia(
          chatId,
          messageId,
          { type: 'photo', media: this.#image(), caption: this.#caption(), parse_mode: 'HTML' },
          keyboard ? { reply_markup: keyboard } : {},
        );
      },
      onError: (err) => this.#o.log?.(`telegram: updating a probe photo failed: ${describeError(err).message}`),
    });
    try {
      for await (const raw of this.#o.hub.measure(spec, { signal: this.#abort.signal })) {
        // Bounded and well-typed whatever the hub relays (shared/model/event-guard.ts).
        const e = saneEvent(raw);
        if (!e) continue;
        if (e.type === 'start' && this.#agent === undefined) this.#agent = e.agent;
        if (e.type === 'host' && (this.#agent === undefined || e.agent === this.#agent)) {
          grid.add(e);
        } else if (e.type === 'error') {
          this.#note = `⚠ ${e.message}`;
        }
        stream.update(this.#key());
      }
    } catch (err) {
      const { code, message } = describeError(err);
      this.#note = code === ErrorCode.Cancelled || this.#abort.signal.aborted ? '✖ cancelled' : `⚠ ${message}`;
    }
    this.#finished = true;
    this.#endedAt = Date.now();
    await stream.finish(this.#key());
  }

  /** Changes whenever the picture or caption would: the stream coalesces on it. */
  #key(): string {
    const c = this.#grid?.counts() ?? { reachable: 0, silent: 0, pending: 0 };
    return `${c.reachable}/${c.silent}/${c.pending}/${this.#finished}/${this.#note ?? ''}/${this.#agent ?? ''}`;
  }

  #keyboard(): InlineKeyboardMarkup | undefined {
    return this.#finished ? undefined : agentKeyboard([], undefined, { cancel: true });
  }

  #image(): InputFile {
    const state = this.#finished ? (this.#note?.includes('cancelled') ? 'cancelled' : `done in ${((this.#endedAt - this.#startedAt) / 1000).toFixed(1)} s`) : 'running…';
    const time = `${new Date(this.#startedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    return new InputFile(renderProbePng(this.#grid!, { ...(this.#agent ? { agent: this.#agent } : {}), time, state }), 'probe.png');
  }

  #caption(): string {
    const g = this.#grid!;
    const c = g.counts();
    const from = this.#agent ? ` from ${this.#agent}` : '';
    const state = this.#finished ? `done in ${((this.#endedAt - this.#startedAt) / 1000).toFixed(1)} s` : 'running…';
    const lines = [
      `<b>probe ${escapeHtml(g.prefix.text)}</b>${escapeHtml(from)} — ${state}`,
      `🟩 ${c.reachable} alive · ⬛ ${c.silent} no answer · ${c.pending} not probed`,
    ];
    if (this.#note) lines.push(escapeHtml(this.#note));
    // The alive ranges beside the picture, within Telegram's 1024-character caption.
    const ranges = aliveRanges(g).join('\n');
    if (ranges) {
      const room = 1000 - lines.join('\n').length - 30;
      lines.push(`<code>${escapeHtml(ranges.length > room ? ranges.slice(0, Math.max(0, room)).replace(/[^,\n]*$/, '') + '…' : ranges)}</code>`);
    }
    return lines.join('\n');
  }
}
