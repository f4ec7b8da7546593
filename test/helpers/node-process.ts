/**
 * Starts one of the project's entry points (bin/start.ts, agent/main.ts, …) as a separate Node
 * process — the same Node as the tests — and watches its output, so tests can wait for a
 * "ready" line and kill the process for real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface NodeProcess {
  child: ChildProcess;
  /** Every stdout and stderr line so far, stderr prefixed with `! `. */
  lines: string[];
  /** Resolves with the first line (stdout or stderr) matching `pattern`, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) and waits for the exit, SIGKILL after 5 s. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Runs `node --disable-warning=ExperimentalWarning <script> ...args` from the project root. */
export function startNode(script: string, args: string[] = [], env: Record<string, string | undefined> = {}): NodeProcess {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (m: RegExpExecArray) => void }>();
  const feed = (prefix: string) => {
    let partial = '';
    return (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      let nl: number;
      while ((nl = partial.indexOf('\n')) !== -1) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        lines.push(prefix + line);
        for (const w of [...waiters]) {
          const m = w.pattern.exec(line);
          if (m) {
            waiters.delete(w);
            w.resolve(m);
          }
        }
      }
    };
  };
  child.stdout!.on('data', feed(''));
  child.stderr!.on('data', feed('! '));
  const exited = new Promise<number | string>((ok) => child.once('exit', (code, signal) => ok(code ?? signal ?? -1)));
  return {
    child,
    lines,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      for (const l of lines) {
        const m = pattern.exec(l.replace(/^! /, ''));
        if (m) return Promise.resolve(m);
      }
      return new Promise((ok, fail) => {
        const w = { pattern, resolve: (m: RegExpExecArray) => (clearTimeout(timer), ok(m)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          fail(new Error(`${script}: no line matching ${pattern} within ${timeoutMs} ms; output:\n${lines.join('\n')}`));
        }, timeoutMs);
        waiters.add(w);
        void exited.then((code) => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(timer);
          fail(new Error(`${script} exited (${code}) before printing ${pattern}; output:\n${lines.join('\n')}`));
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
}
