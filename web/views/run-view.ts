/**
 * The command box: one line of the shared grammar (shared/command/grammar.ts, the same parser,
 * help and refusals as Telegram, mail and the CLI), history on the up and down arrows, and a
 * form for those who would rather not type flags (it writes the line, then runs it).
 * Measurements stream from POST /v1/measurements; `list`, `version` and `monitor …` go to
 * POST /v1/cli, whose text is the hub's own rendering.
 */
import { useRef, useState } from 'preact/hooks';
import { parseCommand } from '../../shared/command/grammar.ts';
import { measurementTypes } from '../../shared/registry.ts';
import type { AgentInfo } from '../../shared/wire/agent-link.ts';
import { hubClient } from '../api.ts';
import { html } from '../html.ts';
import { RunModel } from '../run-model.ts';
import { Results } from './results.ts';

const HISTORY_KEY = 'meshprobe.history';
const MAX_HISTORY = 100;

function loadHistory(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string').slice(-MAX_HISTORY) : [];
  } catch {
    return [];
  }
}

/** A finished text answer (help, a refusal, the hub's /v1/cli text). */
interface TextAnswer {
  command: string;
  text: string;
  error?: boolean;
}

export function RunView(props: { agents: AgentInfo[] }) {
  const [line, setLine] = useState('');
  const [runs, setRuns] = useState<(RunModel | TextAnswer)[]>([]);
  const history = useRef<string[]>(loadHistory());
  const cursor = useRef(-1);
  const controller = useRef<AbortController | undefined>(undefined);

  function remember(cmd: string) {
    const h = history.current.filter((x) => x !== cmd);
    h.push(cmd);
    history.current = h.slice(-MAX_HISTORY);
    cursor.current = -1;
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(history.current));
    } catch {
      // private mode: history for this page only
    }
  }

  async function run(cmd: string) {
    const text = cmd.trim();
    if (!text) return;
    remember(text);
    const parsed = parseCommand(text);
    if (!parsed.ok) {
      setRuns((r) => [{ command: text, text: `${parsed.message}\n${parsed.usage}`, error: true }, ...r].slice(0, 20));
      return;
    }
    if (parsed.command === 'help') {
      setRuns((r) => [{ command: text, text: parsed.text }, ...r].slice(0, 20));
      return;
    }
    if (parsed.command === 'token') {
      setRuns((r) => [{ command: text, text: 'Personal API tokens are on the Tokens page.' }, ...r].slice(0, 20));
      return;
    }
    controller.current?.abort();
    const ac = new AbortController();
    controller.current = ac;
    if (!('spec' in parsed)) {
      // list, version, monitor …: the hub renders them (POST /v1/cli).
      const answer: TextAnswer = { command: text, text: '' };
      setRuns((r) => [answer, ...r].slice(0, 20));
      try {
        for await (const chunk of hubClient().cli(text, { signal: ac.signal })) {
          answer.text += chunk;
          setRuns((r) => [...r]);
        }
      } catch (e) {
        answer.text += (e as Error).message;
        answer.error = true;
        setRuns((r) => [...r]);
      }
      return;
    }
    const model = new RunModel(text, parsed.spec);
    setRuns((r) => [model, ...r].slice(0, 20));
    try {
      await model.consume(hubClient((id) => (model.streamId = id)).measure(parsed.spec, { signal: ac.signal }));
      if (!model.done) model.fail('the stream ended without done');
    } catch (e) {
      model.fail(ac.signal.aborted ? 'stopped' : (e as Error).message);
    }
  }

  function onKey(e: KeyboardEvent) {
    const h = history.current;
    if (e.key === 'ArrowUp' && h.length) {
      cursor.current = cursor.current < 0 ? h.length - 1 : Math.max(0, cursor.current - 1);
      setLine(h[cursor.current]!);
      e.preventDefault();
    } else if (e.key === 'ArrowDown' && cursor.current >= 0) {
      cursor.current = cursor.current + 1 >= h.length ? -1 : cursor.current + 1;
      setLine(cursor.current < 0 ? '' : h[cursor.current]!);
      e.preventDefault();
    }
  }

  return html`<section class="run-view">
    <form class="command" onSubmit=${(e: Event) => (e.preventDefault(), void run(line), setLine(''))}>
      <label for="cmd" class="visually-hidden">command</label>
      <input id="cmd" name="cmd" autocomplete="off" autocapitalize="off" spellcheck=${false} placeholder="ping -c 5 -s lax1,fra1 example.com   (help)"
        value=${line} onInput=${(e: Event) => setLine((e.target as HTMLInputElement).value)} onKeyDown=${onKey} />
      <button type="submit">Run</button>
    </form>
    <${CommandForm} agents=${props.agents} onRun=${(cmd: string) => void run(cmd)} />
    <div class="runs">${runs.map((r) =>
      r instanceof RunModel
        ? html`<${Results} key=${r} run=${r} onStop=${() => controller.current?.abort()} />`
        : html`<article class="run answer"><header class="run-head"><code class="cmd">${r.command}</code></header><pre class=${r.error ? 'output error' : 'output'}>${r.text}</pre></article>`,
    )}</div>
  </section>`;
}

/** The form: type, target, agents, count; it writes a command line of the grammar. */
function CommandForm(props: { agents: AgentInfo[]; onRun: (cmd: string) => void }) {
  const types: string[] = measurementTypes().map((t) => t.name);
  const [type, setType] = useState<string>(types[0] ?? '');
  const [target, setTarget] = useState('');
  const [from, setFrom] = useState<string[]>([]);
  const [count, setCount] = useState('');
  function submit(e: Event) {
    e.preventDefault();
    if (!target.trim()) return;
    const words: string[] = [type];
    if (from.length) words.push('-s', from.join(','));
    if (count.trim()) words.push('-c', count.trim());
    words.push(/\s/.test(target.trim()) ? `'${target.trim()}'` : target.trim());
    props.onRun(words.join(' '));
  }
  return html`<details class="form"><summary>form</summary>
    <form onSubmit=${submit} class="grid-form">
      <label>type <select value=${type} onChange=${(e: Event) => setType((e.target as HTMLSelectElement).value)}>${types.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
      <label>target <input value=${target} onInput=${(e: Event) => setTarget((e.target as HTMLInputElement).value)} placeholder="example.com or 10.0.0.0/24" /></label>
      <label>count <input value=${count} inputmode="numeric" onInput=${(e: Event) => setCount((e.target as HTMLInputElement).value)} placeholder="default" /></label>
      <fieldset><legend>from</legend>${props.agents.map(
        (a) => html`<label class="check"><input type="checkbox" checked=${from.includes(a.name)}
          onChange=${(e: Event) => setFrom((f) => ((e.target as HTMLInputElement).checked ? [...f, a.name] : f.filter((x) => x !== a.name)))} /> ${a.name}</label>`,
      )}</fieldset>
      <button type="submit">Run</button>
    </form></details>`;
}
