/**
 * `/monitor …` in Telegram: the shared monitor answer (shared/command/monitor-answer.ts) in the
 * compact, phone-width shape; `/monitor show` sends the heatmap as a photo with the statistics as
 * its caption, then the full text. `/monitor add` from a chat records that chat as where the
 * monitor's alerts go (notify.telegram = the chat id).
 */
import { InputFile, type Context } from 'grammy';
import { answerMonitorCommand, hubMonitorBackend } from '../../shared/command/monitor-answer.ts';
import type { MonitorCommand } from '../../shared/command/monitor-command.ts';
import type { MonitorHubLike } from '../../shared/wire/hub-client.ts';
import { escapeHtml, preHtml } from './pre-html.ts';

/** Runs one `/monitor` command for the chat of `ctx`; a hub refusal propagates (the bot says it in one line). */
export async function monitorCommand(ctx: Context, hub: MonitorHubLike, cmd: MonitorCommand, json: boolean): Promise<void> {
  const chatId = ctx.chat!.id;
  const answer = await answerMonitorCommand(cmd, hubMonitorBackend(hub), {
    pictures: !json,
    notify: { telegram: String(chatId) },
  });
  if (json) {
    await ctx.reply(preHtml(JSON.stringify(answer.data, null, 1), { limit: 4000 }), { parse_mode: 'HTML' });
    return;
  }
  if (answer.heatmap) {
    await ctx.replyWithPhoto(new InputFile(answer.heatmap, 'heatmap.png'), { caption: escapeHtml(answer.caption ?? ''), parse_mode: 'HTML' });
  }
  await ctx.reply(preHtml(answer.compact, { limit: 4000 }), { parse_mode: 'HTML' });
}
