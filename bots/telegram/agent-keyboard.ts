/**
 * The inline keyboard under a streamed measurement (/ping and the like) that re-runs the measurement from another
 * agent. Callback data carries only an index into the agent list kept with the message's
 * session (Telegram allows 64 bytes of callback data; agent names may be longer).
 */
import type { InlineKeyboardMarkup, InlineKeyboardButton } from 'grammy/types';
import type { AgentInfo } from '../../shared/wire/agent-link.ts';

/** Callback data prefix of an agent button: `a:<index>`. */
export const AGENT_BUTTON = 'a:';
/** Callback data of the Cancel button. */
export const CANCEL_BUTTON = 'x';
/**
 * Callback data of the next-step buttons under a measurement: one byte each (Telegram allows 64),
 * matched exactly when they come back; what they act on is the message's session, not the data.
 */
export const ACTION_RERUN = 'r';
export const ACTION_DETAILS = 'd';
/** The type's usual next step on the same target (its definition's `chat.next`). */
export const ACTION_NEXT = 'n';
/** Matches exactly the callback data of a next-step button. */
export const ACTION_PATTERN = /^[rdn]$/;

/** Buttons per row: two keeps "🇩🇪 fra1 ✓" readable on a phone. */
const PER_ROW = 2;
/** Telegram allows up to 100 buttons; a keyboard that long is useless anyway. */
const MAX_BUTTONS = 24;

/** The flag emoji of an ISO 3166-1 alpha-2 country code ('' when there is no valid code). */
export function countryFlag(country: string | undefined): string {
  if (!country || !/^[A-Za-z]{2}$/.test(country)) return '';
  const base = 0x1f1e6; // REGIONAL INDICATOR SYMBOL LETTER A
  const up = country.toUpperCase();
  return String.fromCodePoint(base + up.charCodeAt(0) - 65, base + up.charCodeAt(1) - 65);
}

/** The button label of an agent: flag, name, and ✓ when it is the one that measured. */
export function agentLabel(agent: AgentInfo, current: boolean): string {
  const flag = countryFlag(agent.country);
  return `${flag ? flag + ' ' : ''}${agent.name}${current ? ' ✓' : ''}`;
}

/** Options of {@link agentKeyboard}. */
export interface AgentKeyboardOptions {
  /** Add a Cancel button (while a measurement runs). Default false. */
  cancel?: boolean;
  /** Next-step buttons in one row under the agents (re-run, details, the type's next step). Default none. */
  actions?: readonly InlineKeyboardButton[];
}

/**
 * The keyboard for `agents` with ✓ on `current`; undefined when there is nothing to choose
 * (fewer than two agents and no Cancel button), so the message carries no keyboard at all.
 */
export function agentKeyboard(agents: readonly AgentInfo[], current: string | undefined, options: AgentKeyboardOptions = {}): InlineKeyboardMarkup | undefined {
  const rows: InlineKeyboardButton[][] = [];
  if (agents.length > 1) {
    // The agents' index rides in the data (`a:12`, ≤ 64 bytes); names stay in the session.
    const buttons = agents.slice(0, MAX_BUTTONS).map((a, i) => ({ text: agentLabel(a, a.name === current), callback_data: `${AGENT_BUTTON}${i}` }));
    for (let i = 0; i < buttons.length; i += PER_ROW) rows.push(buttons.slice(i, i + PER_ROW));
  }
  if (options.actions?.length) rows.push([...options.actions]);
  if (options.cancel) rows.push([{ text: '✖ Cancel', callback_data: CANCEL_BUTTON }]);
  return rows.length ? { inline_keyboard: rows } : undefined;
}
